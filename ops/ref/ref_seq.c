/* ref_seq.c: the scalar references of routing and experts (ROUTE, MOE) and
 * of the ops whose state lives across steps (CONV1D, SSM_SCAN, SHIFT, WKV,
 * MLA); ref.c's refs[] lists them.
 *
 * Written from the ops' definitions (ops.def, ops/shape.c, graph.h) and what
 * transformers computes, not from runtime/kernels.c. As in ref.c, operands
 * are dense row-major float32 and sums, exponentials and recurrences run in
 * double. Fixed-size state ([rows, cols], updated in place) is read only
 * when pos > 0: a step at position 0 starts from the definition's initial
 * state whatever the buffer holds; afterwards the buffer holds the state
 * after the step's last row. Per-position caches ([ctx, cols]) get rows
 * pos..pos+T-1 and are read up to the query's position. */
#include "ops.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAXHD = 1024 };  /* widest head (MLA's rope part) the reference takes */

static const VnNode *opnd(const VnRefArgs *a, int k) {
  return a->n->src[k] == VN_NONE ? NULL : &a->g->nodes[a->n->src[k]];
}

static void *xcalloc(size_t n, size_t sz) { return calloc(n ? n : 1, sz); }

static double dot(const float *x, const float *w, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += (double)x[i] * w[i];
  return s;
}

/* ---- route: logits [T][E], bias [E] (optional) -> out [T][2k] ----
 * p = softmax(logits) (p.route VN_ROUTE_SOFTMAX) or sigmoid(logits)
 * (VN_ROUTE_SIGMOID); the choice score of expert e is s[e] = p[e] + bias[e].
 * With groups > 1 the experts fall in groups of E/groups in order; a group
 * scores the sum of its two largest s (its one s for a group of one
 * expert); the top_groups best groups are kept, and only their experts can
 * be chosen. The k chosen are the k largest s, in decreasing order of s,
 * the lower id first on equal scores (groups alike). out[t] = their ids (as
 * floats), then their weights: p of each (without the bias), divided by the
 * sum of the k under renorm (sigmoid: sum + 1e-20), times scale when it is
 * non-zero. */
static int pick_best(const double *s, const char *ok, int64_t n) {
  int64_t best = -1;
  for (int64_t e = 0; e < n; e++)
    if (ok[e] && (best < 0 || s[e] > s[best])) best = e;  /* strict: the lower id keeps a tie */
  return (int)best;
}

void vn_ref_route(const VnRefArgs *a) {
  const VnParams *p = &a->n->p;
  int64_t E = vn_node_cols(opnd(a, 0));
  int k = p->top_k, G = p->groups > 1 ? p->groups : 1;
  int64_t per = E / G;
  const float *bias = a->in[1];
  double *pr = xcalloc((size_t)E, sizeof *pr), *s = xcalloc((size_t)E, sizeof *s), *gs = xcalloc((size_t)G, sizeof *gs);
  double *w = xcalloc((size_t)k, sizeof *w);
  char *ok = xcalloc((size_t)E, 1), *gok = xcalloc((size_t)G, 1), *keep = xcalloc((size_t)G, 1);
  if (!pr || !s || !gs || !w || !ok || !gok || !keep) goto done;
  for (int t = 0; t < a->T; t++) {
    const float *l = a->in[0] + (int64_t)t * E;
    if (p->route == VN_ROUTE_SOFTMAX) {
      double mx = -INFINITY, sum = 0;
      for (int64_t e = 0; e < E; e++) if (l[e] > mx) mx = l[e];
      for (int64_t e = 0; e < E; e++) sum += pr[e] = exp(l[e] - mx);
      for (int64_t e = 0; e < E; e++) pr[e] /= sum;
    } else {
      for (int64_t e = 0; e < E; e++) pr[e] = 1.0 / (1.0 + exp(-(double)l[e]));
    }
    for (int64_t e = 0; e < E; e++) s[e] = pr[e] + (bias ? bias[e] : 0.0);
    /* groups: score, keep the best top_groups */
    memset(keep, G > 1 ? 0 : 1, (size_t)G);
    if (G > 1) {
      for (int g = 0; g < G; g++) {
        double b1 = -INFINITY, b2 = -INFINITY;
        for (int64_t e = g * per; e < (g + 1) * per; e++) {
          if (s[e] > b1) { b2 = b1; b1 = s[e]; }
          else if (s[e] > b2) b2 = s[e];
        }
        gs[g] = per > 1 ? b1 + b2 : b1;
        gok[g] = 1;
      }
      for (int i = 0; i < p->top_groups && i < G; i++) {
        int g = pick_best(gs, gok, G);
        keep[g] = 1;
        gok[g] = 0;
      }
    }
    for (int64_t e = 0; e < E; e++) ok[e] = keep[e / per];
    float *o = a->out + (int64_t)t * 2 * k;
    double sum = 0;
    for (int j = 0; j < k; j++) {
      int e = pick_best(s, ok, E);
      if (e < 0) { o[j] = -1; w[j] = 0; continue; }  /* fewer experts kept than k: not a model's case */
      ok[e] = 0;
      o[j] = (float)e;
      w[j] = pr[e];
      sum += pr[e];
    }
    for (int j = 0; j < k; j++) {
      double v = w[j];
      if (p->renorm) v /= p->route == VN_ROUTE_SOFTMAX ? sum : sum + 1e-20;
      if (p->scale != 0) v *= p->scale;
      o[k + j] = (float)v;
    }
  }
done:
  free(pr); free(s); free(gs); free(w); free(ok); free(gok); free(keep);
}

/* ---- moe: x [T][H], routes [T][2k] (route's output: k ids, k weights),
 * gate_up [E][2F][H] (rows 2f, 2f+1: gate_f, up_f), down [E][H][F] ->
 * out [T][H] = sum_j w_j down_e h,  h[f] = act(gate_f . x_t) * (up_f . x_t),
 * e = routes[t][j] and w_j = routes[t][k + j]. The act is taken of the
 * float32 gate as ref_matmul does. With a->round_q8, x (for q8_0/q4_0
 * gate_up) and h (for q8_0/q4_0 down) go through q8_0 first. */
static int quantized(const VnNode *w) { return w->dtype == VN_Q8_0 || w->dtype == VN_Q4_0; }

void vn_ref_moe(const VnRefArgs *a) {
  const VnNode *gu = opnd(a, 2), *dn = opnd(a, 3);
  int64_t E = gu->dim[0], F = gu->dim[1] / 2, H = gu->dim[2];
  int k = a->n->p.top_k;
  const float *Wgu = a->in[2], *Wdn = a->in[3];
  int rq_x = a->round_q8 && quantized(gu), rq_h = a->round_q8 && quantized(dn);
  float *xr = xcalloc((size_t)H, sizeof *xr), *hf = xcalloc((size_t)F, sizeof *hf);
  double *h = xcalloc((size_t)F, sizeof *h), *acc = xcalloc((size_t)H, sizeof *acc);
  if (!xr || !hf || !h || !acc) goto done;
  for (int t = 0; t < a->T; t++) {
    memcpy(xr, a->in[0] + (int64_t)t * H, (size_t)H * sizeof *xr);
    if (rq_x) a->round_q8(xr, H);
    const float *rt = a->in[1] + (int64_t)t * 2 * k;
    memset(acc, 0, (size_t)H * sizeof *acc);
    for (int j = 0; j < k; j++) {
      int64_t e = (int64_t)rt[j];
      if (e < 0 || e >= E) continue;  /* no such expert: no contribution */
      const float *ge = Wgu + e * 2 * F * H, *de = Wdn + e * H * F;
      for (int64_t f = 0; f < F; f++) {
        double g = dot(xr, ge + (2 * f) * H, H), u = dot(xr, ge + (2 * f + 1) * H, H);
        h[f] = (double)vn_ref_act(a->n->p.act, (float)g) * u;
      }
      const float *hv = NULL;
      if (rq_h) {
        for (int64_t f = 0; f < F; f++) hf[f] = (float)h[f];
        a->round_q8(hf, F);
        hv = hf;
      }
      for (int64_t i = 0; i < H; i++) {
        double y = 0;
        for (int64_t f = 0; f < F; f++) y += (double)de[i * F + f] * (hv ? hv[f] : h[f]);
        acc[i] += (double)rt[k + j] * y;
      }
    }
    for (int64_t i = 0; i < H; i++) a->out[(int64_t)t * H + i] = (float)acc[i];
  }
done:
  free(xr); free(hf); free(h); free(acc);
}

/* ---- conv1d: x [T][C], w [C][K], b [C] (optional), state [K-1][C] ->
 * out [T][C] = act(b[c] + sum_j w[c][j] in[t - (K-1) + j][c]): the input
 * sequence is the state's K-1 rows (the last inputs before the step,
 * oldest first; zeros at position 0) followed by the step's T rows. The
 * state becomes the sequence's last K-1 rows. */
void vn_ref_conv1d(const VnRefArgs *a) {
  int64_t C = vn_node_cols(a->n);
  int K = (int)opnd(a, 1)->dim[1], S = K - 1;
  const float *x = a->in[0], *w = a->in[1], *b = a->in[2];
  float *st = a->in[3];
  float *seq = xcalloc((size_t)(S + a->T) * (size_t)C, sizeof *seq);  /* [S + T][C] */
  if (!seq) return;
  if (a->pos > 0) memcpy(seq, st, (size_t)S * (size_t)C * sizeof *seq);
  memcpy(seq + (int64_t)S * C, x, (size_t)a->T * (size_t)C * sizeof *seq);
  for (int t = 0; t < a->T; t++)
    for (int64_t c = 0; c < C; c++) {
      double s = b ? b[c] : 0.0;
      for (int j = 0; j < K; j++) s += (double)w[c * K + j] * seq[(int64_t)(t + j) * C + c];
      a->out[(int64_t)t * C + c] = vn_ref_act(a->n->p.act, (float)s);
    }
  memcpy(st, seq + (int64_t)a->T * C, (size_t)S * (size_t)C * sizeof *st);
  free(seq);
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
void vn_ref_ssm_scan(const VnRefArgs *a) {
  const VnParams *p = &a->n->p;
  const VnNode *An = opnd(a, 2);
  int64_t DI = vn_node_cols(a->n), H = p->heads, P = DI / H, G = p->groups ? p->groups : 1;
  int64_t GN = vn_node_cols(opnd(a, 3)), N = GN / G, hpg = H / G;
  int per_state = An->nd == 2;
  const float *x = a->in[0], *dt = a->in[1], *A = a->in[2], *B = a->in[3], *Cm = a->in[4];
  const float *Dk = a->in[5], *db = a->in[6];
  float *st = a->in[7];
  double *h = xcalloc((size_t)(DI * N), sizeof *h);  /* [H*P][N] */
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

/* ---- shift: x [T][C], state [1][C] -> out [T][C]: out[0] = the last row
 * of the step before (the state; zeros at position 0), out[t] = x[t-1];
 * the state becomes x[T-1]. */
void vn_ref_shift(const VnRefArgs *a) {
  int64_t C = vn_node_cols(a->n);
  float *st = a->in[1];
  for (int64_t c = 0; c < C; c++) a->out[c] = a->pos > 0 ? st[c] : 0.0f;
  for (int t = 1; t < a->T; t++) memcpy(a->out + (int64_t)t * C, a->in[0] + (int64_t)(t - 1) * C, (size_t)C * sizeof *st);
  memcpy(st, a->in[0] + (int64_t)(a->T - 1) * C, (size_t)C * sizeof *st);
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

/* ---- mla: q [T][H*(dn+r)], latent [T][L], rope_key [T][r],
 * W [H*(dn+dv)][L], latent cache [ctx][L], rope cache [ctx][r] ->
 * out [T][H*dv]. Rows pos..pos+T-1 of the caches get the step's latent and
 * rope key (the key turned by rope table p.rope-1 at its position when
 * p.rope > 0). Head h's rows of W are W_k (dn rows) then W_v (dv rows);
 * its key for position j is [W_k latent_j ; rope_j], its value W_v
 * latent_j, expanded here as standard attention does. The query of row t
 * (position P = pos + t) is [q_nope ; q_rope turned at P]; it sees keys
 * j <= P with scores (q_nope . W_k latent_j + q_rope . rope_j) * scale and
 * returns softmax . values. */
void vn_ref_mla(const VnRefArgs *a) {
  const VnParams *p = &a->n->p;
  int H = p->heads, dn = p->head_dim, r = p->rope_dim, dv = p->v_head_dim;
  int64_t L = vn_node_cols(opnd(a, 1)), qw = (int64_t)H * (dn + r);
  int Lp = a->pos + a->T;  /* positions seen by the step's last row */
  const VnRope *ro = p->rope > 0 ? &a->g->ropes[p->rope - 1] : NULL;
  const float *q = a->in[0], *lat = a->in[1], *kpe = a->in[2], *W = a->in[3];
  float *lc = a->in[4], *pc = a->in[5];
  float cs[MAXHD / 2], sn[MAXHD / 2], qr[MAXHD];
  for (int t = 0; t < a->T; t++) {
    int P = a->pos + t;
    memcpy(lc + (int64_t)P * L, lat + (int64_t)t * L, (size_t)L * sizeof *lc);
    if (r == 0) continue;
    if (ro) {
      vn_ref_rope_angles(ro, P, Lp, cs, sn);
      vn_ref_rotate_head(pc + (int64_t)P * r, kpe + (int64_t)t * r, ro, cs, sn);
    } else {
      memcpy(pc + (int64_t)P * r, kpe + (int64_t)t * r, (size_t)r * sizeof *pc);
    }
  }
  double *K = xcalloc((size_t)Lp * (size_t)dn, sizeof *K), *V = xcalloc((size_t)Lp * (size_t)dv, sizeof *V);
  double *w = xcalloc((size_t)Lp, sizeof *w);
  if (!K || !V || !w) goto done;
  for (int h = 0; h < H; h++) {
    const float *Wk = W + (int64_t)h * (dn + dv) * L, *Wv = Wk + (int64_t)dn * L;
    for (int j = 0; j < Lp; j++) {  /* the head's expanded keys and values */
      for (int d = 0; d < dn; d++) K[(int64_t)j * dn + d] = dot(Wk + (int64_t)d * L, lc + (int64_t)j * L, L);
      for (int d = 0; d < dv; d++) V[(int64_t)j * dv + d] = dot(Wv + (int64_t)d * L, lc + (int64_t)j * L, L);
    }
    for (int t = 0; t < a->T; t++) {
      int P = a->pos + t;
      const float *qn = q + (int64_t)t * qw + (int64_t)h * (dn + r), *qp = qn + dn;
      if (ro && r) {
        vn_ref_rope_angles(ro, P, Lp, cs, sn);
        vn_ref_rotate_head(qr, qp, ro, cs, sn);
        qp = qr;
      }
      double mx = -INFINITY, sum = 0;
      for (int j = 0; j <= P; j++) {
        double s = 0;
        for (int d = 0; d < dn; d++) s += (double)qn[d] * K[(int64_t)j * dn + d];
        s += dot(qp, pc + (int64_t)j * r, r);
        w[j] = s * p->scale;
        if (w[j] > mx) mx = w[j];
      }
      for (int j = 0; j <= P; j++) sum += w[j] = exp(w[j] - mx);
      float *o = a->out + (int64_t)t * H * dv + (int64_t)h * dv;
      for (int d = 0; d < dv; d++) {
        double acc = 0;
        for (int j = 0; j <= P; j++) acc += w[j] * V[(int64_t)j * dv + d];
        o[d] = (float)(acc / sum);
      }
    }
  }
done:
  free(K); free(V); free(w);
}
