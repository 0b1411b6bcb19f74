/* avx512.h: the x86-64 AVX-512 (F, BW, VL) + VNNI vocabulary of the
 * micro-kernels (vn_target.h of the x86-64-avx512 target; the kernels are
 * written once in runtime/kernels.c). 16 float lanes; tails are one masked
 * load or store (VN_V_PART), so no scalar loop is left; 32 vector
 * registers: tiles of 4 x 4. int8 blocks multiply-accumulate four int8
 * pairs per int32 lane with VPDPBUSD (unsigned x signed: |x| times w with
 * x's sign, exact for the [-127, 127] values q8_0 holds) on 256-bit
 * vectors, each block's scale applied in float lanes. */
#include <immintrin.h>

#define VN_VL 16
#define VN_NR 4
typedef __m512 vn_vf;
static inline __mmask16 vn_x_tail(int64_t n) { return (__mmask16)((1u << n) - 1); }
static inline vn_vf vn_vf_zero(void) { return _mm512_setzero_ps(); }
static inline vn_vf vn_vf_set1(float a) { return _mm512_set1_ps(a); }
static inline vn_vf vn_vf_ld(const float *p) { return _mm512_loadu_ps(p); }
static inline void vn_vf_st(float *p, vn_vf v) { _mm512_storeu_ps(p, v); }
static inline vn_vf vn_vf_fma(vn_vf acc, vn_vf a, vn_vf b) { return _mm512_fmadd_ps(a, b, acc); }
static inline vn_vf vn_vf_add(vn_vf a, vn_vf b) { return _mm512_add_ps(a, b); }
static inline float vn_vf_sum(vn_vf v) { return _mm512_reduce_add_ps(v); }
#define VN_V_F16 1
static inline vn_vf vn_vf_ldh(const uint16_t *p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }
#define VN_V_BF16 1
static inline vn_vf vn_vf_ldb(const uint16_t *p) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
}
#define VN_V_PART 1
static inline vn_vf vn_vf_ldn(const float *p, int64_t n) { return _mm512_maskz_loadu_ps(vn_x_tail(n), p); }
static inline void vn_vf_stn(float *p, vn_vf v, int64_t n) { _mm512_mask_storeu_ps(p, vn_x_tail(n), v); }
static inline vn_vf vn_vf_ldhn(const uint16_t *p, int64_t n) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(vn_x_tail(n), p)); }
static inline vn_vf vn_vf_ldbn(const uint16_t *p, int64_t n) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(vn_x_tail(n), p)), 16));
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
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_sign_epi8(x, x), _mm256_sign_epi8(w, x));
}
/* q4_0: nibbles (unsigned) times x, less 8 times the sum of x (computed the same way) */
static inline vn_qi vn_qi_dot_q4(vn_q32 x, vn_q32 w) {
  __m256i z = _mm256_setzero_si256();
  return _mm256_sub_epi32(_mm256_dpbusd_epi32(z, w, x), _mm256_dpbusd_epi32(z, _mm256_set1_epi8(8), x));
}
typedef __m256 vn_qf;
static inline vn_qf vn_qf_zero(void) { return _mm256_setzero_ps(); }
static inline vn_qf vn_qf_fma(vn_qf acc, float d, vn_qi q) { return _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(q), acc); }
static inline float vn_qf_sum(vn_qf acc) {
  __m128 lo = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  return _mm_cvtss_f32(_mm_add_ss(lo, _mm_movehdup_ps(lo)));
}

/* weights repacked for the matmul (VN_QR, runtime/kernels.c): groups of 16
 * rows, each 32-bit lane four consecutive int8 (or nibble pairs) of one row;
 * one VPDPBUSD multiplies them by four bytes of x broadcast to every lane.
 * q8_0 weights are stored + 128 (unsigned) so that x stays signed: the sum
 * of x times 128 is taken off once per block (VN_QR_Q8U). Tiles of 4 rows
 * of x by 2 groups (16 accumulators of 32); decode (one row of x) by 4
 * groups, 64 weight rows streaming at once. */
#define VN_QR 16
/* f32/f16 weights repacked for the matmul (VN_FR, runtime/kernels.c):
 * groups of 16 rows, per column the group's 16 values, one vector */
#define VN_FR 16
#define VN_QR_NG 2
#define VN_QR_NGD 4
#define VN_QR_Q8U 1
typedef __m512i vn_ri;
typedef __m512 vn_rf;
static inline vn_ri vn_ri_zero(void) { return _mm512_setzero_si512(); }
static inline vn_ri vn_ri_ld(const uint8_t *p) { return _mm512_loadu_si512((const void *)p); }
static inline vn_ri vn_ri_bc4(const int8_t *p) { return _mm512_broadcastd_epi32(_mm_loadu_si32((const void *)p)); }
static inline vn_ri vn_ri_lo4(vn_ri v) { return _mm512_and_si512(v, _mm512_set1_epi8(0x0f)); }
static inline vn_ri vn_ri_hi4(vn_ri v) { return _mm512_and_si512(_mm512_srli_epi16(v, 4), _mm512_set1_epi8(0x0f)); }
/* the high nibbles in place (VN_RI_HI16: VPDPBUSD sums 32 bits, 16 times a
 * nibble is still one unsigned byte), and a + b / 16 for b a multiple of 16 */
#define VN_RI_HI16 1
static inline vn_ri vn_ri_hi4x16(vn_ri v) { return _mm512_and_si512(v, _mm512_set1_epi8((char)0xf0)); }
static inline vn_ri vn_ri_add_sr4(vn_ri a, vn_ri b) { return _mm512_add_epi32(a, _mm512_srai_epi32(b, 4)); }
/* acc + per lane the four products of unsigned w and signed x bytes */
static inline vn_ri vn_ri_dot_us(vn_ri acc, vn_ri w, vn_ri x) { return _mm512_dpbusd_epi32(acc, w, x); }
static inline vn_ri vn_ri_sub1(vn_ri a, int32_t v) { return _mm512_sub_epi32(a, _mm512_set1_epi32(v)); }
static inline vn_rf vn_rf_zero(void) { return _mm512_setzero_ps(); }
static inline vn_rf vn_rf_ldh(const uint16_t *p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }
/* acc + s * d * q */
static inline vn_rf vn_rf_fma(vn_rf acc, vn_rf s, float d, vn_ri q) {
  return _mm512_fmadd_ps(_mm512_mul_ps(s, _mm512_set1_ps(d)), _mm512_cvtepi32_ps(q), acc);
}
static inline void vn_rf_st(float *p, vn_rf v) { _mm512_storeu_ps(p, v); }
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
static inline vn_ri vn_ri_bits(vn_ri v, int s, int m) { return _mm512_and_si512(_mm512_srli_epi16(v, s), _mm512_set1_epi8((char)m)); }
static inline vn_ri vn_ri_or_shl(vn_ri a, vn_ri b, int up) { return _mm512_or_si512(a, _mm512_slli_epi16(b, up)); }
static inline vn_ri vn_ri_srl32(vn_ri v, int s) { return _mm512_srli_epi32(v, s); }
static inline vn_ri vn_ri_sll32(vn_ri v, int s) { return _mm512_slli_epi32(v, s); }
static inline vn_ri vn_ri_sra32(vn_ri v, int s) { return _mm512_srai_epi32(v, s); }
static inline vn_ri vn_ri_and32(vn_ri v, int32_t m) { return _mm512_and_si512(v, _mm512_set1_epi32(m)); }
static inline vn_ri vn_ri_or(vn_ri a, vn_ri b) { return _mm512_or_si512(a, b); }
static inline vn_rf vn_rf_cvt(vn_ri v) { return _mm512_cvtepi32_ps(v); }
static inline vn_rf vn_rf_mul(vn_rf a, vn_rf b) { return _mm512_mul_ps(a, b); }
static inline vn_rf vn_rf_muls(vn_rf a, float s) { return _mm512_mul_ps(a, _mm512_set1_ps(s)); }
static inline vn_rf vn_rf_fmav(vn_rf acc, vn_rf a, vn_rf b) { return _mm512_fmadd_ps(a, b, acc); }
static inline vn_rf vn_rf_fmas(vn_rf acc, vn_rf a, float s) { return _mm512_fmadd_ps(a, _mm512_set1_ps(s), acc); }
/* quantizing activations to q8_0 (runtime/kernels.c quantize_row_q8x):
 * MAXPS gives its second operand when either is NaN, so |x| goes first
 * (NaN never chosen) and the rounded value first against -127 (NaN to
 * -127), as the scalar code's comparisons */
#define VN_HAVE_Q8_BLOCK 1
static inline float vn_q8_amax32(const float *x) {
  __m512 a = _mm512_abs_ps(_mm512_loadu_ps(x)), b = _mm512_abs_ps(_mm512_loadu_ps(x + 16));
  return _mm512_reduce_max_ps(_mm512_max_ps(b, _mm512_max_ps(a, _mm512_setzero_ps())));
}
static inline __m512i vn_q8_round16(__m512 p) {
  __m512 h = _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(p), _mm512_set1_epi32(INT32_MIN),
                                                           _mm512_castps_si512(_mm512_set1_ps(0.49999997f)), 0xea));
  __m512 r = _mm512_roundscale_ps(_mm512_add_ps(p, h), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  r = _mm512_min_ps(_mm512_max_ps(r, _mm512_set1_ps(-127.0f)), _mm512_set1_ps(127.0f));
  return _mm512_cvttps_epi32(r);
}
static inline int32_t vn_q8_quant32(const float *x, float id, int8_t *q) {
  __m512 s = _mm512_set1_ps(id);
  __m512i a = vn_q8_round16(_mm512_mul_ps(_mm512_loadu_ps(x), s)), b = vn_q8_round16(_mm512_mul_ps(_mm512_loadu_ps(x + 16), s));
  _mm_storeu_si128((__m128i *)q, _mm512_cvtepi32_epi8(a));
  _mm_storeu_si128((__m128i *)(q + 16), _mm512_cvtepi32_epi8(b));
  return _mm512_reduce_add_epi32(_mm512_add_epi32(a, b));
}
