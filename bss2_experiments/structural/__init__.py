"""Structural plasticity on Iris with the rule running as PPU firmware (Billaudelle et al.
2021, Neural Networks 133): ``bss2 run structural``. Modules: :mod:`.encoding` (Iris,
receptors, teachers), :mod:`.network` (the PyNN network: label-pool projections, teachers),
:mod:`.experiment` (training in chunks, tests, results), :mod:`.plots`."""
