"""Evolving plasticity rules with Cartesian genetic programming on the emulated chip
(``bss2 run cgp``; seed sections 1.1.1.7, 1.2.1.5, 1.2.3.2; Jordan et al. 2021, eLife
10:e66273): genotype in :mod:`.genome`, DEAP loop in :mod:`.evolution`, the
teacher-student task in :mod:`.task`, Dask-evaluated cache in :mod:`.evaluation`."""
