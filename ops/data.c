/* data.c: the ops that bring data in or pick rows of it: the leaves
 * (INPUT, WEIGHT, STATE: shape rules only), POSITIONS, VIEW (columns of an
 * activation, no kernel), EMBED and LAST. Per op: shape rule, reference
 * kernel, emitter (ops.h).
 *
 * Activations are [rows, cols] with rows VN_T or VN_TOUT. References are
 * written from each op's definition (ops.def, graph.h) and what
 * transformers computes, not from runtime/kernels.c; an op whose result is
 * int32 (POSITIONS) stores int32 values in the out buffer. */
#include "ops.h"
#include <string.h>

/* ---- input, weight, state: leaves ---- */
VnStatus vn_shape_input(VnCtx *ctx, VnGraph *g, VnNode *n) {
  if (n->dtype == VN_F32 && n->nd == 2) return VN_OK;  /* float frames [T, cols] (the builder's features()) */
  n->nd = 1; n->dim[0] = VN_T; n->dtype = VN_I32;
  return VN_OK;
}

VnStatus vn_shape_weight(VnCtx *ctx, VnGraph *g, VnNode *n) { return VN_OK; }  /* set by the builder */
VnStatus vn_shape_state(VnCtx *ctx, VnGraph *g, VnNode *n) { return VN_OK; }   /* set by the builder */

/* ---- positions: out [T] (int32) = pos + t + offset (p.col0) ---- */
VnStatus vn_shape_positions(VnCtx *ctx, VnGraph *g, VnNode *n) { return vn_shape_input(ctx, g, n); }  /* ids [T] */

void vn_ref_positions(const VnRefArgs *a) {
  for (int t = 0; t < a->T; t++) {
    int32_t v = a->pos + t + a->n->p.col0;
    memcpy(a->out + t, &v, sizeof v);
  }
}

VnStatus vn_emit_positions(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  vn_buf_printf(b, "  vn_k_positions(rt, (int32_t *)out, T, pos, %d);\n", n->p.col0);
  return VN_OK;
}

/* ---- view: columns [col0, col0 + dim[1]) of an activation ---- */
VnStatus vn_shape_view(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0);
  if (!vn_op_is_act(a)) return vn_op_bad(ctx, n, "input must be an activation, got", a);
  if (n->p.col0 < 0 || n->dim[1] <= 0 || n->p.col0 + n->dim[1] > a->dim[1])
    return vn_errorf(ctx, VN_ERR_SHAPE, n->loc, "view: columns [%d, %lld) outside %lld columns",
                     n->p.col0, (long long)(n->p.col0 + n->dim[1]), (long long)a->dim[1]);
  vn_op_set2(n, a->dim[0], n->dim[1]);
  return VN_OK;
}

/* ---- embed: table [V][H], ids [T] -> out [T][H] = table[id] * scale ---- */
VnStatus vn_shape_embed(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0), *b = vn_op_src(g, n, 1);
  if (!a || a->nd != 2 || a->op != VN_OP_WEIGHT) return vn_op_bad(ctx, n, "table must be a 2-D weight, got", a);
  if (!b || b->dtype != VN_I32) return vn_op_bad(ctx, n, "ids must be token ids", NULL);
  vn_op_set2(n, VN_T, a->dim[1]);
  if (n->p.scale == 0) n->p.scale = 1;
  return VN_OK;
}

void vn_ref_embed(const VnRefArgs *a) {
  const VnNode *tb = vn_op_src(a->g, a->n, 0);
  int64_t V = tb->dim[0], H = tb->dim[1];
  float scale = a->n->p.scale != 0 ? a->n->p.scale : 1.0f;
  for (int t = 0; t < a->T; t++) {
    int64_t id = a->ids[t];
    for (int64_t i = 0; i < H; i++)  /* an id outside the table has no row: zeros */
      a->out[t * H + i] = id >= 0 && id < V ? a->in[0][id * H + i] * scale : 0.0f;
  }
}

VnStatus vn_emit_embed(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  const VnNode *t = &g->nodes[n->src[0]];
  vn_buf_printf(b, "  vn_k_embed(rt, out, in0, %s, (const int32_t *)in1, T, %lld, %lld, ", vn_op_dt_c(t->dtype),
                (long long)t->dim[1], (long long)t->dim[0]);
  vn_op_flt(b, n->p.scale);
  vn_buf_puts(b, ");\n");
  return VN_OK;
}

/* ---- last: x [T][C] -> out [tout][C], the last tout rows ---- */
VnStatus vn_shape_last(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0);
  if (!vn_op_is_act(a) || a->dim[0] != VN_T) return vn_op_bad(ctx, n, "input must have a row per token, got", a);
  vn_op_set2(n, VN_TOUT, a->dim[1]);
  return VN_OK;
}

void vn_ref_last(const VnRefArgs *a) {
  int64_t C = vn_node_cols(a->n);
  memcpy(a->out, a->in[0] + (int64_t)(a->T - a->tout) * C, (size_t)(a->tout * C) * sizeof *a->out);
}

VnStatus vn_emit_last(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  /* T here is the step's row count; the output has Tout rows */
  vn_buf_printf(b, "  vn_k_last(rt, out, " VN_IN(0) ", %lld, T, pos, %lld);\n", (long long)vn_op_ld(g, n, 0),
                (long long)vn_node_cols(n));
  return VN_OK;
}

/* ---- features: the float rows of a vision graph's input [T, cols] (set by the builder) ---- */
VnStatus vn_shape_features(VnCtx *ctx, VnGraph *g, VnNode *n) { return VN_OK; }

/* The image state of image_rows and image_merge: fixed state [R + 1][C],
 * rows 0..R-1 the image's feature rows (written by the runtime), row R the
 * counters as floats: [0] rows given, [1] the image row of the step's first
 * image token, [2] the image row after the step. The k-th image token of
 * the sequence takes row k while k < rows given. */
static int image_count(float v, int64_t R) {
  if (!(v > 0)) return 0;  /* NaN, negative */
  return v >= (float)R ? (int)R : (int)v;
}

static VnStatus image_state_ok(VnCtx *ctx, const VnNode *n, const VnNode *s) {
  if (!s || s->op != VN_OP_STATE || s->nd != 2 || s->dim[0] < 2 || s->dim[1] < 3)
    return vn_op_bad(ctx, n, "state must be fixed state [rows + 1, cols >= 3], got", s);
  return VN_OK;
}

/* ---- image_rows: ids [T], state [R+1][C] -> out [T][C] ---- */
VnStatus vn_shape_image_rows(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0), *s = vn_op_src(g, n, 1);
  if (!a || a->dtype != VN_I32) return vn_op_bad(ctx, n, "ids must be token ids", NULL);
  VN_TRY(image_state_ok(ctx, n, s));
  vn_op_set2(n, VN_T, s->dim[1]);
  return VN_OK;
}

void vn_ref_image_rows(const VnRefArgs *a) {
  const VnNode *s = vn_op_src(a->g, a->n, 1);
  int64_t R = s->dim[0] - 1, C = s->dim[1];
  float *st = a->in[1], *cnt = st + R * C;
  int64_t given = image_count(cnt[0], R), k = a->pos == 0 ? 0 : image_count(cnt[2], R);
  cnt[1] = (float)k;
  for (int t = 0; t < a->T; t++) {
    int img = a->ids[t] == a->n->p.token;
    for (int64_t i = 0; i < C; i++) a->out[t * C + i] = img && k < given ? st[k * C + i] : 0.0f;
    if (img && k < R) k++;
  }
  cnt[2] = (float)k;
}

VnStatus vn_emit_image_rows(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  const VnNode *s = &g->nodes[n->src[1]];
  vn_buf_printf(b, "  vn_k_image_rows(rt, out, (const int32_t *)in0, (float *)in1, T, pos, %d, %lld, %lld);\n", n->p.token,
                (long long)(s->dim[0] - 1), (long long)s->dim[1]);
  return VN_OK;
}

/* ---- image_merge: a [T][C], b [T][C], ids [T], state -> out [T][C] ---- */
VnStatus vn_shape_image_merge(VnCtx *ctx, VnGraph *g, VnNode *n) {
  const VnNode *a = vn_op_src(g, n, 0), *b = vn_op_src(g, n, 1), *d = vn_op_src(g, n, 2), *s = vn_op_src(g, n, 3);
  if (!vn_op_is_act(a) || a->dim[0] != VN_T) return vn_op_bad(ctx, n, "a must have a row per token, got", a);
  if (!vn_op_is_act(b) || b->dim[0] != VN_T || b->dim[1] != a->dim[1])
    return vn_op_bad(ctx, n, "b must be a's shape, got", b);
  if (!d || d->dtype != VN_I32) return vn_op_bad(ctx, n, "ids must be token ids", NULL);
  VN_TRY(image_state_ok(ctx, n, s));
  vn_op_set2(n, VN_T, a->dim[1]);
  return VN_OK;
}

void vn_ref_image_merge(const VnRefArgs *a) {
  const VnNode *s = vn_op_src(a->g, a->n, 3);
  int64_t R = s->dim[0] - 1, C = vn_node_cols(a->n);
  const float *cnt = a->in[3] + R * s->dim[1];
  int64_t given = image_count(cnt[0], R), k = image_count(cnt[1], R);
  for (int t = 0; t < a->T; t++) {
    int img = a->ids[t] == a->n->p.token;
    const float *src = img && k < given ? a->in[1] : a->in[0];
    memcpy(a->out + t * C, src + t * C, (size_t)C * sizeof *a->out);
    if (img && k < R) k++;
  }
}

VnStatus vn_emit_image_merge(VnCtx *ctx, const VnGraph *g, const VnNode *n, VnBuf *b) {
  const VnNode *s = &g->nodes[n->src[3]];
  vn_buf_printf(b, "  vn_k_image_merge(rt, out, " VN_IN(0) ", %lld, " VN_IN(1) ", %lld, (const int32_t *)in2, (const float *)in3, T, %d, %lld, %lld, %lld);\n",
                (long long)vn_op_ld(g, n, 0), (long long)vn_op_ld(g, n, 1), n->p.token, (long long)(s->dim[0] - 1),
                (long long)s->dim[1], (long long)vn_node_cols(n));
  return VN_OK;
}
