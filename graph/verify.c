/* verify.c: the graph's invariants, checked after building and after every
 * pass in debug builds: operands precede their users, arity matches the op
 * table, shapes re-infer to what is recorded, the output is set. */
#include "graph.h"
#include "ops.h"
#include <string.h>

VnStatus vn_pass_verify(VnCtx *ctx, VnGraph *g) {
  if (g->output == VN_NONE || g->output >= g->n) return vn_internal(ctx, "graph has no output");
  for (uint32_t i = 0; i < g->n; i++) g->nodes[i].nuse = 0;
  for (uint32_t i = 0; i < g->n; i++) {
    VnNode *n = &g->nodes[i];
    const VnOpInfo *oi = &vn_ops[n->op];
    if ((unsigned)n->op >= VN_OP_COUNT) return vn_internal(ctx, "node %u: bad op", i);
    for (int k = 0; k < VN_MAXSRC; k++) {
      uint32_t s = n->src[k];
      if (s == VN_NONE) continue;
      if (k >= oi->nin) return vn_internal(ctx, "node %u (%s): operand %d beyond arity", i, oi->name, k);
      if (s >= i) return vn_internal(ctx, "node %u (%s): operand %u does not precede it", i, oi->name, s);
      g->nodes[s].nuse++;
      /* the encoder runs before any step: it reads no activation of one */
      const VnNode *sn = &g->nodes[s];
      while ((vn_ops[sn->op].flags & VN_OPF_VIEW) && sn->src[0] != VN_NONE) sn = &g->nodes[sn->src[0]];
      if (n->phase == VN_PHASE_ENCODER && !(vn_ops[n->op].flags & VN_OPF_VIEW) && sn->phase == VN_PHASE_STEP &&
          !(vn_ops[sn->op].flags & VN_OPF_LEAF))
        return vn_errorf(ctx, VN_ERR_SPEC, n->loc, "%s: an encoder node reads a decoder step's value (%%%u)", oi->name, s);
    }
    /* the per-step rotation tables cover a step's t_max rows, not an encoder's */
    if (n->phase == VN_PHASE_ENCODER && (n->op == VN_OP_ROPE || (n->op == VN_OP_ATTENTION && n->p.rope)))
      return vn_errorf(ctx, VN_ERR_SPEC, n->loc, "%s: rotary positions in an encoder stage are not supported", oi->name);
    if (n->op == VN_OP_WEIGHT && !n->wx) return vn_internal(ctx, "node %u: weight without expression", i);
    if (!(oi->flags & VN_OPF_LEAF)) {
      int nd = n->nd;
      int64_t dim[VN_MAXDIM];
      memcpy(dim, n->dim, sizeof dim);
      VN_TRY(vn_op_shape(ctx, g, i));
      if (nd != n->nd || memcmp(dim, n->dim, sizeof dim))
        return vn_internal(ctx, "node %u (%s): recorded shape differs from inferred", i, oi->name);
    }
  }
  g->nodes[g->output].nuse++;
  if (g->hidden != VN_NONE) {
    if (g->hidden >= g->n) return vn_internal(ctx, "graph's hidden node %u is out of range", g->hidden);
    g->nodes[g->hidden].nuse++;
  }
  return VN_OK;
}
