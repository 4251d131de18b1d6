/* Pong kernel (see pong.h): the PPU plays the game, rewards the network and updates its
 * weights with reward-modulated STDP; the host only starts the run. */
#include "kernels/pong.h"
#include "kernels/terms.h"
#include "ppu/correlation.h"
#include "ppu/mailbox.h"
#include "ppu/random.h"
#include "ppu/rate.h"
#include "ppu/spikes.h"
#include "ppu/state.h"
#include "ppu/synram.h"
#include "ppu/time.h"

#define ONE 65536
#define CELL_SHIFT 11 /* 65536 / 32 cells */

static int32_t as_i32(uint32_t u) { return u >= 0x80000000u ? -(int32_t)(~u) - 1 : (int32_t)u; }
static uint32_t as_u32(int32_t v) { return v < 0 ? ~(uint32_t)(-(v + 1)) : (uint32_t)v; }
static int32_t abs32(int32_t v) { return v < 0 ? -v : v; }

static unsigned cell_of(int32_t y)
{
    int32_t c = (y < 0 ? 0 : y) >> CELL_SHIFT;
    return c > PONG_UNITS - 1 ? PONG_UNITS - 1u : (unsigned)c;
}

static int32_t ball_coordinate(unsigned axis) { return as_i32(mailbox_u32((uint16_t)(PONG_MB_BALL + 4u * axis))); }
static int32_t velocity(unsigned axis) { return as_i32(mailbox_u32((uint16_t)(PONG_MB_VELOCITY + 4u * axis))); }

static void set_pair(uint16_t offset, int32_t x, int32_t y)
{
    mailbox_set_u32(offset, as_u32(x));
    mailbox_set_u32((uint16_t)(offset + 4u), as_u32(y));
}

/* Ball and paddle to the centre, random direction (one draw). */
static void new_game(void)
{
    uint32_t d = random_next();
    uint32_t speed = mailbox_u16(PONG_MB_BALL_SPEED);
    uint32_t vx = 32768u + ((d >> 16) >> 1);
    uint32_t vy = (uint32_t)ONE - vx;
    int32_t sx = (int32_t)((speed * vx) >> 16), sy = (int32_t)((speed * vy) >> 16);
    set_pair(PONG_MB_BALL, ONE / 2, ONE / 2);
    set_pair(PONG_MB_VELOCITY, (d & 1u) ? -sx : sx, (d & 2u) ? -sy : sy);
    mailbox_set_u32(PONG_MB_PADDLE, (uint32_t)(ONE / 2));
    time_charge(12u * CYC_SCALAR);
}

static void count_up(uint16_t offset)
{
    uint16_t n = mailbox_u16(offset);
    mailbox_set_u16(offset, (uint16_t)(n < 0xFFFFu ? n + 1u : n));
}

/* One game step with the paddle moving towards `target`. */
static void game_step(unsigned target)
{
    int32_t x = ball_coordinate(0), y = ball_coordinate(1), vx = velocity(0), vy = velocity(1);
    int32_t paddle = (int32_t)mailbox_u32(PONG_MB_PADDLE);
    int32_t r = (int32_t)mailbox_u16(PONG_MB_BALL_RADIUS);
    int32_t half = (int32_t)(mailbox_u16(PONG_MB_PADDLE_LENGTH) >> 1);
    int32_t pspeed = (int32_t)mailbox_u16(PONG_MB_PADDLE_SPEED);
    unsigned pcell = cell_of(paddle);
    time_charge(20u * CYC_SCALAR);
    if (y + r >= ONE)
        vy = -abs32(vy);
    if (y - r <= 0)
        vy = abs32(vy);
    if (x - r <= 0)
        vx = abs32(vx);
    if (x + r >= ONE) {
        if (abs32(y - paddle) <= half) {
            vx = -abs32(vx);
            count_up(PONG_MB_HITS);
        } else {
            count_up(PONG_MB_MISSES);
            new_game();
            return;
        }
    }
    if (pcell < target)
        paddle += pspeed;
    else if (pcell > target)
        paddle -= pspeed;
    paddle = paddle < 0 ? 0 : (paddle > ONE ? ONE : paddle);
    mailbox_set_u32(PONG_MB_PADDLE, (uint32_t)paddle);
    set_pair(PONG_MB_BALL, x + vx, y + vy);
    set_pair(PONG_MB_VELOCITY, vx, vy);
}

/* Output unit with the highest rate count; ties broken by one draw. Resets the counters. */
static unsigned choose_target(void)
{
    fxv8_t counts[2];
    unsigned j, n_ties = 0, best = 0, pick;
    uint8_t count[PONG_UNITS];
    rate_read(counts);
    rate_reset();
    for (j = 0; j < PONG_UNITS; ++j) {
        unsigned col = mailbox_u8((uint16_t)(PONG_MB_OUTPUT_COLUMNS + j));
        count[j] = fxv_u8(counts[col / FXV8_LANES].e[col % FXV8_LANES]);
        if (count[j] > best || j == 0) {
            best = count[j];
            n_ties = 1;
        } else if (count[j] == best) {
            ++n_ties;
        }
    }
    pick = random_next() % n_ties;
    time_charge(8u * PONG_UNITS * CYC_SCALAR);
    for (j = 0; j < PONG_UNITS; ++j)
        if (count[j] == best && pick-- == 0u)
            return j;
    return 0;
}

/* w <- clip(w + terms_stdp(causal, 0, offset/2, 0, f), 0, 63) on the output columns of `row`
 * (only the column of output unit `target` if chosen_only is set). */
static void learn_row(uint8_t row, int8_t factor, unsigned target)
{
    fxv8_t causal[2], acausal[2], offset[2], zero, f, mask[2], dw, w;
    unsigned half, j, chosen_only = mailbox_u8(PONG_MB_CHOSEN_ONLY);
    fxv8_splat(&zero, 0);
    fxv8_splat(&f, factor);
    fxv8_splat(&mask[0], 0);
    fxv8_splat(&mask[1], 0);
    for (j = 0; j < PONG_UNITS; ++j) {
        unsigned col = mailbox_u8((uint16_t)(PONG_MB_OUTPUT_COLUMNS + j));
        if (chosen_only == 0u || j == target)
            mask[col / FXV8_LANES].e[col % FXV8_LANES] = -1;
    }
    time_charge(2u * PONG_UNITS * CYC_SCALAR);
    terms_load_half_offsets(offset, PONG_MB_CAUSAL_OFFSET);
    corr_read_row(row, causal, acausal);
    corr_reset_row(row);
    for (half = 0; half < 2u; ++half) {
        terms_stdp(&dw, &causal[half], &zero, &offset[half], &zero, &f);
        fxv8_select_neg(&dw, &mask[half], &dw, &zero);
        synram_load_weights(&w, row, half);
        fxv8_add_sat(&w, &w, &dw);
        fxv8_clamp(&w, &w, 0, SYNRAM_WEIGHT_MAX);
        synram_store_weights(&w, row, half);
    }
}

/* Mean expected reward over the visited cells (Q1.14; 0 before any visit). */
static int16_t mean_expected_reward(void)
{
    int32_t sum = 0, n = 0;
    unsigned k;
    for (k = 0; k < PONG_UNITS; ++k) {
        if (mailbox_u16((uint16_t)(PONG_MB_VISITS + 2u * k)) == 0u)
            continue;
        sum += mailbox_i16((uint16_t)(PONG_MB_EXPECTED_REWARD + 2u * k));
        ++n;
    }
    time_charge(4u * PONG_UNITS * CYC_SCALAR + 40u);
    if (n == 0)
        return 0;
    return (int16_t)(sum >= 0 ? sum / n : -((-sum + n - 1) / n)); /* floor */
}

static void record_curve(int32_t reward)
{
    uint32_t iteration = mailbox_u32(PONG_MB_ITERATION) + 1u;
    uint32_t sum = mailbox_u32(PONG_MB_REWARD_SUM) + (uint32_t)reward;
    uint16_t every = mailbox_u16(PONG_MB_CURVE_EVERY);
    mailbox_set_u32(PONG_MB_ITERATION, iteration);
    if (every == 0u || iteration % every != 0u) {
        mailbox_set_u32(PONG_MB_REWARD_SUM, sum);
        return;
    }
    {
        uint16_t s = mailbox_u16(PONG_MB_SAMPLES);
        if (s < PONG_CURVE_SAMPLES) {
            mailbox_set_i16((uint16_t)(PONG_MB_CURVE + 2u * s), mean_expected_reward());
            mailbox_set_i16((uint16_t)(PONG_MB_REWARD_CURVE + 2u * s), (int16_t)(sum / every));
            mailbox_set_u16(PONG_MB_SAMPLES, (uint16_t)(s + 1u));
        }
    }
    mailbox_set_u32(PONG_MB_REWARD_SUM, 0u);
    time_charge(10u * CYC_SCALAR + 40u);
}

/* One iteration: act, reward, learn, step the game. */
static void play_and_learn(void)
{
    unsigned k = mailbox_u16(PONG_MB_BALL_CELL) % PONG_UNITS;
    unsigned target = choose_target();
    unsigned distance = target > k ? target - k : k - target;
    uint16_t mean_at = (uint16_t)(PONG_MB_EXPECTED_REWARD + 2u * k);
    int32_t reward = distance < 4u ? mailbox_i16((uint16_t)(PONG_MB_REWARDS + 2u * distance)) : 0;
    int16_t expected, d;
    int32_t f;
    if (mailbox_u16((uint16_t)(PONG_MB_VISITS + 2u * k)) == 0u)
        mailbox_set_i16(mean_at, (int16_t)reward);
    expected = mailbox_i16(mean_at);
    d = fxs_clip16(reward - expected);
    f = fxs_shr((int32_t)mailbox_i16(PONG_MB_ETA) * d + (1 << 13), 14);
    learn_row(mailbox_u8((uint16_t)(PONG_MB_INPUT_ROWS + k)), (int8_t)(f > 127 ? 127 : (f < -128 ? -128 : f)),
               target);
    mailbox_set_i16(mean_at, fxs_clip16((int32_t)expected + fxs_shr(d, mailbox_u8(PONG_MB_MEAN_SHIFT) & 15u)));
    count_up((uint16_t)(PONG_MB_VISITS + 2u * k));
    mailbox_set_u16(PONG_MB_TARGET, (uint16_t)target);
    mailbox_set_i16(PONG_MB_REWARD, (int16_t)reward);
    record_curve(reward);
    game_step(target);
    time_charge(16u * CYC_SCALAR);
}

/* Noise probability (/256) after the iterations played: decays by 1 every noise_decay. */
static uint32_t noise_now(void)
{
    uint32_t noise = mailbox_u8(PONG_MB_NOISE), decay = mailbox_u16(PONG_MB_NOISE_DECAY);
    uint32_t low = mailbox_u8(PONG_MB_NOISE_FLOOR), drop;
    if (decay == 0u)
        return noise;
    low = low < noise ? low : noise;
    drop = mailbox_u32(PONG_MB_ITERATION) / decay;
    time_charge(40u); /* the division */
    return noise - low > drop ? noise - drop : low;
}

static void send_events(void)
{
    unsigned k = mailbox_u16(PONG_MB_BALL_CELL) % PONG_UNITS;
    unsigned i, n = mailbox_u8(PONG_MB_BALL_EVENTS);
    uint16_t label = mailbox_u16((uint16_t)(PONG_MB_INPUT_LABELS + 2u * k));
    uint32_t draw = 0, noise;
    for (i = 0; i < n; ++i)
        hal_send_spike(label);
    if (mailbox_u8(PONG_MB_NOISE) == 0u)
        return;
    noise = noise_now(); /* the draws and the cost follow the parameter, not the decayed value */
    for (i = 0; i < PONG_UNITS; ++i) {
        if (i % 4u == 0u)
            draw = random_next();
        if (((draw >> (24u - 8u * (i % 4u))) & 0xFFu) < noise)
            hal_send_spike(mailbox_u16((uint16_t)(PONG_MB_NOISE_LABELS + 2u * i)));
        else
            time_charge(CYC_OMNIBUS + 2u * CYC_SRAM); /* same time either way: cost from parameters only */
    }
    time_charge(3u * PONG_UNITS * CYC_SCALAR);
}

void kernel_pong(void)
{
    uint32_t calls = mailbox_u32(PONG_MB_CALLS);
    unsigned window = mailbox_u8(PONG_MB_WINDOW);
    if (calls == 0u)
        new_game();
    else if (window != 0u && calls % window == 0u)
        play_and_learn();
    mailbox_set_u16(PONG_MB_BALL_CELL, (uint16_t)cell_of(ball_coordinate(1)));
    send_events();
    mailbox_set_u32(PONG_MB_CALLS, calls + 1u);
    time_charge(6u * CYC_SCALAR);
}
