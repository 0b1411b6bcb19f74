/* msa.h: the MIPS SIMD Architecture vocabulary of the micro-kernels
 * (mips64el target, MSA on Loongson 3A4000-class cores); the kernels are
 * written once in runtime/kernels.c. 4 float lanes with fused multiply-adds
 * (__msa_fmadd_w), tails in scalar code; 32 vector registers: tiles of
 * 4 x 4. f16 weights are widened by the half-to-single conversion
 * (__msa_fexupr_w, from an 8-byte load), bf16 by interleaving with zeros.
 * int8 blocks as 16-byte vectors, sign-extended to int16 (interleaved with
 * the sign mask) and multiply-accumulated in pairs into int32
 * (__msa_dpadd_s_w, exact). Little-endian lane layout (mips64el). */
#include <msa.h>

#define VN_VL 4
#define VN_NR 4
typedef v4f32 vn_vf;
static inline vn_vf vn_vf_zero(void) { return (v4f32)__msa_fill_w(0); }
static inline vn_vf vn_vf_set1(float a) { v4f32 v = {a, a, a, a}; return v; }
static inline vn_vf vn_vf_ld(const float *p) { return (v4f32)__msa_ld_w((void *)p, 0); }
static inline void vn_vf_st(float *p, vn_vf v) { __msa_st_w((v4i32)v, p, 0); }
static inline vn_vf vn_vf_fma(vn_vf acc, vn_vf a, vn_vf b) { return __msa_fmadd_w(acc, a, b); }
static inline vn_vf vn_vf_add(vn_vf a, vn_vf b) { return __msa_fadd_w(a, b); }
static inline float vn_vf_sum(vn_vf v) {
  float t[4];
  memcpy(t, &v, 16);
  return (t[0] + t[1]) + (t[2] + t[3]);
}
/* four halves from an 8-byte load, in the right (low) half of a vector */
static inline v8i16 vn_msa_ld4h(const uint16_t *w) {
  int64_t d;
  memcpy(&d, w, 8);
  return (v8i16)__msa_fill_d(d);
}
#define VN_V_F16 1
static inline vn_vf vn_vf_ldh(const uint16_t *w) { return __msa_fexupr_w(vn_msa_ld4h(w)); }
#define VN_V_BF16 1
static inline vn_vf vn_vf_ldb(const uint16_t *w) { return (v4f32)__msa_ilvr_h(vn_msa_ld4h(w), __msa_fill_h(0)); }

#define VN_V_B16 1
typedef v16i8 vn_b16;
static inline vn_b16 vn_b16_ld(const int8_t *p) { return __msa_ld_b((void *)p, 0); }
static inline vn_b16 vn_b16_lo4(vn_b16 v) { return __msa_subv_b((v16i8)__msa_andi_b((v16u8)v, 0x0f), __msa_fill_b(8)); }
static inline vn_b16 vn_b16_hi4(vn_b16 v) { return __msa_subv_b((v16i8)__msa_srli_b(v, 4), __msa_fill_b(8)); }
typedef v4i32 vn_i4;
static inline vn_i4 vn_i4_zero(void) { return __msa_fill_w(0); }
static inline vn_i4 vn_i4_dot(vn_i4 acc, vn_b16 a, vn_b16 b) {
  v16i8 sa = __msa_clti_s_b(a, 0), sb = __msa_clti_s_b(b, 0);
  acc = __msa_dpadd_s_w(acc, (v8i16)__msa_ilvr_b(sa, a), (v8i16)__msa_ilvr_b(sb, b));
  return __msa_dpadd_s_w(acc, (v8i16)__msa_ilvl_b(sa, a), (v8i16)__msa_ilvl_b(sb, b));
}
static inline int32_t vn_i4_sum(vn_i4 v) {
  return __msa_copy_s_w(v, 0) + __msa_copy_s_w(v, 1) + __msa_copy_s_w(v, 2) + __msa_copy_s_w(v, 3);
}
