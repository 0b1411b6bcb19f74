/* harness.c: every emitted kernel of every host-runnable target against its
 * scalar reference kernel (vn_ref_<op> of ops/<group>.c).
 *
 * For each op of the table that has a kernel (not LEAF, not VIEW) it makes
 * random one-node graphs through the C API (leaves: INPUT for activations
 * and token ids, WEIGHT with a zeros expression just for shape and dtype,
 * STATE for caches), emits each node as an exported function vn_<op>_<case>
 * (codegen/emit.c around the op's vn_emit_<op>), compiles them with the
 * runtime into a shared object (codegen/build.c: one per target holding
 * every op, rebuilt per op to name the culprit when it fails to compile;
 * matmul once more with OpenBLAS when installed), dlopen()s it and calls
 * each function through libffi with the signature the op table gives:
 * (VnRt *, float *out, one pointer per operand, int T, int pos). No glue is written per op; where an op needs
 * its data shaped (valid routes, negative decays, a state as steps leave
 * it) the case's fixer rewrites the random data. Weights are packed
 * with vn_pack_row, the very packer of model weights; the reference gets
 * them unpacked back to float32, so the packing itself is not counted as
 * error. State starts random, so that a step at position 0 must ignore it
 * and a later one must continue from it. The output and the state (the
 * cache rows of the step, fixed-size state whole) must match the reference
 * within an NMSE tolerance; cache rows outside the step and the floats past
 * the output must be left alone. Each case runs
 * single-threaded and again on a 2-thread pool (the .so's own vn_pool_new).
 * Cases depend on --seed, the op and the case index only, so a failure is
 * reproduced with --op NAME --case N on any target.
 *
 *   harness [--target NAME] [--op NAME] [--case N] [--seed N] [-j JOBS] [--keep] [-v]
 *
 * Exit status: 0 all passed, 1 a kernel failed, 2 usage or setup error. */
#include "graph.h"
#include "ops.h"
#include "codegen.h"
#include "frontend.h"
#include "runtime.h"
#include <dlfcn.h>
#include <ffi.h>
#include <ftw.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOL_FLOAT 1e-10   /* NMSE bound, float weights and every other op */
#define TOL_QUANT 1e-3    /* matmul with q8_0/q4_0 weights: the kernel quantizes x to q8_0 */
#define MAX_SHOWN 6       /* failing cases printed per (op, target) */

/* ---- random numbers (splitmix64): cases depend on --seed, op and index only ---- */
static uint64_t next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static double unif(uint64_t *s) { return (double)(next(s) >> 11) * 0x1.0p-53; }
static int irand(uint64_t *s, int lo, int hi) { return lo + (int)(next(s) % (uint64_t)(hi - lo + 1)); }
static float frand(uint64_t *s, float amp) { return (float)((2 * unif(s) - 1) * amp); }
#define PICK(s, ...) pick_((s), (const int64_t[]){__VA_ARGS__}, sizeof (const int64_t[]){__VA_ARGS__} / sizeof(int64_t))
static int64_t pick_(uint64_t *s, const int64_t *v, size_t n) { return v[next(s) % n]; }

/* ---- a case: one op node over leaves, in a graph of its own ---- */
struct Data;
typedef struct Case {
  VnGraph *g;
  uint32_t node;
  int T, pos, ctx, tout, vocab;
  int enc_len;          /* cross attention: the encoder rows it reads (<= T) */
  float amp;            /* activations are uniform in [-amp, amp] */
  double tol;
  int xq;               /* matmul on q8_0/q4_0 weights: also checked with x through q8_0 */
  uint64_t seed;        /* of its data */
  int parts;            /* > 1: the output's columns are this many blocks, each held to the tolerance alone */
  int mode;             /* what fix makes of the data (the op's own) */
  /* NULL, or shapes the random data where the op needs it (valid routes,
   * decays, ...): rewrites d->rin[] and calls sync_in() on what it changed */
  void (*fix)(const struct Case *c, struct Data *d, uint64_t *r);
  char desc[200];
} Case;

typedef struct Gen {
  VnCtx *ctx;
  Case *c;
  uint64_t r;           /* the case's shape randomness */
  const float *table;   /* node->table of the op node (ALiBi slopes) */
  int ntable;
} Gen;

static uint32_t leaf3(Gen *G, VnOp op, VnDType dt, int nd, int64_t d0, int64_t d1, int64_t d2) {
  uint32_t i = vn_graph_add(G->ctx, G->c->g, op, NULL, 0);
  VnNode *n = vn_node(G->c->g, i);
  n->dtype = dt;
  n->nd = nd;
  n->dim[0] = d0;
  n->dim[1] = nd > 1 ? d1 : 0;
  n->dim[2] = nd > 2 ? d2 : 0;
  if (op == VN_OP_WEIGHT) {
    VnWx *w = vn_arena_alloc(&G->ctx->arena, sizeof *w);
    w->kind = VN_WX_ZEROS;
    w->nd = nd;
    for (int k = 0; k < 3; k++) w->dim[k] = n->dim[k];
    n->wx = w;
    n->name = "w";
  }
  return i;
}
static uint32_t leaf(Gen *G, VnOp op, VnDType dt, int nd, int64_t d0, int64_t d1) { return leaf3(G, op, dt, nd, d0, d1, 0); }
/* An activation [T, cols]: dense, or (one time in four) a column view of a
 * wider one, so the kernel gets a row stride larger than its width as it
 * does for the parts of a fused QKV or gate/up product. */
static uint32_t act_in(Gen *G, int64_t cols) {
  if (irand(&G->r, 0, 3)) return leaf(G, VN_OP_INPUT, VN_F32, 2, VN_T, cols);
  int extra = irand(&G->r, 1, 40);
  uint32_t root = leaf(G, VN_OP_INPUT, VN_F32, 2, VN_T, cols + extra);
  uint32_t v = vn_graph_add(G->ctx, G->c->g, VN_OP_VIEW, &root, 1);
  VnNode *n = vn_node(G->c->g, v);
  n->p.col0 = irand(&G->r, 0, extra);
  n->dim[1] = cols;
  if (vn_op_shape(G->ctx, G->c->g, v) != VN_OK) { fprintf(stderr, "harness: view: %s\n", G->ctx->msg); exit(2); }
  return v;
}
static uint32_t ids_in(Gen *G) { return leaf(G, VN_OP_INPUT, VN_I32, 1, VN_T, 0); }
static uint32_t vec_w(Gen *G, int64_t n) { return leaf(G, VN_OP_WEIGHT, VN_F32, 1, n, 0); }
static uint32_t mat_w(Gen *G, VnDType dt, int64_t rows, int64_t cols) { return leaf(G, VN_OP_WEIGHT, dt, 2, rows, cols); }
static uint32_t state_in(Gen *G, int64_t cols) { return leaf(G, VN_OP_STATE, VN_F32, 2, VN_CTX, cols); }

/* the op node itself; a shape error here is a harness bug */
static void op_node(Gen *G, VnOp op, const uint32_t *src, const VnParams *p) {
  uint32_t i = vn_graph_add(G->ctx, G->c->g, op, src, vn_ops[op].nin);
  G->c->g->nodes[i].p = *p;
  G->c->g->nodes[i].table = G->table;
  G->c->g->nodes[i].ntable = G->ntable;
  int views = 0;
  for (int k = 0; k < vn_ops[op].nin; k++) views += src[k] != VN_NONE && G->c->g->nodes[src[k]].op == VN_OP_VIEW;
  if (views) snprintf(G->c->desc + strlen(G->c->desc), sizeof G->c->desc - strlen(G->c->desc), " views=%d", views);
  if (vn_op_shape(G->ctx, G->c->g, i) != VN_OK) {
    fprintf(stderr, "harness: %s case (%s) is malformed: %s\n", vn_ops[op].name, G->c->desc, G->ctx->msg);
    exit(2);
  }
  G->c->node = i;
}

#define DESC(...) snprintf(G->c->desc, sizeof G->c->desc, __VA_ARGS__)
static const VnDType DTS[] = {VN_F32, VN_F16, VN_BF16, VN_Q8_0, VN_Q4_0};
/* GGUF's block formats the kernels read as stored (runtime/kquants.h) */
static const VnDType KEPT[] = {VN_Q4_1, VN_Q5_0, VN_Q5_1, VN_IQ4_NL, VN_Q2_K, VN_Q3_K, VN_Q4_K, VN_Q5_K, VN_Q6_K, VN_IQ4_XS};
#define NKEPT 10
#define NCOLS_ODD 1, 7, 31, 33, 100, 257   /* ragged tails around vector widths */

/* A RoPE table for head_dim hd: partial rot_dim, interleaved, linear
 * scaling, attention factor, dynamic NTK, picked from r. */
static int some_rope(Gen *G, int hd, int k) {
  uint64_t *r = &G->r;
  VnRope ro = {0};
  ro.head_dim = hd;
  int rd = (int)PICK(r, hd, hd, hd / 2, hd / 4);
  ro.rot_dim = rd < 2 ? 2 : rd & ~1;
  ro.interleaved = k & 1;
  ro.attn_factor = k % 5 == 4 ? 1.25f : 1.0f;
  double theta = (double)PICK(r, 10000, 1000000, 500000), lin = k % 7 == 5 ? 4.0 : 1.0;
  float inv[VN_MAX_HEAD_DIM / 2];
  for (int i = 0; i < ro.rot_dim / 2; i++)
    inv[i] = (float)(1.0 / (lin * pow(theta, (double)(float)(2.0 * i / ro.rot_dim))));
  ro.inv_freq = inv;
  if (k % 4 == 3) {
    ro.dynamic = 1;
    ro.dyn_base = theta;
    ro.dyn_factor = (double)PICK(r, 2, 4);
    ro.dyn_max_pos = (int32_t)PICK(r, 4, 16, 64, 4096);
  }
  return vn_graph_add_rope(G->ctx, G->c->g, &ro);
}

static const char *rope_desc(const VnGraph *g, int ri, char *buf, size_t cap) {
  const VnRope *r = &g->ropes[ri];
  snprintf(buf, cap, "rot=%d%s%s", r->rot_dim, r->interleaved ? " interleaved" : "", r->dynamic ? " dynamic" : "");
  if (r->dynamic) snprintf(buf + strlen(buf), cap - strlen(buf), "(f=%g max=%d)", r->dyn_factor, r->dyn_max_pos);
  if (r->attn_factor != 1) snprintf(buf + strlen(buf), cap - strlen(buf), " af=%g", r->attn_factor);
  return buf;
}

/* ---- case generators: one per op, case k of n ----
 * GEN(name, n) opens the generator gen_<name> of op <name>'s n cases
 * (CASES_<name>), which the table GENS below takes from ops.def. */
#define GEN(name, n) enum { CASES_##name = (n) }; static void gen_##name(Gen *G, int k)
GEN(positions, 6) {
  Case *c = G->c;
  c->T = irand(&G->r, 1, 9);
  c->pos = k % 2 ? irand(&G->r, 1, 5000) : 0;
  VnParams p = {0};
  p.col0 = k % 3 == 2 ? (int32_t)PICK(&G->r, 2, -1) : 0;  /* OPT's offset 2 */
  DESC("T=%d pos=%d offset=%d", c->T, c->pos, p.col0);
  op_node(G, VN_OP_POSITIONS, NULL, &p);
}

GEN(embed, 20 + NKEPT) {
  Case *c = G->c;
  VnDType dt = k < 20 ? DTS[k % 5] : KEPT[k - 20];
  int64_t H = vn_dtype_block(dt) == 256 ? PICK(&G->r, 256, 512) : vn_dtype_block(dt) > 1 ? PICK(&G->r, 32, 64, 96, 256) : PICK(&G->r, NCOLS_ODD, 64);
  c->vocab = irand(&G->r, 1, 40);
  c->T = irand(&G->r, 1, 9);
  VnParams p = {0};
  p.scale = k % 3 ? (float)sqrt((double)H) : 0;  /* 0: the shape rule makes it 1 */
  uint32_t s[] = {mat_w(G, dt, c->vocab, H), ids_in(G)};
  DESC("%s V=%d H=%lld T=%d scale=%g", vn_dtype_name(dt), c->vocab, (long long)H, c->T, p.scale);
  op_node(G, VN_OP_EMBED, s, &p);
}

static void gen_norm(Gen *G, int k, VnOp op) {
  Case *c = G->c;
  int64_t C, grp = 0;
  if (k % 3 == 2) { C = PICK(&G->r, 64, 96, 128, 256); grp = PICK(&G->r, 16, 32); }
  else C = PICK(&G->r, NCOLS_ODD, 64, 256);
  int64_t w = grp ? grp : C;
  c->T = irand(&G->r, 1, 9);
  c->amp = (float)PICK(&G->r, 1, 3, 0) + 0.01f;  /* 0.01: eps matters */
  VnParams p = {0};
  p.group = (int32_t)grp;
  p.eps = k & 1 ? 1e-6f : 1e-5f;
  int hw = k % 4 != 3, hb = op == VN_OP_LAYERNORM && k % 5 < 3;
  uint32_t s[3] = {act_in(G, C), hw ? vec_w(G, w) : VN_NONE, hb ? vec_w(G, w) : VN_NONE};
  DESC("C=%lld group=%lld T=%d eps=%g%s%s", (long long)C, (long long)grp, c->T, p.eps, hw ? " w" : "", hb ? " b" : "");
  op_node(G, op, s, &p);
}
GEN(rmsnorm, 16) { gen_norm(G, k, VN_OP_RMSNORM); }
GEN(layernorm, 16) { gen_norm(G, k, VN_OP_LAYERNORM); }

GEN(matmul, 60 + 3 * NKEPT) {
  Case *c = G->c;
  uint64_t *r = &G->r;
  /* the kept GGUF formats: three cases each (plain, glu, big) */
  int kk = k - 60;
  VnDType dt = k < 60 ? DTS[k % 5] : KEPT[kk % NKEPT];
  int blk = vn_dtype_block(dt) > 1, big = k < 60 ? k >= 50 : kk / NKEPT == 2;  /* big: T*K*N past the kernel's threading threshold */
  VnParams p = {0};
  p.glu = k < 60 ? (k / 5) % 3 == 1 : kk / NKEPT == 1;
  int64_t K = vn_dtype_block(dt) == 256 ? PICK(r, 256, 512) : big ? 256 : blk ? PICK(r, 32, 64, 96, 256) : PICK(r, NCOLS_ODD, 64);
  /* quantized: at least 16 outputs a row, so that x's rounding noise averages out under TOL_QUANT */
  int64_t N = big ? 64 : blk ? PICK(r, 16, 33, 64) : PICK(r, 1, 3, 7, 16, 33, 64);
  if (p.glu) N *= 2;
  c->T = big ? 9 : irand(r, 1, 9);
  p.act = k % 2 || p.glu ? irand(r, 0, VN_ACT_COUNT - 1) : 0;
  p.scale = (float)(PICK(r, 0, 0, 1, 2) / 4.0);
  int hb = irand(r, 0, 1), hr = irand(r, 0, 1);
  int64_t nout = p.glu ? N / 2 : N;
  uint32_t s[4] = {act_in(G, K), mat_w(G, dt, N, K), hb ? vec_w(G, N) : VN_NONE, hr ? act_in(G, nout) : VN_NONE};
  c->tol = blk ? TOL_QUANT : TOL_FLOAT;
  c->xq = blk;
  DESC("%s K=%lld N=%lld T=%d%s act=%s scale=%g%s%s", vn_dtype_name(dt), (long long)K, (long long)N, c->T,
       p.glu ? " glu" : "", vn_act_name(p.act), p.scale, hb ? " bias" : "", hr ? " res" : "");
  op_node(G, VN_OP_MATMUL, s, &p);
}

GEN(rope, 24) {
  Case *c = G->c;
  int hd = (int)PICK(&G->r, 16, 64, 80, 128), heads = irand(&G->r, 1, 4);
  c->T = irand(&G->r, 1, 9);
  c->pos = k % 3 == 0 ? 0 : irand(&G->r, 1, 300);
  VnParams p = {0};
  p.rope = some_rope(G, hd, k);
  char rb[96];
  DESC("hd=%d heads=%d T=%d pos=%d %s", hd, heads, c->T, c->pos, rope_desc(c->g, p.rope, rb, sizeof rb));
  uint32_t s[] = {act_in(G, (int64_t)heads * hd)};
  op_node(G, VN_OP_ROPE, s, &p);
}

/* cases 42..47: with sinks (a logit per head in the softmax); 48..59:
 * without caches (bidirectional over the step's rows, or cross over the
 * first enc_len rows), and with T5's relative position bias (buckets,
 * max distance) on cached causal and uncached bidirectional cases */
static void gen_attention_s2s(Gen *G, int k) {
  Case *c = G->c;
  uint64_t *r = &G->r;
  VnParams p = {0};
  p.heads = (int)PICK(r, 1, 2, 4);
  p.kv_heads = p.heads;
  p.head_dim = (int)PICK(r, 16, 64, 80);
  p.scale = k % 2 ? 1.0f : (float)(1.0 / sqrt((double)p.head_dim));
  int cached = k % 3 == 2, cross = !cached && k % 2;
  p.causal = cached;
  p.cross = cross;
  int rel = !cross && k % 4 != 1;
  c->T = irand(r, 1, 12);
  c->pos = cached ? irand(r, 0, 150) : 0;
  c->ctx = c->pos + c->T + irand(r, 0, 4);
  c->enc_len = cross ? irand(r, 1, c->T) : 0;
  c->amp = 2;
  if (rel) {
    p.rel_buckets = (int)PICK(r, 8, 32);
    p.rel_max = (int)PICK(r, 20, 128);  /* above the exact buckets (16 of 32 causal) */
  }
  uint32_t s[] = {act_in(G, (int64_t)p.heads * p.head_dim), act_in(G, (int64_t)p.heads * p.head_dim),
                  act_in(G, (int64_t)p.heads * p.head_dim), cached ? state_in(G, (int64_t)p.heads * p.head_dim) : VN_NONE,
                  cached ? state_in(G, (int64_t)p.heads * p.head_dim) : VN_NONE, VN_NONE,
                  rel ? mat_w(G, VN_F32, p.rel_buckets, p.heads) : VN_NONE};
  DESC("H=%d hd=%d T=%d pos=%d %s%s relpos=%d/%d scale=%g", p.heads, p.head_dim, c->T, c->pos,
       cached ? "cached causal" : cross ? "cross" : "uncached bidirectional", cross ? "" : "", p.rel_buckets, p.rel_max, p.scale);
  if (cross) snprintf(c->desc + strlen(c->desc), sizeof c->desc - strlen(c->desc), " enc_len=%d", c->enc_len);
  op_node(G, VN_OP_ATTENTION, s, &p);
}

GEN(attention, 60) {
  if (k >= 48) { gen_attention_s2s(G, k - 48); return; }
  Case *c = G->c;
  uint64_t *r = &G->r;
  static const int hk[][2] = {{1, 1}, {2, 2}, {4, 2}, {4, 1}, {8, 2}, {6, 3}, {3, 1}};
  int big = k >= 36 && k < 42, which = irand(r, 0, 6);
  VnParams p = {0};
  p.heads = big ? 8 : hk[which][0];
  p.kv_heads = big ? 2 : hk[which][1];
  p.head_dim = big ? 64 : (int)PICK(r, 16, 64, 80, 100);
  p.v_head_dim = k % 7 == 6 ? 32 : 0;
  p.causal = k % 4 != 3;
  p.window = k % 3 == 1 ? (int)PICK(r, 1, 2, 5, 16) : 0;
  p.cap = k % 5 == 2 ? (float)PICK(r, 5, 30) : 0;
  p.scale = k % 6 == 5 ? 0.3f : (float)(1.0 / sqrt((double)p.head_dim));
  c->T = big ? 8 : irand(r, 1, 9);
  c->pos = big ? irand(r, 60, 120) : k % 3 == 0 ? 0 : irand(r, 1, 100);
  c->ctx = c->pos + c->T + irand(r, 0, 4);
  c->amp = 2;
  char rb[96] = "no rope";
  if (k % 2 == 0) {
    p.rope = 1 + some_rope(G, p.head_dim, k / 2);
    rope_desc(c->g, p.rope - 1, rb, sizeof rb);
  }
  if (k % 9 == 4) {  /* ALiBi slopes 2^(-8 (h+1) / H), as Bloom's for a power-of-2 head count */
    float *sl = vn_arena_alloc(&G->ctx->arena, (size_t)p.heads * sizeof *sl);
    for (int h = 0; h < p.heads; h++) sl[h] = (float)pow(2.0, -8.0 * (h + 1) / p.heads);
    p.alibi = k % 18 == 13 ? 2 : 1;  /* 2: Falcon's bfloat16 bias before the scale */
    G->table = sl;
    G->ntable = p.heads;
    snprintf(rb + strlen(rb), sizeof rb - strlen(rb), p.alibi == 2 ? " alibi_bf16" : " alibi");
  }
  int vd = p.v_head_dim ? p.v_head_dim : p.head_dim;
  uint32_t s[] = {act_in(G, (int64_t)p.heads * p.head_dim), act_in(G, (int64_t)p.kv_heads * p.head_dim),
                  act_in(G, (int64_t)p.kv_heads * vd), state_in(G, (int64_t)p.kv_heads * p.head_dim),
                  state_in(G, (int64_t)p.kv_heads * vd), k >= 42 ? vec_w(G, p.heads) : VN_NONE, VN_NONE};
  DESC("H=%d KV=%d hd=%d vd=%d T=%d pos=%d ctx=%d %s window=%d cap=%g scale=%g %s%s", p.heads, p.kv_heads,
       p.head_dim, vd, c->T, c->pos, c->ctx, p.causal ? "causal" : "bidirectional", p.window, p.cap, p.scale, rb,
       k >= 42 ? " sinks" : "");
  op_node(G, VN_OP_ATTENTION, s, &p);
}

static void gen_unary(Gen *G, int k, VnOp op) {
  Case *c = G->c;
  VnParams p = {0};
  int64_t C = PICK(&G->r, NCOLS_ODD, 8, 64);
  c->T = irand(&G->r, 1, 9);
  c->amp = (float)PICK(&G->r, 1, 4, 30);
  if (op == VN_OP_ACT || op == VN_OP_GLU) p.act = k % VN_ACT_COUNT;
  if (op == VN_OP_SCALE) p.scale = (float)PICK(&G->r, -3, 1, 7) / 4.0f;
  if (op == VN_OP_SOFTCAP) p.cap = (float)PICK(&G->r, 1, 5, 30);
  uint32_t s[] = {act_in(G, op == VN_OP_GLU ? 2 * C : C)};
  DESC("C=%lld T=%d amp=%g act=%s scale=%g cap=%g", (long long)C, c->T, c->amp, vn_act_name(p.act), p.scale, p.cap);
  op_node(G, op, s, &p);
}
GEN(act, 18) { gen_unary(G, k, VN_OP_ACT); }
GEN(glu, 18) { gen_unary(G, k, VN_OP_GLU); }
/* xielu: parameters around the model's initial ones (alphas stored through
 * softplus's inverse, beta 0.5, eps -1e-6) and far from them */
static void fix_xielu(const Case *c, struct Data *d, uint64_t *r);
GEN(xielu, 12) {
  Case *c = G->c;
  VnParams p = {0};
  int64_t C = PICK(&G->r, NCOLS_ODD, 8, 64);
  c->T = irand(&G->r, 1, 9);
  c->amp = (float)PICK(&G->r, 1, 4, 30);
  c->fix = fix_xielu;
  uint32_t s[] = {act_in(G, C), vec_w(G, 4)};
  DESC("C=%lld T=%d amp=%g", (long long)C, c->T, c->amp);
  op_node(G, VN_OP_XIELU, s, &p);
}
GEN(scale, 6) { gen_unary(G, k, VN_OP_SCALE); }
GEN(softcap, 8) { gen_unary(G, k, VN_OP_SOFTCAP); }

/* b is [T][C], or (odd k) a 1-D weight [C] for every row */
static void gen_binary(Gen *G, int k, VnOp op) {
  Case *c = G->c;
  int64_t C = PICK(&G->r, NCOLS_ODD, 8, 64);
  c->T = irand(&G->r, 1, 9);
  VnParams p = {0};
  uint32_t s[] = {act_in(G, C), k % 2 ? vec_w(G, C) : act_in(G, C)};
  DESC("C=%lld T=%d%s", (long long)C, c->T, k % 2 ? " row-vector" : "");
  op_node(G, op, s, &p);
}
GEN(add, 10) { gen_binary(G, k, VN_OP_ADD); }
GEN(mul, 10) { gen_binary(G, k, VN_OP_MUL); }

GEN(last, 9) {
  Case *c = G->c;
  int64_t C = PICK(&G->r, NCOLS_ODD, 64);
  c->T = irand(&G->r, 1, 9);
  c->tout = k % 3 == 0 ? 1 : k % 3 == 1 ? c->T : irand(&G->r, 1, c->T);
  VnParams p = {0};
  uint32_t s[] = {act_in(G, C)};
  DESC("C=%lld T=%d Tout=%d", (long long)C, c->T, c->tout);
  op_node(G, VN_OP_LAST, s, &p);
}

/* ---- routing, experts and the ops with state across steps; their
 * fixers (below make_data) shape the data these ops need ---- */
static void fix_route(const Case *c, struct Data *d, uint64_t *r);
static void fix_moe(const Case *c, struct Data *d, uint64_t *r);
static void fix_ssm_scan(const Case *c, struct Data *d, uint64_t *r);
static void fix_wkv(const Case *c, struct Data *d, uint64_t *r);
static void fix_delta_rule(const Case *c, struct Data *d, uint64_t *r);

/* kinds by k % 4: softmax, softmax renorm (Mixtral), sigmoid with a
 * correction bias and groups (DeepSeek-V3), sigmoid without groups; mode 1
 * (k / 4 % 3 == 2): pairs of experts with equal logits and bias (ties).
 * Cases 24..29: sparsemixer (PhiMoE), top-2 or more, jitter eps 0.01 or 0.1.
 * The ids and the weights are held to the tolerance apart (parts 2). */
GEN(route, 30) {
  Case *c = G->c;
  uint64_t *r = &G->r;
  VnParams p = {0};
  if (k >= 24) {
    int64_t E = PICK(r, 2, 4, 8, 16, 60);
    p.route = VN_ROUTE_SPARSEMIXER;
    p.top_k = k % 3 == 2 ? irand(r, 1, E < 4 ? (int)E : 4) : 2;
    p.eps = k % 2 ? 0.1f : 0.01f;
    p.renorm = k == 29;
    c->T = irand(r, 1, 9);
    c->amp = (float)PICK(r, 1, 3);
    c->parts = 2;
    c->fix = fix_route;
    uint32_t s[] = {act_in(G, E), VN_NONE};
    DESC("sparsemixer E=%lld k=%d T=%d amp=%g eps=%g%s", (long long)E, p.top_k, c->T, c->amp, p.eps, p.renorm ? " renorm" : "");
    op_node(G, VN_OP_ROUTE, s, &p);
    return;
  }
  int kind = k % 4;
  p.route = kind < 2 ? VN_ROUTE_SOFTMAX : VN_ROUTE_SIGMOID;
  p.renorm = kind == 1 || (kind >= 2 && irand(r, 0, 3) > 0);
  int64_t E;
  if (kind == 2 && k % 8 == 6) {  /* as DeepSeek-V3 has it, scaled down: 8 groups, 4 kept, 8 experts */
    p.groups = 8;
    E = 8 * PICK(r, 4, 8);
    p.top_groups = 4;
    p.top_k = 8;
  } else if (kind == 2) {
    p.groups = (int32_t)PICK(r, 1, 2, 4, 8);
    int per = (int)PICK(r, 2, 3, 4, 8);
    E = (int64_t)p.groups * per;
    p.top_groups = irand(r, 1, p.groups);
    p.top_k = irand(r, 1, p.top_groups * per < 8 ? p.top_groups * per : 8);
  } else {
    E = PICK(r, 2, 7, 8, 16, 60, 64, 128);
    p.top_k = irand(r, 1, E < 8 ? (int)E : 8);
  }
  p.scale = kind >= 2 ? (float)PICK(r, 0, 1, 5) / 2 : k % 5 == 3 ? 1.5f : 0;
  int hb = kind >= 2 && irand(r, 0, 3) > 0;
  if (kind == 2 && k % 8 == 6) { p.renorm = 1; p.scale = 2.5f; hb = 1; }
  c->T = k % 7 == 6 ? 16 : irand(r, 1, 9);
  c->amp = (float)PICK(r, 1, 3, 6);
  c->parts = 2;
  c->mode = k / 4 % 3 == 2;
  c->fix = fix_route;
  uint32_t s[] = {act_in(G, E), hb ? vec_w(G, E) : VN_NONE};
  DESC("%s E=%lld k=%d T=%d amp=%g groups=%d top_groups=%d%s%s scale=%g%s", p.route ? "sigmoid" : "softmax",
       (long long)E, p.top_k, c->T, c->amp, p.groups, p.top_groups, hb ? " bias" : "", p.renorm ? " renorm" : "", p.scale,
       c->mode ? " ties" : "");
  op_node(G, VN_OP_ROUTE, s, &p);
}

/* gate/up and down of every dtype pair; routes are distinct random experts
 * with random weights. Quantized down: the kernel rounds its own hidden
 * rows through q8_0, so the check at float accuracy ("x through q8_0")
 * needs them exact: mode 1 (grid) draws x and gate/up from grids whose
 * q8_0/q4_0 blocks and dot products are exact in float32, act none; the
 * other quantized-down cases hold to TOL_QUANT alone. Cases 22..27: with
 * gate/up and down biases, and (k odd) the clamped SwiGLU (limit 7, alpha 1.702). */
GEN(moe, 28) {
  Case *c = G->c;
  uint64_t *r = &G->r;
  VnDType dg = DTS[k % 5], dd = DTS[(k + k / 5) % 5];
  int qg = vn_dtype_block(dg) > 1, qd = vn_dtype_block(dd) > 1, big = k >= 20 && k < 22;
  VnParams p = {0};
  int64_t E = PICK(r, 4, 8, 16), H, F;
  if (qg || qd) { H = PICK(r, 32, 64, 96); F = PICK(r, 32, 64); }
  else { H = PICK(r, 7, 33, 64); F = PICK(r, 1, 5, 31, 64); }
  c->T = irand(r, 1, 9);
  if (big) { E = 8; H = 128; F = 128; c->T = 16; }  /* past the matmul's threading threshold */
  int bias = k >= 22;
  if (bias && k % 2) { p.limit = 7.0f; p.alpha = 1.702f; }
  p.top_k = irand(r, 1, E < 4 ? (int)E : 4);
  c->mode = qd && k % 2 == 0;
  p.act = c->mode ? VN_ACT_NONE : k % VN_ACT_COUNT;  /* the other cases see every act */
  c->tol = qg || qd ? TOL_QUANT : TOL_FLOAT;
  c->xq = (qg && !qd) || c->mode;
  c->fix = fix_moe;
  uint32_t s[] = {act_in(G, H), act_in(G, 2 * (int64_t)p.top_k), leaf3(G, VN_OP_WEIGHT, dg, 3, E, 2 * F, H),
                  leaf3(G, VN_OP_WEIGHT, dd, 3, E, H, F), bias ? mat_w(G, VN_F32, E, 2 * F) : VN_NONE,
                  bias ? mat_w(G, VN_F32, E, H) : VN_NONE};
  DESC("%s/%s E=%lld k=%d H=%lld F=%lld T=%d act=%s%s%s", vn_dtype_name(dg), vn_dtype_name(dd), (long long)E, p.top_k,
       (long long)H, (long long)F, c->T, vn_act_name(p.act), c->mode ? " grid" : qd ? " (TOL_QUANT only)" : "",
       p.limit > 0 ? " biases clamped-swiglu" : bias ? " biases" : "");
  op_node(G, VN_OP_MOE, s, &p);
}

/* fixed-size state [rows, cols] */
static uint32_t fixed_state(Gen *G, int64_t rows, int64_t cols) { return leaf(G, VN_OP_STATE, VN_F32, 2, rows, cols); }

/* kernel widths 2..5, steps shorter than the state (T < K-1), every act */
GEN(conv1d, 18) {
  Case *c = G->c;
  uint64_t *r = &G->r;
  VnParams p = {0};
  int64_t C = PICK(r, NCOLS_ODD, 64);
  int K = (int)PICK(r, 2, 3, 4, 4, 5);
  c->T = k % 4 == 0 ? 1 : k % 4 == 1 ? irand(r, 1, K) : irand(r, 2, 9);
  c->pos = k % 3 == 0 ? 0 : irand(r, 1, 500);
  p.act = k % VN_ACT_COUNT;
  int hb = k % 5 != 4;
  uint32_t s[] = {act_in(G, C), mat_w(G, VN_F32, C, K), hb ? vec_w(G, C) : VN_NONE, fixed_state(G, K - 1, C)};
  DESC("C=%lld K=%d T=%d pos=%d act=%s%s", (long long)C, K, c->T, c->pos, vn_act_name(p.act), hb ? " bias" : "");
  op_node(G, VN_OP_CONV1D, s, &p);
}

/* conv over frames: frames per row 1, 2, 4; stride 1 or 2; kernels 1, 3, 5;
 * ragged channel counts; with and without bias, every act */
GEN(conv, 16) {
  Case *c = G->c;
  uint64_t *r = &G->r;
  VnParams p = {0};
  int64_t cin = PICK(r, 1, 7, 16, 33), cout = PICK(r, 1, 5, 64), K = PICK(r, 1, 3, 5);
  int g = (int)PICK(r, 1, 2, 4);
  p.stride = g > 1 && k % 2 ? 2 : 1;
  p.act = k % VN_ACT_COUNT;
  c->T = irand(r, 1, 9);
  int hb = k % 5 != 4;
  uint32_t s[] = {act_in(G, g * cin), leaf3(G, VN_OP_WEIGHT, VN_F32, 3, cout, K, cin), hb ? vec_w(G, cout) : VN_NONE};
  DESC("Cin=%lld Cout=%lld K=%lld frames/row=%d stride=%d T=%d act=%s%s", (long long)cin, (long long)cout, (long long)K, g,
       p.stride, c->T, vn_act_name(p.act), hb ? " bias" : "");
  op_node(G, VN_OP_CONV, s, &p);
}

/* Mamba-1 (k % 3 == 0: a head per channel, A [channels, N]) and Mamba-2
 * (heads of P channels, B/C groups, A [heads], chunked prefill): T of one
 * (decode), below the chunk, a multiple of it and not, from position 0
 * and from a random state; with and without softplus, D, dt_bias and dt
 * limits; mode 1: dt past softplus's threshold
 * of 20, by the recurrence (the chunked form takes exp(cum_i - cum_s) of
 * float running sums, which at |dt A| of hundreds a chunk is off by
 * ~1e-5 relative) */
GEN(ssm_scan, 30) {
  Case *c = G->c;
  uint64_t *r = &G->r;
  VnParams p = {0};
  int v1 = k % 3 == 0;
  int64_t H, P, N, Gr = 1;
  if (v1) {
    H = PICK(r, 7, 16, 33); P = 1; N = PICK(r, 4, 16);
    p.chunk = k % 2 ? 0 : 8;  /* ignored with A per state */
  } else {
    H = PICK(r, 1, 2, 4, 6); P = PICK(r, 1, 4, 8, 16); N = PICK(r, 8, 16, 17);
    Gr = H % 2 ? 1 : PICK(r, 1, 2);
    p.chunk = k % 4 == 1 ? 0 : (int32_t)PICK(r, 3, 4, 8, 16);
  }
  c->mode = k % 8 == 2 || k % 8 == 7;
  if (c->mode && !v1) p.chunk = 0;  /* the chunked form's float cumsum loses digits past |dt A| ~ 100 a chunk */
  int Q = p.chunk;
  switch (k % 5) {
  case 0: c->T = 1; break;
  case 1: c->T = Q > 2 ? irand(r, 2, Q - 1) : irand(r, 2, 9); break;
  case 2: c->T = Q ? Q * irand(r, 1, 3) : irand(r, 2, 20); break;
  case 3: c->T = Q ? Q * irand(r, 1, 3) + irand(r, 1, Q - 1 > 1 ? Q - 1 : 1) : irand(r, 2, 20); break;
  default: c->T = irand(r, 2, 40);
  }
  c->pos = k % 2 ? irand(r, 1, 1000) : 0;
  p.heads = (int32_t)H;
  p.groups = (int32_t)Gr;
  p.softplus = k % 7 != 6;
  p.lo = p.softplus ? (float)PICK(r, 0, 0, 1) * 1e-3f : 0.05f;
  p.hi = (float)PICK(r, 0, 0, 1) * 0.5f;
  c->fix = fix_ssm_scan;
  int hd = k % 4 != 3, hb = k % 5 != 4;
  uint32_t s[] = {act_in(G, H * P), act_in(G, H), v1 ? mat_w(G, VN_F32, H, N) : vec_w(G, H), act_in(G, Gr * N),
                  act_in(G, Gr * N), hd ? vec_w(G, H) : VN_NONE, hb ? vec_w(G, H) : VN_NONE, fixed_state(G, H * P, N)};
  DESC("%s H=%lld P=%lld G=%lld N=%lld T=%d pos=%d chunk=%d%s lo=%g hi=%g%s%s%s", v1 ? "A[H,N]" : "A[H]", (long long)H,
       (long long)P, (long long)Gr, (long long)N, c->T, c->pos, p.chunk, p.softplus ? " softplus" : "", p.lo, p.hi,
       hd ? " D" : "", hb ? " dt_bias" : "", c->mode ? " dt>20" : "");
  op_node(G, VN_OP_SSM_SCAN, s, &p);
}

GEN(shift, 8) {
  Case *c = G->c;
  VnParams p = {0};
  int64_t C = PICK(&G->r, NCOLS_ODD, 64);
  c->T = irand(&G->r, 1, 9);
  c->pos = k % 2 ? irand(&G->r, 1, 500) : 0;
  uint32_t s[] = {act_in(G, C), fixed_state(G, 1, C)};
  DESC("C=%lld T=%d pos=%d", (long long)C, c->T, c->pos);
  op_node(G, VN_OP_SHIFT, s, &p);
}

/* decay = -exp(w) < 0 as models store it; keys up to 30 (the running max
 * keeps the exponentials finite); from position 0 or a valid state */
GEN(wkv, 12) {
  Case *c = G->c;
  VnParams p = {0};
  int64_t C = PICK(&G->r, NCOLS_ODD, 64);
  c->T = k % 6 == 5 ? 24 : irand(&G->r, 1, 9);
  c->pos = k % 2 ? irand(&G->r, 1, 500) : 0;
  c->amp = (float)PICK(&G->r, 1, 3, 30);
  c->fix = fix_wkv;
  uint32_t s[] = {act_in(G, C), act_in(G, C), vec_w(G, C), vec_w(G, C), fixed_state(G, 3, C)};
  DESC("C=%lld T=%d pos=%d amp=%g", (long long)C, c->T, c->pos, c->amp);
  op_node(G, VN_OP_WKV, s, &p);
}

/* value heads sharing key heads (Hv/Hk of 1, 2, 4), head dims odd and
 * even, with and without the l2norm, T of one (decode) to 30, from
 * position 0 and from a state as steps leave it (fix_delta_rule) */
GEN(delta_rule, 16) {
  Case *c = G->c;
  uint64_t *r = &G->r;
  static const int hk[][2] = {{1, 1}, {2, 1}, {4, 2}, {4, 1}, {3, 3}};
  int which = k % 5;
  VnParams p = {0};
  p.heads = hk[which][0];
  p.kv_heads = hk[which][1];
  p.head_dim = (int32_t)PICK(r, 4, 16, 17, 32);
  p.v_head_dim = (int32_t)PICK(r, 3, 16, 32);
  p.eps = k % 4 == 3 ? 0 : 1e-6f;
  p.scale = (float)(1.0 / sqrt((double)p.head_dim));
  c->T = k % 3 == 0 ? 1 : irand(r, 2, 30);
  c->pos = k % 2 ? irand(r, 1, 500) : 0;
  c->fix = fix_delta_rule;
  uint32_t s[] = {act_in(G, (int64_t)p.kv_heads * p.head_dim), act_in(G, (int64_t)p.kv_heads * p.head_dim),
                  act_in(G, (int64_t)p.heads * p.v_head_dim), act_in(G, p.heads), act_in(G, p.heads),
                  fixed_state(G, (int64_t)p.heads * p.head_dim, p.v_head_dim)};
  DESC("Hv=%d Hk=%d dk=%d dv=%d T=%d pos=%d%s", p.heads, p.kv_heads, p.head_dim, p.v_head_dim, c->T, c->pos,
       p.eps > 0 ? " l2norm" : "");
  op_node(G, VN_OP_DELTA_RULE, s, &p);
}

GEN(mla, 16) {
  Case *c = G->c;
  uint64_t *r = &G->r;
  VnParams p = {0};
  p.heads = (int32_t)PICK(r, 1, 2, 4);
  p.head_dim = (int32_t)PICK(r, 16, 32, 48);
  p.rope_dim = (int32_t)PICK(r, 8, 16, 32);
  p.v_head_dim = (int32_t)PICK(r, 16, 32, 48);
  int64_t L = PICK(r, 32, 64, 100, 512);
  p.scale = k % 5 == 4 ? 0.3f : (float)(1.0 / sqrt((double)(p.head_dim + p.rope_dim)));
  p.causal = 1;
  c->T = irand(r, 1, 9);
  c->pos = k % 3 == 0 ? 0 : irand(r, 1, 80);
  c->ctx = c->pos + c->T + irand(r, 0, 4);
  char rb[96] = "no rope";
  if (k % 4 != 3) {
    p.rope = 1 + some_rope(G, p.rope_dim, k);
    rope_desc(c->g, p.rope - 1, rb, sizeof rb);
  }
  uint32_t s[] = {act_in(G, (int64_t)p.heads * (p.head_dim + p.rope_dim)), act_in(G, L), act_in(G, p.rope_dim),
                  mat_w(G, VN_F32, (int64_t)p.heads * (p.head_dim + p.v_head_dim), L), state_in(G, L),
                  state_in(G, p.rope_dim)};
  DESC("H=%d dn=%d r=%d dv=%d L=%lld T=%d pos=%d ctx=%d scale=%g %s", p.heads, p.head_dim, p.rope_dim, p.v_head_dim,
       (long long)L, c->T, c->pos, c->ctx, p.scale, rb);
  op_node(G, VN_OP_MLA, s, &p);
}

/* image rows: ids over a vocabulary of 3 (token 1 the image token), an
 * image state [R + 1][C] whose counters (rows given, the step's first image
 * row, the next) the fixer makes valid, from 0 up to R: fewer rows given
 * than image tokens too, and (pos > 0) a sequence that has used some */
static void fix_image(const Case *c, struct Data *d, uint64_t *r);
GEN(image_rows, 8) {
  Case *c = G->c;
  VnParams p = {0};
  int64_t C = PICK(&G->r, 3, 17, 64), R = irand(&G->r, 1, 12);
  c->T = irand(&G->r, 1, 9);
  c->pos = k % 2 ? irand(&G->r, 1, 50) : 0;
  c->vocab = 3;
  c->fix = fix_image;
  p.token = 1;
  uint32_t s[] = {ids_in(G), fixed_state(G, R + 1, C)};
  DESC("C=%lld R=%lld T=%d pos=%d", (long long)C, (long long)R, c->T, c->pos);
  op_node(G, VN_OP_IMAGE_ROWS, s, &p);
}

GEN(image_merge, 8) {
  Case *c = G->c;
  VnParams p = {0};
  int64_t C = PICK(&G->r, NCOLS_ODD, 64), Cs = PICK(&G->r, 3, 16), R = irand(&G->r, 1, 12);
  c->T = irand(&G->r, 1, 9);
  c->vocab = 3;
  c->fix = fix_image;
  p.token = 1;
  uint32_t s[] = {act_in(G, C), act_in(G, C), ids_in(G), fixed_state(G, R + 1, Cs)};
  DESC("C=%lld Cs=%lld R=%lld T=%d", (long long)C, (long long)Cs, (long long)R, c->T);
  op_node(G, VN_OP_IMAGE_MERGE, s, &p);
}

/* The cases of each op with a kernel, in table order: an OP row of
 * ops.def names its runtime kernel vn_k_<name> (linked from
 * runtime/kernels.c, the portable build) and its case generator gen_<name>
 * with its count CASES_<name> (GEN), so that the harness does not build while
 * an op lacks one. */
typedef void (*KernelFn)(void);
static const struct { VnOp op; int n; void (*gen)(Gen *, int); KernelFn kernel; } GENS[] = {
#define OP(NAME, name, nin, flags, operands, doc) {VN_OP_##NAME, CASES_##name, gen_##name, (KernelFn)vn_k_##name},
#define NOKERNEL(NAME, name, nin, flags, operands, doc)
#include "ops.def"
#undef OP
#undef NOKERNEL
};

/* ---- float formats, read back from the packed bytes (written here, apart
 * from the runtime, so that a packing slip shows) ---- */
static uint16_t rd16(const uint8_t *p, int be) { return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[0] | p[1] << 8); }

static float from_f16(uint16_t h) {
  int e = (h >> 10) & 31, m = h & 1023;
  double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);
  return (float)(h & 0x8000 ? -v : v);
}

static float from_bf16(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* a packed row of n values of dtype dt back to float32 */
static void unpack_row(int dt, const uint8_t *p, int64_t n, int be, float *out) {
  switch (dt) {
  case VN_F32:
    for (int64_t i = 0; i < n; i++) {
      uint32_t u = 0;
      for (int b = 0; b < 4; b++) u |= (uint32_t)p[4 * i + (be ? 3 - b : b)] << (8 * b);
      memcpy(&out[i], &u, 4);
    }
    break;
  case VN_F16: for (int64_t i = 0; i < n; i++) out[i] = from_f16(rd16(p + 2 * i, be)); break;
  case VN_BF16: for (int64_t i = 0; i < n; i++) out[i] = from_bf16(rd16(p + 2 * i, be)); break;
  case VN_Q8_0:  /* blocks of 32: f16 scale d, 32 int8 q; x = d * q */
    for (int64_t b = 0; b < n / 32; b++, p += 34) {
      float d = from_f16(rd16(p, be));
      for (int j = 0; j < 32; j++) out[b * 32 + j] = d * (float)(int8_t)p[2 + j];
    }
    break;
  case VN_Q4_0:  /* blocks of 32: f16 scale d, 16 bytes; byte j holds x[j] (low nibble) and x[j+16]; x = d * (q - 8) */
    for (int64_t b = 0; b < n / 32; b++, p += 18) {
      float d = from_f16(rd16(p, be));
      for (int j = 0; j < 16; j++) {
        out[b * 32 + j] = d * (float)((p[2 + j] & 15) - 8);
        out[b * 32 + j + 16] = d * (float)((p[2 + j] >> 4) - 8);
      }
    }
    break;
  default:  /* GGUF's blocks (f16 fields in the target's order): GGML's dequantization, frontend/quants.c */
    if (vn_dtype_kept((VnDType)dt)) {
      size_t rb = vn_dtype_row_bytes((VnDType)dt, n), bb = (size_t)vn_dtype_block_bytes((VnDType)dt);
      uint8_t *le = malloc(rb);
      if (!le) { fprintf(stderr, "harness: out of memory\n"); exit(2); }
      memcpy(le, p, rb);
      if (be) for (size_t b = 0; b < rb; b += bb) vn_kq_swap(dt, le + b);
      vn_dequant_row(dt, le, n, out);
      free(le);
    }
    break;
  }
}

/* ---- a case's data: what the kernel gets and what the reference gets ---- */
typedef struct Data {
  void *kin[VN_MAXSRC];     /* kernel operands: packed weights, ids, floats */
  float *kmem[VN_MAXSRC];   /* the rows a view's kin points into */
  float *rin[VN_MAXSRC];    /* reference operands: float32 */
  float *st0[VN_MAXSRC];    /* STATE operands as they were before the step */
  int64_t stcols[VN_MAXSRC];/* their columns (0: not a state) */
  int64_t strows[VN_MAXSRC];/* their rows: ctx for per-position state, else its fixed rows */
  int32_t *ids;
  int64_t outn;             /* output elements (float, or int32 for an i32 result) */
  int64_t maxcols, maxrows; /* widest operand, most weight rows (scratch sizes) */
  int be;                   /* weights packed big-endian */
  int qr, q8u;              /* the target's repacked layout (vn_target_qrows) */
  int fr;                   /* ... of f32/f16 weights (vn_target_frows; 0 with OpenBLAS) */
} Data;

static void *xalloc(size_t n) {
  void *p = NULL;
  if (posix_memalign(&p, 64, n ? (n + 63) & ~(size_t)63 : 64)) { fprintf(stderr, "harness: out of memory\n"); exit(2); }
  memset(p, 0, n);
  return p;
}

static float *randf(uint64_t *r, int64_t n, float amp) {
  float *p = xalloc((size_t)n * sizeof *p);
  for (int64_t i = 0; i < n; i++) p[i] = frand(r, amp);
  return p;
}

static float *fdup(const float *x, int64_t n) {
  float *p = xalloc((size_t)n * sizeof *p);
  memcpy(p, x, (size_t)n * sizeof *p);
  return p;
}

/* weight operand k (node wi) packed into pk from its float32 values w (rows
 * x cols), which become what the kernel reads (unpacked back); a weight the
 * target streams repacked gets its whole groups of rows repacked as venusc's
 * packer does (codegen/pack.c) */
static void pack_weight(const Case *c, const Data *d, uint32_t wi, const float *w, float *rin, uint8_t *pk) {
  const VnNode *s = &c->g->nodes[wi];
  int64_t rows = s->nd > 1 ? s->dim[0] : 1, cols = s->nd > 1 ? vn_node_cols(s) : s->dim[0];
  size_t rb = vn_dtype_row_bytes(s->dtype, cols);
  for (int64_t i = 0; i < rows; i++) {
    vn_pack_row(s->dtype, w + i * cols, cols, d->be, pk + (size_t)i * rb);
    unpack_row(s->dtype, pk + (size_t)i * rb, cols, d->be, rin + i * cols);
  }
  int qr = s->dtype == VN_F32 || s->dtype == VN_F16 ? d->fr : d->qr;
  if (!qr || !vn_op_weight_repacked(c->g, wi)) return;
  uint8_t *tmp = xalloc((size_t)qr * rb);
  for (int64_t i = 0; i + qr <= rows; i += qr) {
    memcpy(tmp, pk + (size_t)i * rb, (size_t)qr * rb);
    vn_repack_rows(s->dtype, qr, d->q8u, cols, tmp, pk + (size_t)i * rb);
  }
  free(tmp);
}

static void make_data(const Case *c, const VnTarget *t, int blas, Data *d) {
  const VnGraph *g = c->g;
  const VnNode *n = &g->nodes[c->node];
  uint64_t r = c->seed;
  memset(d, 0, sizeof *d);
  int be = t->big_endian;
  d->be = be;
  d->qr = vn_target_qrows(t, &d->q8u);
  d->fr = blas ? 0 : vn_target_frows(t);  /* OpenBLAS reads float weights as plain rows */
  for (int k = 0; k < vn_ops[n->op].nin; k++) {
    if (n->src[k] == VN_NONE) continue;
    const VnNode *s = &g->nodes[n->src[k]];
    int64_t cols = s->nd > 1 ? vn_node_cols(s) : s->dim[0];
    if (cols > d->maxcols) d->maxcols = cols;
    if (s->op == VN_OP_INPUT && s->dtype == VN_I32) {
      d->ids = xalloc((size_t)c->T * sizeof *d->ids);
      for (int t = 0; t < c->T; t++) d->ids[t] = irand(&r, 0, c->vocab - 1);
      d->kin[k] = d->ids;
    } else if (s->op == VN_OP_INPUT) {
      d->rin[k] = randf(&r, (int64_t)c->T * cols, c->amp);
      d->kin[k] = fdup(d->rin[k], (int64_t)c->T * cols);
    } else if (s->op == VN_OP_VIEW) {  /* rows of the wider input; the reference gets the columns copied out */
      int64_t ld = vn_node_cols(&g->nodes[s->src[0]]), c0 = s->p.col0;
      d->kmem[k] = randf(&r, (int64_t)c->T * ld, c->amp);
      d->kin[k] = d->kmem[k] + c0;
      d->rin[k] = xalloc((size_t)(c->T * cols) * sizeof(float));
      for (int t = 0; t < c->T; t++) memcpy(d->rin[k] + t * cols, d->kmem[k] + t * ld + c0, (size_t)cols * sizeof(float));
    } else if (s->op == VN_OP_WEIGHT) {
      int64_t rows = s->nd > 1 ? s->dim[0] : 1;
      if (rows > d->maxrows) d->maxrows = rows;
      size_t rb = vn_dtype_row_bytes(s->dtype, cols);
      float *w = randf(&r, rows * cols, 1.0f);
      uint8_t *pk = xalloc(rb * (size_t)rows);
      d->rin[k] = xalloc((size_t)(rows * cols) * sizeof(float));
      pack_weight(c, d, n->src[k], w, d->rin[k], pk);
      free(w);
      d->kin[k] = pk;
    } else if (s->op == VN_OP_STATE) {
      /* a cache filled before this step; rows past the step are junk the kernel must not read */
      int64_t rows = s->dim[0] == VN_CTX ? c->ctx : s->dim[0];
      d->st0[k] = randf(&r, rows * cols, c->amp);
      d->stcols[k] = cols;
      d->strows[k] = rows;
      d->rin[k] = fdup(d->st0[k], rows * cols);
      d->kin[k] = fdup(d->st0[k], rows * cols);
    }
  }
  d->outn = (int64_t)(n->dim[0] == VN_TOUT ? c->tout : c->T) * vn_node_cols(n);
  if (c->fix) c->fix(c, d, &r);
}

/* operand k's reference values d->rin[k] (changed by a fixer) copied to the
 * kernel's side: rows into a view's wider rows, weights packed (and
 * unpacked back, so that the reference sees what the kernel reads), state
 * as it was before the step */
static void sync_in(const Case *c, Data *d, int k) {
  const VnGraph *g = c->g;
  const VnNode *s = &g->nodes[g->nodes[c->node].src[k]];
  int64_t cols = s->nd > 1 ? vn_node_cols(s) : s->dim[0];
  switch (s->op) {
  case VN_OP_INPUT:
    memcpy(d->kin[k], d->rin[k], (size_t)(c->T * cols) * sizeof(float));
    break;
  case VN_OP_VIEW: {
    int64_t ld = vn_node_cols(&g->nodes[s->src[0]]), c0 = s->p.col0;
    for (int t = 0; t < c->T; t++) memcpy(d->kmem[k] + t * ld + c0, d->rin[k] + t * cols, (size_t)cols * sizeof(float));
    break;
  }
  case VN_OP_WEIGHT: {
    int64_t rows = s->nd > 1 ? s->dim[0] : 1;
    float *w = fdup(d->rin[k], rows * cols);
    pack_weight(c, d, g->nodes[c->node].src[k], w, d->rin[k], d->kin[k]);
    free(w);
    break;
  }
  case VN_OP_STATE:
    memcpy(d->st0[k], d->rin[k], (size_t)(d->strows[k] * cols) * sizeof(float));
    memcpy(d->kin[k], d->rin[k], (size_t)(d->strows[k] * cols) * sizeof(float));
    break;
  default:
    break;
  }
}

static int64_t in_cols(const Case *c, int k) {
  const VnNode *s = &c->g->nodes[c->g->nodes[c->node].src[k]];
  return s->nd > 1 ? vn_node_cols(s) : s->dim[0];
}

/* a and b differ, by less than a float32 kernel can be trusted to order them */
static int near_tie(double a, double b, double abs_tol) {
  double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
  return a != b && fabs(a - b) <= 1e-5 * m + abs_tol;
}
static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

/* route: each logits row drawn again until no two choice scores (nor two
 * group scores) are nearly but not exactly equal, so that the expert sets
 * the float32 kernel and the double reference pick can only differ by a
 * bug; mode 1: pairs (4i, 4i+1) get the same bias and, in about half the
 * rows, the same logit: exact ties, the lower id first. Bias as small as
 * a correction bias is (|b| < 0.2). Sparsemixer: no two logits near a tie
 * and no mask ratio near its threshold 2 eps. */
static int sparsemixer_near(const float *l, int64_t E, int k, float eps) {
  char *ok = xalloc((size_t)E);
  memset(ok, 1, (size_t)E);
  int bad = 0;
  for (int j = 0; j < k && !bad; j++) {
    int64_t best = -1;
    for (int64_t e = 0; e < E; e++) if (ok[e] && (best < 0 || l[e] > l[best])) best = e;
    for (int64_t e = 0; e < E && !bad; e++) {
      if (!ok[e]) continue;
      if (e != best) bad = near_tie(l[e], l[best], 0);
      double f = fabs(l[e]) > l[best] ? fabs(l[e]) : l[best];
      bad = bad || fabs((l[best] - l[e]) / f - 2 * eps) < 1e-4;
    }
    ok[best] = 0;
  }
  free(ok);
  return bad;
}

static void fix_route(const Case *c, Data *d, uint64_t *r) {
  const VnParams *p = &c->g->nodes[c->node].p;
  int64_t E = in_cols(c, 0), G = p->groups > 1 ? p->groups : 1, per = E / G;
  if (p->route == VN_ROUTE_SPARSEMIXER) {
    for (int t = 0; t < c->T; t++) {
      float *lt = d->rin[0] + (int64_t)t * E;
      for (int tries = 0; sparsemixer_near(lt, E, p->top_k, p->eps); tries++) {
        if (tries > 10000) { fprintf(stderr, "harness: route: cannot draw logits without near ties (%s)\n", c->desc); exit(2); }
        for (int64_t e = 0; e < E; e++) lt[e] = frand(r, c->amp);
      }
    }
    sync_in(c, d, 0);
    return;
  }
  float *l = d->rin[0], *bias = d->rin[1];
  double *s = xalloc((size_t)E * sizeof *s), *gs = xalloc((size_t)G * sizeof *gs), *srt = xalloc((size_t)E * sizeof *srt);
  if (bias) {
    for (int64_t e = 0; e < E; e++) bias[e] *= 0.2f;
    if (c->mode) for (int64_t e = 0; e + 1 < E; e += 4) bias[e + 1] = bias[e];
    sync_in(c, d, 1);
  }
  double abs_tol = p->route == VN_ROUTE_SIGMOID ? 1e-6 : 0;
  for (int t = 0; t < c->T; t++) {
    float *lt = l + (int64_t)t * E;
    for (int tries = 0;; tries++) {
      if (tries > 10000) { fprintf(stderr, "harness: route: cannot draw logits without near ties (%s)\n", c->desc); exit(2); }
      if (tries) for (int64_t e = 0; e < E; e++) lt[e] = frand(r, c->amp);
      if (c->mode) for (int64_t e = 0; e + 1 < E; e += 4) if (next(r) & 1) lt[e + 1] = lt[e];
      double mx = -INFINITY, sum = 0;
      for (int64_t e = 0; e < E; e++) if (lt[e] > mx) mx = lt[e];
      for (int64_t e = 0; e < E; e++) {
        s[e] = p->route == VN_ROUTE_SOFTMAX ? exp(lt[e] - mx) : 1.0 / (1.0 + exp(-(double)lt[e]));
        sum += s[e];
      }
      for (int64_t e = 0; e < E; e++) {
        if (p->route == VN_ROUTE_SOFTMAX) s[e] /= sum;
        s[e] += bias ? bias[e] : 0;
        srt[e] = s[e];
      }
      qsort(srt, (size_t)E, sizeof *srt, cmp_double);
      int bad = 0;
      for (int64_t e = 0; e + 1 < E && !bad; e++) bad = near_tie(srt[e], srt[e + 1], abs_tol);
      for (int64_t g = 0; g < G && G > 1 && !bad; g++) {
        double b1 = -INFINITY, b2 = -INFINITY;
        for (int64_t e = g * per; e < (g + 1) * per; e++) {
          if (s[e] > b1) { b2 = b1; b1 = s[e]; }
          else if (s[e] > b2) b2 = s[e];
        }
        gs[g] = per > 1 ? b1 + b2 : b1;
        for (int64_t h = 0; h < g && !bad; h++) bad = near_tie(gs[h], gs[g], 2 * abs_tol);
      }
      if (!bad) break;
    }
  }
  sync_in(c, d, 0);
  free(s); free(gs); free(srt);
}

/* values v * 2^-e2 on a grid: every block of 32 holds +-lim (one at a random
 * place; lim = 127, or -8 for q4_0), the rest integers in [-lim, lim]
 * ([-8, 7] for q4_0), so that q8_0 and q4_0 blocks hold them exactly with
 * a power-of-two scale */
static void grid_row(float *x, int64_t n, int q4, int e2, uint64_t *r) {
  for (int64_t b = 0; b < n; b += 32) {
    int m = n - b < 32 ? (int)(n - b) : 32, at = irand(r, 0, m - 1);
    for (int j = 0; j < m; j++) {
      int v = q4 ? irand(r, -8, 7) : irand(r, -127, 127);
      if (j == at) v = q4 ? -8 : (next(r) & 1 ? 127 : -127);
      x[b + j] = ldexpf((float)v, -e2);
    }
  }
}

/* moe: routes of distinct experts, weights in (0.1, 1); mode 1 (grid): x
 * (scale 2^-6) and gate/up (2^-7, q4_0 2^-3) on grids, where every gate
 * and up dot product is exact in float32 and the hidden rows the kernel
 * rounds through q8_0 are the reference's */
static void fix_moe(const Case *c, Data *d, uint64_t *r) {
  const VnNode *n = &c->g->nodes[c->node];
  int k = n->p.top_k;
  const VnNode *gu = &c->g->nodes[n->src[2]];
  int64_t E = gu->dim[0], H = gu->dim[2];
  int *perm = xalloc((size_t)E * sizeof *perm);
  for (int t = 0; t < c->T; t++) {
    float *rt = d->rin[1] + (int64_t)t * 2 * k;
    for (int64_t e = 0; e < E; e++) perm[e] = (int)e;
    for (int j = 0; j < k; j++) {  /* partial Fisher-Yates */
      int i = j + (int)(next(r) % (uint64_t)(E - j)), tmp = perm[j];
      perm[j] = perm[i];
      perm[i] = tmp;
      rt[j] = (float)perm[j];
      rt[k + j] = (float)(0.1 + 0.9 * unif(r));
    }
  }
  free(perm);
  sync_in(c, d, 1);
  if (c->mode) {
    for (int t = 0; t < c->T; t++) grid_row(d->rin[0] + (int64_t)t * H, H, 0, 6, r);
    int q4 = gu->dtype == VN_Q4_0;
    for (int64_t i = 0; i < E * gu->dim[1]; i++) grid_row(d->rin[2] + i * H, H, q4, q4 ? 3 : 7, r);
    sync_in(c, d, 0);
    sync_in(c, d, 2);
  }
}

/* ssm_scan: A = -exp(1.5 u) in [-4.5, -0.22] (A = -exp(A_log)); mode 1: dt
 * times 25, past softplus's threshold */
static void fix_ssm_scan(const Case *c, Data *d, uint64_t *r) {
  (void)r;
  const VnNode *A = &c->g->nodes[c->g->nodes[c->node].src[2]];
  int64_t nA = A->nd > 1 ? A->dim[0] * A->dim[1] : A->dim[0];
  for (int64_t i = 0; i < nA; i++) d->rin[2][i] = -expf(1.5f * d->rin[2][i]);
  sync_in(c, d, 2);
  if (c->mode) {
    for (int64_t i = 0; i < c->T * in_cols(c, 1); i++) d->rin[1][i] *= 25;
    sync_in(c, d, 1);
  }
}

/* wkv: decay = -exp(2u) in [-7.4, -0.14]; a state as steps leave it:
 * den = e^u (u in [-1, 2]) > 0, num = den * (a value within v's range),
 * max within k's range */
static void fix_wkv(const Case *c, Data *d, uint64_t *r) {
  int64_t C = in_cols(c, 0);
  for (int64_t i = 0; i < C; i++) d->rin[2][i] = -expf(2 * d->rin[2][i]);
  sync_in(c, d, 2);
  float *st = d->rin[4];
  for (int64_t i = 0; i < C; i++) {
    st[C + i] = expf((float)(3 * unif(r) - 1));
    st[i] = st[C + i] * frand(r, c->amp);
    st[2 * C + i] = frand(r, c->amp);
  }
  sync_in(c, d, 4);
}

/* delta_rule: g = -softplus-like log decay in [-2, 0), beta in (0, 1) as
 * sigmoid gives it; without the l2norm, q and k scaled to unit-ish rows
 * (as the models' normalized keys) so the state stays bounded */
static void fix_delta_rule(const Case *c, Data *d, uint64_t *r) {
  (void)r;
  const VnNode *n = &c->g->nodes[c->node];
  int64_t Hv = n->p.heads, dk = n->p.head_dim;
  for (int64_t i = 0; i < c->T * Hv; i++) {
    d->rin[3][i] = -(float)(1.0 + tanh((double)d->rin[3][i])) - 1e-3f;
    d->rin[4][i] = (float)(1.0 / (1.0 + exp(-2.0 * d->rin[4][i])));
  }
  sync_in(c, d, 3);
  sync_in(c, d, 4);
  if (n->p.eps == 0) {
    for (int j = 0; j < 2; j++) {
      for (int64_t i = 0; i < c->T * in_cols(c, j); i++) d->rin[j][i] /= (float)sqrt((double)dk);
      sync_in(c, d, j);
    }
  }
}

static void fix_xielu(const Case *c, Data *d, uint64_t *r) {
  float *w = d->rin[1];
  w[0] = (float)(-0.6 + 2 * frand(r, 1));  /* softplus: 0.07 .. 1.6 */
  w[1] = (float)(-1.4 + 2 * frand(r, 1));
  w[2] = (float)(0.5 + 0.3 * frand(r, 1));
  w[3] = c->T % 2 ? -1e-6f : -0.25f;       /* eps: the model's, and one that clips visibly */
  sync_in(c, d, 1);
}

static void fix_image(const Case *c, Data *d, uint64_t *r) {
  const VnNode *n = &c->g->nodes[c->node];
  int k = n->op == VN_OP_IMAGE_ROWS ? 1 : 3;
  const VnNode *s = &c->g->nodes[n->src[k]];
  int64_t R = s->dim[0] - 1, C = s->dim[1];
  float *cnt = d->rin[k] + R * C;
  cnt[0] = (float)irand(r, 0, (int)R);
  cnt[1] = (float)irand(r, 0, (int)R);
  cnt[2] = (float)irand(r, 0, (int)R);
  sync_in(c, d, k);
}

static void free_data(Data *d) {
  for (int k = 0; k < VN_MAXSRC; k++) {
    if (d->kmem[k]) free(d->kmem[k]);
    else if (d->kin[k] != d->ids) free(d->kin[k]);
    free(d->rin[k]);
    free(d->st0[k]);
  }
  free(d->ids);
}

/* sum((a-b)^2) / max(sum(b^2), tiny); a NaN anywhere makes it infinite */
static double nmse(const float *a, const float *b, int64_t n) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < n; i++) {
    double e = (double)a[i] - b[i];
    num += e * e;
    den += (double)b[i] * b[i];
  }
  if (!isfinite(num)) return INFINITY;
  return num / (den > 1e-30 ? den : 1e-30);
}

/* nmse of [rows][cols] taken apart over parts blocks of columns: the worst */
static double nmse_parts(const float *a, const float *b, int64_t rows, int64_t cols, int parts) {
  if (parts <= 1) return nmse(a, b, rows * cols);
  double worst = 0;
  int64_t w = cols / parts;
  for (int q = 0; q < parts; q++) {
    double num = 0, den = 0;
    for (int64_t t = 0; t < rows; t++)
      for (int64_t i = q * w; i < (q + 1) * w; i++) {
        double e = (double)a[t * cols + i] - b[t * cols + i];
        num += e * e;
        den += (double)b[t * cols + i] * b[t * cols + i];
      }
    double v = isfinite(num) ? num / (den > 1e-30 ? den : 1e-30) : INFINITY;
    if (v > worst || isnan(v)) worst = v;
  }
  return worst;
}

/* the worst element, for the failure message */
static void worst_elem(const float *a, const float *b, int64_t n, int64_t cols, char *buf, size_t cap) {
  int64_t wi = 0;
  double we = -1;
  for (int64_t i = 0; i < n; i++) {
    double e = fabs((double)a[i] - b[i]);
    if (isnan(e)) e = INFINITY;
    if (e > we) { we = e; wi = i; }
  }
  snprintf(buf, cap, "worst [%lld][%lld]: got %.7g want %.7g", (long long)(wi / cols), (long long)(wi % cols),
           (double)a[wi], (double)b[wi]);
}

/* ---- a compiled (target, op) ---- */
typedef struct Lib {
  void *h;
  void (*begin_step)(VnRt *, int, int);
  VnPool *pool;
  void (*pool_free)(VnPool *);
} Lib;

/* What a kernel's output is compared with: the reference's output, and for
 * quantized matmuls also the reference's output for x rounded through q8_0
 * as the format defines it (vn_pack_row: d = max|x|/127, q = round(x/d)), so
 * that the q8_0/q4_0 dot products are held to float accuracy too. */
typedef struct Want {
  const float *out;
  double tol;
  const char *what;
} Want;

typedef struct Result {
  double nmse[2];       /* per Want; nmse[0] includes the cache rows */
  int ok;
  char why[400];
} Result;

/* int32 results (POSITIONS) compared as values */
static float *i32_as_float(const float *p, int64_t n) {
  float *f = xalloc((size_t)n * sizeof *f);
  for (int64_t i = 0; i < n; i++) {
    int32_t v;
    memcpy(&v, p + i, 4);
    f[i] = (float)v;
  }
  return f;
}

#define CANARY 16
static const float canary = -1234.5f;

/* Run case c's kernel fn once (nthreads 1 or the pool) and compare. */
static void run_kernel(const Case *c, const Lib *L, void *fn, ffi_cif *cif, const Data *d, const Want *want,
                       int nwant, float *const *rstate, int threads, Result *res) {
  const VnGraph *g = c->g;
  const VnNode *n = &g->nodes[c->node];
  int nin = vn_ops[n->op].nin;
  Data kd = *d;  /* fresh copies of the caches */
  for (int k = 0; k < nin; k++)
    if (d->st0[k]) kd.kin[k] = fdup(d->st0[k], d->strows[k] * d->stcols[k]);
  float *out = xalloc((size_t)(d->outn + CANARY) * sizeof *out);
  for (int64_t i = 0; i < d->outn + CANARY; i++) out[i] = i < d->outn ? NAN : canary;
  /* the runtime state a step sees, as runtime/weights.c sets it up */
  VnRtRope ropes[16];
  int nropes = g->nropes < 16 ? g->nropes : 16;
  size_t rope_floats = 0;
  for (int i = 0; i < nropes; i++) {
    const VnRope *ro = &g->ropes[i];
    ropes[i] = (VnRtRope){ro->head_dim, ro->rot_dim, ro->interleaved, ro->attn_factor, ro->inv_freq,
                          ro->dynamic, ro->dyn_base, ro->dyn_factor, ro->dyn_max_pos};
    rope_floats += (size_t)c->T * (size_t)ro->rot_dim;
  }
  VnModel m = {0};
  m.arch = "harness";
  m.target = "harness";
  m.t_max = c->T;
  m.nropes = nropes;
  m.ropes = ropes;
  /* x as q8_0 blocks, or with BLAS the raw [T][N] product of a glu matmul */
  m.qbuf_bytes = 64 + (int64_t)c->T * (d->maxcols / 32 + 1) * 48 + (int64_t)c->T * d->maxrows * 4;
  /* op scratch as vn_emit_model sizes it (t_max = T): route's [2E], moe's gathered rows */
  m.op_scratch_bytes = 64;
  if (n->op == VN_OP_ROUTE) m.op_scratch_bytes = 2 * vn_node_cols(&g->nodes[n->src[0]]) * 4;
  if (n->op == VN_OP_MOE) {
    int64_t H = g->nodes[n->src[2]].dim[2], F = g->nodes[n->src[3]].dim[2];
    m.op_scratch_bytes = (int64_t)c->T * (2 + 2 * H + 3 * F) * 4;
  }
  VnRt rt = {0};
  rt.m = &m;
  rt.ctx = c->ctx;
  rt.sc_rows = c->ctx > c->T ? c->ctx : c->T;
  rt.enc_len = c->enc_len;
  rt.nthreads = threads;
  rt.pool = threads > 1 ? L->pool : NULL;
  rt.rope_cs = xalloc(rope_floats * sizeof(float) + 64);
  rt.scratch = xalloc((size_t)threads * (size_t)(rt.sc_rows + 3 * VN_MAX_HEAD_DIM) * sizeof(float));  /* as vn_rt_init */
  rt.opbuf = xalloc((size_t)m.op_scratch_bytes);
  rt.qbuf = xalloc((size_t)m.qbuf_bytes);
  rt.qbuf_len = (size_t)m.qbuf_bytes;
  L->begin_step(&rt, c->T, c->pos);
  /* the call: (VnRt *, float *out, in0 .. in[nin-1], int T, int pos); LAST's pos carries Tout */
  void *ptrs[2 + VN_MAXSRC], *args[4 + VN_MAXSRC];
  int32_t Targ = c->T, parg = n->op == VN_OP_LAST ? c->tout : c->pos;
  ptrs[0] = &rt;
  ptrs[1] = out;
  for (int k = 0; k < nin; k++) ptrs[2 + k] = kd.kin[k];
  for (int k = 0; k < 2 + nin; k++) args[k] = &ptrs[k];
  args[2 + nin] = &Targ;
  args[3 + nin] = &parg;
  ffi_call(cif, FFI_FN(fn), NULL, args);
  /* compare (an int32 result as values) */
  res->ok = 1;
  char w[160] = "";
  float *got = out;
  if (n->dtype == VN_I32) got = i32_as_float(out, d->outn);
  for (int i = 0; i < nwant; i++) {
    float *ref = n->dtype == VN_I32 ? i32_as_float(want[i].out, d->outn) : (float *)want[i].out;
    res->nmse[i] = nmse_parts(got, ref, d->outn / vn_node_cols(n), vn_node_cols(n), c->parts);
    if (!(res->nmse[i] <= want[i].tol) && res->ok) {
      res->ok = 0;
      worst_elem(got, ref, d->outn, vn_node_cols(n), w, sizeof w);
      snprintf(res->why, sizeof res->why, "out nmse %.1e > %.0e%s (%s)", res->nmse[i], want[i].tol, want[i].what, w);
    }
    if (ref != want[i].out) free(ref);
  }
  if (got != out) free(got);
  for (int i = 0; i < CANARY; i++)
    if (out[d->outn + i] != canary && res->ok) {
      res->ok = 0;
      snprintf(res->why, sizeof res->why, "wrote past the end of the output (%lld floats)", (long long)d->outn);
    }
  /* state: per-position state must have rows pos..pos+T-1 as the reference
   * and every other row untouched; fixed-size state must match whole, row
   * by row (its rows may be different quantities: wkv's num, den, max) */
  for (int k = 0; k < nin; k++) {
    if (!d->st0[k]) continue;
    int per_pos = g->nodes[n->src[k]].dim[0] == VN_CTX;
    int64_t C = d->stcols[k], r0 = per_pos ? c->pos : 0, nr = per_pos ? c->T : d->strows[k];
    const float *ks = kd.kin[k];
    double e = per_pos ? nmse(ks + r0 * C, rstate[k] + r0 * C, nr * C) : 0;
    for (int64_t i = 0; i < nr && !per_pos; i++) {
      double ei = nmse(ks + i * C, rstate[k] + i * C, C);
      if (ei > e || isnan(ei)) e = ei;
    }
    if (e > res->nmse[0] || isnan(e)) res->nmse[0] = e;
    if (!(e <= c->tol) && res->ok) {
      res->ok = 0;
      worst_elem(ks + r0 * C, rstate[k] + r0 * C, nr * C, C, w, sizeof w);
      snprintf(res->why, sizeof res->why, "operand %d (state) rows %lld..%lld nmse %.1e > %.0e (%s)", k, (long long)r0,
               (long long)(r0 + nr - 1), e, c->tol, w);
    }
    int64_t head = r0 * C, tail0 = (r0 + nr) * C, all = d->strows[k] * C;
    if ((memcmp(ks, d->st0[k], (size_t)head * 4) || memcmp(ks + tail0, d->st0[k] + tail0, (size_t)(all - tail0) * 4)) &&
        res->ok) {
      res->ok = 0;
      snprintf(res->why, sizeof res->why, "operand %d (state): rows outside %lld..%lld changed", k, (long long)r0,
               (long long)(r0 + nr - 1));
    }
  }
  if (!res->ok && threads > 1) {
    size_t l = strlen(res->why);
    snprintf(res->why + l, sizeof res->why - l, " [%d threads]", threads);
  }
  for (int k = 0; k < nin; k++) if (d->st0[k]) free(kd.kin[k]);
  free(out);
  free(rt.rope_cs);
  free(rt.scratch);
  free(rt.qbuf);
  free(rt.opbuf);
}

/* ---- targets this host can run ---- */
static int cpu_has(const char *f) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
#define F(s) if (!strcmp(f, s)) return __builtin_cpu_supports(s) != 0;
  F("sse4.2") F("popcnt") F("ssse3") F("avx") F("avx2") F("fma") F("f16c") F("bmi2") F("avx512f") F("avx512bw")
  F("avx512vl") F("avx512dq") F("avx512cd") F("avx512vnni")
#undef F
#endif
  (void)f;
  return 0;
}

/* 1 when t runs here; else 0 and why */
static int runnable(const VnTarget *t, char *why, size_t cap) {
  if (t->runner && *t->runner) { snprintf(why, cap, "runs under %s, not natively", t->runner); return 0; }
  if (t->kind != VN_TK_LINUX) { snprintf(why, cap, "not a Linux target"); return 0; }
  if (strcmp(t->triple, "host")) {
#if defined(__x86_64__) && defined(__linux__)
    if (strcmp(t->triple, "x86_64-linux-gnu")) { snprintf(why, cap, "cross target %s", t->triple); return 0; }
#else
    snprintf(why, cap, "cross target %s", t->triple);
    return 0;
#endif
  }
  /* every ISA flag of its cflags must be in this CPU */
  char fl[512];
  snprintf(fl, sizeof fl, "%s", t->cflags);
  for (char *w = strtok(fl, " "); w; w = strtok(NULL, " ")) {
    const char *need[8] = {0};
    if (!strcmp(w, "-march=x86-64-v2")) { need[0] = "sse4.2"; need[1] = "popcnt"; need[2] = "ssse3"; }
    else if (!strcmp(w, "-march=x86-64-v3")) { need[0] = "avx2"; need[1] = "fma"; need[2] = "f16c"; need[3] = "bmi2"; }
    else if (!strcmp(w, "-march=x86-64-v4")) { need[0] = "avx512f"; need[1] = "avx512bw"; need[2] = "avx512vl"; need[3] = "avx512dq"; }
    else if (!strncmp(w, "-m", 2) && strncmp(w, "-march", 6) && strncmp(w, "-mtune", 6)) need[0] = w + 2;
    else continue;
    for (int i = 0; need[i]; i++)
      if (!cpu_has(need[i])) { snprintf(why, cap, "this CPU lacks %s", need[i]); return 0; }
  }
  if (!vn_target_available(t)) { snprintf(why, cap, "compiler %s is not installed", t->cc); return 0; }
  return 1;
}

/* ---- temp dir ---- */
static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb; (void)flag; (void)ftw;
  return remove(p);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One shared object: every selected op's cases for a target (the usual
 * build), or one op's alone (to tell which op breaks the build when the
 * whole one fails). blas: built with OpenBLAS (-DVN_USE_BLAS), which only
 * matmul uses, so that build holds matmul alone. */
typedef struct Build {
  const VnTarget *t;
  int gi;               /* GENS index, or -1: every selected op */
  int blas;
  char *dir, *so;
  int built;            /* 1 ok, -1 failed */
  pid_t pid;
  Lib L;                /* once opened */
} Build;

/* write the build's tree: runtime sources, vn_target.h, cases.c */
static VnStatus write_build(VnCtx *ctx, const char *tmp, Build *b, const VnBuf *src) {
  b->dir = vn_arena_printf(&ctx->arena, "%s/%s%s%s%s", tmp, b->t->name, b->gi >= 0 ? "-" : "",
                           b->gi >= 0 ? vn_ops[GENS[b->gi].op].name : "", b->blas ? "-blas" : "");
  b->so = vn_arena_printf(&ctx->arena, "%s/cases.so", b->dir);
  if (mkdir(b->dir, 0700)) return vn_errorf(ctx, VN_ERR_IO, (VnLoc){b->dir, 0}, "cannot create");
  if (vn_write_file(vn_arena_printf(&ctx->scratch, "%s/cases.c", b->dir), src->p, src->len))
    return vn_errorf(ctx, VN_ERR_IO, (VnLoc){b->dir, 0}, "cannot write cases.c");
  return vn_build_tree(ctx, b->dir, b->t, "cases", b->blas);
}

/* compile builds [0, n) with up to jobs compilers at once (fork: vn_build_run waits) */
static void build_all(VnCtx *ctx, Build *B, int n, long jobs) {
  fflush(stdout);
  for (int next_b = 0, running = 0; next_b < n || running > 0;) {
    if (next_b < n && running < jobs) {
      Build *b = &B[next_b++];
      b->pid = fork();
      if (b->pid == 0) {
        const char *extra[] = {vn_arena_printf(&ctx->scratch, "%s/cases.c", b->dir), NULL};
        if (vn_build_run(ctx, b->dir, b->t, b->so, 1, b->blas, extra) != VN_OK) {
          vn_write_file(vn_arena_printf(&ctx->scratch, "%s/error.txt", b->dir), ctx->msg, strlen(ctx->msg));
          _exit(1);
        }
        _exit(0);
      }
      if (b->pid < 0) b->built = -1;
      else running++;
      continue;
    }
    int st;
    pid_t p = wait(&st);
    if (p < 0) break;
    running--;
    for (int i = 0; i < n; i++)
      if (B[i].pid == p) B[i].built = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 1 : -1;
  }
}

static int open_build(Build *b, char *why, size_t cap) {
  if (b->L.h) return 1;
  b->L.h = dlopen(b->so, RTLD_NOW | RTLD_LOCAL);
  if (!b->L.h) { snprintf(why, cap, "dlopen: %s", dlerror()); return 0; }
  VnPool *(*pool_new)(int) = NULL;
  *(void **)&b->L.begin_step = dlsym(b->L.h, "vn_rt_begin_step");
  *(void **)&pool_new = dlsym(b->L.h, "vn_pool_new");
  *(void **)&b->L.pool_free = dlsym(b->L.h, "vn_pool_free");
  if (!b->L.begin_step || !pool_new || !b->L.pool_free) {
    snprintf(why, cap, "the shared object lacks the runtime's vn_rt_begin_step/vn_pool_new");
    dlclose(b->L.h);
    b->L.h = NULL;
    return 0;
  }
  b->L.pool = pool_new(2);  /* the parallel paths: each case runs on it too */
  return 1;
}

static void close_build(Build *b) {
  if (!b->L.h) return;
  if (b->L.pool) b->L.pool_free(b->L.pool);
  dlclose(b->L.h);
  b->L.h = NULL;
}

/* x rows [T][K] rounded through q8_0 */
static void round_q8(float *x, int T, int64_t K) {
  uint8_t *blk = xalloc(vn_dtype_row_bytes(VN_Q8_0, K));
  for (int t = 0; t < T; t++) {
    vn_pack_row(VN_Q8_0, x + t * K, K, 0, blk);
    unpack_row(VN_Q8_0, blk, K, 0, x + t * K);
  }
  free(blk);
}

static void round_row_q8(float *x, int64_t n) { round_q8(x, 1, n); }

/* x rows [T][K] rounded as the repacked K-quant kernels quantize them
 * (runtime/kquants.h KqX): int8 per 256 values, the scale a float */
static void round_q8k(float *x, int T, int64_t K) {
  for (int64_t b = 0; b < (int64_t)T * K / 256; b++) {
    float *v = x + b * 256, amax = 0;
    for (int j = 0; j < 256; j++) amax = fabsf(v[j]) > amax ? fabsf(v[j]) : amax;
    float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
    for (int j = 0; j < 256; j++) {
      float q = truncf(v[j] * id + copysignf(0.49999997f, v[j] * id));
      v[j] = d * (q < -127.0f ? -127.0f : q > 127.0f ? 127.0f : q);
    }
  }
}

typedef struct Opts {
  uint64_t seed;
  int want_case, verbose;
} Opts;

/* Every case of op GENS[gi] in b; prints the op's line. Returns the failures. */
static int run_op(Build *b, int gi, Case *cases, const char *label, const Opts *o, int *nruns) {
  VnOp op = GENS[gi].op;
  char why[300];
  if (!open_build(b, why, sizeof why)) { printf("FAIL %-26s %s\n", label, why); return 1; }
  /* the signature from the op table: rt, out, one pointer per operand, T, pos */
  int nin = vn_ops[op].nin;
  ffi_type *types[4 + VN_MAXSRC];
  for (int k = 0; k < 2 + nin; k++) types[k] = &ffi_type_pointer;
  types[2 + nin] = &ffi_type_sint32;
  types[3 + nin] = &ffi_type_sint32;
  ffi_cif cif;
  if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, (unsigned)(4 + nin), &ffi_type_void, types) != FFI_OK) {
    printf("FAIL %-26s ffi_prep_cif failed\n", label);
    return 1;
  }
  int ncases = 0, nbad = 0;
  double worst = 0, worst_q = -1, worst_xq = -1;  /* -1: no such cases */
  for (int k = 0; k < GENS[gi].n; k++) {
    if (o->want_case >= 0 && k != o->want_case) continue;
    const Case *c = &cases[k];
    char name[64];
    snprintf(name, sizeof name, "vn_%s_%d", vn_ops[op].name, k);
    void *fn = dlsym(b->L.h, name);
    if (!fn) { printf("     %s: no function %s\n", label, name); nbad++; continue; }
    Data d;
    make_data(c, b->t, b->blas, &d);
    /* the reference, on its own copies (it updates the caches in place) */
    float *rout = xalloc((size_t)d.outn * sizeof *rout), *rout_q = NULL;
    VnRefArgs ra = {c->g, &c->g->nodes[c->node], rout, {0}, d.ids, c->T, c->pos, c->tout, c->enc_len};
    for (int q = 0; q < nin; q++) ra.in[q] = d.rin[q];
    vn_ref_kernel(op)(&ra);
    Want want[2] = {{rout, c->tol, ""}};
    int nwant = 1;
    if (c->xq) {
      rout_q = xalloc((size_t)d.outn * sizeof *rout_q);
      VnRefArgs rq = ra;
      rq.out = rout_q;
      float *xq = NULL;
      if (op == VN_OP_MOE) {
        rq.round_q8 = round_row_q8;  /* x, and the hidden rows, where their weights are quantized */
      } else {
        int64_t K = c->g->nodes[c->g->nodes[c->node].src[0]].dim[1];
        xq = fdup(d.rin[0], (int64_t)c->T * K);
        uint32_t wi = c->g->nodes[c->node].src[1];
        if (op == VN_OP_MATMUL && d.qr && vn_dtype_block(c->g->nodes[wi].dtype) == 256 && vn_op_weight_repacked(c->g, wi))
          round_q8k(xq, c->T, K);
        else
          round_q8(xq, c->T, K);
        rq.in[0] = xq;
      }
      vn_ref_kernel(op)(&rq);
      free(xq);
      want[nwant++] = (Want){rout_q, TOL_FLOAT, " with x through q8_0"};
    }
    ncases++;
    for (int threads = 1; threads <= 2; threads++) {
      if (threads == 2 && !b->L.pool) break;
      Result res;
      memset(&res, 0, sizeof res);
      run_kernel(c, &b->L, fn, &cif, &d, want, nwant, d.rin, threads, &res);
      (*nruns)++;
      double *wp = c->tol > TOL_FLOAT ? &worst_q : &worst;
      if (res.nmse[0] > *wp || isnan(res.nmse[0])) *wp = res.nmse[0];
      if (nwant > 1 && (res.nmse[1] > worst_xq || isnan(res.nmse[1]))) worst_xq = res.nmse[1];
      if (o->verbose)
        printf("     %s case %d, %d thread%s: nmse %.1e  %s\n", label, k, threads, threads > 1 ? "s" : "", res.nmse[0], c->desc);
      if (!res.ok) {
        if (nbad < MAX_SHOWN)
          printf("     %s case %d (%s): %s\n        repeat: tests/ops/run.sh --target %s --op %s --seed %llu --case %d\n",
                 label, k, c->desc, res.why, b->t->name, vn_ops[op].name, (unsigned long long)o->seed, k);
        nbad++;
        break;
      }
    }
    free(rout);
    free(rout_q);
    free_data(&d);
  }
  printf("%-4s %-26s %3d cases  max nmse %.0e", nbad ? "FAIL" : "ok", label, ncases, worst);
  if (worst_q >= 0) printf("; q8_0/q4_0 weights %.0e (limit %.0e), %.0e with x through q8_0", worst_q, TOL_QUANT, worst_xq);
  printf("\n");
  if (nbad) printf("     (%d of %d cases failed)\n", nbad, ncases);
  fflush(stdout);
  return nbad;
}

static void usage(void) {
  fprintf(stderr, "usage: harness [--target NAME] [--op NAME] [--case N] [--seed N] [-j JOBS] [--keep] [-v]\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *want_t = NULL, *want_op = NULL;
  uint64_t seed = 1;
  int want_case = -1, keep = 0, verbose = 0;
  long jobs = sysconf(_SC_NPROCESSORS_ONLN);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--target") && i + 1 < argc) want_t = argv[++i];
    else if (!strcmp(a, "--op") && i + 1 < argc) want_op = argv[++i];
    else if (!strcmp(a, "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 0);
    else if (!strcmp(a, "--case") && i + 1 < argc) want_case = atoi(argv[++i]);
    else if (!strcmp(a, "-j") && i + 1 < argc) jobs = atol(argv[++i]);
    else if (!strcmp(a, "--keep")) keep = 1;
    else if (!strcmp(a, "-v")) verbose = 1;
    else usage();
  }
  if (jobs < 1) jobs = 1;
  if (jobs > 16) jobs = 16;
  double t0 = now();
  static VnCtx ctx;
  int failed = 0, nruns = 0;

  /* ops: every op with a kernel (its reference, kernel and cases are
   * there, or venusc's objects and this harness would not have linked) */
  int nsel = 0;
  int sel[VN_OP_COUNT];
  for (int op = 0; op < VN_OP_COUNT; op++) {
    if (want_op && strcmp(vn_ops[op].name, want_op)) continue;
    if (!vn_ref_kernel((VnOp)op)) {
      if (want_op) { fprintf(stderr, "harness: op %s has no kernel\n", want_op); return 2; }
      continue;
    }
    for (int i = 0; i < (int)(sizeof GENS / sizeof GENS[0]); i++) if ((int)GENS[i].op == op) sel[nsel++] = i;
  }
  if (want_op && !nsel) { fprintf(stderr, "harness: no op named %s\n", want_op); return 2; }

  /* targets */
  const VnTarget *tg[32];
  int ntg = 0;
  for (int i = 0; i < vn_ntargets && ntg < 32; i++) {
    const VnTarget *t = &vn_targets[i];
    if (want_t && strcmp(t->name, want_t)) continue;
    char why[160];
    if (runnable(t, why, sizeof why)) tg[ntg++] = t;
    else printf("skip target %s: %s\n", t->name, why);
  }
  if (want_t && !vn_target_find(want_t)) { fprintf(stderr, "harness: no target named %s\n", want_t); return 2; }

  /* cases, the same for every target */
  Case *cases[VN_OP_COUNT] = {0};
  for (int s = 0; s < nsel; s++) {
    int gi = sel[s], n = GENS[gi].n;
    cases[gi] = calloc((size_t)n, sizeof(Case));
    for (int k = 0; k < n; k++) {
      Case *c = &cases[gi][k];
      uint64_t r = seed * 0x100000001b3ull + (uint64_t)GENS[gi].op * 7919 + (uint64_t)k * 104729;
      next(&r);
      c->g = vn_graph_new(&ctx);
      c->T = 1;
      c->ctx = 1;
      c->tout = 1;
      c->vocab = 1;
      c->amp = 1;
      c->tol = TOL_FLOAT;
      c->seed = next(&r);
      Gen G = {&ctx, c, next(&r), NULL, 0};
      GENS[gi].gen(&G, k);
      if (c->ctx < 1) c->ctx = 1;
    }
  }

  /* the emitted functions: one source per op, vn_<op>_<case> */
  char tmpl[] = "/tmp/vn-ops-XXXXXX";
  const char *tmp = mkdtemp(tmpl);
  if (!tmp) { perror("harness: mkdtemp"); return 2; }
  VnBuf srcs[VN_OP_COUNT + 1], all = {0};
  memset(srcs, 0, sizeof srcs);
  vn_buf_puts(&all, "/* generated by tests/ops/harness.c */\n#include \"runtime.h\"\n\n");
  for (int s = 0; s < nsel; s++) {
    int gi = sel[s];
    VnBuf *src = &srcs[gi];
    vn_buf_puts(src, "/* generated by tests/ops/harness.c */\n#include \"runtime.h\"\n\n");
    for (int k = 0; k < GENS[gi].n; k++) {
      char name[64];
      snprintf(name, sizeof name, "vn_%s_%d", vn_ops[GENS[gi].op].name, k);
      vn_buf_printf(src, "/* case %d: %s */\n", k, cases[gi][k].desc);
      if (vn_emit_node_fn(&ctx, cases[gi][k].g, cases[gi][k].node, name, 1, src) != VN_OK) {
        fprintf(stderr, "harness: emit %s case %d: %s\n", vn_ops[GENS[gi].op].name, k, ctx.msg);
        return 2;
      }
    }
    vn_buf_put(&all, src->p, src->len);
  }

  /* one shared object per target with every op; matmul again with OpenBLAS
   * when it is installed; a target whose build fails is rebuilt per op */
  int blas_ok = system("echo '#include <cblas.h>' | cc -I/usr/include/openblas -E - >/dev/null 2>&1") == 0;
  int mm = -1;
  for (int s = 0; s < nsel; s++) if (GENS[sel[s]].op == VN_OP_MATMUL) mm = sel[s];
  Build *B = calloc((size_t)ntg * (size_t)(nsel + 2) + 1, sizeof *B);
  int nb = 0;
  Build *whole[32] = {0}, *withblas[32] = {0};
  for (int ti = 0; ti < ntg && nsel; ti++) {
    whole[ti] = &B[nb++];
    *whole[ti] = (Build){.t = tg[ti], .gi = -1};
    if (write_build(&ctx, tmp, whole[ti], &all) != VN_OK) { fprintf(stderr, "harness: %s\n", ctx.msg); return 2; }
    if (blas_ok && mm >= 0) {
      withblas[ti] = &B[nb++];
      *withblas[ti] = (Build){.t = tg[ti], .gi = mm, .blas = 1};
      if (write_build(&ctx, tmp, withblas[ti], &srcs[mm]) != VN_OK) { fprintf(stderr, "harness: %s\n", ctx.msg); return 2; }
    }
  }
  build_all(&ctx, B, nb, jobs);
  int nb1 = nb;
  for (int ti = 0; ti < ntg; ti++)
    if (whole[ti] && whole[ti]->built != 1)
      for (int s = 0; s < nsel; s++) {
        Build *b = &B[nb++];
        *b = (Build){.t = tg[ti], .gi = sel[s]};
        if (write_build(&ctx, tmp, b, &srcs[sel[s]]) != VN_OK) { fprintf(stderr, "harness: %s\n", ctx.msg); return 2; }
      }
  if (nb > nb1) build_all(&ctx, B + nb1, nb - nb1, jobs);
  double t_build = now() - t0;

  /* run: per target, per op */
  Opts o = {seed, want_case, verbose};
  for (int ti = 0; ti < ntg; ti++) {
    for (int s = 0; s < nsel + 1; s++) {
      int gi = s < nsel ? sel[s] : mm;
      int blas = s == nsel;
      Build *b = blas ? withblas[ti] : whole[ti];
      if (!b) continue;
      if (!blas && b->built != 1)  /* the per-op build */
        for (int i = nb1; i < nb; i++)
          if (B[i].t == tg[ti] && B[i].gi == gi) b = &B[i];
      char label[96];
      snprintf(label, sizeof label, "%s/%s%s", vn_ops[GENS[gi].op].name, tg[ti]->name, blas ? "+blas" : "");
      if (b->built != 1) {
        char *msg = vn_read_file(vn_arena_printf(&ctx.scratch, "%s/error.txt", b->dir), NULL);
        printf("FAIL %-26s does not compile: %s\n", label, msg ? msg : "cannot fork");
        free(msg);
        failed = 1;
        keep = 1;
        continue;
      }
      if (run_op(b, gi, cases[gi], label, &o, &nruns)) failed = 1;
    }
    for (int i = 0; i < nb; i++) if (B[i].t == tg[ti]) close_build(&B[i]);
  }

  if (keep) printf("sources kept in %s\n", tmp);
  else nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  printf("ops: %d ops x %d targets%s, %d kernel runs, %s (build %.1fs, total %.1fs)\n", nsel, ntg,
         blas_ok && mm >= 0 ? " (+ matmul with OpenBLAS)" : "", nruns, failed ? "FAILED" : "all passed", t_build,
         now() - t0);
  for (int i = 0; i <= VN_OP_COUNT; i++) vn_buf_free(&srcs[i]);
  for (int i = 0; i < VN_OP_COUNT; i++) free(cases[i]);
  free(B);
  vn_buf_free(&all);
  return failed ? 1 : 0;
}
