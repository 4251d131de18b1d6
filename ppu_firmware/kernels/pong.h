/* Pong played and learned on the PPU with reward-modulated STDP (Wunderlich et al. 2019,
 * Front. Neurosci. 13:260; game of electronicvisions/model-sw-pong).
 *
 * Game, unit square in Q16.16 (65536 = 1.0), 32 x 32 cells (cell = min(y >> 11, 31)):
 *   new game: ball (0.5, 0.5), paddle 0.5; one draw d: u = d >> 16,
 *     |vx| = 32768 + (u >> 1), |vy| = 65536 - |vx| (L1 norm 1, |vx| in [0.5, 1)),
 *     sign of vx negative when bit 0 of d is set, of vy when bit 1 is set;
 *     velocity per iteration = (ball_speed * |v|) >> 16 with that sign.
 *   step (paddle direction +1/-1/0 towards the target cell):
 *     y + r >= 1: vy = -|vy|;  y - r <= 0: vy = +|vy|;  x - r <= 0: vx = +|vx|;
 *     x + r >= 1: |y - paddle| <= length/2 (length >> 1): vx = -|vx|, hits += 1;
 *                 else misses += 1 and a new game starts (no move this step);
 *     paddle = clip(paddle + direction * paddle_speed, 0, 1); ball += velocity.
 * Network: input unit k (label input_labels[k], synapse row input_rows[k]) sends
 * `ball_events` events per call while the ball is in row-cell k; output unit j is
 * column output_columns[j]; with probability p/256 per call, noise unit j sends
 * noise_labels[j] (exploration), where p decays with the iterations played i:
 *   p = noise if noise_decay == 0, else max(noise - floor(i / noise_decay), min(noise, noise_floor)).
 * Every `window`-th call (one iteration):
 *   1. read and reset the rate counters; the target is the output unit with the highest
 *      count, ties broken by one draw: the (draw mod n_ties)-th tied unit;
 *   2. R = rewards[|target - k|] if that distance is < 4, else 0 (k: the ball's cell);
 *      first visit of k: Rbar_k = R;
 *   3. d = clip16(R - Rbar_k) (Q1.14), f = clip8(round(eta * d / 2^14)) (Q0.7), and on
 *      row input_rows[k], output columns only:
 *        w <- clip(w + terms_stdp(causal, 0, causal_offset / 2, 0, f), 0, 63)
 *      i.e. dw = round(f * (c/2 - o/2) / 128) ~ (eta / 256) (R - Rbar_k) (c - o)
 *      (the paper: round(0.125 (R - Rbar_k) corr)); with chosen_only != 0 only the
 *      target's column of the row changes; the row's sensors are reset;
 *      Rbar_k <- clip16(Rbar_k + floor(d / 2^mean_shift));
 *   4. every curve_every iterations: curve[s] = mean Rbar over visited cells,
 *      reward_curve[s] = mean R of those iterations (floor);
 *   5. one game step; the new ball cell is sent from this call on.
 * Call 0 starts a game. Random draws per call, in order: (call 0: new game) or (learning
 * call: tie draw, new-game draw after a miss), then 8 noise draws if noise > 0 (bytes
 * most significant first: noise unit j uses byte j % 4 of draw j / 4). An unsent noise
 * event costs what a sent one does, so a call's cycles depend on the parameters only.
 * Mailbox layout (big-endian): */
#ifndef KERNELS_PONG_H
#define KERNELS_PONG_H

#define PONG_UNITS 32
#define PONG_CURVE_SAMPLES 512
#define PONG_MB_ETA 0x000             /* int16, Q8.7 learning rate: f = eta * (R - Rbar) */
#define PONG_MB_MEAN_SHIFT 0x002      /* uint8, Rbar rate 2^-mean_shift */
#define PONG_MB_WINDOW 0x003          /* uint8, calls per iteration (the poll window), >= 1 */
#define PONG_MB_BALL_EVENTS 0x004     /* uint8, events of the ball's input unit per call */
#define PONG_MB_NOISE 0x005           /* uint8, noise event probability per unit and call, /256 */
#define PONG_MB_CURVE_EVERY 0x006     /* uint16, iterations per learning-curve sample, >= 1 */
#define PONG_MB_BALL_SPEED 0x008      /* uint16, Q0.16 distance per iteration (L1) */
#define PONG_MB_PADDLE_SPEED 0x00A    /* uint16, Q0.16 */
#define PONG_MB_PADDLE_LENGTH 0x00C   /* uint16, Q0.16 */
#define PONG_MB_BALL_RADIUS 0x00E     /* uint16, Q0.16 */
#define PONG_MB_REWARDS 0x010         /* int16[4], Q1.14 reward at distance 0..3 */
#define PONG_MB_NOISE_FLOOR 0x018     /* uint8, lowest noise probability of the decay, /256 */
#define PONG_MB_CHOSEN_ONLY 0x019     /* uint8, != 0: learn on the chosen output unit only */
#define PONG_MB_NOISE_DECAY 0x01A     /* uint16, iterations per 1/256 step down of noise, 0: constant */
#define PONG_MB_INPUT_LABELS 0x020    /* uint16[32], 14-bit labels of the input units */
#define PONG_MB_NOISE_LABELS 0x060    /* uint16[32], 14-bit labels of the noise units */
#define PONG_MB_INPUT_ROWS 0x0A0      /* uint8[32], synapse row of input unit k */
#define PONG_MB_OUTPUT_COLUMNS 0x0C0  /* uint8[32], column of output unit j */
#define PONG_MB_CAUSAL_OFFSET 0x100   /* uint8[256], per-column causal sensor offset */
#define PONG_MB_CALLS 0x200           /* uint32, updated: calls so far */
#define PONG_MB_ITERATION 0x204       /* uint32, updated: iterations played */
#define PONG_MB_REWARD_SUM 0x208      /* uint32, updated: sum of R (Q1.14) in this curve block */
#define PONG_MB_HITS 0x20C            /* uint16, updated */
#define PONG_MB_MISSES 0x20E          /* uint16, updated */
#define PONG_MB_BALL 0x210            /* uint32[2], updated: ball x, y (Q16.16) */
#define PONG_MB_VELOCITY 0x218        /* uint32[2], updated: int32 vx, vy per iteration (Q16.16) */
#define PONG_MB_PADDLE 0x220          /* uint32, updated: paddle y (Q16.16) */
#define PONG_MB_TARGET 0x224          /* uint16, updated: last chosen cell */
#define PONG_MB_BALL_CELL 0x226       /* uint16, updated: cell whose input unit is sending */
#define PONG_MB_REWARD 0x228          /* int16, updated: last reward R (Q1.14) */
#define PONG_MB_SAMPLES 0x22A         /* uint16, updated: learning-curve samples written */
#define PONG_MB_EXPECTED_REWARD 0x240 /* int16[32], updated: Rbar per ball cell (Q1.14) */
#define PONG_MB_VISITS 0x280          /* uint16[32], updated: iterations per ball cell */
#define PONG_MB_CURVE 0x2C0           /* int16[512], updated: mean Rbar over visited cells */
#define PONG_MB_REWARD_CURVE 0x6C0    /* int16[512], updated: mean R per curve block */

void kernel_pong(void);

#endif
