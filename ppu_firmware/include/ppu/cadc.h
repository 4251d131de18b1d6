/* CADC samples of the membrane potentials, 8 bit (CADC LSB), one channel per column. */
#ifndef PPU_CADC_H
#define PPU_CADC_H

#include "ppu/fxv.h"

/* v[half] holds the raw samples of columns 128*half..: CYC_CADC_CONVERSION + 2 x CYC_VEC_IO. */
void cadc_read_membranes(fxv8_t v[2]);

#endif
