/* moe.c: expert routing (ROUTE) and the mixture of experts (MOE): shape
 * rules, reference kernels, emitters (ops.h). Route's output [T, 2k] (k
 * expert ids, then their k weights) is what moe reads.
 *
 * References are written from the ops' definitions (ops.def, graph.h) and
 * what transformers computes, not from runtime/kernels.c; operands are
 * dense row-major float32 and sums and exponentials run in double. */
#include "ops.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
 * non-zero.
 * Sparsemixer (VN_ROUTE_SPARSEMIXER, at inference; p.eps the
 * jitter eps, no bias, no groups): pick j takes the expert e_j of the
 * largest logit m_j among those not yet picked; the experts e with
 * (m_j - l[e]) / max(|l[e]|, m_j) > 2 eps (in float32, as transformers
 * computes it) and the ones picked before are masked, and its weight is
 * softmax of the unmasked logits at e_j = 1 / sum exp(l[e] - m_j). */
VnStatus vn_shape_route(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0), *b = vn_op_src(g, n, 1);
  if (!vn_op_is_act(a)) return vn_op_bad(ctx, n, "logits must be an activation, got", a);
  int64_t E = a->dim[1];
  if (n->p.top_k < 1 || n->p.top_k > E)
    return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "route: top_k %d must be in [1, %lld experts]", n->p.top_k, (long long)E);
  if (b && !vn_op_is_vec(b, E)) return vn_op_bad(ctx, n, "bias must be a vector of the experts, got", b);
  if (n->p.route == VN_ROUTE_SPARSEMIXER && (b || n->p.groups > 1))
    return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "route: sparsemixer takes no bias and no groups");
  if (n->p.groups && (E % n->p.groups || n->p.top_groups < 1 || n->p.top_groups > n->p.groups))
    return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "route: %d groups must divide %lld experts, keeping 1..groups", n->p.groups, (long long)E);
  vn_op_set2(n, a->dim[0], 2 * (int64_t)n->p.top_k);
  return VN_OK;
}

static int pick_best(const double *s, const char *ok, int64_t n) {
  int64_t best = -1;
  for (int64_t e = 0; e < n; e++)
    if (ok[e] && (best < 0 || s[e] > s[best])) best = e;  /* strict: the lower id keeps a tie */
  return (int)best;
}

/* p [E] of one row of logits l */
static void route_probs(int route, const float *l, int64_t E, double *pr) {
  if (route == VN_ROUTE_SOFTMAX) {
    double mx = -INFINITY, sum = 0;
    for (int64_t e = 0; e < E; e++) if (l[e] > mx) mx = l[e];
    for (int64_t e = 0; e < E; e++) sum += pr[e] = exp(l[e] - mx);
    for (int64_t e = 0; e < E; e++) pr[e] /= sum;
  } else {
    for (int64_t e = 0; e < E; e++) pr[e] = 1.0 / (1.0 + exp(-(double)l[e]));
  }
}

/* keep[G]: the top_groups best of G groups of per experts by score s
 * (gs, gok: scratch [G]); every group when G is 1 */
static void route_groups(const double *s, int G, int64_t per, int top_groups, double *gs, char *gok, char *keep) {
  memset(keep, G > 1 ? 0 : 1, (size_t)G);
  if (G <= 1) return;
  for (int g = 0; g < G; g++) {
    double b1 = -INFINITY, b2 = -INFINITY;
    for (int64_t e = g * per; e < (g + 1) * per; e++) {
      if (s[e] > b1) { b2 = b1; b1 = s[e]; }
      else if (s[e] > b2) b2 = s[e];
    }
    gs[g] = per > 1 ? b1 + b2 : b1;
    gok[g] = 1;
  }
  for (int i = 0; i < top_groups && i < G; i++) {
    int g = pick_best(gs, gok, G);
    keep[g] = 1;
    gok[g] = 0;
  }
}

/* o [2k]: the k best experts of s among ok[], then their weights from pr */
static void route_pick(const VnParams *p, const double *pr, const double *s, char *ok, int64_t E, double *w, float *o) {
  int k = p->top_k;
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

/* sparsemixer's picks of one row of logits l (ok: scratch [E]) into o [2k] */
static void route_sparsemixer(const VnParams *p, const float *l, char *ok, int64_t E, float *o) {
  int k = p->top_k;
  double sum = 0;
  memset(ok, 1, (size_t)E);
  for (int j = 0; j < k; j++) {
    int64_t best = -1;
    for (int64_t e = 0; e < E; e++) if (ok[e] && (best < 0 || l[e] > l[best])) best = e;
    if (best < 0) { o[j] = -1; o[k + j] = 0; continue; }
    float m = l[best];
    double den = 0;
    for (int64_t e = 0; e < E; e++) {
      if (!ok[e]) continue;
      float factor = fabsf(l[e]) > m ? fabsf(l[e]) : m;
      if ((m - l[e]) / factor > 2 * p->eps) continue;  /* masked */
      den += exp((double)l[e] - m);
    }
    ok[best] = 0;
    o[j] = (float)best;
    o[k + j] = (float)(1.0 / den);
    sum += 1.0 / den;
  }
  for (int j = 0; j < k; j++) {
    double v = o[k + j];
    if (p->renorm) v /= sum;
    if (p->scale != 0) v *= p->scale;
    o[k + j] = (float)v;
  }
}

void vn_ref_route(const VnRefArgs *a) {
  const VnParams *p = &a->n->p;
  int64_t E = vn_node_cols(vn_op_src(a->g, a->n, 0));
  int k = p->top_k, G = p->groups > 1 ? p->groups : 1;
  int64_t per = E / G;
  const float *bias = a->in[1];
  double *pr = vn_op_calloc((size_t)E, sizeof *pr), *s = vn_op_calloc((size_t)E, sizeof *s), *gs = vn_op_calloc((size_t)G, sizeof *gs);
  double *w = vn_op_calloc((size_t)k, sizeof *w);
  char *ok = vn_op_calloc((size_t)E, 1), *gok = vn_op_calloc((size_t)G, 1), *keep = vn_op_calloc((size_t)G, 1);
  if (!pr || !s || !gs || !w || !ok || !gok || !keep) goto done;
  for (int t = 0; t < a->T; t++) {
    if (p->route == VN_ROUTE_SPARSEMIXER) {
      route_sparsemixer(p, a->in[0] + (int64_t)t * E, ok, E, a->out + (int64_t)t * 2 * k);
      continue;
    }
    route_probs(p->route, a->in[0] + (int64_t)t * E, E, pr);
    for (int64_t e = 0; e < E; e++) s[e] = pr[e] + (bias ? bias[e] : 0.0);
    route_groups(s, G, per, p->top_groups, gs, gok, keep);
    for (int64_t e = 0; e < E; e++) ok[e] = keep[e / per];
    route_pick(p, pr, s, ok, E, w, a->out + (int64_t)t * 2 * k);
  }
done:
  free(pr); free(s); free(gs); free(w); free(ok); free(gok); free(keep);
}

VnStatus vn_emit_route(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  const VnParams *p = &n->p;
  vn_buf_printf(b, "  vn_k_route(rt, out, " VN_IN(0) ", %lld, " VN_IN(1) ", T, %lld, %d, %d, %d, ", (long long)vn_op_ld(g, n, 0),
                (long long)g->nodes[n->src[0]].dim[1], p->top_k, p->route, p->renorm);
  vn_op_flt(b, p->scale);
  vn_buf_printf(b, ", %d, %d, ", p->groups, p->top_groups);
  vn_op_flt(b, p->eps);
  vn_buf_puts(b, ");\n");
  return VN_OK;
}

/* ---- moe: x [T][H], routes [T][2k] (route's output: k ids, k weights),
 * gate_up [E][2F][H] (rows 2f, 2f+1: gate_f, up_f), down [E][H][F] ->
 * out [T][H] = sum_j w_j down_e h,  h[f] = act(gate_f . x_t) * (up_f . x_t),
 * e = routes[t][j] and w_j = routes[t][k + j]. The act is taken of the
 * float32 gate as vn_ref_matmul does. Optional biases: gate_up_bias
 * [E][2F] (in4, the same (gate, up) pairs) is added to the gate/up
 * products and down_bias [E][H] (in5) to down's. With p.limit > 0 the
 * clamped SwiGLU replaces act(gate) * up: g = min(gate, limit),
 * h = (clamp(up, -limit, limit) + 1) * g * sigmoid(alpha g). With a->round_q8, x (for q8_0/q4_0
 * gate_up) and h (for q8_0/q4_0 down) go through q8_0 first. */
VnStatus vn_shape_moe(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0), *b = vn_op_src(g, n, 1), *c = vn_op_src(g, n, 2), *d = vn_op_src(g, n, 3);
  if (!vn_op_is_act(a)) return vn_op_bad(ctx, n, "input must be an activation, got", a);
  if (!vn_op_is_act(b) || b->dim[1] != 2 * (int64_t)n->p.top_k || b->dim[0] != a->dim[0])
    return vn_op_bad(ctx, n, "routes must be route() of the same rows with the same top_k, got", b);
  if (!c || c->op != VN_OP_WEIGHT || c->nd != 3 || c->dim[2] != a->dim[1] || c->dim[1] % 2)
    return vn_op_bad(ctx, n, "gate/up experts must be a weight [experts, 2*ffn, hidden], got", c);
  if (!d || d->op != VN_OP_WEIGHT || d->nd != 3 || d->dim[0] != c->dim[0] || d->dim[1] != a->dim[1] || d->dim[2] != c->dim[1] / 2)
    return vn_op_bad(ctx, n, "down experts must be a weight [experts, hidden, ffn], got", d);
  const VnNode *bg = vn_op_src(g, n, 4), *bd = vn_op_src(g, n, 5);
  if (bg && (bg->op != VN_OP_WEIGHT || bg->nd != 2 || bg->dim[0] != c->dim[0] || bg->dim[1] != c->dim[1]))
    return vn_op_bad(ctx, n, "gate/up bias must be a weight [experts, 2*ffn], got", bg);
  if (bd && (bd->op != VN_OP_WEIGHT || bd->nd != 2 || bd->dim[0] != c->dim[0] || bd->dim[1] != a->dim[1]))
    return vn_op_bad(ctx, n, "down bias must be a weight [experts, hidden], got", bd);
  vn_op_set2(n, a->dim[0], a->dim[1]);
  return VN_OK;
}

static int quantized(const VnNode *w) { return w->dtype == VN_Q8_0 || w->dtype == VN_Q4_0; }

void vn_ref_moe(const VnRefArgs *a) {
  const VnNode *gu = vn_op_src(a->g, a->n, 2), *dn = vn_op_src(a->g, a->n, 3);
  int64_t E = gu->dim[0], F = gu->dim[1] / 2, H = gu->dim[2];
  int k = a->n->p.top_k;
  const float *Wgu = a->in[2], *Wdn = a->in[3], *bgu = a->in[4], *bdn = a->in[5];
  const VnParams *p = &a->n->p;
  int rq_x = a->round_q8 && quantized(gu), rq_h = a->round_q8 && quantized(dn);
  float *xr = vn_op_calloc((size_t)H, sizeof *xr), *hf = vn_op_calloc((size_t)F, sizeof *hf);
  double *h = vn_op_calloc((size_t)F, sizeof *h), *acc = vn_op_calloc((size_t)H, sizeof *acc);
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
        double g = vn_op_dot(xr, ge + (2 * f) * H, H), u = vn_op_dot(xr, ge + (2 * f + 1) * H, H);
        if (bgu) { g += bgu[e * 2 * F + 2 * f]; u += bgu[e * 2 * F + 2 * f + 1]; }
        if (p->limit > 0) {  /* clamped SwiGLU */
          float gf = (float)g < p->limit ? (float)g : p->limit;
          double uc = u < -p->limit ? -p->limit : u > p->limit ? p->limit : u;
          h[f] = (uc + 1) * gf / (1 + exp(-(double)p->alpha * gf));
        } else {
          h[f] = (double)vn_op_activate(p->act, (float)g) * u;
        }
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
        if (bdn) y += bdn[e * H + i];
        acc[i] += (double)rt[k + j] * y;
      }
    }
    for (int64_t i = 0; i < H; i++) a->out[(int64_t)t * H + i] = (float)acc[i];
  }
done:
  free(xr); free(hf); free(h); free(acc);
}

VnStatus vn_emit_moe(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  const VnNode *wg = &g->nodes[n->src[2]], *wd = &g->nodes[n->src[3]];
  vn_buf_printf(b, "  vn_k_moe(rt, out, " VN_IN(0) ", %lld, " VN_IN(1) ", %lld, in2, %s, in3, %s, T, %lld, %lld, %lld, %d, %s, %s, %s, ",
                (long long)vn_op_ld(g, n, 0), (long long)vn_op_ld(g, n, 1), vn_op_dt_c(wg->dtype), vn_op_dt_c(wd->dtype),
                (long long)wg->dim[2], (long long)wd->dim[2], (long long)wg->dim[0], n->p.top_k, vn_op_act_c(n->p.act),
                n->src[4] != VN_NONE ? VN_IN(4) : "NULL", n->src[5] != VN_NONE ? VN_IN(5) : "NULL");
  vn_op_flt(b, n->p.limit);
  vn_buf_puts(b, ", ");
  vn_op_flt(b, n->p.alpha);
  vn_buf_puts(b, ");\n");
  return VN_OK;
}
