/* Plasticity rule given as a CGP expression program (Jordan et al. 2021, eLife 10:e66273).
 *
 * Values are int16 in Q7.8 (256 = 1.0), all arithmetic saturating. Per synapse the
 * program sees six inputs, each scaled to [0, 1) where it is a hardware reading:
 *   0 causal    c / 256        (CADC LSB)
 *   1 acausal   a / 256        (CADC LSB)
 *   2 weight    w * 4 = w / 64 (weight LSB)
 *   3 reward    R, Q7.8 from the mailbox
 *   4 rate      count / 256    (postsynaptic rate counter)
 *   5 membrane  v / 256        (postsynaptic CADC membrane sample)
 * Node j (0 <= j < n_nodes <= 12) is three bytes (op, a, b) and writes value 6 + j;
 * operands a, b index inputs or earlier nodes. Two more inputs sit after the last node
 * (teacher-student tasks, Jordan et al. 2021 Fig. 2; Urbanczik & Senn 2014):
 *   18 target   v_t / 256      (CADC membrane sample of column target_column[c])
 *   19 psp      p / 256        (presynaptic trace of the row: the causal reading p of
 *                              column psp_column, a regularly spiking neuron that samples
 *                              the row's trace at each of its spikes)
 * Any other index >= 6 + j reads 0. Ops:
 *   0 add  a + b          1 sub  a - b          2 mul  round(a * b / 256)
 *   3 shr  floor(a / 2^b) (b is the shift 0..15, not an operand)
 *   4 max  max(a, b)      5 min  min(a, b)
 *   6 const  constants[a] (a in 0..3 selects a Q7.8 constant, b unused)
 *   7 div  floor(a * 256 / b), saturated; b = 0 gives 32767 (a > 0), -32768 (a < 0),
 *          0 (a = 0): the limit, so a bad genome never traps (no vector divide on the
 *          PPU: CGP_DIV_CYCLES per lane, a scalar divw)
 * Unknown ops give 0. The last node's value y, times the learning rate 2^eta_shift, is the
 * change of w / 64, so
 *   w <- clip(w + round(2^eta_shift * y / 4), 0, 63)
 * for every synapse of the selected rows, except in frozen columns (e.g. a teacher's).
 * A zero mailbox field keeps the kernel's original behaviour (eta_shift 0, nothing frozen).
 * Mailbox layout (big-endian): */
#ifndef KERNELS_CGP_H
#define KERNELS_CGP_H

#define CGP_INPUTS 6
#define CGP_INPUT_TARGET 18
#define CGP_INPUT_PSP 19
#define CGP_VALUES 20
#define CGP_MAX_NODES 12
#define CGP_CONSTANTS 4
#define CGP_OP_ADD 0
#define CGP_OP_SUB 1
#define CGP_OP_MUL 2
#define CGP_OP_SHR 3
#define CGP_OP_MAX 4
#define CGP_OP_MIN 5
#define CGP_OP_CONST 6
#define CGP_OP_DIV 7
#define CGP_DIV_CYCLES 36u
#define CGP_MAX_ETA_SHIFT 8u

#define CGP_MB_N_NODES 0x000     /* uint8, 1..12 */
#define CGP_MB_RESET 0x001       /* uint8, 1: reset correlation and rate counters */
#define CGP_MB_REWARD 0x002      /* int16, Q7.8 reward */
#define CGP_MB_CONSTANTS 0x004   /* int16[4], Q7.8 constants */
#define CGP_MB_ROWS 0x010        /* 32 bytes, bit r = update row r */
#define CGP_MB_NODES 0x030       /* uint8[36], (op, a, b) per node */
#define CGP_MB_ETA_SHIFT 0x054   /* uint8, 0..8: learning rate 2^eta_shift */
#define CGP_MB_PSP_COLUMN 0x056  /* uint8, column whose causal reading is the psp input */
#define CGP_MB_FROZEN_COLUMNS 0x060 /* 32 bytes, bit c = column c keeps its weights */
#define CGP_MB_TARGET_COLUMN 0x100 /* uint8[256], target column of each column */

void kernel_cgp(void);

#endif
