/* ops.h: the op table (generated from ops.def) and the reference kernels.
 *
 * Reference kernels are short scalar loops over dense float32 arrays: the
 * truth every emitted kernel of every target is tested against. */
#ifndef VN_OPS_H
#define VN_OPS_H
#include "graph.h"

enum { VN_OPF_LEAF = 1, VN_OPF_VIEW = 2, VN_OPF_ELEM = 4 };

typedef struct VnOpInfo {
  const char *name;      /* lower case, as dumps and specs spell it */
  int nin;
  int flags;
  const char *operands;  /* see ops.def */
  const char *doc;
} VnOpInfo;

extern const VnOpInfo vn_ops[VN_OP_COUNT];

/* Reference kernel: out and in[] are dense row-major float32 (weights
 * dequantized, views copied out); state inputs are [ctx][cols] and are
 * updated in place; ids (in as int32) for EMBED. rope tables from g. */
typedef struct VnRefArgs {
  const VnGraph *g;
  const VnNode *n;
  float *out;
  float *in[VN_MAXSRC];   /* NULL for an absent optional operand */
  const int32_t *ids;
  int T, pos;             /* rows of the step, position of its first row */
  int tout;               /* rows of LAST's output */
  /* NULL, or: round a row of n floats through q8_0 (vn_pack_row's d and q)
   * where the kernel quantizes it for q8_0/q4_0 weights (MOE: x before
   * gate/up, the hidden row before down), for the harness's check of the
   * quantized paths at float accuracy */
  void (*round_q8)(float *x, int64_t n);
} VnRefArgs;
typedef void (*VnRefFn)(const VnRefArgs *a);
VnRefFn vn_ref_kernel(VnOp op);

/* One activation of the table VN_ACTS, in float32 as the reference does it. */
float vn_ref_act(int act, float x);
/* RoPE: fill cos/sin [rot_dim/2] for one position, as the runtime does. */
void vn_ref_rope_angles(const VnRope *r, int pos, int seq_len, float *cosv, float *sinv);
/* One head of r->head_dim values turned by those angles (o may be x). */
void vn_ref_rotate_head(float *o, const float *x, const VnRope *r, const float *c, const float *s);

/* ops/ref/ref_seq.c: routing, experts and the ops with state across steps */
void vn_ref_route(const VnRefArgs *a);
void vn_ref_moe(const VnRefArgs *a);
void vn_ref_conv1d(const VnRefArgs *a);
void vn_ref_ssm_scan(const VnRefArgs *a);
void vn_ref_shift(const VnRefArgs *a);
void vn_ref_wkv(const VnRefArgs *a);
void vn_ref_mla(const VnRefArgs *a);

#endif
