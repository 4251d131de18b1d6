/* Synapse array access on the bound state's buffers (see ppu/synram.h). */
#include "ppu/state.h"
#include "ppu/synram.h"
#include "ppu/time.h"

static void load_row(uint8_t *array, fxv8_t *out, uint8_t row, unsigned half)
{
    const uint8_t *src = array + (uint32_t)row * PPU_COLUMNS + half * FXV8_LANES;
    unsigned i;
    for (i = 0; i < FXV8_LANES; ++i)
        out->e[i] = fxv_i8(src[i]);
    time_charge(CYC_VEC_IO);
}

static void store_row(uint8_t *array, const fxv8_t *in, uint8_t row, unsigned half)
{
    uint8_t *dst = array + (uint32_t)row * PPU_COLUMNS + half * FXV8_LANES;
    unsigned i;
    for (i = 0; i < FXV8_LANES; ++i)
        dst[i] = (uint8_t)(fxv_u8(in->e[i]) & 0x3Fu);
    time_charge(CYC_VEC_IO);
}

void synram_load_weights(fxv8_t *out, uint8_t row, unsigned half) { load_row(ppu_bound()->weights, out, row, half); }

void synram_store_weights(const fxv8_t *in, uint8_t row, unsigned half) { store_row(ppu_bound()->weights, in, row, half); }

void synram_load_labels(fxv8_t *out, uint8_t row, unsigned half) { load_row(ppu_bound()->labels, out, row, half); }

void synram_store_labels(const fxv8_t *in, uint8_t row, unsigned half) { store_row(ppu_bound()->labels, in, row, half); }
