/* attention.c: ROPE, ATTENTION and MLA (attention over a cached latent),
 * with the rotary angles they share: shape rules, reference kernels,
 * emitters (ops.h).
 *
 * References are written from the ops' definitions (ops.def, graph.h) and
 * what transformers computes, not from runtime/kernels.c; dot products and
 * softmax run in double. Per-position caches ([ctx, cols]) get rows
 * pos..pos+T-1 and are read up to the query's position. */
#include "ops.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAXHD = VN_REF_MAX_HEAD_DIM };

/* ---- rope angles ----
 * Pair i of a head at position p turns by p * inv_freq[i], the product in
 * float32 (HF: inv_freq @ position_ids in float32); cos and sin are scaled
 * by attn_factor. Dynamic NTK (HF _compute_dynamic_ntk_parameters): for a
 * sequence of seq_len tokens, L = max(seq_len, max_pos),
 *   base' = base * (factor * L / max_pos - (factor - 1)) ^ (dim / (dim - 2)),
 *   inv_freq[i] = 1 / base' ^ (2i / dim),     dim = rot_dim. */
static void rope_angles(const VnRope *r, int pos, int seq_len, float *cosv, float *sinv) {
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
static void rotate_head(float *o, const float *x, const VnRope *r, const float *c, const float *s) {
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

/* ---- rope: x [T][C], C = heads * head_dim; every head of row t turned by
 * the angles of position pos + t (rope table p.rope) ---- */
VnStatus vn_shape_rope(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0);
  if (!vn_op_is_act(a)) return vn_op_bad(ctx, n, "input must be an activation, got", a);
  if (n->p.rope < 0 || n->p.rope >= g->nropes) return vn_internal(ctx, "rope index %d", n->p.rope);
  int hd = g->ropes[n->p.rope].head_dim;
  if (hd <= 0 || a->dim[1] % hd) return vn_op_bad(ctx, n, "head_dim does not divide the columns of", a);
  vn_op_set2(n, a->dim[0], a->dim[1]);
  return VN_OK;
}

void vn_ref_rope(const VnRefArgs *a) {
  const VnRope *r = &a->g->ropes[a->n->p.rope];
  int64_t C = vn_node_cols(a->n);
  float c[MAXHD / 2], s[MAXHD / 2];
  for (int t = 0; t < a->T; t++) {
    rope_angles(r, a->pos + t, a->pos + a->T, c, s);
    for (int64_t h = 0; h < C; h += r->head_dim) rotate_head(a->out + t * C + h, a->in[0] + t * C + h, r, c, s);
  }
}

VnStatus vn_emit_rope(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  vn_buf_printf(b, "  vn_k_rope(rt, out, " VN_IN(0) ", %lld, T, %lld, %d);\n", (long long)vn_op_ld(g, n, 0),
                (long long)vn_node_cols(n), n->p.rope);
  return VN_OK;
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
 * out = softmax(s) . v over the visible keys; with sinks (in5, [H]) the
 * softmax also takes sinks[h] as one more logit whose value is dropped:
 * out = sum_j exp(s_j) v_j / (sum_j exp(s_j) + exp(sinks[h])).
 * Relative position bias (p.rel_buckets, table in6 [buckets][H]): s += table[bucket(j - P)][h],
 * bidirectional buckets when not causal (rel_bucket below).
 * Without caches (in3, in4 absent; bidirectional, no rope) nothing is
 * stored: the keys are the rows of k and v themselves, the step's T rows,
 * or with p.cross the encoder's enc_len rows (the cross attention of an
 * encoder-decoder, k and v computed once by the encoder). */
VnStatus vn_shape_attention(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0), *b = vn_op_src(g, n, 1), *c = vn_op_src(g, n, 2), *d = vn_op_src(g, n, 3);
  const VnNode *e = vn_op_src(g, n, 4), *rb = vn_op_src(g, n, 6);
  int H = n->p.heads, KV = n->p.kv_heads, hd = n->p.head_dim, vd = n->p.v_head_dim ? n->p.v_head_dim : hd;
  if (H <= 0 || KV <= 0 || hd <= 0 || H % KV)
    return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "attention: heads %d must be a positive multiple of kv_heads %d (head_dim %d)", H, KV, hd);
  if (!vn_op_is_act(a) || a->dim[1] != (int64_t)H * hd) return vn_op_bad(ctx, n, "q must be [T, heads*head_dim], got", a);
  if (!vn_op_is_act(b) || b->dim[1] != (int64_t)KV * hd) return vn_op_bad(ctx, n, "k must be [T, kv_heads*head_dim], got", b);
  if (!vn_op_is_act(c) || c->dim[1] != (int64_t)KV * vd) return vn_op_bad(ctx, n, "v must be [T, kv_heads*v_head_dim], got", c);
  if (!d != !e) return vn_op_bad(ctx, n, "needs both caches or neither", NULL);
  if (d) {
    if (d->op != VN_OP_STATE || d->dim[1] != (int64_t)KV * hd) return vn_op_bad(ctx, n, "k cache must be state [CTX, kv_heads*head_dim], got", d);
    if (e->op != VN_OP_STATE || e->dim[1] != (int64_t)KV * vd) return vn_op_bad(ctx, n, "v cache must be state [CTX, kv_heads*v_head_dim], got", e);
    if (n->p.cross) return vn_op_bad(ctx, n, "cross attention reads the encoder's rows, not a cache", NULL);
  } else if (n->p.causal || n->p.rope || n->p.window || n->p.alibi) {
    return vn_op_bad(ctx, n, "attention without caches is bidirectional, without rope, window or alibi", NULL);
  }
  if (a->dim[0] != VN_T) return vn_op_bad(ctx, n, "q must have a row per token, got", a);
  if (n->p.alibi && n->ntable != H) return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "attention: alibi needs %d slopes", H);
  const VnNode *sk = vn_op_src(g, n, 5);
  if (sk && !vn_op_is_vec(sk, H)) return vn_op_bad(ctx, n, "sinks must be a vector of the heads, got", sk);
  if (!rb != !n->p.rel_buckets || (rb && (rb->op != VN_OP_WEIGHT || rb->nd != 2 || rb->dim[0] != n->p.rel_buckets || rb->dim[1] != H)))
    return vn_op_bad(ctx, n, "relative position bias must be a weight [buckets, heads], got", rb);
  if (rb && (n->p.cross || n->p.rel_buckets < 2 || n->p.rel_max <= n->p.rel_buckets / (n->p.causal ? 2 : 4)))
    return vn_op_bad(ctx, n, "relative position bias needs buckets >= 2, max_distance above the exact buckets (buckets/2 causal, "
                     "buckets/4 bidirectional), no cross", NULL);
  vn_op_set2(n, VN_T, (int64_t)H * vd);
  return VN_OK;
}

/* The bucket of relative position rel = key - query (HF
 * _relative_position_bucket, in float32 as torch computes it):
 * bidirectional: half the buckets for rel > 0; |rel| below half of the
 * buckets (of the half) exact, above that logarithmic up to max_dist,
 * the last bucket beyond; unidirectional: -min(rel, 0) likewise. */
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

/* x rounded to bfloat16 (nearest, ties to even) */
static float bf16_round(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  memcpy(&x, &u, 4);
  return x;
}

/* the step's k (turned when r) and v into rows pos..pos+T-1 of the caches */
static void attention_store(const VnRefArgs *a, const VnRope *r, int64_t kw, int64_t vw) {
  const VnParams *p = &a->n->p;
  float c[MAXHD / 2], s[MAXHD / 2];
  for (int t = 0; t < a->T; t++) {
    float *kd = a->in[3] + (int64_t)(a->pos + t) * kw;
    if (r) {
      rope_angles(r, a->pos + t, a->pos + a->T, c, s);
      for (int h = 0; h < p->kv_heads; h++)
        rotate_head(kd + (int64_t)h * p->head_dim, a->in[1] + t * kw + (int64_t)h * p->head_dim, r, c, s);
    } else {
      memcpy(kd, a->in[1] + t * kw, (size_t)kw * sizeof *kd);
    }
    memcpy(a->in[4] + (int64_t)(a->pos + t) * vw, a->in[2] + t * vw, (size_t)vw * sizeof *a->in[4]);
  }
}

void vn_ref_attention(const VnRefArgs *a) {
  const VnParams *p = &a->n->p;
  int H = p->heads, KV = p->kv_heads, hd = p->head_dim, vd = p->v_head_dim ? p->v_head_dim : hd;
  int group = H / KV, L = a->pos + a->T;
  int64_t kw = (int64_t)KV * hd, vw = (int64_t)KV * vd, ldk = kw, ldv = vw;
  const VnRope *r = p->rope > 0 ? &a->g->ropes[p->rope - 1] : NULL;
  const float *q = a->in[0];
  const float *kc = a->in[3], *vc = a->in[4], *relb = a->in[6];
  float c[MAXHD / 2], s[MAXHD / 2], qr[MAXHD];
  if (kc) attention_store(a, r, kw, vw);
  else {  /* no caches: the keys are k's rows (the encoder's with cross) */
    kc = a->in[1];
    vc = a->in[2];
    L = p->cross ? a->enc_len : a->T;
  }
  double *w = malloc((size_t)L * sizeof *w);
  if (!w) return;
  for (int t = 0; t < a->T; t++) {
    int P = a->pos + t;
    if (r) rope_angles(r, P, L, c, s);
    for (int h = 0; h < H; h++) {
      int kh = h / group;
      const float *qh = q + (int64_t)t * H * hd + (int64_t)h * hd;
      if (r) { rotate_head(qr, qh, r, c, s); qh = qr; }
      double mx = -INFINITY;
      for (int j = 0; j < L; j++) {
        int dist = p->causal ? P - j : abs(P - j);
        if ((p->causal && j > P) || (p->window > 0 && (p->causal ? dist >= p->window : dist > p->window))) { w[j] = NAN; continue; }
        double sc = vn_op_dot(qh, kc + (int64_t)j * ldk + (int64_t)kh * hd, hd);
        if (p->alibi == 2) sc += bf16_round(a->n->table[h] * (float)j);
        sc *= p->scale;
        if (relb) sc += relb[(int64_t)rel_bucket(j - P, !p->causal, p->rel_buckets, p->rel_max) * H + h];
        if (p->cap > 0) sc = p->cap * tanh(sc / p->cap);
        if (p->alibi == 1) sc += (double)a->n->table[h] * j;
        w[j] = sc;
        if (sc > mx) mx = sc;
      }
      const float *sinks = a->in[5];
      if (sinks && sinks[h] > mx) mx = sinks[h];
      double sum = sinks ? exp((double)sinks[h] - mx) : 0;
      for (int j = 0; j < L; j++) if (!isnan(w[j])) { w[j] = exp(w[j] - mx); sum += w[j]; }
      float *o = a->out + (int64_t)t * H * vd + (int64_t)h * vd;
      for (int d = 0; d < vd; d++) {
        double acc = 0;
        for (int j = 0; j < L; j++) if (!isnan(w[j])) acc += w[j] * vc[(int64_t)j * ldv + (int64_t)kh * vd + d];
        o[d] = (float)(acc / sum);
      }
    }
  }
  free(w);
}

VnStatus vn_emit_attention(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  const VnParams *p = &n->p;
  if (p->alibi) {
    vn_buf_printf(b, "  static const float slopes[%d] = {", n->ntable);
    vn_op_flts(b, n->table, n->ntable);
    vn_buf_puts(b, "};\n");
  }
  vn_buf_printf(b, "  static const VnAttn a = {%d, %d, %d, %d, %d, %d, ", p->heads, p->kv_heads, p->head_dim,
                p->v_head_dim, p->causal, p->window);
  vn_op_flt(b, p->scale);
  vn_buf_puts(b, ", ");
  vn_op_flt(b, p->cap);
  const VnNode *kc = vn_op_src(g, n, 3);
  vn_buf_printf(b, ", %d, %s, %d, NULL, %d, %d, %d, NULL, %d};\n", p->rope - 1, p->alibi ? "slopes" : "NULL", p->alibi == 2,
                p->cross, p->rel_buckets, p->rel_max, kc && kc->dtype == VN_F16);
  const char *ap = "&a";
  if (n->src[5] != VN_NONE || n->src[6] != VN_NONE) {  /* the sinks and the bias table are weights: known at run time */
    vn_buf_puts(b, "  VnAttn as = a;\n");
    if (n->src[5] != VN_NONE) vn_buf_puts(b, "  as.sinks = " VN_IN(5) ";\n");
    if (n->src[6] != VN_NONE) vn_buf_puts(b, "  as.relb = " VN_IN(6) ";\n");
    ap = "&as";
  }
  vn_buf_printf(b, "  vn_k_attention(rt, out, " VN_IN(0) ", %lld, " VN_IN(1) ", %lld, " VN_IN(2) ", %lld, (void *)in3, (void *)in4, T, pos, %s);\n",
                (long long)vn_op_ld(g, n, 0), (long long)vn_op_ld(g, n, 1), (long long)vn_op_ld(g, n, 2), ap);
  return VN_OK;
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
VnStatus vn_shape_mla(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0), *b = vn_op_src(g, n, 1), *c = vn_op_src(g, n, 2), *d = vn_op_src(g, n, 3);
  const VnNode *kc = vn_op_src(g, n, 4), *pc = vn_op_src(g, n, 5);
  int64_t H = n->p.heads, dn = n->p.head_dim, r = n->p.rope_dim, dv = n->p.v_head_dim;
  if (H < 1 || dn < 1 || r < 0 || dv < 1) return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "mla: heads, head_dim, v_head_dim must be positive");
  if (!vn_op_is_act(a) || a->dim[0] != VN_T || a->dim[1] != H * (dn + r)) return vn_op_bad(ctx, n, "q must be [T, heads*(head_dim+rope_dim)], got", a);
  if (!vn_op_is_act(b) || b->dim[1] > VN_MAX_LATENT) return vn_op_bad(ctx, n, "latent must be [T, rank] (rank at most 1024), got", b);
  if (!vn_op_is_act(c) || c->dim[1] != r) return vn_op_bad(ctx, n, "rope key must be [T, rope_dim], got", c);
  if (!d || d->op != VN_OP_WEIGHT || d->nd != 2 || d->dim[0] != H * (dn + dv) || d->dim[1] != b->dim[1])
    return vn_op_bad(ctx, n, "kv weight must be [heads*(head_dim+v_head_dim), rank], got", d);
  if (!kc || kc->op != VN_OP_STATE || kc->dim[1] != b->dim[1] || !pc || pc->op != VN_OP_STATE || pc->dim[1] != r)
    return vn_op_bad(ctx, n, "caches must be state [CTX, rank] and [CTX, rope_dim]", NULL);
  vn_op_set2(n, VN_T, H * dv);
  return VN_OK;
}

/* the step's latent and (turned) rope key into rows pos..pos+T-1 of the caches */
static void mla_store(const VnRefArgs *a, const VnRope *ro, int64_t L, int r) {
  float cs[MAXHD / 2], sn[MAXHD / 2];
  float *lc = a->in[4], *pc = a->in[5];
  for (int t = 0; t < a->T; t++) {
    int P = a->pos + t;
    memcpy(lc + (int64_t)P * L, a->in[1] + (int64_t)t * L, (size_t)L * sizeof *lc);
    if (r == 0) continue;
    if (ro) {
      rope_angles(ro, P, a->pos + a->T, cs, sn);
      rotate_head(pc + (int64_t)P * r, a->in[2] + (int64_t)t * r, ro, cs, sn);
    } else {
      memcpy(pc + (int64_t)P * r, a->in[2] + (int64_t)t * r, (size_t)r * sizeof *pc);
    }
  }
}

void vn_ref_mla(const VnRefArgs *a) {
  const VnParams *p = &a->n->p;
  int H = p->heads, dn = p->head_dim, r = p->rope_dim, dv = p->v_head_dim;
  int64_t L = vn_node_cols(vn_op_src(a->g, a->n, 1)), qw = (int64_t)H * (dn + r);
  int Lp = a->pos + a->T;  /* positions seen by the step's last row */
  const VnRope *ro = p->rope > 0 ? &a->g->ropes[p->rope - 1] : NULL;
  const float *q = a->in[0], *W = a->in[3];
  const float *lc = a->in[4], *pc = a->in[5];
  float cs[MAXHD / 2], sn[MAXHD / 2], qr[MAXHD];
  mla_store(a, ro, L, r);
  double *K = vn_op_calloc((size_t)Lp * (size_t)dn, sizeof *K), *V = vn_op_calloc((size_t)Lp * (size_t)dv, sizeof *V);
  double *w = vn_op_calloc((size_t)Lp, sizeof *w);
  if (!K || !V || !w) goto done;
  for (int h = 0; h < H; h++) {
    const float *Wk = W + (int64_t)h * (dn + dv) * L, *Wv = Wk + (int64_t)dn * L;
    for (int j = 0; j < Lp; j++) {  /* the head's expanded keys and values */
      for (int d = 0; d < dn; d++) K[(int64_t)j * dn + d] = vn_op_dot(Wk + (int64_t)d * L, lc + (int64_t)j * L, L);
      for (int d = 0; d < dv; d++) V[(int64_t)j * dv + d] = vn_op_dot(Wv + (int64_t)d * L, lc + (int64_t)j * L, L);
    }
    for (int t = 0; t < a->T; t++) {
      int P = a->pos + t;
      const float *qn = q + (int64_t)t * qw + (int64_t)h * (dn + r), *qp = qn + dn;
      if (ro && r) {
        rope_angles(ro, P, Lp, cs, sn);
        rotate_head(qr, qp, ro, cs, sn);
        qp = qr;
      }
      double mx = -INFINITY, sum = 0;
      for (int j = 0; j <= P; j++) {
        double s = 0;
        for (int d = 0; d < dn; d++) s += (double)qn[d] * K[(int64_t)j * dn + d];
        s += vn_op_dot(qp, pc + (int64_t)j * r, r);
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

VnStatus vn_emit_mla(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  const VnParams *p = &n->p;
  vn_buf_printf(b, "  static const VnMla a = {%d, %d, %d, %d, %lld, ", p->heads, p->head_dim, p->rope_dim, p->v_head_dim,
                (long long)g->nodes[n->src[1]].dim[1]);
  vn_op_flt(b, p->scale);
  vn_buf_printf(b, ", %d};\n", p->rope - 1);
  vn_buf_printf(b, "  vn_k_mla(rt, out, " VN_IN(0) ", %lld, " VN_IN(1) ", %lld, " VN_IN(2) ", %lld, " VN_IN(3) ", (float *)in4, (float *)in5, T, pos, &a);\n",
                (long long)vn_op_ld(g, n, 0), (long long)vn_op_ld(g, n, 1), (long long)vn_op_ld(g, n, 2));
  return VN_OK;
}
