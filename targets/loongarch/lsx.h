/* lsx.h: LoongArch LSX (128-bit SIMD) micro-kernels (loongarch64 target).
 * BUILD ONLY: they compile with clang 19, but the QEMU here (7.2) does not
 * emulate LSX and Debian 12 has no loong64 C library, so they have never
 * been run; docs/targets.md says so. Float dot products use fused
 * multiply-adds (__lsx_vfmadd_s); q8_0/q4_0 blocks multiply even and odd
 * int8 lanes into int16 (vmulwev/vmulwod, exact) and add them into int32
 * (vaddwev/vaddwod). f16/bf16 weights use the portable fallbacks. */
#include <lsxintrin.h>

static inline __m128 vn_lsx_ldf(const float *p) { return (__m128)__lsx_vld((void *)p, 0); }
static inline float vn_lsx_hsum(__m128 v) {
  float t[4];
  memcpy(t, &v, 16);
  return (t[0] + t[1]) + (t[2] + t[3]);
}
static inline int32_t vn_lsx_hsumi(__m128i v) {
  return __lsx_vpickve2gr_w(v, 0) + __lsx_vpickve2gr_w(v, 1) + __lsx_vpickve2gr_w(v, 2) + __lsx_vpickve2gr_w(v, 3);
}

#define VN_HAVE_DOT_F32 1
static inline float vn_dot_f32(const float *x, const float *w, int64_t n) {
  __m128 a0 = (__m128)__lsx_vreplgr2vr_w(0), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = __lsx_vfmadd_s(vn_lsx_ldf(x + i), vn_lsx_ldf(w + i), a0);
    a1 = __lsx_vfmadd_s(vn_lsx_ldf(x + i + 4), vn_lsx_ldf(w + i + 4), a1);
    a2 = __lsx_vfmadd_s(vn_lsx_ldf(x + i + 8), vn_lsx_ldf(w + i + 8), a2);
    a3 = __lsx_vfmadd_s(vn_lsx_ldf(x + i + 12), vn_lsx_ldf(w + i + 12), a3);
  }
  for (; i + 4 <= n; i += 4) a0 = __lsx_vfmadd_s(vn_lsx_ldf(x + i), vn_lsx_ldf(w + i), a0);
  float s = vn_lsx_hsum(__lsx_vfadd_s(__lsx_vfadd_s(a0, a1), __lsx_vfadd_s(a2, a3)));
  for (; i < n; i++) s += x[i] * w[i];
  return s;
}

#define VN_HAVE_DOT4_F32 1
static inline void vn_dot4_f32(const float *x, int64_t ldx, const float *w, int64_t n, float *out) {
  __m128 a0 = (__m128)__lsx_vreplgr2vr_w(0), a1 = a0, a2 = a0, a3 = a0;
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    __m128 wv = vn_lsx_ldf(w + i);
    a0 = __lsx_vfmadd_s(vn_lsx_ldf(x0 + i), wv, a0);
    a1 = __lsx_vfmadd_s(vn_lsx_ldf(x1 + i), wv, a1);
    a2 = __lsx_vfmadd_s(vn_lsx_ldf(x2 + i), wv, a2);
    a3 = __lsx_vfmadd_s(vn_lsx_ldf(x3 + i), wv, a3);
  }
  out[0] = vn_lsx_hsum(a0); out[1] = vn_lsx_hsum(a1); out[2] = vn_lsx_hsum(a2); out[3] = vn_lsx_hsum(a3);
  for (; i < n; i++) { out[0] += x0[i] * w[i]; out[1] += x1[i] * w[i]; out[2] += x2[i] * w[i]; out[3] += x3[i] * w[i]; }
}

#define VN_HAVE_AXPY_F32 1
static inline void vn_axpy_f32(float *y, float a, const float *x, int64_t n) {
  __m128 av = (__m128)__lsx_vldrepl_w(&a, 0);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) __lsx_vst((__m128i)__lsx_vfmadd_s(av, vn_lsx_ldf(x + i), vn_lsx_ldf(y + i)), y + i, 0);
  for (; i < n; i++) y[i] += a * x[i];
}

/* 16 int8 products (a . b) added to the int32 lanes of acc */
static inline __m128i vn_lsx_dot16(__m128i a, __m128i b, __m128i acc) {
  __m128i ev = __lsx_vmulwev_h_b(a, b), od = __lsx_vmulwod_h_b(a, b);
  acc = __lsx_vadd_w(acc, __lsx_vaddwev_w_h(ev, od));
  return __lsx_vadd_w(acc, __lsx_vaddwod_w_h(ev, od));
}

#define VN_HAVE_DOT_Q8_0 1
static inline float vn_dot_q8_0(const VnBlockQ8 *x, const VnBlockQ8 *w, int64_t nb) {
  float s = 0;
  for (int64_t b = 0; b < nb; b++) {
    __m128i acc = vn_lsx_dot16(__lsx_vld((void *)x[b].qs, 0), __lsx_vld((void *)w[b].qs, 0), __lsx_vreplgr2vr_w(0));
    acc = vn_lsx_dot16(__lsx_vld((void *)x[b].qs, 16), __lsx_vld((void *)w[b].qs, 16), acc);
    s += vn_f16_to_f32(x[b].d) * vn_f16_to_f32(w[b].d) * (float)vn_lsx_hsumi(acc);
  }
  return s;
}

#define VN_HAVE_DOT_Q4_0 1
static inline float vn_dot_q4_0(const VnBlockQ8 *x, const VnBlockQ4 *w, int64_t nb) {
  float s = 0;
  const __m128i eight = __lsx_vreplgr2vr_b(8);
  for (int64_t b = 0; b < nb; b++) {
    __m128i q = __lsx_vld((void *)w[b].qs, 0);
    __m128i lo = __lsx_vsub_b(__lsx_vandi_b(q, 0x0f), eight), hi = __lsx_vsub_b(__lsx_vsrli_b(q, 4), eight);
    __m128i acc = vn_lsx_dot16(__lsx_vld((void *)x[b].qs, 0), lo, __lsx_vreplgr2vr_w(0));
    acc = vn_lsx_dot16(__lsx_vld((void *)x[b].qs, 16), hi, acc);
    s += vn_f16_to_f32(x[b].d) * vn_f16_to_f32(w[b].d) * (float)vn_lsx_hsumi(acc);
  }
  return s;
}
