/* R-STDP kernel (see rstdp.h). */
#include "kernels/rstdp.h"
#include "ppu/correlation.h"
#include "ppu/mailbox.h"
#include "ppu/state.h"
#include "ppu/synram.h"
#include "ppu/time.h"

/* w(row, half) += round(s * max(c - offset, 0) / 2^14), clipped to 0..63. */
static void update_vector(uint8_t row, unsigned half, const fxv8_t *causal, const fxv8_t *offset,
                          const fxv16_t *s)
{
    fxv8_t w8;
    fxv16_t w[2], e, o, zero;
    unsigned part;
    fxv16_splat(&zero, 0);
    synram_load_weights(&w8, row, half);
    for (part = 0; part < 2u; ++part) {
        fxv16_unpack_u8(&e, causal, part);
        fxv16_unpack_u8(&o, offset, part);
        fxv16_sub_sat(&e, &e, &o);
        fxv16_max(&e, &e, &zero);
        fxv16_mul_sat(&e, &e, s, 14);
        fxv16_unpack_u8(&w[part], &w8, part);
        fxv16_add_sat(&w[part], &w[part], &e);
        fxv16_clamp(&w[part], &w[part], 0, SYNRAM_WEIGHT_MAX);
    }
    fxv8_pack_mod(&w8, &w[0], &w[1]);
    synram_store_weights(&w8, row, half);
}

void kernel_rstdp(void)
{
    fxv8_t offset[2], causal[2], acausal[2];
    fxv16_t s_v;
    unsigned row, half;
    uint16_t mean_at = (uint16_t)(RSTDP_MB_EXPECTED_REWARD + 2u * (mailbox_u8(RSTDP_MB_STATE) % RSTDP_STATES));
    int16_t expected = mailbox_i16(mean_at);
    int16_t diff = fxs_clip16((int32_t)mailbox_i16(RSTDP_MB_REWARD) - expected);
    int reset = mailbox_u8(RSTDP_MB_RESET) != 0;
    unsigned shift = mailbox_u8(RSTDP_MB_MEAN_SHIFT) & 15u;
    fxv16_splat(&s_v, fxs_mul16(mailbox_i16(RSTDP_MB_ETA), diff, 15));
    time_charge(4u * CYC_SCALAR);
    for (half = 0; half < 2u; ++half)
        mailbox_load_vector(&offset[half], (uint16_t)(RSTDP_MB_CAUSAL_OFFSET + half * FXV8_LANES));
    for (row = 0; row < PPU_ROWS; ++row) {
        if (!mailbox_bit(RSTDP_MB_ROWS, row))
            continue;
        corr_read_row((uint8_t)row, causal, acausal);
        if (reset)
            corr_reset_row((uint8_t)row);
        for (half = 0; half < 2u; ++half)
            update_vector((uint8_t)row, half, &causal[half], &offset[half], &s_v);
    }
    mailbox_set_i16(mean_at, fxs_clip16((int32_t)expected + fxs_shr(diff, shift)));
    time_charge(3u * CYC_SCALAR);
}
