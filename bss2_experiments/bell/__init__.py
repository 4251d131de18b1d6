"""Bell states on a spiking sampling network (Czischek et al., SciPost Phys. 12, 039 (2022))."""
