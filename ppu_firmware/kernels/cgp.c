/* CGP rule kernel (see cgp.h). */
#include "kernels/cgp.h"
#include "ppu/cadc.h"
#include "ppu/correlation.h"
#include "ppu/mailbox.h"
#include "ppu/rate.h"
#include "ppu/state.h"
#include "ppu/synram.h"
#include "ppu/time.h"

typedef struct {
    uint8_t n_nodes, op[CGP_MAX_NODES], a[CGP_MAX_NODES], b[CGP_MAX_NODES];
    int16_t constants[CGP_CONSTANTS];
    int uses_target, uses_psp;
} program_t;

static int refers_to(const program_t *p, unsigned j, unsigned index)
{
    return p->op[j] != CGP_OP_CONST && (p->a[j] == index || (p->op[j] != CGP_OP_SHR && p->b[j] == index));
}

static void load_program(program_t *p)
{
    unsigned j;
    p->n_nodes = mailbox_u8(CGP_MB_N_NODES);
    if (p->n_nodes > CGP_MAX_NODES)
        p->n_nodes = CGP_MAX_NODES;
    p->uses_target = p->uses_psp = 0;
    for (j = 0; j < p->n_nodes; ++j) {
        p->op[j] = mailbox_u8((uint16_t)(CGP_MB_NODES + 3u * j));
        p->a[j] = mailbox_u8((uint16_t)(CGP_MB_NODES + 3u * j + 1u));
        p->b[j] = mailbox_u8((uint16_t)(CGP_MB_NODES + 3u * j + 2u));
        p->uses_target |= refers_to(p, j, CGP_INPUT_TARGET);
        p->uses_psp |= refers_to(p, j, CGP_INPUT_PSP);
    }
    time_charge(4u * CYC_SCALAR * p->n_nodes);
    for (j = 0; j < CGP_CONSTANTS; ++j)
        p->constants[j] = mailbox_i16((uint16_t)(CGP_MB_CONSTANTS + 2u * j));
}

/* floor(a * 256 / b) saturated to int16; b = 0 gives the limit (sign of a), 0 / 0 = 0. */
static int16_t div_q8(int16_t a, int16_t b)
{
    int32_t n = (int32_t)a * 256, q;
    if (b == 0)
        return (int16_t)(a > 0 ? 32767 : (a < 0 ? -32768 : 0));
    q = n / b;
    if (n % b != 0 && ((n < 0) != (b < 0)))
        q -= 1;
    return fxs_clip16(q);
}

static void fxv16_div(fxv16_t *out, const fxv16_t *x, const fxv16_t *y)
{
    unsigned i;
    for (i = 0; i < FXV16_LANES; ++i)
        out->e[i] = div_q8(x->e[i], y->e[i]);
    time_charge(FXV16_LANES * CGP_DIV_CYCLES);
}

static const fxv16_t *operand(const fxv16_t value[CGP_VALUES], unsigned index, unsigned available,
                              const fxv16_t *zero)
{
    return index < available || index == CGP_INPUT_TARGET || index == CGP_INPUT_PSP ? &value[index] : zero;
}

/* Evaluate the program on 64 synapses; value[0..CGP_INPUTS) and the target/psp inputs are
 * set. Returns the output. */
static const fxv16_t *evaluate(const program_t *p, fxv16_t value[CGP_VALUES], const fxv16_t *zero)
{
    unsigned j;
    for (j = 0; j < p->n_nodes; ++j) {
        unsigned available = CGP_INPUTS + j;
        const fxv16_t *x = operand(value, p->a[j], available, zero);
        const fxv16_t *y = operand(value, p->b[j], available, zero);
        fxv16_t *out = &value[available];
        switch (p->op[j]) {
        case CGP_OP_ADD: fxv16_add_sat(out, x, y); break;
        case CGP_OP_SUB: fxv16_sub_sat(out, x, y); break;
        case CGP_OP_MUL: fxv16_mul_sat(out, x, y, 8); break;
        case CGP_OP_SHR: fxv16_shr(out, x, p->b[j] & 15u); break;
        case CGP_OP_MAX: fxv16_max(out, x, y); break;
        case CGP_OP_MIN: fxv16_min(out, x, y); break;
        case CGP_OP_CONST: fxv16_splat(out, p->constants[p->a[j] % CGP_CONSTANTS]); break;
        case CGP_OP_DIV: fxv16_div(out, x, y); break;
        default: fxv16_splat(out, 0); break;
        }
    }
    return p->n_nodes ? &value[CGP_INPUTS + p->n_nodes - 1u] : zero;
}

/* Membrane sample of each column's target column (a scalar gather through the SRAM). */
static void gather_targets(fxv8_t target[2], const fxv8_t membrane[2])
{
    unsigned c;
    for (c = 0; c < 2u * FXV8_LANES; ++c) {
        uint8_t t = mailbox_u8((uint16_t)(CGP_MB_TARGET_COLUMN + c));
        target[c / FXV8_LANES].e[c % FXV8_LANES] = membrane[t / FXV8_LANES].e[t % FXV8_LANES];
        time_charge(2u * CYC_SRAM);
    }
}

/* Lane c is -1 where column c is frozen, else 0. */
static void load_frozen_mask(fxv8_t frozen[2])
{
    unsigned c;
    for (c = 0; c < 2u * FXV8_LANES; ++c)
        frozen[c / FXV8_LANES].e[c % FXV8_LANES] = (int8_t)-mailbox_bit(CGP_MB_FROZEN_COLUMNS, c);
}

void kernel_cgp(void)
{
    program_t p;
    fxv8_t causal[2], acausal[2], rate[2], membrane[2], target[2], frozen[2], w8, w8_new;
    fxv16_t value[CGP_VALUES], w[2], dw, zero, four, eta;
    unsigned row, half, part, psp_column = mailbox_u8(CGP_MB_PSP_COLUMN);
    unsigned eta_shift = mailbox_u8(CGP_MB_ETA_SHIFT);
    int reset = mailbox_u8(CGP_MB_RESET) != 0;
    load_program(&p);
    fxv16_splat(&zero, 0);
    fxv16_splat(&four, 4);
    fxv16_splat(&eta, (int16_t)(1u << (eta_shift < CGP_MAX_ETA_SHIFT ? eta_shift : CGP_MAX_ETA_SHIFT)));
    load_frozen_mask(frozen);
    rate_read(rate);
    if (reset)
        rate_reset();
    cadc_read_membranes(membrane);
    if (p.uses_target)
        gather_targets(target, membrane);
    fxv16_splat(&value[3], mailbox_i16(CGP_MB_REWARD));
    fxv16_splat(&value[CGP_INPUT_TARGET], 0);
    fxv16_splat(&value[CGP_INPUT_PSP], 0);
    for (row = 0; row < PPU_ROWS; ++row) {
        if (!mailbox_bit(CGP_MB_ROWS, row))
            continue;
        corr_read_row((uint8_t)row, causal, acausal);
        if (reset)
            corr_reset_row((uint8_t)row);
        if (p.uses_psp)
            fxv16_splat(&value[CGP_INPUT_PSP],
                        (int16_t)fxv_u8(causal[psp_column / FXV8_LANES].e[psp_column % FXV8_LANES]));
        for (half = 0; half < 2u; ++half) {
            synram_load_weights(&w8, (uint8_t)row, half);
            for (part = 0; part < 2u; ++part) {
                const fxv16_t *y;
                fxv16_unpack_u8(&value[0], &causal[half], part);
                fxv16_unpack_u8(&value[1], &acausal[half], part);
                fxv16_unpack_u8(&w[part], &w8, part);
                fxv16_mul_sat(&value[2], &w[part], &four, 0);
                fxv16_unpack_u8(&value[4], &rate[half], part);
                fxv16_unpack_u8(&value[5], &membrane[half], part);
                if (p.uses_target)
                    fxv16_unpack_u8(&value[CGP_INPUT_TARGET], &target[half], part);
                y = evaluate(&p, value, &zero);
                fxv16_mul_sat(&dw, y, &eta, 2);
                fxv16_add_sat(&w[part], &w[part], &dw);
                fxv16_clamp(&w[part], &w[part], 0, SYNRAM_WEIGHT_MAX);
            }
            fxv8_pack_mod(&w8_new, &w[0], &w[1]);
            fxv8_select_neg(&w8, &frozen[half], &w8, &w8_new);
            synram_store_weights(&w8, (uint8_t)row, half);
        }
    }
}
