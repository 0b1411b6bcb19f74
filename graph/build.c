/* build.c: growing a graph. Builders only record op + operands + params;
 * shapes are inferred right away (the op's shape rule, ops/) so errors point at the spec
 * line that made the bad node. */
#include "graph.h"
#include "ops.h"
#include <stdlib.h>
#include <string.h>

VnGraph *vn_graph_new(VnCtx *ctx) {
  VnGraph *g = vn_arena_alloc(&ctx->arena, sizeof *g);
  g->output = VN_NONE;
  g->hidden = VN_NONE;
  g->info.bos = -1;
  g->t_max = 512;
  g->wdtype = -1;
  return g;
}

VnNode *vn_node(VnGraph *g, uint32_t i) { return &g->nodes[i]; }

uint32_t vn_graph_add(VnCtx *ctx, VnGraph *g, VnOp op, const uint32_t *src, int nsrc) {
  if (g->n == g->cap) {
    uint32_t cap = g->cap ? g->cap * 2 : 256;
    VnNode *nn = vn_arena_alloc(&ctx->arena, cap * sizeof *nn);
    if (g->n) memcpy(nn, g->nodes, g->n * sizeof *nn);
    g->nodes = nn;
    g->cap = cap;
  }
  uint32_t i = g->n++;
  VnNode *n = &g->nodes[i];
  memset(n, 0, sizeof *n);
  n->op = op;
  n->dtype = VN_F32;
  n->layer = -1;
  n->offset = -1;
  n->key = (int64_t)i * 16;
  n->phase = g->build_phase;
  n->nsrc = nsrc;
  for (int k = 0; k < VN_MAXSRC; k++) n->src[k] = k < nsrc && src ? src[k] : VN_NONE;
  return i;
}

int vn_graph_add_rope(VnCtx *ctx, VnGraph *g, const VnRope *r) {
  int nf = r->rot_dim / 2;
  for (int i = 0; i < g->nropes; i++) {
    const VnRope *o = &g->ropes[i];
    if (o->head_dim == r->head_dim && o->rot_dim == r->rot_dim && o->interleaved == r->interleaved &&
        o->attn_factor == r->attn_factor && o->dynamic == r->dynamic && o->dyn_base == r->dyn_base &&
        o->dyn_factor == r->dyn_factor && o->dyn_max_pos == r->dyn_max_pos && o->long_after == r->long_after &&
        !memcmp(o->sections, r->sections, sizeof r->sections) &&
        !memcmp(o->inv_freq, r->inv_freq, (size_t)nf * sizeof(float)) &&
        (!r->long_after || !memcmp(o->long_inv_freq, r->long_inv_freq, (size_t)nf * sizeof(float))))
      return i;
  }
  if (g->nropes == g->rope_cap) {
    int cap = g->rope_cap ? g->rope_cap * 2 : 8;
    VnRope *nr = vn_arena_alloc(&ctx->arena, (size_t)cap * sizeof *nr);
    if (g->nropes) memcpy(nr, g->ropes, (size_t)g->nropes * sizeof *nr);
    g->ropes = nr;
    g->rope_cap = cap;
  }
  VnRope *d = &g->ropes[g->nropes];
  *d = *r;
  float *f = vn_arena_alloc(&ctx->arena, (size_t)(nf > 0 ? nf : 1) * sizeof(float));
  memcpy(f, r->inv_freq, (size_t)nf * sizeof(float));
  d->inv_freq = f;
  if (r->long_after) {
    float *lf = vn_arena_alloc(&ctx->arena, (size_t)(nf > 0 ? nf : 1) * sizeof(float));
    memcpy(lf, r->long_inv_freq, (size_t)nf * sizeof(float));
    d->long_inv_freq = lf;
  }
  return g->nropes++;
}

int64_t vn_node_cols(const VnNode *n) {
  int64_t c = 1;
  for (int k = 1; k < n->nd; k++) c *= n->dim[k];
  return c;
}

int vn_node_is_act(const VnNode *n) {
  return n->nd >= 1 && (n->dim[0] == VN_T || n->dim[0] == VN_TOUT);
}

