"""C plasticity kernels for the PPU: host library (used by the emulator) and PowerPC cross-build."""
