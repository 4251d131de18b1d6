/* Structural plasticity (after Billaudelle et al. 2021, Neural Networks 133): every call
 *   w <- clip(w + stdp + homeostasis + noise, 0, 63)
 * with stdp as in stdp.h, homeostasis as in homeostasis.h and noise = mul_sat(r, amp),
 * r a random int8 (xorshift32), so noise lies in -amp..amp weight LSB. Every
 * prune_period-th call, each *connected* synapse (label < label_count) whose new weight
 * is below prune_threshold gets a random label in 0..label_count-1 ((byte * label_count)
 * >> 8) and initial_weight. Labels >= label_count mark unconnected synapses, which are
 * never rewired: each column's fan-in (connected synapses) stays constant.
 * Random draws, per selected row and half in order: 32 draws of noise, then (pruning
 * calls only) 32 draws of labels. The rate counters and the processed rows' correlation
 * are reset when `reset` is 1.
 * Mailbox layout (big-endian): */
#ifndef KERNELS_STRUCTURAL_H
#define KERNELS_STRUCTURAL_H

#define STRUCTURAL_MB_FACTOR 0x000           /* int8, Q0.7 STDP learning rate */
#define STRUCTURAL_MB_TARGET 0x001           /* uint8, target spike count per period */
#define STRUCTURAL_MB_STEP 0x002             /* uint8, homeostatic step, weight LSB */
#define STRUCTURAL_MB_NOISE 0x003            /* uint8, noise amplitude, weight LSB (0..127) */
#define STRUCTURAL_MB_PRUNE_THRESHOLD 0x004  /* uint8, prune if weight < threshold */
#define STRUCTURAL_MB_PRUNE_PERIOD 0x005     /* uint8, prune every n-th call (0: never) */
#define STRUCTURAL_MB_LABEL_COUNT 0x006      /* uint8, labels 0..n-1 are in use (1..64) */
#define STRUCTURAL_MB_INITIAL_WEIGHT 0x007   /* uint8, weight of a rewired synapse */
#define STRUCTURAL_MB_RESET 0x008            /* uint8, 1: reset correlation and rate counters */
#define STRUCTURAL_MB_CALLS 0x00C            /* uint32, calls so far, updated */
#define STRUCTURAL_MB_PRUNED 0x010           /* uint32, synapses rewired so far, updated */
#define STRUCTURAL_MB_ROWS 0x020             /* 32 bytes, bit r = update row r */
#define STRUCTURAL_MB_CAUSAL_OFFSET 0x100    /* uint8[256], per-column causal sensor offset */
#define STRUCTURAL_MB_ACAUSAL_OFFSET 0x200   /* uint8[256], per-column acausal sensor offset */

void kernel_structural(void);

#endif
