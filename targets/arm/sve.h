/* sve.h: Arm SVE micro-kernels (aarch64-sve target). Every loop is
 * vector-length agnostic: it steps by svcntw()/svcntb() lanes and a
 * svwhilelt predicate covers the tail, so the same binary runs on 128- to
 * 2048-bit implementations with no scalar remainder. Float dot products use
 * predicated multiply-adds (svmla); f16 weights are loaded widened into
 * 32-bit lanes (svld1uh) and converted from the bottom halves (svcvt), bf16
 * by a 16-bit shift; q8_0/q4_0 blocks use svdot (four int8 products summed
 * into each int32 lane). Each defines VN_HAVE_<NAME> so kernels.c skips its
 * portable fallback. */
#include <arm_sve.h>

static inline float vn_sve_h2f(uint16_t h) {
  __fp16 f;
  memcpy(&f, &h, 2);
  return (float)f;
}

#define VN_HAVE_DOT_F32 1
static inline float vn_dot_f32(const float *x, const float *w, int64_t n) {
  svfloat32_t acc = svdup_f32(0);
  for (int64_t i = 0; i < n; i += (int64_t)svcntw()) {
    svbool_t p = svwhilelt_b32_s64(i, n);
    acc = svmla_f32_m(p, acc, svld1_f32(p, x + i), svld1_f32(p, w + i));
  }
  return svaddv_f32(svptrue_b32(), acc);
}

#define VN_HAVE_DOT4_F32 1
static inline void vn_dot4_f32(const float *x, int64_t ldx, const float *w, int64_t n, float *out) {
  svfloat32_t a0 = svdup_f32(0), a1 = a0, a2 = a0, a3 = a0;
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  for (int64_t i = 0; i < n; i += (int64_t)svcntw()) {
    svbool_t p = svwhilelt_b32_s64(i, n);
    svfloat32_t wv = svld1_f32(p, w + i);
    a0 = svmla_f32_m(p, a0, svld1_f32(p, x0 + i), wv);
    a1 = svmla_f32_m(p, a1, svld1_f32(p, x1 + i), wv);
    a2 = svmla_f32_m(p, a2, svld1_f32(p, x2 + i), wv);
    a3 = svmla_f32_m(p, a3, svld1_f32(p, x3 + i), wv);
  }
  svbool_t all = svptrue_b32();
  out[0] = svaddv_f32(all, a0); out[1] = svaddv_f32(all, a1); out[2] = svaddv_f32(all, a2); out[3] = svaddv_f32(all, a3);
}

#define VN_HAVE_AXPY_F32 1
static inline void vn_axpy_f32(float *y, float a, const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i += (int64_t)svcntw()) {
    svbool_t p = svwhilelt_b32_s64(i, n);
    svst1_f32(p, y + i, svmla_n_f32_x(p, svld1_f32(p, y + i), svld1_f32(p, x + i), a));
  }
}

/* f16 / bf16 weights widened into 32-bit lanes */
static inline svfloat32_t vn_sve_ld_f16(svbool_t p, const uint16_t *w) {
  return svcvt_f32_f16_z(p, svreinterpret_f16_u32(svld1uh_u32(p, w)));
}
static inline svfloat32_t vn_sve_ld_bf16(svbool_t p, const uint16_t *w) {
  return svreinterpret_f32_u32(svlsl_n_u32_z(p, svld1uh_u32(p, w), 16));
}

#define VN_SVE_DOT_HALF(NAME, LD)                                                                     \
  static inline float NAME(const float *x, const uint16_t *w, int64_t n) {                           \
    svfloat32_t acc = svdup_f32(0);                                                                  \
    for (int64_t i = 0; i < n; i += (int64_t)svcntw()) {                                             \
      svbool_t p = svwhilelt_b32_s64(i, n);                                                          \
      acc = svmla_f32_m(p, acc, svld1_f32(p, x + i), LD(p, w + i));                                  \
    }                                                                                                \
    return svaddv_f32(svptrue_b32(), acc);                                                           \
  }
#define VN_SVE_DOT4_HALF(NAME, LD)                                                                    \
  static inline void NAME(const float *x, int64_t ldx, const uint16_t *w, int64_t n, float *out) {   \
    svfloat32_t a0 = svdup_f32(0), a1 = a0, a2 = a0, a3 = a0;                                        \
    const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;                        \
    for (int64_t i = 0; i < n; i += (int64_t)svcntw()) {                                             \
      svbool_t p = svwhilelt_b32_s64(i, n);                                                          \
      svfloat32_t wv = LD(p, w + i);                                                                 \
      a0 = svmla_f32_m(p, a0, svld1_f32(p, x0 + i), wv);                                             \
      a1 = svmla_f32_m(p, a1, svld1_f32(p, x1 + i), wv);                                             \
      a2 = svmla_f32_m(p, a2, svld1_f32(p, x2 + i), wv);                                             \
      a3 = svmla_f32_m(p, a3, svld1_f32(p, x3 + i), wv);                                             \
    }                                                                                                \
    svbool_t all = svptrue_b32();                                                                    \
    out[0] = svaddv_f32(all, a0); out[1] = svaddv_f32(all, a1);                                      \
    out[2] = svaddv_f32(all, a2); out[3] = svaddv_f32(all, a3);                                      \
  }
#define VN_HAVE_DOT_F16 1
VN_SVE_DOT_HALF(vn_dot_f16, vn_sve_ld_f16)
#define VN_HAVE_DOT4_F16 1
VN_SVE_DOT4_HALF(vn_dot4_f16, vn_sve_ld_f16)
#define VN_HAVE_DOT_BF16 1
VN_SVE_DOT_HALF(vn_dot_bf16, vn_sve_ld_bf16)
#define VN_HAVE_DOT4_BF16 1
VN_SVE_DOT4_HALF(vn_dot4_bf16, vn_sve_ld_bf16)

#define VN_HAVE_DOT_Q8_0 1
static inline float vn_dot_q8_0(const VnBlockQ8 *x, const VnBlockQ8 *w, int64_t nb) {
  float s = 0;
  for (int64_t b = 0; b < nb; b++) {
    svint32_t acc = svdup_s32(0);
    for (int j = 0; j < 32; j += (int)svcntb()) {
      svbool_t p = svwhilelt_b8_s32(j, 32);
      acc = svdot_s32(acc, svld1_s8(p, x[b].qs + j), svld1_s8(p, w[b].qs + j));
    }
    s += vn_sve_h2f(x[b].d) * vn_sve_h2f(w[b].d) * (float)svaddv_s32(svptrue_b32(), acc);
  }
  return s;
}

#define VN_HAVE_DOT_Q4_0 1
static inline float vn_dot_q4_0(const VnBlockQ8 *x, const VnBlockQ4 *w, int64_t nb) {
  float s = 0;
  for (int64_t b = 0; b < nb; b++) {
    svint32_t acc = svdup_s32(0);
    for (int j = 0; j < 16; j += (int)svcntb()) {
      svbool_t p = svwhilelt_b8_s32(j, 16);
      svuint8_t q = svld1_u8(p, w[b].qs + j);
      svint8_t lo = svsub_n_s8_z(p, svreinterpret_s8_u8(svand_n_u8_z(p, q, 0x0f)), 8);
      svint8_t hi = svsub_n_s8_z(p, svreinterpret_s8_u8(svlsr_n_u8_z(p, q, 4)), 8);
      acc = svdot_s32(acc, svld1_s8(p, x[b].qs + j), lo);
      acc = svdot_s32(acc, svld1_s8(p, x[b].qs + 16 + j), hi);
    }
    s += vn_sve_h2f(x[b].d) * vn_sve_h2f(w[b].d) * (float)svaddv_s32(svptrue_b32(), acc);
  }
  return s;
}
