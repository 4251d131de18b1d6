/* Insect world kernel: the bee's body, its sensors and actuators, and the outbound route
 * run on the PPU, so a whole path-integration journey runs on one chip (Stone et al.
 * 2017, Curr. Biol. 27:3069; on BSS-2: Schreiber et al., arXiv 2401.00473).
 *
 * One call = one step of the journey:
 *  0. heading frame: f = frame rotation of this call (0..7 columns; with frame_block K > 0 the blocks
 *     b = step / K run through 0, 1, .., 7, 7, 6, .., 0; 0 with K = 0), f' = the one of the last call;
 *  1. read the 8-bit rate counters (spikes since the last call) and reset them at the end;
 *  2. CPU4 memory: with a_j = 8 c_j (c_j the count of CPU4 input j, sent in frame f', so physical
 *     column j of its side stands for logical column k = (j - f') mod 8), each side's first spatial
 *     Fourier component re + i im = sum_j a_j e^(i k pi/4) over its 8 columns; logical column k of the
 *     side gets m_k += memory_gain (2/8) (re cos(k pi/4) + im sin(k pi/4)) (Stone et al.'s sinusoidal
 *     CPU4 bump; the side mean drops out: a zero-mean update), clipped to int16 (Q15); if f' differs
 *     from the frame before it (a jump, `settling`), TB1 was still turning: the call reuses the last
 *     settled re, im (`update`) instead of its counts. The memory is written to the
 *     synapse array as the 6-bit weight clip(4 m_k + 32768 + u, 0, 65535) >> 10 at (memory_row,
 *     memory_columns[side 8 + (k + f) mod 8]), u uniform in [-memory_dither, memory_dither)
 *     (dithered rounding; read-out gain 4): the network reads the memory through these synapses when
 *     the memory source fires;
 *  3. turn: outbound, r = turn_bias + noise + turn_memory * r_prev with noise ~ turn_sd *
 *     (sum of 4 uniform 16-bit draws - 131070) / 37837 (approximately Gaussian, sd
 *     turn_sd); homing, r = (turn_gain * (8 (sum CPU1 0-7 - sum CPU1 8-15 counts) -
 *     motor_offset)) >> 3, clipped to +-16384 (90 deg);
 *  4. body (Q16): heading += r (binary angle, 65536 = 2 pi); v += a (sin, cos)(heading);
 *     v -= floor(v * drag); position += v;
 *  5. closest squared distance to the nest while homing, trajectory sample every
 *     sample_every steps (position Q4 = 1/16 step, heading);
 *  6. send the senses as events: compass label i round(compass_events * max(0,
 *     cos(heading + f 45 deg - i * 45 deg))) times (the heading in frame f); flow label s
 *     floor(flow_events * clip(flow_s, 0, 1) + u) times (u uniform in [0, 1): stochastic
 *     rounding) with flow_s the velocity on the axis heading +- 45 deg (left, right);
 *     memory_events of the memory label. Each call is padded to its worst-case event
 *     budget, so its duration does not depend on the data.
 * The circuit is equivariant under the frame rotation (compass -> TL2 -> CL1 -> TB1 -> CPU4 are
 * column to column, TB1 -> TB1 circulant, and each CPU1 pairs TB1 t with CPU4 t -+ 1 of the other
 * side, so a rotation permutes the CPU1 within each side and leaves the left and right sums alone):
 * only the neurons' fixed-pattern noise breaks the symmetry, and cycling f spreads each physical
 * column's offset, gain and tuning errors over all 8 logical columns, where their first Fourier
 * component cancels (chopper stabilisation, dynamic element matching).
 * Calls after outbound_steps + homing_steps do nothing. Mailbox layout (big-endian): */
#ifndef KERNELS_INSECT_WORLD_H
#define KERNELS_INSECT_WORLD_H

#define INSECT_WORLD_N_COMPASS 16u
#define INSECT_WORLD_N_COLUMNS 16u
#define INSECT_WORLD_MAX_SAMPLES 540u

#define INSECT_WORLD_MB_OUTBOUND_STEPS 0x000   /* uint16, steps on the random route */
#define INSECT_WORLD_MB_HOMING_STEPS 0x002     /* uint16, steps steered by the network */
#define INSECT_WORLD_MB_ACCELERATION 0x004     /* uint16 Q16, thrust per step (<= 0.25) */
#define INSECT_WORLD_MB_DRAG 0x006             /* uint16 Q16, velocity lost per step */
#define INSECT_WORLD_MB_TURN_SD 0x008          /* uint16, outbound turn noise sd (binary angle) */
#define INSECT_WORLD_MB_TURN_MEMORY 0x00A      /* uint16 Q16, low-pass factor of outbound turns */
#define INSECT_WORLD_MB_MEMORY_GAIN 0x00C      /* uint16, memory change (Q15) per CPU4 count */
#define INSECT_WORLD_MB_TURN_GAIN 0x00E        /* uint16, homing turn (binary angle) per count */
#define INSECT_WORLD_MB_COMPASS_EVENTS 0x010   /* uint8, compass events at cos = 1 */
#define INSECT_WORLD_MB_FLOW_EVENTS 0x011      /* uint8, flow events at flow = 1 */
#define INSECT_WORLD_MB_MEMORY_EVENTS 0x012    /* uint8, memory-source events per step */
#define INSECT_WORLD_MB_FRAME_BLOCK 0x013      /* uint8, steps per heading-frame rotation (0: off) */
#define INSECT_WORLD_MB_SAMPLE_EVERY 0x014     /* uint8, steps per trajectory sample */
#define INSECT_WORLD_MB_MEMORY_ROW 0x015       /* uint8, synapse row of the memory weights */
#define INSECT_WORLD_MB_TURN_BIAS 0x016        /* int16, constant outbound turn (binary angle) */
#define INSECT_WORLD_MB_MOTOR_OFFSET 0x018     /* int16, CPU1 left - right offset (1/8 count) */
#define INSECT_WORLD_MB_MEMORY_DITHER 0x01A    /* uint16, dither amplitude of the weight rounding (Q15) */
#define INSECT_WORLD_MB_FRAME 0x01C            /* uint16, updated: frame rotation of the last senses */
#define INSECT_WORLD_MB_SETTLING 0x01E         /* uint16, updated: 1 if the last senses came in a new frame */
#define INSECT_WORLD_MB_COMPASS_LABELS 0x020   /* uint16[16], event labels of the compass */
#define INSECT_WORLD_MB_FLOW_LABELS 0x040      /* uint16[2], event labels of the flow (L, R) */
#define INSECT_WORLD_MB_MEMORY_LABEL 0x044     /* uint16, event label of the memory source */
#define INSECT_WORLD_MB_CPU4_COLUMNS 0x050     /* uint8[16], columns of CPU4 0..15 */
#define INSECT_WORLD_MB_CPU1_COLUMNS 0x060     /* uint8[16], columns of CPU1 0..15 */
#define INSECT_WORLD_MB_MEMORY_COLUMNS 0x070   /* uint8[16], synapse column of memory i */
#define INSECT_WORLD_MB_STEP 0x080             /* uint16, updated: steps done */
#define INSECT_WORLD_MB_HEADING 0x082          /* uint16, updated: heading (binary angle) */
#define INSECT_WORLD_MB_TURN 0x084             /* uint32, updated: last outbound turn (int32) */
#define INSECT_WORLD_MB_VELOCITY 0x088         /* uint32[2], updated: velocity x, y (int32 Q16) */
#define INSECT_WORLD_MB_POSITION 0x090         /* uint32[2], updated: position x, y (int32 Q16) */
#define INSECT_WORLD_MB_CLOSEST 0x098          /* uint32, updated: min squared distance homing (Q4^2) */
#define INSECT_WORLD_MB_CLOSEST_STEP 0x09C     /* uint16, updated: step of the closest approach */
#define INSECT_WORLD_MB_MOTOR 0x09E            /* int16, updated: last CPU1 count difference L - R */
#define INSECT_WORLD_MB_MEMORY 0x0A0           /* int16[16], updated: CPU4 memory (Q15) */
#define INSECT_WORLD_MB_UPDATE 0x0C0           /* uint32[4], updated: last settled re, im per side (int32) */
#define INSECT_WORLD_MB_SAMPLE_X 0x100         /* int16[540], updated: x samples (Q4) */
#define INSECT_WORLD_MB_SAMPLE_Y 0x538         /* int16[540], updated: y samples (Q4) */
#define INSECT_WORLD_MB_SAMPLE_HEADING 0x970   /* uint16[540], updated: heading samples */

void kernel_insect_world(void);

#endif
