/* CGP rule kernel (see cgp.h). */
#include "kernels/cgp.h"
#include "ppu/cadc.h"
#include "ppu/correlation.h"
#include "ppu/mailbox.h"
#include "ppu/rate.h"
#include "ppu/state.h"
#include "ppu/synram.h"

typedef struct {
    uint8_t n_nodes, op[CGP_MAX_NODES], a[CGP_MAX_NODES], b[CGP_MAX_NODES];
    int16_t constants[CGP_CONSTANTS];
} program_t;

static void load_program(program_t *p)
{
    unsigned j;
    p->n_nodes = mailbox_u8(CGP_MB_N_NODES);
    if (p->n_nodes > CGP_MAX_NODES)
        p->n_nodes = CGP_MAX_NODES;
    for (j = 0; j < p->n_nodes; ++j) {
        p->op[j] = mailbox_u8((uint16_t)(CGP_MB_NODES + 3u * j));
        p->a[j] = mailbox_u8((uint16_t)(CGP_MB_NODES + 3u * j + 1u));
        p->b[j] = mailbox_u8((uint16_t)(CGP_MB_NODES + 3u * j + 2u));
    }
    for (j = 0; j < CGP_CONSTANTS; ++j)
        p->constants[j] = mailbox_i16((uint16_t)(CGP_MB_CONSTANTS + 2u * j));
}

/* Evaluate the program on 64 synapses; value[0..CGP_INPUTS) are the inputs. Returns the output. */
static const fxv16_t *evaluate(const program_t *p, fxv16_t value[CGP_INPUTS + CGP_MAX_NODES], const fxv16_t *zero)
{
    unsigned j;
    for (j = 0; j < p->n_nodes; ++j) {
        unsigned available = CGP_INPUTS + j;
        const fxv16_t *x = p->a[j] < available ? &value[p->a[j]] : zero;
        const fxv16_t *y = p->b[j] < available ? &value[p->b[j]] : zero;
        fxv16_t *out = &value[available];
        switch (p->op[j]) {
        case CGP_OP_ADD: fxv16_add_sat(out, x, y); break;
        case CGP_OP_SUB: fxv16_sub_sat(out, x, y); break;
        case CGP_OP_MUL: fxv16_mul_sat(out, x, y, 8); break;
        case CGP_OP_SHR: fxv16_shr(out, x, p->b[j] & 15u); break;
        case CGP_OP_MAX: fxv16_max(out, x, y); break;
        case CGP_OP_MIN: fxv16_min(out, x, y); break;
        case CGP_OP_CONST: fxv16_splat(out, p->constants[p->a[j] % CGP_CONSTANTS]); break;
        default: fxv16_splat(out, 0); break;
        }
    }
    return p->n_nodes ? &value[CGP_INPUTS + p->n_nodes - 1u] : zero;
}

void kernel_cgp(void)
{
    program_t p;
    fxv8_t causal[2], acausal[2], rate[2], membrane[2], w8;
    fxv16_t value[CGP_INPUTS + CGP_MAX_NODES], w[2], dw, zero, one, four;
    unsigned row, half, part;
    int reset = mailbox_u8(CGP_MB_RESET) != 0;
    load_program(&p);
    fxv16_splat(&zero, 0);
    fxv16_splat(&one, 1);
    fxv16_splat(&four, 4);
    rate_read(rate);
    if (reset)
        rate_reset();
    cadc_read_membranes(membrane);
    fxv16_splat(&value[3], mailbox_i16(CGP_MB_REWARD));
    for (row = 0; row < PPU_ROWS; ++row) {
        if (!mailbox_bit(CGP_MB_ROWS, row))
            continue;
        corr_read_row((uint8_t)row, causal, acausal);
        if (reset)
            corr_reset_row((uint8_t)row);
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
                y = evaluate(&p, value, &zero);
                fxv16_mul_sat(&dw, y, &one, 2);
                fxv16_add_sat(&w[part], &w[part], &dw);
                fxv16_clamp(&w[part], &w[part], 0, SYNRAM_WEIGHT_MAX);
            }
            fxv8_pack_mod(&w8, &w[0], &w[1]);
            synram_store_weights(&w8, (uint8_t)row, half);
        }
    }
}
