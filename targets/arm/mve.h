/* mve.h: the Cortex-M55 Helium (M-profile Vector Extension, MVE)
 * vocabulary of the micro-kernels (cortex-m55 target); the kernels are
 * written once in runtime/kernels.c. 4 float lanes with fused
 * multiply-adds (vfmaq_f32); the tail is one tail-predicated load (vctp32q
 * masks the last, partial vector: VN_V_PART), so no scalar tail is left.
 * 8 vector registers: tiles of 4 x 2 (the compiler spills some). f16 and
 * bf16 weights come in through widening loads (vldrhq_z_u32) and integer
 * operations. int8 blocks as 16-byte vectors with vmladavaq_s8 (16 int8
 * products summed into an int32 scalar per instruction). */
#include <arm_mve.h>

#define VN_VL 4
#define VN_NR 2
typedef float32x4_t vn_vf;
static inline vn_vf vn_vf_zero(void) { return vdupq_n_f32(0); }
static inline vn_vf vn_vf_set1(float a) { return vdupq_n_f32(a); }
static inline vn_vf vn_vf_ld(const float *p) { return vld1q_f32(p); }
static inline void vn_vf_st(float *p, vn_vf v) { vst1q_f32(p, v); }
static inline vn_vf vn_vf_fma(vn_vf acc, vn_vf a, vn_vf b) { return vfmaq_f32(acc, a, b); }
static inline vn_vf vn_vf_add(vn_vf a, vn_vf b) { return vaddq_f32(a, b); }
static inline float vn_vf_sum(vn_vf v) {
  return (vgetq_lane_f32(v, 0) + vgetq_lane_f32(v, 1)) + (vgetq_lane_f32(v, 2) + vgetq_lane_f32(v, 3));
}
static inline mve_pred16_t vn_mve_tail(int64_t n) { return vctp32q((uint32_t)(n < 4 ? n : 4)); }
/* four f16 / bf16 weights (lanes past the mask zero) as floats. f16 goes
 * through integer operations, exactly: a normal value's exponent is rebased
 * by adding 112 << 23 (twice for inf/NaN), a subnormal one is its integer
 * mantissa times 2^-24, then the sign is put back. (Vector VCVTB/VCVTT gave
 * wrong values under QEMU 7.2, and MVE's float arithmetic flushes subnormal
 * operands, so neither a conversion nor a 2^112 scaling is used.) */
static inline vn_vf vn_mve_ldh(const uint16_t *w, mve_pred16_t p) {
  uint32x4_t h = vldrhq_z_u32(w, p), e = vandq_u32(h, vdupq_n_u32(0x7c00));
  uint32x4_t r = vaddq_u32(vshlq_n_u32(vandq_u32(h, vdupq_n_u32(0x7fff)), 13), vdupq_n_u32(0x38000000));
  r = vpselq_u32(vaddq_u32(r, vdupq_n_u32(0x38000000)), r, vcmpeqq_u32(e, vdupq_n_u32(0x7c00)));
  float32x4_t sub = vmulq_n_f32(vcvtq_f32_u32(vandq_u32(h, vdupq_n_u32(0x3ff))), 0x1p-24f);
  r = vpselq_u32(vreinterpretq_u32_f32(sub), r, vcmpeqq_u32(e, vdupq_n_u32(0)));
  return vreinterpretq_f32_u32(vorrq_u32(r, vshlq_n_u32(vandq_u32(h, vdupq_n_u32(0x8000)), 16)));
}
static inline vn_vf vn_mve_ldb(const uint16_t *w, mve_pred16_t p) {
  return vreinterpretq_f32_u32(vshlq_n_u32(vldrhq_z_u32(w, p), 16));
}
#define VN_V_F16 1
static inline vn_vf vn_vf_ldh(const uint16_t *p) { return vn_mve_ldh(p, vctp32q(4)); }
#define VN_V_BF16 1
static inline vn_vf vn_vf_ldb(const uint16_t *p) { return vn_mve_ldb(p, vctp32q(4)); }
#define VN_V_PART 1
static inline vn_vf vn_vf_ldn(const float *p, int64_t n) { return vldrwq_z_f32(p, vn_mve_tail(n)); }
static inline void vn_vf_stn(float *p, vn_vf v, int64_t n) { vstrwq_p_f32(p, v, vn_mve_tail(n)); }
static inline vn_vf vn_vf_ldhn(const uint16_t *p, int64_t n) { return vn_mve_ldh(p, vn_mve_tail(n)); }
static inline vn_vf vn_vf_ldbn(const uint16_t *p, int64_t n) { return vn_mve_ldb(p, vn_mve_tail(n)); }
#define VN_H2F 1
static inline float vn_h2f(uint16_t h) {
  __fp16 f;
  memcpy(&f, &h, 2);
  return (float)f;
}

#define VN_V_B16 1
typedef int8x16_t vn_b16;
static inline vn_b16 vn_b16_ld(const int8_t *p) { return vld1q_s8(p); }
static inline vn_b16 vn_b16_lo4(vn_b16 v) {
  return vsubq_s8(vreinterpretq_s8_u8(vandq_u8(vreinterpretq_u8_s8(v), vdupq_n_u8(0x0f))), vdupq_n_s8(8));
}
static inline vn_b16 vn_b16_hi4(vn_b16 v) {
  return vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(vreinterpretq_u8_s8(v), 4)), vdupq_n_s8(8));
}
typedef int32_t vn_i4;
static inline vn_i4 vn_i4_zero(void) { return 0; }
static inline vn_i4 vn_i4_dot(vn_i4 acc, vn_b16 a, vn_b16 b) { return vmladavaq_s8(acc, a, b); }
static inline int32_t vn_i4_sum(vn_i4 v) { return v; }
