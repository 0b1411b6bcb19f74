/* simd128.h: the WebAssembly SIMD128 vocabulary of the micro-kernels
 * (wasm32 target); the kernels are written once in runtime/kernels.c.
 * 4 float lanes, multiply then add (wasm has no fused multiply-add outside
 * relaxed-simd, which is not used), tails in scalar code; tiles of 4 x 4
 * (the engine maps locals to registers). f16 weights are converted with
 * integer operations (a normal value's exponent rebased by 112 << 23, twice
 * for inf/NaN; a subnormal is its mantissa times 2^-24), bf16 by a 16-bit
 * shift. int8 blocks as 16-byte vectors: int8 into int16 (i16x8.extmul,
 * exact), pairs added into int32 (i32x4.extadd_pairwise). */
#include <wasm_simd128.h>

#define VN_VL 4
#define VN_NR 4
typedef v128_t vn_vf;
static inline vn_vf vn_vf_zero(void) { return wasm_f32x4_splat(0); }
static inline vn_vf vn_vf_set1(float a) { return wasm_f32x4_splat(a); }
static inline vn_vf vn_vf_ld(const float *p) { return wasm_v128_load(p); }
static inline void vn_vf_st(float *p, vn_vf v) { wasm_v128_store(p, v); }
static inline vn_vf vn_vf_fma(vn_vf acc, vn_vf a, vn_vf b) { return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b)); }
static inline vn_vf vn_vf_add(vn_vf a, vn_vf b) { return wasm_f32x4_add(a, b); }
static inline float vn_vf_sum(vn_vf v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}
/* four f16 / bf16 weights as floats (an 8-byte load, zero-extended) */
#define VN_V_F16 1
static inline vn_vf vn_vf_ldh(const uint16_t *w) {
  v128_t h = wasm_u32x4_load16x4(w), e = wasm_v128_and(h, wasm_i32x4_splat(0x7c00));
  v128_t r = wasm_i32x4_add(wasm_i32x4_shl(wasm_v128_and(h, wasm_i32x4_splat(0x7fff)), 13), wasm_i32x4_splat(0x38000000));
  r = wasm_v128_bitselect(wasm_i32x4_add(r, wasm_i32x4_splat(0x38000000)), r, wasm_i32x4_eq(e, wasm_i32x4_splat(0x7c00)));
  v128_t sub = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_v128_and(h, wasm_i32x4_splat(0x3ff))), wasm_f32x4_splat(0x1p-24f));
  r = wasm_v128_bitselect(sub, r, wasm_i32x4_eq(e, wasm_i32x4_splat(0)));
  return wasm_v128_or(r, wasm_i32x4_shl(wasm_v128_and(h, wasm_i32x4_splat(0x8000)), 16));
}
#define VN_V_BF16 1
static inline vn_vf vn_vf_ldb(const uint16_t *w) { return wasm_i32x4_shl(wasm_u32x4_load16x4(w), 16); }

#define VN_V_B16 1
typedef v128_t vn_b16;
static inline vn_b16 vn_b16_ld(const int8_t *p) { return wasm_v128_load(p); }
static inline vn_b16 vn_b16_lo4(vn_b16 v) { return wasm_i8x16_sub(wasm_v128_and(v, wasm_i8x16_splat(0x0f)), wasm_i8x16_splat(8)); }
static inline vn_b16 vn_b16_hi4(vn_b16 v) { return wasm_i8x16_sub(wasm_u8x16_shr(v, 4), wasm_i8x16_splat(8)); }
typedef v128_t vn_i4;
static inline vn_i4 vn_i4_zero(void) { return wasm_i32x4_splat(0); }
static inline vn_i4 vn_i4_dot(vn_i4 acc, vn_b16 a, vn_b16 b) {
  acc = wasm_i32x4_add(acc, wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_extmul_low_i8x16(a, b)));
  return wasm_i32x4_add(acc, wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_extmul_high_i8x16(a, b)));
}
static inline int32_t vn_i4_sum(vn_i4 v) {
  return wasm_i32x4_extract_lane(v, 0) + wasm_i32x4_extract_lane(v, 1) + wasm_i32x4_extract_lane(v, 2) +
         wasm_i32x4_extract_lane(v, 3);
}
