/* sve.h: the Arm SVE vocabulary of the micro-kernels (aarch64-sve target;
 * the kernels are written once in runtime/kernels.c). Vector-length
 * agnostic: VN_VL is svcntw() lanes, whole vectors run unpredicated and the
 * tail is one svwhilelt-predicated load (inactive lanes zero, VN_V_PART),
 * so the same binary runs on 128- to 2048-bit implementations with no
 * scalar remainder; 32 vector registers: tiles of 4 x 4. f16 weights are
 * loaded widened into 32-bit lanes (svld1uh) and converted from the bottom
 * halves (svcvt), bf16 by a 16-bit shift. An int8 block is a pair of
 * 16-byte predicated loads (a tuple: sizeless types cannot be in structs)
 * multiplied with svdot (four int8 products summed into each int32 lane). */
#include <arm_sve.h>

#define VN_VL ((int64_t)svcntw())
#define VN_NR 4
typedef svfloat32_t vn_vf;
static inline vn_vf vn_vf_zero(void) { return svdup_f32(0); }
static inline vn_vf vn_vf_set1(float a) { return svdup_f32(a); }
static inline vn_vf vn_vf_ld(const float *p) { return svld1_f32(svptrue_b32(), p); }
static inline void vn_vf_st(float *p, vn_vf v) { svst1_f32(svptrue_b32(), p, v); }
static inline vn_vf vn_vf_fma(vn_vf acc, vn_vf a, vn_vf b) { return svmla_f32_x(svptrue_b32(), acc, a, b); }
static inline vn_vf vn_vf_add(vn_vf a, vn_vf b) { return svadd_f32_x(svptrue_b32(), a, b); }
static inline float vn_vf_sum(vn_vf v) { return svaddv_f32(svptrue_b32(), v); }
static inline svbool_t vn_sve_tail(int64_t n) { return svwhilelt_b32_s64(0, n); }
#define VN_V_F16 1
static inline vn_vf vn_sve_ldh(svbool_t p, const uint16_t *w) {
  return svcvt_f32_f16_z(p, svreinterpret_f16_u32(svld1uh_u32(p, w)));
}
static inline vn_vf vn_vf_ldh(const uint16_t *p) { return vn_sve_ldh(svptrue_b32(), p); }
#define VN_V_BF16 1
static inline vn_vf vn_sve_ldb(svbool_t p, const uint16_t *w) {
  return svreinterpret_f32_u32(svlsl_n_u32_z(p, svld1uh_u32(p, w), 16));
}
static inline vn_vf vn_vf_ldb(const uint16_t *p) { return vn_sve_ldb(svptrue_b32(), p); }
#define VN_V_PART 1
static inline vn_vf vn_vf_ldn(const float *p, int64_t n) { return svld1_f32(vn_sve_tail(n), p); }
static inline void vn_vf_stn(float *p, vn_vf v, int64_t n) { svst1_f32(vn_sve_tail(n), p, v); }
static inline vn_vf vn_vf_ldhn(const uint16_t *p, int64_t n) { return vn_sve_ldh(vn_sve_tail(n), p); }
static inline vn_vf vn_vf_ldbn(const uint16_t *p, int64_t n) { return vn_sve_ldb(vn_sve_tail(n), p); }
#define VN_H2F 1
static inline float vn_h2f(uint16_t h) {
  __fp16 f;
  memcpy(&f, &h, 2);
  return (float)f;
}

#define VN_V_Q8 1
typedef svint8x2_t vn_q32;
static inline svbool_t vn_sve_b16(void) { return svwhilelt_b8_s32(0, 16); }
static inline vn_q32 vn_q32_ld(const int8_t *p) { return svcreate2_s8(svld1_s8(vn_sve_b16(), p), svld1_s8(vn_sve_b16(), p + 16)); }
static inline vn_q32 vn_q32_q4(const uint8_t *p) {
  svbool_t b = vn_sve_b16();
  svuint8_t q = svld1_u8(b, p);
  svint8_t lo = svsub_n_s8_z(b, svreinterpret_s8_u8(svand_n_u8_z(b, q, 0x0f)), 8);
  svint8_t hi = svsub_n_s8_z(b, svreinterpret_s8_u8(svlsr_n_u8_z(b, q, 4)), 8);
  return svcreate2_s8(lo, hi);
}
typedef svint32_t vn_qi;
static inline vn_qi vn_qi_dot(vn_q32 x, vn_q32 w) {
  return svdot_s32(svdot_s32(svdup_s32(0), svget2_s8(x, 0), svget2_s8(w, 0)), svget2_s8(x, 1), svget2_s8(w, 1));
}
typedef float vn_qf;
static inline vn_qf vn_qf_zero(void) { return 0.0f; }
static inline vn_qf vn_qf_fma(vn_qf acc, float d, vn_qi q) { return acc + d * (float)svaddv_s32(svptrue_b32(), q); }
static inline float vn_qf_sum(vn_qf acc) { return acc; }
