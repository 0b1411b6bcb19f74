/* avx512.h: x86-64 AVX-512 (F, BW, VL) + VNNI micro-kernels (vn_target.h of
 * the x86-64-avx512 target). Float dot products run 16 lanes wide with the
 * tail as one masked load, so no scalar loop is left; q8_0/q4_0 dot
 * products multiply-accumulate four int8 pairs per lane with VPDPBUSD.
 * Each defines VN_HAVE_<NAME> so kernels.c skips its portable fallback. */
#include <immintrin.h>

static inline __mmask16 vn_tail16(int64_t r) { return (__mmask16)((1u << r) - 1); }

#define VN_HAVE_DOT_F32 1
static inline float vn_dot_f32(const float *x, const float *w, int64_t n) {
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(w + i), a0);
    a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(w + i + 16), a1);
  }
  for (; i + 16 <= n; i += 16) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(w + i), a0);
  if (i < n) {
    __mmask16 m = vn_tail16(n - i);
    a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, w + i), a1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
}

#define VN_HAVE_DOT4_F32 1
static inline void vn_dot4_f32(const float *x, int64_t ldx, const float *w, int64_t n, float *out) {
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 wv = _mm512_loadu_ps(w + i);
    a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x0 + i), wv, a0);
    a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x1 + i), wv, a1);
    a2 = _mm512_fmadd_ps(_mm512_loadu_ps(x2 + i), wv, a2);
    a3 = _mm512_fmadd_ps(_mm512_loadu_ps(x3 + i), wv, a3);
  }
  if (i < n) {
    __mmask16 m = vn_tail16(n - i);
    __m512 wv = _mm512_maskz_loadu_ps(m, w + i);
    a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x0 + i), wv, a0);
    a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x1 + i), wv, a1);
    a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x2 + i), wv, a2);
    a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x3 + i), wv, a3);
  }
  out[0] = _mm512_reduce_add_ps(a0); out[1] = _mm512_reduce_add_ps(a1);
  out[2] = _mm512_reduce_add_ps(a2); out[3] = _mm512_reduce_add_ps(a3);
}

/* 16 f16 / bf16 weights (masked) as floats */
static inline __m512 vn_ld_f16x16(const uint16_t *w, __mmask16 m) {
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, w));
}
static inline __m512 vn_ld_bf16x16(const uint16_t *w, __mmask16 m) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, w)), 16));
}

#define VN_HAVE_DOT_F16 1
static inline float vn_dot_f16(const float *x, const uint16_t *w, int64_t n) {
  __m512 a0 = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : vn_tail16(n - i);
    a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + i), vn_ld_f16x16(w + i, m), a0);
  }
  return _mm512_reduce_add_ps(a0);
}

#define VN_HAVE_DOT_BF16 1
static inline float vn_dot_bf16(const float *x, const uint16_t *w, int64_t n) {
  __m512 a0 = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : vn_tail16(n - i);
    a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + i), vn_ld_bf16x16(w + i, m), a0);
  }
  return _mm512_reduce_add_ps(a0);
}

#define VN_DOT4_HALF(NAME, LD)                                                                              \
  static inline void NAME(const float *x, int64_t ldx, const uint16_t *w, int64_t n, float *out) {         \
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps(); \
    const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;                              \
    for (int64_t i = 0; i < n; i += 16) {                                                                  \
      __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : vn_tail16(n - i);                                    \
      __m512 wv = LD(w + i, m);                                                                            \
      a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x0 + i), wv, a0);                                      \
      a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x1 + i), wv, a1);                                      \
      a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x2 + i), wv, a2);                                      \
      a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x3 + i), wv, a3);                                      \
    }                                                                                                      \
    out[0] = _mm512_reduce_add_ps(a0); out[1] = _mm512_reduce_add_ps(a1);                                 \
    out[2] = _mm512_reduce_add_ps(a2); out[3] = _mm512_reduce_add_ps(a3);                                 \
  }
#define VN_HAVE_DOT4_F16 1
VN_DOT4_HALF(vn_dot4_f16, vn_ld_f16x16)
#define VN_HAVE_DOT4_BF16 1
VN_DOT4_HALF(vn_dot4_bf16, vn_ld_bf16x16)

#define VN_HAVE_AXPY_F32 1
static inline void vn_axpy_f32(float *y, float a, const float *x, int64_t n) {
  __m512 av = _mm512_set1_ps(a);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_fmadd_ps(av, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
  if (i < n) {
    __mmask16 m = vn_tail16(n - i);
    _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i)));
  }
}

/* One block of 32 int8 pairs with VPDPBUSD (unsigned x signed): |x| times w
 * carrying x's sign, four products summed per int32 lane without
 * saturation. Exact for the [-127, 127] values q8_0 holds. */
static inline __m256 vn_q8_dot_vnni(__m256i qx, __m256i qw) {
  __m256i ax = _mm256_sign_epi8(qx, qx), sw = _mm256_sign_epi8(qw, qx);
  return _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(_mm256_setzero_si256(), ax, sw));
}

static inline float vn_hsum256_ps(__m256 v) {
  __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}

#define VN_HAVE_DOT_Q8_0 1
static inline float vn_dot_q8_0(const VnBlockQ8 *x, const VnBlockQ8 *w, int64_t nb) {
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; b++) {
    __m256 d = _mm256_set1_ps(_cvtsh_ss(x[b].d) * _cvtsh_ss(w[b].d));
    __m256i qx = _mm256_loadu_si256((const __m256i *)x[b].qs), qw = _mm256_loadu_si256((const __m256i *)w[b].qs);
    acc = _mm256_fmadd_ps(d, vn_q8_dot_vnni(qx, qw), acc);
  }
  return vn_hsum256_ps(acc);
}

#define VN_HAVE_DOT_Q4_0 1
static inline float vn_dot_q4_0(const VnBlockQ8 *x, const VnBlockQ4 *w, int64_t nb) {
  __m256 acc = _mm256_setzero_ps();
  const __m256i lo = _mm256_set1_epi8(0x0f), eight = _mm256_set1_epi8(8);
  for (int64_t b = 0; b < nb; b++) {
    __m256 d = _mm256_set1_ps(_cvtsh_ss(x[b].d) * _cvtsh_ss(w[b].d));
    __m128i t = _mm_loadu_si128((const __m128i *)w[b].qs);
    __m256i qw = _mm256_sub_epi8(_mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(t, 4), t), lo), eight);
    __m256i qx = _mm256_loadu_si256((const __m256i *)x[b].qs);
    acc = _mm256_fmadd_ps(d, vn_q8_dot_vnni(qx, qw), acc);
  }
  return vn_hsum256_ps(acc);
}
