/* Causal and acausal correlation sensors, one pair per synapse.
 *
 * One read converts a whole row through the CADC (both traces, 256 columns, 8 bit) and
 * moves the four vectors: CYC_CADC_CONVERSION + 4 x CYC_VEC_IO. Lanes hold the raw CADC
 * bytes (larger = more correlation); sensor offsets are the kernels' business.
 */
#ifndef PPU_CORRELATION_H
#define PPU_CORRELATION_H

#include <stdint.h>
#include "ppu/fxv.h"

/* causal[half], acausal[half] for half in {0, 1}. */
void corr_read_row(uint8_t row, fxv8_t causal[2], fxv8_t acausal[2]);

/* Reset both sensors of every synapse in `row` (2 x CYC_VEC_IO). */
void corr_reset_row(uint8_t row);

#endif
