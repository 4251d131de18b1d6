/* Structural plasticity kernel (see structural.h). */
#include "kernels/structural.h"
#include "kernels/terms.h"
#include "ppu/correlation.h"
#include "ppu/mailbox.h"
#include "ppu/random.h"
#include "ppu/state.h"
#include "ppu/synram.h"
#include "ppu/time.h"

typedef struct {
    fxv8_t factor, noise, threshold, label_count, initial_weight, zero;
    fxv8_t causal_offset[2], acausal_offset[2], homeostasis[2];
    uint8_t n_labels;
} constants_t;

/* Rewire the synapses of `w` (already updated) that are connected and below threshold;
 * returns how many. */
static unsigned prune(const constants_t *k, fxv8_t *w, uint8_t row, unsigned half)
{
    fxv8_t labels, below, connected, rewire, r;
    unsigned n;
    synram_load_labels(&labels, row, half);
    fxv8_sub_sat(&below, w, &k->threshold);
    fxv8_sub_sat(&connected, &labels, &k->label_count);
    fxv8_select_neg(&rewire, &below, &connected, &k->zero);
    random_fill(&r);
    fxv8_scale_u(&r, &r, k->n_labels);
    fxv8_select_neg(&labels, &rewire, &r, &labels);
    fxv8_select_neg(w, &rewire, &k->initial_weight, w);
    n = fxv8_count_neg(&rewire);
    synram_store_labels(&labels, row, half);
    return n;
}

static void load_constants(constants_t *k, int reset)
{
    fxv8_splat(&k->factor, mailbox_i8(STRUCTURAL_MB_FACTOR));
    fxv8_splat(&k->noise, fxv_i8(mailbox_u8(STRUCTURAL_MB_NOISE) & 0x7Fu));
    fxv8_splat(&k->threshold, fxv_i8(mailbox_u8(STRUCTURAL_MB_PRUNE_THRESHOLD) & 0x7Fu));
    k->n_labels = mailbox_u8(STRUCTURAL_MB_LABEL_COUNT);
    if (k->n_labels > SYNRAM_LABEL_MAX + 1)
        k->n_labels = SYNRAM_LABEL_MAX + 1;
    fxv8_splat(&k->label_count, (int8_t)k->n_labels);
    fxv8_splat(&k->initial_weight, fxv_i8(mailbox_u8(STRUCTURAL_MB_INITIAL_WEIGHT) & SYNRAM_WEIGHT_MAX));
    fxv8_splat(&k->zero, 0);
    terms_load_half_offsets(k->causal_offset, STRUCTURAL_MB_CAUSAL_OFFSET);
    terms_load_half_offsets(k->acausal_offset, STRUCTURAL_MB_ACAUSAL_OFFSET);
    terms_homeostasis(k->homeostasis, mailbox_u8(STRUCTURAL_MB_TARGET), mailbox_u8(STRUCTURAL_MB_STEP), reset);
}

void kernel_structural(void)
{
    constants_t k;
    fxv8_t causal[2], acausal[2], dw, w, r;
    unsigned row, half;
    int reset = mailbox_u8(STRUCTURAL_MB_RESET) != 0;
    uint8_t period = mailbox_u8(STRUCTURAL_MB_PRUNE_PERIOD);
    uint32_t calls = mailbox_u32(STRUCTURAL_MB_CALLS) + 1u;
    int pruning = period != 0 && calls % period == 0;
    uint32_t pruned = 0;
    mailbox_set_u32(STRUCTURAL_MB_CALLS, calls);
    load_constants(&k, reset);
    for (row = 0; row < PPU_ROWS; ++row) {
        if (!mailbox_bit(STRUCTURAL_MB_ROWS, row))
            continue;
        corr_read_row((uint8_t)row, causal, acausal);
        if (reset)
            corr_reset_row((uint8_t)row);
        for (half = 0; half < 2u; ++half) {
            terms_stdp(&dw, &causal[half], &acausal[half], &k.causal_offset[half], &k.acausal_offset[half], &k.factor);
            synram_load_weights(&w, (uint8_t)row, half);
            fxv8_add_sat(&w, &w, &dw);
            fxv8_add_sat(&w, &w, &k.homeostasis[half]);
            random_fill(&r);
            fxv8_mul_sat(&r, &r, &k.noise);
            fxv8_add_sat(&w, &w, &r);
            fxv8_clamp(&w, &w, 0, SYNRAM_WEIGHT_MAX);
            if (pruning)
                pruned += prune(&k, &w, (uint8_t)row, half);
            synram_store_weights(&w, (uint8_t)row, half);
        }
    }
    if (pruning) {
        mailbox_set_u32(STRUCTURAL_MB_PRUNED, mailbox_u32(STRUCTURAL_MB_PRUNED) + pruned);
        time_charge(2u * CYC_SCALAR);
    }
}
