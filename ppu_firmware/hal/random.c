/* xorshift32 on the bound state's rng_state (see ppu/random.h). */
#include "ppu/random.h"
#include "ppu/state.h"
#include "ppu/time.h"

uint32_t random_next(void)
{
    ppu_state_t *s = ppu_bound();
    uint32_t x = s->rng_state ? s->rng_state : RANDOM_ZERO_SEED;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s->rng_state = x;
    time_charge(CYC_RNG);
    return x;
}

void random_fill(fxv8_t *out)
{
    unsigned i, k;
    for (i = 0; i < FXV8_LANES; i += 4u) {
        uint32_t x = random_next();
        for (k = 0; k < 4u; ++k)
            out->e[i + k] = fxv_i8((uint8_t)(x >> (24u - 8u * k)));
    }
}
