/* matmul.c: MATMUL, the product with a weight and its fused epilogue
 * (bias, activation, gate/up pairs, scale, residual): shape rule, reference
 * kernel, emitter (ops.h).
 *
 * x [T][K], W [N][K], bias [N], res [T][Nout] ->
 * out [T][Nout] = res + scale * act(x W^T + bias), scale 0 meaning 1.
 * glu: W rows are (gate, up) pairs 2c, 2c+1 and Nout = N/2:
 * out[c] = res + scale * act(gate_c) * up_c. */
#include "ops.h"

VnStatus vn_shape_matmul(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0), *b = vn_op_src(g, n, 1), *c = vn_op_src(g, n, 2), *d = vn_op_src(g, n, 3);
  if (!vn_op_is_act(a)) return vn_op_bad(ctx, n, "input must be an activation, got", a);
  if (!b || b->op != VN_OP_WEIGHT || b->nd != 2) return vn_op_bad(ctx, n, "weight must be a 2-D weight, got", b);
  if (b->dim[1] != a->dim[1]) {
    char s1[96], s2[96];
    vn_op_dims_str(a, s1, sizeof s1); vn_op_dims_str(b, s2, sizeof s2);
    return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "matmul: input %s does not fit weight %s (want [rows, %lld])",
                     s1, s2, (long long)b->dim[1]);
  }
  int64_t N = b->dim[0];
  if (c && !vn_op_is_vec(c, N)) return vn_op_bad(ctx, n, "bias must be a vector of the weight's rows, got", c);
  if (n->p.glu && N % 2) return vn_op_bad(ctx, n, "glu needs an even number of weight rows, got", b);
  int64_t out = n->p.glu ? N / 2 : N;
  if (d && (!vn_op_is_act(d) || d->dim[1] != out || d->dim[0] != a->dim[0]))
    return vn_op_bad(ctx, n, "residual must match the output, got", d);
  vn_op_set2(n, a->dim[0], out);
  return VN_OK;
}

void vn_ref_matmul(const VnRefArgs *a) {
  const VnNode *w = vn_op_src(a->g, a->n, 1);
  const VnParams *p = &a->n->p;
  int64_t N = w->dim[0], K = w->dim[1], Nout = p->glu ? N / 2 : N;
  const float *x = a->in[0], *W = a->in[1], *bias = a->in[2], *res = a->in[3];
  double scale = p->scale != 0 ? p->scale : 1.0;
  for (int t = 0; t < a->T; t++)
    for (int64_t c = 0; c < Nout; c++) {
      double y;
      if (p->glu) {
        double g = vn_op_dot(x + t * K, W + (2 * c) * K, K) + (bias ? bias[2 * c] : 0);
        double u = vn_op_dot(x + t * K, W + (2 * c + 1) * K, K) + (bias ? bias[2 * c + 1] : 0);
        y = (double)vn_op_activate(p->act, (float)g) * u;
      } else {
        y = vn_op_dot(x + t * K, W + c * K, K) + (bias ? bias[c] : 0);
        y = vn_op_activate(p->act, (float)y);
      }
      y *= scale;
      if (res) y += res[t * Nout + c];
      a->out[t * Nout + c] = (float)y;
    }
}

int vn_op_weight_repacked(const VnGraph *g, uint32_t wi) {
  const VnNode *w = &g->nodes[wi];
  int kq = w->dtype == VN_Q2_K || w->dtype == VN_Q3_K || w->dtype == VN_Q4_K || w->dtype == VN_Q5_K || w->dtype == VN_Q6_K;
  int fl = (w->dtype == VN_F32 || w->dtype == VN_F16) && !g->blas;
  if (w->op != VN_OP_WEIGHT || w->nd != 2 || (w->dtype != VN_Q8_0 && w->dtype != VN_Q4_0 && !kq && !fl)) return 0;
  int used = 0;
  for (uint32_t i = 0; i < g->n; i++) {
    const VnNode *n = &g->nodes[i];
    for (int k = 0; k < VN_MAXSRC; k++) {
      if (n->src[k] != wi) continue;
      if (n->op != VN_OP_MATMUL || k != 1) return 0;
      used = 1;
    }
  }
  return used;
}

VnStatus vn_emit_matmul(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  const VnNode *w = &g->nodes[n->src[1]];
  vn_buf_printf(b, "  vn_k_matmul(rt, out, " VN_IN(0) ", %lld, in1, %s%s, " VN_IN(2) ", " VN_IN(3) ", %lld, T, %lld, %lld, %s, %d, ",
                (long long)vn_op_ld(g, n, 0), vn_op_dt_c(w->dtype), vn_op_weight_repacked(g, n->src[1]) ? " | VN_DT_RP" : "",
                (long long)(n->src[3] != VN_NONE ? vn_op_ld(g, n, 3) : 0), (long long)w->dim[1], (long long)w->dim[0],
                vn_op_act_c(n->p.act), n->p.glu);
  vn_op_flt(b, n->p.scale);
  vn_buf_puts(b, ");\n");
  return VN_OK;
}
