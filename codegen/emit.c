/* emit.c: lowers a planned graph to one C file, model.c, for one target.
 *
 * Every node becomes a small static function whose signature follows the op
 * table (VnRt *, the output, one pointer per operand, the row count, the
 * position) and whose body calls the runtime kernel with every dimension,
 * stride and constant written out; vn_model_step calls them in order with
 * buffer addresses that are constants off the arena, the weight file and
 * the state. The same node functions, exported, are what the libffi
 * harness tests against the reference kernels.
 *
 * Each node's body is its op's emitter (ops/<group>.c, vn_emit_<name>);
 * this file writes what is around it: the node function, the tables
 * (RoPE, tokenizer, chat formats), vn_model and vn_model_step.
 *
 * Strings from model files never reach the output except through
 * vn_buf_cstr; numbers are printed as hexadecimal float literals (exact). */
#include "codegen.h"
#include "ops.h"
#include "runtime.h"
#include "image.h"
#include <math.h>
#include <string.h>

/* What venusc and the runtime both spell: numbers the generated code passes
 * (dtypes, activations) and the limits venusc checks for the runtime. */
#define SAME(a, b) ((int)(a) == (int)(b))
_Static_assert(SAME(VN_DT_F32, VN_F32) && SAME(VN_DT_F16, VN_F16) && SAME(VN_DT_BF16, VN_BF16) && SAME(VN_DT_Q8_0, VN_Q8_0) &&
               SAME(VN_DT_Q4_0, VN_Q4_0) && SAME(VN_KERNEL_DTYPES, VN_DT_Q4_0 + 1), "runtime.h VN_DT_* = graph.h VnDType");
_Static_assert(SAME(VN_DT_Q4_1, VN_Q4_1) && SAME(VN_DT_Q5_0, VN_Q5_0) && SAME(VN_DT_Q5_1, VN_Q5_1) && SAME(VN_DT_IQ4_NL, VN_IQ4_NL) &&
               SAME(VN_DT_Q2_K, VN_Q2_K) && SAME(VN_DT_Q3_K, VN_Q3_K) && SAME(VN_DT_Q4_K, VN_Q4_K) && SAME(VN_DT_Q5_K, VN_Q5_K) &&
               SAME(VN_DT_Q6_K, VN_Q6_K) && SAME(VN_DT_IQ4_XS, VN_IQ4_XS), "runtime.h VN_DT_* of the kept GGUF formats = graph.h VnDType");
_Static_assert(SAME(VN_A_NONE, VN_ACT_NONE) && SAME(VN_A_SILU, VN_ACT_SILU) && SAME(VN_A_GELU, VN_ACT_GELU) &&
               SAME(VN_A_GELU_TANH, VN_ACT_GELU_TANH) && SAME(VN_A_RELU, VN_ACT_RELU) && SAME(VN_A_SIGMOID, VN_ACT_SIGMOID) &&
               SAME(VN_A_TANH, VN_ACT_TANH) && SAME(VN_A_SOFTPLUS, VN_ACT_SOFTPLUS) && SAME(VN_A_RELU2, VN_ACT_RELU2) &&
               SAME(VN_A_QUICK_GELU, VN_ACT_QUICK_GELU) && SAME(VN_ACT_COUNT, VN_A_QUICK_GELU + 1), "runtime.h VN_A_* = graph.h VnAct");
_Static_assert(VN_PLAN_WEIGHT_HEADER == VN_WEIGHT_HEADER, "graph.h VN_PLAN_WEIGHT_HEADER = runtime.h VN_WEIGHT_HEADER");
_Static_assert(VN_MAX_HEAD_DIM_C == VN_MAX_HEAD_DIM, "codegen.h VN_MAX_HEAD_DIM_C = runtime.h VN_MAX_HEAD_DIM");
_Static_assert(VN_REF_MAX_HEAD_DIM == VN_MAX_HEAD_DIM, "ops.h VN_REF_MAX_HEAD_DIM = runtime.h VN_MAX_HEAD_DIM");
_Static_assert(VN_MAX_LATENT <= VN_MAX_HEAD_DIM, "an MLA latent row fits the runtime's head-sized scratch");
#undef SAME

static void node_comment(const VnGraph *g, uint32_t i, VnBuf *b) {
  const VnNode *n = &g->nodes[i];
  vn_buf_printf(b, "/* %%%u %s [", i, vn_ops[n->op].name);
  for (int k = 0; k < n->nd; k++) {
    int64_t d = n->dim[k];
    if (k) vn_buf_puts(b, ",");
    if (d == VN_T) vn_buf_puts(b, "T");
    else if (d == VN_TOUT) vn_buf_puts(b, "Tout");
    else vn_buf_printf(b, "%lld", (long long)d);
  }
  vn_buf_puts(b, "]");
  for (int k = 0; k < vn_ops[n->op].nin; k++)
    if (n->src[k] != VN_NONE) vn_buf_printf(b, "%s%%%u", k ? ", " : " <- ", n->src[k]);
  if (n->layer >= 0) vn_buf_printf(b, ", layer %d", n->layer);
  vn_buf_puts(b, " */\n");
}

VnStatus vn_emit_node_fn(VnCtx *ctx, const VnGraph *g, uint32_t i, const char *name, int exported, VnBuf *b) {
  const VnNode *n = &g->nodes[i];
  node_comment(g, i, b);
  vn_buf_printf(b, "%svoid %s(VnRt *rt, float *out", exported ? "" : "static ", name);
  for (int k = 0; k < vn_ops[n->op].nin; k++) vn_buf_printf(b, ", const void *in%d", k);
  /* LAST's T is the step's rows and pos carries Tout */
  vn_buf_puts(b, ", int T, int pos) {\n  (void)rt; (void)T; (void)pos;\n");
  for (int k = 0; k < vn_ops[n->op].nin; k++) vn_buf_printf(b, "  (void)in%d;\n", k);
  VN_TRY(vn_op_emit(ctx, g, n, b));
  vn_buf_puts(b, "}\n\n");
  return VN_OK;
}

/* pointer expression for operand s of a step */
static void operand_ptr(const VnGraph *g, uint32_t s, VnBuf *b) {
  if (s == VN_NONE) { vn_buf_puts(b, "NULL"); return; }
  int64_t col;
  uint32_t r = vn_op_root(g, s, &col);
  const VnNode *rn = &g->nodes[r];
  switch (rn->op) {
  case VN_OP_INPUT: vn_buf_puts(b, "tok"); return;
  case VN_OP_FEATURES: vn_buf_puts(b, "(const void *)tok"); return;  /* the vision step's rows (floats) */
  case VN_OP_WEIGHT: vn_buf_printf(b, "W + %lld", (long long)rn->offset); return;
  case VN_OP_STATE:
    if (rn->dim[0] == VN_CTX) vn_buf_printf(b, "S + C * %lld", (long long)rn->state_off);
    else vn_buf_printf(b, "S + C * %lld + %lld", (long long)g->state_row_bytes, (long long)rn->state_off);
    return;
  default: vn_buf_printf(b, "A + %lld", (long long)(rn->offset + col * 4)); return;
  }
}

/* Bare metal: the static pool every buffer comes from (runtime/weights.c
 * vn_static_alloc), 64-byte aligned pieces: the arena, the state for
 * ctx_max positions, the RoPE tables, one thread's attention scratch (as
 * vn_rt_init sizes it), the q8_0 and op scratch, and what the command line
 * takes: ids, the sequence, the sampler's two vocab-sized arrays and, with
 * a tokenizer, a prompt of up to 16 bytes per position with its work memory. */
static int64_t bare_pool_bytes(const VnGraph *g, const VnEmitOpts *o, int64_t qbuf, int64_t ops) {
#define A64(x) ((((int64_t)(x)) + 63) / 64 * 64)
  int64_t C = o->ctx_max, rope = 0;
  for (int r = 0; r < g->nropes; r++) rope += g->t_max * g->ropes[r].rot_dim * 4;
  int64_t p = 64 + A64(g->arena_bytes) + A64(C * g->state_row_bytes + g->state_fixed_bytes) + A64(rope) +
              A64(((C > g->info.enc_rows ? C : g->info.enc_rows) + 3 * VN_MAX_HEAD_DIM_C) * 4) + A64(qbuf) + A64(ops);
  p += A64((3 * C + 16) * 4) + A64((C + 16) * 4) + 2 * A64(g->info.vocab * 4) + 4096;
  VnTok tok;
  if (o->tok_blob && vn_tok_load(&tok, o->tok_blob, o->tok_len) == 0) {
    int64_t text = 16 * C;
    p += A64(vn_tok_work_size(&tok, (size_t)text)) + A64((text + 16) * 4) + A64(text + 1);
  }
  return p;
#undef A64
}

/* per rope table: its inverse frequencies (and LongRoPE's), then the
 * table of VnRtRope */
static void emit_ropes(const VnGraph *g, const char *px, VnBuf *b) {
  for (int r = 0; r < g->nropes; r++) {
    const VnRope *ro = &g->ropes[r];
    int half = ro->rot_dim / 2;
    vn_buf_printf(b, "static const float %srope%d_inv[%d] = {", px, r, half > 0 ? half : 1);
    vn_op_flts(b, ro->inv_freq, half);
    vn_buf_puts(b, "};\n");
    if (ro->long_after) {
      vn_buf_printf(b, "static const float %srope%d_long[%d] = {", px, r, half > 0 ? half : 1);
      vn_op_flts(b, ro->long_inv_freq, half);
      vn_buf_puts(b, "};\n");
    }
  }
  if (!g->nropes) return;
  vn_buf_printf(b, "static const VnRtRope %sropes[] = {\n", px);
  for (int r = 0; r < g->nropes; r++) {
    const VnRope *ro = &g->ropes[r];
    vn_buf_printf(b, "  {%d, %d, %d, ", ro->head_dim, ro->rot_dim, ro->interleaved);
    vn_op_flt(b, ro->attn_factor);
    vn_buf_printf(b, ", %srope%d_inv, %d, ", px, r, ro->dynamic);
    vn_op_dbl(b, ro->dyn_base);
    vn_buf_puts(b, ", ");
    vn_op_dbl(b, ro->dyn_factor);
    vn_buf_printf(b, ", %d, ", ro->dyn_max_pos);
    if (ro->long_after) vn_buf_printf(b, "%srope%d_long, %d", px, r, ro->long_after);
    else vn_buf_puts(b, "NULL, 0");
    vn_buf_printf(b, ", {%d, %d, %d}},\n", ro->sections[0], ro->sections[1], ro->sections[2]);
  }
  vn_buf_puts(b, "};\n");
}

/* chat formats (strings from archspecs/lib/chat.lua, escaped) */
static void emit_chat(const VnChatFormats *chat, VnBuf *b) {
  vn_buf_puts(b, "static const VnChatFmt vn_chat[] = {\n");
  for (int i = 0; i < chat->n; i++) {
    const VnChatFormat *f = &chat->f[i];
    const char *str[6] = {f->system, f->system_prefix, f->user, f->assistant, f->assistant_end, NULL};
    vn_buf_puts(b, "  {");
    vn_buf_cstr(b, f->name);
    vn_buf_printf(b, ", %d, %d", f->bos, f->trim);
    for (int k = 0; k < 5; k++) {
      vn_buf_puts(b, ", ");
      if (str[k]) vn_buf_cstr(b, str[k]); else vn_buf_puts(b, "NULL");
    }
    vn_buf_puts(b, "},\n");
  }
  vn_buf_puts(b, "};\n");
}

/* scratch: *qbuf for activations quantized for q8_0/q4_0 weights, or with
 * BLAS the raw product of a glu matmul; *ops for the rows moe gathers and
 * route's scores */
static void scratch_bytes(const VnGraph *g, const VnEmitOpts *o, int64_t *qbuf_out, int64_t *ops_out) {
  int64_t qbuf = 64, maxk = 0, maxn = 0, ops = 64;
  int64_t rows = g->info.enc_rows > g->t_max ? g->info.enc_rows : g->t_max;  /* the encoder's rows too */
  int kq = 0;  /* a matmul on 256-value blocks (the K-quants, IQ4_XS) */
  for (uint32_t i = 0; i < g->n; i++) {
    const VnNode *n = &g->nodes[i];
    if (n->op == VN_OP_MOE) {
      int64_t H = g->nodes[n->src[2]].dim[2], F = g->nodes[n->src[3]].dim[2];
      if (H > maxk) maxk = H;
      if (F > maxk) maxk = F;
      if (g->t_max * (2 + 2 * H + 3 * F) * 4 > ops) ops = g->t_max * (2 + 2 * H + 3 * F) * 4;  /* + [T][2F] */
    }
    if (n->op == VN_OP_ROUTE && 2 * g->nodes[n->src[0]].dim[1] * 4 > ops) ops = 2 * g->nodes[n->src[0]].dim[1] * 4;
    if (n->op != VN_OP_MATMUL) continue;
    if (vn_dtype_block(g->nodes[n->src[1]].dtype) == 256) kq = 1;
    if (g->nodes[n->src[1]].dim[1] > maxk) maxk = g->nodes[n->src[1]].dim[1];
    if (n->p.glu && g->nodes[n->src[1]].dim[0] > maxn) maxn = g->nodes[n->src[1]].dim[0];
  }
  /* VnBlockQ8x (36 bytes) or VnBlockQ8s (40) per 32, or kquants.h's KqX (356 per 256) */
  qbuf += rows * (maxk / 32 + 1) * (kq ? 48 : 40);
  if (o->blas && rows * maxn * 4 > qbuf) qbuf = rows * maxn * 4;
  *qbuf_out = qbuf;
  *ops_out = ops;
}

static void emit_image_desc(const VnGraph *g, VnBuf *b);
/* the image processor's settings (preprocessor_config.json), for --image */
static void emit_image(const VnImageProc *p, VnBuf *b) {
  vn_buf_printf(b, "#include \"image.h\"\nstatic const VnImageProc vn_image_proc = {\n  .kind = %d, .name = ", p->kind);
  vn_buf_cstr(b, p->name ? p->name : "");
  if (p->problem) { vn_buf_puts(b, ", .problem = "); vn_buf_cstr(b, p->problem); }
  vn_buf_printf(b, ",\n  .do_convert_rgb = %d, .do_resize = %d, .do_center_crop = %d, .do_rescale = %d, .do_normalize = %d,\n",
                p->do_convert_rgb, p->do_resize, p->do_center_crop, p->do_rescale, p->do_normalize);
  vn_buf_printf(b, "  .resample = %d, .shortest_edge = %d, .size_h = %d, .size_w = %d, .crop_h = %d, .crop_w = %d,\n", p->resample,
                p->shortest_edge, p->size_h, p->size_w, p->crop_h, p->crop_w);
  vn_buf_printf(b, "  .rescale_factor = %.17g, .mean = {%.9g, %.9g, %.9g}, .std = {%.9g, %.9g, %.9g},\n", p->rescale_factor,
                (double)p->mean[0], (double)p->mean[1], (double)p->mean[2], (double)p->std[0], (double)p->std[1], (double)p->std[2]);
  vn_buf_printf(b, "  .patch_size = %d, .merge_size = %d, .temporal_patch_size = %d, .min_pixels = %lld, .max_pixels = %lld,\n};\n",
                p->patch_size, p->merge_size, p->temporal_patch_size, p->min_pixels, p->max_pixels);
}

/* the model description, vn_model (runtime.h VnModel) */
static void emit_desc(const VnGraph *g, const VnEmitOpts *o, int64_t qbuf, int64_t ops, VnBuf *b) {
  const VnModelInfo *mi = &g->info;
  int64_t col;
  uint32_t r = vn_op_root(g, g->output, &col);
  int64_t logits_off = g->nodes[r].offset + col * 4;
  if (o->target->kind == VN_TK_BAREMETAL)
    vn_buf_printf(b, "\nextern const unsigned char vn_weights_data[];  /* model_weights.c */\n"
                     "static uint8_t vn_pool[%lld] __attribute__((aligned(64)));\n",
                  (long long)bare_pool_bytes(g, o, qbuf, ops));
  vn_buf_puts(b, "\nconst VnModel vn_model = {\n  .arch = ");
  vn_buf_cstr(b, mi->arch ? mi->arch : "?");
  vn_buf_puts(b, ",\n  .target = ");
  vn_buf_cstr(b, o->target->name);
  vn_buf_printf(b, ",\n  .vocab = %lld, .t_max = %lld, .arena_bytes = %lld, .state_row_bytes = %lld,\n",
                (long long)mi->vocab, (long long)g->t_max, (long long)g->arena_bytes, (long long)g->state_row_bytes);
  vn_buf_printf(b, "  .weight_bytes = %lld, .weights_id = 0x%016llxull, .max_pos = %lld,\n", (long long)g->weight_bytes,
                (unsigned long long)o->weights_id, (long long)mi->max_pos);
  vn_buf_printf(b, "  .bos = %d, .neos = %d, .eos = {", mi->bos, mi->neos);
  for (int k = 0; k < mi->neos; k++) vn_buf_printf(b, "%s%d", k ? ", " : "", mi->eos[k]);
  vn_buf_printf(b, "},\n  .encoder_only = %d, .big_endian = %d, .logits_off = %lld, .qbuf_bytes = %lld,\n",
                mi->encoder_only, o->target->big_endian, (long long)logits_off, (long long)qbuf);
  vn_buf_printf(b, "  .max_ctx = %lld,\n", (long long)mi->max_ctx);
  if (mi->gen.set)  /* generation_config.json's defaults */
    vn_buf_printf(b, "  .gen = {1, %d, %d, %d, (float)%.9g, (float)%.9g, (float)%.9g, (float)%.9g},\n", mi->gen.sample, mi->gen.top_k, mi->gen.max_new,
                  (double)mi->gen.temp, (double)mi->gen.top_p, (double)mi->gen.min_p, (double)mi->gen.rep);
  vn_buf_printf(b, "  .state_fixed_bytes = %lld, .op_scratch_bytes = %lld,\n", (long long)g->state_fixed_bytes, (long long)ops);
  vn_buf_printf(b, "  .out_cols = %lld,\n", (long long)vn_node_cols(&g->nodes[g->output]));
  if (g->hidden != VN_NONE) {  /* sentence embeddings pool these rows */
    int64_t hcol;
    uint32_t hr = vn_op_root(g, g->hidden, &hcol);
    vn_buf_printf(b, "  .hidden_off = %lld, .hidden_cols = %lld, .hidden_ld = %lld, .pooling = %d, .normalize = %d,\n",
                  (long long)(g->nodes[hr].offset + hcol * 4), (long long)vn_node_cols(&g->nodes[g->hidden]),
                  (long long)vn_node_cols(&g->nodes[hr]), mi->pool.mode ? mi->pool.mode : VN_POOL_MEAN, mi->pool.normalize);
  }
  vn_buf_printf(b, "  .nropes = %d, .ropes = %s,\n", g->nropes, g->nropes ? "vn_ropes" : "NULL");
  if (g->vision) emit_image_desc(g, b);
  if (mi->enc_rows)
    vn_buf_printf(b, "  .encode = vn_model_encode, .enc_rows = %lld, .enc_mels = %d, .enc_per_row = %d, .dec_start = %d,\n",
                  (long long)mi->enc_rows, mi->enc_mels, mi->enc_per_row, mi->dec_start);
  if (o->tok_blob) vn_buf_puts(b, "  .tok_blob = vn_tok_blob, .tok_len = sizeof vn_tok_blob,\n");
  if (o->chat && o->chat->n)
    vn_buf_printf(b, "  .chat = vn_chat, .nchat = %d, .chat_default = %d, .chat_template = %d,\n", o->chat->n,
                  o->chat->chosen, o->chat_template);
  else vn_buf_puts(b, "  .chat_default = -1,\n");
  if (o->jinja) {
    vn_buf_puts(b, "  .chat_jinja = vn_chat_jinja, .chat_bos = ");
    if (o->jinja_bos) vn_buf_cstr(b, o->jinja_bos); else vn_buf_puts(b, "NULL");
    vn_buf_puts(b, ", .chat_eos = ");
    if (o->jinja_eos) vn_buf_cstr(b, o->jinja_eos); else vn_buf_puts(b, "NULL");
    vn_buf_puts(b, ",\n");
  }
  if (o->image) vn_buf_puts(b, "  .image_proc = &vn_image_proc,\n");
  if (o->target->kind == VN_TK_BAREMETAL)
    vn_buf_printf(b, "  .weights_data = vn_weights_data, .pool = vn_pool, .pool_bytes = sizeof vn_pool, .ctx_max = %d,\n",
                  o->ctx_max);
  vn_buf_puts(b, "};\n\n");
}

/* the calls of one entry point: every node function of the phase in order,
 * on constant addresses (px: the node functions' prefix, "vn_" or the vision
 * graph's "vn_v") */
static void emit_calls(const VnGraph *g, int phase, const char *px, VnBuf *b) {
  for (uint32_t i = 0; i < g->n; i++) {
    const VnNode *n = &g->nodes[i];
    if ((vn_ops[n->op].flags & (VN_OPF_LEAF | VN_OPF_VIEW)) || n->phase != phase) continue;
    vn_buf_printf(b, "  %sn%u(rt, (float *)(A + %lld)", px, i, (long long)n->offset);
    for (int k = 0; k < vn_ops[n->op].nin; k++) {
      vn_buf_puts(b, ", ");
      operand_ptr(g, n->src[k], b);
    }
    if (n->op == VN_OP_LAST) vn_buf_puts(b, ", T, Tout);\n");
    else vn_buf_printf(b, ", %s, pos);\n", n->dim[0] == VN_TOUT ? "Tout" : "T");
  }
}

/* vn_model_step (the decoder's, for an encoder-decoder; or the vision
 * graph's vn_vision_step: px "vn_v"); vn_model_encode: the encoder over T
 * positions from 0 (its input ids or float frames) */
static void emit_step(const VnGraph *g, const char *fn, const char *px, VnBuf *b) {
  static const char *const head = "  uint8_t *A = rt->arena;\n  const uint8_t *W = rt->w;\n  uint8_t *S = rt->state;\n"
                                  "  size_t C = (size_t)rt->ctx;\n  int Tout = all_logits ? T : 1;\n"
                                  "  (void)A; (void)W; (void)S; (void)C; (void)tok; (void)Tout;\n";
  vn_buf_printf(b, "%svoid %s(VnRt *rt, const int32_t *tok, int T, int pos, int all_logits) {\n%s",
                strcmp(px, "vn_") ? "static " : "", fn, head);
  int sectioned = 0;
  for (int r = 0; r < g->nropes; r++) sectioned |= g->ropes[r].sections[0] != 0;
  if (sectioned && g->vision)  /* M-RoPE: the position streams of the step's tokens */
    vn_buf_puts(b, "  vn_rt_mrope(rt, tok, T, pos);\n");
  emit_calls(g, VN_PHASE_STEP, px, b);
  vn_buf_puts(b, "}\n");
  if (!g->info.enc_rows) return;
  vn_buf_printf(b, "\nstatic void vn_model_encode(VnRt *rt, const void *in, int T) {\n"
                   "  const int32_t *tok = in;\n  int pos = 0, all_logits = 1;\n%s", head);
  emit_calls(g, VN_PHASE_ENCODER, px, b);
  vn_buf_puts(b, "}\n");
}

/* The vision graph: its node functions, its description vn_vision_model
 * (a VnModel whose "logits" are the image's rows) and vn_vision_step. */
static VnStatus emit_vision(VnCtx *ctx, const VnGraph *g, const VnEmitOpts *o, VnBuf *b) {
  const VnGraph *v = g->vision;
  if (o->target->kind == VN_TK_BAREMETAL)
    return vn_errorf(ctx, VN_ERR_TARGET, VN_NOLOC, "target %s: vision-language models need a hosted target", o->target->name);
  emit_ropes(v, "vn_v", b);
  int64_t qbuf, ops, col;
  scratch_bytes(v, o, &qbuf, &ops);
  uint32_t r = vn_op_root(v, v->output, &col);
  vn_buf_puts(b, "\nstatic const VnModel vn_vision_model = {\n  .arch = ");
  vn_buf_cstr(b, g->info.arch ? g->info.arch : "?");
  vn_buf_puts(b, ",\n  .target = ");
  vn_buf_cstr(b, o->target->name);
  vn_buf_printf(b, ",\n  .vocab = %lld, .t_max = %lld, .arena_bytes = %lld, .state_row_bytes = %lld,\n",
                (long long)vn_node_cols(&v->nodes[v->output]), (long long)v->t_max, (long long)v->arena_bytes,
                (long long)v->state_row_bytes);
  vn_buf_printf(b, "  .weight_bytes = %lld, .weights_id = 0x%016llxull, .big_endian = %d, .encoder_only = 1,\n",
                (long long)g->weight_bytes, (unsigned long long)o->weights_id, o->target->big_endian);
  vn_buf_printf(b, "  .logits_off = %lld, .out_cols = %lld, .qbuf_bytes = %lld, .state_fixed_bytes = %lld, .op_scratch_bytes = %lld,\n",
                (long long)(v->nodes[r].offset + col * 4), (long long)vn_node_cols(&v->nodes[v->output]), (long long)qbuf,
                (long long)v->state_fixed_bytes, (long long)ops);
  vn_buf_printf(b, "  .nropes = %d, .ropes = %s,\n};\n\n", v->nropes, v->nropes ? "vn_vropes" : "NULL");
  for (uint32_t i = 0; i < v->n; i++) {
    if (vn_ops[v->nodes[i].op].flags & (VN_OPF_LEAF | VN_OPF_VIEW)) continue;
    char name[32];
    snprintf(name, sizeof name, "vn_vn%u", i);
    VN_TRY(vn_emit_node_fn(ctx, v, i, name, 0, b));
  }
  emit_step(v, "vn_vision_step", "vn_v", b);
  vn_buf_puts(b, "\n");
  return VN_OK;
}

/* what the runtime needs of the image input (runtime.h VnModel) */
static void emit_image_desc(const VnGraph *g, VnBuf *b) {
  const VnModelInfo *mi = &g->info;
  const VnNode *st = NULL;
  for (uint32_t i = 0; i < g->n; i++)
    if (g->nodes[i].op == VN_OP_IMAGE_ROWS) st = &g->nodes[g->nodes[i].src[1]];
  const VnNode *in = NULL;
  for (uint32_t i = 0; i < g->vision->n; i++)
    if (g->vision->nodes[i].op == VN_OP_FEATURES) in = &g->vision->nodes[i];
  vn_buf_printf(b, "  .vision = &vn_vision_model, .vision_step = vn_vision_step, .image_token = %d,\n", mi->image_token);
  vn_buf_printf(b, "  .image_state_off = %lld, .image_max = %lld, .image_cols = %lld, .vis_in_cols = %lld,\n",
                st ? (long long)st->state_off : -1LL, st ? (long long)(st->dim[0] - 1) : 0LL, st ? (long long)st->dim[1] : 0LL,
                in ? (long long)in->dim[1] : 0LL);
  vn_buf_printf(b, "  .vis_layout = %d, .vis_channels = %d, .vis_patch = %d, .vis_height = %d, .vis_width = %d,\n",
                mi->vis_layout, mi->vis_channels, mi->vis_patch, mi->vis_height, mi->vis_width);
  vn_buf_printf(b, "  .vis_temporal = %d, .vis_merge = %d, .vis_cls = %d, .vis_skip = %d,\n", mi->vis_temporal,
                mi->vis_merge, mi->vis_cls, mi->vis_skip);
}

VnStatus vn_emit_model(VnCtx *ctx, const VnGraph *g, const VnEmitOpts *o, VnBuf *b) {
  vn_buf_puts(b, "/* model.c: generated by venusc -- do not edit.\n * Architecture spec and target: see vn_model below. */\n");
  vn_buf_puts(b, "#include \"runtime.h\"\n\n");
  if (g->vision) VN_TRY(emit_vision(ctx, g, o, b));
  emit_ropes(g, "vn_", b);
  if (o->tok_blob) {
    /* a string of exactly tok_len bytes (no terminating zero is stored) */
    vn_buf_printf(b, "static const unsigned char vn_tok_blob[%zu] =\n", o->tok_len);
    vn_buf_bytes_str(b, o->tok_blob, o->tok_len);
    vn_buf_puts(b, ";\n");
  }
  if (o->chat && o->chat->n) emit_chat(o->chat, b);
  if (o->jinja) {  /* the chat template, as bytes (any text is safe) */
    vn_buf_puts(b, "static const char vn_chat_jinja[] = {\n");
    vn_buf_bytes(b, (const unsigned char *)o->jinja, strlen(o->jinja) + 1);
    vn_buf_puts(b, "};\n");
  }
  if (o->image) emit_image(o->image, b);
  int64_t qbuf, ops;
  scratch_bytes(g, o, &qbuf, &ops);
  if (g->info.enc_rows) vn_buf_puts(b, "static void vn_model_encode(VnRt *rt, const void *in, int T);\n");
  emit_desc(g, o, qbuf, ops, b);
  for (uint32_t i = 0; i < g->n; i++) {  /* node functions */
    if (vn_ops[g->nodes[i].op].flags & (VN_OPF_LEAF | VN_OPF_VIEW)) continue;
    char name[32];
    snprintf(name, sizeof name, "vn_n%u", i);
    VN_TRY(vn_emit_node_fn(ctx, g, i, name, 0, b));
  }
  emit_step(g, "vn_model_step", "vn_", b);
  /* a library (VN_LIB) has no main */
  vn_buf_puts(b, "\n#ifndef VN_LIB\nint main(int argc, char **argv) { return vn_main(argc, argv); }\n#endif\n");
  return VN_OK;
}
