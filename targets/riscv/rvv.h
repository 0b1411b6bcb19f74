/* rvv.h: the RISC-V Vector 1.0 vocabulary of the micro-kernels (riscv64
 * target, clang 19's __riscv_ intrinsics; the kernels are written once in
 * runtime/kernels.c). Vector-length agnostic: VN_VL is the float lanes of
 * an LMUL-2 group (VLEN 128 and up), whole groups run at VLMAX and the tail
 * is one short load into a zero vector, tail-undisturbed (VN_V_PART);
 * 16 register groups: tiles of 4 x 2. f16 weights are converted with
 * integer operations (no Zvfh needed): a normal value's exponent is rebased
 * by 112 << 23 (twice for inf/NaN), a subnormal is its mantissa times
 * 2^-24; bf16 is a 16-bit shift. An int8 block is one 32-byte vector
 * (LMUL 2; a q4_0 block's high nibbles slid up behind its low ones),
 * multiplied into int16 (vwmul, exact) and summed into int32 (vwredsum). */
#include <riscv_vector.h>

#define VN_VL ((int64_t)__riscv_vsetvlmax_e32m2())
#define VN_NR 2
typedef vfloat32m2_t vn_vf;
static inline size_t vn_rvv_max(void) { return __riscv_vsetvlmax_e32m2(); }
static inline vn_vf vn_vf_zero(void) { return __riscv_vfmv_v_f_f32m2(0.0f, vn_rvv_max()); }
static inline vn_vf vn_vf_set1(float a) { return __riscv_vfmv_v_f_f32m2(a, vn_rvv_max()); }
static inline vn_vf vn_vf_ld(const float *p) { return __riscv_vle32_v_f32m2(p, vn_rvv_max()); }
static inline void vn_vf_st(float *p, vn_vf v) { __riscv_vse32_v_f32m2(p, v, vn_rvv_max()); }
static inline vn_vf vn_vf_fma(vn_vf acc, vn_vf a, vn_vf b) { return __riscv_vfmacc_vv_f32m2(acc, a, b, vn_rvv_max()); }
static inline vn_vf vn_vf_add(vn_vf a, vn_vf b) { return __riscv_vfadd_vv_f32m2(a, b, vn_rvv_max()); }
static inline float vn_vf_sum(vn_vf v) {
  vfloat32m1_t z = __riscv_vfmv_s_f_f32m1(0.0f, 1);
  return __riscv_vfmv_f_s_f32m1_f32(__riscv_vfredusum_vs_f32m2_f32m1(v, z, vn_rvv_max()));
}
/* vl (<= VLMAX) halves zero-extended into 32-bit lanes, the rest zero */
static inline vuint32m2_t vn_rvv_ld16(const uint16_t *w, size_t vl) {
  vuint16m1_t h = __riscv_vle16_v_u16m1_tu(__riscv_vmv_v_x_u16m1(0, vn_rvv_max()), w, vl);
  return __riscv_vzext_vf2_u32m2(h, vn_rvv_max());
}
static inline vn_vf vn_rvv_f16(vuint32m2_t h) {
  size_t vl = vn_rvv_max();
  vuint32m2_t e = __riscv_vand_vx_u32m2(h, 0x7c00, vl);
  vuint32m2_t r = __riscv_vadd_vx_u32m2(__riscv_vsll_vx_u32m2(__riscv_vand_vx_u32m2(h, 0x7fff, vl), 13, vl), 0x38000000, vl);
  r = __riscv_vadd_vx_u32m2_mu(__riscv_vmseq_vx_u32m2_b16(e, 0x7c00, vl), r, r, 0x38000000, vl);
  vfloat32m2_t sub = __riscv_vfmul_vf_f32m2(__riscv_vfcvt_f_xu_v_f32m2(__riscv_vand_vx_u32m2(h, 0x3ff, vl), vl), 0x1p-24f, vl);
  r = __riscv_vmerge_vvm_u32m2(r, __riscv_vreinterpret_v_f32m2_u32m2(sub), __riscv_vmseq_vx_u32m2_b16(e, 0, vl), vl);
  r = __riscv_vor_vv_u32m2(r, __riscv_vsll_vx_u32m2(__riscv_vand_vx_u32m2(h, 0x8000, vl), 16, vl), vl);
  return __riscv_vreinterpret_v_u32m2_f32m2(r);
}
static inline vn_vf vn_rvv_bf16(vuint32m2_t h) { return __riscv_vreinterpret_v_u32m2_f32m2(__riscv_vsll_vx_u32m2(h, 16, vn_rvv_max())); }
#define VN_V_F16 1
static inline vn_vf vn_vf_ldh(const uint16_t *p) { return vn_rvv_f16(vn_rvv_ld16(p, vn_rvv_max())); }
#define VN_V_BF16 1
static inline vn_vf vn_vf_ldb(const uint16_t *p) { return vn_rvv_bf16(vn_rvv_ld16(p, vn_rvv_max())); }
#define VN_V_PART 1
static inline vn_vf vn_vf_ldn(const float *p, int64_t n) { return __riscv_vle32_v_f32m2_tu(vn_vf_zero(), p, (size_t)n); }
static inline void vn_vf_stn(float *p, vn_vf v, int64_t n) { __riscv_vse32_v_f32m2(p, v, (size_t)n); }
static inline vn_vf vn_vf_ldhn(const uint16_t *p, int64_t n) { return vn_rvv_f16(vn_rvv_ld16(p, (size_t)n)); }
static inline vn_vf vn_vf_ldbn(const uint16_t *p, int64_t n) { return vn_rvv_bf16(vn_rvv_ld16(p, (size_t)n)); }

#define VN_V_Q8 1
typedef vint8m2_t vn_q32;
static inline vn_q32 vn_q32_ld(const int8_t *p) { return __riscv_vle8_v_i8m2(p, 32); }
static inline vn_q32 vn_q32_q4(const uint8_t *p) {
  vuint8m2_t q = __riscv_vle8_v_u8m2(p, 16);
  vint8m2_t lo = __riscv_vsub_vx_i8m2(__riscv_vreinterpret_v_u8m2_i8m2(__riscv_vand_vx_u8m2(q, 0x0f, 16)), 8, 16);
  vint8m2_t hi = __riscv_vsub_vx_i8m2(__riscv_vreinterpret_v_u8m2_i8m2(__riscv_vsrl_vx_u8m2(q, 4, 16)), 8, 16);
  return __riscv_vslideup_vx_i8m2(lo, hi, 16, 32);
}
typedef vint32m1_t vn_qi;
static inline vn_qi vn_qi_dot(vn_q32 x, vn_q32 w) {
  return __riscv_vwredsum_vs_i16m4_i32m1(__riscv_vwmul_vv_i16m4(x, w, 32), __riscv_vmv_s_x_i32m1(0, 1), 32);
}
typedef float vn_qf;
static inline vn_qf vn_qf_zero(void) { return 0.0f; }
static inline vn_qf vn_qf_fma(vn_qf acc, float d, vn_qi q) { return acc + d * (float)__riscv_vmv_x_s_i32m1_i32(q); }
static inline float vn_qf_sum(vn_qf acc) { return acc; }
