/* norm.c: RMSNORM and LAYERNORM: shape rules, reference kernels, emitters
 * (ops.h). x [T][C]; each group of G columns (G = p.group, or C) is
 * normalized on its own; w, b [G] are optional. References sum in double. */
#include "ops.h"
#include <math.h>

static VnStatus norm_shape(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0), *b = vn_op_src(g, n, 1), *c = vn_op_src(g, n, 2);
  if (!vn_op_is_act(a)) return vn_op_bad(ctx, n, "input must be an activation, got", a);
  int64_t gsz = n->p.group ? n->p.group : a->dim[1];
  if (a->dim[1] % gsz) return vn_op_bad(ctx, n, "group does not divide the columns of", a);
  if (b && !vn_op_is_vec(b, gsz)) return vn_op_bad(ctx, n, "weight must be a vector of the group width, got", b);
  if (c && !vn_op_is_vec(c, gsz)) return vn_op_bad(ctx, n, "bias must be a vector of the group width, got", c);
  if (n->op == VN_OP_RMSNORM && c) return vn_op_bad(ctx, n, "takes no bias", NULL);
  vn_op_set2(n, a->dim[0], a->dim[1]);
  return VN_OK;
}

/* ---- rmsnorm: x / sqrt(mean(x^2) + eps) * w ---- */
VnStatus vn_shape_rmsnorm(VnCtx *ctx, VnGraph *g, VnNode *n) { return norm_shape(ctx, g, n); }

void vn_ref_rmsnorm(const VnRefArgs *a) {
  int64_t C = vn_node_cols(a->n), G = a->n->p.group ? a->n->p.group : C;
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

VnStatus vn_emit_rmsnorm(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  vn_buf_printf(b, "  vn_k_rmsnorm(rt, out, " VN_IN(0) ", %lld, " VN_IN(1) ", T, %lld, %d, ", (long long)vn_op_ld(g, n, 0),
                (long long)vn_node_cols(n), n->p.group);
  vn_op_flt(b, n->p.eps);
  vn_buf_puts(b, ");\n");
  return VN_OK;
}

/* ---- layernorm: (x - mean) / sqrt(var + eps) * w + b, var the biased variance ---- */
VnStatus vn_shape_layernorm(VnCtx *ctx, VnGraph *g, VnNode *n) { return norm_shape(ctx, g, n); }

void vn_ref_layernorm(const VnRefArgs *a) {
  int64_t C = vn_node_cols(a->n), G = a->n->p.group ? a->n->p.group : C;
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

VnStatus vn_emit_layernorm(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  vn_buf_printf(b, "  vn_k_layernorm(rt, out, " VN_IN(0) ", %lld, " VN_IN(1) ", " VN_IN(2) ", T, %lld, %d, ",
                (long long)vn_op_ld(g, n, 0), (long long)vn_node_cols(n), n->p.group);
  vn_op_flt(b, n->p.eps);
  vn_buf_puts(b, ");\n");
  return VN_OK;
}
