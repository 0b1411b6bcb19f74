/* rvv.h: RISC-V Vector 1.0 micro-kernels (riscv64 target, clang 19's
 * __riscv_ intrinsics). Loops are vector-length agnostic: vsetvl picks how
 * many elements each pass takes (VLEN 128 and up, LMUL 4 for floats), and
 * the accumulator is updated tail-undisturbed (_tu) so the last, short
 * pass leaves the other lanes alone; one ordered-free reduction ends it.
 * f16 weights are converted with integer operations (no Zvfh needed): a
 * normal value's exponent is rebased by 112 << 23 (twice for inf/NaN), a
 * subnormal is its mantissa times 2^-24; bf16 is a 16-bit shift. q8_0/q4_0
 * blocks multiply int8 into int16 (vwmul, exact) and sum into int32
 * (vwredsum). Each defines VN_HAVE_<NAME> so kernels.c skips its portable
 * fallback. */
#include <riscv_vector.h>

static inline float vn_rvv_sum(vfloat32m4_t acc) {
  size_t vl = __riscv_vsetvlmax_e32m4();
  vfloat32m1_t z = __riscv_vfmv_s_f_f32m1(0.0f, 1);
  return __riscv_vfmv_f_s_f32m1_f32(__riscv_vfredusum_vs_f32m4_f32m1(acc, z, vl));
}
static inline vfloat32m4_t vn_rvv_zero(void) { return __riscv_vfmv_v_f_f32m4(0.0f, __riscv_vsetvlmax_e32m4()); }

#define VN_HAVE_DOT_F32 1
static inline float vn_dot_f32(const float *x, const float *w, int64_t n) {
  vfloat32m4_t acc = vn_rvv_zero();
  for (int64_t i = 0; i < n;) {
    size_t vl = __riscv_vsetvl_e32m4((size_t)(n - i));
    acc = __riscv_vfmacc_vv_f32m4_tu(acc, __riscv_vle32_v_f32m4(x + i, vl), __riscv_vle32_v_f32m4(w + i, vl), vl);
    i += (int64_t)vl;
  }
  return vn_rvv_sum(acc);
}

#define VN_HAVE_DOT4_F32 1
static inline void vn_dot4_f32(const float *x, int64_t ldx, const float *w, int64_t n, float *out) {
  vfloat32m4_t a0 = vn_rvv_zero(), a1 = a0, a2 = a0, a3 = a0;
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  for (int64_t i = 0; i < n;) {
    size_t vl = __riscv_vsetvl_e32m4((size_t)(n - i));
    vfloat32m4_t wv = __riscv_vle32_v_f32m4(w + i, vl);
    a0 = __riscv_vfmacc_vv_f32m4_tu(a0, __riscv_vle32_v_f32m4(x0 + i, vl), wv, vl);
    a1 = __riscv_vfmacc_vv_f32m4_tu(a1, __riscv_vle32_v_f32m4(x1 + i, vl), wv, vl);
    a2 = __riscv_vfmacc_vv_f32m4_tu(a2, __riscv_vle32_v_f32m4(x2 + i, vl), wv, vl);
    a3 = __riscv_vfmacc_vv_f32m4_tu(a3, __riscv_vle32_v_f32m4(x3 + i, vl), wv, vl);
    i += (int64_t)vl;
  }
  out[0] = vn_rvv_sum(a0); out[1] = vn_rvv_sum(a1); out[2] = vn_rvv_sum(a2); out[3] = vn_rvv_sum(a3);
}

#define VN_HAVE_AXPY_F32 1
static inline void vn_axpy_f32(float *y, float a, const float *x, int64_t n) {
  for (int64_t i = 0; i < n;) {
    size_t vl = __riscv_vsetvl_e32m4((size_t)(n - i));
    vfloat32m4_t yv = __riscv_vfmacc_vf_f32m4(__riscv_vle32_v_f32m4(y + i, vl), a, __riscv_vle32_v_f32m4(x + i, vl), vl);
    __riscv_vse32_v_f32m4(y + i, yv, vl);
    i += (int64_t)vl;
  }
}

/* vl f16 / bf16 weights as floats */
static inline vfloat32m4_t vn_rvv_ld_f16(const uint16_t *w, size_t vl) {
  vuint32m4_t h = __riscv_vzext_vf2_u32m4(__riscv_vle16_v_u16m2(w, vl), vl);
  vuint32m4_t e = __riscv_vand_vx_u32m4(h, 0x7c00, vl);
  vuint32m4_t r = __riscv_vadd_vx_u32m4(__riscv_vsll_vx_u32m4(__riscv_vand_vx_u32m4(h, 0x7fff, vl), 13, vl), 0x38000000, vl);
  r = __riscv_vadd_vx_u32m4_mu(__riscv_vmseq_vx_u32m4_b8(e, 0x7c00, vl), r, r, 0x38000000, vl);
  vfloat32m4_t sub = __riscv_vfmul_vf_f32m4(__riscv_vfcvt_f_xu_v_f32m4(__riscv_vand_vx_u32m4(h, 0x3ff, vl), vl), 0x1p-24f, vl);
  r = __riscv_vmerge_vvm_u32m4(r, __riscv_vreinterpret_v_f32m4_u32m4(sub), __riscv_vmseq_vx_u32m4_b8(e, 0, vl), vl);
  r = __riscv_vor_vv_u32m4(r, __riscv_vsll_vx_u32m4(__riscv_vand_vx_u32m4(h, 0x8000, vl), 16, vl), vl);
  return __riscv_vreinterpret_v_u32m4_f32m4(r);
}
static inline vfloat32m4_t vn_rvv_ld_bf16(const uint16_t *w, size_t vl) {
  vuint32m4_t h = __riscv_vzext_vf2_u32m4(__riscv_vle16_v_u16m2(w, vl), vl);
  return __riscv_vreinterpret_v_u32m4_f32m4(__riscv_vsll_vx_u32m4(h, 16, vl));
}

#define VN_RVV_DOT_HALF(NAME, LD)                                                                         \
  static inline float NAME(const float *x, const uint16_t *w, int64_t n) {                               \
    vfloat32m4_t acc = vn_rvv_zero();                                                                    \
    for (int64_t i = 0; i < n;) {                                                                        \
      size_t vl = __riscv_vsetvl_e32m4((size_t)(n - i));                                                 \
      acc = __riscv_vfmacc_vv_f32m4_tu(acc, __riscv_vle32_v_f32m4(x + i, vl), LD(w + i, vl), vl);        \
      i += (int64_t)vl;                                                                                  \
    }                                                                                                    \
    return vn_rvv_sum(acc);                                                                              \
  }
#define VN_RVV_DOT4_HALF(NAME, LD)                                                                        \
  static inline void NAME(const float *x, int64_t ldx, const uint16_t *w, int64_t n, float *out) {       \
    vfloat32m4_t a0 = vn_rvv_zero(), a1 = a0, a2 = a0, a3 = a0;                                          \
    const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;                            \
    for (int64_t i = 0; i < n;) {                                                                        \
      size_t vl = __riscv_vsetvl_e32m4((size_t)(n - i));                                                 \
      vfloat32m4_t wv = LD(w + i, vl);                                                                   \
      a0 = __riscv_vfmacc_vv_f32m4_tu(a0, __riscv_vle32_v_f32m4(x0 + i, vl), wv, vl);                    \
      a1 = __riscv_vfmacc_vv_f32m4_tu(a1, __riscv_vle32_v_f32m4(x1 + i, vl), wv, vl);                    \
      a2 = __riscv_vfmacc_vv_f32m4_tu(a2, __riscv_vle32_v_f32m4(x2 + i, vl), wv, vl);                    \
      a3 = __riscv_vfmacc_vv_f32m4_tu(a3, __riscv_vle32_v_f32m4(x3 + i, vl), wv, vl);                    \
      i += (int64_t)vl;                                                                                  \
    }                                                                                                    \
    out[0] = vn_rvv_sum(a0); out[1] = vn_rvv_sum(a1); out[2] = vn_rvv_sum(a2); out[3] = vn_rvv_sum(a3);  \
  }
#define VN_HAVE_DOT_F16 1
VN_RVV_DOT_HALF(vn_dot_f16, vn_rvv_ld_f16)
#define VN_HAVE_DOT4_F16 1
VN_RVV_DOT4_HALF(vn_dot4_f16, vn_rvv_ld_f16)
#define VN_HAVE_DOT_BF16 1
VN_RVV_DOT_HALF(vn_dot_bf16, vn_rvv_ld_bf16)
#define VN_HAVE_DOT4_BF16 1
VN_RVV_DOT4_HALF(vn_dot4_bf16, vn_rvv_ld_bf16)

/* sum of n int8 products, n <= 32 */
static inline int32_t vn_rvv_dot_s8(const int8_t *a, const int8_t *b, int n) {
  vint32m1_t s = __riscv_vmv_s_x_i32m1(0, 1);
  for (int j = 0; j < n;) {
    size_t vl = __riscv_vsetvl_e8m2((size_t)(n - j));
    vint16m4_t p = __riscv_vwmul_vv_i16m4(__riscv_vle8_v_i8m2(a + j, vl), __riscv_vle8_v_i8m2(b + j, vl), vl);
    s = __riscv_vwredsum_vs_i16m4_i32m1(p, s, vl);
    j += (int)vl;
  }
  return __riscv_vmv_x_s_i32m1_i32(s);
}

#define VN_HAVE_DOT_Q8_0 1
static inline float vn_dot_q8_0(const VnBlockQ8 *x, const VnBlockQ8 *w, int64_t nb) {
  float s = 0;
  for (int64_t b = 0; b < nb; b++)
    s += vn_f16_to_f32(x[b].d) * vn_f16_to_f32(w[b].d) * (float)vn_rvv_dot_s8(x[b].qs, w[b].qs, 32);
  return s;
}

#define VN_HAVE_DOT_Q4_0 1
static inline float vn_dot_q4_0(const VnBlockQ8 *x, const VnBlockQ4 *w, int64_t nb) {
  float s = 0;
  for (int64_t b = 0; b < nb; b++) {
    vint32m1_t acc = __riscv_vmv_s_x_i32m1(0, 1);
    for (int j = 0; j < 16;) {
      size_t vl = __riscv_vsetvl_e8m2((size_t)(16 - j));
      vuint8m2_t q = __riscv_vle8_v_u8m2(w[b].qs + j, vl);
      vint8m2_t lo = __riscv_vsub_vx_i8m2(__riscv_vreinterpret_v_u8m2_i8m2(__riscv_vand_vx_u8m2(q, 0x0f, vl)), 8, vl);
      vint8m2_t hi = __riscv_vsub_vx_i8m2(__riscv_vreinterpret_v_u8m2_i8m2(__riscv_vsrl_vx_u8m2(q, 4, vl)), 8, vl);
      acc = __riscv_vwredsum_vs_i16m4_i32m1(__riscv_vwmul_vv_i16m4(__riscv_vle8_v_i8m2(x[b].qs + j, vl), lo, vl), acc, vl);
      acc = __riscv_vwredsum_vs_i16m4_i32m1(__riscv_vwmul_vv_i16m4(__riscv_vle8_v_i8m2(x[b].qs + 16 + j, vl), hi, vl), acc, vl);
      j += (int)vl;
    }
    s += vn_f16_to_f32(x[b].d) * vn_f16_to_f32(w[b].d) * (float)__riscv_vmv_x_s_i32m1_i32(acc);
  }
  return s;
}
