/* Insect world kernel (see insect_world.h), with four refinements of its memory step 2 and flow events
 * (bss2_experiments/insect/chip.py explains the measurements behind them):
 *  - the memory update keeps only each side's first spatial Fourier component (the sinusoid over the 8
 *    columns, Stone et al.'s CPU4 bump): m_k += memory_gain * (2/8) (re cos(k pi/4) + im sin(k pi/4)) with
 *    re + i im = sum_j a_j e^(i j pi/4); this drops the side mean (the zero-mean update) and the harmonics
 *    of the rectified spiking tuning curves, which would integrate into a path-dependent error;
 *  - the memory is written to the synapse weight with a read-out gain, clip(MEMORY_READOUT_GAIN m + 32768
 *    + u, 0, 65535) >> 10: the accumulator holds 1000-step routes without clipping (small memory_gain) while
 *    the weights still resolve short home vectors near the nest (the read-out, not the memory, saturates);
 *  - flow events are stochastically rounded, floor(flow_events f + u) with u uniform in [0, 1), so the
 *    expected TN input is linear in the velocity instead of a staircase of 8 levels;
 *  - the heading frame rotates by one column every frame_block steps (0..7, then back): a physical column's
 *    fixed-pattern offset and gain visit every logical column, so their fundamental, which would integrate
 *    into a false home vector growing with the path, averages out whatever the turning level; blocks
 *    of a few steps, since TB1 lags a frame jump (the chain compass -> TL2 -> CL1 -> TB1 -> CPU4 input
 *    has time constants of ~10 us against a 35 us step), and the step after a jump repeats the last
 *    settled update instead of integrating counts of a half-turned TB1 bump. */
#include "kernels/insect_world.h"
#include "ppu/fxv.h"
#include "ppu/mailbox.h"
#include "ppu/random.h"
#include "ppu/rate.h"
#include "ppu/spikes.h"
#include "ppu/synram.h"
#include "ppu/time.h"

#define ANGLE_QUARTER 16384u
#define TURN_LIMIT 16384
#define ONE_Q14 16384
#define IRWIN_HALL_MEAN 131070   /* 4 x 65535 / 2 */
#define IRWIN_HALL_SD 37837      /* 65536 x sqrt(4 / 12) */
/* one hal_send_spike: the omnibus access plus three 16-bit queue accesses (hal/spikes.c) */
#define CYC_EVENT (CYC_OMNIBUS + 6u * CYC_SRAM)
#define MEMORY_READOUT_GAIN 4      /* weight = 32 + 4 m / 1024: 1/4 of the memory range spans the 6 bits */
#define FUNDAMENTAL_LIMIT 262144   /* 2^18: |re cos + im sin| < 2^31 */

/* cos(k pi / 4), k = 0..7, Q12 */
static const int32_t cos_q12[8] = {4096, 2896, 0, -2896, -4096, -2896, 0, 2896};

/* sin(k pi / 128), k = 0..64, Q14 */
static const int16_t quarter_sine[65] = {
    0, 402, 804, 1205, 1606, 2006, 2404, 2801, 3196, 3590, 3981, 4370, 4756, 5139, 5520, 5897, 6270,
    6639, 7005, 7366, 7723, 8076, 8423, 8765, 9102, 9434, 9760, 10080, 10394, 10702, 11003, 11297,
    11585, 11866, 12140, 12406, 12665, 12916, 13160, 13395, 13623, 13842, 14053, 14256, 14449, 14635,
    14811, 14978, 15137, 15286, 15426, 15557, 15679, 15791, 15893, 15986, 16069, 16143, 16207, 16261,
    16305, 16340, 16364, 16379, 16384};

/* sin of a binary angle (65536 = 2 pi), Q14, linear interpolation in the quarter table. */
static int32_t sine_q14(uint16_t angle)
{
    unsigned quadrant = angle >> 14;
    uint32_t p = angle & (ANGLE_QUARTER - 1u);
    uint32_t i, f;
    int32_t s;
    if (quadrant & 1u)
        p = ANGLE_QUARTER - p;
    i = p >> 8;
    f = p & 255u;
    s = quarter_sine[i];
    if (i < 64u)
        s += fxs_shr((quarter_sine[i + 1u] - quarter_sine[i]) * (int32_t)f, 8);
    time_charge(12);
    return quadrant >= 2u ? -s : s;
}

static int32_t cosine_q14(uint16_t angle)
{
    return sine_q14((uint16_t)(angle + ANGLE_QUARTER));
}

static int32_t as_i32(uint32_t u)
{
    return u <= 0x7FFFFFFFu ? (int32_t)u : -(int32_t)(~u) - 1;
}

static int32_t clip32(int32_t x, int32_t low, int32_t high)
{
    return x < low ? low : (x > high ? high : x);
}

static unsigned send(uint16_t label, int32_t count)
{
    int32_t i;
    for (i = 0; i < count; ++i)
        hal_send_spike(label);
    return count > 0 ? (unsigned)count : 0u;
}

/* Round(scale * x / 2^shift), x >= 0, clipped to 0..scale. */
static int32_t events_for(uint8_t scale, int32_t x, unsigned shift, int32_t one)
{
    x = clip32(x, 0, one);
    return fxs_shr(scale * x + (1 << (shift - 1u)), shift);
}

/* scale * x / 65536 with stochastic rounding (x >= 0 in Q16, clipped to 0..1): floor(scale x / 65536 + u),
 * u uniform in [0, 1) (16 bits of the PPU's xorshift), so the expected count is linear in x (no staircase). */
static int32_t events_dithered(uint8_t scale, int32_t x)
{
    x = clip32(x, 0, 65536);
    return (int32_t)(((uint32_t)(scale * x) + (random_next() >> 16)) >> 16);
}

/* Frame rotation of block b = step / frame_block: 0, 1, .., 7, 7, 6, .., 0 (each frame twice per 16
 * blocks, jumps of +-1 column in equal numbers); 0 with frame_block = 0 (off). */
static unsigned frame_of(uint16_t step)
{
    uint8_t block = mailbox_u8(INSECT_WORLD_MB_FRAME_BLOCK);
    unsigned b;
    time_charge(40);   /* the division */
    if (block == 0u)
        return 0u;
    b = (unsigned)(step / block) & 15u;
    return b < 8u ? b : 15u - b;
}

/* counts: spikes of the CPU4 input cells under the senses sent in frame `seen`; the memory is written
 * to the synapses in frame `frame` (the one the senses of this call use). `settling`: the senses of
 * the counts came in a new frame, which TB1 had not yet followed: repeat the last settled update. */
static void update_memory(const fxv8_t counts[2], unsigned seen, unsigned frame, int settling)
{
    int32_t a[INSECT_WORLD_N_COLUMNS];
    int32_t re[2] = {0, 0}, im[2] = {0, 0};
    int32_t gain = mailbox_u16(INSECT_WORLD_MB_MEMORY_GAIN);
    uint8_t row = mailbox_u8(INSECT_WORLD_MB_MEMORY_ROW);
    int32_t amplitude = mailbox_u16(INSECT_WORLD_MB_MEMORY_DITHER);
    fxv8_t w[2];
    unsigned i;
    for (i = 0; i < INSECT_WORLD_N_COLUMNS; ++i) {
        uint8_t col = mailbox_u8((uint16_t)(INSECT_WORLD_MB_CPU4_COLUMNS + i));
        unsigned k = (i - seen) & 7u;   /* physical column i of its side holds logical column k */
        a[i] = 8 * (int32_t)fxv_u8(counts[col >> 7].e[col & 127u]);
        re[i >> 3] += a[i] * cos_q12[k];
        im[i >> 3] += a[i] * cos_q12[(k + 6u) & 7u];   /* sin(k pi / 4) = cos((k - 2) pi / 4) */
    }
    for (i = 0; i < 2u; ++i) {   /* Q6, bounded so that the products below fit int32 */
        uint16_t at = (uint16_t)(INSECT_WORLD_MB_UPDATE + 8u * i);
        re[i] = clip32(fxs_shr(re[i], 6), -FUNDAMENTAL_LIMIT, FUNDAMENTAL_LIMIT);
        im[i] = clip32(fxs_shr(im[i], 6), -FUNDAMENTAL_LIMIT, FUNDAMENTAL_LIMIT);
        if (settling) {
            re[i] = as_i32(mailbox_u32(at));
            im[i] = as_i32(mailbox_u32((uint16_t)(at + 4u)));
        } else {
            mailbox_set_u32(at, (uint32_t)re[i]);
            mailbox_set_u32((uint16_t)(at + 4u), (uint32_t)im[i]);
        }
    }
    synram_load_weights(&w[0], row, 0);
    synram_load_weights(&w[1], row, 1);
    for (i = 0; i < INSECT_WORLD_N_COLUMNS; ++i) {
        uint16_t at = (uint16_t)(INSECT_WORLD_MB_MEMORY + 2u * i);
        /* logical memory i goes to the physical CPU4 neuron (i + frame) mod 8 of its side */
        unsigned physical = (i & 8u) | ((i + frame) & 7u);
        uint8_t col = mailbox_u8((uint16_t)(INSECT_WORLD_MB_MEMORY_COLUMNS + physical));
        /* the side's fundamental at column k, 2/8 (re cos + im sin), in 1/64 counts */
        int32_t d = fxs_shr(re[i >> 3] * cos_q12[i & 7u] + im[i >> 3] * cos_q12[(i + 6u) & 7u], 17);
        int32_t m = mailbox_i16(at) + fxs_shr(gain * d, 6);
        m = fxs_clip16(m);
        mailbox_set_i16(at, (int16_t)m);
        {   /* dithered rounding to 6 bits: the CPU4 read-out stays linear below one weight step */
            int32_t dither = fxs_shr((int32_t)(random_next() >> 16) * 2 * amplitude, 16) - amplitude;
            w[col >> 7].e[col & 127u] = (int8_t)(clip32(MEMORY_READOUT_GAIN * m + 32768 + dither, 0, 65535) >> 10);
        }
    }
    synram_store_weights(&w[0], row, 0);
    synram_store_weights(&w[1], row, 1);
    time_charge(16 * 12 + 16 * 6 + 8);
}

static int32_t motor(const fxv8_t counts[2])
{
    int32_t diff = 0;
    unsigned j;
    for (j = 0; j < INSECT_WORLD_N_COLUMNS; ++j) {
        uint8_t col = mailbox_u8((uint16_t)(INSECT_WORLD_MB_CPU1_COLUMNS + j));
        int32_t n = fxv_u8(counts[col >> 7].e[col & 127u]);
        diff += j < 8u ? n : -n;
    }
    time_charge(16 * 4);
    return diff;
}

static int32_t outbound_turn(void)
{
    int32_t sum = 0, noise, turn;
    unsigned k;
    for (k = 0; k < 4u; ++k)
        sum += (int32_t)(random_next() >> 16);
    noise = (sum - IRWIN_HALL_MEAN) * (int32_t)mailbox_u16(INSECT_WORLD_MB_TURN_SD) / IRWIN_HALL_SD;
    turn = mailbox_i16(INSECT_WORLD_MB_TURN_BIAS) + noise + fxs_shr(as_i32(mailbox_u32(INSECT_WORLD_MB_TURN)) * (int32_t)mailbox_u16(INSECT_WORLD_MB_TURN_MEMORY), 16);
    mailbox_set_u32(INSECT_WORLD_MB_TURN, (uint32_t)turn);
    time_charge(16);
    return turn;
}

/* compass: the heading in the call's frame (heading + frame x 45 deg); flow: the true heading */
static void send_senses(uint16_t compass_heading, uint16_t heading, int32_t vx, int32_t vy)
{
    uint8_t compass = mailbox_u8(INSECT_WORLD_MB_COMPASS_EVENTS);
    uint8_t flow = mailbox_u8(INSECT_WORLD_MB_FLOW_EVENTS);
    uint8_t memory = mailbox_u8(INSECT_WORLD_MB_MEMORY_EVENTS);
    unsigned budget = INSECT_WORLD_N_COMPASS * compass + 2u * flow + memory;
    unsigned sent = 0, i, side;
    for (i = 0; i < INSECT_WORLD_N_COMPASS; ++i) {
        uint16_t pref = (uint16_t)((i & 7u) << 13);
        int32_t n = events_for(compass, cosine_q14((uint16_t)(compass_heading - pref)), 14, ONE_Q14);
        sent += send(mailbox_u16((uint16_t)(INSECT_WORLD_MB_COMPASS_LABELS + 2u * i)), n);
    }
    for (side = 0; side < 2u; ++side) {
        /* left axis at heading + 45 deg, right at heading - 45 deg */
        uint16_t axis = (uint16_t)(side == 0u ? heading + 8192u : heading - 8192u);
        int32_t f = fxs_shr(sine_q14(axis) * fxs_shr(vx, 2) + cosine_q14(axis) * fxs_shr(vy, 2), 12);  /* Q16 */
        int32_t n = events_dithered(flow, f);
        sent += send(mailbox_u16((uint16_t)(INSECT_WORLD_MB_FLOW_LABELS + 2u * side)), n);
    }
    sent += send(mailbox_u16(INSECT_WORLD_MB_MEMORY_LABEL), memory);
    time_charge(CYC_EVENT * (budget - sent));   /* fixed-length call */
}

void kernel_insect_world(void)
{
    fxv8_t counts[2];
    uint16_t step = mailbox_u16(INSECT_WORLD_MB_STEP);
    uint16_t outbound = mailbox_u16(INSECT_WORLD_MB_OUTBOUND_STEPS);
    uint32_t total = (uint32_t)outbound + mailbox_u16(INSECT_WORLD_MB_HOMING_STEPS);
    uint16_t heading = mailbox_u16(INSECT_WORLD_MB_HEADING);
    uint8_t every = mailbox_u8(INSECT_WORLD_MB_SAMPLE_EVERY);
    int32_t turn, vx, vy, x, y, acc, drag;
    unsigned frame;
    if (step >= total)
        return;
    frame = frame_of(step);
    rate_read(counts);
    {
        unsigned seen = mailbox_u16(INSECT_WORLD_MB_FRAME);
        update_memory(counts, seen, frame, mailbox_u16(INSECT_WORLD_MB_SETTLING) != 0u);
        mailbox_set_u16(INSECT_WORLD_MB_FRAME, (uint16_t)frame);
        mailbox_set_u16(INSECT_WORLD_MB_SETTLING, (uint16_t)(frame != seen));
    }
    {
        int32_t diff = clip32(motor(counts), -32768, 32767);
        mailbox_set_i16(INSECT_WORLD_MB_MOTOR, (int16_t)diff);
        if (step < outbound)
            turn = outbound_turn();
        else
            turn = clip32(fxs_shr((8 * diff - mailbox_i16(INSECT_WORLD_MB_MOTOR_OFFSET))
                                  * (int32_t)mailbox_u16(INSECT_WORLD_MB_TURN_GAIN), 3), -TURN_LIMIT, TURN_LIMIT);
    }
    heading = (uint16_t)(heading + (uint16_t)(uint32_t)turn);
    acc = mailbox_u16(INSECT_WORLD_MB_ACCELERATION);
    drag = mailbox_u16(INSECT_WORLD_MB_DRAG);
    vx = as_i32(mailbox_u32(INSECT_WORLD_MB_VELOCITY)) + fxs_shr(acc * sine_q14(heading), 14);
    vy = as_i32(mailbox_u32(INSECT_WORLD_MB_VELOCITY + 4u)) + fxs_shr(acc * cosine_q14(heading), 14);
    vx -= fxs_shr(vx * drag, 16);
    vy -= fxs_shr(vy * drag, 16);
    x = as_i32(mailbox_u32(INSECT_WORLD_MB_POSITION)) + vx;
    y = as_i32(mailbox_u32(INSECT_WORLD_MB_POSITION + 4u)) + vy;
    mailbox_set_u16(INSECT_WORLD_MB_HEADING, heading);
    mailbox_set_u32(INSECT_WORLD_MB_VELOCITY, (uint32_t)vx);
    mailbox_set_u32(INSECT_WORLD_MB_VELOCITY + 4u, (uint32_t)vy);
    mailbox_set_u32(INSECT_WORLD_MB_POSITION, (uint32_t)x);
    mailbox_set_u32(INSECT_WORLD_MB_POSITION + 4u, (uint32_t)y);
    {
        int32_t xq = clip32(fxs_shr(x, 12), -32767, 32767), yq = clip32(fxs_shr(y, 12), -32767, 32767);
        if (step >= outbound) {
            uint32_t d2 = (uint32_t)(xq * xq) + (uint32_t)(yq * yq);
            if (d2 < mailbox_u32(INSECT_WORLD_MB_CLOSEST)) {
                mailbox_set_u32(INSECT_WORLD_MB_CLOSEST, d2);
                mailbox_set_u16(INSECT_WORLD_MB_CLOSEST_STEP, step);
            } else {
                time_charge(6u * CYC_SRAM);   /* same length either way */
            }
        }
        if (every > 0u && (step + 1u) % every == 0u) {
            uint16_t k = (uint16_t)(step / every);
            if (k < INSECT_WORLD_MAX_SAMPLES) {
                mailbox_set_i16((uint16_t)(INSECT_WORLD_MB_SAMPLE_X + 2u * k), (int16_t)xq);
                mailbox_set_i16((uint16_t)(INSECT_WORLD_MB_SAMPLE_Y + 2u * k), (int16_t)yq);
                mailbox_set_u16((uint16_t)(INSECT_WORLD_MB_SAMPLE_HEADING + 2u * k), heading);
            } else {
                time_charge(6u * CYC_SRAM);
            }
        } else {
            time_charge(6u * CYC_SRAM);   /* every call pays for a sample */
        }
    }
    mailbox_set_u16(INSECT_WORLD_MB_STEP, (uint16_t)(step + 1u));
    time_charge(60);
    send_senses((uint16_t)(heading + (frame << 13)), heading, vx, vy);
    rate_reset();
}
