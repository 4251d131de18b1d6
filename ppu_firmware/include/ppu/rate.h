/* Per-neuron 8-bit spike (rate) counters, one per column, read over the omnibus. */
#ifndef PPU_RATE_H
#define PPU_RATE_H

#include "ppu/fxv.h"

/* counts[half] holds the raw counts (0..255) of columns 128*half.. (256 x CYC_OMNIBUS). */
void rate_read(fxv8_t counts[2]);

/* Set every counter to 0 (256 x CYC_OMNIBUS). */
void rate_reset(void);

#endif
