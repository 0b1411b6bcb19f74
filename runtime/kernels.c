/* kernels.c: the op kernels every generated node function calls.
 *
 * Shapes: activations are row-major [T][C] float32 with a row stride (ld)
 * so that column views of a fused output need no copy; the output is
 * always dense. Weights are [N][K] in the packed dtype, already in the
 * target's byte order. The inner loops (dot products, the matmul's
 * register tiles) are written once below over a small vector vocabulary
 * that the target's vn_target.h maps onto its ISA (scalar when it maps
 * none); a header may still bring a whole kernel of its own (VN_HAVE_<NAME>). */
#include "runtime.h"
#include "half.h"
#include <math.h>
#include <string.h>
#include "vn_target.h"
#ifdef VN_USE_BLAS
#include <cblas.h>
#endif

/* ---- float formats (half.h) ---- */
float vn_f16_to_f32(uint16_t h) { return vn_half_f16_to_f32(h); }
float vn_bf16_to_f32(uint16_t h) { return vn_half_bf16_to_f32(h); }

/* ---- q8_0 / q4_0 blocks: see runtime.h ---- */

/* roundf (half away from zero) without a libm call, so that the loops
 * below vectorize: truncation of v plus the float just below 1/2 */
#if defined(__GNUC__) || defined(__clang__)
/* the builtins: a libc without C99's math (loongarch64's build) still has them */
static inline float round_away(float v) { return __builtin_truncf(v + __builtin_copysignf(0.49999997f, v)); }
#else
static inline float round_away(float v) { return truncf(v + copysignf(0.49999997f, v)); }
#endif

static void quantize_row_q8(const float *x, VnBlockQ8 *y, int64_t n) {
  for (int64_t b = 0; b < n / 32; b++) {
    float amax = 0;
    for (int j = 0; j < 32; j++) { float a = fabsf(x[b * 32 + j]); amax = a > amax ? a : amax; }
    float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
    y[b].d = vn_half_f32_to_f16(d);
    /* clamped: NaN or Inf activations (weights are data) give -127, never an out-of-range cast */
    for (int j = 0; j < 32; j++) {
      float v = round_away(x[b * 32 + j] * id);
      v = v >= -127.0f ? v : -127.0f;
      v = v <= 127.0f ? v : 127.0f;
      y[b].qs[j] = (int8_t)(int)v;
    }
  }
}

/* activations: the same blocks, the scale kept as a float (its f16 value);
 * sums (when not NULL) gets each block's sum of values. A target may bring
 * the two per-block loops in vector code (VN_HAVE_Q8_BLOCK): vn_q8_amax32
 * (the largest |x| of 32, NaN never chosen) and vn_q8_quant32 (32 values
 * as above, clamped, NaN to -127; returns their sum). */
static void quantize_row_q8x(const float *x, VnBlockQ8x *y, int32_t *sums, int64_t n) {
  for (int64_t b = 0; b < n / 32; b++) {
#ifdef VN_HAVE_Q8_BLOCK
    float amax = vn_q8_amax32(x + b * 32);
    float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
    y[b].d = vn_f16_to_f32(vn_half_f32_to_f16(d));
    int32_t sum = vn_q8_quant32(x + b * 32, id, y[b].qs);
#else
    VnBlockQ8 q;
    quantize_row_q8(x + b * 32, &q, 32);
    y[b].d = vn_f16_to_f32(q.d);
    memcpy(y[b].qs, q.qs, 32);
    int32_t sum = 0;
    if (sums) for (int j = 0; j < 32; j++) sum += q.qs[j];
#endif
    if (sums) sums[b] = sum;
  }
}

/* ---- micro-kernels, written once over the target's vector vocabulary ----
 * vn_target.h maps a small vocabulary onto its ISA; every kernel below is
 * written in that vocabulary alone. A header without one (generic.h) gets
 * the scalar vocabulary here (one lane). The vocabulary:
 *   VN_VL            float lanes of vn_vf (a constant, or svcntw()-like)
 *   VN_NR            weight rows per register tile (2 on 16-register ISAs, 4 on 32)
 *   vn_vf_zero/set1/ld/st/fma(acc, a, b)/add/sum   floats; fma = acc + a * b
 *   vn_vf_ldh/ldb    VN_VL f16 / bf16 values widened to float
 *                    (VN_V_F16 / VN_V_BF16; else converted through a buffer)
 *   VN_V_PART        has vn_vf_ldn/ldhn/ldbn(p, n) (n < VN_VL lanes, rest 0)
 *                    and vn_vf_stn: tails in vector code, else in scalar code
 *   int8 (VN_V_Q8):  vn_q32 (the 32 int8 of a block), vn_q32_ld, vn_q32_q4
 *                    (16 bytes of nibbles as 32 values - 8, low nibbles first),
 *                    vn_qi vn_qi_dot(x, w) (int32 lanes summing to x . w), and
 *                    vn_qf: float accumulator, vn_qf_zero/fma(acc, d, qi)/sum;
 *                    VN_Q4_NIB: vn_q32_q4 gives the nibbles 0..15 unsigned and
 *                    vn_qi_dot_q4(x, w) takes the 8 off (an unsigned x signed
 *                    product with no sign fix-ups);
 *   or 16-byte (VN_V_B16): vn_b16_ld/lo4/hi4, vn_i4 vn_i4_dot(acc, a, b),
 *                    vn_i4_zero/sum, from which the block vocabulary is built
 *   vn_h2f           an f16 scale to float (VN_H2F; else vn_f16_to_f32)
 *   repacked int8 weights (VN_QR rows a group, VN_QR_NG groups a tile; see
 *                    the matmul): vn_ri (VN_QR int32 lanes) vn_ri_zero/ld/
 *                    bc4 (4 bytes to every lane)/lo4/hi4 (nibbles)/sub1,
 *                    vn_ri_dot_us(acc, w, x) (unsigned w, signed x: four
 *                    products a lane) and vn_ri_dot_ss (both signed; not
 *                    needed with VN_QR_Q8U: q8_0 weights stored + 128),
 *                    vn_rf (VN_QR float lanes) vn_rf_zero/ldh/st/
 *                    fma(acc, s, d, q) = acc + s * d * q
 * A header may still define a whole kernel itself (VN_HAVE_<NAME>, as
 * cortexm.h does); the generic one is then skipped. */
#ifndef VN_VL
#define VN_VL 1
#define VN_NR 2
typedef float vn_vf;
static inline vn_vf vn_vf_zero(void) { return 0.0f; }
static inline vn_vf vn_vf_set1(float a) { return a; }
static inline vn_vf vn_vf_ld(const float *p) { return *p; }
static inline void vn_vf_st(float *p, vn_vf v) { *p = v; }
static inline vn_vf vn_vf_fma(vn_vf acc, vn_vf a, vn_vf b) { return acc + a * b; }
static inline vn_vf vn_vf_add(vn_vf a, vn_vf b) { return a + b; }
static inline float vn_vf_sum(vn_vf v) { return v; }
static inline vn_vf vn_vf_ldh(const uint16_t *p) { return vn_f16_to_f32(*p); }
static inline vn_vf vn_vf_ldb(const uint16_t *p) { return vn_bf16_to_f32(*p); }
#define VN_V_F16 1
#define VN_V_BF16 1
#endif
#ifndef VN_NR
#define VN_NR 2
#endif
#ifndef VN_V_F16
static inline vn_vf vn_vf_ldh(const uint16_t *p) {
  float t[VN_VL];
  for (int i = 0; i < VN_VL; i++) t[i] = vn_f16_to_f32(p[i]);
  return vn_vf_ld(t);
}
#endif
#ifndef VN_V_BF16
static inline vn_vf vn_vf_ldb(const uint16_t *p) {
  float t[VN_VL];
  for (int i = 0; i < VN_VL; i++) t[i] = vn_bf16_to_f32(p[i]);
  return vn_vf_ld(t);
}
#endif
#ifndef VN_H2F
static inline float vn_h2f(uint16_t h) { return vn_f16_to_f32(h); }
#endif
static inline float vn_cvt_f32(float f) { return f; }

#if defined(VN_V_B16) && !defined(VN_V_Q8)
/* the block vocabulary from 16-byte vectors: a block is two of them */
#define VN_V_Q8 1
typedef struct { vn_b16 lo, hi; } vn_q32;
static inline vn_q32 vn_q32_ld(const int8_t *p) { vn_q32 q = {vn_b16_ld(p), vn_b16_ld(p + 16)}; return q; }
static inline vn_q32 vn_q32_q4(const uint8_t *p) {
  vn_b16 v = vn_b16_ld((const int8_t *)p);
  vn_q32 q = {vn_b16_lo4(v), vn_b16_hi4(v)};
  return q;
}
typedef vn_i4 vn_qi;
static inline vn_qi vn_qi_dot(vn_q32 x, vn_q32 w) { return vn_i4_dot(vn_i4_dot(vn_i4_zero(), x.lo, w.lo), x.hi, w.hi); }
typedef float vn_qf;
static inline vn_qf vn_qf_zero(void) { return 0.0f; }
static inline vn_qf vn_qf_fma(vn_qf acc, float d, vn_qi q) { return acc + d * (float)vn_i4_sum(q); }
static inline float vn_qf_sum(vn_qf acc) { return acc; }
#endif
#ifndef VN_V_Q8
/* scalar blocks */
typedef struct { int8_t v[32]; } vn_q32;
static inline vn_q32 vn_q32_ld(const int8_t *p) { vn_q32 q; memcpy(q.v, p, 32); return q; }
static inline vn_q32 vn_q32_q4(const uint8_t *p) {
  vn_q32 q;
  for (int j = 0; j < 16; j++) { q.v[j] = (int8_t)((p[j] & 0x0f) - 8); q.v[j + 16] = (int8_t)((p[j] >> 4) - 8); }
  return q;
}
typedef int32_t vn_qi;
static inline vn_qi vn_qi_dot(vn_q32 x, vn_q32 w) {
  int32_t acc = 0;
  for (int j = 0; j < 32; j++) acc += (int32_t)x.v[j] * w.v[j];
  return acc;
}
typedef float vn_qf;
static inline vn_qf vn_qf_zero(void) { return 0.0f; }
static inline vn_qf vn_qf_fma(vn_qf acc, float d, vn_qi q) { return acc + d * (float)q; }
static inline float vn_qf_sum(vn_qf acc) { return acc; }
#endif

#ifndef VN_Q4_NIB
/* x . w for q4_0 weights: vn_q32_q4 already subtracted 8 */
static inline vn_qi vn_qi_dot_q4(vn_q32 x, vn_q32 w) { return vn_qi_dot(x, w); }
#endif

/* Tiles of MR rows of x by NR weight rows, unrolled by the preprocessor
 * (sizeless vector types, SVE's and RVV's, cannot live in arrays):
 * VN_TILE(MR, NR, M) expands M(r, c) for every row r and column c. */
#define VN_R1(F, N, M) F(0, N, M)
#define VN_R4(F, N, M) F(0, N, M) F(1, N, M) F(2, N, M) F(3, N, M)
#define VN_C1(M, r) M(r, 0)
#define VN_C2(M, r) M(r, 0) M(r, 1)
#define VN_C3(M, r) M(r, 0) M(r, 1) M(r, 2)
#define VN_C4(M, r) M(r, 0) M(r, 1) M(r, 2) M(r, 3)
#define VN_ROW_(r, N, M) VN_C##N(M, r)
#define VN_TILE(MR, NR, M) VN_R##MR(VN_ROW_, NR, M)
#define VN_ROWS(MR, M) VN_R##MR(VN_ONE_, 0, M)
#define VN_COLS(NR, M) VN_C##NR(VN_ONE_C_, M)
#define VN_ONE_(r, N, M) M(r)
#define VN_ONE_C_(M, c) M(c)

/* float tile: o[r * NR + c] = x_r . w_c over n elements */
#define VN_F_XP(r) const float *x##r = x + (r) * ldx;
#define VN_F_WP(c) const VN_T_WT *w##c = w + (c) * ldw;
#define VN_F_ACC(r, c) vn_vf a##r##c = vn_vf_zero();
#define VN_F_WLD(c) vn_vf v##c = VN_T_LD(w##c + i);
#define VN_F_FMA(r, c) a##r##c = vn_vf_fma(a##r##c, u##r, v##c);
#define VN_F_XLD(r) vn_vf u##r = vn_vf_ld(x##r + i);
#define VN_F_SUM(r, c) o[(r) * NRV + (c)] = vn_vf_sum(a##r##c);
#define VN_F_TAIL(r, c) for (int64_t j = i; j < n; j++) o[(r) * NRV + (c)] += x##r[j] * VN_T_CVT(w##c[j]);
#ifdef VN_V_PART
#define VN_F_WLDN(c) vn_vf v##c = VN_T_LDN(w##c + i, n - i);
#define VN_F_XLDN(r) vn_vf u##r = vn_vf_ldn(x##r + i, n - i);
#define VN_F_PART(MR, NR) if (i < n) { VN_COLS(NR, VN_F_WLDN) VN_ROWS(MR, VN_F_XLDN) VN_TILE(MR, NR, VN_F_FMA) i = n; }
#else
#define VN_F_PART(MR, NR)
#endif
/* one row of x (decode) streams its weight rows with a prefetch VN_PFD
 * bytes ahead in each (a hint: it never faults past the end) */
#ifndef VN_PFD
#define VN_PFD 1024
#endif
#if defined(__GNUC__) || defined(__clang__)
#define VN_PF(p) __builtin_prefetch((const void *)((const char *)(p) + VN_PFD), 0, 3)
#define VN_PF0(p) __builtin_prefetch((const void *)(p), 0, 3)
#else
#define VN_PF(p) ((void)0)
#define VN_PF0(p) ((void)0)
#endif
#define VN_F_PFW(c) VN_PF(w##c + i);
#define VN_DEF_FTILE(NAME, MR, NR)                                                              \
  static void NAME(const float *x, int64_t ldx, const VN_T_WT *w, int64_t ldw, int64_t n, float *o) { \
    enum { NRV = NR };                                                                          \
    (void)ldx; (void)ldw;                                                                       \
    VN_ROWS(MR, VN_F_XP) VN_COLS(NR, VN_F_WP) VN_TILE(MR, NR, VN_F_ACC)                         \
    int64_t i = 0;                                                                              \
    for (; i + VN_VL <= n; i += VN_VL) {                                                        \
      if (MR == 1) { VN_COLS(NR, VN_F_PFW) }                                                    \
      VN_COLS(NR, VN_F_WLD) VN_ROWS(MR, VN_F_XLD) VN_TILE(MR, NR, VN_F_FMA)                     \
    }                                                                                           \
    VN_F_PART(MR, NR)                                                                           \
    VN_TILE(MR, NR, VN_F_SUM)                                                                   \
    VN_TILE(MR, NR, VN_F_TAIL)                                                                  \
  }

/* quantized tile: x as VnBlockQ8x, W as q8_0 or q4_0 blocks, nb blocks */
#define VN_Q_XP(r) const VnBlockQ8x *x##r = x + (r) * ldx;
#define VN_Q_WP(c) const VN_T_WT *w##c = w + (c) * ldw;
#define VN_Q_ACC(r, c) vn_qf a##r##c = vn_qf_zero();
#define VN_Q_WLD(c) vn_q32 v##c = VN_T_LD(w##c[b].qs); float e##c = vn_h2f(w##c[b].d);
#define VN_Q_XLD(r) vn_q32 u##r = vn_q32_ld(x##r[b].qs); float f##r = x##r[b].d;
#define VN_Q_FMA(r, c) a##r##c = vn_qf_fma(a##r##c, f##r * e##c, VN_T_DOT(u##r, v##c));
#define VN_Q_SUM(r, c) o[(r) * NRV + (c)] = vn_qf_sum(a##r##c);
#define VN_DEF_QTILE(NAME, MR, NR)                                                              \
  static void NAME(const VnBlockQ8x *x, int64_t ldx, const VN_T_WT *w, int64_t ldw, int64_t nb, float *o) { \
    enum { NRV = NR };                                                                          \
    (void)ldx; (void)ldw;                                                                       \
    VN_ROWS(MR, VN_Q_XP) VN_COLS(NR, VN_Q_WP) VN_TILE(MR, NR, VN_Q_ACC)                         \
    for (int64_t b = 0; b < nb; b++) {                                                          \
      VN_COLS(NR, VN_Q_WLD) VN_ROWS(MR, VN_Q_XLD) VN_TILE(MR, NR, VN_Q_FMA)                     \
    }                                                                                           \
    VN_TILE(MR, NR, VN_Q_SUM)                                                                   \
  }

/* tiles 4 x NR (prefill), 1 x NR (decode), 4 x 1 and 1 x 1 (edges) of one
 * weight type: VN_T_WT (its element), VN_T_LD / VN_T_LDN (vector loads),
 * VN_T_CVT (one element to float) are defined around each instantiation */
#define VN_DEF_TILES(DEF, S)                                                                    \
  VN_NOINLINE DEF(vn_t4xn_##S, 4, VN_NR_LIT) VN_NOINLINE DEF(vn_t1xn_##S, 1, VN_NR_LIT)             \
  VN_NOINLINE DEF(vn_t4x1_##S, 4, 1) VN_UNUSED DEF(vn_t1x1_##S, 1, 1)
/* the tiles stay functions of their own: one call per tile costs nothing
 * beside its K-long loop, and a JIT (wasm) optimizes small functions sooner */
#if defined(__GNUC__) || defined(__clang__)
#define VN_NOINLINE __attribute__((noinline))
#define VN_UNUSED __attribute__((unused))
#else
#define VN_NOINLINE
#define VN_UNUSED
#endif
#if VN_NR == 4
#define VN_NR_LIT 4
#else
#define VN_NR_LIT 2
#endif
/* the named micro-kernels (the rest of the runtime and the kernel test use
 * these): dot products, four rows against one weight row, y += a x */
#define VN_DEF_DOT(S)                                                                           \
  static inline float vn_dot_##S(const float *x, const VN_T_WT *w, int64_t n) {                 \
    vn_vf a0 = vn_vf_zero(), a1 = a0, a2 = a0, a3 = a0;                                         \
    int64_t i = 0;                                                                              \
    for (; i + 4 * VN_VL <= n; i += 4 * VN_VL) {                                                \
      a0 = vn_vf_fma(a0, vn_vf_ld(x + i), VN_T_LD(w + i));                                      \
      a1 = vn_vf_fma(a1, vn_vf_ld(x + i + VN_VL), VN_T_LD(w + i + VN_VL));                      \
      a2 = vn_vf_fma(a2, vn_vf_ld(x + i + 2 * VN_VL), VN_T_LD(w + i + 2 * VN_VL));              \
      a3 = vn_vf_fma(a3, vn_vf_ld(x + i + 3 * VN_VL), VN_T_LD(w + i + 3 * VN_VL));              \
    }                                                                                           \
    for (; i + VN_VL <= n; i += VN_VL) a0 = vn_vf_fma(a0, vn_vf_ld(x + i), VN_T_LD(w + i));     \
    VN_DOT_PART                                                                                 \
    float s = vn_vf_sum(vn_vf_add(vn_vf_add(a0, a1), vn_vf_add(a2, a3)));                      \
    for (; i < n; i++) s += x[i] * VN_T_CVT(w[i]);                                              \
    return s;                                                                                   \
  }
#define VN_DEF_DOT4(S)                                                                          \
  static inline void vn_dot4_##S(const float *x, int64_t ldx, const VN_T_WT *w, int64_t n, float *out) { \
    vn_t4x1_##S(x, ldx, w, 0, n, out);                                                          \
  }
#ifdef VN_V_PART
#define VN_DOT_PART if (i < n) { a1 = vn_vf_fma(a1, vn_vf_ldn(x + i, n - i), VN_T_LDN(w + i, n - i)); i = n; }
#else
#define VN_DOT_PART
#endif

#define VN_T_WT float
#define VN_T_LD vn_vf_ld
#define VN_T_LDN vn_vf_ldn
#define VN_T_CVT vn_cvt_f32
VN_DEF_TILES(VN_DEF_FTILE, f32)
#ifndef VN_HAVE_DOT_F32
VN_DEF_DOT(f32)
#endif
#ifndef VN_HAVE_DOT4_F32
VN_DEF_DOT4(f32)
#endif
#undef VN_T_WT
#undef VN_T_LD
#undef VN_T_LDN
#undef VN_T_CVT
#define VN_T_WT uint16_t
#define VN_T_LD vn_vf_ldh
#define VN_T_LDN vn_vf_ldhn
#define VN_T_CVT vn_f16_to_f32
VN_DEF_TILES(VN_DEF_FTILE, f16)
#ifndef VN_HAVE_DOT_F16
VN_DEF_DOT(f16)
#endif
#ifndef VN_HAVE_DOT4_F16
VN_DEF_DOT4(f16)
#endif
#undef VN_T_LD
#undef VN_T_LDN
#undef VN_T_CVT
#define VN_T_LD vn_vf_ldb
#define VN_T_LDN vn_vf_ldbn
#define VN_T_CVT vn_bf16_to_f32
VN_DEF_TILES(VN_DEF_FTILE, bf16)
#ifndef VN_HAVE_DOT_BF16
VN_DEF_DOT(bf16)
#endif
#ifndef VN_HAVE_DOT4_BF16
VN_DEF_DOT4(bf16)
#endif
#undef VN_T_WT
#undef VN_T_LD
#undef VN_T_LDN
#undef VN_T_CVT
#define VN_T_WT VnBlockQ8
#define VN_T_LD vn_q32_ld
#define VN_T_DOT vn_qi_dot
VN_DEF_TILES(VN_DEF_QTILE, q8_0)
#undef VN_T_WT
#undef VN_T_LD
#undef VN_T_DOT
#define VN_T_WT VnBlockQ4
#define VN_T_LD vn_q32_q4
#define VN_T_DOT vn_qi_dot_q4
VN_DEF_TILES(VN_DEF_QTILE, q4_0)
#undef VN_T_WT
#undef VN_T_LD
#undef VN_T_DOT

#ifndef VN_HAVE_AXPY_F32
/* y += a * x */
static inline void vn_axpy_f32(float *y, float a, const float *x, int64_t n) {
  vn_vf av = vn_vf_set1(a);
  int64_t i = 0;
  for (; i + VN_VL <= n; i += VN_VL) vn_vf_st(y + i, vn_vf_fma(vn_vf_ld(y + i), av, vn_vf_ld(x + i)));
#ifdef VN_V_PART
  if (i < n) { vn_vf_stn(y + i, vn_vf_fma(vn_vf_ldn(y + i, n - i), av, vn_vf_ldn(x + i, n - i)), n - i); i = n; }
#endif
  for (; i < n; i++) y[i] += a * x[i];
}
#endif

#ifndef VN_HAVE_DOT_Q8_0
static inline float vn_dot_q8_0(const VnBlockQ8x *x, const VnBlockQ8 *w, int64_t nb) {
  float o;
  vn_t1x1_q8_0(x, 0, w, 0, nb, &o);
  return o;
}
#endif
#ifndef VN_HAVE_DOT_Q4_0
static inline float vn_dot_q4_0(const VnBlockQ8x *x, const VnBlockQ4 *w, int64_t nb) {
  float o;
  vn_t1x1_q4_0(x, 0, w, 0, nb, &o);
  return o;
}
#endif

/* ---- activations, in float32 as the reference computes them ---- */
float vn_act_f(int act, float x) {
  switch (act) {
  case VN_A_SILU: return x / (1.0f + expf(-x));
  case VN_A_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
  case VN_A_GELU_TANH: return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
  case VN_A_RELU: return x > 0 ? x : 0;
  case VN_A_SIGMOID: return 1.0f / (1.0f + expf(-x));
  case VN_A_TANH: return tanhf(x);
  case VN_A_SOFTPLUS: return x > 20.0f ? x : log1pf(expf(x));
  case VN_A_RELU2: { float r = x > 0 ? x : 0; return r * r; }
  case VN_A_QUICK_GELU: return x / (1.0f + expf(-1.702f * x));
  default: return x;
  }
}

/* silu(g[i]) * u[i] (u[i] = 1 without u) for n values: libm's expf one
 * value at a time costs more than the products of a prefill's gate. In
 * GCC's generic vectors (gcc and clang build every target) where they
 * exist, exp as Cephes' expf (n = round(x log2 e), a degree-6 polynomial
 * of the remainder, 2^n by the exponent bits; within 1 ulp of glibc's expf), the
 * argument clamped where expf leaves float's range (the quotient is then
 * 0 or g, as with expf's 0 or inf); a NaN stays NaN. */
#if defined(__GNUC__) || defined(__clang__)
typedef float vn_e8f __attribute__((vector_size(32)));
typedef int32_t vn_e8i __attribute__((vector_size(32)));
typedef uint32_t vn_e8u __attribute__((vector_size(32)));
#define VN_E8(v) {v, v, v, v, v, v, v, v}
static inline __attribute__((always_inline)) void vexp8(vn_e8f *px) {  /* by pointer: no vector in a call's ABI */
  vn_e8f x = *px;
  const vn_e8f hi = VN_E8(88.3762626647949f), lo = VN_E8(-87.3365447504019f), l2e = VN_E8(1.44269504088896341f);
  const vn_e8f magic = VN_E8(12582912.0f), c1 = VN_E8(0.693359375f), c2 = VN_E8(-2.12194440e-4f), one = VN_E8(1.0f);
  const vn_e8f p0 = VN_E8(1.9875691500e-4f), p1 = VN_E8(1.3981999507e-3f), p2 = VN_E8(8.3334519073e-3f);
  const vn_e8f p3 = VN_E8(4.1665795894e-2f), p4 = VN_E8(1.6666665459e-1f), p5 = VN_E8(5.0000001201e-1f);
  x = (vn_e8f)(((vn_e8i)hi & (vn_e8i)(x > hi)) | ((vn_e8i)x & ~(vn_e8i)(x > hi)));
  x = (vn_e8f)(((vn_e8i)lo & (vn_e8i)(x < lo)) | ((vn_e8i)x & ~(vn_e8i)(x < lo)));
  vn_e8f t = x * l2e + magic, n = t - magic;  /* round to nearest: |x log2 e| < 2^22 */
  vn_e8f r = x - n * c1 - n * c2, r2 = r * r;
  vn_e8f p = ((((p0 * r + p1) * r + p2) * r + p3) * r + p4) * r + p5;
  vn_e8f e = p * r2 + r + one;
  vn_e8i k = (vn_e8i)t - (vn_e8i)magic;  /* n as an integer (t's low mantissa bits) */
  *px = (vn_e8f)((vn_e8u)e + ((vn_e8u)k << 23));  /* unsigned: n < 0 shifts too */
}
#endif
static void silu_mul(float *y, const float *g, const float *u, int64_t n) {
  int64_t i = 0;
#if defined(__GNUC__) || defined(__clang__)
  const vn_e8f one = VN_E8(1.0f);
  for (; i + 8 <= n; i += 8) {
    vn_e8f gv, uv = one;
    memcpy(&gv, g + i, sizeof gv);
    if (u) memcpy(&uv, u + i, sizeof uv);
    vn_e8f v = -gv;
    vexp8(&v);
    v = gv / (one + v) * uv;
    memcpy(y + i, &v, sizeof v);
  }
#endif
  for (; i < n; i++) y[i] = vn_act_f(VN_A_SILU, g[i]) * (u ? u[i] : 1.0f);
}

/* s[i] = exp(s[i] - mx) for n scores; returns their sum (a softmax's
 * denominator), in vectors as silu_mul */
static float exp_sum(float *s, int64_t n, float mx) {
  int64_t i = 0;
  float sum = 0.0f;
#if defined(__GNUC__) || defined(__clang__)
  vn_e8f acc = VN_E8(0.0f);
  const vn_e8f m = VN_E8(mx);
  for (; i + 8 <= n; i += 8) {
    vn_e8f v;
    memcpy(&v, s + i, sizeof v);
    v -= m;
    vexp8(&v);
    acc += v;
    memcpy(s + i, &v, sizeof v);
  }
  for (int l = 0; l < 8; l++) sum += acc[l];
#endif
  for (; i < n; i++) { s[i] = expf(s[i] - mx); sum += s[i]; }
  return sum;
}

/* ---- embed ---- */
static int kq_is(int dt);  /* the kept GGUF formats: kquants.h */
static void kq_dequant_row(const void *W, int dt, int64_t row, int64_t K, float *out);
static void dequant_row(const void *W, int dt, int64_t row, int64_t K, float *out) {
  switch (dt) {
  case VN_DT_F32: memcpy(out, (const float *)W + row * K, (size_t)K * 4); break;
  case VN_DT_F16: { const uint16_t *p = (const uint16_t *)W + row * K; for (int64_t i = 0; i < K; i++) out[i] = vn_f16_to_f32(p[i]); } break;
  case VN_DT_BF16: { const uint16_t *p = (const uint16_t *)W + row * K; for (int64_t i = 0; i < K; i++) out[i] = vn_bf16_to_f32(p[i]); } break;
  case VN_DT_Q8_0: {
    const VnBlockQ8 *b = (const VnBlockQ8 *)W + row * (K / 32);
    for (int64_t j = 0; j < K / 32; j++) { float d = vn_f16_to_f32(b[j].d); for (int i = 0; i < 32; i++) out[j * 32 + i] = d * b[j].qs[i]; }
  } break;
  case VN_DT_Q4_0: {
    const VnBlockQ4 *b = (const VnBlockQ4 *)W + row * (K / 32);
    for (int64_t j = 0; j < K / 32; j++) {
      float d = vn_f16_to_f32(b[j].d);
      for (int i = 0; i < 16; i++) { out[j * 32 + i] = d * ((b[j].qs[i] & 15) - 8); out[j * 32 + i + 16] = d * ((b[j].qs[i] >> 4) - 8); }
    }
  } break;
  default: if (kq_is(dt)) kq_dequant_row(W, dt, row, K, out); break;
  }
}

void vn_k_positions(VnRt *rt, int32_t *out, int T, int pos, int offset) {
  (void)rt;
  for (int t = 0; t < T; t++) out[t] = pos + t + offset;
}

void vn_k_embed(VnRt *rt, float *out, const void *table, int dt, const int32_t *ids, int T, int64_t H, int64_t V, float scale) {
  (void)rt;
  for (int t = 0; t < T; t++) {
    int64_t id = ids[t];
    if (id < 0 || id >= V) id = 0; /* cli.c rejects such ids; never read outside the table */
    dequant_row(table, dt, id, H, out + (int64_t)t * H);
    if (scale != 1.0f) for (int64_t i = 0; i < H; i++) out[(int64_t)t * H + i] *= scale;
  }
}

/* ---- norms: each group of `group` columns normalized on its own ---- */
void vn_k_rmsnorm(VnRt *rt, float *out, const float *x, int64_t ldx, const float *w, int T, int64_t C, int64_t group, float eps) {
  (void)rt;
  if (!group) group = C;
  for (int t = 0; t < T; t++)
    for (int64_t g0 = 0; g0 < C; g0 += group) {
      const float *xr = x + (int64_t)t * ldx + g0;
      float *o = out + (int64_t)t * C + g0;
      double ss = 0;
      for (int64_t i = 0; i < group; i++) ss += (double)xr[i] * xr[i];
      float r = 1.0f / sqrtf((float)(ss / (double)group) + eps);
      for (int64_t i = 0; i < group; i++) o[i] = w ? w[i] * (xr[i] * r) : xr[i] * r;
    }
}

void vn_k_layernorm(VnRt *rt, float *out, const float *x, int64_t ldx, const float *w, const float *b, int T, int64_t C, int64_t group, float eps) {
  (void)rt;
  if (!group) group = C;
  for (int t = 0; t < T; t++)
    for (int64_t g0 = 0; g0 < C; g0 += group) {
      const float *xr = x + (int64_t)t * ldx + g0;
      float *o = out + (int64_t)t * C + g0;
      double s = 0, ss = 0;
      for (int64_t i = 0; i < group; i++) s += xr[i];
      float mean = (float)(s / (double)group);
      for (int64_t i = 0; i < group; i++) { double d = xr[i] - mean; ss += d * d; }
      float r = 1.0f / sqrtf((float)(ss / (double)group) + eps);
      for (int64_t i = 0; i < group; i++) {
        float v = (xr[i] - mean) * r;
        if (w) v *= w[i];
        if (b) v += b[i];
        o[i] = v;
      }
    }
}

/* ---- matmul: out[t][n] = res + scale * act(x[t] . W[n] + bias[n]) ---- */
typedef struct {
  float *out;
  const float *x;
  int64_t ldx;
  const void *W;
  int dt;
  const float *bias, *res;
  int64_t ldres;
  int T;
  int64_t K, N, ncols;
  int act, glu;
  float scale;
  const void *xq;   /* x as q8_0 blocks [T][K/32] for quantized W */
  int32_t *xs;      /* repacked W (VN_DT_RP) with a weight offset: the sum of each block of xq [T][K/32] */
} MatmulArgs;

/* one register tile of one weight type: rows t.. (mr: 4 or 1) of x against
 * weight rows n.. (nr: VN_NR or 1); o[r * nr + c]. One row by one weight
 * row (decode) is the named dot product, a header's own where it has one
 * (cortexm.h). A function per type keeps each small (a wasm JIT optimizes
 * small functions sooner) and the type switch out of the column loop. */
typedef void (*TileFn)(const MatmulArgs *a, int mr, int nr, int t, int64_t n, float *o);
#define VN_DEF_TILEFN(S, XT, XA, LDX, WT, LDW, LEN)                                                   \
  static void tile_##S(const MatmulArgs *a, int mr, int nr, int t, int64_t n, float *o) {           \
    int64_t K = a->K, kb = K / 32;                                                                  \
    (void)kb;                                                                                       \
    const XT *x = (const XT *)XA + (int64_t)t * LDX;                                                \
    const WT *w = (const WT *)a->W + n * LDW;                                                       \
    if (mr == 4) {                                                                                  \
      if (nr > 1) vn_t4xn_##S(x, LDX, w, LDW, LEN, o);                                              \
      else vn_t4x1_##S(x, LDX, w, LDW, LEN, o);                                                     \
    } else if (nr > 1) vn_t1xn_##S(x, LDX, w, LDW, LEN, o);                                         \
    else o[0] = vn_dot_##S(x, w, LEN);                                                              \
  }
VN_DEF_TILEFN(f32, float, a->x, a->ldx, float, K, K)
VN_DEF_TILEFN(f16, float, a->x, a->ldx, uint16_t, K, K)
VN_DEF_TILEFN(bf16, float, a->x, a->ldx, uint16_t, K, K)
VN_DEF_TILEFN(q8_0, VnBlockQ8x, a->xq, kb, VnBlockQ8, kb, kb)
VN_DEF_TILEFN(q4_0, VnBlockQ8x, a->xq, kb, VnBlockQ4, kb, kb)

/* the epilogue of one output element from its dot product(s) */
static inline float epilogue(const MatmulArgs *a, int t, int64_t c, float g, float u) {
  float y;
  if (a->glu) {
    if (a->bias) { g += a->bias[2 * c]; u += a->bias[2 * c + 1]; }
    y = vn_act_f(a->act, g) * u;
  } else {
    y = g;
    if (a->bias) y += a->bias[c];
    if (a->act) y = vn_act_f(a->act, y);
  }
  if (a->scale != 0.0f) y *= a->scale;
  if (a->res) y += a->res[(int64_t)t * a->ldres + c];
  return y;
}

/* output columns [c0, c1), every row: weight rows in blocks of about
 * 256 KiB that stay in cache while every row of x passes them, four rows
 * of x at a time against VN_NR weight rows per register tile (a glu output
 * column is the weight-row pair 2c, 2c + 1: VN_NR is even). */
static void matmul_task(void *arg, int64_t c0, int64_t c1, int thread) {
  (void)thread;
  const MatmulArgs *a = arg;
  int64_t n0 = a->glu ? 2 * c0 : c0, n1 = a->glu ? 2 * c1 : c1;
  int64_t tb = (int64_t)(262144 / (vn_row_bytes(a->dt, a->K) + 1));
  tb = tb < 16 ? 16 : tb - tb % 16;
  TileFn tile = a->dt == VN_DT_F32 ? tile_f32 : a->dt == VN_DT_F16 ? tile_f16 : a->dt == VN_DT_BF16 ? tile_bf16
              : a->dt == VN_DT_Q8_0 ? tile_q8_0 : tile_q4_0;
  for (int64_t nb = n0; nb < n1; nb += tb) {
    int64_t ne = nb + tb < n1 ? nb + tb : n1;
    for (int t = 0; t < a->T;) {
      int mr = a->T - t >= 4 ? 4 : 1;
      for (int64_t n = nb; n < ne;) {
        float o[4 * (VN_NR > 2 ? VN_NR : 2)];
        int cols, stride;
        if (ne - n >= VN_NR && mr == 4) {
          tile(a, mr, VN_NR, t, n, o);
          cols = stride = VN_NR;
        } else {  /* the last rows: one (a glu pair: two) at a time */
          float o1[4];
          cols = stride = a->glu ? 2 : 1;
          for (int j = 0; j < cols; j++) {
            tile(a, mr, 1, t, n + j, o1);
            for (int r = 0; r < mr; r++) o[r * stride + j] = o1[r];
          }
        }
        for (int r = 0; r < mr; r++) {
          float *orow = a->out + (int64_t)(t + r) * a->ncols;
          if (a->glu)
            for (int j = 0; j < cols; j += 2) {
              int64_t c = (n + j) / 2;
              orow[c] = epilogue(a, t + r, c, o[r * stride + j], o[r * stride + j + 1]);
            }
          else
            for (int j = 0; j < cols; j++) orow[n + j] = epilogue(a, t + r, n + j, o[r * stride + j], 0);
        }
        n += cols;
      }
      t += mr;
    }
  }
}

static void quantize_task(void *arg, int64_t t0, int64_t t1, int thread) {
  (void)thread;
  const MatmulArgs *a = arg;
  int64_t kb = a->K / 32;
  for (int64_t t = t0; t < t1; t++) {
    quantize_row_q8x(a->x + t * a->ldx, (VnBlockQ8x *)a->xq + t * kb, a->xs ? a->xs + t * kb : NULL, a->K);
  }
}

#ifdef VN_QR
/* ---- repacked int8 weights (VN_DT_RP; codegen/pack.c vn_repack_rows) ----
 * Full groups of VN_QR weight rows, then the rows left over as plain rows.
 * A group over kb blocks: kb x VN_QR f16 scales, then per block its 32
 * values as 8 (q8_0) or 4 (q4_0: low nibbles value j, high j + 16) vectors
 * of VN_QR lanes, a lane four bytes of one row. Each vector times four
 * bytes of x broadcast to every lane gives VN_QR rows' partial dot
 * products at once; q4_0's nibbles (and q8_0's values with VN_QR_Q8U) are
 * stored with an offset (8, 128) that the block sum of x times it takes off.
 * Tiles of MR rows of x by NG groups, a function each (VN_TILE). */
#if VN_QR_NG > 1
#define VN_QR_NG_LIT 2
#else
#define VN_QR_NG_LIT 1
#endif
#ifdef VN_QR_Q8U
#define VN_R_Q8_OFF 128
#define VN_R_Q8_DOT vn_ri_dot_us
#else
#define VN_R_Q8_OFF 0
#define VN_R_Q8_DOT vn_ri_dot_ss
#endif
#define VN_R_XP(r) const VnBlockQ8x *x##r = x + (r) * kb; const int32_t *s##r = xs ? xs + (r) * kb : NULL; (void)s##r;
#define VN_R_WP(c) const uint16_t *e##c = (const uint16_t *)(w + (c) * gb); const uint8_t *q##c = w + (c) * gb + kb * 2 * VN_QR;
#define VN_R_ACC(r, c) vn_rf a##r##c = vn_rf_zero();
#define VN_R_IZ(r, c) vn_ri i##r##c = vn_ri_zero();
#define VN_R_LD8(c) vn_ri v##c = vn_ri_ld(q##c + (b * 8 + g) * 4 * VN_QR);
#define VN_R_XB8(r) vn_ri u##r = vn_ri_bc4(x##r[b].qs + 4 * g);
#define VN_R_DOT8(r, c) i##r##c = VN_R_Q8_DOT(i##r##c, v##c, u##r);
#define VN_R_XB4(r) vn_ri u##r = vn_ri_bc4(x##r[b].qs + 4 * g), y##r = vn_ri_bc4(x##r[b].qs + 16 + 4 * g);
#ifdef VN_RI_HI16
/* the high nibbles in place (16 times their value: no shift), into an
 * accumulator of their own that is divided by 16 (exactly) once a block */
#define VN_R_LD4(c) vn_ri v##c = vn_ri_ld(q##c + (b * 4 + g) * 4 * VN_QR), l##c = vn_ri_lo4(v##c), h##c = vn_ri_hi4x16(v##c);
#define VN_R_DOT4(r, c) i##r##c = vn_ri_dot_us(i##r##c, l##c, u##r); j##r##c = vn_ri_dot_us(j##r##c, h##c, y##r);
#define VN_R_IZ4(r, c) vn_ri i##r##c = vn_ri_zero(), j##r##c = i##r##c;
#define VN_R_FIN4(r, c) i##r##c = vn_ri_add_sr4(i##r##c, j##r##c);
#elif defined(VN_RI_W16)
/* the block's nibble products in 16-bit lanes (8 pair sums of at most
 * 2 * 15 * 127 each: no overflow), widened to 32 bits once a block */
#define VN_R_LD4(c) vn_ri v##c = vn_ri_ld(q##c + (b * 4 + g) * 4 * VN_QR), l##c = vn_ri_lo4(v##c), h##c = vn_ri_hi4(v##c);
#define VN_R_DOT4(r, c) j##r##c = vn_rw_add(j##r##c, vn_rw_add(vn_rw_dot_us(l##c, u##r), vn_rw_dot_us(h##c, y##r)));
#define VN_R_IZ4(r, c) vn_ri i##r##c = vn_ri_zero(); vn_rw j##r##c = vn_rw_zero();
#define VN_R_FIN4(r, c) i##r##c = vn_ri_add_w(i##r##c, j##r##c);
#else
#define VN_R_LD4(c) vn_ri v##c = vn_ri_ld(q##c + (b * 4 + g) * 4 * VN_QR), l##c = vn_ri_lo4(v##c), h##c = vn_ri_hi4(v##c);
#define VN_R_DOT4(r, c) i##r##c = vn_ri_dot_us(vn_ri_dot_us(i##r##c, l##c, u##r), h##c, y##r);
#define VN_R_IZ4 VN_R_IZ
#define VN_R_FIN4(r, c)
#endif
#define VN_R_FIN8(r, c)
#if defined(__GNUC__) && !defined(__clang__) && defined(VN_RI_W16)
/* 16 vector registers: with the block's loop unrolled GCC hoists every
 * product and spills them (Zen 3: prefill 10% slower, decode no faster) */
#define VN_R_UNROLL _Pragma("GCC unroll 1")
#elif defined(__GNUC__) && !defined(__clang__)
#define VN_R_UNROLL _Pragma("GCC unroll 8")
#elif defined(__clang__)
#define VN_R_UNROLL _Pragma("unroll")
#else
#define VN_R_UNROLL
#endif
#define VN_R_SC(c) vn_rf f##c = vn_rf_ldh(e##c + b * VN_QR);
#define VN_R_FMA(r, c) a##r##c = vn_rf_fma(a##r##c, f##c, x##r[b].d, OFF ? vn_ri_sub1(i##r##c, OFF * s##r[b]) : i##r##c);
#define VN_R_ST(r, c) vn_rf_st(o + (r) * ldo + (c) * VN_QR, a##r##c);
#define VN_DEF_RTILE(NAME, MR, NG, G, LD, XB, DOT, OFFV, IZ, FIN)                                   \
  static VN_NOINLINE void NAME(const VnBlockQ8x *x, const int32_t *xs, int64_t kb, const uint8_t *w, int64_t gb, \
                               float *o, int64_t ldo) {                                          \
    enum { OFF = OFFV };                                                                         \
    (void)gb;                                                                                    \
    VN_ROWS(MR, VN_R_XP) VN_COLS(NG, VN_R_WP) VN_TILE(MR, NG, VN_R_ACC)                          \
    for (int64_t b = 0; b < kb; b++) {                                                           \
      VN_TILE(MR, NG, IZ)                                                                        \
      VN_R_UNROLL for (int g = 0; g < G; g++) { VN_COLS(NG, LD) VN_ROWS(MR, XB) VN_TILE(MR, NG, DOT) } \
      VN_TILE(MR, NG, FIN)                                                                       \
      VN_COLS(NG, VN_R_SC) VN_TILE(MR, NG, VN_R_FMA)                                             \
    }                                                                                            \
    VN_TILE(MR, NG, VN_R_ST)                                                                     \
  }
/* decode (one row of x): VN_QR_NGD groups a tile, so that as many weight
 * streams are in flight, each load with a prefetch VN_PFD bytes ahead in
 * its own stream (a hint: it never faults past the end) */
#ifndef VN_QR_NGD
#define VN_QR_NGD VN_QR_NG
#endif
#if VN_QR_NGD >= 4
#define VN_QR_NGD_LIT 4
#elif VN_QR_NGD > 1
#define VN_QR_NGD_LIT 2
#else
#define VN_QR_NGD_LIT 1
#endif
#define VN_R_PF(p) VN_PF(p)
#define VN_R_LD8P(c) VN_R_PF(q##c + (b * 8 + g) * 4 * VN_QR); VN_R_LD8(c)
#define VN_R_LD4P(c) VN_R_PF(q##c + (b * 4 + g) * 4 * VN_QR); VN_R_LD4(c)
#define VN_DEF_RTILES(S, G, LD, XB, DOT, OFFV, IZ, FIN)                                           \
  VN_DEF_RTILE(vn_r4xg_##S, 4, VN_QR_NG_LIT, G, LD, XB, DOT, OFFV, IZ, FIN)        \
  VN_DEF_RTILE(vn_r1xg_##S, 1, VN_QR_NG_LIT, G, LD, XB, DOT, OFFV, IZ, FIN)         \
  VN_DEF_RTILE(vn_r1xd_##S, 1, VN_QR_NGD_LIT, G, LD##P, XB, DOT, OFFV, IZ, FIN)     \
  VN_DEF_RTILE(vn_r4x1_##S, 4, 1, G, LD, XB, DOT, OFFV, IZ, FIN)                   \
  VN_DEF_RTILE(vn_r1x1_##S, 1, 1, G, LD, XB, DOT, OFFV, IZ, FIN)
VN_DEF_RTILES(q8_0, 8, VN_R_LD8, VN_R_XB8, VN_R_DOT8, VN_R_Q8_OFF, VN_R_IZ, VN_R_FIN8)
VN_DEF_RTILES(q4_0, 4, VN_R_LD4, VN_R_XB4, VN_R_DOT4, 8, VN_R_IZ4, VN_R_FIN4)

typedef void (*RTileFn)(const VnBlockQ8x *x, const int32_t *xs, int64_t kb, const uint8_t *w, int64_t gb, float *o,
                        int64_t ldo);

/* the epilogue of rows t..t+mr-1 of x by weight rows n0..n0+cols-1 (o[r * ldo + j]) */
static void store_rows(const MatmulArgs *a, int t, int mr, int64_t n0, int64_t cols, const float *o, int64_t ldo) {
  int plain = !a->bias && !a->act && a->scale == 0.0f;
  if (a->glu && !a->bias && a->act == VN_A_SILU && a->scale == 0.0f && !a->res && cols % 2 == 0 && mr * cols <= 2 * 256) {
    /* gate and up interleaved: every row's apart, the vector silu over all
     * of them at once (a prefill tile's rows have 4 outputs each) */
    float g[256], u[256], y[256];
    int64_t h = cols / 2;
    for (int r = 0; r < mr; r++)
      for (int64_t j = 0; j < h; j++) { g[r * h + j] = o[r * ldo + 2 * j]; u[r * h + j] = o[r * ldo + 2 * j + 1]; }
    silu_mul(y, g, u, mr * h);
    for (int r = 0; r < mr; r++) {
      float *orow = a->out + (int64_t)(t + r) * a->ncols + n0 / 2;
      for (int64_t j = 0; j < h; j++) orow[j] = y[r * h + j];
    }
    return;
  }
  for (int r = 0; r < mr; r++) {
    float *orow = a->out + (int64_t)(t + r) * a->ncols;
    const float *q = o + r * ldo;
    if (plain && !a->glu) {  /* the common case, in a loop that vectorizes */
      const float *res = a->res ? a->res + (int64_t)(t + r) * a->ldres + n0 : NULL;
      if (res) {
        int64_t j = 0;
        for (; j + VN_VL <= cols; j += VN_VL) vn_vf_st(orow + n0 + j, vn_vf_add(vn_vf_ld(q + j), vn_vf_ld(res + j)));
        for (; j < cols; j++) orow[n0 + j] = q[j] + res[j];
      }
      else memcpy(orow + n0, q, (size_t)cols * sizeof *q);
    } else if (a->glu)
      for (int64_t j = 0; j < cols; j += 2) orow[(n0 + j) / 2] = epilogue(a, t + r, (n0 + j) / 2, q[j], q[j + 1]);
    else
      for (int64_t j = 0; j < cols; j++) orow[n0 + j] = epilogue(a, t + r, n0 + j, q[j], 0);
  }
}

/* units [u0, u1): unit u < ceil(groups / NG) is NG groups of VN_QR weight
 * rows (every row of x passes them while they stay in cache); the unit
 * after those is the rows left over, stored plain */
static void rmatmul_task(void *arg, int64_t u0, int64_t u1, int thread) {
  (void)thread;
  const MatmulArgs *a = arg;
  int q8 = a->dt == VN_DT_Q8_0;
  int64_t kb = a->K / 32, gb = kb * (q8 ? 34 : 18) * VN_QR, ng = a->N / VN_QR;
  int64_t per = a->T == 1 ? VN_QR_NGD_LIT : VN_QR_NG_LIT, nu = (ng + per - 1) / per;
  const VnBlockQ8x *xq = a->xq;
  const int32_t *xs = a->xs;
  for (int64_t u = u0; u < u1; u++) {
    float o[4 * (VN_QR_NGD_LIT > VN_QR_NG_LIT ? VN_QR_NGD_LIT : VN_QR_NG_LIT) * VN_QR];
    if (u == nu) {  /* the rows left over, one by one (a glu pair: two) */
      int64_t n0 = ng * VN_QR, nt = a->N - n0;
      const uint8_t *w = (const uint8_t *)a->W + ng * gb;
      size_t rb = (size_t)kb * (q8 ? sizeof(VnBlockQ8) : sizeof(VnBlockQ4));
      for (int t = 0; t < a->T; t++)
        for (int64_t j = 0; j < nt; j += 2) {
          int64_t k = nt - j < 2 ? nt - j : 2;
          for (int64_t i = 0; i < k; i++)
            o[i] = q8 ? vn_dot_q8_0(xq + t * kb, (const VnBlockQ8 *)(w + (size_t)(j + i) * rb), kb)
                      : vn_dot_q4_0(xq + t * kb, (const VnBlockQ4 *)(w + (size_t)(j + i) * rb), kb);
          store_rows(a, t, 1, n0 + j, k, o, 0);
        }
      continue;
    }
    int64_t g0 = u * per, gn = ng - g0 < per ? ng - g0 : per, ldo = gn * VN_QR;
    const uint8_t *w = (const uint8_t *)a->W + g0 * gb;
    if (a->T == 1) {  /* decode: the widest tile, then what is left a group or two at a time */
      for (int64_t g = 0; g < gn;) {
        int64_t k = gn - g >= VN_QR_NGD_LIT ? VN_QR_NGD_LIT : gn - g >= VN_QR_NG_LIT ? VN_QR_NG_LIT : 1;
        RTileFn f = k == VN_QR_NGD_LIT ? (q8 ? vn_r1xd_q8_0 : vn_r1xd_q4_0)
                  : k == VN_QR_NG_LIT ? (q8 ? vn_r1xg_q8_0 : vn_r1xg_q4_0) : (q8 ? vn_r1x1_q8_0 : vn_r1x1_q4_0);
        f(xq, xs, kb, w + g * gb, gb, o + g * VN_QR, ldo);
        g += k;
      }
      store_rows(a, 0, 1, g0 * VN_QR, ldo, o, ldo);
      continue;
    }
    for (int t = 0; t < a->T;) {
      int mr = a->T - t >= 4 ? 4 : 1;
      RTileFn f = q8 ? (mr == 4 ? (gn == VN_QR_NG ? vn_r4xg_q8_0 : vn_r4x1_q8_0) : (gn == VN_QR_NG ? vn_r1xg_q8_0 : vn_r1x1_q8_0))
                     : (mr == 4 ? (gn == VN_QR_NG ? vn_r4xg_q4_0 : vn_r4x1_q4_0) : (gn == VN_QR_NG ? vn_r1xg_q4_0 : vn_r1x1_q4_0));
      f(xq + t * kb, xs ? xs + t * kb : NULL, kb, w, gb, o, ldo);  /* xs: NULL for q8_0 without VN_QR_Q8U */
      store_rows(a, t, mr, g0 * VN_QR, ldo, o, ldo);
      t += mr;
    }
  }
}
#endif

#if defined(VN_FR) && !defined(VN_USE_BLAS)
#define VN_FR_ON 1
/* ---- float weights repacked (VN_DT_RP; codegen/pack.c vn_repack_rows) ----
 * Whole groups of VN_FR (the vector's lanes) weight rows, per column k the
 * group's VN_FR values as one vector; then the rows left over, plain. A
 * tile of MR rows of x by NG groups is an outer product per k: x[r][k]
 * broadcast times the groups' vectors, into MR x NG accumulators of VN_FR
 * outputs each, no horizontal sums: 4 x 3 (12 accumulators, 3 weight
 * vectors and a broadcast in 16 registers). OpenBLAS builds read float
 * weights as plain rows (venusc packs them so). */
#define VN_W_XP(r) const float *x##r = x + (r) * ldx;
#define VN_W_WP(c) const VN_W_WT *w##c = (const VN_W_WT *)wv + (c) * gs;
#define VN_W_ACC(r, c) vn_vf a##r##c = vn_vf_zero();
#define VN_W_LD(c) vn_vf v##c = VN_W_LDV(w##c + k * VN_FR);
#define VN_W_PFC(c) VN_PF(w##c + k * VN_FR);
#define VN_W_ST(r, c) vn_vf_st(o + (r) * ldo + (c) * VN_FR, a##r##c);
#define VN_W_F0(c) a0##c = vn_vf_fma(a0##c, u, v##c);
#define VN_W_F1(c) a1##c = vn_vf_fma(a1##c, u, v##c);
#define VN_W_F2(c) a2##c = vn_vf_fma(a2##c, u, v##c);
#define VN_W_F3(c) a3##c = vn_vf_fma(a3##c, u, v##c);
/* a row of x at a time: its broadcast, then its products */
#define VN_W_ROW1(r) { vn_vf u = vn_vf_set1(x##r[k]); VN_COLS(1, VN_W_F##r) }
#define VN_W_ROW2(r) { vn_vf u = vn_vf_set1(x##r[k]); VN_COLS(2, VN_W_F##r) }
#define VN_W_ROW3(r) { vn_vf u = vn_vf_set1(x##r[k]); VN_COLS(3, VN_W_F##r) }
#define VN_DEF_WTILE(NAME, MR, NG)                                                                    \
  static VN_NOINLINE void NAME(const float *x, int64_t ldx, const void *wv, int64_t gs, int64_t K, float *o, int64_t ldo) { \
    (void)ldx;                                                                                       \
    VN_ROWS(MR, VN_W_XP) VN_COLS(NG, VN_W_WP) VN_TILE(MR, NG, VN_W_ACC)                              \
    for (int64_t k = 0; k < K; k++) {                                                                \
      if (MR == 1 && k % (64 / (VN_FR * (int)sizeof(VN_W_WT))) == 0) { VN_COLS(NG, VN_W_PFC) }       \
      VN_COLS(NG, VN_W_LD) VN_ROWS(MR, VN_W_ROW##NG)                                                 \
    }                                                                                                \
    VN_TILE(MR, NG, VN_W_ST)                                                                         \
  }
#define VN_DEF_WTILES(S)                                                                              \
  VN_DEF_WTILE(vn_w4x1_##S, 4, 1) VN_DEF_WTILE(vn_w4x2_##S, 4, 2) VN_DEF_WTILE(vn_w4x3_##S, 4, 3)     \
  VN_DEF_WTILE(vn_w1x1_##S, 1, 1) VN_DEF_WTILE(vn_w1x2_##S, 1, 2) VN_DEF_WTILE(vn_w1x3_##S, 1, 3)
#define VN_W_WT float
#define VN_W_LDV vn_vf_ld
VN_DEF_WTILES(f32)
#undef VN_W_WT
#undef VN_W_LDV
#define VN_W_WT uint16_t
#define VN_W_LDV vn_vf_ldh
VN_DEF_WTILES(f16)
#undef VN_W_WT
#undef VN_W_LDV
typedef void (*WTileFn)(const float *x, int64_t ldx, const void *wv, int64_t gs, int64_t K, float *o, int64_t ldo);
static const WTileFn vn_wtiles[2][2][3] = {
  {{vn_w1x1_f32, vn_w1x2_f32, vn_w1x3_f32}, {vn_w4x1_f32, vn_w4x2_f32, vn_w4x3_f32}},
  {{vn_w1x1_f16, vn_w1x2_f16, vn_w1x3_f16}, {vn_w4x1_f16, vn_w4x2_f16, vn_w4x3_f16}}};

/* units [u0, u1): unit u < ceil(groups / 3) is 3 groups (every row of x
 * passes them while they stay in cache), the unit after those the rows
 * left over */
static void fmatmul_task(void *arg, int64_t u0, int64_t u1, int thread) {
  (void)thread;
  const MatmulArgs *a = arg;
  int f16 = a->dt == VN_DT_F16;
  int64_t K = a->K, ng = a->N / VN_FR, nu = (ng + 2) / 3;
  size_t es = f16 ? 2 : 4, gb = (size_t)K * VN_FR * es;
  const uint8_t *W = a->W;
  float o[4 * 3 * VN_FR];
  for (int64_t u = u0; u < u1; u++) {
    if (u == nu) {  /* the rows left over, one by one (a glu pair: two) */
      int64_t n0 = ng * VN_FR, nt = a->N - n0;
      const uint8_t *w = W + (size_t)ng * gb;
      for (int t = 0; t < a->T; t++)
        for (int64_t j = 0; j < nt; j += 2) {
          int64_t k = nt - j < 2 ? nt - j : 2;
          const float *xt = a->x + (int64_t)t * a->ldx;
          for (int64_t i = 0; i < k; i++)
            o[i] = f16 ? vn_dot_f16(xt, (const uint16_t *)(w + (size_t)(j + i) * (size_t)K * es), K)
                       : vn_dot_f32(xt, (const float *)(w + (size_t)(j + i) * (size_t)K * es), K);
          store_rows(a, t, 1, n0 + j, k, o, 0);
        }
      continue;
    }
    int64_t g0 = u * 3, gn = ng - g0 < 3 ? ng - g0 : 3, ldo = gn * VN_FR;
    const uint8_t *w = W + (size_t)g0 * gb;
    for (int t = 0; t < a->T;) {
      int mr = a->T - t >= 4 ? 4 : 1;
      vn_wtiles[f16][mr == 4][gn - 1](a->x + (int64_t)t * a->ldx, a->ldx, w, K * VN_FR, K, o, ldo);
      store_rows(a, t, mr, g0 * VN_FR, ldo, o, ldo);
      t += mr;
    }
  }
}
#endif

#include "kquants.h"

void vn_k_matmul(VnRt *rt, float *out, const float *x, int64_t ldx, const void *W, int dt, const float *bias,
                 const float *res, int64_t ldres, int T, int64_t K, int64_t N, int act, int glu, float scale) {
  int rp = dt & VN_DT_RP;  /* W repacked for this target (a plain layout where it has no VN_QR) */
  dt &= ~VN_DT_RP;
  MatmulArgs a = {out, x, ldx, W, dt, bias, res, ldres, T, K, N, glu ? N / 2 : N, act, glu, scale, NULL, NULL};
  if (kq_is(dt)) { kq_matmul(rt, &a, rp); return; }
  if (dt == VN_DT_Q8_0 || dt == VN_DT_Q4_0) {
    a.xq = rt->qbuf;
#ifdef VN_QR
    /* the block sums follow the blocks in qbuf (venusc sizes it 40 bytes a block) */
    if (rp && (dt == VN_DT_Q4_0 || VN_R_Q8_OFF)) a.xs = (int32_t *)((uint8_t *)rt->qbuf + (size_t)T * (size_t)(K / 32) * sizeof(VnBlockQ8x));
#endif
    vn_parallel(rt, T, quantize_task, &a);
  }
#ifdef VN_QR
  if (rp && (dt == VN_DT_Q8_0 || dt == VN_DT_Q4_0)) {
    int64_t ng = N / VN_QR, per = T == 1 ? VN_QR_NGD_LIT : VN_QR_NG_LIT, nu = (ng + per - 1) / per + (N % VN_QR != 0);
    if ((int64_t)T * K * N < 65536) rmatmul_task(&a, 0, nu, 0);
    else vn_parallel(rt, nu, rmatmul_task, &a);
    return;
  }
#else
  (void)rp;
#endif
#ifdef VN_FR_ON
  if (rp && (dt == VN_DT_F32 || dt == VN_DT_F16)) {
    int64_t nu = (N / VN_FR + 2) / 3 + (N % VN_FR != 0);
    if ((int64_t)T * K * N < 65536) fmatmul_task(&a, 0, nu, 0);
    else vn_parallel(rt, nu, fmatmul_task, &a);
    return;
  }
#endif
#ifdef VN_USE_BLAS
  /* prefill with float32 weights: one sgemm, then the epilogue in place
   * (glu products go through the scratch buffer venusc sized for them) */
  if (dt == VN_DT_F32 && T >= 8) {
    float *y = glu ? (float *)rt->qbuf : out;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, (int)N, (int)K, 1.0f, x, (int)ldx, (const float *)W, (int)K,
                0.0f, y, (int)N);
    for (int t = 0; t < T; t++)
      for (int64_t c = 0; c < a.ncols; c++)
        out[(int64_t)t * a.ncols + c] = glu ? epilogue(&a, t, c, y[(int64_t)t * N + 2 * c], y[(int64_t)t * N + 2 * c + 1])
                                            : epilogue(&a, t, c, y[(int64_t)t * N + c], 0);
    return;
  }
#endif
  /* small products are not worth waking threads for */
  if ((int64_t)T * K * N < 65536) matmul_task(&a, 0, a.ncols, 0);
  else vn_parallel(rt, a.ncols, matmul_task, &a);
}

/* ---- rope ---- */
static inline void rotate(float *o, const float *x, const float *cs, const VnRtRope *r) {
  int half = r->rot_dim / 2;
  if (r->interleaved) {
    for (int i = 0; i < half; i++) {
      float c = cs[2 * i], s = cs[2 * i + 1], x0 = x[2 * i], x1 = x[2 * i + 1];
      o[2 * i] = x0 * c - x1 * s;
      o[2 * i + 1] = x1 * c + x0 * s;
    }
  } else {
    for (int i = 0; i < half; i++) {
      float c = cs[2 * i], s = cs[2 * i + 1], x0 = x[i], x1 = x[i + half];
      o[i] = x0 * c - x1 * s;
      o[i + half] = x1 * c + x0 * s;
    }
  }
  if (o != x) for (int i = r->rot_dim; i < r->head_dim; i++) o[i] = x[i];
}

static const float *rope_cs(VnRt *rt, int rope, int t) {
  const VnModel *m = rt->m;
  int64_t off = 0;
  for (int i = 0; i < rope; i++) off += m->t_max * m->ropes[i].rot_dim;
  return rt->rope_cs + off + (int64_t)t * m->ropes[rope].rot_dim;
}

void vn_k_rope(VnRt *rt, float *out, const float *x, int64_t ldx, int T, int64_t C, int rope) {
  const VnRtRope *r = &rt->m->ropes[rope];
  for (int t = 0; t < T; t++) {
    const float *cs = rope_cs(rt, rope, t);
    for (int64_t h = 0; h < C; h += r->head_dim) rotate(out + (int64_t)t * C + h, x + (int64_t)t * ldx + h, cs, r);
  }
}

/* ---- attention ---- */
typedef struct {
  VnRt *rt;
  float *out;
  const float *q;
  int64_t ldq;
  const void *kc, *vc;        /* float32, or f16 when p->kv_f16 (caches only) */
  int64_t ldk, ldv;           /* rows of kc, vc */
  int T, pos, nk;             /* nk: keys without caches (else pos + T) */
  const VnAttn *p;
  int per_kv;                 /* tasks are (row, KV head) pairs: a KV head's query heads together */
} AttnArgs;

/* The relative position bucket of rel = key - query, in float32 as torch
 * computes HF's _relative_position_bucket */
static int rel_bucket(int rel, int bidir, int nb, int max_dist) {
  int b = 0, n;
  if (bidir) {
    nb /= 2;
    if (rel > 0) b = nb;
    n = rel < 0 ? -rel : rel;
  } else {
    n = rel < 0 ? -rel : 0;
  }
  int me = nb / 2;
  if (n < me) return b + n;
  float l = logf((float)n / (float)me) / (float)log((double)max_dist / me) * (float)(nb - me);
  int large = l < (float)nb ? me + (int)l : nb;  /* (venusc holds max_dist above me: l is finite) */
  return b + (large < nb - 1 ? large : nb - 1);
}

/* o[d] = the sum over rows j of p[j] * v[j * ld + d], d < n (a softmax's
 * weighted sum of V rows), each row added in order with one fma as
 * vn_axpy_f32 would, with 8 vectors of o held in registers across the
 * rows instead of loaded and stored for each */
#define VN_DEF_WSUM(NAME, T, LD, CVT)                                                                 \
  static void NAME(float *o, const float *p, const T *v, int64_t ld, int64_t rows, int64_t n) {    \
    int64_t d = 0;                                                                                 \
    for (; d + 8 * VN_VL <= n; d += 8 * VN_VL) {                                                   \
      vn_vf a0 = vn_vf_zero(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;      \
      for (int64_t j = 0; j < rows; j++) {                                                         \
        vn_vf w = vn_vf_set1(p[j]);                                                                \
        const T *x = v + j * ld + d;                                                               \
        a0 = vn_vf_fma(a0, w, LD(x)); a1 = vn_vf_fma(a1, w, LD(x + VN_VL));                        \
        a2 = vn_vf_fma(a2, w, LD(x + 2 * VN_VL)); a3 = vn_vf_fma(a3, w, LD(x + 3 * VN_VL));        \
        a4 = vn_vf_fma(a4, w, LD(x + 4 * VN_VL)); a5 = vn_vf_fma(a5, w, LD(x + 5 * VN_VL));        \
        a6 = vn_vf_fma(a6, w, LD(x + 6 * VN_VL)); a7 = vn_vf_fma(a7, w, LD(x + 7 * VN_VL));        \
      }                                                                                            \
      vn_vf_st(o + d, a0); vn_vf_st(o + d + VN_VL, a1); vn_vf_st(o + d + 2 * VN_VL, a2);             \
      vn_vf_st(o + d + 3 * VN_VL, a3); vn_vf_st(o + d + 4 * VN_VL, a4); vn_vf_st(o + d + 5 * VN_VL, a5); \
      vn_vf_st(o + d + 6 * VN_VL, a6); vn_vf_st(o + d + 7 * VN_VL, a7);                            \
    }                                                                                              \
    for (; d + VN_VL <= n; d += VN_VL) {                                                           \
      vn_vf a0 = vn_vf_zero();                                                                     \
      for (int64_t j = 0; j < rows; j++) a0 = vn_vf_fma(a0, vn_vf_set1(p[j]), LD(v + j * ld + d)); \
      vn_vf_st(o + d, a0);                                                                         \
    }                                                                                              \
    for (; d < n; d++) {                                                                           \
      float a0 = 0.0f;                                                                             \
      for (int64_t j = 0; j < rows; j++) a0 += p[j] * CVT(v[j * ld + d]);                          \
      o[d] = a0;                                                                                   \
    }                                                                                              \
  }
static inline float wsum_id(float x) { return x; }
VN_DEF_WSUM(wsum_f32, float, vn_vf_ld, wsum_id)
VN_DEF_WSUM(wsum_f16, uint16_t, vn_vf_ldh, vn_f16_to_f32)

/* x rounded to bfloat16 (nearest, ties to even), as torch's .bfloat16() */
static inline float round_bf16(float x) { return vn_half_bf16_to_f32(vn_half_f32_to_bf16(x)); }

/* (head, row) pairs [i0, i1): i = t * heads + h (with per_kv, (row, KV
 * head) pairs) */
static void attn_task(void *arg, int64_t i0, int64_t i1, int thread) {
  const AttnArgs *a = arg;
  const VnAttn *p = a->p;
  int hd = p->head_dim, vd = p->v_head_dim ? p->v_head_dim : hd;
  int64_t kvw = a->ldk, vvw = a->ldv;
  int group = p->heads / p->kv_heads;
  float *sc = a->rt->scratch + (int64_t)thread * (a->rt->sc_rows + VN_MAX_HEAD_DIM);
  float *qr = sc + a->rt->sc_rows;  /* rotated q (venusc checks head_dim <= VN_MAX_HEAD_DIM) */
  if (a->per_kv) { i0 *= group; i1 *= group; }  /* (t, kh) is the pairs (t, kh*group ..) */
  for (int64_t i = i0; i < i1; i++) {
    int t = (int)(i / p->heads), h = (int)(i % p->heads), kh = h / group;
    int qpos = a->pos + t;
    const float *q = a->q + (int64_t)t * a->ldq + (int64_t)h * hd;
    if (p->rope >= 0) { rotate(qr, q, rope_cs(a->rt, p->rope, t), &a->rt->m->ropes[p->rope]); q = qr; }
    int j0 = 0, j1 = p->causal ? qpos : a->nk ? a->nk - 1 : a->pos + a->T - 1;
    if (p->window > 0 && p->causal && qpos - p->window + 1 > j0) j0 = qpos - p->window + 1;
    if (p->window > 0 && !p->causal) {  /* bidirectional: |qpos - j| <= window */
      if (qpos - p->window > j0) j0 = qpos - p->window;
      if (qpos + p->window < j1) j1 = qpos + p->window;
    }
    float mx = -INFINITY;
    const float *kf = a->kc, *vf = a->vc;
    const uint16_t *kb = a->kc, *vb = a->vc;
    int kbytes = hd * (p->kv_f16 ? 2 : 4);
    for (int j = j0; j <= j1; j++) {
      int64_t ko = (int64_t)j * kvw + (int64_t)kh * hd;
      /* the key 4 rows on: rows lie kvw apart, a stride the hardware
       * prefetchers follow late (decode: the first load of each row waited) */
      if (j + 4 <= j1) {
        const char *kn = p->kv_f16 ? (const char *)(kb + ko + 4 * kvw) : (const char *)(kf + ko + 4 * kvw);
        for (int l = 0; l < kbytes; l += 64) VN_PF0(kn + l);
      }
      float s = p->kv_f16 ? vn_dot_f16(q, kb + ko, hd) : vn_dot_f32(q, kf + ko, hd);
      if (p->alibi_bf16) s += round_bf16(p->alibi[h] * (float)j);
      s *= p->scale;
      if (p->cap > 0) s = p->cap * tanhf(s / p->cap);
      if (p->alibi && !p->alibi_bf16) s += p->alibi[h] * (float)j;
      if (p->relb) s += p->relb[(int64_t)rel_bucket(j - qpos, !p->causal, p->rel_buckets, p->rel_max) * p->heads + h];
      sc[j] = s;
      if (s > mx) mx = s;
    }
    if (p->sinks && p->sinks[h] > mx) mx = p->sinks[h];
    float sum = p->sinks ? expf(p->sinks[h] - mx) : 0;
    sum += exp_sum(sc + j0, j1 - j0 + 1, mx);
    float inv = 1.0f / sum;
    float *o = a->out + (int64_t)t * p->heads * vd + (int64_t)h * vd;
    for (int j = j0; j <= j1; j++) sc[j] *= inv;
    if (p->kv_f16) wsum_f16(o, sc + j0, vb + (int64_t)j0 * vvw + (int64_t)kh * vd, vvw, j1 - j0 + 1, vd);
    else wsum_f32(o, sc + j0, vf + (int64_t)j0 * vvw + (int64_t)kh * vd, vvw, j1 - j0 + 1, vd);
  }
}

void vn_k_attention(VnRt *rt, float *out, const float *q, int64_t ldq, const float *k, int64_t ldk, const float *v,
                    int64_t ldv, void *kc, void *vc, int T, int pos, const VnAttn *p) {
  int hd = p->head_dim, vd = p->v_head_dim ? p->v_head_dim : hd;
  int64_t kvw = (int64_t)p->kv_heads * hd, vvw = (int64_t)p->kv_heads * vd;
  int group = p->heads / p->kv_heads;
  int64_t n = (int64_t)T * p->heads;
  if (!kc) {  /* no caches: keys are k's rows, the encoder's (cross) or the step's */
    int nk = p->cross ? rt->enc_len : T;
    AttnArgs a = {rt, out, q, ldq, k, v, ldk, ldv, T, pos, nk, p, 0};
    if (n * nk * hd < 32768) attn_task(&a, 0, n, 0);
    else vn_parallel(rt, n, attn_task, &a);
    return;
  }
  /* write this step's keys (rotated) and values into the cache (an f16
   * cache: rounded once, as they are written) */
  for (int t = 0; t < T; t++) {
    const float *ks = k + (int64_t)t * ldk, *vs = v + (int64_t)t * ldv;
    const float *cs = p->rope >= 0 ? rope_cs(rt, p->rope, t) : NULL;
    if (p->kv_f16) {
      uint16_t *kh = (uint16_t *)kc + (int64_t)(pos + t) * kvw, *vh = (uint16_t *)vc + (int64_t)(pos + t) * vvw;
      float *kr = rt->scratch;  /* one head's rotated key (thread 0's scratch; the tasks start after) */
      for (int h = 0; h < p->kv_heads; h++) {
        const float *x = ks + (int64_t)h * hd;
        if (cs) { rotate(kr, x, cs, &rt->m->ropes[p->rope]); x = kr; }
        for (int i = 0; i < hd; i++) kh[(int64_t)h * hd + i] = vn_half_f32_to_f16(x[i]);
      }
      for (int64_t i = 0; i < vvw; i++) vh[i] = vn_half_f32_to_f16(vs[i]);
      continue;
    }
    float *kd = (float *)kc + (int64_t)(pos + t) * kvw;
    if (cs)
      for (int h = 0; h < p->kv_heads; h++) rotate(kd + (int64_t)h * hd, ks + (int64_t)h * hd, cs, &rt->m->ropes[p->rope]);
    else memcpy(kd, ks, (size_t)kvw * 4);
    memcpy((float *)vc + (int64_t)(pos + t) * vvw, vs, (size_t)vvw * 4);
  }
  /* the query heads of one KV head run one after the other in one thread,
   * so each cached row comes from memory once a step and from cache for
   * the rest of its group (grouped-query attention), when there are KV
   * heads enough to keep every thread busy; each head's sums are the same */
  AttnArgs a = {rt, out, q, ldq, kc, vc, kvw, vvw, T, pos, 0, p, group > 1 && (int64_t)T * p->kv_heads >= 2 * rt->nthreads};
  if (n * (pos + T) * hd < 32768) attn_task(&a, 0, a.per_kv ? n / group : n, 0);
  else vn_parallel(rt, a.per_kv ? n / group : n, attn_task, &a);
}

/* ---- elementwise ---- */
void vn_k_act(VnRt *rt, float *out, const float *x, int64_t ldx, int T, int64_t C, int act) {
  (void)rt;
  for (int t = 0; t < T; t++)
    if (act == VN_A_SILU) silu_mul(out + (int64_t)t * C, x + (int64_t)t * ldx, NULL, C);
    else
      for (int64_t i = 0; i < C; i++) out[(int64_t)t * C + i] = vn_act_f(act, x[(int64_t)t * ldx + i]);
}

void vn_k_add(VnRt *rt, float *out, const float *a, int64_t lda, const float *b, int64_t ldb, int T, int64_t C, int bcol) {
  (void)rt;
  for (int t = 0; t < T; t++)
    for (int64_t i = 0; i < C; i++) out[(int64_t)t * C + i] = a[(int64_t)t * lda + i] + b[(int64_t)t * ldb + (bcol ? 0 : i)];
}

void vn_k_mul(VnRt *rt, float *out, const float *a, int64_t lda, const float *b, int64_t ldb, int T, int64_t C, int bcol) {
  (void)rt;
  for (int t = 0; t < T; t++)
    for (int64_t i = 0; i < C; i++) out[(int64_t)t * C + i] = a[(int64_t)t * lda + i] * b[(int64_t)t * ldb + (bcol ? 0 : i)];
}

void vn_k_glu(VnRt *rt, float *out, const float *x, int64_t ldx, int T, int64_t C, int act) {
  (void)rt;
  for (int t = 0; t < T; t++)
    if (act == VN_A_SILU) silu_mul(out + (int64_t)t * C, x + (int64_t)t * ldx, x + (int64_t)t * ldx + C, C);
    else
      for (int64_t i = 0; i < C; i++)
        out[(int64_t)t * C + i] = vn_act_f(act, x[(int64_t)t * ldx + i]) * x[(int64_t)t * ldx + C + i];
}

void vn_k_scale(VnRt *rt, float *out, const float *x, int64_t ldx, int T, int64_t C, float s) {
  (void)rt;
  for (int t = 0; t < T; t++)
    for (int64_t i = 0; i < C; i++) out[(int64_t)t * C + i] = x[(int64_t)t * ldx + i] * s;
}

/* xielu: w = (alpha_p, alpha_n, beta, eps) as stored; softplus of the alphas here */
void vn_k_xielu(VnRt *rt, float *out, const float *x, int64_t ldx, const float *w, int T, int64_t C) {
  (void)rt;
  float ap = w[0] > 20 ? w[0] : log1pf(expf(w[0])), beta = w[2], eps = w[3];
  float an = beta + (w[1] > 20 ? w[1] : log1pf(expf(w[1])));
  for (int t = 0; t < T; t++)
    for (int64_t i = 0; i < C; i++) {
      float v = x[(int64_t)t * ldx + i];
      out[(int64_t)t * C + i] = v > 0 ? ap * v * v + beta * v : (expm1f(fminf(v, eps)) - v) * an + beta * v;
    }
}

void vn_k_softcap(VnRt *rt, float *out, const float *x, int64_t ldx, int T, int64_t C, float cap) {
  (void)rt;
  for (int t = 0; t < T; t++)
    for (int64_t i = 0; i < C; i++) out[(int64_t)t * C + i] = cap * tanhf(x[(int64_t)t * ldx + i] / cap);
}

void vn_k_last(VnRt *rt, float *out, const float *x, int64_t ldx, int T, int Tout, int64_t C) {
  (void)rt;
  for (int t = 0; t < Tout; t++) memcpy(out + (int64_t)t * C, x + (int64_t)(T - Tout + t) * ldx, (size_t)C * 4);
}

/* ---- mixture of experts ---- */
size_t vn_row_bytes(int dt, int64_t n) {
  switch (dt) {
  case VN_DT_F32: return (size_t)n * 4;
  case VN_DT_F16: case VN_DT_BF16: return (size_t)n * 2;
  case VN_DT_Q8_0: return (size_t)(n / 32) * sizeof(VnBlockQ8);
  case VN_DT_Q4_0: return (size_t)(n / 32) * sizeof(VnBlockQ4);
  default: if (kq_is(dt)) return (size_t)(n / kq_block_len(dt)) * (size_t)kq_block_bytes(dt); break;
  }
  return 0;
}

/* out[t] = k expert ids (as floats, exact below 2^24), then their k weights.
 * softmax: weights are the chosen probabilities; sigmoid: the chosen
 * sigmoids, picked by sigmoid + bias among the experts of the best groups
 * (a group's score is the sum of its two best; the others cannot be picked). renorm divides the weights by their sum;
 * scale multiplies them. Sparsemixer (kind 2, jitter eps): pick j is the
 * largest logit m not picked yet, weighted by 1 / sum exp(l - m) over the
 * logits not picked yet with (m - l) / max(|l|, m) <= 2 eps. */
static void route_sparsemixer(float *o, const float *l, int64_t E, int k, float eps) {
  for (int j = 0; j < k; j++) {
    int64_t best = -1;
    for (int64_t e = 0; e < E; e++) {
      int taken = 0;
      for (int i = 0; i < j; i++) if ((int64_t)o[i] == e) taken = 1;
      if (!taken && (best < 0 || l[e] > l[best])) best = e;
    }
    float m = l[best], den = 0;
    for (int64_t e = 0; e < E; e++) {
      int taken = 0;
      for (int i = 0; i < j; i++) if ((int64_t)o[i] == e) taken = 1;
      float factor = fabsf(l[e]) > m ? fabsf(l[e]) : m;
      if (!taken && !((m - l[e]) / factor > 2 * eps)) den += expf(l[e] - m);
    }
    o[j] = (float)best;
    o[k + j] = 1.0f / den;
  }
}

void vn_k_route(VnRt *rt, float *out, const float *logits, int64_t ld, const float *bias, int T, int64_t E, int k,
                int kind, int renorm, float scale, int groups, int top_groups, float eps) {
  float *pr = (float *)rt->opbuf, *ch = pr + E;  /* [E] probabilities, [E] choice scores */
  for (int t = 0; t < T; t++) {
    const float *l = logits + (int64_t)t * ld;
    if (kind == 2) {
      float *o = out + (int64_t)t * 2 * k, sum = 0;
      route_sparsemixer(o, l, E, k, eps);
      for (int j = 0; j < k; j++) sum += o[k + j];
      for (int j = 0; j < k; j++) {
        if (renorm) o[k + j] /= sum;
        if (scale != 0.0f) o[k + j] *= scale;
      }
      continue;
    }
    if (kind == 0) {
      float mx = l[0], sum = 0;
      for (int64_t e = 1; e < E; e++) if (l[e] > mx) mx = l[e];
      for (int64_t e = 0; e < E; e++) { pr[e] = expf(l[e] - mx); sum += pr[e]; }
      for (int64_t e = 0; e < E; e++) pr[e] /= sum;
    } else {
      for (int64_t e = 0; e < E; e++) pr[e] = 1.0f / (1.0f + expf(-l[e]));
    }
    for (int64_t e = 0; e < E; e++) ch[e] = pr[e] + (bias ? bias[e] : 0.0f);
    if (groups > 1) {
      int64_t per = E / groups;
      float gs[256];
      int keep[256] = {0};
      for (int gi = 0; gi < groups && gi < 256; gi++) {
        float b1 = -INFINITY, b2 = -INFINITY;
        for (int64_t e = gi * per; e < (gi + 1) * per; e++) {
          if (ch[e] > b1) { b2 = b1; b1 = ch[e]; } else if (ch[e] > b2) b2 = ch[e];
        }
        gs[gi] = per > 1 ? b1 + b2 : b1;
      }
      for (int r = 0; r < top_groups; r++) {
        int best = -1;
        for (int gi = 0; gi < groups && gi < 256; gi++)
          if (!keep[gi] && (best < 0 || gs[gi] > gs[best])) best = gi;
        if (best >= 0) keep[best] = 1;
      }
      for (int64_t e = 0; e < E; e++) if (!keep[e / per]) ch[e] = -INFINITY;
    }
    float *o = out + (int64_t)t * 2 * k, sum = 0;
    for (int j = 0; j < k; j++) {
      int64_t best = -1;
      for (int64_t e = 0; e < E; e++) {
        int taken = 0;
        for (int i = 0; i < j; i++) if ((int64_t)o[i] == e) taken = 1;
        if (!taken && (best < 0 || ch[e] > ch[best])) best = e;
      }
      o[j] = (float)best;
      o[k + j] = pr[best];
      sum += pr[best];
    }
    for (int j = 0; j < k; j++) {
      if (renorm) o[k + j] /= kind == 0 ? sum : sum + 1e-20f;
      if (scale != 0.0f) o[k + j] *= scale;
    }
  }
}

/* Tokens are grouped by expert: each expert runs its gate/up and down
 * products once over the rows routed to it (gathered into scratch), then
 * scatters its weighted output back. With gate/up biases bgu [E][2F] or the
 * clamped SwiGLU (limit > 0) the gate/up product is taken whole (hs2
 * [n][2F], pairs (gate, up)) and the GLU applied after. */
void vn_k_moe(VnRt *rt, float *out, const float *x, int64_t ldx, const float *routes, int64_t ldr, const void *Wgu,
              int dt_gu, const void *Wdn, int dt_dn, int T, int64_t H, int64_t F, int64_t E, int k, int act,
              const float *bgu, const float *bdn, float limit, float alpha) {
  int32_t *tok = (int32_t *)rt->opbuf;
  float *wt = (float *)(tok + T), *xs = wt + T, *hs = xs + (int64_t)T * H, *ys = hs + (int64_t)T * F;
  float *hs2 = ys + (int64_t)T * H;  /* [T][2F] */
  memset(out, 0, (size_t)T * (size_t)H * 4);
  size_t gu_bytes = vn_row_bytes(dt_gu, H) * (size_t)(2 * F), dn_bytes = vn_row_bytes(dt_dn, F) * (size_t)H;
  for (int64_t e = 0; e < E; e++) {
    int n = 0;
    for (int t = 0; t < T; t++)
      for (int j = 0; j < k; j++)
        if ((int64_t)routes[(int64_t)t * ldr + j] == e) { tok[n] = t; wt[n] = routes[(int64_t)t * ldr + k + j]; n++; }
    if (!n) continue;
    for (int i = 0; i < n; i++) memcpy(xs + (int64_t)i * H, x + (int64_t)tok[i] * ldx, (size_t)H * 4);
    if (bgu || limit > 0) {
      vn_k_matmul(rt, hs2, xs, H, (const uint8_t *)Wgu + (size_t)e * gu_bytes, dt_gu, bgu ? bgu + e * 2 * F : NULL, NULL, 0,
                  n, H, 2 * F, 0, 0, 0.0f);
      for (int64_t i = 0; i < (int64_t)n * F; i++) {
        float g = hs2[2 * i], u = hs2[2 * i + 1];
        if (limit > 0) {
          if (g > limit) g = limit;
          u = u < -limit ? -limit : u > limit ? limit : u;
          hs[i] = (u + 1.0f) * g / (1.0f + expf(-alpha * g));
        } else {
          hs[i] = vn_act_f(act, g) * u;
        }
      }
    } else {
      vn_k_matmul(rt, hs, xs, H, (const uint8_t *)Wgu + (size_t)e * gu_bytes, dt_gu, NULL, NULL, 0, n, H, 2 * F, act, 1, 0.0f);
    }
    vn_k_matmul(rt, ys, hs, F, (const uint8_t *)Wdn + (size_t)e * dn_bytes, dt_dn, bdn ? bdn + e * H : NULL, NULL, 0, n, F, H,
                0, 0, 0.0f);
    for (int i = 0; i < n; i++) vn_axpy_f32(out + (int64_t)tok[i] * H, wt[i], ys + (int64_t)i * H, H);
  }
}

/* ---- recurrent ops: their state starts from zero at position 0 ---- */
/* out[t][c] = act(b[c] + sum_j w[c][j] * in[t - (K-1) + j][c]), rows before
 * the step from state (the last K-1 inputs of the step before) */
/* ---- conv over frames: output frames split over the threads ---- */
typedef struct {
  float *out;
  const float *x, *w, *b;
  int64_t ldx, gin, F, cout, K, cin;
  int stride, act;
} ConvArgs;

static void conv_task(void *arg, int64_t o0, int64_t o1, int thread) {
  const ConvArgs *a = arg;
  (void)thread;
  for (int64_t o = o0; o < o1; o++) {
    float *y = a->out + o * a->cout;
    for (int64_t c = 0; c < a->cout; c++) {
      float acc = a->b ? a->b[c] : 0.0f;
      for (int64_t j = 0; j < a->K; j++) {
        int64_t f = o * a->stride - a->K / 2 + j;
        if (f < 0 || f >= a->F) continue;
        acc += vn_dot_f32(a->w + (c * a->K + j) * a->cin, a->x + (f / a->gin) * a->ldx + (f % a->gin) * a->cin, (int)a->cin);
      }
      y[c] = vn_act_f(a->act, acc);
    }
  }
}

void vn_k_conv(VnRt *rt, float *out, const float *x, int64_t ldx, const float *w, const float *b, int T, int64_t cols,
               int64_t cout, int64_t K, int64_t cin, int stride, int act) {
  int64_t gin = cols / cin, F = (int64_t)T * gin;
  ConvArgs a = {out, x, w, b, ldx, gin, F, cout, K, cin, stride, act};
  vn_parallel(rt, F / stride, conv_task, &a);
}

void vn_k_conv1d(VnRt *rt, float *out, const float *x, int64_t ldx, const float *w, const float *b, float *state, int T,
                 int pos, int64_t C, int K, int act) {
  (void)rt;
  int S = K - 1;
  if (pos == 0) memset(state, 0, (size_t)(S > 0 ? S : 1) * (size_t)C * 4);
  for (int t = 0; t < T; t++)
    for (int64_t c = 0; c < C; c++) {
      float s = b ? b[c] : 0.0f;
      for (int j = 0; j < K; j++) {
        int src = t - S + j;
        float v = src >= 0 ? x[(int64_t)src * ldx + c] : state[(int64_t)(S + src) * C + c];
        s += w[c * K + j] * v;
      }
      out[(int64_t)t * C + c] = act ? vn_act_f(act, s) : s;
    }
  for (int i = 0; i < S; i++) {  /* keep the last S inputs */
    int src = T - S + i;
    if (src >= 0) memcpy(state + (int64_t)i * C, x + (int64_t)src * ldx, (size_t)C * 4);
    else memmove(state + (int64_t)i * C, state + (int64_t)(i + T) * C, (size_t)C * 4);
  }
}

/* h[c][n] = exp(dt A) h + dt B[n] x[c];  y[c] = sum_n C[n] h[c][n] + D x[c].
 * Channels c of head h share its dt (and A when A is per head); heads of a
 * group share B and C. With one A per head and chunk > 0, a prefill runs in
 * the chunked (state-space duality) form: within a chunk every output is a
 * decay-weighted sum over the chunk's inputs (cum = running sum of dt A),
 * plus the state carried in from the chunks before, which is advanced once
 * per chunk. Decode (T = 1) and per-state A use the recurrence. */
static float ssm_dt(const float *dt, int64_t lddt, const float *dt_bias, int t, int h, int softplus, float lo, float hi) {
  float d = dt[(int64_t)t * lddt + h] + (dt_bias ? dt_bias[h] : 0.0f);
  if (softplus) d = vn_act_f(VN_A_SOFTPLUS, d);
  if (d < lo) d = lo;
  if (hi > 0 && d > hi) d = hi;
  return d;
}

void vn_k_ssm_scan(VnRt *rt, float *out, const float *x, int64_t ldx, const float *dt, int64_t lddt, const float *A,
                   int a_per_state, const float *B, int64_t ldb, const float *Cm, int64_t ldc, const float *Dskip,
                   const float *dt_bias, float *state, int T, int pos, int64_t D, int H, int G, int N, int softplus,
                   int chunk, float lo, float hi) {
  (void)rt;
  int64_t P = D / H;
  int hpg = H / G;
  if (pos == 0) memset(state, 0, (size_t)D * (size_t)N * 4);
  if (chunk > 0 && T > 1 && !a_per_state) {
    double cum[4096];  /* running sums of dt*A in double: their differences are the decays */
    float dts[4096], w[4096];
    for (int c0 = 0; c0 < T; c0 += chunk) {
      int Q = T - c0 < chunk ? T - c0 : chunk;
      for (int h = 0; h < H; h++) {
        const float *Bg = B + (int64_t)(h / hpg) * N, *Cg = Cm + (int64_t)(h / hpg) * N;
        double acc = 0;
        for (int i = 0; i < Q; i++) {
          dts[i] = ssm_dt(dt, lddt, dt_bias, c0 + i, h, softplus, lo, hi);
          acc += (double)(dts[i] * A[h]);
          cum[i] = acc;
        }
        for (int i = 0; i < Q; i++) {
          int t = c0 + i;
          const float *ct = Cg + (int64_t)t * ldc;
          for (int s = 0; s <= i; s++)
            w[s] = expf((float)(cum[i] - cum[s])) * dts[s] * vn_dot_f32(ct, Bg + (int64_t)(c0 + s) * ldb, N);
          float carry = expf((float)cum[i]);
          for (int64_t p = 0; p < P; p++) {
            int64_t c = (int64_t)h * P + p;
            float y = carry * vn_dot_f32(ct, state + c * N, N);
            for (int s = 0; s <= i; s++) y += w[s] * x[(int64_t)(c0 + s) * ldx + c];
            out[(int64_t)t * D + c] = y + (Dskip ? Dskip[h] * x[(int64_t)t * ldx + c] : 0.0f);
          }
        }
        /* the state after the chunk */
        for (int s = 0; s < Q; s++) w[s] = expf((float)(cum[Q - 1] - cum[s])) * dts[s];
        float decay = expf((float)cum[Q - 1]);
        for (int64_t p = 0; p < P; p++) {
          int64_t c = (int64_t)h * P + p;
          float *st = state + c * N;
          for (int n = 0; n < N; n++) st[n] *= decay;
          for (int s = 0; s < Q; s++) vn_axpy_f32(st, w[s] * x[(int64_t)(c0 + s) * ldx + c], Bg + (int64_t)(c0 + s) * ldb, N);
        }
      }
    }
    return;
  }
  for (int t = 0; t < T; t++)
    for (int h = 0; h < H; h++) {
      float d = ssm_dt(dt, lddt, dt_bias, t, h, softplus, lo, hi);
      const float *bv = B + (int64_t)t * ldb + (int64_t)(h / hpg) * N, *cv = Cm + (int64_t)t * ldc + (int64_t)(h / hpg) * N;
      for (int64_t p = 0; p < P; p++) {
        int64_t c = (int64_t)h * P + p;
        float xv = x[(int64_t)t * ldx + c], y = 0;
        float *s = state + c * N;
        for (int n = 0; n < N; n++) {
          float a = a_per_state ? A[(int64_t)h * N + n] : A[h];
          s[n] = expf(d * a) * s[n] + d * bv[n] * xv;
          y += s[n] * cv[n];
        }
        out[(int64_t)t * D + c] = y + (Dskip ? Dskip[h] * xv : 0.0f);
      }
    }
}

/* out[t] = x[t-1]; row -1 is the last row of the step before (zero at 0) */
void vn_k_shift(VnRt *rt, float *out, const float *x, int64_t ldx, float *state, int T, int pos, int64_t C) {
  (void)rt;
  if (pos == 0) memset(state, 0, (size_t)C * 4);
  memcpy(out, state, (size_t)C * 4);
  for (int t = 1; t < T; t++) memcpy(out + (int64_t)t * C, x + (int64_t)(t - 1) * ldx, (size_t)C * 4);
  memcpy(state, x + (int64_t)(T - 1) * ldx, (size_t)C * 4);
}

/* wkv: numerator, denominator and their running max per column (stable exp) */
void vn_k_wkv(VnRt *rt, float *out, const float *k, int64_t ldk, const float *v, int64_t ldv, const float *decay,
              const float *first, float *state, int T, int pos, int64_t C) {
  (void)rt;
  float *num = state, *den = state + C, *mx = state + 2 * C;
  if (pos == 0)
    for (int64_t c = 0; c < C; c++) { num[c] = 0; den[c] = 0; mx[c] = -1e38f; }
  for (int t = 0; t < T; t++)
    for (int64_t c = 0; c < C; c++) {
      float kk = k[(int64_t)t * ldk + c], vv = v[(int64_t)t * ldv + c];
      float m = fmaxf(mx[c], kk + first[c]);
      float e1 = expf(mx[c] - m), e2 = expf(kk + first[c] - m);
      out[(int64_t)t * C + c] = (e1 * num[c] + e2 * vv) / (e1 * den[c] + e2);
      float m2 = fmaxf(mx[c] + decay[c], kk);
      e1 = expf(mx[c] + decay[c] - m2);
      e2 = expf(kk - m2);
      num[c] = e1 * num[c] + e2 * vv;
      den[c] = e1 * den[c] + e2;
      mx[c] = m2;
    }
}

/* delta_rule: per value head, S [dk][dv] decays by e^g, takes the key's
 * correction beta (v - S^T k) and is read by the query: out = S^T q.
 * Heads run on the thread pool (each owns its slice of the state). */
typedef struct {
  VnRt *rt;
  float *out, *state;
  const float *q, *k, *v, *g, *beta;
  int64_t ldq, ldk, ldv, ldg, ldb;
  int T, pos, Hv, Hk, dk, dv;
  float eps, scale;
} DeltaArgs;

static void delta_task(void *arg, int64_t h0, int64_t h1, int thread) {
  const DeltaArgs *a = arg;
  int dk = a->dk, dv = a->dv;
  float *q = a->rt->scratch + (int64_t)thread * (a->rt->ctx + 3 * VN_MAX_HEAD_DIM);  /* as attention's scratch */
  float *k = q + VN_MAX_HEAD_DIM, *u = k + VN_MAX_HEAD_DIM;
  for (int64_t h = h0; h < h1; h++) {
    int hk = (int)(h / (a->Hv / a->Hk));
    float *S = a->state + h * dk * dv;
    if (a->pos == 0) memset(S, 0, (size_t)dk * dv * 4);
    for (int t = 0; t < a->T; t++) {
      const float *qt = a->q + t * a->ldq + (int64_t)hk * dk, *kt = a->k + t * a->ldk + (int64_t)hk * dk;
      const float *vt = a->v + t * a->ldv + h * dv;
      float qn = a->scale, kn = 1;
      if (a->eps > 0) {
        qn = a->scale / sqrtf(vn_dot_f32(qt, qt, dk) + a->eps);
        kn = 1 / sqrtf(vn_dot_f32(kt, kt, dk) + a->eps);
      }
      for (int i = 0; i < dk; i++) { q[i] = qt[i] * qn; k[i] = kt[i] * kn; }
      float decay = expf(a->g[t * a->ldg + h]), beta = a->beta[t * a->ldb + h];
      for (int j = 0; j < dv; j++) u[j] = 0;
      for (int i = 0; i < dk; i++) {
        float *row = S + (int64_t)i * dv;
        for (int j = 0; j < dv; j++) row[j] *= decay;
        vn_axpy_f32(u, k[i], row, dv);               /* u = S^T k */
      }
      for (int j = 0; j < dv; j++) u[j] = beta * (vt[j] - u[j]);
      float *ot = a->out + (t * (int64_t)a->Hv + h) * dv;
      for (int j = 0; j < dv; j++) ot[j] = 0;
      for (int i = 0; i < dk; i++) {
        float *row = S + (int64_t)i * dv;
        vn_axpy_f32(row, k[i], u, dv);               /* S += k u^T */
        vn_axpy_f32(ot, q[i], row, dv);              /* out = S^T q */
      }
    }
  }
}

void vn_k_delta_rule(VnRt *rt, float *out, const float *q, int64_t ldq, const float *k, int64_t ldk, const float *v,
                     int64_t ldv, const float *g, int64_t ldg, const float *beta, int64_t ldb, float *state, int T, int pos,
                     int Hv, int Hk, int dk, int dv, float eps, float scale) {
  DeltaArgs a = {rt, out, state, q, k, v, g, beta, ldq, ldk, ldv, ldg, ldb, T, pos, Hv, Hk, dk, dv, eps, scale};
  if ((int64_t)Hv * T * dk * dv < 32768) delta_task(&a, 0, Hv, 0);
  else vn_parallel(rt, Hv, delta_task, &a);
}

/* ---- attention over a cached latent (multi-head latent attention) ----
 * Per head h, with W's rows for h = [k part (head_dim) | v part (v_head_dim)]:
 * score_j = (W_k^T q_nope) . latent_j + q_rope . rope_key_j, and the output
 * is W_v (sum_j p_j latent_j): the cache holds the latent, never full K/V. */
typedef struct { VnRt *rt; float *out; const float *q; int64_t ldq; const float *W, *lc, *pc; int T, pos; const VnMla *p; } MlaArgs;

static void mla_task(void *arg, int64_t i0, int64_t i1, int thread) {
  const MlaArgs *a = arg;
  const VnMla *p = a->p;
  int L = p->rank, dn = p->head_dim, r = p->rope_dim, dv = p->v_head_dim;
  float *sc = a->rt->scratch + (int64_t)thread * (a->rt->ctx + 3 * VN_MAX_HEAD_DIM);
  float *ql = sc + a->rt->ctx, *ol = ql + VN_MAX_HEAD_DIM, *qr = ol + VN_MAX_HEAD_DIM;
  for (int64_t i = i0; i < i1; i++) {
    int t = (int)(i / p->heads), h = (int)(i % p->heads), qpos = a->pos + t;
    const float *q = a->q + (int64_t)t * a->ldq + (int64_t)h * (dn + r);
    const float *Wh = a->W + (int64_t)h * (dn + dv) * L;
    for (int l = 0; l < L; l++) ql[l] = 0;
    for (int d = 0; d < dn; d++) vn_axpy_f32(ql, q[d], Wh + (int64_t)d * L, L);
    const float *qp = q + dn;
    if (p->rope >= 0 && r > 0) { rotate(qr, qp, rope_cs(a->rt, p->rope, t), &a->rt->m->ropes[p->rope]); qp = qr; }
    float mx = -INFINITY;
    for (int j = 0; j <= qpos; j++) {
      float s = vn_dot_f32(ql, a->lc + (int64_t)j * L, L) + (r ? vn_dot_f32(qp, a->pc + (int64_t)j * r, r) : 0.0f);
      s *= p->scale;
      sc[j] = s;
      if (s > mx) mx = s;
    }
    float sum = 0;
    for (int j = 0; j <= qpos; j++) { sc[j] = expf(sc[j] - mx); sum += sc[j]; }
    for (int l = 0; l < L; l++) ol[l] = 0;
    for (int j = 0; j <= qpos; j++) vn_axpy_f32(ol, sc[j] / sum, a->lc + (int64_t)j * L, L);
    float *o = a->out + (int64_t)t * p->heads * dv + (int64_t)h * dv;
    for (int d = 0; d < dv; d++) o[d] = vn_dot_f32(Wh + (int64_t)(dn + d) * L, ol, L);
  }
}

void vn_k_mla(VnRt *rt, float *out, const float *q, int64_t ldq, const float *lat, int64_t ldl, const float *kpe,
              int64_t ldk, const float *W, float *lat_cache, float *pe_cache, int T, int pos, const VnMla *p) {
  int L = p->rank, r = p->rope_dim;
  for (int t = 0; t < T; t++) {
    memcpy(lat_cache + (int64_t)(pos + t) * L, lat + (int64_t)t * ldl, (size_t)L * 4);
    if (r) {
      if (p->rope >= 0) rotate(pe_cache + (int64_t)(pos + t) * r, kpe + (int64_t)t * ldk, rope_cs(rt, p->rope, t), &rt->m->ropes[p->rope]);
      else memcpy(pe_cache + (int64_t)(pos + t) * r, kpe + (int64_t)t * ldk, (size_t)r * 4);
    }
  }
  MlaArgs a = {rt, out, q, ldq, W, lat_cache, pe_cache, T, pos, p};
  int64_t n = (int64_t)T * p->heads;
  if (n * (pos + T) * L < 32768) mla_task(&a, 0, n, 0);
  else vn_parallel(rt, n, mla_task, &a);
}

/* ---- image rows (vision-language models) ----
 * The image state [R + 1][C]: the image's feature rows, then three counters
 * as floats: rows given (set with the rows), the image row of this step's
 * first image token, the one after the step. The k-th image token of the
 * sequence takes row k while k < rows given; the other rows stay the text's. */
static int64_t image_count(float v, int64_t R) {
  if (!(v > 0)) return 0;
  return v >= (float)R ? R : (int64_t)v;
}

void vn_k_image_rows(VnRt *rt, float *out, const int32_t *ids, float *state, int T, int pos, int token, int64_t R, int64_t C) {
  (void)rt;
  float *cnt = state + R * C;
  int64_t given = image_count(cnt[0], R), k = pos == 0 ? 0 : image_count(cnt[2], R);
  cnt[1] = (float)k;
  for (int t = 0; t < T; t++) {
    int img = ids[t] == token;
    if (img && k < given) memcpy(out + (int64_t)t * C, state + k * C, (size_t)C * sizeof *out);
    else memset(out + (int64_t)t * C, 0, (size_t)C * sizeof *out);
    if (img && k < R) k++;
  }
  cnt[2] = (float)k;
}

void vn_k_image_merge(VnRt *rt, float *out, const float *a, int64_t lda, const float *b, int64_t ldb, const int32_t *ids,
                      const float *state, int T, int token, int64_t R, int64_t Cs, int64_t C) {
  (void)rt;
  const float *cnt = state + R * Cs;
  int64_t given = image_count(cnt[0], R), k = image_count(cnt[1], R);
  for (int t = 0; t < T; t++) {
    int img = ids[t] == token;
    const float *src = img && k < given ? b + (int64_t)t * ldb : a + (int64_t)t * lda;
    memcpy(out + (int64_t)t * C, src, (size_t)C * sizeof *out);
    if (img && k < R) k++;
  }
}
