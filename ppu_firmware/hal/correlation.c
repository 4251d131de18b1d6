/* Correlation sensor reads and resets on the bound state's buffers (see ppu/correlation.h). */
#include "ppu/correlation.h"
#include "ppu/state.h"
#include "ppu/time.h"

void corr_read_row(uint8_t row, fxv8_t causal[2], fxv8_t acausal[2])
{
    const ppu_state_t *s = ppu_bound();
    uint32_t base = (uint32_t)row * PPU_COLUMNS;
    unsigned half, i;
    for (half = 0; half < 2u; ++half) {
        for (i = 0; i < FXV8_LANES; ++i) {
            causal[half].e[i] = fxv_i8(s->causal[base + half * FXV8_LANES + i]);
            acausal[half].e[i] = fxv_i8(s->acausal[base + half * FXV8_LANES + i]);
        }
    }
    time_charge(CYC_CADC_CONVERSION + 4u * CYC_VEC_IO);
}

void corr_reset_row(uint8_t row)
{
    ppu_state_t *s = ppu_bound();
    uint32_t base = (uint32_t)row * PPU_COLUMNS;
    unsigned i;
    for (i = 0; i < PPU_COLUMNS; ++i) {
        s->causal[base + i] = 0;
        s->acausal[base + i] = 0;
    }
    s->corr_reset[row] = 1;
    time_charge(2u * CYC_VEC_IO);
}
