/* avx2.h: x86-64 AVX2 + FMA + F16C micro-kernels (vn_target.h of the
 * x86-64-avx2 and x86-64-avx512 targets). Each defines VN_HAVE_<NAME> so
 * kernels.c skips its portable fallback. Tails shorter than a vector are
 * finished in scalar code. */
#include <immintrin.h>

static inline float vn_hsum256(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}

#define VN_HAVE_DOT_F32 1
static inline float vn_dot_f32(const float *x, const float *w, int64_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(w + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(w + i + 8), a1);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(w + i + 16), a2);
    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(w + i + 24), a3);
  }
  for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(w + i), a0);
  float s = vn_hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  for (; i < n; i++) s += x[i] * w[i];
  return s;
}

#define VN_HAVE_DOT_F16 1
static inline float vn_dot_f16(const float *x, const uint16_t *w, int64_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + i))), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + i + 8))), a1);
  }
  for (; i + 8 <= n; i += 8)
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + i))), a0);
  float s = vn_hsum256(_mm256_add_ps(a0, a1));
  for (; i < n; i++) s += x[i] * _cvtsh_ss(w[i]);
  return s;
}

#define VN_HAVE_DOT_BF16 1
static inline float vn_dot_bf16(const float *x, const uint16_t *w, int64_t n) {
  __m256 a0 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(w + i)));
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_castsi256_ps(_mm256_slli_epi32(h, 16)), a0);
  }
  float s = vn_hsum256(a0);
  for (; i < n; i++) {
    uint32_t u = (uint32_t)w[i] << 16;
    float f;
    memcpy(&f, &u, 4);
    s += x[i] * f;
  }
  return s;
}

#define VN_HAVE_DOT4_F32 1
static inline void vn_dot4_f32(const float *x, int64_t ldx, const float *w, int64_t n, float *out) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 wv = _mm256_loadu_ps(w + i);
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x0 + i), wv, a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x1 + i), wv, a1);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x2 + i), wv, a2);
    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x3 + i), wv, a3);
  }
  out[0] = vn_hsum256(a0); out[1] = vn_hsum256(a1); out[2] = vn_hsum256(a2); out[3] = vn_hsum256(a3);
  for (; i < n; i++) { out[0] += x0[i] * w[i]; out[1] += x1[i] * w[i]; out[2] += x2[i] * w[i]; out[3] += x3[i] * w[i]; }
}

#define VN_HAVE_DOT4_F16 1
static inline void vn_dot4_f16(const float *x, int64_t ldx, const uint16_t *w, int64_t n, float *out) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 wv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + i)));
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x0 + i), wv, a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x1 + i), wv, a1);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x2 + i), wv, a2);
    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x3 + i), wv, a3);
  }
  out[0] = vn_hsum256(a0); out[1] = vn_hsum256(a1); out[2] = vn_hsum256(a2); out[3] = vn_hsum256(a3);
  for (; i < n; i++) {
    float wf = _cvtsh_ss(w[i]);
    out[0] += x0[i] * wf; out[1] += x1[i] * wf; out[2] += x2[i] * wf; out[3] += x3[i] * wf;
  }
}

#define VN_HAVE_DOT4_BF16 1
static inline void vn_dot4_bf16(const float *x, int64_t ldx, const uint16_t *w, int64_t n, float *out) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 wv = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(w + i))), 16));
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x0 + i), wv, a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x1 + i), wv, a1);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x2 + i), wv, a2);
    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x3 + i), wv, a3);
  }
  out[0] = vn_hsum256(a0); out[1] = vn_hsum256(a1); out[2] = vn_hsum256(a2); out[3] = vn_hsum256(a3);
  for (; i < n; i++) {
    uint32_t u = (uint32_t)w[i] << 16;
    float wf;
    memcpy(&wf, &u, 4);
    out[0] += x0[i] * wf; out[1] += x1[i] * wf; out[2] += x2[i] * wf; out[3] += x3[i] * wf;
  }
}

#define VN_HAVE_AXPY_F32 1
static inline void vn_axpy_f32(float *y, float a, const float *x, int64_t n) {
  __m256 av = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; i++) y[i] += a * x[i];
}

/* q8_0 . q8_0: |x| (unsigned) times w with x's sign, pairs summed to 16 bits
 * (at most 2 * 128 * 127, no saturation), then to 32 bits. */
static inline __m256 vn_q8_dot_block(__m256i qx, __m256i qw) {
  __m256i ax = _mm256_sign_epi8(qx, qx), sw = _mm256_sign_epi8(qw, qx);
  __m256i d16 = _mm256_maddubs_epi16(ax, sw);
  return _mm256_cvtepi32_ps(_mm256_madd_epi16(d16, _mm256_set1_epi16(1)));
}

#define VN_HAVE_DOT_Q8_0 1
static inline float vn_dot_q8_0(const VnBlockQ8 *x, const VnBlockQ8 *w, int64_t nb) {
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; b++) {
    __m256 d = _mm256_set1_ps(_cvtsh_ss(x[b].d) * _cvtsh_ss(w[b].d));
    __m256i qx = _mm256_loadu_si256((const __m256i *)x[b].qs), qw = _mm256_loadu_si256((const __m256i *)w[b].qs);
    acc = _mm256_fmadd_ps(d, vn_q8_dot_block(qx, qw), acc);
  }
  return vn_hsum256(acc);
}

#define VN_HAVE_DOT_Q4_0 1
static inline float vn_dot_q4_0(const VnBlockQ8 *x, const VnBlockQ4 *w, int64_t nb) {
  __m256 acc = _mm256_setzero_ps();
  const __m256i lo = _mm256_set1_epi8(0x0f), eight = _mm256_set1_epi8(8);
  for (int64_t b = 0; b < nb; b++) {
    __m256 d = _mm256_set1_ps(_cvtsh_ss(x[b].d) * _cvtsh_ss(w[b].d));
    __m128i t = _mm_loadu_si128((const __m128i *)w[b].qs);
    __m256i qw = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(t, 4), t), lo);
    qw = _mm256_sub_epi8(qw, eight);
    __m256i qx = _mm256_loadu_si256((const __m256i *)x[b].qs);
    acc = _mm256_fmadd_ps(d, vn_q8_dot_block(qx, qw), acc);
  }
  return vn_hsum256(acc);
}
