/* lsx.h: the LoongArch LSX (128-bit SIMD) vocabulary of the micro-kernels
 * (loongarch64 target); the kernels are written once in runtime/kernels.c.
 * BUILD ONLY: it compiles with clang 19, but the QEMU here (7.2) does not
 * emulate LSX and Debian 12 has no loong64 C library, so it has never been
 * run; docs/targets.md says so. 4 float lanes with fused multiply-adds
 * (__lsx_vfmadd_s), tails in scalar code; 32 vector registers: tiles of
 * 4 x 4. f16/bf16 weights are widened through the portable conversions.
 * int8 blocks as 16-byte vectors: even and odd int8 lanes multiplied into
 * int16 (vmulwev/vmulwod, exact) and added into int32 (vaddwev/vaddwod). */
#include <lsxintrin.h>

#define VN_VL 4
#define VN_NR 4
typedef __m128 vn_vf;
static inline vn_vf vn_vf_zero(void) { return (__m128)__lsx_vreplgr2vr_w(0); }
static inline vn_vf vn_vf_set1(float a) { return (__m128)__lsx_vldrepl_w(&a, 0); }
static inline vn_vf vn_vf_ld(const float *p) { return (__m128)__lsx_vld((void *)p, 0); }
static inline void vn_vf_st(float *p, vn_vf v) { __lsx_vst((__m128i)v, p, 0); }
static inline vn_vf vn_vf_fma(vn_vf acc, vn_vf a, vn_vf b) { return __lsx_vfmadd_s(a, b, acc); }
static inline vn_vf vn_vf_add(vn_vf a, vn_vf b) { return __lsx_vfadd_s(a, b); }
static inline float vn_vf_sum(vn_vf v) {
  float t[4];
  memcpy(t, &v, 16);
  return (t[0] + t[1]) + (t[2] + t[3]);
}

#define VN_V_B16 1
typedef __m128i vn_b16;
static inline vn_b16 vn_b16_ld(const int8_t *p) { return __lsx_vld((void *)p, 0); }
static inline vn_b16 vn_b16_lo4(vn_b16 v) { return __lsx_vsub_b(__lsx_vandi_b(v, 0x0f), __lsx_vreplgr2vr_b(8)); }
static inline vn_b16 vn_b16_hi4(vn_b16 v) { return __lsx_vsub_b(__lsx_vsrli_b(v, 4), __lsx_vreplgr2vr_b(8)); }
typedef __m128i vn_i4;
static inline vn_i4 vn_i4_zero(void) { return __lsx_vreplgr2vr_w(0); }
static inline vn_i4 vn_i4_dot(vn_i4 acc, vn_b16 a, vn_b16 b) {
  __m128i ev = __lsx_vmulwev_h_b(a, b), od = __lsx_vmulwod_h_b(a, b);
  acc = __lsx_vadd_w(acc, __lsx_vaddwev_w_h(ev, od));
  return __lsx_vadd_w(acc, __lsx_vaddwod_w_h(ev, od));
}
static inline int32_t vn_i4_sum(vn_i4 v) {
  return __lsx_vpickve2gr_w(v, 0) + __lsx_vpickve2gr_w(v, 1) + __lsx_vpickve2gr_w(v, 2) + __lsx_vpickve2gr_w(v, 3);
}
