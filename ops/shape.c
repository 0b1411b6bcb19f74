/* shape.c: one shape rule per op. A rule checks the operands and sets the
 * result's dtype and dims; a mismatch is a VN_ERR_SHAPE naming the spec line
 * that built the node. Activations are [rows, cols] with rows VN_T or VN_TOUT. */
#include "ops.h"
#include <string.h>

static const VnNode *S(VnGraph *g, const VnNode *n, int k) {
  return n->src[k] == VN_NONE ? NULL : &g->nodes[n->src[k]];
}

static void dims_str(const VnNode *n, char *buf, size_t cap) {
  size_t k = 0;
  k += (size_t)snprintf(buf + k, cap - k, "[");
  for (int i = 0; i < n->nd && k < cap; i++) {
    int64_t d = n->dim[i];
    const char *s = d == VN_T ? "T" : d == VN_TOUT ? "Tout" : d == VN_CTX ? "CTX" : NULL;
    if (s) k += (size_t)snprintf(buf + k, cap - k, "%s%s", i ? "," : "", s);
    else k += (size_t)snprintf(buf + k, cap - k, "%s%lld", i ? "," : "", (long long)d);
  }
  if (k < cap) snprintf(buf + k, cap - k, "]");
}

static VnStatus bad(VnCtx *ctx, const VnNode *n, const char *what, const VnNode *a) {
  char s[96] = "";
  if (a) dims_str(a, s, sizeof s);
  return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "%s: %s%s%s", vn_ops[n->op].name, what, a ? " " : "", s);
}

static int is_act(const VnNode *a) { return a && a->nd == 2 && vn_node_is_act(a) && a->dtype == VN_F32; }
static int is_vec(const VnNode *a, int64_t c) { return a && a->nd == 1 && a->dim[0] == c; }

static void set2(VnNode *n, int64_t rows, int64_t cols) {
  n->nd = 2; n->dim[0] = rows; n->dim[1] = cols; n->dim[2] = n->dim[3] = 0;
  n->dtype = VN_F32;
}

VnStatus vn_op_shape(VnCtx *ctx, VnGraph *g, uint32_t i) {
  VnNode *n = &g->nodes[i];
  const VnNode *a = S(g, n, 0), *b = S(g, n, 1), *c = S(g, n, 2), *d = S(g, n, 3);
  const VnOpInfo *oi = &vn_ops[n->op];
  for (int k = 0; k < oi->nin; k++) {
    char r = oi->operands[k];
    if (r >= 'a' && r <= 'z' && n->src[k] == VN_NONE)
      return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "%s: operand %d is required", oi->name, k + 1);
  }
  switch (n->op) {
  case VN_OP_INPUT:
  case VN_OP_POSITIONS:
    n->nd = 1; n->dim[0] = VN_T; n->dtype = VN_I32;
    return VN_OK;
  case VN_OP_WEIGHT:
  case VN_OP_STATE:
    return VN_OK;  /* set by the builder */
  case VN_OP_VIEW:
    if (!is_act(a)) return bad(ctx, n, "input must be an activation, got", a);
    if (n->p.col0 < 0 || n->dim[1] <= 0 || n->p.col0 + n->dim[1] > a->dim[1])
      return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "view: columns [%d, %lld) outside %lld columns",
                       n->p.col0, (long long)(n->p.col0 + n->dim[1]), (long long)a->dim[1]);
    set2(n, a->dim[0], n->dim[1]);
    return VN_OK;
  case VN_OP_EMBED:
    if (!a || a->nd != 2 || a->op != VN_OP_WEIGHT) return bad(ctx, n, "table must be a 2-D weight, got", a);
    if (!b || b->dtype != VN_I32) return bad(ctx, n, "ids must be token ids", NULL);
    set2(n, VN_T, a->dim[1]);
    if (n->p.scale == 0) n->p.scale = 1;
    return VN_OK;
  case VN_OP_RMSNORM:
  case VN_OP_LAYERNORM: {
    if (!is_act(a)) return bad(ctx, n, "input must be an activation, got", a);
    int64_t gsz = n->p.group ? n->p.group : a->dim[1];
    if (a->dim[1] % gsz) return bad(ctx, n, "group does not divide the columns of", a);
    if (b && !is_vec(b, gsz)) return bad(ctx, n, "weight must be a vector of the group width, got", b);
    if (c && !is_vec(c, gsz)) return bad(ctx, n, "bias must be a vector of the group width, got", c);
    if (n->op == VN_OP_RMSNORM && c) return bad(ctx, n, "takes no bias", NULL);
    set2(n, a->dim[0], a->dim[1]);
    return VN_OK;
  }
  case VN_OP_MATMUL: {
    if (!is_act(a)) return bad(ctx, n, "input must be an activation, got", a);
    if (!b || b->op != VN_OP_WEIGHT || b->nd != 2) return bad(ctx, n, "weight must be a 2-D weight, got", b);
    if (b->dim[1] != a->dim[1]) {
      char s1[96], s2[96];
      dims_str(a, s1, sizeof s1); dims_str(b, s2, sizeof s2);
      return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "matmul: input %s does not fit weight %s (want [rows, %lld])",
                       s1, s2, (long long)b->dim[1]);
    }
    int64_t N = b->dim[0];
    if (c && !is_vec(c, N)) return bad(ctx, n, "bias must be a vector of the weight's rows, got", c);
    if (n->p.glu && N % 2) return bad(ctx, n, "glu needs an even number of weight rows, got", b);
    int64_t out = n->p.glu ? N / 2 : N;
    if (d && (!is_act(d) || d->dim[1] != out || d->dim[0] != a->dim[0]))
      return bad(ctx, n, "residual must match the output, got", d);
    set2(n, a->dim[0], out);
    return VN_OK;
  }
  case VN_OP_ROPE: {
    if (!is_act(a)) return bad(ctx, n, "input must be an activation, got", a);
    if (n->p.rope < 0 || n->p.rope >= g->nropes) return vn_internal(ctx, "rope index %d", n->p.rope);
    int hd = g->ropes[n->p.rope].head_dim;
    if (hd <= 0 || a->dim[1] % hd) return bad(ctx, n, "head_dim does not divide the columns of", a);
    set2(n, a->dim[0], a->dim[1]);
    return VN_OK;
  }
  case VN_OP_ATTENTION: {
    const VnNode *e = S(g, n, 4);
    int H = n->p.heads, KV = n->p.kv_heads, hd = n->p.head_dim, vd = n->p.v_head_dim ? n->p.v_head_dim : hd;
    if (H <= 0 || KV <= 0 || hd <= 0 || H % KV)
      return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "attention: heads %d must be a positive multiple of kv_heads %d (head_dim %d)", H, KV, hd);
    if (!is_act(a) || a->dim[1] != (int64_t)H * hd) return bad(ctx, n, "q must be [T, heads*head_dim], got", a);
    if (!is_act(b) || b->dim[1] != (int64_t)KV * hd) return bad(ctx, n, "k must be [T, kv_heads*head_dim], got", b);
    if (!is_act(c) || c->dim[1] != (int64_t)KV * vd) return bad(ctx, n, "v must be [T, kv_heads*v_head_dim], got", c);
    if (!d || d->op != VN_OP_STATE || d->dim[1] != (int64_t)KV * hd) return bad(ctx, n, "k cache must be state [CTX, kv_heads*head_dim], got", d);
    if (!e || e->op != VN_OP_STATE || e->dim[1] != (int64_t)KV * vd) return bad(ctx, n, "v cache must be state [CTX, kv_heads*v_head_dim], got", e);
    if (a->dim[0] != VN_T) return bad(ctx, n, "q must have a row per token, got", a);
    if (n->p.alibi && n->ntable != H) return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "attention: alibi needs %d slopes", H);
    set2(n, VN_T, (int64_t)H * vd);
    return VN_OK;
  }
  case VN_OP_ACT:
  case VN_OP_SCALE:
  case VN_OP_SOFTCAP:
    if (!is_act(a)) return bad(ctx, n, "input must be an activation, got", a);
    if (n->op == VN_OP_SOFTCAP && n->p.cap <= 0) return bad(ctx, n, "cap must be positive", NULL);
    set2(n, a->dim[0], a->dim[1]);
    return VN_OK;
  case VN_OP_ADD:
  case VN_OP_MUL:
    if (!is_act(a)) return bad(ctx, n, "first operand must be an activation, got", a);
    if (b && b->op == VN_OP_WEIGHT && is_vec(b, a->dim[1])) {  /* a row vector, added to every row */
      set2(n, a->dim[0], a->dim[1]);
      return VN_OK;
    }
    if (is_act(b) && b->dim[0] == a->dim[0] && b->dim[1] == 1) {  /* a column, across every column */
      set2(n, a->dim[0], a->dim[1]);
      return VN_OK;
    }
    if (!is_act(b) || b->dim[0] != a->dim[0] || b->dim[1] != a->dim[1]) {
      char s1[96], s2[96];
      dims_str(a, s1, sizeof s1); dims_str(b, s2, sizeof s2);
      return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "%s: operands %s and %s differ", oi->name, s1, s2);
    }
    set2(n, a->dim[0], a->dim[1]);
    return VN_OK;
  case VN_OP_GLU:
    if (!is_act(a) || a->dim[1] % 2) return bad(ctx, n, "input must be an activation of even width, got", a);
    set2(n, a->dim[0], a->dim[1] / 2);
    return VN_OK;
  case VN_OP_ROUTE: {
    if (!is_act(a)) return bad(ctx, n, "logits must be an activation, got", a);
    int64_t E = a->dim[1];
    if (n->p.top_k < 1 || n->p.top_k > E)
      return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "route: top_k %d must be in [1, %lld experts]", n->p.top_k, (long long)E);
    if (b && !is_vec(b, E)) return bad(ctx, n, "bias must be a vector of the experts, got", b);
    if (n->p.groups && (E % n->p.groups || n->p.top_groups < 1 || n->p.top_groups > n->p.groups))
      return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "route: %d groups must divide %lld experts, keeping 1..groups", n->p.groups, (long long)E);
    set2(n, a->dim[0], 2 * (int64_t)n->p.top_k);
    return VN_OK;
  }
  case VN_OP_MOE: {
    if (!is_act(a)) return bad(ctx, n, "input must be an activation, got", a);
    if (!is_act(b) || b->dim[1] != 2 * (int64_t)n->p.top_k || b->dim[0] != a->dim[0])
      return bad(ctx, n, "routes must be route() of the same rows with the same top_k, got", b);
    if (!c || c->op != VN_OP_WEIGHT || c->nd != 3 || c->dim[2] != a->dim[1] || c->dim[1] % 2)
      return bad(ctx, n, "gate/up experts must be a weight [experts, 2*ffn, hidden], got", c);
    if (!d || d->op != VN_OP_WEIGHT || d->nd != 3 || d->dim[0] != c->dim[0] || d->dim[1] != a->dim[1] || d->dim[2] != c->dim[1] / 2)
      return bad(ctx, n, "down experts must be a weight [experts, hidden, ffn], got", d);
    set2(n, a->dim[0], a->dim[1]);
    return VN_OK;
  }
  case VN_OP_CONV1D: {
    const VnNode *st = S(g, n, 3);
    if (!is_act(a)) return bad(ctx, n, "input must be an activation, got", a);
    if (!b || b->op != VN_OP_WEIGHT || b->nd != 2 || b->dim[0] != a->dim[1]) return bad(ctx, n, "weight must be [cols, kernel], got", b);
    if (c && !is_vec(c, a->dim[1])) return bad(ctx, n, "bias must be a vector of the columns, got", c);
    if (!st || st->op != VN_OP_STATE || st->dim[0] != (b->dim[1] > 1 ? b->dim[1] - 1 : 1) || st->dim[1] != a->dim[1])
      return bad(ctx, n, "state must be [kernel-1, cols], got", st);
    if (a->dim[0] != VN_T) return bad(ctx, n, "input must have a row per token, got", a);
    set2(n, VN_T, a->dim[1]);
    return VN_OK;
  }
  case VN_OP_SSM_SCAN: {
    const VnNode *D = S(g, n, 5), *db = S(g, n, 6), *st = S(g, n, 7);
    int64_t H = n->p.heads, G = n->p.groups ? n->p.groups : 1;
    if (!is_act(a) || a->dim[0] != VN_T || H < 1 || a->dim[1] % H) return bad(ctx, n, "x must be [T, heads*head_dim], got", a);
    if (!is_act(b) || b->dim[1] != H) return bad(ctx, n, "dt must be [T, heads], got", b);
    if (!is_act(d) || d->dim[1] % G) return bad(ctx, n, "B must be [T, groups*state], got", d);
    int64_t N = d->dim[1] / G;
    const VnNode *C = S(g, n, 4);
    if (!is_act(C) || C->dim[1] != d->dim[1]) return bad(ctx, n, "C must be shaped as B, got", C);
    if (!c || c->op != VN_OP_WEIGHT || !(is_vec(c, H) || (c->nd == 2 && c->dim[0] == H && c->dim[1] == N)))
      return bad(ctx, n, "A must be a weight [heads] or [heads, state], got", c);
    if (H % G) return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "ssm_scan: %lld groups must divide %lld heads", (long long)G, (long long)H);
    if (D && !is_vec(D, H)) return bad(ctx, n, "D must be a vector of the heads, got", D);
    if (db && !is_vec(db, H)) return bad(ctx, n, "dt_bias must be a vector of the heads, got", db);
    if (!st || st->op != VN_OP_STATE || st->dim[0] != a->dim[1] || st->dim[1] != N)
      return bad(ctx, n, "state must be [heads*head_dim, state], got", st);
    set2(n, VN_T, a->dim[1]);
    return VN_OK;
  }
  case VN_OP_SHIFT:
    if (!is_act(a) || a->dim[0] != VN_T) return bad(ctx, n, "input must have a row per token, got", a);
    if (!b || b->op != VN_OP_STATE || b->dim[0] != 1 || b->dim[1] != a->dim[1]) return bad(ctx, n, "state must be [1, cols], got", b);
    set2(n, VN_T, a->dim[1]);
    return VN_OK;
  case VN_OP_WKV: {
    const VnNode *st = S(g, n, 4);
    if (!is_act(a) || a->dim[0] != VN_T) return bad(ctx, n, "k must have a row per token, got", a);
    if (!is_act(b) || b->dim[1] != a->dim[1]) return bad(ctx, n, "v must be shaped as k, got", b);
    if (!is_vec(c, a->dim[1]) || !is_vec(d, a->dim[1])) return bad(ctx, n, "decay and first must be vectors of the columns", NULL);
    if (!st || st->op != VN_OP_STATE || st->dim[0] != 3 || st->dim[1] != a->dim[1]) return bad(ctx, n, "state must be [3, cols], got", st);
    set2(n, VN_T, a->dim[1]);
    return VN_OK;
  }
  case VN_OP_MLA: {
    const VnNode *kc = S(g, n, 4), *pc = S(g, n, 5);
    int64_t H = n->p.heads, dn = n->p.head_dim, r = n->p.rope_dim, dv = n->p.v_head_dim;
    if (H < 1 || dn < 1 || r < 0 || dv < 1) return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "mla: heads, head_dim, v_head_dim must be positive");
    if (!is_act(a) || a->dim[0] != VN_T || a->dim[1] != H * (dn + r)) return bad(ctx, n, "q must be [T, heads*(head_dim+rope_dim)], got", a);
    if (!is_act(b) || b->dim[1] > VN_MAX_LATENT) return bad(ctx, n, "latent must be [T, rank] (rank at most 1024), got", b);
    if (!is_act(c) || c->dim[1] != r) return bad(ctx, n, "rope key must be [T, rope_dim], got", c);
    if (!d || d->op != VN_OP_WEIGHT || d->nd != 2 || d->dim[0] != H * (dn + dv) || d->dim[1] != b->dim[1])
      return bad(ctx, n, "kv weight must be [heads*(head_dim+v_head_dim), rank], got", d);
    if (!kc || kc->op != VN_OP_STATE || kc->dim[1] != b->dim[1] || !pc || pc->op != VN_OP_STATE || pc->dim[1] != r)
      return bad(ctx, n, "caches must be state [CTX, rank] and [CTX, rope_dim]", NULL);
    set2(n, VN_T, H * dv);
    return VN_OK;
  }
  case VN_OP_LAST:
    if (!is_act(a) || a->dim[0] != VN_T) return bad(ctx, n, "input must have a row per token, got", a);
    set2(n, VN_TOUT, a->dim[1]);
    return VN_OK;
  case VN_OP_COUNT:
    break;
  }
  return vn_internal(ctx, "no shape rule for op %d", (int)n->op);
}
