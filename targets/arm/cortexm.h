/* cortexm.h: Cortex-M4/M7 micro-kernels (cortex-m4, cortex-m7 targets).
 * These cores have no vector unit: float dot products are unrolled scalar
 * loops on the FPU's fused multiply-add (vfma.f32) over four accumulators,
 * f16 weights go through the FPU's half-precision conversion (vcvtb), and
 * q8_0/q4_0 blocks use the DSP extension's SIMD32 instructions: SXTB16
 * sign-extends two int8 of a word to two int16, SMLAD multiplies both
 * pairs and adds them to an int32 accumulator (two MACs per instruction).
 * Each defines VN_HAVE_<NAME> so kernels.c skips its portable fallback. */
#include <arm_acle.h>

static inline float vn_cm_h2f(uint16_t h) {
#if defined(__ARM_FP16_FORMAT_IEEE)
  __fp16 f;
  memcpy(&f, &h, 2);
  return (float)f;
#else
  return vn_f16_to_f32(h);
#endif
}

#define VN_HAVE_DOT_F32 1
static inline float vn_dot_f32(const float *x, const float *w, int64_t n) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 = __builtin_fmaf(x[i], w[i], s0);
    s1 = __builtin_fmaf(x[i + 1], w[i + 1], s1);
    s2 = __builtin_fmaf(x[i + 2], w[i + 2], s2);
    s3 = __builtin_fmaf(x[i + 3], w[i + 3], s3);
  }
  for (; i < n; i++) s0 = __builtin_fmaf(x[i], w[i], s0);
  return (s0 + s1) + (s2 + s3);
}

#define VN_HAVE_DOT4_F32 1
static inline void vn_dot4_f32(const float *x, int64_t ldx, const float *w, int64_t n, float *out) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  for (int64_t i = 0; i < n; i++) {
    float wv = w[i];
    s0 = __builtin_fmaf(x0[i], wv, s0);
    s1 = __builtin_fmaf(x1[i], wv, s1);
    s2 = __builtin_fmaf(x2[i], wv, s2);
    s3 = __builtin_fmaf(x3[i], wv, s3);
  }
  out[0] = s0; out[1] = s1; out[2] = s2; out[3] = s3;
}

#define VN_HAVE_AXPY_F32 1
static inline void vn_axpy_f32(float *y, float a, const float *x, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    y[i] = __builtin_fmaf(a, x[i], y[i]);
    y[i + 1] = __builtin_fmaf(a, x[i + 1], y[i + 1]);
    y[i + 2] = __builtin_fmaf(a, x[i + 2], y[i + 2]);
    y[i + 3] = __builtin_fmaf(a, x[i + 3], y[i + 3]);
  }
  for (; i < n; i++) y[i] = __builtin_fmaf(a, x[i], y[i]);
}

#define VN_HAVE_DOT_F16 1
static inline float vn_dot_f16(const float *x, const uint16_t *w, int64_t n) {
  float s0 = 0, s1 = 0;
  int64_t i = 0;
  for (; i + 2 <= n; i += 2) {
    s0 = __builtin_fmaf(x[i], vn_cm_h2f(w[i]), s0);
    s1 = __builtin_fmaf(x[i + 1], vn_cm_h2f(w[i + 1]), s1);
  }
  for (; i < n; i++) s0 = __builtin_fmaf(x[i], vn_cm_h2f(w[i]), s0);
  return s0 + s1;
}

#define VN_HAVE_DOT4_F16 1
static inline void vn_dot4_f16(const float *x, int64_t ldx, const uint16_t *w, int64_t n, float *out) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  for (int64_t i = 0; i < n; i++) {
    float wv = vn_cm_h2f(w[i]);
    s0 = __builtin_fmaf(x0[i], wv, s0);
    s1 = __builtin_fmaf(x1[i], wv, s1);
    s2 = __builtin_fmaf(x2[i], wv, s2);
    s3 = __builtin_fmaf(x3[i], wv, s3);
  }
  out[0] = s0; out[1] = s1; out[2] = s2; out[3] = s3;
}

#if defined(__ARM_FEATURE_SIMD32)
static inline uint32_t vn_cm_ld4(const void *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
static inline uint32_t vn_cm_ror8(uint32_t v) { return v >> 8 | v << 24; }

/* four int8 products of x and w bytes, added to acc */
static inline int32_t vn_cm_dot4_s8(uint32_t x, uint32_t w, int32_t acc) {
  acc = __smlad(__sxtb16(x), __sxtb16(w), acc);
  return __smlad(__sxtb16(vn_cm_ror8(x)), __sxtb16(vn_cm_ror8(w)), acc);
}

#define VN_HAVE_DOT_Q8_0 1
static inline float vn_dot_q8_0(const VnBlockQ8x *x, const VnBlockQ8 *w, int64_t nb) {
  float s = 0;
  for (int64_t b = 0; b < nb; b++) {
    int32_t acc = 0;
    for (int j = 0; j < 32; j += 4) acc = vn_cm_dot4_s8(vn_cm_ld4(x[b].qs + j), vn_cm_ld4(w[b].qs + j), acc);
    s += x[b].d * vn_cm_h2f(w[b].d) * (float)acc;
  }
  return s;
}

#define VN_HAVE_DOT_Q4_0 1
static inline float vn_dot_q4_0(const VnBlockQ8x *x, const VnBlockQ4 *w, int64_t nb) {
  float s = 0;
  const int32_t eight = 0x00080008;
  for (int64_t b = 0; b < nb; b++) {
    int32_t acc = 0;
    for (int j = 0; j < 16; j += 4) {
      uint32_t q = vn_cm_ld4(w[b].qs + j), lo = q & 0x0f0f0f0fu, hi = (q >> 4) & 0x0f0f0f0fu;
      uint32_t xl = vn_cm_ld4(x[b].qs + j), xh = vn_cm_ld4(x[b].qs + 16 + j);
      /* nibbles 0..15 widened to int16 halves, minus 8 */
      acc = __smlad(__sxtb16(xl), __ssub16(__uxtb16(lo), eight), acc);
      acc = __smlad(__sxtb16(vn_cm_ror8(xl)), __ssub16(__uxtb16(vn_cm_ror8(lo)), eight), acc);
      acc = __smlad(__sxtb16(xh), __ssub16(__uxtb16(hi), eight), acc);
      acc = __smlad(__sxtb16(vn_cm_ror8(xh)), __ssub16(__uxtb16(vn_cm_ror8(hi)), eight), acc);
    }
    s += x[b].d * vn_cm_h2f(w[b].d) * (float)acc;
  }
  return s;
}
#endif
