/* plan.c: static memory. Three regions, all sized here, at compile time:
 *   weights  every WEIGHT node's packed bytes at a 64-byte aligned offset of
 *            the weight file (after its header page);
 *   arena    every activation of one step of t_max tokens, placed by
 *            liveness: a buffer is reused once its last reader has run;
 *   state    per context position, the bytes of every STATE node (KV
 *            cache); the runtime multiplies by --ctx.
 * Views take their root's buffer. Weight dtypes are fixed here too: 2-D
 * weights read by matmul/embed get g->wdtype (or their stored dtype), the
 * rest stay f32. */
#include "graph.h"
#include "ops.h"
#include <stdlib.h>
#include <string.h>

#define ALIGN 64

static int64_t align_up(int64_t x) { return (x + ALIGN - 1) & ~(int64_t)(ALIGN - 1); }

static uint32_t root_of(const VnGraph *g, uint32_t i) {
  while (vn_ops[g->nodes[i].op].flags & VN_OPF_VIEW) i = g->nodes[i].src[0];
  return i;
}

/* The dtype a weight is stored with in the model file (its first tensor). */
static int source_dtype(const VnWx *w) {
  while (w && w->kind != VN_WX_TENSOR) w = w->nargs ? w->args[0] : NULL;
  return w ? w->dtype : -1;
}

/* Does w only select, stack or reorder whole rows of tensors of type dt,
 * each as wide as the result (so its blocks can be copied as stored)? A
 * tensor of more dims is rows of its last one. */
static int rows_of(const VnWx *w, int dt, int64_t cols) {
  switch (w->kind) {
  case VN_WX_TENSOR: return w->nd >= 2 && w->dtype == dt && w->dim[w->nd - 1] == cols;
  case VN_WX_ROWS: case VN_WX_UNPAIR: case VN_WX_RESHAPE: return rows_of(w->args[0], dt, cols);
  case VN_WX_PAIRS: case VN_WX_CAT:
    for (int a = 0; a < w->nargs; a++) if (!rows_of(w->args[a], dt, cols)) return 0;
    return w->nargs > 0;
  default: return 0;
  }
}

/* The output head: the matmul the logits come from (through elementwise
 * ops such as a soft cap), its rows the vocabulary; VN_NONE: none. */
static uint32_t head_matmul(const VnGraph *g) {
  uint32_t i = g->output;
  for (int hop = 0; i != VN_NONE && i < g->n && hop < 8; hop++, i = g->nodes[i].src[0]) {
    const VnNode *n = &g->nodes[i];
    if (n->op != VN_OP_MATMUL) continue;
    return g->info.vocab > 0 && n->dim[n->nd - 1] == g->info.vocab ? i : VN_NONE;
  }
  return VN_NONE;
}

/* --dtype q4_0 stores the token embedding and the output head at q8_0, as
 * GGML's quantizer keeps a Q4_0 file's head at Q6_K: the two carry most of q4_0's
 * loss (the demo model's perplexity: +6.7% with them at q4_0, +4.9% at
 * q8_0); the embedding costs no time (one row a token), the head its
 * larger rows. */
static void assign_weight_dtypes(VnGraph *g) {
  uint32_t head = g->wdtype == VN_Q4_0 ? head_matmul(g) : VN_NONE;
  for (uint32_t i = 0; i < g->n; i++) {
    VnNode *n = &g->nodes[i];
    if (n->op == VN_OP_WEIGHT) n->dtype = VN_F32;
  }
  for (uint32_t i = 0; i < g->n; i++) {
    VnNode *n = &g->nodes[i];
    uint32_t w = VN_NONE;
    uint32_t w2 = VN_NONE;
    if (n->op == VN_OP_MATMUL) w = n->src[1];
    else if (n->op == VN_OP_EMBED) w = n->src[0];
    else if (n->op == VN_OP_MOE) { w = n->src[2]; w2 = n->src[3]; }
    for (int pass = 0; pass < 2; pass++, w = w2) {
    if (w == VN_NONE) continue;
    VnNode *wn = &g->nodes[w];
    if (wn->nd < 2) continue;
    int dt = g->wdtype;
    if (dt == VN_Q4_0 && (n->op == VN_OP_EMBED || i == head)) dt = VN_Q8_0;
    if (dt < 0) {
      /* as stored when the kernels read that format (GGUF's other block
       * formats only where whole stored rows are copied); the rest become
       * q8_0 (the nearest the kernels run, losing next to nothing) */
      dt = source_dtype(wn->wx);
      if (vn_dtype_kept((VnDType)dt) && !rows_of(wn->wx, dt, wn->dim[wn->nd - 1])) dt = VN_Q8_0;
      else if (dt >= VN_KERNEL_DTYPES && dt != VN_I32 && !vn_dtype_kept((VnDType)dt)) dt = VN_Q8_0;
      else if (dt < 0 || dt == VN_I32) dt = VN_F32;
    }
    /* block formats need whole blocks per row; otherwise keep 16-bit floats */
    if (wn->dim[wn->nd - 1] % vn_dtype_block((VnDType)dt)) dt = VN_F16;
    /* a table shared by embed and matmul keeps the first choice */
    if (wn->dtype == VN_F32) wn->dtype = (VnDType)dt;
    }
  }
}

typedef struct { int64_t off, size; } Block;

/* rows of an activation's buffer: a step's t_max, the encoder's enc_rows */
static int64_t buf_rows(const VnGraph *g, const VnNode *n) {
  return n->phase == VN_PHASE_ENCODER && g->info.enc_rows > g->t_max ? g->info.enc_rows : g->t_max;
}

/* last_use of a buffer root: the last kernel that reads it (views read nothing). */
static void liveness(VnGraph *g) {
  for (uint32_t i = 0; i < g->n; i++) g->nodes[i].last_use = i;
  for (uint32_t i = 0; i < g->n; i++) {
    if (vn_ops[g->nodes[i].op].flags & VN_OPF_VIEW) continue;
    for (int k = 0; k < VN_MAXSRC; k++) {
      uint32_t s = g->nodes[i].src[k];
      if (s == VN_NONE) continue;
      uint32_t r = root_of(g, s);
      if (g->nodes[r].last_use < i) g->nodes[r].last_use = i;
      /* read by every step: an encoder value keeps its buffer for good */
      if (g->nodes[i].phase == VN_PHASE_STEP && g->nodes[r].phase == VN_PHASE_ENCODER &&
          !(vn_ops[g->nodes[r].op].flags & VN_OPF_LEAF))
        g->nodes[r].last_use = g->n;
    }
  }
}

/* The per-position state that ATTENTION nodes alone read, as their K and
 * V caches, takes g->kv_dtype; every other state stays float32. */
static void kv_dtypes(VnGraph *g) {
  for (uint32_t i = 0; i < g->n; i++) {
    VnNode *n = &g->nodes[i];
    if (n->op != VN_OP_STATE || n->dim[0] != VN_CTX) continue;
    int kv = 0, other = 0;
    for (uint32_t u = i + 1; u < g->n; u++) {
      const VnNode *r = &g->nodes[u];
      for (int k = 0; k < VN_MAXSRC; k++) {
        if (r->src[k] != i) continue;
        if (r->op == VN_OP_ATTENTION && (k == 3 || k == 4)) kv = 1;
        else other = 1;
      }
    }
    if (kv && !other) n->dtype = (VnDType)g->kv_dtype;
  }
}

VnStatus vn_pass_plan(VnCtx *ctx, VnGraph *g) {
  assign_weight_dtypes(g);
  /* weights */
  int64_t woff = g->weight_base > VN_PLAN_WEIGHT_HEADER ? g->weight_base : VN_PLAN_WEIGHT_HEADER;
  for (uint32_t i = 0; i < g->n; i++) {
    VnNode *n = &g->nodes[i];
    if (n->op != VN_OP_WEIGHT) continue;
    int64_t rows = 1, cols = n->dim[n->nd - 1];
    for (int k = 0; k < n->nd - 1; k++) rows *= n->dim[k];
    n->offset = woff;
    woff = align_up(woff + (int64_t)vn_dtype_row_bytes(n->dtype, cols) * rows);
  }
  g->weight_bytes = woff;
  kv_dtypes(g);
  /* state: per-position (KV cache) rows, then the fixed-size state */
  int64_t srow = 0, sfix = 0;
  for (uint32_t i = 0; i < g->n; i++) {
    VnNode *n = &g->nodes[i];
    if (n->op != VN_OP_STATE) continue;
    if (n->dim[0] == VN_CTX) {
      n->state_off = srow;
      srow += vn_node_cols(n) * (n->dtype == VN_F16 ? 2 : 4);
    } else {
      n->state_off = sfix;
      sfix = align_up(sfix + n->dim[0] * vn_node_cols(n) * 4);
    }
  }
  g->state_row_bytes = srow;
  g->state_fixed_bytes = sfix;
  /* liveness: last reader of each buffer root (the output lives to the end) */
  liveness(g);
  g->nodes[root_of(g, g->output)].last_use = g->n;
  if (g->hidden != VN_NONE) g->nodes[root_of(g, g->hidden)].last_use = g->n;  /* read after the step too */
  /* first-fit over a sorted free list; buffers are freed after their last
   * reader has been given its output buffer, so no kernel's output aliases
   * one of its inputs */
  int cap = 64, nfree = 0;
  Block *fl = malloc((size_t)cap * sizeof *fl);
  int64_t top = 0;
  for (uint32_t i = 0; i < g->n; i++) {
    VnNode *n = &g->nodes[i];
    int f = vn_ops[n->op].flags;
    if ((f & (VN_OPF_LEAF | VN_OPF_VIEW)) || !vn_node_is_act(n)) continue;
    int64_t size = align_up(buf_rows(g, n) * vn_node_cols(n) * 4);
    int best = -1;
    for (int b = 0; b < nfree; b++)
      if (fl[b].size >= size && (best < 0 || fl[b].size < fl[best].size)) best = b;
    if (best >= 0) {
      n->offset = fl[best].off;
      fl[best].off += size;
      fl[best].size -= size;
      if (!fl[best].size) fl[best] = fl[--nfree];
    } else {
      n->offset = top;
      top += size;
    }
    /* free the buffers whose last reader is this node */
    for (int k = 0; k < VN_MAXSRC; k++) {
      uint32_t s = n->src[k];
      if (s == VN_NONE) continue;
      uint32_t r = root_of(g, s);
      VnNode *rn = &g->nodes[r];
      if (rn->last_use != i || rn->offset < 0 || (vn_ops[rn->op].flags & VN_OPF_LEAF)) continue;
      int64_t rs = align_up(buf_rows(g, rn) * vn_node_cols(rn) * 4), ro = rn->offset;
      rn->last_use = UINT32_MAX - 1;  /* freed once even if read twice */
      /* merge with neighbours */
      for (int b = 0; b < nfree; b++) {
        if (fl[b].off + fl[b].size == ro) { ro = fl[b].off; rs += fl[b].size; fl[b--] = fl[--nfree]; }
        else if (ro + rs == fl[b].off) { rs += fl[b].size; fl[b--] = fl[--nfree]; }
      }
      if (ro + rs == top) { top = ro; continue; }
      if (nfree == cap) { cap *= 2; fl = realloc(fl, (size_t)cap * sizeof *fl); }
      fl[nfree].off = ro;
      fl[nfree++].size = rs;
    }
    if (n->offset + size > g->arena_bytes) g->arena_bytes = n->offset + size;
  }
  liveness(g);  /* again, for dumps */
  free(fl);
  return VN_OK;
}
