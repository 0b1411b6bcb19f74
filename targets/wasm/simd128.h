/* simd128.h: WebAssembly SIMD128 micro-kernels (wasm32 target). Float dot
 * products multiply and add f32x4 vectors (wasm has no fused multiply-add
 * outside relaxed-simd, which is not used) over four accumulators; f16
 * weights are converted with integer operations (a normal value's exponent
 * rebased by 112 << 23, twice for inf/NaN; a subnormal is its mantissa times
 * 2^-24), bf16 by a 16-bit shift; q8_0/q4_0 blocks multiply int8 into int16
 * (i16x8.extmul, exact) and add pairs into int32 (i32x4.extadd_pairwise).
 * Each defines VN_HAVE_<NAME> so kernels.c skips its portable fallback. */
#include <wasm_simd128.h>

static inline float vn_w_hsum(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}
static inline int32_t vn_w_hsumi(v128_t v) {
  return wasm_i32x4_extract_lane(v, 0) + wasm_i32x4_extract_lane(v, 1) + wasm_i32x4_extract_lane(v, 2) +
         wasm_i32x4_extract_lane(v, 3);
}
#define VN_W_FMA(acc, a, b) wasm_f32x4_add(acc, wasm_f32x4_mul(a, b))

#define VN_HAVE_DOT_F32 1
static inline float vn_dot_f32(const float *x, const float *w, int64_t n) {
  v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = VN_W_FMA(a0, wasm_v128_load(x + i), wasm_v128_load(w + i));
    a1 = VN_W_FMA(a1, wasm_v128_load(x + i + 4), wasm_v128_load(w + i + 4));
    a2 = VN_W_FMA(a2, wasm_v128_load(x + i + 8), wasm_v128_load(w + i + 8));
    a3 = VN_W_FMA(a3, wasm_v128_load(x + i + 12), wasm_v128_load(w + i + 12));
  }
  for (; i + 4 <= n; i += 4) a0 = VN_W_FMA(a0, wasm_v128_load(x + i), wasm_v128_load(w + i));
  float s = vn_w_hsum(wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3)));
  for (; i < n; i++) s += x[i] * w[i];
  return s;
}

#define VN_HAVE_DOT4_F32 1
static inline void vn_dot4_f32(const float *x, int64_t ldx, const float *w, int64_t n, float *out) {
  v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t wv = wasm_v128_load(w + i);
    a0 = VN_W_FMA(a0, wasm_v128_load(x0 + i), wv);
    a1 = VN_W_FMA(a1, wasm_v128_load(x1 + i), wv);
    a2 = VN_W_FMA(a2, wasm_v128_load(x2 + i), wv);
    a3 = VN_W_FMA(a3, wasm_v128_load(x3 + i), wv);
  }
  out[0] = vn_w_hsum(a0); out[1] = vn_w_hsum(a1); out[2] = vn_w_hsum(a2); out[3] = vn_w_hsum(a3);
  for (; i < n; i++) { out[0] += x0[i] * w[i]; out[1] += x1[i] * w[i]; out[2] += x2[i] * w[i]; out[3] += x3[i] * w[i]; }
}

#define VN_HAVE_AXPY_F32 1
static inline void vn_axpy_f32(float *y, float a, const float *x, int64_t n) {
  v128_t av = wasm_f32x4_splat(a);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, VN_W_FMA(wasm_v128_load(y + i), av, wasm_v128_load(x + i)));
  for (; i < n; i++) y[i] += a * x[i];
}

/* four f16 / bf16 weights as floats (an 8-byte load, zero-extended) */
static inline v128_t vn_w_ld_f16(const uint16_t *w) {
  v128_t h = wasm_u32x4_load16x4(w), e = wasm_v128_and(h, wasm_i32x4_splat(0x7c00));
  v128_t r = wasm_i32x4_add(wasm_i32x4_shl(wasm_v128_and(h, wasm_i32x4_splat(0x7fff)), 13), wasm_i32x4_splat(0x38000000));
  r = wasm_v128_bitselect(wasm_i32x4_add(r, wasm_i32x4_splat(0x38000000)), r, wasm_i32x4_eq(e, wasm_i32x4_splat(0x7c00)));
  v128_t sub = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_v128_and(h, wasm_i32x4_splat(0x3ff))), wasm_f32x4_splat(0x1p-24f));
  r = wasm_v128_bitselect(sub, r, wasm_i32x4_eq(e, wasm_i32x4_splat(0)));
  return wasm_v128_or(r, wasm_i32x4_shl(wasm_v128_and(h, wasm_i32x4_splat(0x8000)), 16));
}
static inline v128_t vn_w_ld_bf16(const uint16_t *w) { return wasm_i32x4_shl(wasm_u32x4_load16x4(w), 16); }

#define VN_W_DOT_HALF(NAME, LD, CVT)                                                                      \
  static inline float NAME(const float *x, const uint16_t *w, int64_t n) {                               \
    v128_t a0 = wasm_f32x4_splat(0), a1 = a0;                                                            \
    int64_t i = 0;                                                                                       \
    for (; i + 8 <= n; i += 8) {                                                                         \
      a0 = VN_W_FMA(a0, wasm_v128_load(x + i), LD(w + i));                                               \
      a1 = VN_W_FMA(a1, wasm_v128_load(x + i + 4), LD(w + i + 4));                                       \
    }                                                                                                    \
    for (; i + 4 <= n; i += 4) a0 = VN_W_FMA(a0, wasm_v128_load(x + i), LD(w + i));                      \
    float s = vn_w_hsum(wasm_f32x4_add(a0, a1));                                                         \
    for (; i < n; i++) s += x[i] * CVT(w[i]);                                                            \
    return s;                                                                                            \
  }
#define VN_W_DOT4_HALF(NAME, LD, CVT)                                                                     \
  static inline void NAME(const float *x, int64_t ldx, const uint16_t *w, int64_t n, float *out) {       \
    v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;                                          \
    const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;                            \
    int64_t i = 0;                                                                                       \
    for (; i + 4 <= n; i += 4) {                                                                         \
      v128_t wv = LD(w + i);                                                                             \
      a0 = VN_W_FMA(a0, wasm_v128_load(x0 + i), wv);                                                     \
      a1 = VN_W_FMA(a1, wasm_v128_load(x1 + i), wv);                                                     \
      a2 = VN_W_FMA(a2, wasm_v128_load(x2 + i), wv);                                                     \
      a3 = VN_W_FMA(a3, wasm_v128_load(x3 + i), wv);                                                     \
    }                                                                                                    \
    out[0] = vn_w_hsum(a0); out[1] = vn_w_hsum(a1); out[2] = vn_w_hsum(a2); out[3] = vn_w_hsum(a3);      \
    for (; i < n; i++) {                                                                                 \
      float wf = CVT(w[i]);                                                                              \
      out[0] += x0[i] * wf; out[1] += x1[i] * wf; out[2] += x2[i] * wf; out[3] += x3[i] * wf;            \
    }                                                                                                    \
  }
#define VN_HAVE_DOT_F16 1
VN_W_DOT_HALF(vn_dot_f16, vn_w_ld_f16, vn_f16_to_f32)
#define VN_HAVE_DOT4_F16 1
VN_W_DOT4_HALF(vn_dot4_f16, vn_w_ld_f16, vn_f16_to_f32)
#define VN_HAVE_DOT_BF16 1
VN_W_DOT_HALF(vn_dot_bf16, vn_w_ld_bf16, vn_bf16_to_f32)
#define VN_HAVE_DOT4_BF16 1
VN_W_DOT4_HALF(vn_dot4_bf16, vn_w_ld_bf16, vn_bf16_to_f32)

/* 16 int8 products (a . b) added to the int32 lanes of acc */
static inline v128_t vn_w_dot16(v128_t a, v128_t b, v128_t acc) {
  acc = wasm_i32x4_add(acc, wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_extmul_low_i8x16(a, b)));
  return wasm_i32x4_add(acc, wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_extmul_high_i8x16(a, b)));
}

#define VN_HAVE_DOT_Q8_0 1
static inline float vn_dot_q8_0(const VnBlockQ8 *x, const VnBlockQ8 *w, int64_t nb) {
  float s = 0;
  for (int64_t b = 0; b < nb; b++) {
    v128_t acc = vn_w_dot16(wasm_v128_load(x[b].qs), wasm_v128_load(w[b].qs), wasm_i32x4_splat(0));
    acc = vn_w_dot16(wasm_v128_load(x[b].qs + 16), wasm_v128_load(w[b].qs + 16), acc);
    s += vn_f16_to_f32(x[b].d) * vn_f16_to_f32(w[b].d) * (float)vn_w_hsumi(acc);
  }
  return s;
}

#define VN_HAVE_DOT_Q4_0 1
static inline float vn_dot_q4_0(const VnBlockQ8 *x, const VnBlockQ4 *w, int64_t nb) {
  float s = 0;
  const v128_t lo4 = wasm_i8x16_splat(0x0f), eight = wasm_i8x16_splat(8);
  for (int64_t b = 0; b < nb; b++) {
    v128_t q = wasm_v128_load(w[b].qs);
    v128_t lo = wasm_i8x16_sub(wasm_v128_and(q, lo4), eight), hi = wasm_i8x16_sub(wasm_u8x16_shr(q, 4), eight);
    v128_t acc = vn_w_dot16(wasm_v128_load(x[b].qs), lo, wasm_i32x4_splat(0));
    acc = vn_w_dot16(wasm_v128_load(x[b].qs + 16), hi, acc);
    s += vn_f16_to_f32(x[b].d) * vn_f16_to_f32(w[b].d) * (float)vn_w_hsumi(acc);
  }
  return s;
}
