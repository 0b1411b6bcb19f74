/* altivec.h: the Power ISA vector vocabulary of the micro-kernels, for
 * POWER8 VSX (ppc64le target, little-endian) and 32-bit AltiVec (powerpc
 * target, big-endian G4); the kernels are written once in runtime/kernels.c.
 * 4 float lanes with fused multiply-adds (vec_madd), tails in scalar code;
 * 32 vector registers: tiles of 4 x 4. int8 blocks as 16-byte vectors,
 * widened to int16 (vec_unpackh/l) for vec_msum (pairs of int16 products
 * summed into int32 lanes, exact). f16
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

#define VN_VL 4
#define VN_NR 4
static inline vn_vf vn_vf_zero(void) { return vec_splats(0.0f); }
static inline vn_vf vn_vf_set1(float a) { return vec_splats(a); }
static inline vn_vf vn_vf_ld(const float *p) { return vn_ppc_ldf(p); }
static inline void vn_vf_st(float *p, vn_vf v) { vn_ppc_stf(p, v); }
static inline vn_vf vn_vf_fma(vn_vf acc, vn_vf a, vn_vf b) { return vec_madd(a, b, acc); }
static inline vn_vf vn_vf_add(vn_vf a, vn_vf b) { return vec_add(a, b); }
static inline float vn_vf_sum(vn_vf v) {
  return (vec_extract(v, 0) + vec_extract(v, 1)) + (vec_extract(v, 2) + vec_extract(v, 3));
}
/* four f16 / bf16 weights as floats */
#define VN_V_F16 1
static inline vn_vf vn_vf_ldh(const uint16_t *w) {
  vn_vu h = vn_ppc_ld4u16(w), e = vec_and(h, vec_splats(0x7c00u));
  vn_vu r = vec_add(vec_sl(vec_and(h, vec_splats(0x7fffu)), vec_splats(13u)), vec_splats(0x38000000u));
  r = vec_sel(r, vec_add(r, vec_splats(0x38000000u)), (vn_vu)vec_cmpeq(e, vec_splats(0x7c00u)));
  vn_vf sub = vec_madd(vec_ctf(vec_and(h, vec_splats(0x3ffu)), 0), vec_splats(0x1p-24f), vec_splats(-0.0f));
  r = vec_sel(r, (vn_vu)sub, (vn_vu)vec_cmpeq(e, vec_splats(0u)));
  return (vn_vf)vec_or(r, vec_sl(vec_and(h, vec_splats(0x8000u)), vec_splats(16u)));
}
#define VN_V_BF16 1
static inline vn_vf vn_vf_ldb(const uint16_t *w) { return (vn_vf)vec_sl(vn_ppc_ld4u16(w), vec_splats(16u)); }

#define VN_V_B16 1
typedef vn_vc vn_b16;
static inline vn_b16 vn_b16_ld(const int8_t *p) { return vn_ppc_ldc(p); }
static inline vn_b16 vn_b16_lo4(vn_b16 v) {
  return vec_sub((vn_vc)vec_and((vn_vuc)v, vec_splats((unsigned char)0x0f)), vec_splats((signed char)8));
}
static inline vn_b16 vn_b16_hi4(vn_b16 v) {
  return vec_sub((vn_vc)vec_sr((vn_vuc)v, vec_splats((unsigned char)4)), vec_splats((signed char)8));
}
typedef vn_vi vn_i4;
static inline vn_i4 vn_i4_zero(void) { return vec_splats(0); }
static inline vn_i4 vn_i4_dot(vn_i4 acc, vn_b16 a, vn_b16 b) {
  acc = vec_msum(vec_unpackh(a), vec_unpackh(b), acc);
  return vec_msum(vec_unpackl(a), vec_unpackl(b), acc);
}
static inline int32_t vn_i4_sum(vn_i4 v) { return vec_extract(v, 0) + vec_extract(v, 1) + vec_extract(v, 2) + vec_extract(v, 3); }
