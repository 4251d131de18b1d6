/* Fast pseudo-random numbers: xorshift32 (Marsaglia 2003, J. Stat. Softw. 8(14)),
 * shifts 13, 17, 5, state in the bound ppu_state (0 is replaced by RANDOM_ZERO_SEED).
 */
#ifndef PPU_RANDOM_H
#define PPU_RANDOM_H

#include <stdint.h>
#include "ppu/fxv.h"

#define RANDOM_ZERO_SEED 0x9E3779B9u

/* Next 32-bit value (CYC_RNG). */
uint32_t random_next(void);

/* 128 random bytes: 32 draws, each giving its bytes most significant first (32 x CYC_RNG). */
void random_fill(fxv8_t *out);

#endif
