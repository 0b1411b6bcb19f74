/* kernels.c: the op kernels every generated node function calls.
 *
 * Shapes: activations are row-major [T][C] float32 with a row stride (ld)
 * so that column views of a fused output need no copy; the output is
 * always dense. Weights are [N][K] in the packed dtype, already in the
 * target's byte order. The inner loops are the target's micro-kernels from
 * vn_target.h (dot products per dtype); each has a portable C fallback here,
 * used when the target header does not define VN_HAVE_<NAME>. */
#include "runtime.h"
#include <math.h>
#include <string.h>
#include "vn_target.h"
#ifdef VN_USE_BLAS
#include <cblas.h>
#endif

/* ---- float formats ---- */
float vn_f16_to_f32(uint16_t h) {
  uint32_t s = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff, u;
  if (e == 0) {
    if (m == 0) u = s;
    else { /* subnormal: normalize */
      e = 127 - 15 + 1;
      while (!(m & 0x400)) { m <<= 1; e--; }
      u = s | (e << 23) | ((m & 0x3ff) << 13);
    }
  } else if (e == 31) u = s | 0x7f800000u | (m << 13);
  else u = s | ((e + 127 - 15) << 23) | (m << 13);
  float f;
  memcpy(&f, &u, 4);
  return f;
}

float vn_bf16_to_f32(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static uint16_t f32_to_f16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t s = (x >> 16) & 0x8000, e = (x >> 23) & 0xff, m = x & 0x7fffff;
  if (e == 0xff) return (uint16_t)(s | 0x7c00 | (m ? 0x200 : 0));
  int ee = (int)e - 127 + 15;
  if (ee >= 31) return (uint16_t)(s | 0x7c00);
  if (ee <= 0) {
    if (ee < -10) return (uint16_t)s;
    m |= 0x800000;
    uint32_t sh = (uint32_t)(14 - ee), r = m >> sh, rem = m & ((1u << sh) - 1), half = 1u << (sh - 1);
    if (rem > half || (rem == half && (r & 1))) r++;
    return (uint16_t)(s | r);
  }
  uint32_t r = (uint32_t)ee << 10 | (m >> 13), rem = m & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) r++;
  return (uint16_t)(s | r);
}

/* ---- q8_0 / q4_0 blocks: see runtime.h ---- */

static void quantize_row_q8(const float *x, VnBlockQ8 *y, int64_t n) {
  for (int64_t b = 0; b < n / 32; b++) {
    float amax = 0;
    for (int j = 0; j < 32; j++) { float a = fabsf(x[b * 32 + j]); if (a > amax) amax = a; }
    float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
    y[b].d = f32_to_f16(d);
    /* clamped: NaN or Inf activations (weights are data) give -127, never an out-of-range cast */
    for (int j = 0; j < 32; j++) y[b].qs[j] = (int8_t)fminf(fmaxf(roundf(x[b * 32 + j] * id), -127.0f), 127.0f);
  }
}

/* ---- micro-kernel fallbacks ---- */
#ifndef VN_HAVE_DOT_F32
static float vn_dot_f32(const float *x, const float *w, int64_t n) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) { s0 += x[i] * w[i]; s1 += x[i + 1] * w[i + 1]; s2 += x[i + 2] * w[i + 2]; s3 += x[i + 3] * w[i + 3]; }
  for (; i < n; i++) s0 += x[i] * w[i];
  return (s0 + s1) + (s2 + s3);
}
#endif
#ifndef VN_HAVE_DOT4_F32
/* four rows of x (stride ldx) against one row w: out[r] = x_r . w */
static void vn_dot4_f32(const float *x, int64_t ldx, const float *w, int64_t n, float *out) {
  for (int r = 0; r < 4; r++) out[r] = vn_dot_f32(x + r * ldx, w, n);
}
#endif
#ifndef VN_HAVE_AXPY_F32
/* y += a * x */
static void vn_axpy_f32(float *y, float a, const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}
#endif
#ifndef VN_HAVE_DOT_F16
static float vn_dot_f16(const float *x, const uint16_t *w, int64_t n) {
  float s0 = 0, s1 = 0;
  int64_t i = 0;
  for (; i + 2 <= n; i += 2) { s0 += x[i] * vn_f16_to_f32(w[i]); s1 += x[i + 1] * vn_f16_to_f32(w[i + 1]); }
  for (; i < n; i++) s0 += x[i] * vn_f16_to_f32(w[i]);
  return s0 + s1;
}
#endif
#ifndef VN_HAVE_DOT_BF16
static float vn_dot_bf16(const float *x, const uint16_t *w, int64_t n) {
  float s0 = 0, s1 = 0;
  int64_t i = 0;
  for (; i + 2 <= n; i += 2) { s0 += x[i] * vn_bf16_to_f32(w[i]); s1 += x[i + 1] * vn_bf16_to_f32(w[i + 1]); }
  for (; i < n; i++) s0 += x[i] * vn_bf16_to_f32(w[i]);
  return s0 + s1;
}
#endif
#ifndef VN_HAVE_DOT4_F16
static void vn_dot4_f16(const float *x, int64_t ldx, const uint16_t *w, int64_t n, float *out) {
  for (int r = 0; r < 4; r++) out[r] = vn_dot_f16(x + r * ldx, w, n);
}
#endif
#ifndef VN_HAVE_DOT4_BF16
static void vn_dot4_bf16(const float *x, int64_t ldx, const uint16_t *w, int64_t n, float *out) {
  for (int r = 0; r < 4; r++) out[r] = vn_dot_bf16(x + r * ldx, w, n);
}
#endif
#ifndef VN_HAVE_DOT_Q8_0
static float vn_dot_q8_0(const VnBlockQ8 *x, const VnBlockQ8 *w, int64_t nb) {
  float s = 0;
  for (int64_t b = 0; b < nb; b++) {
    int32_t acc = 0;
    for (int j = 0; j < 32; j++) acc += (int32_t)x[b].qs[j] * w[b].qs[j];
    s += vn_f16_to_f32(x[b].d) * vn_f16_to_f32(w[b].d) * (float)acc;
  }
  return s;
}
#endif
#ifndef VN_HAVE_DOT_Q4_0
static float vn_dot_q4_0(const VnBlockQ8 *x, const VnBlockQ4 *w, int64_t nb) {
  float s = 0;
  for (int64_t b = 0; b < nb; b++) {
    int32_t acc = 0;
    for (int j = 0; j < 16; j++) {
      acc += (int32_t)x[b].qs[j] * ((w[b].qs[j] & 0x0f) - 8);
      acc += (int32_t)x[b].qs[j + 16] * ((w[b].qs[j] >> 4) - 8);
    }
    s += vn_f16_to_f32(x[b].d) * vn_f16_to_f32(w[b].d) * (float)acc;
  }
  return s;
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
  default: return x;
  }
}

/* ---- embed ---- */
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
} MatmulArgs;

static inline float dot_row(const MatmulArgs *a, int t, int64_t n) {
  switch (a->dt) {
  case VN_DT_F32: return vn_dot_f32(a->x + (int64_t)t * a->ldx, (const float *)a->W + n * a->K, a->K);
  case VN_DT_F16: return vn_dot_f16(a->x + (int64_t)t * a->ldx, (const uint16_t *)a->W + n * a->K, a->K);
  case VN_DT_BF16: return vn_dot_bf16(a->x + (int64_t)t * a->ldx, (const uint16_t *)a->W + n * a->K, a->K);
  case VN_DT_Q8_0:
    return vn_dot_q8_0((const VnBlockQ8 *)a->xq + (int64_t)t * (a->K / 32), (const VnBlockQ8 *)a->W + n * (a->K / 32), a->K / 32);
  case VN_DT_Q4_0:
    return vn_dot_q4_0((const VnBlockQ8 *)a->xq + (int64_t)t * (a->K / 32), (const VnBlockQ4 *)a->W + n * (a->K / 32), a->K / 32);
  }
  return 0;
}

/* four rows t..t+3 against W row n (float weights only) */
static inline void dot4_row(const MatmulArgs *a, int t, int64_t n, float *o4) {
  const float *x = a->x + (int64_t)t * a->ldx;
  switch (a->dt) {
  case VN_DT_F32: vn_dot4_f32(x, a->ldx, (const float *)a->W + n * a->K, a->K, o4); return;
  case VN_DT_F16: vn_dot4_f16(x, a->ldx, (const uint16_t *)a->W + n * a->K, a->K, o4); return;
  case VN_DT_BF16: vn_dot4_bf16(x, a->ldx, (const uint16_t *)a->W + n * a->K, a->K, o4); return;
  default: for (int r = 0; r < 4; r++) o4[r] = dot_row(a, t + r, n);
  }
}

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

/* columns [c0, c1) of the output, every row. Tiles of TB output columns keep
 * their W rows in cache while all T rows pass; rows go four at a time so
 * each W element loaded serves four dot products. */
static void matmul_task(void *arg, int64_t c0, int64_t c1, int thread) {
  (void)thread;
  const MatmulArgs *a = arg;
  enum { TB = 16 };
  int quad = a->dt == VN_DT_F32 || a->dt == VN_DT_F16 || a->dt == VN_DT_BF16;
  for (int64_t cb = c0; cb < c1; cb += TB) {
    int64_t ce = cb + TB < c1 ? cb + TB : c1;
    int t = 0;
    if (quad)
      for (; t + 4 <= a->T; t += 4)
        for (int64_t c = cb; c < ce; c++) {
          float g[4], u[4] = {0, 0, 0, 0};
          dot4_row(a, t, a->glu ? 2 * c : c, g);
          if (a->glu) dot4_row(a, t, 2 * c + 1, u);
          for (int r = 0; r < 4; r++) a->out[(int64_t)(t + r) * a->ncols + c] = epilogue(a, t + r, c, g[r], u[r]);
        }
    for (; t < a->T; t++) {
      float *o = a->out + (int64_t)t * a->ncols;
      for (int64_t c = cb; c < ce; c++) {
        float g = dot_row(a, t, a->glu ? 2 * c : c), u = a->glu ? dot_row(a, t, 2 * c + 1) : 0;
        o[c] = epilogue(a, t, c, g, u);
      }
    }
  }
}

static void quantize_task(void *arg, int64_t t0, int64_t t1, int thread) {
  (void)thread;
  const MatmulArgs *a = arg;
  for (int64_t t = t0; t < t1; t++)
    quantize_row_q8(a->x + t * a->ldx, (VnBlockQ8 *)a->xq + t * (a->K / 32), a->K);
}

void vn_k_matmul(VnRt *rt, float *out, const float *x, int64_t ldx, const void *W, int dt, const float *bias,
                 const float *res, int64_t ldres, int T, int64_t K, int64_t N, int act, int glu, float scale) {
  MatmulArgs a = {out, x, ldx, W, dt, bias, res, ldres, T, K, N, glu ? N / 2 : N, act, glu, scale, NULL};
  if (dt == VN_DT_Q8_0 || dt == VN_DT_Q4_0) {
    a.xq = rt->qbuf;
    vn_parallel(rt, T, quantize_task, &a);
  }
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
  const float *kc, *vc;
  int T, pos;
  const VnAttn *p;
} AttnArgs;

/* x rounded to bfloat16 (nearest, ties to even), as torch's .bfloat16() */
static inline float round_bf16(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  memcpy(&x, &u, 4);
  return x;
}

/* (head, row) pairs [i0, i1): i = t * heads + h */
static void attn_task(void *arg, int64_t i0, int64_t i1, int thread) {
  const AttnArgs *a = arg;
  const VnAttn *p = a->p;
  int hd = p->head_dim, vd = p->v_head_dim ? p->v_head_dim : hd;
  int64_t kvw = (int64_t)p->kv_heads * hd, vvw = (int64_t)p->kv_heads * vd;
  int group = p->heads / p->kv_heads;
  float *sc = a->rt->scratch + (int64_t)thread * (a->rt->ctx + VN_MAX_HEAD_DIM);
  float *qr = sc + a->rt->ctx;  /* rotated q (venusc checks head_dim <= VN_MAX_HEAD_DIM) */
  for (int64_t i = i0; i < i1; i++) {
    int t = (int)(i / p->heads), h = (int)(i % p->heads), kh = h / group;
    int qpos = a->pos + t;
    const float *q = a->q + (int64_t)t * a->ldq + (int64_t)h * hd;
    if (p->rope >= 0) { rotate(qr, q, rope_cs(a->rt, p->rope, t), &a->rt->m->ropes[p->rope]); q = qr; }
    int j0 = 0, j1 = p->causal ? qpos : a->pos + a->T - 1;
    if (p->window > 0 && p->causal && qpos - p->window + 1 > j0) j0 = qpos - p->window + 1;
    if (p->window > 0 && !p->causal) {  /* bidirectional: |qpos - j| <= window */
      if (qpos - p->window > j0) j0 = qpos - p->window;
      if (qpos + p->window < j1) j1 = qpos + p->window;
    }
    float mx = -INFINITY;
    for (int j = j0; j <= j1; j++) {
      float s = vn_dot_f32(q, a->kc + (int64_t)j * kvw + (int64_t)kh * hd, hd);
      if (p->alibi_bf16) s += round_bf16(p->alibi[h] * (float)j);
      s *= p->scale;
      if (p->cap > 0) s = p->cap * tanhf(s / p->cap);
      if (p->alibi && !p->alibi_bf16) s += p->alibi[h] * (float)j;
      sc[j] = s;
      if (s > mx) mx = s;
    }
    float sum = 0;
    for (int j = j0; j <= j1; j++) { sc[j] = expf(sc[j] - mx); sum += sc[j]; }
    float inv = 1.0f / sum;
    float *o = a->out + (int64_t)t * p->heads * vd + (int64_t)h * vd;
    for (int d = 0; d < vd; d++) o[d] = 0;
    for (int j = j0; j <= j1; j++) vn_axpy_f32(o, sc[j] * inv, a->vc + (int64_t)j * vvw + (int64_t)kh * vd, vd);
  }
}

void vn_k_attention(VnRt *rt, float *out, const float *q, int64_t ldq, const float *k, int64_t ldk, const float *v,
                    int64_t ldv, float *kc, float *vc, int T, int pos, const VnAttn *p) {
  int hd = p->head_dim, vd = p->v_head_dim ? p->v_head_dim : hd;
  int64_t kvw = (int64_t)p->kv_heads * hd, vvw = (int64_t)p->kv_heads * vd;
  /* write this step's keys (rotated) and values into the cache */
  for (int t = 0; t < T; t++) {
    float *kd = kc + (int64_t)(pos + t) * kvw;
    const float *ks = k + (int64_t)t * ldk;
    if (p->rope >= 0) {
      const float *cs = rope_cs(rt, p->rope, t);
      for (int h = 0; h < p->kv_heads; h++) rotate(kd + (int64_t)h * hd, ks + (int64_t)h * hd, cs, &rt->m->ropes[p->rope]);
    } else memcpy(kd, ks, (size_t)kvw * 4);
    memcpy(vc + (int64_t)(pos + t) * vvw, v + (int64_t)t * ldv, (size_t)vvw * 4);
  }
  AttnArgs a = {rt, out, q, ldq, kc, vc, T, pos, p};
  int64_t n = (int64_t)T * p->heads;
  if (n * (pos + T) * hd < 32768) attn_task(&a, 0, n, 0);
  else vn_parallel(rt, n, attn_task, &a);
}

/* ---- elementwise ---- */
void vn_k_act(VnRt *rt, float *out, const float *x, int64_t ldx, int T, int64_t C, int act) {
  (void)rt;
  for (int t = 0; t < T; t++)
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
    for (int64_t i = 0; i < C; i++)
      out[(int64_t)t * C + i] = vn_act_f(act, x[(int64_t)t * ldx + i]) * x[(int64_t)t * ldx + C + i];
}

void vn_k_scale(VnRt *rt, float *out, const float *x, int64_t ldx, int T, int64_t C, float s) {
  (void)rt;
  for (int t = 0; t < T; t++)
    for (int64_t i = 0; i < C; i++) out[(int64_t)t * C + i] = x[(int64_t)t * ldx + i] * s;
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
  }
  return 0;
}

/* out[t] = k expert ids (as floats, exact below 2^24), then their k weights.
 * softmax: weights are the chosen probabilities; sigmoid: the chosen
 * sigmoids, picked by sigmoid + bias among the experts of the best groups
 * (a group's score is the sum of its two best; the others cannot be picked). renorm divides the weights by their sum;
 * scale multiplies them. */
void vn_k_route(VnRt *rt, float *out, const float *logits, int64_t ld, const float *bias, int T, int64_t E, int k,
                int kind, int renorm, float scale, int groups, int top_groups) {
  float *pr = (float *)rt->opbuf, *ch = pr + E;  /* [E] probabilities, [E] choice scores */
  for (int t = 0; t < T; t++) {
    const float *l = logits + (int64_t)t * ld;
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
 * scatters its weighted output back. */
void vn_k_moe(VnRt *rt, float *out, const float *x, int64_t ldx, const float *routes, int64_t ldr, const void *Wgu,
              int dt_gu, const void *Wdn, int dt_dn, int T, int64_t H, int64_t F, int64_t E, int k, int act) {
  int32_t *tok = (int32_t *)rt->opbuf;
  float *wt = (float *)(tok + T), *xs = wt + T, *hs = xs + (int64_t)T * H, *ys = hs + (int64_t)T * F;
  memset(out, 0, (size_t)T * (size_t)H * 4);
  size_t gu_bytes = vn_row_bytes(dt_gu, H) * (size_t)(2 * F), dn_bytes = vn_row_bytes(dt_dn, F) * (size_t)H;
  for (int64_t e = 0; e < E; e++) {
    int n = 0;
    for (int t = 0; t < T; t++)
      for (int j = 0; j < k; j++)
        if ((int64_t)routes[(int64_t)t * ldr + j] == e) { tok[n] = t; wt[n] = routes[(int64_t)t * ldr + k + j]; n++; }
    if (!n) continue;
    for (int i = 0; i < n; i++) memcpy(xs + (int64_t)i * H, x + (int64_t)tok[i] * ldx, (size_t)H * 4);
    vn_k_matmul(rt, hs, xs, H, (const uint8_t *)Wgu + (size_t)e * gu_bytes, dt_gu, NULL, NULL, 0, n, H, 2 * F, act, 1, 0.0f);
    vn_k_matmul(rt, ys, hs, F, (const uint8_t *)Wdn + (size_t)e * dn_bytes, dt_dn, NULL, NULL, 0, n, F, H, 0, 0, 0.0f);
    for (int i = 0; i < n; i++) vn_axpy_f32(out + (int64_t)tok[i] * H, wt[i], ys + (int64_t)i * H, H);
  }
}

/* ---- recurrent ops: their state starts from zero at position 0 ---- */
/* out[t][c] = act(b[c] + sum_j w[c][j] * in[t - (K-1) + j][c]), rows before
 * the step from state (the last K-1 inputs of the step before) */
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
