/* Firmware unit tests: HAL edge cases and every kernel on fixed pseudo-random data.
 *
 * Prints one "name: value" line per result. The host build and the PowerPC build
 * (run under qemu-ppc-static) must print identical text; tests/test_ppu_cross.py
 * compares them and checks the HAL lines against known values.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernels/cgp.h"
#include "kernels/homeostasis.h"
#include "kernels/rstdp.h"
#include "kernels/stdp.h"
#include "kernels/structural.h"
#include "kernels/table.h"
#include "ppu/fxv.h"
#include "ppu/mailbox.h"
#include "ppu/random.h"
#include "ppu/spikes.h"
#include "ppu/state.h"
#include "ppu/time.h"

#define SYNAPSES (PPU_ROWS * PPU_COLUMNS)

static uint8_t weights[SYNAPSES], labels[SYNAPSES], causal[SYNAPSES], acausal[SYNAPSES];
static uint8_t corr_reset[PPU_ROWS], rate_counters[PPU_COLUMNS], cadc[PPU_COLUMNS];
static uint8_t mailbox[PPU_MAILBOX_BYTES];
static ppu_state_t state = {weights, labels, causal, acausal, corr_reset, rate_counters, cadc, mailbox, 0, 1};

static uint32_t lcg_state = 12345u;

/* Test data generator (independent of the HAL's xorshift): 32-bit LCG, top byte. */
static uint8_t lcg_byte(void)
{
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return (uint8_t)(lcg_state >> 24);
}

static void fill(uint8_t *buffer, uint32_t n, unsigned modulus)
{
    uint32_t i;
    for (i = 0; i < n; ++i)
        buffer[i] = (uint8_t)(lcg_byte() % modulus);
}

static uint32_t fnv1a(const uint8_t *data, uint32_t n)
{
    uint32_t h = 2166136261u, i;
    for (i = 0; i < n; ++i)
        h = (h ^ data[i]) * 16777619u;
    return h;
}

static void new_chip_state(void)
{
    fill(weights, SYNAPSES, 64);
    fill(labels, SYNAPSES, 64);
    memset(mailbox, 0, sizeof mailbox);
    memset(corr_reset, 0, sizeof corr_reset);
    state.time_cycles = 0;
    state.rng_state = 2463534242u;
}

static void new_observations(void)
{
    fill(causal, SYNAPSES, 256);
    fill(acausal, SYNAPSES, 256);
    fill(rate_counters, PPU_COLUMNS, 40);
    fill(cadc, PPU_COLUMNS, 256);
}

static void select_rows(uint16_t offset)
{
    unsigned i;
    for (i = 0; i < 32u; ++i)
        mailbox[offset + i] = (uint8_t)(i % 3u ? 0xFFu : 0x5Au);
}

static void print_state(const char *kernel, int call, int64_t cycles)
{
    printf("%s[%d]: cycles=%lld weights=%08lx labels=%08lx mailbox=%08lx rates=%08lx reset=%08lx rng=%08lx\n",
           kernel, call, (long long)cycles, (unsigned long)fnv1a(weights, SYNAPSES),
           (unsigned long)fnv1a(labels, SYNAPSES), (unsigned long)fnv1a(mailbox, PPU_MAILBOX_BYTES),
           (unsigned long)fnv1a(rate_counters, PPU_COLUMNS), (unsigned long)fnv1a(corr_reset, PPU_ROWS),
           (unsigned long)state.rng_state);
}

static void run_calls(int id, int calls)
{
    int call;
    for (call = 0; call < calls; ++call) {
        new_observations();
        print_state(ppu_kernel_name(id), call, ppu_run_kernel(&state, id));
    }
}

static void test_vector_ops(void)
{
    fxv8_t a, b, c;
    fxv16_t x, y, z;
    fxv8_splat(&a, 100);
    fxv8_splat(&b, 100);
    fxv8_add_sat(&c, &a, &b);
    printf("fxv8_add_sat(100,100): %d\n", c.e[0]);
    fxv8_add_mod(&c, &a, &b);
    printf("fxv8_add_mod(100,100): %d\n", c.e[0]);
    fxv8_splat(&a, -100);
    fxv8_sub_sat(&c, &a, &b);
    printf("fxv8_sub_sat(-100,100): %d\n", c.e[0]);
    fxv8_sub_mod(&c, &a, &b);
    printf("fxv8_sub_mod(-100,100): %d\n", c.e[0]);
    fxv8_splat(&a, -128);
    fxv8_mul_sat(&c, &a, &a);
    printf("fxv8_mul_sat(-128,-128): %d\n", c.e[0]);
    fxv8_splat(&a, -65);
    fxv8_splat(&b, 1);
    fxv8_mul_sat(&c, &a, &b);
    printf("fxv8_mul_sat(-65,1): %d\n", c.e[0]);
    fxv8_splat(&a, -2);
    fxv8_shr_u(&c, &a, 1);
    printf("fxv8_shr_u(0xfe,1): %d\n", c.e[0]);
    fxv8_scale_u(&c, &a, 64);
    printf("fxv8_scale_u(0xfe,64): %d\n", c.e[0]);
    fxv16_splat(&x, -32768);
    fxv16_mul_sat(&z, &x, &x, 15);
    printf("fxv16_mul_sat(-32768,-32768,15): %d\n", z.e[0]);
    fxv16_splat(&x, -3);
    fxv16_shr(&z, &x, 1);
    printf("fxv16_shr(-3,1): %d\n", z.e[0]);
    fxv16_splat(&y, 300);
    fxv8_pack_mod(&c, &x, &y);
    fxv16_unpack_u8(&z, &c, 1);
    printf("pack_mod/unpack_u8(300): %d\n", z.e[0]);
    printf("fxs_shr(-5,1): %ld\n", (long)fxs_shr(-5, 1));
}

static void test_mailbox_and_spikes(void)
{
    unsigned i;
    memset(mailbox, 0, sizeof mailbox);
    mailbox[0] = 0x12; mailbox[1] = 0x34; mailbox[2] = 0x56; mailbox[3] = 0x78;
    mailbox[4] = 0xFF; mailbox[5] = 0xFE;
    printf("mailbox_u16: %04x\n", (unsigned)mailbox_u16(0));
    printf("mailbox_u32: %08lx\n", (unsigned long)mailbox_u32(0));
    printf("mailbox_i16(fffe): %d\n", mailbox_i16(4));
    mailbox_set_i16(6, -2);
    printf("mailbox_set_i16(-2): %02x%02x\n", mailbox[6], mailbox[7]);
    for (i = 0; i < 300u; ++i)
        hal_send_spike((uint16_t)(i == 0 ? 0xFFFFu : i));
    printf("spikes: count=%u dropped=%u first=%u last=%u\n", (unsigned)mailbox_u16(SPIKES_QUEUE_COUNT),
           (unsigned)mailbox_u16(SPIKES_QUEUE_DROPPED), (unsigned)mailbox_u16(SPIKES_QUEUE_LABELS),
           (unsigned)mailbox_u16(SPIKES_QUEUE_LABELS + 2u * (SPIKES_QUEUE_CAPACITY - 1u)));
}

static void test_random_and_time(void)
{
    uint64_t start = time_now();
    state.rng_state = 1;
    printf("xorshift32(1): %lu", (unsigned long)random_next());
    printf(" %lu", (unsigned long)random_next());
    printf(" %lu\n", (unsigned long)random_next());
    state.rng_state = 0;
    random_next();
    printf("xorshift32(0) reseeds: %d\n", state.rng_state != 0);
    printf("time_now after 4 draws: +%lu cycles\n", (unsigned long)(time_now() - start));
}

static void test_kernels(void)
{
    new_chip_state();
    mailbox[STDP_MB_FACTOR] = 0x50;
    mailbox[STDP_MB_RESET] = 1;
    select_rows(STDP_MB_ROWS);
    fill(mailbox + STDP_MB_CAUSAL_OFFSET, 512, 30);
    run_calls(0, 3);

    new_chip_state();
    ppu_bind(&state);
    mailbox_set_i16(RSTDP_MB_ETA, 4096);
    mailbox_set_i16(RSTDP_MB_REWARD, 11469);
    mailbox[RSTDP_MB_STATE] = 5;
    mailbox[RSTDP_MB_MEAN_SHIFT] = 1;
    mailbox[RSTDP_MB_RESET] = 1;
    mailbox_set_i16(RSTDP_MB_EXPECTED_REWARD + 10, -3000);
    select_rows(RSTDP_MB_ROWS);
    fill(mailbox + RSTDP_MB_CAUSAL_OFFSET, 256, 30);
    run_calls(1, 3);

    new_chip_state();
    mailbox[HOMEOSTASIS_MB_TARGET] = 20;
    mailbox[HOMEOSTASIS_MB_STEP] = 3;
    mailbox[HOMEOSTASIS_MB_RESET] = 1;
    select_rows(HOMEOSTASIS_MB_ROWS);
    run_calls(2, 3);

    new_chip_state();
    mailbox[STRUCTURAL_MB_FACTOR] = 0x20;
    mailbox[STRUCTURAL_MB_TARGET] = 20;
    mailbox[STRUCTURAL_MB_STEP] = 1;
    mailbox[STRUCTURAL_MB_NOISE] = 3;
    mailbox[STRUCTURAL_MB_PRUNE_THRESHOLD] = 20;
    mailbox[STRUCTURAL_MB_PRUNE_PERIOD] = 2;
    mailbox[STRUCTURAL_MB_LABEL_COUNT] = 48;
    mailbox[STRUCTURAL_MB_INITIAL_WEIGHT] = 25;
    mailbox[STRUCTURAL_MB_RESET] = 1;
    select_rows(STRUCTURAL_MB_ROWS);
    fill(mailbox + STRUCTURAL_MB_CAUSAL_OFFSET, 512, 30);
    run_calls(3, 4);

    new_chip_state();
    ppu_bind(&state);
    {
        /* y = max(((causal - acausal) * reward) >> 1, constants[1]) */
        static const uint8_t nodes[] = {CGP_OP_SUB, 0, 1, CGP_OP_MUL, 6, 3, CGP_OP_SHR, 7, 1,
                                        CGP_OP_CONST, 1, 0, CGP_OP_MAX, 8, 9};
        memcpy(mailbox + CGP_MB_NODES, nodes, sizeof nodes);
    }
    mailbox[CGP_MB_N_NODES] = 5;
    mailbox[CGP_MB_RESET] = 1;
    mailbox_set_i16(CGP_MB_REWARD, -384);
    mailbox_set_i16(CGP_MB_CONSTANTS + 2, -40);
    select_rows(CGP_MB_ROWS);
    run_calls(4, 3);
}

int main(void)
{
    ppu_bind(&state);
    test_vector_ops();
    test_mailbox_and_spikes();
    test_random_and_time();
    test_kernels();
    printf("kernel ids: %d (%s..%s), unknown id -> %lld\n", ppu_kernel_count(), ppu_kernel_name(0),
           ppu_kernel_name(ppu_kernel_count() - 1), (long long)ppu_run_kernel(&state, ppu_kernel_count()));
    printf("sizeof: fxv8=%u fxv16=%u\n", (unsigned)sizeof(fxv8_t), (unsigned)sizeof(fxv16_t));
    return 0;
}
