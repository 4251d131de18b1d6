/* Plasticity terms shared by several kernels (STDP, homeostasis, structural). */
#ifndef KERNELS_TERMS_H
#define KERNELS_TERMS_H

#include <stdint.h>
#include "ppu/fxv.h"

/* Per-column sensor offsets from 256 mailbox bytes at `offset`, halved (see stdp_term). */
void terms_load_half_offsets(fxv8_t out[2], uint16_t offset);

/* STDP weight change of one vector (Q0.7, weight LSB):
 *   dw = mul_sat(sub_sat(sub_sat(c >> 1, oc), sub_sat(a >> 1, oa)), factor)
 * with c, a the raw causal/acausal CADC bytes (>> 1 keeps them non-negative in a signed
 * lane, libnux examples/stdp.cpp does the same) and oc, oa the halved offsets. */
void terms_stdp(fxv8_t *dw, const fxv8_t *causal, const fxv8_t *acausal,
                const fxv8_t *causal_offset, const fxv8_t *acausal_offset, const fxv8_t *factor);

/* Homeostatic weight change per column: step * sign(target - count) from the rate
 * counters (read once; reset afterwards when `reset` is non-zero). */
void terms_homeostasis(fxv8_t delta[2], uint8_t target, uint8_t step, int reset);

#endif
