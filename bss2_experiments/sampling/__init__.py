"""Neural sampling with LIF neurons on BrainScaleS-2 (Petrovici et al. 2016) and the shared
sampling core that the Bell-state and TFIM experiments reuse (:mod:`.network`)."""
