/* zvector.h: IBM z/Architecture vector facility micro-kernels (s390x
 * target: z14 for vector float, big-endian). Float dot products use fused
 * multiply-adds (vec_madd) on 4-lane vectors with unaligned loads (vec_xl);
 * q8_0/q4_0 blocks widen int8 to int16 (vec_unpackh/l) and multiply the
 * even and odd int16 lanes into int32 (vec_mule/vec_mulo, exact). f16
 * weights (no conversion instruction) are converted with integer
 * operations: a normal value's exponent is rebased by 112 << 23 (twice for
 * inf/NaN), a subnormal one is its mantissa times 2^-24; bf16 is a 16-bit
 * shift. Weights arrive already in big-endian order (venusc packs them so),
 * and the lanes are combined with vec_extract, so nothing here depends on
 * the byte order. */
#include <vecintrin.h>

typedef __vector float vn_zf;
typedef __vector signed int vn_zi;
typedef __vector unsigned int vn_zu;
typedef __vector signed short vn_zs;
typedef __vector signed char vn_zc;
typedef __vector unsigned char vn_zuc;
typedef __vector unsigned short vn_zus;

static inline vn_zf vn_z_ldf(const float *p) { return vec_xl(0, p); }
static inline float vn_z_hsum(vn_zf v) { return (vec_extract(v, 0) + vec_extract(v, 1)) + (vec_extract(v, 2) + vec_extract(v, 3)); }
static inline int32_t vn_z_hsumi(vn_zi v) { return vec_extract(v, 0) + vec_extract(v, 1) + vec_extract(v, 2) + vec_extract(v, 3); }

#define VN_HAVE_DOT_F32 1
static inline float vn_dot_f32(const float *x, const float *w, int64_t n) {
  vn_zf a0 = vec_splats(0.0f), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = vec_madd(vn_z_ldf(x + i), vn_z_ldf(w + i), a0);
    a1 = vec_madd(vn_z_ldf(x + i + 4), vn_z_ldf(w + i + 4), a1);
    a2 = vec_madd(vn_z_ldf(x + i + 8), vn_z_ldf(w + i + 8), a2);
    a3 = vec_madd(vn_z_ldf(x + i + 12), vn_z_ldf(w + i + 12), a3);
  }
  for (; i + 4 <= n; i += 4) a0 = vec_madd(vn_z_ldf(x + i), vn_z_ldf(w + i), a0);
  float s = vn_z_hsum(a0 + a1 + (a2 + a3));
  for (; i < n; i++) s += x[i] * w[i];
  return s;
}

#define VN_HAVE_DOT4_F32 1
static inline void vn_dot4_f32(const float *x, int64_t ldx, const float *w, int64_t n, float *out) {
  vn_zf a0 = vec_splats(0.0f), a1 = a0, a2 = a0, a3 = a0;
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    vn_zf wv = vn_z_ldf(w + i);
    a0 = vec_madd(vn_z_ldf(x0 + i), wv, a0);
    a1 = vec_madd(vn_z_ldf(x1 + i), wv, a1);
    a2 = vec_madd(vn_z_ldf(x2 + i), wv, a2);
    a3 = vec_madd(vn_z_ldf(x3 + i), wv, a3);
  }
  out[0] = vn_z_hsum(a0); out[1] = vn_z_hsum(a1); out[2] = vn_z_hsum(a2); out[3] = vn_z_hsum(a3);
  for (; i < n; i++) { out[0] += x0[i] * w[i]; out[1] += x1[i] * w[i]; out[2] += x2[i] * w[i]; out[3] += x3[i] * w[i]; }
}

#define VN_HAVE_AXPY_F32 1
static inline void vn_axpy_f32(float *y, float a, const float *x, int64_t n) {
  vn_zf av = vec_splats(a);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) vec_xst(vec_madd(av, vn_z_ldf(x + i), vn_z_ldf(y + i)), 0, y + i);
  for (; i < n; i++) y[i] += a * x[i];
}

/* four f16 / bf16 weights as floats (u16 zero-extended into 32-bit lanes) */
static inline vn_zu vn_z_ld4u16(const uint16_t *w) {
  vn_zus v = vec_load_len((const unsigned short *)w, 7);  /* exactly 8 bytes (VLL) */
  return vec_unpackh(v);
}
static inline vn_zf vn_z_ld_f16(const uint16_t *w) {
  vn_zu h = vn_z_ld4u16(w), e = h & 0x7c00u;
  vn_zu r = ((h & 0x7fffu) << 13) + 0x38000000u;
  r = vec_sel(r, r + 0x38000000u, vec_cmpeq(e, vec_splats(0x7c00u)));
  vn_zf sub = __builtin_convertvector((vn_zi)(h & 0x3ffu), vn_zf) * 0x1p-24f;
  r = vec_sel(r, (vn_zu)sub, vec_cmpeq(e, vec_splats(0u)));
  return (vn_zf)(r | ((h & 0x8000u) << 16));
}
static inline vn_zf vn_z_ld_bf16(const uint16_t *w) { return (vn_zf)(vn_z_ld4u16(w) << 16); }

#define VN_Z_DOT_HALF(NAME, LD, CVT)                                                                      \
  static inline float NAME(const float *x, const uint16_t *w, int64_t n) {                               \
    vn_zf a0 = vec_splats(0.0f), a1 = a0;                                                                \
    int64_t i = 0;                                                                                       \
    for (; i + 8 <= n; i += 8) {                                                                         \
      a0 = vec_madd(vn_z_ldf(x + i), LD(w + i), a0);                                                     \
      a1 = vec_madd(vn_z_ldf(x + i + 4), LD(w + i + 4), a1);                                             \
    }                                                                                                    \
    float s = vn_z_hsum(a0 + a1);                                                                        \
    for (; i < n; i++) s += x[i] * CVT(w[i]);                                                            \
    return s;                                                                                            \
  }
#define VN_Z_DOT4_HALF(NAME, LD, CVT)                                                                     \
  static inline void NAME(const float *x, int64_t ldx, const uint16_t *w, int64_t n, float *out) {       \
    vn_zf a0 = vec_splats(0.0f), a1 = a0, a2 = a0, a3 = a0;                                              \
    const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;                            \
    int64_t i = 0;                                                                                       \
    for (; i + 4 <= n; i += 4) {                                                                         \
      vn_zf wv = LD(w + i);                                                                              \
      a0 = vec_madd(vn_z_ldf(x0 + i), wv, a0);                                                           \
      a1 = vec_madd(vn_z_ldf(x1 + i), wv, a1);                                                           \
      a2 = vec_madd(vn_z_ldf(x2 + i), wv, a2);                                                           \
      a3 = vec_madd(vn_z_ldf(x3 + i), wv, a3);                                                           \
    }                                                                                                    \
    out[0] = vn_z_hsum(a0); out[1] = vn_z_hsum(a1); out[2] = vn_z_hsum(a2); out[3] = vn_z_hsum(a3);      \
    for (; i < n; i++) {                                                                                 \
      float wf = CVT(w[i]);                                                                              \
      out[0] += x0[i] * wf; out[1] += x1[i] * wf; out[2] += x2[i] * wf; out[3] += x3[i] * wf;            \
    }                                                                                                    \
  }
#define VN_HAVE_DOT_F16 1
VN_Z_DOT_HALF(vn_dot_f16, vn_z_ld_f16, vn_f16_to_f32)
#define VN_HAVE_DOT4_F16 1
VN_Z_DOT4_HALF(vn_dot4_f16, vn_z_ld_f16, vn_f16_to_f32)
#define VN_HAVE_DOT_BF16 1
VN_Z_DOT_HALF(vn_dot_bf16, vn_z_ld_bf16, vn_bf16_to_f32)
#define VN_HAVE_DOT4_BF16 1
VN_Z_DOT4_HALF(vn_dot4_bf16, vn_z_ld_bf16, vn_bf16_to_f32)

/* 16 int8 products (a . b) added to the int32 lanes of acc */
static inline vn_zi vn_z_dot16(vn_zc a, vn_zc b, vn_zi acc) {
  vn_zs ah = vec_unpackh(a), bh = vec_unpackh(b), al = vec_unpackl(a), bl = vec_unpackl(b);
  return acc + vec_mule(ah, bh) + vec_mulo(ah, bh) + vec_mule(al, bl) + vec_mulo(al, bl);
}

#define VN_HAVE_DOT_Q8_0 1
static inline float vn_dot_q8_0(const VnBlockQ8 *x, const VnBlockQ8 *w, int64_t nb) {
  float s = 0;
  for (int64_t b = 0; b < nb; b++) {
    const signed char *xq = (const signed char *)x[b].qs, *wq = (const signed char *)w[b].qs;
    vn_zi acc = vn_z_dot16(vec_xl(0, xq), vec_xl(0, wq), vec_splats(0));
    acc = vn_z_dot16(vec_xl(16, xq), vec_xl(16, wq), acc);
    s += vn_f16_to_f32(x[b].d) * vn_f16_to_f32(w[b].d) * (float)vn_z_hsumi(acc);
  }
  return s;
}

#define VN_HAVE_DOT_Q4_0 1
static inline float vn_dot_q4_0(const VnBlockQ8 *x, const VnBlockQ4 *w, int64_t nb) {
  float s = 0;
  for (int64_t b = 0; b < nb; b++) {
    const signed char *xq = (const signed char *)x[b].qs;
    vn_zuc q = vec_xl(0, (const unsigned char *)w[b].qs);
    vn_zc lo = (vn_zc)(q & 0x0f) - 8, hi = (vn_zc)(q >> 4) - 8;
    vn_zi acc = vn_z_dot16(vec_xl(0, xq), lo, vec_splats(0));
    acc = vn_z_dot16(vec_xl(16, xq), hi, acc);
    s += vn_f16_to_f32(x[b].d) * vn_f16_to_f32(w[b].d) * (float)vn_z_hsumi(acc);
  }
  return s;
}
