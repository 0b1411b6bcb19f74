/* avx2.h: the x86-64 AVX2 + FMA + F16C vocabulary of the micro-kernels
 * (vn_target.h of the x86-64-avx2 target). The kernels themselves are
 * written once in runtime/kernels.c; this maps their vocabulary: 8 float
 * lanes, f16 widened by vcvtph2ps, bf16 by a 16-bit shift, tails in scalar
 * code. 16 vector registers: tiles of 4 x 2. int8 blocks: |x| (unsigned)
 * times w with x's sign (vpmaddubsw: pairs summed to 16 bits, at most
 * 2 * 128 * 127, no saturation), then to 32 bits (vpmaddwd); each block's
 * scale is applied in float lanes, summed across lanes once at the end. */
#include <immintrin.h>

#define VN_VL 8
#define VN_NR 2
typedef __m256 vn_vf;
static inline vn_vf vn_vf_zero(void) { return _mm256_setzero_ps(); }
static inline vn_vf vn_vf_set1(float a) { return _mm256_set1_ps(a); }
static inline vn_vf vn_vf_ld(const float *p) { return _mm256_loadu_ps(p); }
static inline void vn_vf_st(float *p, vn_vf v) { _mm256_storeu_ps(p, v); }
static inline vn_vf vn_vf_fma(vn_vf acc, vn_vf a, vn_vf b) { return _mm256_fmadd_ps(a, b, acc); }
static inline vn_vf vn_vf_add(vn_vf a, vn_vf b) { return _mm256_add_ps(a, b); }
static inline float vn_vf_sum(vn_vf v) {
  __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  return _mm_cvtss_f32(_mm_add_ss(lo, _mm_movehdup_ps(lo)));
}
#define VN_V_F16 1
static inline vn_vf vn_vf_ldh(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }
#define VN_V_BF16 1
static inline vn_vf vn_vf_ldb(const uint16_t *p) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}
#define VN_H2F 1
static inline float vn_h2f(uint16_t h) { return _cvtsh_ss(h); }

#define VN_V_Q8 1
#define VN_Q4_NIB 1
typedef __m256i vn_q32;
static inline vn_q32 vn_q32_ld(const int8_t *p) { return _mm256_loadu_si256((const __m256i *)p); }
static inline vn_q32 vn_q32_q4(const uint8_t *p) {
  __m128i t = _mm_loadu_si128((const __m128i *)p);
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(t, 4), t), _mm256_set1_epi8(0x0f));
}
typedef __m256i vn_qi;
static inline vn_qi vn_qi_dot(vn_q32 x, vn_q32 w) {
  __m256i d16 = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(w, x));
  return _mm256_madd_epi16(d16, _mm256_set1_epi16(1));
}
/* q4_0: nibbles (unsigned) times x, less 8 times the sum of x (computed the same way) */
static inline vn_qi vn_qi_dot_q4(vn_q32 x, vn_q32 w) {
  __m256i d16 = _mm256_sub_epi16(_mm256_maddubs_epi16(w, x), _mm256_maddubs_epi16(_mm256_set1_epi8(8), x));
  return _mm256_madd_epi16(d16, _mm256_set1_epi16(1));
}
typedef __m256 vn_qf;
static inline vn_qf vn_qf_zero(void) { return _mm256_setzero_ps(); }
static inline vn_qf vn_qf_fma(vn_qf acc, float d, vn_qi q) { return _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(q), acc); }
static inline float vn_qf_sum(vn_qf acc) { return vn_vf_sum(acc); }

/* weights repacked for the matmul (VN_QR, runtime/kernels.c): groups of 8
 * rows, each 32-bit lane four consecutive int8 (or nibble pairs) of one row,
 * multiplied by four bytes of x broadcast to every lane (vpmaddubsw, then
 * vpmaddwd). Nibbles (0..15) times x cannot saturate 16 bits; q8_0 weights
 * stay signed and take x's sign (|x| unsigned), as vn_qi_dot. Tiles of 4
 * rows of x by 1 group; decode (one row of x) by 2 groups. */
#define VN_QR 8
/* f32/f16 weights repacked for the matmul (VN_FR, runtime/kernels.c):
 * groups of 8 rows, per column the group's 8 values, one vector */
#define VN_FR 8
#define VN_QR_NG 1
#define VN_QR_NGD 2
typedef __m256i vn_ri;
typedef __m256 vn_rf;
static inline vn_ri vn_ri_zero(void) { return _mm256_setzero_si256(); }
static inline vn_ri vn_ri_ld(const uint8_t *p) { return _mm256_loadu_si256((const __m256i *)p); }
static inline vn_ri vn_ri_bc4(const int8_t *p) { return _mm256_broadcastd_epi32(_mm_loadu_si32((const void *)p)); }
static inline vn_ri vn_ri_lo4(vn_ri v) { return _mm256_and_si256(v, _mm256_set1_epi8(0x0f)); }
static inline vn_ri vn_ri_hi4(vn_ri v) { return _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(0x0f)); }
/* acc + per lane the four products of unsigned w (at most 127 + 128 / 2: no
 * 16-bit saturation for nibbles) and signed x bytes */
static inline vn_ri vn_ri_dot_us(vn_ri acc, vn_ri w, vn_ri x) {
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(w, x), _mm256_set1_epi16(1)));
}
/* the same for signed w: |x| times w with x's sign */
static inline vn_ri vn_ri_dot_ss(vn_ri acc, vn_ri w, vn_ri x) {
  __m256i d16 = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(w, x));
  return _mm256_add_epi32(acc, _mm256_madd_epi16(d16, _mm256_set1_epi16(1)));
}
/* VN_RI_W16: the pair sums of vpmaddubsw added in 16 bits (vpaddw) while
 * they cannot overflow, widened to 32 once (vpmaddwd by ones): a multiply
 * less per vector where the values are small (nibbles: 8 vectors of pair
 * sums, at most 8 * 2 * 15 * 127 < 2^15) */
#define VN_RI_W16 1
typedef __m256i vn_rw;
static inline vn_rw vn_rw_zero(void) { return _mm256_setzero_si256(); }
static inline vn_rw vn_rw_dot_us(vn_ri w, vn_ri x) { return _mm256_maddubs_epi16(w, x); }
static inline vn_rw vn_rw_add(vn_rw a, vn_rw b) { return _mm256_add_epi16(a, b); }
static inline vn_ri vn_ri_add_w(vn_ri acc, vn_rw v) { return _mm256_add_epi32(acc, _mm256_madd_epi16(v, _mm256_set1_epi16(1))); }
static inline vn_ri vn_ri_sub1(vn_ri a, int32_t v) { return _mm256_sub_epi32(a, _mm256_set1_epi32(v)); }
static inline vn_rf vn_rf_zero(void) { return _mm256_setzero_ps(); }
static inline vn_rf vn_rf_ldh(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }
/* acc + s * d * q */
static inline vn_rf vn_rf_fma(vn_rf acc, vn_rf s, float d, vn_ri q) {
  return _mm256_fmadd_ps(_mm256_mul_ps(s, _mm256_set1_ps(d)), _mm256_cvtepi32_ps(q), acc);
}
static inline void vn_rf_st(float *p, vn_rf v) { _mm256_storeu_ps(p, v); }
/* bit fields of 32 bytes, for the block formats GGUF keeps (runtime/kquants.h):
 * (p[i] >> shift) & mask, a | b << up (fields that do not cross bytes), and
 * v with the other half of 16 zeroed */
#define VN_V_QBITS 1
static inline vn_q32 vn_q32_bits(const uint8_t *p, int shift, int mask) {
  return _mm256_and_si256(_mm256_srli_epi16(_mm256_loadu_si256((const __m256i *)p), shift), _mm256_set1_epi8((char)mask));
}
static inline vn_q32 vn_q32_or_shl(vn_q32 a, vn_q32 b, int up) { return _mm256_or_si256(a, _mm256_slli_epi16(b, up)); }
static inline vn_q32 vn_q32_half(vn_q32 v, int hi) {
  return hi ? _mm256_blend_epi32(_mm256_setzero_si256(), v, 0xF0) : _mm256_blend_epi32(_mm256_setzero_si256(), v, 0x0F);
}
/* the repacked K-quant kernels (runtime/kquants.h, VN_QR_KQ): bit fields of
 * bytes ((v >> s) & m per byte; a | b << up), 32-bit lane shifts and masks
 * for the scale words, int32 lanes to float, float lane products */
#define VN_QR_KQ 1
static inline vn_ri vn_ri_bits(vn_ri v, int s, int m) { return _mm256_and_si256(_mm256_srli_epi16(v, s), _mm256_set1_epi8((char)m)); }
static inline vn_ri vn_ri_or_shl(vn_ri a, vn_ri b, int up) { return _mm256_or_si256(a, _mm256_slli_epi16(b, up)); }
static inline vn_ri vn_ri_srl32(vn_ri v, int s) { return _mm256_srli_epi32(v, s); }
static inline vn_ri vn_ri_sll32(vn_ri v, int s) { return _mm256_slli_epi32(v, s); }
static inline vn_ri vn_ri_sra32(vn_ri v, int s) { return _mm256_srai_epi32(v, s); }
static inline vn_ri vn_ri_and32(vn_ri v, int32_t m) { return _mm256_and_si256(v, _mm256_set1_epi32(m)); }
static inline vn_ri vn_ri_or(vn_ri a, vn_ri b) { return _mm256_or_si256(a, b); }
static inline vn_rf vn_rf_cvt(vn_ri v) { return _mm256_cvtepi32_ps(v); }
static inline vn_rf vn_rf_mul(vn_rf a, vn_rf b) { return _mm256_mul_ps(a, b); }
static inline vn_rf vn_rf_muls(vn_rf a, float s) { return _mm256_mul_ps(a, _mm256_set1_ps(s)); }
static inline vn_rf vn_rf_fmav(vn_rf acc, vn_rf a, vn_rf b) { return _mm256_fmadd_ps(a, b, acc); }
static inline vn_rf vn_rf_fmas(vn_rf acc, vn_rf a, float s) { return _mm256_fmadd_ps(a, _mm256_set1_ps(s), acc); }
/* quantizing activations to q8_0 (runtime/kernels.c quantize_row_q8x):
 * MAXPS gives its second operand when either is NaN, so |x| goes first
 * (NaN never chosen) and the rounded value first against -127 (NaN to
 * -127), as the scalar code's comparisons */
#define VN_HAVE_Q8_BLOCK 1
static inline float vn_q8_amax32(const float *x) {
  __m256 m = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)), z = _mm256_setzero_ps();
  for (int i = 0; i < 32; i += 8) z = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + i), m), z);
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(z), _mm256_extractf128_ps(z, 1));
  h = _mm_max_ps(h, _mm_movehl_ps(h, h));
  return _mm_cvtss_f32(_mm_max_ss(h, _mm_movehdup_ps(h)));
}
static inline __m256i vn_q8_round8(__m256 p) {
  __m256 h = _mm256_or_ps(_mm256_and_ps(p, _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MIN))), _mm256_set1_ps(0.49999997f));
  __m256 r = _mm256_round_ps(_mm256_add_ps(p, h), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  r = _mm256_min_ps(_mm256_max_ps(r, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
  return _mm256_cvttps_epi32(r);
}
static inline int32_t vn_q8_quant32(const float *x, float id, int8_t *q) {
  __m256 s = _mm256_set1_ps(id);
  __m256i a = vn_q8_round8(_mm256_mul_ps(_mm256_loadu_ps(x), s)), b = vn_q8_round8(_mm256_mul_ps(_mm256_loadu_ps(x + 8), s));
  __m256i c = vn_q8_round8(_mm256_mul_ps(_mm256_loadu_ps(x + 16), s)), d = vn_q8_round8(_mm256_mul_ps(_mm256_loadu_ps(x + 24), s));
  /* packs work within 128-bit lanes: 32-bit order 0,4,1,5,2,6,3,7 puts the bytes back in order */
  __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
  _mm256_storeu_si256((__m256i *)q, _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
  __m256i t = _mm256_add_epi32(_mm256_add_epi32(a, b), _mm256_add_epi32(c, d));
  __m128i u = _mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
  u = _mm_add_epi32(u, _mm_shuffle_epi32(u, 0x4e));
  return _mm_cvtsi128_si32(_mm_add_epi32(u, _mm_shuffle_epi32(u, 0xb1)));
}
