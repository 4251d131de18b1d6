/* Synapse array of this PPU's hemisphere: 256 rows x 256 columns of 6-bit weights and
 * 6-bit address labels. A row is two vectors: vector `half` covers columns
 * 128*half .. 128*half+127. (The chip interleaves even and odd columns; the HAL hides
 * that, and per-column data such as rate counters and CADC samples use the same order.)
 * Each load or store costs CYC_VEC_IO. Stores keep the low 6 bits of each lane.
 */
#ifndef PPU_SYNRAM_H
#define PPU_SYNRAM_H

#include <stdint.h>
#include "ppu/fxv.h"

#define SYNRAM_WEIGHT_MAX 63
#define SYNRAM_LABEL_MAX 63

void synram_load_weights(fxv8_t *out, uint8_t row, unsigned half);
void synram_store_weights(const fxv8_t *in, uint8_t row, unsigned half);
void synram_load_labels(fxv8_t *out, uint8_t row, unsigned half);
void synram_store_labels(const fxv8_t *in, uint8_t row, unsigned half);

#endif
