/* fuse.c: rewrites that cut memory traffic, each a small pattern match.
 *
 *   glu:       mul(act(x Wg^T + bg), x Wu^T + bu)  ->  one matmul over the
 *              row pairs (Wg, Wu) whose epilogue does act(gate) * up
 *   siblings:  matmuls that read the same input (Q, K, V) -> one matmul over
 *              the stacked weights, and column views of its output
 *   rope:      rope on the q and k operands of attention -> rotation done by
 *              the attention kernel as it reads q and writes k to the cache
 *   residual:  add(r, x W^T + b) -> the matmul adds r in its epilogue
 *
 * A rewrite mutates nodes in place, appends new leaves with a sort key just
 * before their user, marks the replaced nodes dead; vn_graph_reorder then
 * restores topological order and drops the dead. Only single-use
 * intermediates are fused, so no value anyone else reads disappears. */
#include "graph.h"
#include "ops.h"
#include <stdlib.h>
#include <string.h>

const char *const vn_fuse_names[VN_FUSE_COUNT] = {"glu", "qkv", "rope", "residual"};

static void count_uses(VnGraph *g) {
  for (uint32_t i = 0; i < g->n; i++) g->nodes[i].nuse = 0;
  for (uint32_t i = 0; i < g->n; i++) {
    if (g->nodes[i].dead) continue;
    for (int k = 0; k < VN_MAXSRC; k++)
      if (g->nodes[i].src[k] != VN_NONE) g->nodes[g->nodes[i].src[k]].nuse++;
  }
  if (g->output != VN_NONE) g->nodes[g->output].nuse++;
  if (g->hidden != VN_NONE) g->nodes[g->hidden].nuse++;
}

void vn_graph_replace_uses(VnGraph *g, uint32_t from, uint32_t to, uint32_t except) {
  for (uint32_t i = 0; i < g->n; i++) {
    if (i == except || g->nodes[i].dead) continue;
    for (int k = 0; k < VN_MAXSRC; k++)
      if (g->nodes[i].src[k] == from) g->nodes[i].src[k] = to;
  }
  if (g->output == from) g->output = to;
  if (g->hidden == from) g->hidden = to;
}

/* A plain matmul: no epilogue yet, so its output is exactly x W^T + b. */
static int plain_matmul(const VnNode *n) {
  return n->op == VN_OP_MATMUL && !n->dead && n->p.act == VN_ACT_NONE && !n->p.glu && n->p.scale == 0 &&
         n->src[3] == VN_NONE;
}

/* A new weight node holding expression wx, placed just before node `at`. */
static uint32_t new_weight(VnCtx *ctx, VnGraph *g, VnWx *wx, uint32_t at, const char *name, int64_t dk) {
  uint32_t i = vn_graph_add(ctx, g, VN_OP_WEIGHT, NULL, 0);
  VnNode *n = &g->nodes[i];
  n->wx = wx;
  n->nd = wx->nd;
  memcpy(n->dim, wx->dim, sizeof n->dim);
  n->name = name;
  n->loc = g->nodes[at].loc;
  n->layer = g->nodes[at].layer;
  n->key = g->nodes[at].key - 8 + dk;
  return i;
}

static VnWx *wx_new(VnCtx *ctx, VnWxKind k, int nargs) {
  VnWx *w = vn_arena_alloc(&ctx->arena, sizeof *w);
  w->kind = k;
  w->nargs = nargs;
  w->args = vn_arena_alloc(&ctx->arena, (size_t)(nargs ? nargs : 1) * sizeof *w->args);
  return w;
}

static VnWx *wx_zeros(VnCtx *ctx, int64_t n) {
  VnWx *z = wx_new(ctx, VN_WX_ZEROS, 0);
  z->nd = 1;
  z->dim[0] = n;
  return z;
}

static const char *join_names(VnCtx *ctx, const char *how, VnNode **ws, int n) {
  size_t len = strlen(how) + 3;
  for (int i = 0; i < n; i++) len += strlen(ws[i]->name ? ws[i]->name : "?") + 2;
  char *s = vn_arena_alloc(&ctx->arena, len);
  strcpy(s, how);
  strcat(s, "(");
  for (int i = 0; i < n; i++) {
    if (i) strcat(s, ", ");
    strcat(s, ws[i]->name ? ws[i]->name : "?");
  }
  strcat(s, ")");
  return s;
}

/* Can weights a and b become one? Not when one is stored in a block format
 * the other is not stored in (plan keeps such formats as stored, per
 * tensor), unless --dtype packs every matrix alike. */
static int wx_dtype(const VnWx *w) {
  while (w && w->kind != VN_WX_TENSOR) w = w->nargs ? w->args[0] : NULL;
  return w ? w->dtype : -1;
}
static int same_store(const VnGraph *g, const VnNode *a, const VnNode *b) {
  int da = wx_dtype(a->wx), db = wx_dtype(b->wx);
  if (g->wdtype >= 0 || da == db) return 1;
  return !(da >= 0 && vn_dtype_block((VnDType)da) > 1) && !(db >= 0 && vn_dtype_block((VnDType)db) > 1);
}

/* mul(act(mm_g), mm_u) with both matmuls on the same input. */
static void fuse_glu(VnCtx *ctx, VnGraph *g) {
  for (uint32_t i = 0; i < g->n; i++) {
    VnNode *m = &g->nodes[i];
    if (m->op != VN_OP_MUL || m->dead) continue;
    for (int sw = 0; sw < 2; sw++) {
      uint32_t ia = m->src[sw], iu = m->src[1 - sw];
      VnNode *a = &g->nodes[ia], *u = &g->nodes[iu];
      if (a->op != VN_OP_ACT || a->nuse != 1 || !plain_matmul(u) || u->nuse != 1) continue;
      uint32_t igt = a->src[0];
      VnNode *gt = &g->nodes[igt];
      if (!plain_matmul(gt) || gt->nuse != 1 || gt->src[0] != u->src[0] || igt == iu) continue;
      VnNode *wg = &g->nodes[gt->src[1]], *wu = &g->nodes[u->src[1]];
      if (wg->dim[0] != wu->dim[0] || wg->dim[1] != wu->dim[1] || !same_store(g, wg, wu)) continue;
      VnWx *pw = wx_new(ctx, VN_WX_PAIRS, 2);
      pw->args[0] = (VnWx *)wg->wx;
      pw->args[1] = (VnWx *)wu->wx;
      pw->nd = 2; pw->dim[0] = wg->dim[0] * 2; pw->dim[1] = wg->dim[1];
      VnNode *ws[2] = {wg, wu};
      uint32_t wn = new_weight(ctx, g, pw, i, join_names(ctx, "pairs", ws, 2), 0);
      uint32_t bn = VN_NONE;
      if (gt->src[2] != VN_NONE || u->src[2] != VN_NONE) {
        VnWx *pb = wx_new(ctx, VN_WX_PAIRS, 2);
        pb->args[0] = gt->src[2] != VN_NONE ? (VnWx *)g->nodes[gt->src[2]].wx : wx_zeros(ctx, wg->dim[0]);
        pb->args[1] = u->src[2] != VN_NONE ? (VnWx *)g->nodes[u->src[2]].wx : wx_zeros(ctx, wg->dim[0]);
        pb->nd = 1; pb->dim[0] = wg->dim[0] * 2;
        bn = new_weight(ctx, g, pb, i, "pairs(bias)", 1);
      }
      m = &g->nodes[i];  /* g->nodes may have moved */
      a = &g->nodes[ia]; gt = &g->nodes[igt]; u = &g->nodes[iu];
      uint32_t x = u->src[0];
      int act = a->p.act;
      m->op = VN_OP_MATMUL;
      m->nsrc = 4;
      m->src[0] = x; m->src[1] = wn; m->src[2] = bn; m->src[3] = VN_NONE;
      memset(&m->p, 0, sizeof m->p);
      m->p.act = act;
      m->p.glu = 1;
      a->dead = gt->dead = u->dead = 1;
      g->nfused[VN_FUSE_GLU]++;
      break;
    }
  }
}

/* Matmuls sharing an input -> one matmul + views. */
static void fuse_siblings(VnCtx *ctx, VnGraph *g) {
  uint32_t *grp = malloc(g->n * sizeof *grp);
  for (uint32_t i = 0; i < g->n; i++) {
    VnNode *f = &g->nodes[i];
    if (!plain_matmul(f)) continue;
    int ng = 0;
    int64_t cols = g->nodes[f->src[1]].dim[1];
    for (uint32_t j = i; j < g->n; j++) {
      VnNode *o = &g->nodes[j];
      if (plain_matmul(o) && o->src[0] == f->src[0] && g->nodes[o->src[1]].dim[1] == cols && g->nodes[o->src[1]].nd == 2 &&
          same_store(g, &g->nodes[f->src[1]], &g->nodes[o->src[1]]))
        grp[ng++] = j;
    }
    if (ng < 2) continue;
    VnWx *cw = wx_new(ctx, VN_WX_CAT, ng), *cb = NULL;
    VnNode **ws = malloc((size_t)ng * sizeof *ws);
    int anyb = 0;
    int64_t rows = 0;
    for (int k = 0; k < ng; k++) {
      VnNode *o = &g->nodes[grp[k]];
      ws[k] = &g->nodes[o->src[1]];
      cw->args[k] = (VnWx *)ws[k]->wx;
      rows += ws[k]->dim[0];
      anyb |= o->src[2] != VN_NONE;
    }
    cw->nd = 2; cw->dim[0] = rows; cw->dim[1] = cols;
    const char *wname = join_names(ctx, "cat", ws, ng);
    free(ws);
    if (anyb) {
      cb = wx_new(ctx, VN_WX_CAT, ng);
      for (int k = 0; k < ng; k++) {
        VnNode *o = &g->nodes[grp[k]];
        int64_t r = g->nodes[o->src[1]].dim[0];
        cb->args[k] = o->src[2] != VN_NONE ? (VnWx *)g->nodes[o->src[2]].wx : wx_zeros(ctx, r);
      }
      cb->nd = 1; cb->dim[0] = rows;
    }
    uint32_t wn = new_weight(ctx, g, cw, i, wname, 0);
    uint32_t bn = cb ? new_weight(ctx, g, cb, i, "cat(bias)", 1) : VN_NONE;
    /* the first member becomes the fused matmul; every member's users read a view */
    int64_t col = 0;
    for (int k = 0; k < ng; k++) {
      uint32_t j = grp[k];
      int64_t r = g->nodes[g->nodes[j].src[1]].dim[0];
      uint32_t v;
      if (k == 0) {
        v = vn_graph_add(ctx, g, VN_OP_VIEW, NULL, 0);
        g->nodes[v].key = g->nodes[i].key + 1;
        g->nodes[v].loc = g->nodes[i].loc;
        g->nodes[v].layer = g->nodes[i].layer;
        g->nodes[v].phase = g->nodes[i].phase;
        vn_graph_replace_uses(g, i, v, v);
      } else {
        v = j;
        memset(g->nodes[v].src, 0xff, sizeof g->nodes[v].src);
        g->nodes[v].key = g->nodes[i].key + 1 + k;
      }
      VnNode *vn = &g->nodes[v];
      vn->op = VN_OP_VIEW;
      vn->nsrc = 1;
      vn->src[0] = i;
      memset(&vn->p, 0, sizeof vn->p);
      vn->p.col0 = (int32_t)col;
      vn->nd = 2; vn->dim[0] = g->nodes[i].dim[0]; vn->dim[1] = r;
      col += r;
    }
    VnNode *fm = &g->nodes[i];
    fm->src[1] = wn;
    fm->src[2] = bn;
    fm->dim[1] = rows;
    g->nfused[VN_FUSE_SIBLINGS]++;
    count_uses(g);
  }
  free(grp);
}

/* attention(rope(q), rope(k), ...) -> attention rotates as it reads. */
static void fuse_rope(VnGraph *g) {
  for (uint32_t i = 0; i < g->n; i++) {
    VnNode *n = &g->nodes[i];
    if (n->op != VN_OP_ATTENTION || n->dead || n->p.rope) continue;
    VnNode *q = &g->nodes[n->src[0]], *k = &g->nodes[n->src[1]];
    if (q->op != VN_OP_ROPE || k->op != VN_OP_ROPE || q->p.rope != k->p.rope || q->nuse != 1 || k->nuse != 1 ||
        n->src[0] == n->src[1])
      continue;
    n->p.rope = q->p.rope + 1;
    n->src[0] = q->src[0];
    n->src[1] = k->src[0];
    q->dead = k->dead = 1;
    g->nfused[VN_FUSE_ROPE]++;
  }
}

/* add(r, matmul) -> matmul with residual r, moved to the add's place. */
static void fuse_residual(VnGraph *g) {
  for (uint32_t i = 0; i < g->n; i++) {
    VnNode *a = &g->nodes[i];
    if (a->op != VN_OP_ADD || a->dead) continue;
    for (int sw = 0; sw < 2; sw++) {
      uint32_t im = a->src[sw], ir = a->src[1 - sw];
      VnNode *m = &g->nodes[im];
      if (m->op != VN_OP_MATMUL || m->dead || m->src[3] != VN_NONE || m->nuse != 1 || im == ir) continue;
      const VnNode *r = &g->nodes[ir];  /* only a full-width activation folds in (no broadcasts) */
      if (!vn_node_is_act(r) || r->nd != 2 || r->dim[1] != m->dim[1] || r->dim[0] != m->dim[0] || m->dim[1] != a->dim[1]) continue;
      m->src[3] = ir;
      m->key = a->key;
      a->dead = 1;
      vn_graph_replace_uses(g, i, im, VN_NONE);
      g->nfused[VN_FUSE_RESIDUAL]++;
      break;
    }
  }
}

VnStatus vn_pass_fuse(VnCtx *ctx, VnGraph *g) {
  count_uses(g);
  fuse_glu(ctx, g);
  VN_TRY(vn_graph_reorder(ctx, g));
  count_uses(g);
  fuse_siblings(ctx, g);
  VN_TRY(vn_graph_reorder(ctx, g));
  count_uses(g);
  fuse_rope(g);
  count_uses(g);
  fuse_residual(g);
  return vn_graph_reorder(ctx, g);
}

/* ---- reorder + dead-code elimination ---- */
typedef struct { int64_t key; uint32_t idx; } KeyIdx;
static int cmp_key(const void *a, const void *b) {
  const KeyIdx *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

VnStatus vn_graph_reorder(VnCtx *ctx, VnGraph *g) {
  uint32_t n = g->n;
  /* reachability from the output (dead nodes are never reached) */
  unsigned char *live = calloc(n, 1);
  uint32_t *stack = malloc((n + 1) * sizeof *stack);
  uint32_t sp = 0;
  if (g->output == VN_NONE) { free(live); free(stack); return vn_internal(ctx, "reorder: no output"); }
  stack[sp++] = g->output;
  live[g->output] = 1;
  if (g->hidden != VN_NONE && !live[g->hidden]) { stack[sp++] = g->hidden; live[g->hidden] = 1; }
  while (sp) {
    VnNode *x = &g->nodes[stack[--sp]];
    for (int k = 0; k < VN_MAXSRC; k++) {
      uint32_t s = x->src[k];
      if (s != VN_NONE && !live[s]) {
        if (g->nodes[s].dead) { free(live); free(stack); return vn_internal(ctx, "reorder: live node uses dead %u", s); }
        live[s] = 1;
        stack[sp++] = s;
      }
    }
  }
  KeyIdx *ki = malloc(n * sizeof *ki);
  uint32_t m = 0;
  for (uint32_t i = 0; i < n; i++)
    if (live[i]) { ki[m].key = g->nodes[i].key; ki[m].idx = i; m++; }
  qsort(ki, m, sizeof *ki, cmp_key);
  uint32_t *map = malloc(n * sizeof *map);
  for (uint32_t i = 0; i < n; i++) map[i] = VN_NONE;
  for (uint32_t j = 0; j < m; j++) map[ki[j].idx] = j;
  VnNode *nn = vn_arena_alloc(&ctx->arena, (m ? m : 1) * sizeof *nn);
  VnStatus st = VN_OK;
  for (uint32_t j = 0; j < m; j++) {
    nn[j] = g->nodes[ki[j].idx];
    nn[j].key = (int64_t)j * 16;
    for (int k = 0; k < VN_MAXSRC; k++) {
      uint32_t s = nn[j].src[k];
      if (s == VN_NONE) continue;
      nn[j].src[k] = map[s];
      if (map[s] >= j && st == VN_OK) st = vn_internal(ctx, "reorder: node %u would precede its operand", ki[j].idx);
    }
  }
  g->output = map[g->output];
  if (g->hidden != VN_NONE) g->hidden = map[g->hidden];
  g->nodes = nn;
  g->n = g->cap = m;
  free(live); free(stack); free(ki); free(map);
  count_uses(g);
  return st;
}

VnStatus vn_pass_dce(VnCtx *ctx, VnGraph *g) { return vn_graph_reorder(ctx, g); }
