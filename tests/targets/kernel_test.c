/* kernel_test.c: the runtime's micro-kernels over one target's vocabulary
 * (vn_target.h; the kernels are written once in kernels.c) and the matmul
 * over them (register tiles and their edges), against plain scalar loops
 * on random data with ragged tails and unaligned pointers.
 *
 * tests/targets/run.sh builds it for each target with that target's own
 * compiler and flags, beside a copy of the target's header as vn_target.h,
 * and runs it where the target runs (natively, under qemu-user, node, or
 * qemu-system-arm with semihosting). Every buffer is static (no malloc), so
 * the same source runs on bare metal. It prints what the header maps and
 * exits 1 on any mismatch.
 *
 * Bounds: a float dot product of n terms may differ from the double-precision
 * sum by 2e-6 * n^0.5 * sum|x_i w_i| (reassociation, fused or unfused
 * multiply-adds); q8_0/q4_0 block sums are exact integers, so only the float
 * scaling may differ (1e-5 relative). */
#include "runtime.h"
#include "kernels.c"
#include "threads.c"
#include <stdio.h>

#define MAXN 1100
#define MAXB 40

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint32_t next32(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}
static float frand(void) { return (float)((double)next32() / 4294967296.0 * 2.0 - 1.0); }
static int irange(int lo, int hi) { return lo + (int)(next32() % (uint32_t)(hi - lo + 1)); }

static int fails, checks;
static double worst;  /* largest error / bound seen */

static void check(const char *what, int n, double got, double want, double bound) {
  double e = fabs(got - want), r = bound > 0 ? e / bound : (e > 0 ? 2 : 0);
  checks++;
  if (r > worst) worst = r;
  if (!(r <= 1.0)) {  /* also catches NaN */
    if (fails < 20) printf("FAIL %s n=%d: got %.9g, want %.9g (error %.3g, bound %.3g)\n", what, n, got, want, e, bound);
    fails++;
  }
}

static double dot_bound(double mag, int n) { return 2e-6 * sqrt((double)n + 1) * mag + 1e-30; }

static const int lens[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 96, 100, 127,
                           128, 129, 255, 256, 257, 511, 512, 513, 1000, 1027};
#define NLENS ((int)(sizeof lens / sizeof lens[0]))

/* buffers with room for an offset (unaligned starts) */
static float X[4 * (MAXN + 8)], W[MAXN + 8], Y[MAXN + 8], Y0[MAXN + 8];
static uint16_t H[MAXN + 8];
static VnBlockQ8x QX[MAXB];
static VnBlockQ8 QW[MAXB];
static VnBlockQ4 Q4[MAXB];

static uint16_t rand_half(int bf) {
  float f = frand() * 2.0f;
  if (bf) { uint32_t u; memcpy(&u, &f, 4); return (uint16_t)(u >> 16); }
  int r = irange(0, 15);
  if (r == 0) return (uint16_t)irange(1, 0x3ff);            /* subnormal */
  if (r == 1) return (uint16_t)(0x8000 | irange(1, 0x3ff)); /* negative subnormal */
  if (r == 2) return 0x8000;                                /* -0 */
  return vn_half_f32_to_f16(f);
}

static void test_float(void) {
  for (int li = 0; li < NLENS; li++) {
    int n = lens[li];
    for (int off = 0; off < 2; off++) {
      int ldx = n + 3 + off;     /* rows of x not a multiple of the vector width apart */
      float *w = W + off * 3, *x = X + off;
      for (int i = 0; i < n; i++) w[i] = frand();
      for (int r = 0; r < 4; r++) for (int i = 0; i < n; i++) x[r * ldx + i] = frand();
      double want[4], mag[4];
      for (int r = 0; r < 4; r++) {
        want[r] = mag[r] = 0;
        for (int i = 0; i < n; i++) { want[r] += (double)x[r * ldx + i] * w[i]; mag[r] += fabs((double)x[r * ldx + i] * w[i]); }
      }
      check("dot_f32", n, vn_dot_f32(x, w, n), want[0], dot_bound(mag[0], n));
      float o4[4];
      vn_dot4_f32(x, ldx, w, n, o4);
      for (int r = 0; r < 4; r++) check("dot4_f32", n, o4[r], want[r], dot_bound(mag[r], n));
      /* axpy: y += a x; elements past n untouched */
      float a = frand(), *y = Y + off;
      for (int i = 0; i < n + 4; i++) y[i] = Y0[i] = frand();
      vn_axpy_f32(y, a, x, n);
      for (int i = 0; i < n; i++) check("axpy_f32", n, y[i], (double)Y0[i] + (double)a * x[i], 2e-7 * (fabs(Y0[i]) + fabs(a * x[i])) + 1e-30);
      for (int i = n; i < n + 4; i++) check("axpy_f32 (past the end)", n, y[i], Y0[i], 0);
      /* f16 and bf16 weights */
      for (int bf = 0; bf < 2; bf++) {
        uint16_t *h = H + off;
        for (int i = 0; i < n; i++) h[i] = rand_half(bf);
        for (int r = 0; r < 4; r++) {
          want[r] = mag[r] = 0;
          for (int i = 0; i < n; i++) {
            double wf = bf ? vn_bf16_to_f32(h[i]) : vn_f16_to_f32(h[i]);
            want[r] += x[r * ldx + i] * wf;
            mag[r] += fabs(x[r * ldx + i] * wf);
          }
        }
        if (bf) {
          check("dot_bf16", n, vn_dot_bf16(x, h, n), want[0], dot_bound(mag[0], n));
          vn_dot4_bf16(x, ldx, h, n, o4);
          for (int r = 0; r < 4; r++) check("dot4_bf16", n, o4[r], want[r], dot_bound(mag[r], n));
        } else {
          check("dot_f16", n, vn_dot_f16(x, h, n), want[0], dot_bound(mag[0], n));
          vn_dot4_f16(x, ldx, h, n, o4);
          for (int r = 0; r < 4; r++) check("dot4_f16", n, o4[r], want[r], dot_bound(mag[r], n));
        }
      }
    }
  }
}

static void test_quant(void) {
  for (int nb = 1; nb <= MAXB; nb += (nb < 10 ? 1 : 7)) {
    for (int b = 0; b < nb; b++) {
      QX[b].d = vn_f16_to_f32(vn_half_f32_to_f16(frand() * 0.02f));
      QW[b].d = vn_half_f32_to_f16(frand() * 0.02f);
      Q4[b].d = vn_half_f32_to_f16(frand() * 0.1f);
      for (int j = 0; j < 32; j++) { QX[b].qs[j] = (int8_t)irange(-127, 127); QW[b].qs[j] = (int8_t)irange(-127, 127); }
      for (int j = 0; j < 16; j++) Q4[b].qs[j] = (uint8_t)irange(0, 255);
    }
    double w8 = 0, m8 = 0, w4 = 0, m4 = 0;
    for (int b = 0; b < nb; b++) {
      long s8 = 0, s4 = 0;
      for (int j = 0; j < 32; j++) s8 += (long)QX[b].qs[j] * QW[b].qs[j];
      for (int j = 0; j < 16; j++) {
        s4 += (long)QX[b].qs[j] * ((Q4[b].qs[j] & 15) - 8);
        s4 += (long)QX[b].qs[j + 16] * ((Q4[b].qs[j] >> 4) - 8);
      }
      double dx = QX[b].d;
      w8 += dx * vn_f16_to_f32(QW[b].d) * (double)s8;
      m8 += fabs(dx * vn_f16_to_f32(QW[b].d) * (double)s8);
      w4 += dx * vn_f16_to_f32(Q4[b].d) * (double)s4;
      m4 += fabs(dx * vn_f16_to_f32(Q4[b].d) * (double)s4);
    }
    check("dot_q8_0", nb * 32, vn_dot_q8_0(QX, QW, nb), w8, 1e-5 * m8 + 1e-30);
    check("dot_q4_0", nb * 32, vn_dot_q4_0(QX, Q4, nb), w4, 1e-5 * m4 + 1e-30);
  }
}

/* vn_k_matmul (every dtype, with bias, activation, glu and residual) against
 * a scalar loop over the same weights unpacked to float; for q8_0/q4_0 the
 * reference quantizes x to q8_0 the way the kernel does. */
#define MT 7
#define MK 160
#define MN 34
static float MX[MT * (MK + 5)], MO[MT * MN], MR[MT * MN], MB[MN], WF[MN * MK], XQ[MK];
static uint8_t MW[MN * MK * 4];
static VnBlockQ8 MQ[MT * (MK / 32 + 1) + 4];
static float Wrow[MK];

static void test_matmul(void) {
  static const int Ts[] = {1, 2, 4, 5, 7}, Ks[] = {32, 64, 96, 160, 33, 47}, Ns[] = {1, 3, 8, 17, 34};
  VnRt rt;
  memset(&rt, 0, sizeof rt);
  rt.nthreads = 1;
  rt.qbuf = MQ;
  for (int dt = 0; dt < 5; dt++)
    for (int ti = 0; ti < 5; ti++)
      for (int ki = 0; ki < 6; ki++)
        for (int ni = 0; ni < 5; ni++) {
          int T = Ts[ti], K = Ks[ki], N = Ns[ni];
          if (dt >= VN_DT_Q8_0 && K % 32) continue;
          int glu = (ti + ni) % 3 == 0 && N % 2 == 0, act = glu ? VN_A_SILU : (ki % 2 ? VN_A_GELU_TANH : VN_A_NONE);
          int useb = (ti + ki) % 2, user = (ni + ki) % 2, ldx = K + (ti % 2 ? 5 : 0), ncols = glu ? N / 2 : N;
          for (int i = 0; i < T * ldx; i++) MX[i] = frand();
          for (int i = 0; i < N; i++) MB[i] = frand();
          for (int i = 0; i < T * ncols; i++) MR[i] = frand();
          /* weights: random rows packed as dt, unpacked again for the reference */
          size_t rb = vn_row_bytes(dt, K);
          for (int r = 0; r < N; r++) {
            for (int k = 0; k < K; k++) Wrow[k] = frand();
            uint8_t *p = MW + r * rb;
            switch (dt) {
            case VN_DT_F32: memcpy(p, Wrow, (size_t)K * 4); break;
            case VN_DT_F16: for (int k = 0; k < K; k++) { uint16_t h = vn_half_f32_to_f16(Wrow[k]); memcpy(p + 2 * k, &h, 2); } break;
            case VN_DT_BF16: for (int k = 0; k < K; k++) { uint16_t h = rand_half(1); memcpy(p + 2 * k, &h, 2); } break;
            case VN_DT_Q8_0: quantize_row_q8(Wrow, (VnBlockQ8 *)p, K); break;
            case VN_DT_Q4_0: {
              VnBlockQ4 *q = (VnBlockQ4 *)p;
              for (int b = 0; b < K / 32; b++) {
                q[b].d = vn_half_f32_to_f16(frand() * 0.1f);
                for (int j = 0; j < 16; j++) q[b].qs[j] = (uint8_t)irange(0, 255);
              }
            } break;
            }
            dequant_row(MW, dt, r, K, WF + r * K);
          }
          vn_k_matmul(&rt, MO, MX, ldx, MW, dt, useb ? MB : NULL, user ? MR : NULL, ncols, T, K, N, act, glu, 0.0f);
          for (int t = 0; t < T; t++) {
            const float *xr = MX + t * ldx;
            if (dt >= VN_DT_Q8_0) {  /* x as the kernel sees it: through q8_0 */
              VnBlockQ8 qb[MK / 32];
              quantize_row_q8(xr, qb, K);
              dequant_row(qb, VN_DT_Q8_0, 0, K, XQ);
              xr = XQ;
            }
            for (int c = 0; c < ncols; c++) {
              double g = 0, u = 0, mg = 0, mu = 0;
              int rg = glu ? 2 * c : c, ru = 2 * c + 1;
              for (int k = 0; k < K; k++) { g += (double)xr[k] * WF[rg * K + k]; mg += fabs((double)xr[k] * WF[rg * K + k]); }
              if (glu) for (int k = 0; k < K; k++) { u += (double)xr[k] * WF[ru * K + k]; mu += fabs((double)xr[k] * WF[ru * K + k]); }
              double y, bound;
              if (glu) {
                if (useb) { g += MB[2 * c]; u += MB[2 * c + 1]; }
                double sg = vn_act_f(act, (float)g);
                y = sg * u;
                bound = dot_bound(mg, K) * (1.2 * fabs(u) + 1) + dot_bound(mu, K) * (fabs(sg) + 1) + 1e-6 * fabs(y);
              } else {
                if (useb) g += MB[c];
                y = act ? vn_act_f(act, (float)g) : g;
                bound = 1.2 * dot_bound(mg, K) + 1e-6 * fabs(y);
              }
              if (user) y += MR[t * ncols + c];
              bound += 1e-6 * fabs(y) + 1e-7;
              char what[64];
              snprintf(what, sizeof what, "matmul dt %d T %d K %d N %d%s", dt, T, K, N, glu ? " glu" : "");
              check(what, K, MO[t * ncols + c], y, bound);
            }
          }
        }
}

/* vn_k_matmul on GGUF's block formats kept as stored (runtime/kquants.h):
 * random blocks (every bit pattern of the quantized fields; the f16 scales
 * small finite values, in this target's byte order as venusc packs them),
 * against a scalar loop over the blocks dequantized (kquants.h's
 * kq_dequant_row, the values GGML's dequantization gives: tests/ops holds
 * it to frontend/quants.c) and x through q8_0. T 9 passes the 8 rows one
 * unpacked block serves. */
#define KT 9
#define KK 512
#define KN 8
static float KX[KT * KK], KO[KT * KN], KWF[KN * KK], KXQ[KK];
static uint8_t KW[KN * (KK / 256) * 210];
static VnBlockQ8s KQ[KT * (KK / 32 + 1)];

static void test_kept(void) {
  static const int dts[] = {VN_DT_Q4_1, VN_DT_Q5_0, VN_DT_Q5_1, VN_DT_IQ4_NL, VN_DT_Q2_K, VN_DT_Q3_K, VN_DT_Q4_K, VN_DT_Q5_K, VN_DT_Q6_K, VN_DT_IQ4_XS};
  static const int Ts[] = {1, 3, 9}, Ns[] = {2, 8};
  VnRt rt;
  memset(&rt, 0, sizeof rt);
  rt.nthreads = 1;
  rt.qbuf = KQ;
  for (int di = 0; di < (int)(sizeof dts / sizeof dts[0]); di++)
    for (int ti = 0; ti < 3; ti++)
      for (int ni = 0; ni < 2; ni++)
        for (int big = 0; big < 2; big++) {
          int dt = dts[di], T = Ts[ti], N = Ns[ni], bs = kq_block_len(dt), bb = kq_block_bytes(dt);
          int K = bs == 256 ? (big ? 512 : 256) : (big ? 160 : 32), glu = (ti + ni) % 2, ncols = glu ? N / 2 : N;
          for (int i = 0; i < T * K; i++) KX[i] = frand();
          int f16[2] = {-1, -1};  /* byte offsets of a block's f16 fields */
          switch (dt) {
          case VN_DT_Q4_1: case VN_DT_Q5_1: case VN_DT_Q4_K: case VN_DT_Q5_K: f16[0] = 0; f16[1] = 2; break;
          case VN_DT_Q5_0: case VN_DT_IQ4_NL: case VN_DT_IQ4_XS: f16[0] = 0; break;
          case VN_DT_Q2_K: f16[0] = 80; f16[1] = 82; break;
          case VN_DT_Q3_K: f16[0] = 108; break;
          case VN_DT_Q6_K: f16[0] = 208; break;
          }
          size_t rb = vn_row_bytes(dt, K);
          for (size_t i = 0; i < rb * (size_t)N; i++) KW[i] = (uint8_t)irange(0, 255);
          for (size_t b = 0; b < rb * (size_t)N; b += (size_t)bb)
            for (int f = 0; f < 2; f++)
              if (f16[f] >= 0) {
                uint16_t h = vn_half_f32_to_f16(frand() * (bs == 256 ? 0.01f : 0.1f));
                memcpy(KW + b + f16[f], &h, 2);
              }
          for (int r = 0; r < N; r++) dequant_row(KW, dt, r, K, KWF + r * K);
          vn_k_matmul(&rt, KO, KX, K, KW, dt, NULL, NULL, 0, T, K, N, glu ? VN_A_SILU : VN_A_NONE, glu, 0.0f);
          for (int t = 0; t < T; t++) {
            VnBlockQ8 qb[KK / 32];
            quantize_row_q8(KX + t * K, qb, K);
            dequant_row(qb, VN_DT_Q8_0, 0, K, KXQ);
            for (int c = 0; c < ncols; c++) {
              double g = 0, u = 0, mg = 0, mu = 0;
              int rg = glu ? 2 * c : c, ru = 2 * c + 1;
              for (int k = 0; k < K; k++) { g += (double)KXQ[k] * KWF[rg * K + k]; mg += fabs((double)KXQ[k] * KWF[rg * K + k]); }
              if (glu) for (int k = 0; k < K; k++) { u += (double)KXQ[k] * KWF[ru * K + k]; mu += fabs((double)KXQ[k] * KWF[ru * K + k]); }
              double y, bound;
              if (glu) {
                double sg = vn_act_f(VN_A_SILU, (float)g);
                y = sg * u;
                bound = dot_bound(mg, K) * (1.2 * fabs(u) + 1) + dot_bound(mu, K) * (fabs(sg) + 1) + 1e-6 * fabs(y);
              } else {
                y = g;
                bound = 1.2 * dot_bound(mg, K) + 1e-6 * fabs(y);
              }
              char what[64];
              snprintf(what, sizeof what, "matmul kept dt %d T %d K %d N %d%s", dt, T, K, N, glu ? " glu" : "");
              bound += 1e-6 * fabs(y) + 1e-7;
              check(what, K, KO[t * ncols + c], y, bound);
            }
          }
        }
}

int main(void) {
  /* what vn_target.h maps (the kernels are runtime/kernels.c's, written once) */
  printf("micro-kernels of vn_target.h: vocabulary %d float lanes, tiles 4 x %d",
         (int)VN_VL, VN_NR);
#ifdef VN_V_PART
  printf(", vector tails");
#endif
#if defined(VN_V_F16)
  printf(", f16 loads");
#endif
#if defined(VN_V_B16)
  printf(", int8 in 16-byte halves");
#endif
#ifdef VN_HAVE_DOT_F32
  printf("; its own kernels:");
  printf(" dot_f32");
#endif
#ifdef VN_HAVE_DOT4_F32
  printf(" dot4_f32");
#endif
#ifdef VN_HAVE_AXPY_F32
  printf(" axpy_f32");
#endif
#ifdef VN_HAVE_DOT_F16
  printf(" dot_f16");
#endif
#ifdef VN_HAVE_DOT4_F16
  printf(" dot4_f16");
#endif
#ifdef VN_HAVE_DOT_BF16
  printf(" dot_bf16");
#endif
#ifdef VN_HAVE_DOT4_BF16
  printf(" dot4_bf16");
#endif
#ifdef VN_HAVE_DOT_Q8_0
  printf(" dot_q8_0");
#endif
#ifdef VN_HAVE_DOT_Q4_0
  printf(" dot_q4_0");
#endif
  printf("\n");
  test_float();
  test_quant();
  test_matmul();
  test_kept();
  printf("%s: %d checks, %d failed, worst error %.3g of its bound\n", fails ? "FAIL" : "ok", checks, fails, worst);
  return fails ? 1 : 0;
}
