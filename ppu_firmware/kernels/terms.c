/* Shared plasticity terms (see terms.h). */
#include "kernels/terms.h"
#include "ppu/mailbox.h"
#include "ppu/rate.h"

void terms_load_half_offsets(fxv8_t out[2], uint16_t offset)
{
    unsigned half;
    for (half = 0; half < 2u; ++half) {
        mailbox_load_vector(&out[half], (uint16_t)(offset + half * FXV8_LANES));
        fxv8_shr_u(&out[half], &out[half], 1);
    }
}

void terms_stdp(fxv8_t *dw, const fxv8_t *causal, const fxv8_t *acausal,
                const fxv8_t *causal_offset, const fxv8_t *acausal_offset, const fxv8_t *factor)
{
    fxv8_t c, a;
    fxv8_shr_u(&c, causal, 1);
    fxv8_sub_sat(&c, &c, causal_offset);
    fxv8_shr_u(&a, acausal, 1);
    fxv8_sub_sat(&a, &a, acausal_offset);
    fxv8_sub_sat(dw, &c, &a);
    fxv8_mul_sat(dw, dw, factor);
}

void terms_homeostasis(fxv8_t delta[2], uint8_t target, uint8_t step, int reset)
{
    fxv8_t counts[2];
    fxv16_t target_v, step_v, d[2];
    unsigned half, part;
    rate_read(counts);
    if (reset)
        rate_reset();
    fxv16_splat(&target_v, (int16_t)target);
    fxv16_splat(&step_v, (int16_t)step);
    for (half = 0; half < 2u; ++half) {
        for (part = 0; part < 2u; ++part) {
            fxv16_unpack_u8(&d[part], &counts[half], part);
            fxv16_sub_sat(&d[part], &target_v, &d[part]);
            fxv16_clamp(&d[part], &d[part], -1, 1);
            fxv16_mul_sat(&d[part], &d[part], &step_v, 0);
        }
        fxv8_pack_mod(&delta[half], &d[0], &d[1]);
    }
}
