/* Homeostasis kernel (see homeostasis.h). */
#include "kernels/homeostasis.h"
#include "kernels/terms.h"
#include "ppu/mailbox.h"
#include "ppu/state.h"
#include "ppu/synram.h"

void kernel_homeostasis(void)
{
    fxv8_t delta[2], w;
    unsigned row, half;
    uint8_t target = mailbox_u8(HOMEOSTASIS_MB_TARGET);
    uint8_t step = mailbox_u8(HOMEOSTASIS_MB_STEP);
    terms_homeostasis(delta, target, step, mailbox_u8(HOMEOSTASIS_MB_RESET) != 0);
    for (row = 0; row < PPU_ROWS; ++row) {
        if (!mailbox_bit(HOMEOSTASIS_MB_ROWS, row))
            continue;
        for (half = 0; half < 2u; ++half) {
            synram_load_weights(&w, (uint8_t)row, half);
            fxv8_add_sat(&w, &w, &delta[half]);
            fxv8_clamp(&w, &w, 0, SYNRAM_WEIGHT_MAX);
            synram_store_weights(&w, (uint8_t)row, half);
        }
    }
}
