/* recurrent.c: the ops whose state lives across steps: CONV1D (causal
 * depthwise convolution over time), SSM_SCAN (selective scan), SHIFT (the
 * previous row), WKV (weighted key-value recurrence) and DELTA_RULE (the
 * gated delta rule of linear attention): shape rules,
 * reference kernels, emitters (ops.h).
 *
 * References are written from the ops' definitions (ops.def, graph.h) and
 * what transformers computes, not from runtime/kernels.c; sums,
 * exponentials and recurrences run in double. Fixed-size state ([rows,
 * cols], updated in place) is read only when pos > 0: a step at position 0
 * starts from the definition's initial state whatever the buffer holds;
 * afterwards the buffer holds the state after the step's last row. */
#include "ops.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- conv1d: x [T][C], w [C][K], b [C] (optional), state [K-1][C] ->
 * out [T][C] = act(b[c] + sum_j w[c][j] in[t - (K-1) + j][c]): the input
 * sequence is the state's K-1 rows (the last inputs before the step,
 * oldest first; zeros at position 0) followed by the step's T rows. The
 * state becomes the sequence's last K-1 rows. */
VnStatus vn_shape_conv1d(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0), *b = vn_op_src(g, n, 1), *c = vn_op_src(g, n, 2), *st = vn_op_src(g, n, 3);
  if (!vn_op_is_act(a)) return vn_op_bad(ctx, n, "input must be an activation, got", a);
  if (!b || b->op != VN_OP_WEIGHT || b->nd != 2 || b->dim[0] != a->dim[1]) return vn_op_bad(ctx, n, "weight must be [cols, kernel], got", b);
  if (c && !vn_op_is_vec(c, a->dim[1])) return vn_op_bad(ctx, n, "bias must be a vector of the columns, got", c);
  if (!st || st->op != VN_OP_STATE || st->dim[0] != (b->dim[1] > 1 ? b->dim[1] - 1 : 1) || st->dim[1] != a->dim[1])
    return vn_op_bad(ctx, n, "state must be [kernel-1, cols], got", st);
  if (a->dim[0] != VN_T) return vn_op_bad(ctx, n, "input must have a row per token, got", a);
  vn_op_set2(n, VN_T, a->dim[1]);
  return VN_OK;
}

void vn_ref_conv1d(const VnRefArgs *a) {
  int64_t C = vn_node_cols(a->n);
  int K = (int)vn_op_src(a->g, a->n, 1)->dim[1], S = K - 1;
  const float *x = a->in[0], *w = a->in[1], *b = a->in[2];
  float *st = a->in[3];
  float *seq = vn_op_calloc((size_t)(S + a->T) * (size_t)C, sizeof *seq);  /* [S + T][C] */
  if (!seq) return;
  if (a->pos > 0) memcpy(seq, st, (size_t)S * (size_t)C * sizeof *seq);
  memcpy(seq + (int64_t)S * C, x, (size_t)a->T * (size_t)C * sizeof *seq);
  for (int t = 0; t < a->T; t++)
    for (int64_t c = 0; c < C; c++) {
      double s = b ? b[c] : 0.0;
      for (int j = 0; j < K; j++) s += (double)w[c * K + j] * seq[(int64_t)(t + j) * C + c];
      a->out[(int64_t)t * C + c] = vn_op_activate(a->n->p.act, (float)s);
    }
  memcpy(st, seq + (int64_t)a->T * C, (size_t)S * (size_t)C * sizeof *st);
  free(seq);
}

VnStatus vn_emit_conv1d(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  const VnNode *w = &g->nodes[n->src[1]];
  vn_buf_printf(b, "  vn_k_conv1d(rt, out, " VN_IN(0) ", %lld, " VN_IN(1) ", " VN_IN(2) ", (float *)in3, T, pos, %lld, %lld, %s);\n",
                (long long)vn_op_ld(g, n, 0), (long long)vn_node_cols(n), (long long)w->dim[1], vn_op_act_c(n->p.act));
  return VN_OK;
}

/* ---- conv: x [T][g*Cin] (g frames of Cin a row, frame f = row f / g,
 * part f % g), w [Cout][k][Cin], b [Cout] (optional) -> out [T][(g/s)*Cout]
 * with s = p.stride: output frame o = act(b + sum_j w[.][j] . frame(o*s -
 * k/2 + j)), frames outside [0, T*g) zero (torch's Conv1d, padding k/2). */
VnStatus vn_shape_conv(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0), *w = vn_op_src(g, n, 1), *c = vn_op_src(g, n, 2);
  if (!vn_op_is_act(a) || a->dim[0] != VN_T) return vn_op_bad(ctx, n, "input must be an activation [T, frames*channels], got", a);
  if (!w || w->op != VN_OP_WEIGHT || w->nd != 3) return vn_op_bad(ctx, n, "weight must be [out, kernel, in], got", w);
  int64_t cin = w->dim[2], s = n->p.stride;
  if (s < 1 || a->dim[1] % cin || (a->dim[1] / cin) % s)
    return vn_op_bad(ctx, n, "input must hold whole frames of the weight's channels, a multiple of the stride a row; got", a);
  if (c && !vn_op_is_vec(c, w->dim[0])) return vn_op_bad(ctx, n, "bias must be a vector of the output channels, got", c);
  vn_op_set2(n, VN_T, a->dim[1] / cin / s * w->dim[0]);
  return VN_OK;
}

void vn_ref_conv(const VnRefArgs *a) {
  const VnNode *wn = vn_op_src(a->g, a->n, 1);
  int64_t cout = wn->dim[0], K = wn->dim[1], cin = wn->dim[2], s = a->n->p.stride;
  int64_t gin = vn_node_cols(vn_op_src(a->g, a->n, 0)) / cin, F = a->T * gin, nout = F / s;
  const float *x = a->in[0], *w = a->in[1], *b = a->in[2];
  for (int64_t o = 0; o < nout; o++)
    for (int64_t c = 0; c < cout; c++) {
      double acc = b ? b[c] : 0.0;
      for (int64_t j = 0; j < K; j++) {
        int64_t f = o * s - K / 2 + j;
        if (f < 0 || f >= F) continue;
        acc += vn_op_dot(w + (c * K + j) * cin, x + f * cin, cin);
      }
      a->out[o * cout + c] = vn_op_activate(a->n->p.act, (float)acc);
    }
}

VnStatus vn_emit_conv(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  const VnNode *w = &g->nodes[n->src[1]];
  vn_buf_printf(b, "  vn_k_conv(rt, out, " VN_IN(0) ", %lld, " VN_IN(1) ", " VN_IN(2) ", T, %lld, %lld, %lld, %lld, %d, %s);\n",
                (long long)vn_op_ld(g, n, 0), (long long)vn_node_cols(vn_op_src(g, n, 0)), (long long)w->dim[0],
                (long long)w->dim[1], (long long)w->dim[2], n->p.stride, vn_op_act_c(n->p.act));
  return VN_OK;
}

/* ---- ssm_scan: x [T][H*P], dt [T][H], A [H] or [H][N], B, C [T][G*N],
 * D [H] (optional), dt_bias [H] (optional), state [H*P][N] -> y [T][H*P].
 * Channel c belongs to head h = c / P, head h to group g = h / (H/G).
 * d = dt[t][h] + dt_bias[h]; softplus(d) when p.softplus (torch: threshold
 * 20); clamped to [p.lo, p.hi] (no upper bound when p.hi is 0). Then
 *   state[c][n] = exp(d a) state[c][n] + d B[t][gN + n] x[t][c],  a = A[h] or A[h][n],
 *   y[t][c] = sum_n C[t][gN + n] state[c][n] + D[h] x[t][c].
 * The state starts from zero at position 0. This is the recurrence; the
 * kernel's chunked form (p.chunk) must agree with it. */
VnStatus vn_shape_ssm_scan(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0), *b = vn_op_src(g, n, 1), *c = vn_op_src(g, n, 2), *d = vn_op_src(g, n, 3);
  const VnNode *D = vn_op_src(g, n, 5), *db = vn_op_src(g, n, 6), *st = vn_op_src(g, n, 7);
  int64_t H = n->p.heads, G = n->p.groups ? n->p.groups : 1;
  if (!vn_op_is_act(a) || a->dim[0] != VN_T || H < 1 || a->dim[1] % H) return vn_op_bad(ctx, n, "x must be [T, heads*head_dim], got", a);
  if (!vn_op_is_act(b) || b->dim[1] != H) return vn_op_bad(ctx, n, "dt must be [T, heads], got", b);
  if (!vn_op_is_act(d) || d->dim[1] % G) return vn_op_bad(ctx, n, "B must be [T, groups*state], got", d);
  int64_t N = d->dim[1] / G;
  const VnNode *C = vn_op_src(g, n, 4);
  if (!vn_op_is_act(C) || C->dim[1] != d->dim[1]) return vn_op_bad(ctx, n, "C must be shaped as B, got", C);
  if (!c || c->op != VN_OP_WEIGHT || !(vn_op_is_vec(c, H) || (c->nd == 2 && c->dim[0] == H && c->dim[1] == N)))
    return vn_op_bad(ctx, n, "A must be a weight [heads] or [heads, state], got", c);
  if (H % G) return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "ssm_scan: %lld groups must divide %lld heads", (long long)G, (long long)H);
  if (D && !vn_op_is_vec(D, H)) return vn_op_bad(ctx, n, "D must be a vector of the heads, got", D);
  if (db && !vn_op_is_vec(db, H)) return vn_op_bad(ctx, n, "dt_bias must be a vector of the heads, got", db);
  if (!st || st->op != VN_OP_STATE || st->dim[0] != a->dim[1] || st->dim[1] != N)
    return vn_op_bad(ctx, n, "state must be [heads*head_dim, state], got", st);
  vn_op_set2(n, VN_T, a->dim[1]);
  return VN_OK;
}

void vn_ref_ssm_scan(const VnRefArgs *a) {
  const VnParams *p = &a->n->p;
  const VnNode *An = vn_op_src(a->g, a->n, 2);
  int64_t DI = vn_node_cols(a->n), H = p->heads, P = DI / H, G = p->groups ? p->groups : 1;
  int64_t GN = vn_node_cols(vn_op_src(a->g, a->n, 3)), N = GN / G, hpg = H / G;
  int per_state = An->nd == 2;
  const float *x = a->in[0], *dt = a->in[1], *A = a->in[2], *B = a->in[3], *Cm = a->in[4];
  const float *Dk = a->in[5], *db = a->in[6];
  float *st = a->in[7];
  double *h = vn_op_calloc((size_t)(DI * N), sizeof *h);  /* [H*P][N] */
  if (!h) return;
  if (a->pos > 0)
    for (int64_t i = 0; i < DI * N; i++) h[i] = st[i];
  for (int t = 0; t < a->T; t++)
    for (int64_t hd = 0; hd < H; hd++) {
      double d = (double)dt[(int64_t)t * H + hd] + (db ? db[hd] : 0.0);
      if (p->softplus) d = d > 20.0 ? d : log1p(exp(d));
      if (d < p->lo) d = p->lo;
      if (p->hi > 0 && d > p->hi) d = p->hi;
      const float *bv = B + (int64_t)t * GN + (hd / hpg) * N, *cv = Cm + (int64_t)t * GN + (hd / hpg) * N;
      for (int64_t c = hd * P; c < (hd + 1) * P; c++) {
        double xv = x[(int64_t)t * DI + c], y = 0;
        double *hc = h + c * N;
        for (int64_t n = 0; n < N; n++) {
          double av = per_state ? A[hd * N + n] : A[hd];
          hc[n] = exp(d * av) * hc[n] + d * bv[n] * xv;
          y += cv[n] * hc[n];
        }
        if (Dk) y += Dk[hd] * xv;
        a->out[(int64_t)t * DI + c] = (float)y;
      }
    }
  for (int64_t i = 0; i < DI * N; i++) st[i] = (float)h[i];
  free(h);
}

VnStatus vn_emit_ssm_scan(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  const VnParams *p = &n->p;
  const VnNode *A = &g->nodes[n->src[2]], *Bn = &g->nodes[n->src[3]];
  int G = p->groups ? p->groups : 1;
  vn_buf_printf(b, "  vn_k_ssm_scan(rt, out, " VN_IN(0) ", %lld, " VN_IN(1) ", %lld, " VN_IN(2) ", %d, " VN_IN(3) ", %lld, " VN_IN(4)
                ", %lld, " VN_IN(5) ", " VN_IN(6) ", (float *)in7, T, pos, %lld, %d, %d, %lld, %d, %d, ",
                (long long)vn_op_ld(g, n, 0), (long long)vn_op_ld(g, n, 1), A->nd == 2, (long long)vn_op_ld(g, n, 3),
                (long long)vn_op_ld(g, n, 4), (long long)vn_node_cols(n), p->heads, G, (long long)(Bn->dim[1] / G), p->softplus,
                A->nd == 2 ? 0 : p->chunk);
  vn_op_flt(b, p->lo);
  vn_buf_puts(b, ", ");
  vn_op_flt(b, p->hi);
  vn_buf_puts(b, ");\n");
  return VN_OK;
}

/* ---- shift: x [T][C], state [1][C] -> out [T][C]: out[0] = the last row
 * of the step before (the state; zeros at position 0), out[t] = x[t-1];
 * the state becomes x[T-1]. */
VnStatus vn_shape_shift(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0), *b = vn_op_src(g, n, 1);
  if (!vn_op_is_act(a) || a->dim[0] != VN_T) return vn_op_bad(ctx, n, "input must have a row per token, got", a);
  if (!b || b->op != VN_OP_STATE || b->dim[0] != 1 || b->dim[1] != a->dim[1]) return vn_op_bad(ctx, n, "state must be [1, cols], got", b);
  vn_op_set2(n, VN_T, a->dim[1]);
  return VN_OK;
}

void vn_ref_shift(const VnRefArgs *a) {
  int64_t C = vn_node_cols(a->n);
  float *st = a->in[1];
  for (int64_t c = 0; c < C; c++) a->out[c] = a->pos > 0 ? st[c] : 0.0f;
  for (int t = 1; t < a->T; t++) memcpy(a->out + (int64_t)t * C, a->in[0] + (int64_t)(t - 1) * C, (size_t)C * sizeof *st);
  memcpy(st, a->in[0] + (int64_t)(a->T - 1) * C, (size_t)C * sizeof *st);
}

VnStatus vn_emit_shift(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  vn_buf_printf(b, "  vn_k_shift(rt, out, " VN_IN(0) ", %lld, (float *)in1, T, pos, %lld);\n", (long long)vn_op_ld(g, n, 0),
                (long long)vn_node_cols(n));
  return VN_OK;
}

/* ---- wkv: k, v [T][C], decay [C] (as used: -exp(w)), first [C],
 * state [3][C] = num, den, max -> out [T][C]. Per column, from num = den
 * = 0, max = -1e38 at position 0:
 *   m = max(max, k + first),
 *   out = (e^(max-m) num + e^(k+first-m) v) / (e^(max-m) den + e^(k+first-m)),
 *   m2 = max(max + decay, k),
 *   num = e^(max+decay-m2) num + e^(k-m2) v,  den = e^(max+decay-m2) den + e^(k-m2),
 *   max = m2.
 * (num and den are kept scaled by e^-max so that no exp overflows.) */
VnStatus vn_shape_wkv(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0), *b = vn_op_src(g, n, 1), *c = vn_op_src(g, n, 2), *d = vn_op_src(g, n, 3);
  const VnNode *st = vn_op_src(g, n, 4);
  if (!vn_op_is_act(a) || a->dim[0] != VN_T) return vn_op_bad(ctx, n, "k must have a row per token, got", a);
  if (!vn_op_is_act(b) || b->dim[1] != a->dim[1]) return vn_op_bad(ctx, n, "v must be shaped as k, got", b);
  if (!vn_op_is_vec(c, a->dim[1]) || !vn_op_is_vec(d, a->dim[1])) return vn_op_bad(ctx, n, "decay and first must be vectors of the columns", NULL);
  if (!st || st->op != VN_OP_STATE || st->dim[0] != 3 || st->dim[1] != a->dim[1]) return vn_op_bad(ctx, n, "state must be [3, cols], got", st);
  vn_op_set2(n, VN_T, a->dim[1]);
  return VN_OK;
}

void vn_ref_wkv(const VnRefArgs *a) {
  int64_t C = vn_node_cols(a->n);
  const float *k = a->in[0], *v = a->in[1], *decay = a->in[2], *first = a->in[3];
  float *st = a->in[4];
  for (int64_t c = 0; c < C; c++) {
    double num = 0, den = 0, mx = -1e38;
    if (a->pos > 0) { num = st[c]; den = st[C + c]; mx = st[2 * C + c]; }
    for (int t = 0; t < a->T; t++) {
      double kk = k[(int64_t)t * C + c], vv = v[(int64_t)t * C + c], u = kk + first[c];
      double m = mx > u ? mx : u;
      double e1 = exp(mx - m), e2 = exp(u - m);
      a->out[(int64_t)t * C + c] = (float)((e1 * num + e2 * vv) / (e1 * den + e2));
      double w = mx + decay[c], m2 = w > kk ? w : kk;
      e1 = exp(w - m2);
      e2 = exp(kk - m2);
      num = e1 * num + e2 * vv;
      den = e1 * den + e2;
      mx = m2;
    }
    st[c] = (float)num;
    st[C + c] = (float)den;
    st[2 * C + c] = (float)mx;
  }
}

VnStatus vn_emit_wkv(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  vn_buf_printf(b, "  vn_k_wkv(rt, out, " VN_IN(0) ", %lld, " VN_IN(1) ", %lld, " VN_IN(2) ", " VN_IN(3) ", (float *)in4, T, pos, %lld);\n",
                (long long)vn_op_ld(g, n, 0), (long long)vn_op_ld(g, n, 1), (long long)vn_node_cols(n));
  return VN_OK;
}

/* ---- delta_rule: q, k [T][Hk*dk], v [T][Hv*dv], g, beta [T][Hv], state
 * [Hv*dk][dv] -> out [T][Hv*dv] (heads = Hv, kv_heads = Hk, head_dim = dk,
 * v_head_dim = dv). Value head h reads key head h / (Hv/Hk). Per head and
 * token, from S = 0 at position 0: with eps > 0, q and k are first divided
 * by sqrt(sum x^2 + eps) (l2norm); then q times scale and
 *   S = e^g S,  u = beta (v - S^T k),  S = S + k u^T,  out = S^T q
 * (S [dk][dv]; transformers' torch_recurrent_gated_delta_rule). */
VnStatus vn_shape_delta_rule(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnParams *p = &n->p;
  const VnNode *q = vn_op_src(g, n, 0), *k = vn_op_src(g, n, 1), *v = vn_op_src(g, n, 2);
  const VnNode *gg = vn_op_src(g, n, 3), *be = vn_op_src(g, n, 4), *st = vn_op_src(g, n, 5);
  int64_t Hv = p->heads, Hk = p->kv_heads, dk = p->head_dim, dv = p->v_head_dim;
  if (Hv < 1 || Hk < 1 || Hv % Hk || dk < 1 || dv < 1 || dk > VN_REF_MAX_HEAD_DIM || dv > VN_REF_MAX_HEAD_DIM)
    return vn_op_bad(ctx, n, "heads must be a multiple of kv_heads and head dims in [1, 1024]", NULL);
  if (!vn_op_is_act(q) || q->dim[0] != VN_T || q->dim[1] != Hk * dk) return vn_op_bad(ctx, n, "q must be [T, kv_heads*head_dim], got", q);
  if (!vn_op_is_act(k) || k->dim[0] != VN_T || k->dim[1] != Hk * dk) return vn_op_bad(ctx, n, "k must be [T, kv_heads*head_dim], got", k);
  if (!vn_op_is_act(v) || v->dim[0] != VN_T || v->dim[1] != Hv * dv) return vn_op_bad(ctx, n, "v must be [T, heads*v_head_dim], got", v);
  if (!vn_op_is_act(gg) || gg->dim[0] != VN_T || gg->dim[1] != Hv) return vn_op_bad(ctx, n, "g must be [T, heads], got", gg);
  if (!vn_op_is_act(be) || be->dim[0] != VN_T || be->dim[1] != Hv) return vn_op_bad(ctx, n, "beta must be [T, heads], got", be);
  if (!st || st->op != VN_OP_STATE || st->dim[0] != Hv * dk || st->dim[1] != dv)
    return vn_op_bad(ctx, n, "state must be [heads*head_dim, v_head_dim], got", st);
  vn_op_set2(n, VN_T, Hv * dv);
  return VN_OK;
}

void vn_ref_delta_rule(const VnRefArgs *a) {
  const VnParams *p = &a->n->p;
  int Hv = p->heads, Hk = p->kv_heads, dk = p->head_dim, dv = p->v_head_dim, T = a->T;
  const float *Q = a->in[0], *K = a->in[1], *V = a->in[2], *G = a->in[3], *Be = a->in[4];
  float *st = a->in[5];
  double *S = vn_op_calloc((size_t)dk * dv, sizeof *S), *q = vn_op_calloc((size_t)dk, sizeof *q);
  double *k = vn_op_calloc((size_t)dk, sizeof *k), *u = vn_op_calloc((size_t)dv, sizeof *u);
  for (int h = 0; h < Hv; h++) {
    int hk = h / (Hv / Hk);
    float *sh = st + (int64_t)h * dk * dv;
    for (int64_t i = 0; i < (int64_t)dk * dv; i++) S[i] = a->pos > 0 ? sh[i] : 0.0;
    for (int t = 0; t < T; t++) {
      const float *qt = Q + ((int64_t)t * Hk + hk) * dk, *kt = K + ((int64_t)t * Hk + hk) * dk;
      const float *vt = V + ((int64_t)t * Hv + h) * dv;
      double qn = 1, kn = 1;
      if (p->eps > 0) {
        double sq = 0, sk = 0;
        for (int i = 0; i < dk; i++) { sq += (double)qt[i] * qt[i]; sk += (double)kt[i] * kt[i]; }
        qn = 1 / sqrt(sq + p->eps); kn = 1 / sqrt(sk + p->eps);
      }
      for (int i = 0; i < dk; i++) { q[i] = qt[i] * qn * p->scale; k[i] = kt[i] * kn; }
      double decay = exp((double)G[(int64_t)t * Hv + h]), beta = Be[(int64_t)t * Hv + h];
      for (int64_t i = 0; i < (int64_t)dk * dv; i++) S[i] *= decay;
      for (int j = 0; j < dv; j++) {
        double m = 0;
        for (int i = 0; i < dk; i++) m += S[(int64_t)i * dv + j] * k[i];
        u[j] = beta * (vt[j] - m);
      }
      for (int i = 0; i < dk; i++)
        for (int j = 0; j < dv; j++) S[(int64_t)i * dv + j] += k[i] * u[j];
      float *ot = a->out + ((int64_t)t * Hv + h) * dv;
      for (int j = 0; j < dv; j++) {
        double o = 0;
        for (int i = 0; i < dk; i++) o += S[(int64_t)i * dv + j] * q[i];
        ot[j] = (float)o;
      }
    }
    for (int64_t i = 0; i < (int64_t)dk * dv; i++) sh[i] = (float)S[i];
  }
  free(S); free(q); free(k); free(u);
}

VnStatus vn_emit_delta_rule(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  const VnParams *p = &n->p;
  vn_buf_printf(b, "  vn_k_delta_rule(rt, out, " VN_IN(0) ", %lld, " VN_IN(1) ", %lld, " VN_IN(2) ", %lld, " VN_IN(3) ", %lld, "
                VN_IN(4) ", %lld, (float *)in5, T, pos, %d, %d, %d, %d, ",
                (long long)vn_op_ld(g, n, 0), (long long)vn_op_ld(g, n, 1), (long long)vn_op_ld(g, n, 2),
                (long long)vn_op_ld(g, n, 3), (long long)vn_op_ld(g, n, 4), p->heads, p->kv_heads, p->head_dim, p->v_head_dim);
  vn_op_flt(b, p->eps);
  vn_buf_puts(b, ", ");
  vn_op_flt(b, p->scale);
  vn_buf_puts(b, ");\n");
  return VN_OK;
}
