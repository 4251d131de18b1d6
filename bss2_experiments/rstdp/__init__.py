"""Pong learned with reward-modulated STDP fully on the (emulated) BrainScaleS-2 chip:
the PPU plays, rewards and updates (Wunderlich et al. 2019, Front. Neurosci. 13:260),
with a NEST software twin for the speed comparison. ``bss2 run rstdp``."""
