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
 * Strings from model files never reach the output except through
 * vn_buf_cstr; numbers are printed as hexadecimal float literals (exact). */
#include "codegen.h"
#include "ops.h"
#include "tokenizer.h"
#include <math.h>
#include <string.h>

static void flt(VnBuf *b, double v) {
  if (!isfinite(v)) v = v > 0 ? 3.0e38 : v < 0 ? -3.0e38 : 0;
  vn_buf_printf(b, "%af", (double)(float)v);
}

static void dbl(VnBuf *b, double v) {
  if (!isfinite(v)) v = 0;
  vn_buf_printf(b, "%a", v);
}

static uint32_t root_of(const VnGraph *g, uint32_t i, int64_t *col) {
  *col = 0;
  while (vn_ops[g->nodes[i].op].flags & VN_OPF_VIEW) {
    *col += g->nodes[i].p.col0;
    i = g->nodes[i].src[0];
  }
  return i;
}

/* row stride of operand k of node n (0: a weight vector used for every row) */
static int64_t ld_of(const VnGraph *g, const VnNode *n, int k) {
  int64_t col;
  uint32_t r = root_of(g, n->src[k], &col);
  if (g->nodes[r].op == VN_OP_WEIGHT && g->nodes[r].nd == 1) return 0;
  return vn_node_cols(&g->nodes[r]);
}

static const char *act_c(int a) {
  static const char *n[] = {"VN_A_NONE", "VN_A_SILU", "VN_A_GELU", "VN_A_GELU_TANH", "VN_A_RELU",
                            "VN_A_SIGMOID", "VN_A_TANH", "VN_A_SOFTPLUS", "VN_A_RELU2"};
  return a >= 0 && a < (int)(sizeof n / sizeof n[0]) ? n[a] : "VN_A_NONE";
}

static const char *dt_c(int d) {
  static const char *n[] = {"VN_DT_F32", "VN_DT_F16", "VN_DT_BF16", "VN_DT_Q8_0", "VN_DT_Q4_0"};
  return d >= 0 && d < 5 ? n[d] : "VN_DT_F32";
}

#define F(k) "(const float *)in" #k

/* The body of node i's function: one kernel call. */
static VnStatus emit_body(VnCtx *ctx, const VnGraph *g, uint32_t i, VnBuf *b) {
  const VnNode *n = &g->nodes[i];
  const VnParams *p = &n->p;
  int64_t C = vn_node_cols(n);
  switch (n->op) {
  case VN_OP_POSITIONS:
    vn_buf_printf(b, "  vn_k_positions(rt, (int32_t *)out, T, pos, %d);\n", p->col0);
    return VN_OK;
  case VN_OP_EMBED: {
    const VnNode *t = &g->nodes[n->src[0]];
    vn_buf_printf(b, "  vn_k_embed(rt, out, in0, %s, (const int32_t *)in1, T, %lld, %lld, ", dt_c(t->dtype),
                  (long long)t->dim[1], (long long)t->dim[0]);
    flt(b, p->scale);
    vn_buf_puts(b, ");\n");
    return VN_OK;
  }
  case VN_OP_RMSNORM:
    vn_buf_printf(b, "  vn_k_rmsnorm(rt, out, " F(0) ", %lld, " F(1) ", T, %lld, %d, ", (long long)ld_of(g, n, 0),
                  (long long)C, p->group);
    flt(b, p->eps);
    vn_buf_puts(b, ");\n");
    return VN_OK;
  case VN_OP_LAYERNORM:
    vn_buf_printf(b, "  vn_k_layernorm(rt, out, " F(0) ", %lld, " F(1) ", " F(2) ", T, %lld, %d, ",
                  (long long)ld_of(g, n, 0), (long long)C, p->group);
    flt(b, p->eps);
    vn_buf_puts(b, ");\n");
    return VN_OK;
  case VN_OP_MATMUL: {
    const VnNode *w = &g->nodes[n->src[1]];
    vn_buf_printf(b, "  vn_k_matmul(rt, out, " F(0) ", %lld, in1, %s, " F(2) ", " F(3) ", %lld, T, %lld, %lld, %s, %d, ",
                  (long long)ld_of(g, n, 0), dt_c(w->dtype), (long long)(n->src[3] != VN_NONE ? ld_of(g, n, 3) : 0),
                  (long long)w->dim[1], (long long)w->dim[0], act_c(p->act), p->glu);
    flt(b, p->scale);
    vn_buf_puts(b, ");\n");
    return VN_OK;
  }
  case VN_OP_ROPE:
    vn_buf_printf(b, "  vn_k_rope(rt, out, " F(0) ", %lld, T, %lld, %d);\n", (long long)ld_of(g, n, 0), (long long)C, p->rope);
    return VN_OK;
  case VN_OP_ATTENTION:
    if (p->alibi) {
      vn_buf_printf(b, "  static const float slopes[%d] = {", n->ntable);
      for (int k = 0; k < n->ntable; k++) {
        if (k) vn_buf_puts(b, ", ");
        flt(b, n->table[k]);
      }
      vn_buf_puts(b, "};\n");
    }
    vn_buf_printf(b, "  static const VnAttn a = {%d, %d, %d, %d, %d, %d, ", p->heads, p->kv_heads, p->head_dim,
                  p->v_head_dim, p->causal, p->window);
    flt(b, p->scale);
    vn_buf_puts(b, ", ");
    flt(b, p->cap);
    vn_buf_printf(b, ", %d, %s, %d};\n", p->rope - 1, p->alibi ? "slopes" : "NULL", p->alibi == 2);
    vn_buf_printf(b, "  vn_k_attention(rt, out, " F(0) ", %lld, " F(1) ", %lld, " F(2) ", %lld, (float *)in3, (float *)in4, T, pos, &a);\n",
                  (long long)ld_of(g, n, 0), (long long)ld_of(g, n, 1), (long long)ld_of(g, n, 2));
    return VN_OK;
  case VN_OP_ACT:
  case VN_OP_GLU:
    vn_buf_printf(b, "  vn_k_%s(rt, out, " F(0) ", %lld, T, %lld, %s);\n", n->op == VN_OP_ACT ? "act" : "glu",
                  (long long)ld_of(g, n, 0), (long long)C, act_c(p->act));
    return VN_OK;
  case VN_OP_ADD:
  case VN_OP_MUL:
    vn_buf_printf(b, "  vn_k_%s(rt, out, " F(0) ", %lld, " F(1) ", %lld, T, %lld, %d);\n", n->op == VN_OP_ADD ? "add" : "mul",
                  (long long)ld_of(g, n, 0), (long long)ld_of(g, n, 1), (long long)C,
                  vn_node_is_act(&g->nodes[n->src[1]]) && vn_node_cols(&g->nodes[n->src[1]]) == 1 && C > 1);
    return VN_OK;
  case VN_OP_SCALE:
  case VN_OP_SOFTCAP:
    vn_buf_printf(b, "  vn_k_%s(rt, out, " F(0) ", %lld, T, %lld, ", n->op == VN_OP_SCALE ? "scale" : "softcap",
                  (long long)ld_of(g, n, 0), (long long)C);
    flt(b, n->op == VN_OP_SCALE ? p->scale : p->cap);
    vn_buf_puts(b, ");\n");
    return VN_OK;
  case VN_OP_ROUTE:
    vn_buf_printf(b, "  vn_k_route(rt, out, " F(0) ", %lld, " F(1) ", T, %lld, %d, %d, %d, ", (long long)ld_of(g, n, 0),
                  (long long)g->nodes[n->src[0]].dim[1], p->top_k, p->route, p->renorm);
    flt(b, p->scale);
    vn_buf_printf(b, ", %d, %d);\n", p->groups, p->top_groups);
    return VN_OK;
  case VN_OP_MOE: {
    const VnNode *wg = &g->nodes[n->src[2]], *wd = &g->nodes[n->src[3]];
    vn_buf_printf(b, "  vn_k_moe(rt, out, " F(0) ", %lld, " F(1) ", %lld, in2, %s, in3, %s, T, %lld, %lld, %lld, %d, %s);\n",
                  (long long)ld_of(g, n, 0), (long long)ld_of(g, n, 1), dt_c(wg->dtype), dt_c(wd->dtype),
                  (long long)wg->dim[2], (long long)wd->dim[2], (long long)wg->dim[0], p->top_k, act_c(p->act));
    return VN_OK;
  }
  case VN_OP_CONV1D: {
    const VnNode *w = &g->nodes[n->src[1]];
    vn_buf_printf(b, "  vn_k_conv1d(rt, out, " F(0) ", %lld, " F(1) ", " F(2) ", (float *)in3, T, pos, %lld, %lld, %s);\n",
                  (long long)ld_of(g, n, 0), (long long)C, (long long)w->dim[1], act_c(p->act));
    return VN_OK;
  }
  case VN_OP_SSM_SCAN: {
    const VnNode *A = &g->nodes[n->src[2]], *Bn = &g->nodes[n->src[3]];
    int G = p->groups ? p->groups : 1;
    vn_buf_printf(b, "  vn_k_ssm_scan(rt, out, " F(0) ", %lld, " F(1) ", %lld, " F(2) ", %d, " F(3) ", %lld, " F(4)
                  ", %lld, " F(5) ", " F(6) ", (float *)in7, T, pos, %lld, %d, %d, %lld, %d, %d, ",
                  (long long)ld_of(g, n, 0), (long long)ld_of(g, n, 1), A->nd == 2, (long long)ld_of(g, n, 3),
                  (long long)ld_of(g, n, 4), (long long)C, p->heads, G, (long long)(Bn->dim[1] / G), p->softplus,
                  A->nd == 2 ? 0 : p->chunk);
    flt(b, p->lo);
    vn_buf_puts(b, ", ");
    flt(b, p->hi);
    vn_buf_puts(b, ");\n");
    return VN_OK;
  }
  case VN_OP_SHIFT:
    vn_buf_printf(b, "  vn_k_shift(rt, out, " F(0) ", %lld, (float *)in1, T, pos, %lld);\n", (long long)ld_of(g, n, 0), (long long)C);
    return VN_OK;
  case VN_OP_WKV:
    vn_buf_printf(b, "  vn_k_wkv(rt, out, " F(0) ", %lld, " F(1) ", %lld, " F(2) ", " F(3) ", (float *)in4, T, pos, %lld);\n",
                  (long long)ld_of(g, n, 0), (long long)ld_of(g, n, 1), (long long)C);
    return VN_OK;
  case VN_OP_MLA:
    vn_buf_printf(b, "  static const VnMla a = {%d, %d, %d, %d, %lld, ", p->heads, p->head_dim, p->rope_dim, p->v_head_dim,
                  (long long)g->nodes[n->src[1]].dim[1]);
    flt(b, p->scale);
    vn_buf_printf(b, ", %d};\n", p->rope - 1);
    vn_buf_printf(b, "  vn_k_mla(rt, out, " F(0) ", %lld, " F(1) ", %lld, " F(2) ", %lld, " F(3) ", (float *)in4, (float *)in5, T, pos, &a);\n",
                  (long long)ld_of(g, n, 0), (long long)ld_of(g, n, 1), (long long)ld_of(g, n, 2));
    return VN_OK;
  case VN_OP_LAST:
    /* T here is the step's row count; the output has Tout rows */
    vn_buf_printf(b, "  vn_k_last(rt, out, " F(0) ", %lld, T, pos, %lld);\n", (long long)ld_of(g, n, 0), (long long)C);
    return VN_OK;
  default:
    return vn_internal(ctx, "no emitter for op %s", vn_ops[n->op].name);
  }
}

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
  VN_TRY(emit_body(ctx, g, i, b));
  vn_buf_puts(b, "}\n\n");
  return VN_OK;
}

/* pointer expression for operand s of a step */
static void operand_ptr(const VnGraph *g, uint32_t s, VnBuf *b) {
  if (s == VN_NONE) { vn_buf_puts(b, "NULL"); return; }
  int64_t col;
  uint32_t r = root_of(g, s, &col);
  const VnNode *rn = &g->nodes[r];
  switch (rn->op) {
  case VN_OP_INPUT: vn_buf_puts(b, "tok"); return;
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
              A64((C + 3 * VN_MAX_HEAD_DIM_C) * 4) + A64(qbuf) + A64(ops);
  p += A64((3 * C + 16) * 4) + A64((C + 16) * 4) + 2 * A64(g->info.vocab * 4) + 4096;
  VnTok tok;
  if (o->tok_blob && vn_tok_load(&tok, o->tok_blob, o->tok_len) == 0) {
    int64_t text = 16 * C;
    p += A64(vn_tok_work_size(&tok, (size_t)text)) + A64((text + 16) * 4) + A64(text + 1);
  }
  return p;
#undef A64
}

VnStatus vn_emit_model(VnCtx *ctx, const VnGraph *g, const VnEmitOpts *o, VnBuf *b) {
  const VnModelInfo *mi = &g->info;
  vn_buf_puts(b, "/* model.c: generated by venusc -- do not edit.\n * Architecture spec and target: see vn_model below. */\n");
  vn_buf_puts(b, "#include \"runtime.h\"\n\n");
  /* rope tables */
  for (int r = 0; r < g->nropes; r++) {
    const VnRope *ro = &g->ropes[r];
    vn_buf_printf(b, "static const float vn_rope%d_inv[%d] = {", r, ro->rot_dim / 2 > 0 ? ro->rot_dim / 2 : 1);
    for (int k = 0; k < ro->rot_dim / 2; k++) {
      if (k) vn_buf_puts(b, ", ");
      flt(b, ro->inv_freq[k]);
    }
    vn_buf_puts(b, "};\n");
    if (ro->long_after) {
      vn_buf_printf(b, "static const float vn_rope%d_long[%d] = {", r, ro->rot_dim / 2 > 0 ? ro->rot_dim / 2 : 1);
      for (int k = 0; k < ro->rot_dim / 2; k++) {
        if (k) vn_buf_puts(b, ", ");
        flt(b, ro->long_inv_freq[k]);
      }
      vn_buf_puts(b, "};\n");
    }
  }
  if (g->nropes) {
    vn_buf_puts(b, "static const VnRtRope vn_ropes[] = {\n");
    for (int r = 0; r < g->nropes; r++) {
      const VnRope *ro = &g->ropes[r];
      vn_buf_printf(b, "  {%d, %d, %d, ", ro->head_dim, ro->rot_dim, ro->interleaved);
      flt(b, ro->attn_factor);
      vn_buf_printf(b, ", vn_rope%d_inv, %d, ", r, ro->dynamic);
      dbl(b, ro->dyn_base);
      vn_buf_puts(b, ", ");
      dbl(b, ro->dyn_factor);
      vn_buf_printf(b, ", %d, ", ro->dyn_max_pos);
      if (ro->long_after) vn_buf_printf(b, "vn_rope%d_long, %d},\n", r, ro->long_after);
      else vn_buf_puts(b, "NULL, 0},\n");
    }
    vn_buf_puts(b, "};\n");
  }
  if (o->tok_blob) {
    vn_buf_printf(b, "static const unsigned char vn_tok_blob[%zu] = {\n", o->tok_len);
    vn_buf_bytes(b, o->tok_blob, o->tok_len);
    vn_buf_puts(b, "};\n");
  }
  /* chat formats (strings from archspecs/lib/chat.lua, escaped) */
  if (o->chat && o->chat->n) {
    vn_buf_puts(b, "static const VnChatFmt vn_chat[] = {\n");
    for (int i = 0; i < o->chat->n; i++) {
      const VnChatFormat *f = &o->chat->f[i];
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
  /* the model description */
  int64_t logits_off;
  {
    int64_t col;
    uint32_t r = root_of(g, g->output, &col);
    logits_off = g->nodes[r].offset + col * 4;
  }
  /* scratch: activations quantized for q8_0/q4_0 weights, or with BLAS
   * the raw product of a glu matmul */
  int64_t qbuf = 64, maxk = 0, maxn = 0, ops = 64;
  for (uint32_t i = 0; i < g->n; i++) {
    const VnNode *n = &g->nodes[i];
    if (n->op == VN_OP_MOE) {
      int64_t H = g->nodes[n->src[2]].dim[2], F = g->nodes[n->src[3]].dim[2];
      if (H > maxk) maxk = H;
      if (F > maxk) maxk = F;
      if (g->t_max * (2 + 2 * H + F) * 4 > ops) ops = g->t_max * (2 + 2 * H + F) * 4;
    }
    if (n->op == VN_OP_ROUTE && 2 * g->nodes[n->src[0]].dim[1] * 4 > ops) ops = 2 * g->nodes[n->src[0]].dim[1] * 4;
    if (n->op != VN_OP_MATMUL) continue;
    if (g->nodes[n->src[1]].dim[1] > maxk) maxk = g->nodes[n->src[1]].dim[1];
    if (n->p.glu && g->nodes[n->src[1]].dim[0] > maxn) maxn = g->nodes[n->src[1]].dim[0];
  }
  qbuf += g->t_max * (maxk / 32 + 1) * 36;
  if (o->blas && g->t_max * maxn * 4 > qbuf) qbuf = g->t_max * maxn * 4;
  int64_t pool = 0;
  if (o->target->kind == VN_TK_BAREMETAL) {
    pool = bare_pool_bytes(g, o, qbuf, ops);
    vn_buf_printf(b, "\nextern const unsigned char vn_weights_data[];  /* model_weights.c */\n"
                     "static uint8_t vn_pool[%lld] __attribute__((aligned(64)));\n", (long long)pool);
  }
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
  vn_buf_printf(b, "  .nropes = %d, .ropes = %s,\n", g->nropes, g->nropes ? "vn_ropes" : "NULL");
  if (o->tok_blob) vn_buf_puts(b, "  .tok_blob = vn_tok_blob, .tok_len = sizeof vn_tok_blob,\n");
  if (o->chat && o->chat->n)
    vn_buf_printf(b, "  .chat = vn_chat, .nchat = %d, .chat_default = %d, .chat_template = %d,\n", o->chat->n,
                  o->chat->chosen, o->chat_template);
  else vn_buf_puts(b, "  .chat_default = -1,\n");
  if (o->target->kind == VN_TK_BAREMETAL)
    vn_buf_printf(b, "  .weights_data = vn_weights_data, .pool = vn_pool, .pool_bytes = sizeof vn_pool, .ctx_max = %d,\n",
                  o->ctx_max);
  vn_buf_puts(b, "};\n\n");
  /* node functions */
  for (uint32_t i = 0; i < g->n; i++) {
    const VnNode *n = &g->nodes[i];
    if (vn_ops[n->op].flags & (VN_OPF_LEAF | VN_OPF_VIEW)) continue;
    char name[32];
    snprintf(name, sizeof name, "vn_n%u", i);
    VN_TRY(vn_emit_node_fn(ctx, g, i, name, 0, b));
  }
  /* the step */
  vn_buf_puts(b, "void vn_model_step(VnRt *rt, const int32_t *tok, int T, int pos, int all_logits) {\n"
                 "  uint8_t *A = rt->arena;\n  const uint8_t *W = rt->w;\n  uint8_t *S = rt->state;\n"
                 "  size_t C = (size_t)rt->ctx;\n  int Tout = all_logits ? T : 1;\n"
                 "  (void)A; (void)W; (void)S; (void)C; (void)tok;\n");
  for (uint32_t i = 0; i < g->n; i++) {
    const VnNode *n = &g->nodes[i];
    if (vn_ops[n->op].flags & (VN_OPF_LEAF | VN_OPF_VIEW)) continue;
    vn_buf_printf(b, "  vn_n%u(rt, (float *)(A + %lld)", i, (long long)n->offset);
    for (int k = 0; k < vn_ops[n->op].nin; k++) {
      vn_buf_puts(b, ", ");
      operand_ptr(g, n->src[k], b);
    }
    if (n->op == VN_OP_LAST) vn_buf_puts(b, ", T, Tout);\n");
    else vn_buf_printf(b, ", %s, pos);\n", n->dim[0] == VN_TOUT ? "Tout" : "T");
  }
  vn_buf_puts(b, "}\n\nint main(int argc, char **argv) { return vn_main(argc, argv); }\n");
  return VN_OK;
}
