/* ctx.c: the compile context — arenas, the first-error-wins error record,
 * and the small tables (dtypes, activations) every stage shares. */
#include "graph.h"
#include <stdlib.h>
#include <string.h>

struct VnArenaChunk {
  VnArenaChunk *next;
  size_t cap, used;
  _Alignas(16) unsigned char data[];
};

void *vn_arena_alloc(VnArena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  VnArenaChunk *c = a->head;
  if (!c || c->cap - c->used < n) {
    size_t cap = n > (1u << 20) ? n : (1u << 20);
    c = malloc(sizeof *c + cap);
    if (!c) { fprintf(stderr, "venusc: out of memory\n"); exit(3); }
    c->cap = cap; c->used = 0; c->next = a->head; a->head = c;
  }
  void *p = c->data + c->used;
  c->used += n;
  a->used_total += n;
  memset(p, 0, n);
  return p;
}

char *vn_arena_strdup(VnArena *a, const char *s) {
  size_t n = strlen(s) + 1;
  char *p = vn_arena_alloc(a, n);
  memcpy(p, s, n);
  return p;
}

char *vn_arena_printf(VnArena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *p = vn_arena_alloc(a, (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

void vn_arena_free(VnArena *a) {
  for (VnArenaChunk *c = a->head, *nx; c; c = nx) { nx = c->next; free(c); }
  a->head = NULL;
  a->used_total = 0;
}

VnStatus vn_errorf(VnCtx *ctx, VnStatus st, VnLoc loc, const char *fmt, ...) {
  ctx->nerr++;
  if (ctx->status != VN_OK) return ctx->status;
  ctx->status = st;
  size_t k = 0;
  if (loc.file && loc.line > 0) k = (size_t)snprintf(ctx->msg, sizeof ctx->msg, "%s:%d: ", loc.file, loc.line);
  else if (loc.file) k = (size_t)snprintf(ctx->msg, sizeof ctx->msg, "%s: ", loc.file);
  if (k >= sizeof ctx->msg) k = sizeof ctx->msg - 1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx->msg + k, sizeof ctx->msg - k, fmt, ap);
  va_end(ap);
  /* messages quote model files: keep their control bytes off the terminal */
  for (char *c = ctx->msg; *c; c++)
    if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
  if (st == VN_ERR_INTERNAL) {
    size_t m = strlen(ctx->msg);
    snprintf(ctx->msg + m, sizeof ctx->msg - m, " (internal error: please report)");
  }
  return st;
}

/* ---- dtypes ---- */
static const struct { const char *name; int block; int bytes; } dtypes[VN_DTYPE_COUNT] = {
  [VN_F32] = {"f32", 1, 4},      [VN_F16] = {"f16", 1, 2},      [VN_BF16] = {"bf16", 1, 2},
  [VN_Q8_0] = {"q8_0", 32, 34},  [VN_Q4_0] = {"q4_0", 32, 18},  [VN_I32] = {"i32", 1, 4},
  [VN_Q4_1] = {"q4_1", 32, 20},  [VN_Q5_0] = {"q5_0", 32, 22},  [VN_Q5_1] = {"q5_1", 32, 24},
  [VN_IQ4_NL] = {"iq4_nl", 32, 18}, [VN_Q2_K] = {"q2_k", 256, 84}, [VN_Q3_K] = {"q3_k", 256, 110},
  [VN_Q4_K] = {"q4_k", 256, 144}, [VN_Q5_K] = {"q5_k", 256, 176}, [VN_Q6_K] = {"q6_k", 256, 210},
  [VN_IQ4_XS] = {"iq4_xs", 256, 136},
};

const char *vn_dtype_name(VnDType t) { return (unsigned)t < VN_DTYPE_COUNT ? dtypes[t].name : "?"; }
int vn_dtype_block_bytes(VnDType t) { return dtypes[t].bytes; }
int vn_dtype_block(VnDType t) { return dtypes[t].block; }
int vn_dtype_kept(VnDType t) {
  return t == VN_Q4_1 || t == VN_Q5_0 || t == VN_Q5_1 || t == VN_IQ4_NL || t == VN_Q2_K || t == VN_Q3_K ||
         t == VN_Q4_K || t == VN_Q5_K || t == VN_Q6_K || t == VN_IQ4_XS;
}

int vn_dtype_parse(const char *s, VnDType *out) {
  for (int i = 0; i < VN_DTYPE_COUNT; i++)
    if (!strcmp(s, dtypes[i].name)) { *out = (VnDType)i; return 1; }
  return 0;
}

size_t vn_dtype_row_bytes(VnDType t, int64_t n) {
  return (size_t)(n / dtypes[t].block) * (size_t)dtypes[t].bytes;
}

/* ---- activations ---- */
static const char *act_names[VN_ACT_COUNT] = {
#define X(n, s) s,
  VN_ACTS(X)
#undef X
};
const char *vn_act_name(int a) { return a >= 0 && a < VN_ACT_COUNT ? act_names[a] : "?"; }
int vn_act_parse(const char *s) {
  for (int i = 0; i < VN_ACT_COUNT; i++) if (!strcmp(s, act_names[i])) return i;
  return -1;
}
