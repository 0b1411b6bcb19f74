/* neon.h: Arm NEON micro-kernels, for AArch64 (aarch64 target) and 32-bit
 * ARMv7 with VFPv4 (armv7 target). Float dot products use fused
 * multiply-adds (vfmaq_f32) over four accumulators; f16 weights are
 * widened by the hardware conversion (vcvt_f32_f16), bf16 by a 16-bit
 * shift; q8_0/q4_0 blocks are multiplied in int8 with sdot (vdotq_s32)
 * where the CPU has the dot-product extension, else with widening
 * multiplies summed pairwise into int32 (vmull_s8 + vpadalq_s16). Each
 * defines VN_HAVE_<NAME> so kernels.c skips its portable fallback; tails
 * shorter than a vector finish in scalar code. */
#include <arm_neon.h>

static inline float vn_hsum_f32x4(float32x4_t v) {
#if defined(__aarch64__)
  return vaddvq_f32(v);
#else
  float32x2_t s = vadd_f32(vget_low_f32(v), vget_high_f32(v));
  return vget_lane_f32(vpadd_f32(s, s), 0);
#endif
}

static inline int32_t vn_hsum_s32x4(int32x4_t v) {
#if defined(__aarch64__)
  return vaddvq_s32(v);
#else
  int32x2_t s = vadd_s32(vget_low_s32(v), vget_high_s32(v));
  return vget_lane_s32(vpadd_s32(s, s), 0);
#endif
}

#if defined(__ARM_FP16_FORMAT_IEEE)
#define VN_NEON_F16 1
/* one f16 scale to float with the hardware conversion */
static inline float vn_neon_h2f(uint16_t h) {
  __fp16 f;
  memcpy(&f, &h, 2);
  return (float)f;
}
static inline float32x4_t vn_ld_f16x4(const uint16_t *w) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(w))); }
#else
static inline float vn_neon_h2f(uint16_t h) { return vn_f16_to_f32(h); }
#endif
static inline float32x4_t vn_ld_bf16x4(const uint16_t *w) { return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(w), 16)); }

#define VN_HAVE_DOT_F32 1
static inline float vn_dot_f32(const float *x, const float *w, int64_t n) {
  float32x4_t a0 = vdupq_n_f32(0), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = vfmaq_f32(a0, vld1q_f32(x + i), vld1q_f32(w + i));
    a1 = vfmaq_f32(a1, vld1q_f32(x + i + 4), vld1q_f32(w + i + 4));
    a2 = vfmaq_f32(a2, vld1q_f32(x + i + 8), vld1q_f32(w + i + 8));
    a3 = vfmaq_f32(a3, vld1q_f32(x + i + 12), vld1q_f32(w + i + 12));
  }
  for (; i + 4 <= n; i += 4) a0 = vfmaq_f32(a0, vld1q_f32(x + i), vld1q_f32(w + i));
  float s = vn_hsum_f32x4(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));
  for (; i < n; i++) s += x[i] * w[i];
  return s;
}

#define VN_HAVE_DOT4_F32 1
static inline void vn_dot4_f32(const float *x, int64_t ldx, const float *w, int64_t n, float *out) {
  float32x4_t a0 = vdupq_n_f32(0), a1 = a0, a2 = a0, a3 = a0;
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    float32x4_t wv = vld1q_f32(w + i);
    a0 = vfmaq_f32(a0, vld1q_f32(x0 + i), wv);
    a1 = vfmaq_f32(a1, vld1q_f32(x1 + i), wv);
    a2 = vfmaq_f32(a2, vld1q_f32(x2 + i), wv);
    a3 = vfmaq_f32(a3, vld1q_f32(x3 + i), wv);
  }
  out[0] = vn_hsum_f32x4(a0); out[1] = vn_hsum_f32x4(a1); out[2] = vn_hsum_f32x4(a2); out[3] = vn_hsum_f32x4(a3);
  for (; i < n; i++) { out[0] += x0[i] * w[i]; out[1] += x1[i] * w[i]; out[2] += x2[i] * w[i]; out[3] += x3[i] * w[i]; }
}

#define VN_HAVE_AXPY_F32 1
static inline void vn_axpy_f32(float *y, float a, const float *x, int64_t n) {
  float32x4_t av = vdupq_n_f32(a);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vfmaq_f32(vld1q_f32(y + i), av, vld1q_f32(x + i)));
  for (; i < n; i++) y[i] += a * x[i];
}

/* f16 / bf16 weights: the same loops over a widening load */
#define VN_NEON_DOT_HALF(NAME, LD, CVT)                                                                   \
  static inline float NAME(const float *x, const uint16_t *w, int64_t n) {                               \
    float32x4_t a0 = vdupq_n_f32(0), a1 = a0;                                                            \
    int64_t i = 0;                                                                                       \
    for (; i + 8 <= n; i += 8) {                                                                         \
      a0 = vfmaq_f32(a0, vld1q_f32(x + i), LD(w + i));                                                   \
      a1 = vfmaq_f32(a1, vld1q_f32(x + i + 4), LD(w + i + 4));                                           \
    }                                                                                                    \
    for (; i + 4 <= n; i += 4) a0 = vfmaq_f32(a0, vld1q_f32(x + i), LD(w + i));                          \
    float s = vn_hsum_f32x4(vaddq_f32(a0, a1));                                                          \
    for (; i < n; i++) s += x[i] * CVT(w[i]);                                                            \
    return s;                                                                                            \
  }
#define VN_NEON_DOT4_HALF(NAME, LD, CVT)                                                                  \
  static inline void NAME(const float *x, int64_t ldx, const uint16_t *w, int64_t n, float *out) {       \
    float32x4_t a0 = vdupq_n_f32(0), a1 = a0, a2 = a0, a3 = a0;                                          \
    const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;                            \
    int64_t i = 0;                                                                                       \
    for (; i + 4 <= n; i += 4) {                                                                         \
      float32x4_t wv = LD(w + i);                                                                        \
      a0 = vfmaq_f32(a0, vld1q_f32(x0 + i), wv);                                                         \
      a1 = vfmaq_f32(a1, vld1q_f32(x1 + i), wv);                                                         \
      a2 = vfmaq_f32(a2, vld1q_f32(x2 + i), wv);                                                         \
      a3 = vfmaq_f32(a3, vld1q_f32(x3 + i), wv);                                                         \
    }                                                                                                    \
    out[0] = vn_hsum_f32x4(a0); out[1] = vn_hsum_f32x4(a1); out[2] = vn_hsum_f32x4(a2); out[3] = vn_hsum_f32x4(a3); \
    for (; i < n; i++) {                                                                                 \
      float wf = CVT(w[i]);                                                                              \
      out[0] += x0[i] * wf; out[1] += x1[i] * wf; out[2] += x2[i] * wf; out[3] += x3[i] * wf;            \
    }                                                                                                    \
  }
#ifdef VN_NEON_F16
#define VN_HAVE_DOT_F16 1
VN_NEON_DOT_HALF(vn_dot_f16, vn_ld_f16x4, vn_neon_h2f)
#define VN_HAVE_DOT4_F16 1
VN_NEON_DOT4_HALF(vn_dot4_f16, vn_ld_f16x4, vn_neon_h2f)
#endif
#define VN_HAVE_DOT_BF16 1
VN_NEON_DOT_HALF(vn_dot_bf16, vn_ld_bf16x4, vn_bf16_to_f32)
#define VN_HAVE_DOT4_BF16 1
VN_NEON_DOT4_HALF(vn_dot4_bf16, vn_ld_bf16x4, vn_bf16_to_f32)

/* sum of 32 int8 products: a0.b0 + a1.b1 over two 16-byte halves */
static inline int32_t vn_neon_dot32(int8x16_t a0, int8x16_t a1, int8x16_t b0, int8x16_t b1) {
#if defined(__ARM_FEATURE_DOTPROD)
  int32x4_t s = vdotq_s32(vdupq_n_s32(0), a0, b0);
  s = vdotq_s32(s, a1, b1);
#else
  int32x4_t s = vdupq_n_s32(0);
  s = vpadalq_s16(s, vmull_s8(vget_low_s8(a0), vget_low_s8(b0)));
  s = vpadalq_s16(s, vmull_s8(vget_high_s8(a0), vget_high_s8(b0)));
  s = vpadalq_s16(s, vmull_s8(vget_low_s8(a1), vget_low_s8(b1)));
  s = vpadalq_s16(s, vmull_s8(vget_high_s8(a1), vget_high_s8(b1)));
#endif
  return vn_hsum_s32x4(s);
}

#define VN_HAVE_DOT_Q8_0 1
static inline float vn_dot_q8_0(const VnBlockQ8 *x, const VnBlockQ8 *w, int64_t nb) {
  float s = 0;
  for (int64_t b = 0; b < nb; b++) {
    int32_t d = vn_neon_dot32(vld1q_s8(x[b].qs), vld1q_s8(x[b].qs + 16), vld1q_s8(w[b].qs), vld1q_s8(w[b].qs + 16));
    s += vn_neon_h2f(x[b].d) * vn_neon_h2f(w[b].d) * (float)d;
  }
  return s;
}

#define VN_HAVE_DOT_Q4_0 1
static inline float vn_dot_q4_0(const VnBlockQ8 *x, const VnBlockQ4 *w, int64_t nb) {
  float s = 0;
  const uint8x16_t lo = vdupq_n_u8(0x0f);
  const int8x16_t eight = vdupq_n_s8(8);
  for (int64_t b = 0; b < nb; b++) {
    uint8x16_t q = vld1q_u8(w[b].qs);
    int8x16_t w0 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, lo)), eight);
    int8x16_t w1 = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight);
    int32_t d = vn_neon_dot32(vld1q_s8(x[b].qs), vld1q_s8(x[b].qs + 16), w0, w1);
    s += vn_neon_h2f(x[b].d) * vn_neon_h2f(w[b].d) * (float)d;
  }
  return s;
}
