/* altivec.h: Power ISA vector micro-kernels, for POWER8 VSX (ppc64le target,
 * little-endian) and 32-bit AltiVec (powerpc target, big-endian G4).
 * Float dot products use fused multiply-adds (vec_madd) over 4-lane
 * vectors; q8_0/q4_0 blocks widen int8 to int16 (vec_unpackh/l) and use
 * vec_msum (pairs of int16 products summed into int32 lanes, exact). f16
 * weights (no conversion instruction before POWER9) are converted with
 * integer operations: a normal value's exponent is rebased by 112 << 23
 * (twice for inf/NaN), a subnormal one is its mantissa times 2^-24; bf16 is
 * a 16-bit shift. Loads: VSX has unaligned ones (vec_xl); plain AltiVec
 * reads the two aligned quadwords a vector straddles and permutes
 * (vec_lvsl), never touching memory outside them, and stores through an
 * aligned buffer. Lanes are combined with vec_extract and element-order
 * intrinsics, so the same code is right in either byte order. */
#include <altivec.h>
#undef vector
#undef pixel
#undef bool

typedef __vector float vn_vf;
typedef __vector signed int vn_vi;
typedef __vector unsigned int vn_vu;
typedef __vector signed short vn_vs;
typedef __vector signed char vn_vc;
typedef __vector unsigned char vn_vuc;
typedef __vector unsigned short vn_vus;

#ifdef __VSX__
static inline vn_vf vn_ppc_ldf(const float *p) { return vec_xl(0, p); }
static inline void vn_ppc_stf(float *p, vn_vf v) { vec_xst(v, 0, p); }
static inline vn_vc vn_ppc_ldc(const int8_t *p) { return vec_xl(0, (const signed char *)p); }
static inline vn_vuc vn_ppc_lduc(const uint8_t *p) { return vec_xl(0, (const unsigned char *)p); }
/* four u16 zero-extended into 32-bit lanes */
static inline vn_vu vn_ppc_ld4u16(const uint16_t *p) {
  uint32_t t[4] = {p[0], p[1], p[2], p[3]};
  return vec_xl(0, t);
}
#else
static inline vn_vf vn_ppc_ldf(const float *p) {
  return vec_perm(vec_ld(0, p), vec_ld(15, p), vec_lvsl(0, p));
}
static inline void vn_ppc_stf(float *p, vn_vf v) {
  float t[4] __attribute__((aligned(16)));
  vec_st(v, 0, t);
  memcpy(p, t, 16);
}
static inline vn_vc vn_ppc_ldc(const int8_t *p) {
  const signed char *q = (const signed char *)p;
  return vec_perm(vec_ld(0, q), vec_ld(15, q), vec_lvsl(0, q));
}
static inline vn_vuc vn_ppc_lduc(const uint8_t *p) {
  const unsigned char *q = (const unsigned char *)p;
  return vec_perm(vec_ld(0, q), vec_ld(15, q), vec_lvsl(0, q));
}
static inline vn_vu vn_ppc_ld4u16(const uint16_t *p) {
  uint32_t t[4] __attribute__((aligned(16))) = {p[0], p[1], p[2], p[3]};
  return vec_ld(0, t);
}
#endif

#if !defined(__VSX__) && !defined(_ARCH_PWR5X)
/* 32-bit glibc's roundf (and sincos) save the rounding mode with mffscrni,
 * which pre-3.0 CPUs execute as mffs but QEMU's G4 model rejects as an
 * illegal instruction: kernels.c rounds with this exact equivalent instead
 * (runtime/weights.c computes sin/cos itself under the targets'
 * -DVN_OWN_SINCOS; ppc64le needs only that: POWER8 rounds with frin). */
static inline float vn_ppc_roundf(float x) {
  if (!(x > -8388608.0f && x < 8388608.0f)) return x;  /* already an integer, inf or NaN */
  float t = (float)(int32_t)x, d = x - t;
  return d >= 0.5f ? t + 1.0f : d <= -0.5f ? t - 1.0f : t;
}
#define roundf(x) vn_ppc_roundf(x)
#endif

static inline float vn_ppc_hsum(vn_vf v) {
  return (vec_extract(v, 0) + vec_extract(v, 1)) + (vec_extract(v, 2) + vec_extract(v, 3));
}
static inline int32_t vn_ppc_hsumi(vn_vi v) { return vec_extract(v, 0) + vec_extract(v, 1) + vec_extract(v, 2) + vec_extract(v, 3); }

#define VN_HAVE_DOT_F32 1
static inline float vn_dot_f32(const float *x, const float *w, int64_t n) {
  vn_vf a0 = vec_splats(0.0f), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = vec_madd(vn_ppc_ldf(x + i), vn_ppc_ldf(w + i), a0);
    a1 = vec_madd(vn_ppc_ldf(x + i + 4), vn_ppc_ldf(w + i + 4), a1);
    a2 = vec_madd(vn_ppc_ldf(x + i + 8), vn_ppc_ldf(w + i + 8), a2);
    a3 = vec_madd(vn_ppc_ldf(x + i + 12), vn_ppc_ldf(w + i + 12), a3);
  }
  for (; i + 4 <= n; i += 4) a0 = vec_madd(vn_ppc_ldf(x + i), vn_ppc_ldf(w + i), a0);
  float s = vn_ppc_hsum(vec_add(vec_add(a0, a1), vec_add(a2, a3)));
  for (; i < n; i++) s += x[i] * w[i];
  return s;
}

#define VN_HAVE_DOT4_F32 1
static inline void vn_dot4_f32(const float *x, int64_t ldx, const float *w, int64_t n, float *out) {
  vn_vf a0 = vec_splats(0.0f), a1 = a0, a2 = a0, a3 = a0;
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    vn_vf wv = vn_ppc_ldf(w + i);
    a0 = vec_madd(vn_ppc_ldf(x0 + i), wv, a0);
    a1 = vec_madd(vn_ppc_ldf(x1 + i), wv, a1);
    a2 = vec_madd(vn_ppc_ldf(x2 + i), wv, a2);
    a3 = vec_madd(vn_ppc_ldf(x3 + i), wv, a3);
  }
  out[0] = vn_ppc_hsum(a0); out[1] = vn_ppc_hsum(a1); out[2] = vn_ppc_hsum(a2); out[3] = vn_ppc_hsum(a3);
  for (; i < n; i++) { out[0] += x0[i] * w[i]; out[1] += x1[i] * w[i]; out[2] += x2[i] * w[i]; out[3] += x3[i] * w[i]; }
}

#define VN_HAVE_AXPY_F32 1
static inline void vn_axpy_f32(float *y, float a, const float *x, int64_t n) {
  vn_vf av = vec_splats(a);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) vn_ppc_stf(y + i, vec_madd(av, vn_ppc_ldf(x + i), vn_ppc_ldf(y + i)));
  for (; i < n; i++) y[i] += a * x[i];
}

/* four f16 / bf16 weights as floats */
static inline vn_vf vn_ppc_ld_f16(const uint16_t *w) {
  vn_vu h = vn_ppc_ld4u16(w), e = vec_and(h, vec_splats(0x7c00u));
  vn_vu r = vec_add(vec_sl(vec_and(h, vec_splats(0x7fffu)), vec_splats(13u)), vec_splats(0x38000000u));
  r = vec_sel(r, vec_add(r, vec_splats(0x38000000u)), (vn_vu)vec_cmpeq(e, vec_splats(0x7c00u)));
  vn_vf sub = vec_madd(vec_ctf(vec_and(h, vec_splats(0x3ffu)), 0), vec_splats(0x1p-24f), vec_splats(-0.0f));
  r = vec_sel(r, (vn_vu)sub, (vn_vu)vec_cmpeq(e, vec_splats(0u)));
  return (vn_vf)vec_or(r, vec_sl(vec_and(h, vec_splats(0x8000u)), vec_splats(16u)));
}
static inline vn_vf vn_ppc_ld_bf16(const uint16_t *w) {
  return (vn_vf)vec_sl(vn_ppc_ld4u16(w), vec_splats(16u));
}

#define VN_PPC_DOT_HALF(NAME, LD, CVT)                                                                    \
  static inline float NAME(const float *x, const uint16_t *w, int64_t n) {                               \
    vn_vf a0 = vec_splats(0.0f), a1 = a0;                                                                \
    int64_t i = 0;                                                                                       \
    for (; i + 8 <= n; i += 8) {                                                                         \
      a0 = vec_madd(vn_ppc_ldf(x + i), LD(w + i), a0);                                                   \
      a1 = vec_madd(vn_ppc_ldf(x + i + 4), LD(w + i + 4), a1);                                           \
    }                                                                                                    \
    for (; i + 4 <= n; i += 4) a0 = vec_madd(vn_ppc_ldf(x + i), LD(w + i), a0);                          \
    float s = vn_ppc_hsum(vec_add(a0, a1));                                                              \
    for (; i < n; i++) s += x[i] * CVT(w[i]);                                                            \
    return s;                                                                                            \
  }
#define VN_PPC_DOT4_HALF(NAME, LD, CVT)                                                                   \
  static inline void NAME(const float *x, int64_t ldx, const uint16_t *w, int64_t n, float *out) {       \
    vn_vf a0 = vec_splats(0.0f), a1 = a0, a2 = a0, a3 = a0;                                              \
    const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;                            \
    int64_t i = 0;                                                                                       \
    for (; i + 4 <= n; i += 4) {                                                                         \
      vn_vf wv = LD(w + i);                                                                              \
      a0 = vec_madd(vn_ppc_ldf(x0 + i), wv, a0);                                                         \
      a1 = vec_madd(vn_ppc_ldf(x1 + i), wv, a1);                                                         \
      a2 = vec_madd(vn_ppc_ldf(x2 + i), wv, a2);                                                         \
      a3 = vec_madd(vn_ppc_ldf(x3 + i), wv, a3);                                                         \
    }                                                                                                    \
    out[0] = vn_ppc_hsum(a0); out[1] = vn_ppc_hsum(a1); out[2] = vn_ppc_hsum(a2); out[3] = vn_ppc_hsum(a3); \
    for (; i < n; i++) {                                                                                 \
      float wf = CVT(w[i]);                                                                              \
      out[0] += x0[i] * wf; out[1] += x1[i] * wf; out[2] += x2[i] * wf; out[3] += x3[i] * wf;            \
    }                                                                                                    \
  }
#define VN_HAVE_DOT_F16 1
VN_PPC_DOT_HALF(vn_dot_f16, vn_ppc_ld_f16, vn_f16_to_f32)
#define VN_HAVE_DOT4_F16 1
VN_PPC_DOT4_HALF(vn_dot4_f16, vn_ppc_ld_f16, vn_f16_to_f32)
#define VN_HAVE_DOT_BF16 1
VN_PPC_DOT_HALF(vn_dot_bf16, vn_ppc_ld_bf16, vn_bf16_to_f32)
#define VN_HAVE_DOT4_BF16 1
VN_PPC_DOT4_HALF(vn_dot4_bf16, vn_ppc_ld_bf16, vn_bf16_to_f32)

/* 16 int8 products (a . b) added to the int32 lanes of acc */
static inline vn_vi vn_ppc_msum8(vn_vc a, vn_vc b, vn_vi acc) {
  acc = vec_msum(vec_unpackh(a), vec_unpackh(b), acc);
  return vec_msum(vec_unpackl(a), vec_unpackl(b), acc);
}

#define VN_HAVE_DOT_Q8_0 1
static inline float vn_dot_q8_0(const VnBlockQ8 *x, const VnBlockQ8 *w, int64_t nb) {
  float s = 0;
  for (int64_t b = 0; b < nb; b++) {
    vn_vi acc = vn_ppc_msum8(vn_ppc_ldc(x[b].qs), vn_ppc_ldc(w[b].qs), vec_splats(0));
    acc = vn_ppc_msum8(vn_ppc_ldc(x[b].qs + 16), vn_ppc_ldc(w[b].qs + 16), acc);
    s += vn_f16_to_f32(x[b].d) * vn_f16_to_f32(w[b].d) * (float)vn_ppc_hsumi(acc);
  }
  return s;
}

#define VN_HAVE_DOT_Q4_0 1
static inline float vn_dot_q4_0(const VnBlockQ8 *x, const VnBlockQ4 *w, int64_t nb) {
  float s = 0;
  const vn_vc eight = vec_splats((signed char)8);
  for (int64_t b = 0; b < nb; b++) {
    vn_vuc q = vn_ppc_lduc(w[b].qs);
    vn_vc lo = vec_sub((vn_vc)vec_and(q, vec_splats((unsigned char)0x0f)), eight);
    vn_vc hi = vec_sub((vn_vc)vec_sr(q, vec_splats((unsigned char)4)), eight);
    vn_vi acc = vn_ppc_msum8(vn_ppc_ldc(x[b].qs), lo, vec_splats(0));
    acc = vn_ppc_msum8(vn_ppc_ldc(x[b].qs + 16), hi, acc);
    s += vn_f16_to_f32(x[b].d) * vn_f16_to_f32(w[b].d) * (float)vn_ppc_hsumi(acc);
  }
  return s;
}
