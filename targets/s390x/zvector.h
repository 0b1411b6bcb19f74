/* zvector.h: the IBM z/Architecture vector facility vocabulary of the
 * micro-kernels (s390x target: z14 for vector float, big-endian); the
 * kernels are written once in runtime/kernels.c. 4 float lanes with fused
 * multiply-adds (vec_madd) and unaligned loads (vec_xl), tails in scalar
 * code; 32 vector registers: tiles of 4 x 4. int8 blocks as 16-byte
 * vectors, widened to int16 (vec_unpackh/l) and multiplied even and odd
 * lanes into int32 (vec_mule/vec_mulo, exact). f16 weights (no conversion
 * instruction) are converted with integer operations: a normal value's
 * exponent is rebased by 112 << 23 (twice for inf/NaN), a subnormal one is
 * its mantissa times 2^-24; bf16 is a 16-bit shift. Weights arrive already
 * in big-endian order (venusc packs them so), and lanes are combined with
 * vec_extract, so nothing here depends on the byte order. */
#include <vecintrin.h>

typedef __vector float vn_zf;
typedef __vector signed int vn_zi;
typedef __vector unsigned int vn_zu;
typedef __vector signed short vn_zs;
typedef __vector signed char vn_zc;
typedef __vector unsigned char vn_zuc;
typedef __vector unsigned short vn_zus;

#define VN_VL 4
#define VN_NR 4
typedef vn_zf vn_vf;
static inline vn_vf vn_vf_zero(void) { return vec_splats(0.0f); }
static inline vn_vf vn_vf_set1(float a) { return vec_splats(a); }
static inline vn_vf vn_vf_ld(const float *p) { return vec_xl(0, p); }
static inline void vn_vf_st(float *p, vn_vf v) { vec_xst(v, 0, p); }
static inline vn_vf vn_vf_fma(vn_vf acc, vn_vf a, vn_vf b) { return vec_madd(a, b, acc); }
static inline vn_vf vn_vf_add(vn_vf a, vn_vf b) { return a + b; }
static inline float vn_vf_sum(vn_vf v) { return (vec_extract(v, 0) + vec_extract(v, 1)) + (vec_extract(v, 2) + vec_extract(v, 3)); }
/* four f16 / bf16 weights as floats (u16 zero-extended into 32-bit lanes) */
static inline vn_zu vn_z_ld4u16(const uint16_t *w) {
  vn_zus v = vec_load_len((const unsigned short *)w, 7);  /* exactly 8 bytes (VLL) */
  return vec_unpackh(v);
}
#define VN_V_F16 1
static inline vn_vf vn_vf_ldh(const uint16_t *w) {
  vn_zu h = vn_z_ld4u16(w), e = h & 0x7c00u;
  vn_zu r = ((h & 0x7fffu) << 13) + 0x38000000u;
  r = vec_sel(r, r + 0x38000000u, vec_cmpeq(e, vec_splats(0x7c00u)));
  vn_zf sub = __builtin_convertvector((vn_zi)(h & 0x3ffu), vn_zf) * 0x1p-24f;
  r = vec_sel(r, (vn_zu)sub, vec_cmpeq(e, vec_splats(0u)));
  return (vn_zf)(r | ((h & 0x8000u) << 16));
}
#define VN_V_BF16 1
static inline vn_vf vn_vf_ldb(const uint16_t *w) { return (vn_zf)(vn_z_ld4u16(w) << 16); }

#define VN_V_B16 1
typedef vn_zc vn_b16;
static inline vn_b16 vn_b16_ld(const int8_t *p) { return vec_xl(0, (const signed char *)p); }
static inline vn_b16 vn_b16_lo4(vn_b16 v) { return (vn_zc)((vn_zuc)v & 0x0f) - 8; }
static inline vn_b16 vn_b16_hi4(vn_b16 v) { return (vn_zc)((vn_zuc)v >> 4) - 8; }
typedef vn_zi vn_i4;
static inline vn_i4 vn_i4_zero(void) { return vec_splats(0); }
static inline vn_i4 vn_i4_dot(vn_i4 acc, vn_b16 a, vn_b16 b) {
  vn_zs ah = vec_unpackh(a), bh = vec_unpackh(b), al = vec_unpackl(a), bl = vec_unpackl(b);
  return acc + vec_mule(ah, bh) + vec_mulo(ah, bh) + vec_mule(al, bl) + vec_mulo(al, bl);
}
static inline int32_t vn_i4_sum(vn_i4 v) { return vec_extract(v, 0) + vec_extract(v, 1) + vec_extract(v, 2) + vec_extract(v, 3); }
