/* Reward-modulated STDP (Wunderlich et al. 2019, Front. Neurosci. 13:260):
 *   d   = clip16(R - Rbar_k)                       (Q1.14)
 *   s   = mul16(eta, d, 15)                        (Q1.14, eta in Q0.15)
 *   e   = max(c - oc, 0)                           (eligibility, CADC LSB)
 *   w  <- clip(w + round(s * e / 2^14), 0, 63)    for the selected rows
 *   Rbar_k <- clip16(Rbar_k + floor(d / 2^mean_shift))
 * with R the reward, k the current state and Rbar_k its expected reward (running mean;
 * Wunderlich et al. use Rbar_k += (R - Rbar_k) / 2, i.e. mean_shift = 1).
 * Mailbox layout (big-endian): */
#ifndef KERNELS_RSTDP_H
#define KERNELS_RSTDP_H

#define RSTDP_STATES 64
#define RSTDP_MB_ETA 0x000              /* int16, Q0.15 learning rate, >= 0 */
#define RSTDP_MB_REWARD 0x002           /* int16, Q1.14 reward R */
#define RSTDP_MB_STATE 0x004            /* uint8, state k (0..63) */
#define RSTDP_MB_MEAN_SHIFT 0x005       /* uint8, running-mean rate 2^-mean_shift */
#define RSTDP_MB_RESET 0x006            /* uint8, 1: reset the correlation of processed rows */
#define RSTDP_MB_ROWS 0x008             /* 32 bytes, bit r = update row r */
#define RSTDP_MB_EXPECTED_REWARD 0x040  /* int16[64], Q1.14 Rbar per state, updated */
#define RSTDP_MB_CAUSAL_OFFSET 0x100    /* uint8[256], per-column causal sensor offset */

void kernel_rstdp(void);

#endif
