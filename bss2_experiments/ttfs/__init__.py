"""Time-to-first-spike (TTFS) classification with exact spike-time gradients, trained with
the chip in the loop: Goeltz et al., Nat. Mach. Intell. 3:823 (2021), on the Yin-Yang data
set (Kriener et al., NICE 2022).

* :mod:`.model` / :mod:`.kernels`: exact first-spike times and gradients (times in tau_s)
* :mod:`.network`, :mod:`.encoding`, :mod:`.loss`, :mod:`.training`: network, inputs, loss, training loop
* :mod:`.chip`: the forward pass on a PyNN backend (the one adapter to the chip)
* :mod:`.experiment`: config, ``run(config, backend)``, result; :mod:`.plots`; :mod:`.inference`
* :mod:`.workload`: the trained network as ``bss2 energy --experiment ttfs``
* :mod:`.cli`: ``bss2 run ttfs``
"""
