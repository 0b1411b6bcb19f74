/* ops.c: the op table, generated from ops.def, and what every op's file
 * shares: the shape dispatcher (operand presence, then the row's rule) and
 * the small helpers of shape rules, reference kernels and emitters.
 *
 * The table names each row's vn_shape_/vn_ref_/vn_emit_ functions, so an
 * op whose file lacks one does not link; the checks below hold each row's
 * columns to each other at compile time. */
#include "ops.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OP(NAME, name, nin, flags, operands, doc)                                                     \
  _Static_assert(sizeof operands - 1 == (nin), "ops.def: " #name ": one operand letter per input");   \
  _Static_assert((nin) <= VN_MAXSRC, "ops.def: " #name ": more inputs than VN_MAXSRC");               \
  _Static_assert(!((flags) & (VN_OPF_LEAF | VN_OPF_VIEW)), "ops.def: " #name ": a leaf or a view has no kernel: a NOKERNEL row");
#define NOKERNEL(NAME, name, nin, flags, operands, doc)                                               \
  _Static_assert(sizeof operands - 1 == (nin), "ops.def: " #name ": one operand letter per input");   \
  _Static_assert(((flags) & (VN_OPF_LEAF | VN_OPF_VIEW)) != 0, "ops.def: " #name ": an op without a kernel is a leaf or a view");
#include "ops.def"
#undef OP
#undef NOKERNEL

const VnOpInfo vn_ops[VN_OP_COUNT] = {
#define OP(NAME, name, nin, flags, operands, doc) \
  [VN_OP_##NAME] = {#name, nin, flags, operands, doc, vn_shape_##name, vn_ref_##name, vn_emit_##name},
#define NOKERNEL(NAME, name, nin, flags, operands, doc) \
  [VN_OP_##NAME] = {#name, nin, flags, operands, doc, vn_shape_##name, NULL, NULL},
#include "ops.def"
#undef OP
#undef NOKERNEL
};

VnStatus vn_op_shape(VnCtx *ctx, VnGraph *g, uint32_t i) {
  VnNode *n = &g->nodes[i];
  if ((unsigned)n->op >= VN_OP_COUNT) return vn_internal(ctx, "no shape rule for op %d", (int)n->op);
  const VnOpInfo *oi = &vn_ops[n->op];
  for (int k = 0; k < oi->nin; k++) {
    char r = oi->operands[k];
    if (r >= 'a' && r <= 'z' && n->src[k] == VN_NONE)
      return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "%s: operand %d is required", oi->name, k + 1);
  }
  return oi->shape(ctx, g, n);
}

VnRefFn vn_ref_kernel(VnOp op) { return (unsigned)op < VN_OP_COUNT ? vn_ops[op].ref : NULL; }

VnStatus vn_op_emit(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  if ((unsigned)n->op >= VN_OP_COUNT || !vn_ops[n->op].emit)
    return vn_internal(ctx, "no emitter for op %s", (unsigned)n->op < VN_OP_COUNT ? vn_ops[n->op].name : "?");
  return vn_ops[n->op].emit(ctx, g, n, b);
}

/* ---- shape rules ---- */
const VnNode *vn_op_src(const VnGraph *g, const VnNode *n, int k) {
  return n->src[k] == VN_NONE ? NULL : &g->nodes[n->src[k]];
}

void vn_op_dims_str(const VnNode *n, char *buf, size_t cap) {
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

VnStatus vn_op_bad(VnCtx *ctx, const VnNode *n, const char *what, const VnNode *a) {
  char s[96] = "";
  if (a) vn_op_dims_str(a, s, sizeof s);
  return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "%s: %s%s%s", vn_ops[n->op].name, what, a ? " " : "", s);
}

int vn_op_is_act(const VnNode *a) { return a && a->nd == 2 && vn_node_is_act(a) && a->dtype == VN_F32; }
int vn_op_is_vec(const VnNode *a, int64_t c) { return a && a->nd == 1 && a->dim[0] == c; }

void vn_op_set2(VnNode *n, int64_t rows, int64_t cols) {
  n->nd = 2; n->dim[0] = rows; n->dim[1] = cols; n->dim[2] = n->dim[3] = 0;
  n->dtype = VN_F32;
}

/* ---- reference kernels ---- */
double vn_op_dot(const float *x, const float *w, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += (double)x[i] * w[i];
  return s;
}

void *vn_op_calloc(size_t n, size_t size) { return calloc(n ? n : 1, size); }

/* ---- emitters ---- */
void vn_op_flt(VnBuf *b, double v) {
  if (!isfinite(v)) v = v > 0 ? 3.0e38 : v < 0 ? -3.0e38 : 0;
  vn_buf_printf(b, "%af", (double)(float)v);
}

void vn_op_flts(VnBuf *b, const float *x, int n) {
  for (int k = 0; k < n; k++) {
    if (k) vn_buf_puts(b, ", ");
    vn_op_flt(b, x[k]);
  }
}

void vn_op_dbl(VnBuf *b, double v) {
  if (!isfinite(v)) v = 0;
  vn_buf_printf(b, "%a", v);
}

uint32_t vn_op_root(const VnGraph *g, uint32_t i, int64_t *col) {
  *col = 0;
  while (vn_ops[g->nodes[i].op].flags & VN_OPF_VIEW) {
    *col += g->nodes[i].p.col0;
    i = g->nodes[i].src[0];
  }
  return i;
}

int64_t vn_op_ld(const VnGraph *g, const VnNode *n, int k) {
  int64_t col;
  uint32_t r = vn_op_root(g, n->src[k], &col);
  if (g->nodes[r].op == VN_OP_WEIGHT && g->nodes[r].nd == 1) return 0;
  return vn_node_cols(&g->nodes[r]);
}

const char *vn_op_act_c(int a) {
  static const char *n[] = {"VN_A_NONE", "VN_A_SILU", "VN_A_GELU", "VN_A_GELU_TANH", "VN_A_RELU",
                            "VN_A_SIGMOID", "VN_A_TANH", "VN_A_SOFTPLUS", "VN_A_RELU2", "VN_A_QUICK_GELU"};
  _Static_assert(sizeof n / sizeof n[0] == VN_ACT_COUNT, "one VN_A_ name per VnAct");
  return a >= 0 && a < (int)(sizeof n / sizeof n[0]) ? n[a] : "VN_A_NONE";
}

const char *vn_op_dt_c(int d) {
  static const char *n[] = {"VN_DT_F32", "VN_DT_F16", "VN_DT_BF16", "VN_DT_Q8_0", "VN_DT_Q4_0"};
  static const char *kept[VN_DTYPE_COUNT] = {[VN_Q4_1] = "VN_DT_Q4_1", [VN_Q5_0] = "VN_DT_Q5_0", [VN_Q5_1] = "VN_DT_Q5_1",
    [VN_IQ4_NL] = "VN_DT_IQ4_NL", [VN_Q2_K] = "VN_DT_Q2_K", [VN_Q3_K] = "VN_DT_Q3_K", [VN_Q4_K] = "VN_DT_Q4_K",
    [VN_Q5_K] = "VN_DT_Q5_K", [VN_Q6_K] = "VN_DT_Q6_K", [VN_IQ4_XS] = "VN_DT_IQ4_XS"};
  _Static_assert(sizeof n / sizeof n[0] == VN_KERNEL_DTYPES, "one VN_DT_ name per dtype the kernels read");
  if (d >= 0 && d < VN_DTYPE_COUNT && vn_dtype_kept((VnDType)d)) return kept[d];
  return d >= 0 && d < VN_KERNEL_DTYPES ? n[d] : "VN_DT_F32";
}
