/* STDP kernel (see stdp.h). */
#include "kernels/stdp.h"
#include "kernels/terms.h"
#include "ppu/correlation.h"
#include "ppu/mailbox.h"
#include "ppu/state.h"
#include "ppu/synram.h"

void kernel_stdp(void)
{
    fxv8_t factor, causal_offset[2], acausal_offset[2], causal[2], acausal[2], dw, w;
    int reset = mailbox_u8(STDP_MB_RESET) != 0;
    unsigned row, half;
    fxv8_splat(&factor, mailbox_i8(STDP_MB_FACTOR));
    terms_load_half_offsets(causal_offset, STDP_MB_CAUSAL_OFFSET);
    terms_load_half_offsets(acausal_offset, STDP_MB_ACAUSAL_OFFSET);
    for (row = 0; row < PPU_ROWS; ++row) {
        if (!mailbox_bit(STDP_MB_ROWS, row))
            continue;
        corr_read_row((uint8_t)row, causal, acausal);
        if (reset)
            corr_reset_row((uint8_t)row);
        for (half = 0; half < 2u; ++half) {
            terms_stdp(&dw, &causal[half], &acausal[half], &causal_offset[half], &acausal_offset[half], &factor);
            synram_load_weights(&w, (uint8_t)row, half);
            fxv8_add_sat(&w, &w, &dw);
            fxv8_clamp(&w, &w, 0, SYNRAM_WEIGHT_MAX);
            synram_store_weights(&w, (uint8_t)row, half);
        }
    }
}
