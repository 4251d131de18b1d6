/* Portable C model of the vector unit (semantics in ppu/fxv.h). */
#include "ppu/fxv.h"
#include "ppu/time.h"

int8_t fxv_i8(uint8_t raw) { return (int8_t)(raw < 128u ? (int)raw : (int)raw - 256); }

uint8_t fxv_u8(int8_t lane) { return (uint8_t)(lane < 0 ? lane + 256 : lane); }

/* floor(x / 2^n) without relying on the implementation-defined >> of negative ints. */
int32_t fxs_shr(int32_t x, unsigned n)
{
    if (x >= 0)
        return x >> n;
    return -(int32_t)(((uint32_t)(-(x + 1))) >> n) - 1;
}

static int8_t clip8(int32_t x) { return (int8_t)(x > 127 ? 127 : (x < -128 ? -128 : x)); }

int16_t fxs_clip16(int32_t x) { return (int16_t)(x > 32767 ? 32767 : (x < -32768 ? -32768 : x)); }

int16_t fxs_mul16(int16_t a, int16_t b, unsigned frac_bits)
{
    int32_t half = frac_bits ? (int32_t)1 << (frac_bits - 1u) : 0;
    return fxs_clip16(fxs_shr((int32_t)a * b + half, frac_bits));
}

static int8_t wrap8(int32_t x) { return fxv_i8((uint8_t)((uint32_t)x & 0xFFu)); }

void fxv8_splat(fxv8_t *out, int8_t value)
{
    unsigned i;
    for (i = 0; i < FXV8_LANES; ++i)
        out->e[i] = value;
    time_charge(CYC_VEC_ALU);
}

void fxv8_add_mod(fxv8_t *out, const fxv8_t *a, const fxv8_t *b)
{
    unsigned i;
    for (i = 0; i < FXV8_LANES; ++i)
        out->e[i] = wrap8((int32_t)a->e[i] + b->e[i]);
    time_charge(CYC_VEC_ALU);
}

void fxv8_sub_mod(fxv8_t *out, const fxv8_t *a, const fxv8_t *b)
{
    unsigned i;
    for (i = 0; i < FXV8_LANES; ++i)
        out->e[i] = wrap8((int32_t)a->e[i] - b->e[i]);
    time_charge(CYC_VEC_ALU);
}

void fxv8_add_sat(fxv8_t *out, const fxv8_t *a, const fxv8_t *b)
{
    unsigned i;
    for (i = 0; i < FXV8_LANES; ++i)
        out->e[i] = clip8((int32_t)a->e[i] + b->e[i]);
    time_charge(CYC_VEC_ALU);
}

void fxv8_sub_sat(fxv8_t *out, const fxv8_t *a, const fxv8_t *b)
{
    unsigned i;
    for (i = 0; i < FXV8_LANES; ++i)
        out->e[i] = clip8((int32_t)a->e[i] - b->e[i]);
    time_charge(CYC_VEC_ALU);
}

void fxv8_mul_sat(fxv8_t *out, const fxv8_t *a, const fxv8_t *b)
{
    unsigned i;
    for (i = 0; i < FXV8_LANES; ++i)
        out->e[i] = clip8(fxs_shr((int32_t)a->e[i] * b->e[i] + 64, 7));
    time_charge(CYC_VEC_ALU);
}

void fxv8_shr_u(fxv8_t *out, const fxv8_t *a, unsigned n)
{
    unsigned i;
    for (i = 0; i < FXV8_LANES; ++i)
        out->e[i] = fxv_i8((uint8_t)(fxv_u8(a->e[i]) >> n));
    time_charge(CYC_VEC_ALU);
}

void fxv8_scale_u(fxv8_t *out, const fxv8_t *a, uint8_t k)
{
    unsigned i;
    for (i = 0; i < FXV8_LANES; ++i)
        out->e[i] = fxv_i8((uint8_t)(((uint32_t)fxv_u8(a->e[i]) * k) >> 8));
    time_charge(CYC_VEC_ALU);
}

void fxv8_clamp(fxv8_t *out, const fxv8_t *a, int8_t lo, int8_t hi)
{
    unsigned i;
    for (i = 0; i < FXV8_LANES; ++i)
        out->e[i] = a->e[i] < lo ? lo : (a->e[i] > hi ? hi : a->e[i]);
    time_charge(4u * CYC_VEC_ALU);
}

void fxv8_select_neg(fxv8_t *out, const fxv8_t *cond, const fxv8_t *a, const fxv8_t *b)
{
    unsigned i;
    for (i = 0; i < FXV8_LANES; ++i)
        out->e[i] = cond->e[i] < 0 ? a->e[i] : b->e[i];
    time_charge(2u * CYC_VEC_ALU);
}

unsigned fxv8_count_neg(const fxv8_t *a)
{
    unsigned i, n = 0;
    for (i = 0; i < FXV8_LANES; ++i)
        n += a->e[i] < 0;
    time_charge(8u * CYC_VEC_ALU);
    return n;
}

void fxv16_splat(fxv16_t *out, int16_t value)
{
    unsigned i;
    for (i = 0; i < FXV16_LANES; ++i)
        out->e[i] = value;
    time_charge(CYC_VEC_ALU);
}

void fxv16_add_sat(fxv16_t *out, const fxv16_t *a, const fxv16_t *b)
{
    unsigned i;
    for (i = 0; i < FXV16_LANES; ++i)
        out->e[i] = fxs_clip16((int32_t)a->e[i] + b->e[i]);
    time_charge(CYC_VEC_ALU);
}

void fxv16_sub_sat(fxv16_t *out, const fxv16_t *a, const fxv16_t *b)
{
    unsigned i;
    for (i = 0; i < FXV16_LANES; ++i)
        out->e[i] = fxs_clip16((int32_t)a->e[i] - b->e[i]);
    time_charge(CYC_VEC_ALU);
}

void fxv16_mul_sat(fxv16_t *out, const fxv16_t *a, const fxv16_t *b, unsigned frac_bits)
{
    unsigned i;
    for (i = 0; i < FXV16_LANES; ++i)
        out->e[i] = fxs_mul16(a->e[i], b->e[i], frac_bits);
    time_charge(CYC_VEC_ALU);
}

void fxv16_shr(fxv16_t *out, const fxv16_t *a, unsigned n)
{
    unsigned i;
    for (i = 0; i < FXV16_LANES; ++i)
        out->e[i] = (int16_t)fxs_shr(a->e[i], n);
    time_charge(CYC_VEC_ALU);
}

void fxv16_max(fxv16_t *out, const fxv16_t *a, const fxv16_t *b)
{
    unsigned i;
    for (i = 0; i < FXV16_LANES; ++i)
        out->e[i] = a->e[i] > b->e[i] ? a->e[i] : b->e[i];
    time_charge(2u * CYC_VEC_ALU);
}

void fxv16_min(fxv16_t *out, const fxv16_t *a, const fxv16_t *b)
{
    unsigned i;
    for (i = 0; i < FXV16_LANES; ++i)
        out->e[i] = a->e[i] < b->e[i] ? a->e[i] : b->e[i];
    time_charge(2u * CYC_VEC_ALU);
}

void fxv16_clamp(fxv16_t *out, const fxv16_t *a, int16_t lo, int16_t hi)
{
    unsigned i;
    for (i = 0; i < FXV16_LANES; ++i)
        out->e[i] = a->e[i] < lo ? lo : (a->e[i] > hi ? hi : a->e[i]);
    time_charge(4u * CYC_VEC_ALU);
}

void fxv16_unpack_u8(fxv16_t *out, const fxv8_t *a, unsigned part)
{
    unsigned i;
    for (i = 0; i < FXV16_LANES; ++i)
        out->e[i] = (int16_t)fxv_u8(a->e[part * FXV16_LANES + i]);
    time_charge(CYC_VEC_ALU);
}

void fxv8_pack_mod(fxv8_t *out, const fxv16_t *lo, const fxv16_t *hi)
{
    unsigned i;
    for (i = 0; i < FXV16_LANES; ++i) {
        out->e[i] = wrap8(lo->e[i]);
        out->e[FXV16_LANES + i] = wrap8(hi->e[i]);
    }
    time_charge(CYC_VEC_ALU);
}
