/* ref.c: the scalar reference kernels, the truth every emitted kernel of
 * every target is checked against (tests/ops/harness.c); those of routing,
 * experts and the ops with state across steps are in ref_seq.c.
 *
 * Each op's semantics come from its definition (ops.def, ops/shape.c,
 * graph.h) and from what Hugging Face transformers computes, not from
 * runtime/kernels.c. Operands are dense row-major float32 (weights already
 * dequantized); sums, norms and softmax are done in double so that the
 * reference is closer to exact than any float32 kernel. Shapes: T rows of
 * the step, C columns; the step's row t is at position pos + t. An op whose
 * result is int32 (POSITIONS) stores int32 values in the out buffer. */
#include "ops.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAXHD = 1024 };  /* widest head the reference takes (= VN_MAX_HEAD_DIM) */

static const VnNode *opnd(const VnRefArgs *a, int k) {
  return a->n->src[k] == VN_NONE ? NULL : &a->g->nodes[a->n->src[k]];
}

static int64_t ncols(const VnNode *n) { return vn_node_cols(n); }

/* ---- activations: float32 in and out, computed in double, rounded once ---- */
float vn_ref_act(int act, float x) {
  double v = x;
  switch (act) {
  case VN_ACT_SILU: return (float)(v / (1.0 + exp(-v)));                 /* x * sigmoid(x) */
  case VN_ACT_GELU: return (float)(0.5 * v * (1.0 + erf(v * 0.70710678118654752440))); /* exact (erf) gelu */
  case VN_ACT_GELU_TANH:  /* gelu_pytorch_tanh / gelu_new */
    return (float)(0.5 * v * (1.0 + tanh(0.79788456080286535588 * (v + 0.044715 * v * v * v))));
  case VN_ACT_RELU: return x > 0 ? x : 0.0f;
  case VN_ACT_SIGMOID: return (float)(1.0 / (1.0 + exp(-v)));
  case VN_ACT_TANH: return (float)tanh(v);
  case VN_ACT_SOFTPLUS: return v > 20.0 ? x : (float)log1p(exp(v));     /* torch: beta 1, threshold 20 */
  case VN_ACT_RELU2: { double r = v > 0 ? v : 0; return (float)(r * r); } /* relu(x)^2 */
  default: return x;
  }
}

/* ---- rope angles ----
 * Pair i of a head at position p turns by p * inv_freq[i], the product in
 * float32 (HF: inv_freq @ position_ids in float32); cos and sin are scaled
 * by attn_factor. Dynamic NTK (HF _compute_dynamic_ntk_parameters): for a
 * sequence of seq_len tokens, L = max(seq_len, max_pos),
 *   base' = base * (factor * L / max_pos - (factor - 1)) ^ (dim / (dim - 2)),
 *   inv_freq[i] = 1 / base' ^ (2i / dim),     dim = rot_dim. */
void vn_ref_rope_angles(const VnRope *r, int pos, int seq_len, float *cosv, float *sinv) {
  int half = r->rot_dim / 2;
  float base = 0;
  if (r->dynamic) {
    double L = seq_len > r->dyn_max_pos ? seq_len : r->dyn_max_pos;
    double grow = r->dyn_factor * L / r->dyn_max_pos - (r->dyn_factor - 1);
    base = (float)(r->dyn_base * pow(grow, (double)r->rot_dim / (r->rot_dim - 2)));
  }
  for (int i = 0; i < half; i++) {
    float inv = r->inv_freq[i];
    if (r->long_after && seq_len > r->long_after) inv = r->long_inv_freq[i];  /* LongRoPE */
    if (r->dynamic) inv = (float)(1.0 / pow((double)base, (double)((float)(2 * i) / (float)r->rot_dim)));
    float ang = (float)pos * inv;
    cosv[i] = (float)cos((double)ang) * r->attn_factor;
    sinv[i] = (float)sin((double)ang) * r->attn_factor;
  }
}

/* One head of head_dim values: its first rot_dim turned, the rest copied.
 * Non-interleaved (rotate_half): pair (i, i + rot_dim/2); interleaved:
 * pair (2i, 2i+1). x' = x0 cos - x1 sin, y' = x1 cos + x0 sin. o may be x. */
void vn_ref_rotate_head(float *o, const float *x, const VnRope *r, const float *c, const float *s) {
  float t[MAXHD];
  int half = r->rot_dim / 2;
  memcpy(t, x, (size_t)r->head_dim * sizeof *t);
  for (int i = 0; i < half; i++) {
    int i0 = r->interleaved ? 2 * i : i, i1 = r->interleaved ? 2 * i + 1 : i + half;
    o[i0] = (float)((double)t[i0] * c[i] - (double)t[i1] * s[i]);
    o[i1] = (float)((double)t[i1] * c[i] + (double)t[i0] * s[i]);
  }
  for (int i = r->rot_dim; i < r->head_dim; i++) o[i] = t[i];
}

/* ---- positions: out [T] (int32) = pos + t + offset (p.col0) ---- */
static void ref_positions(const VnRefArgs *a) {
  for (int t = 0; t < a->T; t++) {
    int32_t v = a->pos + t + a->n->p.col0;
    memcpy(a->out + t, &v, sizeof v);
  }
}

/* ---- embed: table [V][H], ids [T] -> out [T][H] = table[id] * scale ---- */
static void ref_embed(const VnRefArgs *a) {
  const VnNode *tb = opnd(a, 0);
  int64_t V = tb->dim[0], H = tb->dim[1];
  float scale = a->n->p.scale != 0 ? a->n->p.scale : 1.0f;
  for (int t = 0; t < a->T; t++) {
    int64_t id = a->ids[t];
    for (int64_t i = 0; i < H; i++)  /* an id outside the table has no row: zeros */
      a->out[t * H + i] = id >= 0 && id < V ? a->in[0][id * H + i] * scale : 0.0f;
  }
}

/* ---- norms: x [T][C], each group of G columns (G = group, or C) on its own;
 * w, b [G] (optional) ---- */
/* x / sqrt(mean(x^2) + eps) * w */
static void ref_rmsnorm(const VnRefArgs *a) {
  int64_t C = ncols(a->n), G = a->n->p.group ? a->n->p.group : C;
  const float *x = a->in[0], *w = a->in[1];
  for (int t = 0; t < a->T; t++)
    for (int64_t g0 = 0; g0 < C; g0 += G) {
      const float *xr = x + t * C + g0;
      double ss = 0;
      for (int64_t i = 0; i < G; i++) ss += (double)xr[i] * xr[i];
      double r = 1.0 / sqrt(ss / (double)G + a->n->p.eps);
      for (int64_t i = 0; i < G; i++) a->out[t * C + g0 + i] = (float)(xr[i] * r * (w ? w[i] : 1.0));
    }
}

/* (x - mean) / sqrt(var + eps) * w + b, var the biased variance */
static void ref_layernorm(const VnRefArgs *a) {
  int64_t C = ncols(a->n), G = a->n->p.group ? a->n->p.group : C;
  const float *x = a->in[0], *w = a->in[1], *b = a->in[2];
  for (int t = 0; t < a->T; t++)
    for (int64_t g0 = 0; g0 < C; g0 += G) {
      const float *xr = x + t * C + g0;
      double s = 0, ss = 0;
      for (int64_t i = 0; i < G; i++) s += xr[i];
      double mean = s / (double)G;
      for (int64_t i = 0; i < G; i++) ss += (xr[i] - mean) * (xr[i] - mean);
      double r = 1.0 / sqrt(ss / (double)G + a->n->p.eps);
      for (int64_t i = 0; i < G; i++)
        a->out[t * C + g0 + i] = (float)((xr[i] - mean) * r * (w ? w[i] : 1.0) + (b ? b[i] : 0.0));
    }
}

/* ---- matmul: x [T][K], W [N][K], bias [N], res [T][Nout] ->
 * out [T][Nout] = res + scale * act(x W^T + bias), scale 0 meaning 1.
 * glu: W rows are (gate, up) pairs 2c, 2c+1 and Nout = N/2:
 * out[c] = res + scale * act(gate_c) * up_c. ---- */
/* x rounded to bfloat16 (nearest, ties to even) */
static float bf16_round(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  memcpy(&x, &u, 4);
  return x;
}

static double dot_row(const float *x, const float *w, int64_t K) {
  double s = 0;
  for (int64_t k = 0; k < K; k++) s += (double)x[k] * w[k];
  return s;
}

static void ref_matmul(const VnRefArgs *a) {
  const VnNode *w = opnd(a, 1);
  const VnParams *p = &a->n->p;
  int64_t N = w->dim[0], K = w->dim[1], Nout = p->glu ? N / 2 : N;
  const float *x = a->in[0], *W = a->in[1], *bias = a->in[2], *res = a->in[3];
  double scale = p->scale != 0 ? p->scale : 1.0;
  for (int t = 0; t < a->T; t++)
    for (int64_t c = 0; c < Nout; c++) {
      double y;
      if (p->glu) {
        double g = dot_row(x + t * K, W + (2 * c) * K, K) + (bias ? bias[2 * c] : 0);
        double u = dot_row(x + t * K, W + (2 * c + 1) * K, K) + (bias ? bias[2 * c + 1] : 0);
        y = (double)vn_ref_act(p->act, (float)g) * u;
      } else {
        y = dot_row(x + t * K, W + c * K, K) + (bias ? bias[c] : 0);
        y = vn_ref_act(p->act, (float)y);
      }
      y *= scale;
      if (res) y += res[t * Nout + c];
      a->out[t * Nout + c] = (float)y;
    }
}

/* ---- rope: x [T][C], C = heads * head_dim; every head of row t turned by
 * the angles of position pos + t (rope table p.rope) ---- */
static void ref_rope(const VnRefArgs *a) {
  const VnRope *r = &a->g->ropes[a->n->p.rope];
  int64_t C = ncols(a->n);
  float c[MAXHD / 2], s[MAXHD / 2];
  for (int t = 0; t < a->T; t++) {
    vn_ref_rope_angles(r, a->pos + t, a->pos + a->T, c, s);
    for (int64_t h = 0; h < C; h += r->head_dim) vn_ref_rotate_head(a->out + t * C + h, a->in[0] + t * C + h, r, c, s);
  }
}

/* ---- attention ----
 * q [T][H*hd], k [T][KV*hd], v [T][KV*vd], caches kc [ctx][KV*hd] and
 * vc [ctx][KV*vd] -> out [T][H*vd]. First rows pos..pos+T-1 of the caches
 * get this step's k (turned by the fused rope, p.rope = table + 1) and v.
 * Query head h reads kv head h / (H/KV) (GQA). The query of row t, at
 * position P = pos + t (turned by the same rope), sees key j < pos + T iff
 *   causal: j <= P, and P - j < window when window > 0;
 *   bidirectional: |P - j| <= window when window > 0 (HF's bidirectional
 *   sliding-window overlay is inclusive), every key otherwise.
 * Score s = (q . k_j) * scale, soft-capped to cap * tanh(s / cap) when cap > 0,
 * plus slope[h] * j with ALiBi (p.alibi; slopes [H] in n->table; added after
 * the cap, as HF adds its masks); with p.alibi 2 the bias is rounded
 * to bfloat16 and added to q . k before the scale instead;
 * out = softmax(s) . v over the visible keys. */
static void ref_attention(const VnRefArgs *a) {
  const VnParams *p = &a->n->p;
  int H = p->heads, KV = p->kv_heads, hd = p->head_dim, vd = p->v_head_dim ? p->v_head_dim : hd;
  int group = H / KV, L = a->pos + a->T;
  int64_t kw = (int64_t)KV * hd, vw = (int64_t)KV * vd;
  const VnRope *r = p->rope > 0 ? &a->g->ropes[p->rope - 1] : NULL;
  const float *q = a->in[0], *k = a->in[1], *v = a->in[2];
  float *kc = a->in[3], *vc = a->in[4];
  float c[MAXHD / 2], s[MAXHD / 2], qr[MAXHD];
  for (int t = 0; t < a->T; t++) {
    float *kd = kc + (int64_t)(a->pos + t) * kw;
    if (r) {
      vn_ref_rope_angles(r, a->pos + t, L, c, s);
      for (int h = 0; h < KV; h++) vn_ref_rotate_head(kd + (int64_t)h * hd, k + t * kw + (int64_t)h * hd, r, c, s);
    } else {
      memcpy(kd, k + t * kw, (size_t)kw * sizeof *kd);
    }
    memcpy(vc + (int64_t)(a->pos + t) * vw, v + t * vw, (size_t)vw * sizeof *vc);
  }
  double *w = malloc((size_t)L * sizeof *w);
  if (!w) return;
  for (int t = 0; t < a->T; t++) {
    int P = a->pos + t;
    if (r) vn_ref_rope_angles(r, P, L, c, s);
    for (int h = 0; h < H; h++) {
      int kh = h / group;
      const float *qh = q + (int64_t)t * H * hd + (int64_t)h * hd;
      if (r) { vn_ref_rotate_head(qr, qh, r, c, s); qh = qr; }
      double mx = -INFINITY;
      for (int j = 0; j < L; j++) {
        int dist = p->causal ? P - j : abs(P - j);
        if ((p->causal && j > P) || (p->window > 0 && (p->causal ? dist >= p->window : dist > p->window))) { w[j] = NAN; continue; }
        double sc = dot_row(qh, kc + (int64_t)j * kw + (int64_t)kh * hd, hd);
        if (p->alibi == 2) sc += bf16_round(a->n->table[h] * (float)j);
        sc *= p->scale;
        if (p->cap > 0) sc = p->cap * tanh(sc / p->cap);
        if (p->alibi == 1) sc += (double)a->n->table[h] * j;
        w[j] = sc;
        if (sc > mx) mx = sc;
      }
      double sum = 0;
      for (int j = 0; j < L; j++) if (!isnan(w[j])) { w[j] = exp(w[j] - mx); sum += w[j]; }
      float *o = a->out + (int64_t)t * H * vd + (int64_t)h * vd;
      for (int d = 0; d < vd; d++) {
        double acc = 0;
        for (int j = 0; j < L; j++) if (!isnan(w[j])) acc += w[j] * vc[(int64_t)j * vw + (int64_t)kh * vd + d];
        o[d] = (float)(acc / sum);
      }
    }
  }
  free(w);
}

/* ---- elementwise and row ops: x, a [T][C] -> out [T][C] ---- */
static void ref_act(const VnRefArgs *a) {
  int64_t n = (int64_t)a->T * ncols(a->n);
  for (int64_t i = 0; i < n; i++) a->out[i] = vn_ref_act(a->n->p.act, a->in[0][i]);
}

/* b is [T][C], a 1-D weight [C] applied to every row, or a column [T][1]
 * applied to every column */
static void ref_add_mul(const VnRefArgs *a, int mul) {
  int64_t C = ncols(a->n);
  const VnNode *b = opnd(a, 1);
  int col = b->op != VN_OP_WEIGHT && ncols(b) == 1;
  int64_t ldb = b->op == VN_OP_WEIGHT && b->nd == 1 ? 0 : col ? 1 : C;
  for (int t = 0; t < a->T; t++)
    for (int64_t i = 0; i < C; i++) {
      float x = a->in[0][t * C + i], y = a->in[1][t * ldb + (col ? 0 : i)];
      a->out[t * C + i] = mul ? x * y : x + y;
    }
}
static void ref_add(const VnRefArgs *a) { ref_add_mul(a, 0); }
static void ref_mul(const VnRefArgs *a) { ref_add_mul(a, 1); }

/* x [T][2C] -> out [T][C] = act(x[:, :C]) * x[:, C:] */
static void ref_glu(const VnRefArgs *a) {
  int64_t C = ncols(a->n);
  for (int t = 0; t < a->T; t++) {
    const float *x = a->in[0] + t * 2 * C;
    for (int64_t i = 0; i < C; i++) a->out[t * C + i] = (float)((double)vn_ref_act(a->n->p.act, x[i]) * x[C + i]);
  }
}

static void ref_scale(const VnRefArgs *a) {
  int64_t n = (int64_t)a->T * ncols(a->n);
  for (int64_t i = 0; i < n; i++) a->out[i] = a->in[0][i] * a->n->p.scale;
}

/* cap * tanh(x / cap) (logit soft-capping) */
static void ref_softcap(const VnRefArgs *a) {
  int64_t n = (int64_t)a->T * ncols(a->n);
  double cap = a->n->p.cap;
  for (int64_t i = 0; i < n; i++) a->out[i] = (float)(cap * tanh(a->in[0][i] / cap));
}

/* x [T][C] -> out [tout][C]: the last tout rows */
static void ref_last(const VnRefArgs *a) {
  int64_t C = ncols(a->n);
  memcpy(a->out, a->in[0] + (int64_t)(a->T - a->tout) * C, (size_t)(a->tout * C) * sizeof *a->out);
}

static const VnRefFn refs[VN_OP_COUNT] = {
  [VN_OP_POSITIONS] = ref_positions,
  [VN_OP_EMBED] = ref_embed,     [VN_OP_RMSNORM] = ref_rmsnorm, [VN_OP_LAYERNORM] = ref_layernorm,
  [VN_OP_MATMUL] = ref_matmul,   [VN_OP_ROPE] = ref_rope,       [VN_OP_ATTENTION] = ref_attention,
  [VN_OP_ACT] = ref_act,         [VN_OP_ADD] = ref_add,         [VN_OP_MUL] = ref_mul,
  [VN_OP_GLU] = ref_glu,         [VN_OP_SCALE] = ref_scale,     [VN_OP_SOFTCAP] = ref_softcap,
  [VN_OP_LAST] = ref_last,
  [VN_OP_ROUTE] = vn_ref_route,  [VN_OP_MOE] = vn_ref_moe,      [VN_OP_CONV1D] = vn_ref_conv1d,
  [VN_OP_SSM_SCAN] = vn_ref_ssm_scan, [VN_OP_SHIFT] = vn_ref_shift, [VN_OP_WKV] = vn_ref_wkv,
  [VN_OP_MLA] = vn_ref_mla,
};

VnRefFn vn_ref_kernel(VnOp op) { return (unsigned)op < VN_OP_COUNT ? refs[op] : NULL; }
