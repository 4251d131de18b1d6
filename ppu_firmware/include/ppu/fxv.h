/* Vector unit: 128 x 8-bit or 64 x 16-bit lanes.
 *
 * Mirrors the s2pp vector unit of the BSS-2 PPU (one vector = 128 bytes): modulo
 * arithmetic (wraps) and fractional saturating arithmetic (clips to the type range).
 * Every call costs CYC_VEC_ALU unless noted. Lanes hold signed values; loads of 8-bit
 * data (0..255) put the raw byte in each lane, so use fxv8_shr_u or fxv16_unpack_u8 to
 * get non-negative values.
 *
 * Rounding: fractional multiplies round to nearest, ties towards +infinity
 * (round(x) = floor(x + 1/2)); shifts right round towards -infinity.
 */
#ifndef PPU_FXV_H
#define PPU_FXV_H

#include <stdint.h>

#define FXV8_LANES 128
#define FXV16_LANES 64

typedef struct { int8_t e[FXV8_LANES]; } fxv8_t;
typedef struct { int16_t e[FXV16_LANES]; } fxv16_t;

/* Byte <-> signed lane, portable (no implementation-defined conversions). */
int8_t fxv_i8(uint8_t raw);
uint8_t fxv_u8(int8_t lane);

/* ---- scalar fixed point, same rules as the lanes (cost: the caller's time_charge) ---- */
int32_t fxs_shr(int32_t x, unsigned n);                        /* floor(x / 2^n) */
int16_t fxs_clip16(int32_t x);                                 /* clip to -32768..32767 */
int16_t fxs_mul16(int16_t a, int16_t b, unsigned frac_bits);   /* as fxv16_mul_sat */

/* ---- 8-bit lanes ---- */
void fxv8_splat(fxv8_t *out, int8_t value);
void fxv8_add_mod(fxv8_t *out, const fxv8_t *a, const fxv8_t *b);  /* (a + b) mod 2^8 */
void fxv8_sub_mod(fxv8_t *out, const fxv8_t *a, const fxv8_t *b);  /* (a - b) mod 2^8 */
void fxv8_add_sat(fxv8_t *out, const fxv8_t *a, const fxv8_t *b);  /* clip(a + b, -128, 127) */
void fxv8_sub_sat(fxv8_t *out, const fxv8_t *a, const fxv8_t *b);  /* clip(a - b, -128, 127) */
/* Q0.7 fractional multiply: clip(round(a * b / 2^7), -128, 127). */
void fxv8_mul_sat(fxv8_t *out, const fxv8_t *a, const fxv8_t *b);
/* Logical shift right of the lanes read as unsigned bytes: uint8(a) >> n. */
void fxv8_shr_u(fxv8_t *out, const fxv8_t *a, unsigned n);
/* Unsigned scale: (uint8(a) * k) >> 8, maps a random byte to 0..k-1. */
void fxv8_scale_u(fxv8_t *out, const fxv8_t *a, uint8_t k);
/* clip(a, lo, hi): two compares and two selects (4 x CYC_VEC_ALU). */
void fxv8_clamp(fxv8_t *out, const fxv8_t *a, int8_t lo, int8_t hi);
/* out = cond < 0 ? a : b, lane-wise (compare + select, 2 x CYC_VEC_ALU). */
void fxv8_select_neg(fxv8_t *out, const fxv8_t *cond, const fxv8_t *a, const fxv8_t *b);
/* Number of negative lanes (reduction, 8 x CYC_VEC_ALU). */
unsigned fxv8_count_neg(const fxv8_t *a);

/* ---- 16-bit lanes ---- */
void fxv16_splat(fxv16_t *out, int16_t value);
void fxv16_add_sat(fxv16_t *out, const fxv16_t *a, const fxv16_t *b);
void fxv16_sub_sat(fxv16_t *out, const fxv16_t *a, const fxv16_t *b);
/* Fixed-point multiply with `frac_bits` fraction bits:
 * clip(round(a * b / 2^frac_bits), -32768, 32767); frac_bits = 15 is Q0.15. */
void fxv16_mul_sat(fxv16_t *out, const fxv16_t *a, const fxv16_t *b, unsigned frac_bits);
/* Arithmetic shift right: floor(a / 2^n). */
void fxv16_shr(fxv16_t *out, const fxv16_t *a, unsigned n);
void fxv16_max(fxv16_t *out, const fxv16_t *a, const fxv16_t *b);  /* 2 x CYC_VEC_ALU */
void fxv16_min(fxv16_t *out, const fxv16_t *a, const fxv16_t *b);  /* 2 x CYC_VEC_ALU */
void fxv16_clamp(fxv16_t *out, const fxv16_t *a, int16_t lo, int16_t hi);  /* 4 x CYC_VEC_ALU */

/* ---- width conversion (permute unit, CYC_VEC_ALU each) ---- */
/* Zero-extend unsigned bytes: lanes part*64 .. part*64+63 of `a`, part in {0, 1}. */
void fxv16_unpack_u8(fxv16_t *out, const fxv8_t *a, unsigned part);
/* Low byte of each 16-bit lane (modulo): lanes 0..63 from lo, 64..127 from hi. */
void fxv8_pack_mod(fxv8_t *out, const fxv16_t *lo, const fxv16_t *hi);

#endif
