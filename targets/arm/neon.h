/* neon.h: the Arm NEON vocabulary of the micro-kernels, for AArch64
 * (aarch64 target) and 32-bit ARMv7 with VFPv4 (armv7 target); the kernels
 * are written once in runtime/kernels.c. 4 float lanes with fused
 * multiply-adds (vfmaq_f32); f16 weights widened by the hardware conversion
 * (vcvt_f32_f16) where the compiler has the IEEE half format, bf16 by a
 * 16-bit shift; tails in scalar code. AArch64 has 32 vector registers
 * (tiles of 4 x 4), ARMv7 16 (4 x 2). int8 blocks as 16-byte vectors:
 * sdot (vdotq_s32) where the CPU has the dot-product extension, else
 * widening multiplies summed pairwise into int32 (vmull_s8 + vpadalq_s16). */
#include <arm_neon.h>

#define VN_VL 4
#if defined(__aarch64__)
#define VN_NR 4
#else
#define VN_NR 2
#endif
typedef float32x4_t vn_vf;
static inline vn_vf vn_vf_zero(void) { return vdupq_n_f32(0); }
static inline vn_vf vn_vf_set1(float a) { return vdupq_n_f32(a); }
static inline vn_vf vn_vf_ld(const float *p) { return vld1q_f32(p); }
static inline void vn_vf_st(float *p, vn_vf v) { vst1q_f32(p, v); }
static inline vn_vf vn_vf_fma(vn_vf acc, vn_vf a, vn_vf b) { return vfmaq_f32(acc, a, b); }
static inline vn_vf vn_vf_add(vn_vf a, vn_vf b) { return vaddq_f32(a, b); }
static inline float vn_vf_sum(vn_vf v) {
#if defined(__aarch64__)
  return vaddvq_f32(v);
#else
  float32x2_t s = vadd_f32(vget_low_f32(v), vget_high_f32(v));
  return vget_lane_f32(vpadd_f32(s, s), 0);
#endif
}
#if defined(__ARM_FP16_FORMAT_IEEE)
#define VN_V_F16 1
static inline vn_vf vn_vf_ldh(const uint16_t *p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }
#define VN_H2F 1
static inline float vn_h2f(uint16_t h) {
  __fp16 f;
  memcpy(&f, &h, 2);
  return (float)f;
}
#endif
#define VN_V_BF16 1
static inline vn_vf vn_vf_ldb(const uint16_t *p) { return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16)); }

#define VN_V_B16 1
typedef int8x16_t vn_b16;
static inline vn_b16 vn_b16_ld(const int8_t *p) { return vld1q_s8(p); }
static inline vn_b16 vn_b16_lo4(vn_b16 v) {
  return vsubq_s8(vreinterpretq_s8_u8(vandq_u8(vreinterpretq_u8_s8(v), vdupq_n_u8(0x0f))), vdupq_n_s8(8));
}
static inline vn_b16 vn_b16_hi4(vn_b16 v) {
  return vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(vreinterpretq_u8_s8(v), 4)), vdupq_n_s8(8));
}
typedef int32x4_t vn_i4;
static inline vn_i4 vn_i4_zero(void) { return vdupq_n_s32(0); }
static inline vn_i4 vn_i4_dot(vn_i4 acc, vn_b16 a, vn_b16 b) {
#if defined(__ARM_FEATURE_DOTPROD)
  return vdotq_s32(acc, a, b);
#else
  acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
  return vpadalq_s16(acc, vmull_s8(vget_high_s8(a), vget_high_s8(b)));
#endif
}
static inline int32_t vn_i4_sum(vn_i4 v) {
#if defined(__aarch64__)
  return vaddvq_s32(v);
#else
  int32x2_t s = vadd_s32(vget_low_s32(v), vget_high_s32(v));
  return vget_lane_s32(vpadd_s32(s, s), 0);
#endif
}
