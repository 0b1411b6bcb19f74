/* msa.h: MIPS SIMD Architecture micro-kernels (mips64el target, MSA on
 * Loongson 3A4000-class cores). Float dot products use fused
 * multiply-adds (__msa_fmadd_w) on 4-lane vectors; f16 weights are widened
 * by the half-to-single conversion (__msa_fexupr_w), bf16 by interleaving
 * with zeros; q8_0/q4_0 blocks sign-extend int8 to int16 (interleave with
 * the sign mask) and multiply-accumulate pairs into int32
 * (__msa_dpadd_s_w, exact). Little-endian lane layout (mips64el). Each
 * defines VN_HAVE_<NAME> so kernels.c skips its portable fallback. */
#include <msa.h>

static inline v4f32 vn_msa_ldf(const float *p) { return (v4f32)__msa_ld_w((void *)p, 0); }
static inline float vn_msa_hsum(v4f32 v) {
  float t[4];
  memcpy(t, &v, 16);
  return (t[0] + t[1]) + (t[2] + t[3]);
}
static inline int32_t vn_msa_hsumi(v4i32 v) {
  return __msa_copy_s_w(v, 0) + __msa_copy_s_w(v, 1) + __msa_copy_s_w(v, 2) + __msa_copy_s_w(v, 3);
}

#define VN_HAVE_DOT_F32 1
static inline float vn_dot_f32(const float *x, const float *w, int64_t n) {
  v4f32 a0 = (v4f32)__msa_fill_w(0), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = __msa_fmadd_w(a0, vn_msa_ldf(x + i), vn_msa_ldf(w + i));
    a1 = __msa_fmadd_w(a1, vn_msa_ldf(x + i + 4), vn_msa_ldf(w + i + 4));
    a2 = __msa_fmadd_w(a2, vn_msa_ldf(x + i + 8), vn_msa_ldf(w + i + 8));
    a3 = __msa_fmadd_w(a3, vn_msa_ldf(x + i + 12), vn_msa_ldf(w + i + 12));
  }
  for (; i + 4 <= n; i += 4) a0 = __msa_fmadd_w(a0, vn_msa_ldf(x + i), vn_msa_ldf(w + i));
  float s = vn_msa_hsum(__msa_fadd_w(__msa_fadd_w(a0, a1), __msa_fadd_w(a2, a3)));
  for (; i < n; i++) s += x[i] * w[i];
  return s;
}

#define VN_HAVE_DOT4_F32 1
static inline void vn_dot4_f32(const float *x, int64_t ldx, const float *w, int64_t n, float *out) {
  v4f32 a0 = (v4f32)__msa_fill_w(0), a1 = a0, a2 = a0, a3 = a0;
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    v4f32 wv = vn_msa_ldf(w + i);
    a0 = __msa_fmadd_w(a0, vn_msa_ldf(x0 + i), wv);
    a1 = __msa_fmadd_w(a1, vn_msa_ldf(x1 + i), wv);
    a2 = __msa_fmadd_w(a2, vn_msa_ldf(x2 + i), wv);
    a3 = __msa_fmadd_w(a3, vn_msa_ldf(x3 + i), wv);
  }
  out[0] = vn_msa_hsum(a0); out[1] = vn_msa_hsum(a1); out[2] = vn_msa_hsum(a2); out[3] = vn_msa_hsum(a3);
  for (; i < n; i++) { out[0] += x0[i] * w[i]; out[1] += x1[i] * w[i]; out[2] += x2[i] * w[i]; out[3] += x3[i] * w[i]; }
}

#define VN_HAVE_AXPY_F32 1
static inline void vn_axpy_f32(float *y, float a, const float *x, int64_t n) {
  v4f32 av = {a, a, a, a};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) __msa_st_w((v4i32)__msa_fmadd_w(vn_msa_ldf(y + i), av, vn_msa_ldf(x + i)), y + i, 0);
  for (; i < n; i++) y[i] += a * x[i];
}

/* eight f16 / bf16 weights: the low four (right) as floats; callers load 8
 * halves only while 8 remain */
static inline v4f32 vn_msa_ld_f16(const uint16_t *w) { return __msa_fexupr_w((v8i16)__msa_ld_h((void *)w, 0)); }
static inline v4f32 vn_msa_ld_f16_hi(const uint16_t *w) { return __msa_fexupl_w((v8i16)__msa_ld_h((void *)w, 0)); }
static inline v4f32 vn_msa_ld_bf16(const uint16_t *w) {
  return (v4f32)__msa_ilvr_h(__msa_ld_h((void *)w, 0), __msa_fill_h(0));
}
static inline v4f32 vn_msa_ld_bf16_hi(const uint16_t *w) {
  return (v4f32)__msa_ilvl_h(__msa_ld_h((void *)w, 0), __msa_fill_h(0));
}

#define VN_MSA_DOT_HALF(NAME, LO, HI, CVT)                                                                \
  static inline float NAME(const float *x, const uint16_t *w, int64_t n) {                               \
    v4f32 a0 = (v4f32)__msa_fill_w(0), a1 = a0;                                                          \
    int64_t i = 0;                                                                                       \
    for (; i + 8 <= n; i += 8) {                                                                         \
      a0 = __msa_fmadd_w(a0, vn_msa_ldf(x + i), LO(w + i));                                              \
      a1 = __msa_fmadd_w(a1, vn_msa_ldf(x + i + 4), HI(w + i));                                          \
    }                                                                                                    \
    float s = vn_msa_hsum(__msa_fadd_w(a0, a1));                                                         \
    for (; i < n; i++) s += x[i] * CVT(w[i]);                                                            \
    return s;                                                                                            \
  }
#define VN_MSA_DOT4_HALF(NAME, LO, HI, CVT)                                                               \
  static inline void NAME(const float *x, int64_t ldx, const uint16_t *w, int64_t n, float *out) {       \
    v4f32 a0 = (v4f32)__msa_fill_w(0), a1 = a0, a2 = a0, a3 = a0;                                        \
    const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;                            \
    int64_t i = 0;                                                                                       \
    for (; i + 8 <= n; i += 8) {                                                                         \
      v4f32 wl = LO(w + i), wh = HI(w + i);                                                              \
      a0 = __msa_fmadd_w(__msa_fmadd_w(a0, vn_msa_ldf(x0 + i), wl), vn_msa_ldf(x0 + i + 4), wh);         \
      a1 = __msa_fmadd_w(__msa_fmadd_w(a1, vn_msa_ldf(x1 + i), wl), vn_msa_ldf(x1 + i + 4), wh);         \
      a2 = __msa_fmadd_w(__msa_fmadd_w(a2, vn_msa_ldf(x2 + i), wl), vn_msa_ldf(x2 + i + 4), wh);         \
      a3 = __msa_fmadd_w(__msa_fmadd_w(a3, vn_msa_ldf(x3 + i), wl), vn_msa_ldf(x3 + i + 4), wh);         \
    }                                                                                                    \
    out[0] = vn_msa_hsum(a0); out[1] = vn_msa_hsum(a1); out[2] = vn_msa_hsum(a2); out[3] = vn_msa_hsum(a3); \
    for (; i < n; i++) {                                                                                 \
      float wf = CVT(w[i]);                                                                              \
      out[0] += x0[i] * wf; out[1] += x1[i] * wf; out[2] += x2[i] * wf; out[3] += x3[i] * wf;            \
    }                                                                                                    \
  }
#define VN_HAVE_DOT_F16 1
VN_MSA_DOT_HALF(vn_dot_f16, vn_msa_ld_f16, vn_msa_ld_f16_hi, vn_f16_to_f32)
#define VN_HAVE_DOT4_F16 1
VN_MSA_DOT4_HALF(vn_dot4_f16, vn_msa_ld_f16, vn_msa_ld_f16_hi, vn_f16_to_f32)
#define VN_HAVE_DOT_BF16 1
VN_MSA_DOT_HALF(vn_dot_bf16, vn_msa_ld_bf16, vn_msa_ld_bf16_hi, vn_bf16_to_f32)
#define VN_HAVE_DOT4_BF16 1
VN_MSA_DOT4_HALF(vn_dot4_bf16, vn_msa_ld_bf16, vn_msa_ld_bf16_hi, vn_bf16_to_f32)

/* 16 int8 products (a . b) added to the int32 lanes of acc: sign-extended
 * to int16 by interleaving with the sign mask, then pairs into int32 */
static inline v4i32 vn_msa_dot16(v16i8 a, v16i8 b, v4i32 acc) {
  v16i8 sa = __msa_clti_s_b(a, 0), sb = __msa_clti_s_b(b, 0);
  acc = __msa_dpadd_s_w(acc, (v8i16)__msa_ilvr_b(sa, a), (v8i16)__msa_ilvr_b(sb, b));
  return __msa_dpadd_s_w(acc, (v8i16)__msa_ilvl_b(sa, a), (v8i16)__msa_ilvl_b(sb, b));
}

#define VN_HAVE_DOT_Q8_0 1
static inline float vn_dot_q8_0(const VnBlockQ8 *x, const VnBlockQ8 *w, int64_t nb) {
  float s = 0;
  for (int64_t b = 0; b < nb; b++) {
    v4i32 acc = vn_msa_dot16(__msa_ld_b((void *)x[b].qs, 0), __msa_ld_b((void *)w[b].qs, 0), __msa_fill_w(0));
    acc = vn_msa_dot16(__msa_ld_b((void *)x[b].qs, 16), __msa_ld_b((void *)w[b].qs, 16), acc);
    s += vn_f16_to_f32(x[b].d) * vn_f16_to_f32(w[b].d) * (float)vn_msa_hsumi(acc);
  }
  return s;
}

#define VN_HAVE_DOT_Q4_0 1
static inline float vn_dot_q4_0(const VnBlockQ8 *x, const VnBlockQ4 *w, int64_t nb) {
  float s = 0;
  const v16i8 eight = __msa_fill_b(8);
  for (int64_t b = 0; b < nb; b++) {
    v16u8 q = (v16u8)__msa_ld_b((void *)w[b].qs, 0);
    v16i8 lo = __msa_subv_b((v16i8)__msa_andi_b(q, 0x0f), eight);
    v16i8 hi = __msa_subv_b((v16i8)__msa_srli_b((v16i8)q, 4), eight);
    v4i32 acc = vn_msa_dot16(__msa_ld_b((void *)x[b].qs, 0), lo, __msa_fill_w(0));
    acc = vn_msa_dot16(__msa_ld_b((void *)x[b].qs, 16), hi, acc);
    s += vn_f16_to_f32(x[b].d) * vn_f16_to_f32(w[b].d) * (float)vn_msa_hsumi(acc);
  }
  return s;
}
