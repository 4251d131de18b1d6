/* Rate homeostasis (after brainscales2-demos ts_11): every input weight of neuron j
 * moves one step towards its target rate,
 *   w_ij <- clip(w_ij + step * sign(target - count_j), 0, 63)
 * for the selected rows; count_j is neuron j's 8-bit rate counter.
 * Mailbox layout (big-endian): */
#ifndef KERNELS_HOMEOSTASIS_H
#define KERNELS_HOMEOSTASIS_H

#define HOMEOSTASIS_MB_TARGET 0x000   /* uint8, target spike count per period */
#define HOMEOSTASIS_MB_STEP 0x001     /* uint8, weight step, weight LSB */
#define HOMEOSTASIS_MB_RESET 0x002    /* uint8, 1: reset the rate counters after reading */
#define HOMEOSTASIS_MB_ROWS 0x004     /* 32 bytes, bit r = update row r */

void kernel_homeostasis(void);

#endif
