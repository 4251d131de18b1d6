/* Additive STDP on the correlation sensors (after libnux examples/stdp.cpp):
 *   w <- clip(w + mul_sat(((c>>1) - (oc>>1)) - ((a>>1) - (oa>>1)), factor), 0, 63)
 * for every synapse of the selected rows, all subtractions saturating int8.
 * Mailbox layout (big-endian): */
#ifndef KERNELS_STDP_H
#define KERNELS_STDP_H

#define STDP_MB_FACTOR 0x000          /* int8, Q0.7 learning rate */
#define STDP_MB_RESET 0x001           /* uint8, 1: reset the correlation of processed rows */
#define STDP_MB_ROWS 0x004            /* 32 bytes, bit r = update row r */
#define STDP_MB_CAUSAL_OFFSET 0x100   /* uint8[256], per-column causal sensor offset, CADC LSB */
#define STDP_MB_ACAUSAL_OFFSET 0x200  /* uint8[256], per-column acausal sensor offset, CADC LSB */

void kernel_stdp(void);

#endif
