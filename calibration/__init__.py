"""calix-style per-neuron calibration over the chip interface."""
