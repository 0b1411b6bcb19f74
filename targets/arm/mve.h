/* mve.h: Cortex-M55 Helium (M-profile Vector Extension, MVE) micro-kernels
 * (cortex-m55 target). Loops are tail-predicated: vctp32q/vctp8q make a
 * lane mask for the last, partial vector, so no scalar tail is left. Float
 * dot products use predicated fused multiply-adds (vfmaq_m_f32); f16 and
 * bf16 weights come in through widening loads (vldrhq_z_u32) and integer
 * operations; q8_0/q4_0
 * blocks use vmladavaq_s8 (16 int8 products summed into int32 per
 * instruction). Each defines VN_HAVE_<NAME> so kernels.c skips its portable
 * fallback. */
#include <arm_mve.h>

static inline float vn_mve_hsum(float32x4_t v) {
  return (vgetq_lane_f32(v, 0) + vgetq_lane_f32(v, 1)) + (vgetq_lane_f32(v, 2) + vgetq_lane_f32(v, 3));
}
static inline mve_pred16_t vn_mve_tail32(int64_t left) { return vctp32q((uint32_t)(left < 4 ? left : 4)); }

static inline float vn_mve_h2f(uint16_t h) {
  __fp16 f;
  memcpy(&f, &h, 2);
  return (float)f;
}

#define VN_HAVE_DOT_F32 1
static inline float vn_dot_f32(const float *x, const float *w, int64_t n) {
  float32x4_t a0 = vdupq_n_f32(0), a1 = a0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    a0 = vfmaq_f32(a0, vld1q_f32(x + i), vld1q_f32(w + i));
    a1 = vfmaq_f32(a1, vld1q_f32(x + i + 4), vld1q_f32(w + i + 4));
  }
  for (; i < n; i += 4) {
    mve_pred16_t p = vn_mve_tail32(n - i);
    a0 = vfmaq_m_f32(a0, vldrwq_z_f32(x + i, p), vldrwq_z_f32(w + i, p), p);
  }
  return vn_mve_hsum(vaddq_f32(a0, a1));
}

#define VN_HAVE_DOT4_F32 1
static inline void vn_dot4_f32(const float *x, int64_t ldx, const float *w, int64_t n, float *out) {
  float32x4_t a0 = vdupq_n_f32(0), a1 = a0, a2 = a0, a3 = a0;
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  for (int64_t i = 0; i < n; i += 4) {
    mve_pred16_t p = vn_mve_tail32(n - i);
    float32x4_t wv = vldrwq_z_f32(w + i, p);
    a0 = vfmaq_m_f32(a0, vldrwq_z_f32(x0 + i, p), wv, p);
    a1 = vfmaq_m_f32(a1, vldrwq_z_f32(x1 + i, p), wv, p);
    a2 = vfmaq_m_f32(a2, vldrwq_z_f32(x2 + i, p), wv, p);
    a3 = vfmaq_m_f32(a3, vldrwq_z_f32(x3 + i, p), wv, p);
  }
  out[0] = vn_mve_hsum(a0); out[1] = vn_mve_hsum(a1); out[2] = vn_mve_hsum(a2); out[3] = vn_mve_hsum(a3);
}

#define VN_HAVE_AXPY_F32 1
static inline void vn_axpy_f32(float *y, float a, const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i += 4) {
    mve_pred16_t p = vn_mve_tail32(n - i);
    vstrwq_p_f32(y + i, vfmaq_n_f32(vldrwq_z_f32(y + i, p), vldrwq_z_f32(x + i, p), a), p);
  }
}

/* four f16 / bf16 weights (lanes past the mask zero) as floats. f16 goes
 * through integer operations, exactly: a normal value's exponent is rebased
 * by adding 112 << 23 (twice for inf/NaN), a subnormal one is its integer
 * mantissa times 2^-24, then the sign is put back. (Vector VCVTB/VCVTT gave
 * wrong values under QEMU 7.2, and MVE's float arithmetic flushes subnormal
 * operands, so neither a conversion nor a 2^112 scaling is used.) */
static inline float32x4_t vn_mve_ld_f16(const uint16_t *w, mve_pred16_t p) {
  uint32x4_t h = vldrhq_z_u32(w, p), e = vandq_u32(h, vdupq_n_u32(0x7c00));
  uint32x4_t r = vaddq_u32(vshlq_n_u32(vandq_u32(h, vdupq_n_u32(0x7fff)), 13), vdupq_n_u32(0x38000000));
  r = vpselq_u32(vaddq_u32(r, vdupq_n_u32(0x38000000)), r, vcmpeqq_u32(e, vdupq_n_u32(0x7c00)));
  float32x4_t sub = vmulq_n_f32(vcvtq_f32_u32(vandq_u32(h, vdupq_n_u32(0x3ff))), 0x1p-24f);
  r = vpselq_u32(vreinterpretq_u32_f32(sub), r, vcmpeqq_u32(e, vdupq_n_u32(0)));
  return vreinterpretq_f32_u32(vorrq_u32(r, vshlq_n_u32(vandq_u32(h, vdupq_n_u32(0x8000)), 16)));
}
static inline float32x4_t vn_mve_ld_bf16(const uint16_t *w, mve_pred16_t p) {
  return vreinterpretq_f32_u32(vshlq_n_u32(vldrhq_z_u32(w, p), 16));
}

#define VN_MVE_DOT_HALF(NAME, LD)                                                                        \
  static inline float NAME(const float *x, const uint16_t *w, int64_t n) {                              \
    float32x4_t a0 = vdupq_n_f32(0);                                                                    \
    for (int64_t i = 0; i < n; i += 4) {                                                                \
      mve_pred16_t p = vn_mve_tail32(n - i);                                                            \
      a0 = vfmaq_m_f32(a0, vldrwq_z_f32(x + i, p), LD(w + i, p), p);                                    \
    }                                                                                                   \
    return vn_mve_hsum(a0);                                                                             \
  }
#define VN_MVE_DOT4_HALF(NAME, LD)                                                                       \
  static inline void NAME(const float *x, int64_t ldx, const uint16_t *w, int64_t n, float *out) {      \
    float32x4_t a0 = vdupq_n_f32(0), a1 = a0, a2 = a0, a3 = a0;                                         \
    const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;                           \
    for (int64_t i = 0; i < n; i += 4) {                                                                \
      mve_pred16_t p = vn_mve_tail32(n - i);                                                            \
      float32x4_t wv = LD(w + i, p);                                                                    \
      a0 = vfmaq_m_f32(a0, vldrwq_z_f32(x0 + i, p), wv, p);                                             \
      a1 = vfmaq_m_f32(a1, vldrwq_z_f32(x1 + i, p), wv, p);                                             \
      a2 = vfmaq_m_f32(a2, vldrwq_z_f32(x2 + i, p), wv, p);                                             \
      a3 = vfmaq_m_f32(a3, vldrwq_z_f32(x3 + i, p), wv, p);                                             \
    }                                                                                                   \
    out[0] = vn_mve_hsum(a0); out[1] = vn_mve_hsum(a1); out[2] = vn_mve_hsum(a2); out[3] = vn_mve_hsum(a3); \
  }
#define VN_HAVE_DOT_F16 1
VN_MVE_DOT_HALF(vn_dot_f16, vn_mve_ld_f16)
#define VN_HAVE_DOT4_F16 1
VN_MVE_DOT4_HALF(vn_dot4_f16, vn_mve_ld_f16)
#define VN_HAVE_DOT_BF16 1
VN_MVE_DOT_HALF(vn_dot_bf16, vn_mve_ld_bf16)
#define VN_HAVE_DOT4_BF16 1
VN_MVE_DOT4_HALF(vn_dot4_bf16, vn_mve_ld_bf16)

#define VN_HAVE_DOT_Q8_0 1
static inline float vn_dot_q8_0(const VnBlockQ8 *x, const VnBlockQ8 *w, int64_t nb) {
  float s = 0;
  for (int64_t b = 0; b < nb; b++) {
    int32_t acc = vmladavq_s8(vld1q_s8(x[b].qs), vld1q_s8(w[b].qs));
    acc = vmladavaq_s8(acc, vld1q_s8(x[b].qs + 16), vld1q_s8(w[b].qs + 16));
    s += vn_mve_h2f(x[b].d) * vn_mve_h2f(w[b].d) * (float)acc;
  }
  return s;
}

#define VN_HAVE_DOT_Q4_0 1
static inline float vn_dot_q4_0(const VnBlockQ8 *x, const VnBlockQ4 *w, int64_t nb) {
  float s = 0;
  const int8x16_t eight = vdupq_n_s8(8);
  for (int64_t b = 0; b < nb; b++) {
    uint8x16_t q = vld1q_u8(w[b].qs);
    int8x16_t w0 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0f))), eight);
    int8x16_t w1 = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight);
    int32_t acc = vmladavq_s8(vld1q_s8(x[b].qs), w0);
    acc = vmladavaq_s8(acc, vld1q_s8(x[b].qs + 16), w1);
    s += vn_mve_h2f(x[b].d) * vn_mve_h2f(w[b].d) * (float)acc;
  }
  return s;
}
