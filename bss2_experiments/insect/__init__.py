"""Insect path integration: the bee central-complex model of Stone et al. (2017, Curr. Biol.
27:3069) with the body and world on the PPU (seed section 1.2.1.1, Figure 16E; Schreiber et
al., arXiv 2401.00473).

Modules: :mod:`.anatomy` (populations and connectivity), :mod:`.world` (body physics,
routes, homing metrics), :mod:`.rate` (NumPy rate-based reference), :mod:`.chip` (the
spiking network on the emulated chip with the ``insect_world`` PPU kernel),
:mod:`.tuning` (CMA-ES over global gains on Dask), :mod:`.plots`, :mod:`.cli`.
"""
