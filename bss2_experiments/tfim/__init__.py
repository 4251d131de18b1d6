"""Ground states of the transverse-field Ising chain on a spiking sampling network
(Klassert et al., iScience 25, 104707 (2022))."""
