/* elementwise.c: the ops over each element of the rows (ACT, ADD, MUL,
 * SCALE, SOFTCAP) and GLU (act of a row's first half times its second),
 * and the activations every reference takes (vn_op_activate): shape rules,
 * reference kernels, emitters (ops.h). x, a [T][C] -> out [T][C]. */
#include "ops.h"
#include <math.h>

/* ---- activations: float32 in and out, computed in double, rounded once ---- */
float vn_op_activate(int act, float x) {
  double v = x;
  switch (act) {
  case VN_ACT_SILU: return (float)(v / (1.0 + exp(-v)));                 /* x * sigmoid(x) */
  case VN_ACT_GELU: return (float)(0.5 * v * (1.0 + erf(v * 0.70710678118654752440))); /* exact (erf) gelu */
  case VN_ACT_GELU_TANH:  /* gelu_pytorch_tanh / gelu_new */
    return (float)(0.5 * v * (1.0 + tanh(0.79788456080286535588 * (v + 0.044715 * v * v * v))));
  case VN_ACT_RELU: return x > 0 ? x : 0.0f;
  case VN_ACT_SIGMOID: return (float)(1.0 / (1.0 + exp(-v)));
  case VN_ACT_TANH: return (float)tanh(v);
  case VN_ACT_SOFTPLUS: return v > 20.0 ? x : (float)log1p(exp(v));     /* torch: beta 1, threshold 20 */
  case VN_ACT_RELU2: { double r = v > 0 ? v : 0; return (float)(r * r); } /* relu(x)^2 */
  case VN_ACT_QUICK_GELU: return (float)(v / (1.0 + exp(-1.702 * v)));  /* x * sigmoid(1.702 x) (CLIP) */
  default: return x;
  }
}

/* ACT, SCALE, SOFTCAP: an activation in, the same shape out */
static VnStatus unary_shape(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0);
  if (!vn_op_is_act(a)) return vn_op_bad(ctx, n, "input must be an activation, got", a);
  if (n->op == VN_OP_SOFTCAP && n->p.cap <= 0) return vn_op_bad(ctx, n, "cap must be positive", NULL);
  vn_op_set2(n, a->dim[0], a->dim[1]);
  return VN_OK;
}

/* ---- act: act(x) ---- */
VnStatus vn_shape_act(VnCtx *ctx, VnGraph *g, VnNode *n) { return unary_shape(ctx, g, n); }

void vn_ref_act(const VnRefArgs *a) {
  int64_t n = (int64_t)a->T * vn_node_cols(a->n);
  for (int64_t i = 0; i < n; i++) a->out[i] = vn_op_activate(a->n->p.act, a->in[0][i]);
}

/* ACT and GLU: vn_k_act / vn_k_glu over x with the node's activation */
static VnStatus act_emit(const VnGraph *g, const VnNode *n, VnBuf *b, const char *kernel) {
  vn_buf_printf(b, "  vn_k_%s(rt, out, " VN_IN(0) ", %lld, T, %lld, %s);\n", kernel, (long long)vn_op_ld(g, n, 0),
                (long long)vn_node_cols(n), vn_op_act_c(n->p.act));
  return VN_OK;
}

VnStatus vn_emit_act(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) { return act_emit(g, n, b, "act"); }

/* ---- xielu: x [T][C], w [4] = (alpha_p, alpha_n, beta, eps) as a model
 * stores them -> out [T][C]; with ap = softplus(alpha_p), an = beta +
 * softplus(alpha_n): x > 0: ap x^2 + beta x; else (expm1(min(x, eps)) - x)
 * an + beta x (transformers' XIELUActivation) ---- */
VnStatus vn_shape_xielu(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0), *w = vn_op_src(g, n, 1);
  if (!vn_op_is_act(a)) return vn_op_bad(ctx, n, "input must be an activation, got", a);
  if (!w || w->op != VN_OP_WEIGHT || !vn_op_is_vec(w, 4)) return vn_op_bad(ctx, n, "parameters must be a weight [4], got", w);
  vn_op_set2(n, a->dim[0], a->dim[1]);
  return VN_OK;
}

static double softplus_d(double v) { return v > 20.0 ? v : log1p(exp(v)); }

void vn_ref_xielu(const VnRefArgs *a) {
  int64_t n = (int64_t)a->T * vn_node_cols(a->n);
  const float *w = a->in[1];
  double ap = softplus_d(w[0]), beta = w[2], an = beta + softplus_d(w[1]), eps = w[3];
  for (int64_t i = 0; i < n; i++) {
    double x = a->in[0][i];
    a->out[i] = (float)(x > 0 ? ap * x * x + beta * x : (expm1(x < eps ? x : eps) - x) * an + beta * x);
  }
}

VnStatus vn_emit_xielu(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  vn_buf_printf(b, "  vn_k_xielu(rt, out, " VN_IN(0) ", %lld, " VN_IN(1) ", T, %lld);\n", (long long)vn_op_ld(g, n, 0),
                (long long)vn_node_cols(n));
  return VN_OK;
}

/* ---- add, mul: a + b, a * b; b is [T][C], a 1-D weight [C] applied to
 * every row, or a column [T][1] applied to every column ---- */
static VnStatus binary_shape(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0), *b = vn_op_src(g, n, 1);
  if (!vn_op_is_act(a)) return vn_op_bad(ctx, n, "first operand must be an activation, got", a);
  if (b && b->op == VN_OP_WEIGHT && vn_op_is_vec(b, a->dim[1])) {  /* a row vector, added to every row */
    vn_op_set2(n, a->dim[0], a->dim[1]);
    return VN_OK;
  }
  if (vn_op_is_act(b) && b->dim[0] == a->dim[0] && b->dim[1] == 1) {  /* a column, across every column */
    vn_op_set2(n, a->dim[0], a->dim[1]);
    return VN_OK;
  }
  if (!vn_op_is_act(b) || b->dim[0] != a->dim[0] || b->dim[1] != a->dim[1]) {
    char s1[96], s2[96];
    vn_op_dims_str(a, s1, sizeof s1); vn_op_dims_str(b, s2, sizeof s2);
    return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "%s: operands %s and %s differ", vn_ops[n->op].name, s1, s2);
  }
  vn_op_set2(n, a->dim[0], a->dim[1]);
  return VN_OK;
}

static void binary_ref(const VnRefArgs *a, int mul) {
  int64_t C = vn_node_cols(a->n);
  const VnNode *b = vn_op_src(a->g, a->n, 1);
  int col = b->op != VN_OP_WEIGHT && vn_node_cols(b) == 1;
  int64_t ldb = b->op == VN_OP_WEIGHT && b->nd == 1 ? 0 : col ? 1 : C;
  for (int t = 0; t < a->T; t++)
    for (int64_t i = 0; i < C; i++) {
      float x = a->in[0][t * C + i], y = a->in[1][t * ldb + (col ? 0 : i)];
      a->out[t * C + i] = mul ? x * y : x + y;
    }
}

static VnStatus binary_emit(const VnGraph *g, const VnNode *n, VnBuf *b, const char *kernel) {
  int64_t C = vn_node_cols(n);
  const VnNode *y = &g->nodes[n->src[1]];
  vn_buf_printf(b, "  vn_k_%s(rt, out, " VN_IN(0) ", %lld, " VN_IN(1) ", %lld, T, %lld, %d);\n", kernel,
                (long long)vn_op_ld(g, n, 0), (long long)vn_op_ld(g, n, 1), (long long)C,
                vn_node_is_act(y) && vn_node_cols(y) == 1 && C > 1);
  return VN_OK;
}

VnStatus vn_shape_add(VnCtx *ctx, VnGraph *g, VnNode *n) { return binary_shape(ctx, g, n); }
void vn_ref_add(const VnRefArgs *a) { binary_ref(a, 0); }
VnStatus vn_emit_add(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) { return binary_emit(g, n, b, "add"); }

VnStatus vn_shape_mul(VnCtx *ctx, VnGraph *g, VnNode *n) { return binary_shape(ctx, g, n); }
void vn_ref_mul(const VnRefArgs *a) { binary_ref(a, 1); }
VnStatus vn_emit_mul(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) { return binary_emit(g, n, b, "mul"); }

/* ---- glu: x [T][2C] -> out [T][C] = act(x[:, :C]) * x[:, C:] ---- */
VnStatus vn_shape_glu(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0);
  if (!vn_op_is_act(a) || a->dim[1] % 2) return vn_op_bad(ctx, n, "input must be an activation of even width, got", a);
  vn_op_set2(n, a->dim[0], a->dim[1] / 2);
  return VN_OK;
}

void vn_ref_glu(const VnRefArgs *a) {
  int64_t C = vn_node_cols(a->n);
  for (int t = 0; t < a->T; t++) {
    const float *x = a->in[0] + t * 2 * C;
    for (int64_t i = 0; i < C; i++) a->out[t * C + i] = (float)((double)vn_op_activate(a->n->p.act, x[i]) * x[C + i]);
  }
}

VnStatus vn_emit_glu(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) { return act_emit(g, n, b, "glu"); }

/* SCALE and SOFTCAP: vn_k_scale / vn_k_softcap with one constant */
static VnStatus const_emit(const VnGraph *g, const VnNode *n, VnBuf *b, const char *kernel, float v) {
  vn_buf_printf(b, "  vn_k_%s(rt, out, " VN_IN(0) ", %lld, T, %lld, ", kernel, (long long)vn_op_ld(g, n, 0),
                (long long)vn_node_cols(n));
  vn_op_flt(b, v);
  vn_buf_puts(b, ");\n");
  return VN_OK;
}

/* ---- scale: x * scale ---- */
VnStatus vn_shape_scale(VnCtx *ctx, VnGraph *g, VnNode *n) { return unary_shape(ctx, g, n); }

void vn_ref_scale(const VnRefArgs *a) {
  int64_t n = (int64_t)a->T * vn_node_cols(a->n);
  for (int64_t i = 0; i < n; i++) a->out[i] = a->in[0][i] * a->n->p.scale;
}

VnStatus vn_emit_scale(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  return const_emit(g, n, b, "scale", n->p.scale);
}

/* ---- softcap: cap * tanh(x / cap) (logit soft-capping) ---- */
VnStatus vn_shape_softcap(VnCtx *ctx, VnGraph *g, VnNode *n) { return unary_shape(ctx, g, n); }

void vn_ref_softcap(const VnRefArgs *a) {
  int64_t n = (int64_t)a->T * vn_node_cols(a->n);
  double cap = a->n->p.cap;
  for (int64_t i = 0; i < n; i++) a->out[i] = (float)(cap * tanh(a->in[0][i] / cap));
}

VnStatus vn_emit_softcap(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  return const_emit(g, n, b, "softcap", n->p.cap);
}
