/* ops.h: the op table (generated from ops.def) and what each op brings.
 *
 * An op lives in one file with the ops related to it (ORDER OP within):
 *   ops/data.c        input, weight, state, positions, view, embed, last
 *   ops/norm.c        rmsnorm, layernorm
 *   ops/matmul.c      matmul
 *   ops/attention.c   rope, attention, mla
 *   ops/elementwise.c act, add, mul, xielu, glu, scale, softcap
 *   ops/moe.c         route, moe
 *   ops/recurrent.c   conv1d, ssm_scan, shift, wkv, delta_rule
 * and defines, for its row OP(NAME, name, ...):
 *   vn_shape_<name>  the shape rule: checks the operands, sets the result's
 *                    dtype and dims; a mismatch is a VN_ERR_SHAPE naming the
 *                    spec line that built the node
 *   vn_ref_<name>    the scalar reference kernel: short loops over dense
 *                    float32 arrays, in double where it sums, the truth
 *                    every emitted kernel of every target is tested against
 *   vn_emit_<name>   the body of the node's generated C function: one call
 *                    of the runtime kernel vn_k_<name> with every dimension,
 *                    stride and constant written out (VnBuf text; the node
 *                    function around it is codegen/emit.c's)
 * A NOKERNEL row (leaves, views) defines vn_shape_<name> alone.
 * ops.c holds the table, the shape dispatcher and the helpers below. */
#ifndef VN_OPS_H
#define VN_OPS_H
#include "graph.h"

enum { VN_OPF_LEAF = 1, VN_OPF_VIEW = 2, VN_OPF_ELEM = 4 };

/* Reference kernel arguments: out and in[] are dense row-major float32
 * (weights dequantized, views copied out); state inputs are [ctx][cols] and
 * are updated in place; ids (in as int32) for EMBED. rope tables from g. */
typedef struct VnRefArgs {
  const VnGraph *g;
  const VnNode *n;
  float *out;
  float *in[VN_MAXSRC];   /* NULL for an absent optional operand */
  const int32_t *ids;
  int T, pos;             /* rows of the step, position of its first row */
  int tout;               /* rows of LAST's output */
  int enc_len;            /* rows of the encoder's output (cross attention) */
  /* NULL, or: round a row of n floats through q8_0 (vn_pack_row's d and q)
   * where the kernel quantizes it for q8_0/q4_0 weights (MOE: x before
   * gate/up, the hidden row before down), for the harness's check of the
   * quantized paths at float accuracy */
  void (*round_q8)(float *x, int64_t n);
} VnRefArgs;

typedef VnStatus (*VnShapeFn)(VnCtx *ctx, VnGraph *g, VnNode *n);
typedef void (*VnRefFn)(const VnRefArgs *a);
typedef VnStatus (*VnEmitFn)(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b);

typedef struct VnOpInfo {
  const char *name;      /* lower case, as dumps and specs spell it */
  int nin;
  int flags;
  const char *operands;  /* see ops.def */
  const char *doc;
  VnShapeFn shape;
  VnRefFn ref;           /* NULL: no kernel (a NOKERNEL row) */
  VnEmitFn emit;         /* NULL likewise */
} VnOpInfo;

extern const VnOpInfo vn_ops[VN_OP_COUNT];

/* Every row's functions, declared from the table. */
#define OP(NAME, name, nin, flags, operands, doc)                                  \
  VnStatus vn_shape_##name(VnCtx *ctx, VnGraph *g, VnNode *n);                     \
  void vn_ref_##name(const VnRefArgs *a);                                          \
  VnStatus vn_emit_##name(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b);
#define NOKERNEL(NAME, name, nin, flags, operands, doc) VnStatus vn_shape_##name(VnCtx *ctx, VnGraph *g, VnNode *n);
#include "ops.def"
#undef OP
#undef NOKERNEL

VnRefFn vn_ref_kernel(VnOp op);  /* NULL for an op without a kernel */
/* Node n's kernel call (its row's emitter). */
VnStatus vn_op_emit(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b);

/* ---- helpers of the shape rules (ops.c) ---- */
const VnNode *vn_op_src(const VnGraph *g, const VnNode *n, int k);  /* operand k, NULL if absent */
/* "op: what [dims of a]" as a VN_ERR_SHAPE at n's spec line (a may be NULL) */
VnStatus vn_op_bad(VnCtx *ctx, const VnNode *n, const char *what, const VnNode *a);
void vn_op_dims_str(const VnNode *n, char *buf, size_t cap);  /* "[T,4096]" */
int vn_op_is_act(const VnNode *a);             /* a float32 activation [rows, cols] */
int vn_op_is_vec(const VnNode *a, int64_t c);  /* a vector of c */
void vn_op_set2(VnNode *n, int64_t rows, int64_t cols);  /* result float32 [rows, cols] */

/* ---- helpers of the reference kernels (ops.c, elementwise.c) ---- */
#define VN_REF_MAX_HEAD_DIM 1024  /* widest head the references take (= runtime.h VN_MAX_HEAD_DIM) */
double vn_op_dot(const float *x, const float *w, int64_t n);  /* in double */
void *vn_op_calloc(size_t n, size_t size);  /* calloc that takes n = 0 */
/* One activation of the table VN_ACTS, in float32 as the reference does it
 * (computed in double, rounded once). */
float vn_op_activate(int act, float x);

/* ---- helpers of the emitters (ops.c) ---- */
/* Operand k as the generated node function names it: (const float *)ink */
#define VN_IN(k) "(const float *)in" #k
void vn_op_flt(VnBuf *b, double v);   /* a float literal, hexadecimal (exact) */
void vn_op_flts(VnBuf *b, const float *x, int n);  /* n float literals, ", " between */
void vn_op_dbl(VnBuf *b, double v);   /* a double literal, hexadecimal */
/* The node a chain of views starts from, *col the first column of i in it. */
uint32_t vn_op_root(const VnGraph *g, uint32_t i, int64_t *col);
/* row stride of operand k of node n (0: a weight vector used for every row) */
int64_t vn_op_ld(const VnGraph *g, const VnNode *n, int k);
const char *vn_op_act_c(int act);     /* VN_A_* of runtime.h */
const char *vn_op_dt_c(int dtype);    /* VN_DT_* of runtime.h */
/* Is weight node w stored repacked (VN_DT_RP)? A 2-D q8_0/q4_0 weight that
 * only matmuls read (codegen/pack.c lays it out as the target streams it). */
int vn_op_weight_repacked(const VnGraph *g, uint32_t w);

#endif
