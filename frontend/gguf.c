/* gguf.c: the GGUF frontend (v2 and v3, little-endian). Maps the file,
 * checks every count, length, type and offset against the file before use,
 * and turns it into what the rest of venusc reads: a VnSource of tensors
 * (dims in row-major order, outermost first, as the HF frontend gives them)
 * and the metadata as a JSON object. Which metadata keys mean which config
 * values, and which GGUF tensor names play which role, is architecture
 * knowledge: archspecs/lib/gguf.lua maps both (vn_spec_gguf). */
#include "frontend.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum { T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR, T_U64, T_I64, T_F64, T_COUNT };

typedef struct Rd {
  VnCtx *ctx;
  const char *path;
  const uint8_t *p;
  uint64_t len, off;
} Rd;

static VnStatus short_file(Rd *r, const char *what) {
  return vn_errorf(r->ctx, VN_ERR_INPUT, (VnLoc){r->path, 0}, "truncated: %s at byte %llu runs past the end (%llu bytes)",
                   what, (unsigned long long)r->off, (unsigned long long)r->len);
}

static int need(Rd *r, uint64_t n) { return n <= r->len - r->off; }

static uint64_t rdu(Rd *r, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; i--) v = v << 8 | r->p[r->off + (uint64_t)i];
  r->off += (uint64_t)bytes;
  return v;
}

static VnStatus rd_u32(Rd *r, uint32_t *v, const char *what) {
  if (!need(r, 4)) return short_file(r, what);
  *v = (uint32_t)rdu(r, 4);
  return VN_OK;
}

static VnStatus rd_u64(Rd *r, uint64_t *v, const char *what) {
  if (!need(r, 8)) return short_file(r, what);
  *v = rdu(r, 8);
  return VN_OK;
}

/* a GGUF string: u64 length + bytes (not NUL-terminated in the file) */
static VnStatus rd_str(Rd *r, const char **s, uint64_t *n, const char *what) {
  uint64_t len;
  VN_TRY(rd_u64(r, &len, what));
  if (!need(r, len)) return short_file(r, what);
  *s = (const char *)r->p + r->off;
  *n = len;
  r->off += len;
  return VN_OK;
}

static const int type_size[T_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

static json_t *scalar(Rd *r, uint32_t t) {
  uint64_t u = rdu(r, type_size[t]);
  switch (t) {
  case T_U8: case T_U16: case T_U32: case T_U64: return json_integer((json_int_t)u);
  case T_I8: return json_integer((int8_t)u);
  case T_I16: return json_integer((int16_t)u);
  case T_I32: return json_integer((int32_t)u);
  case T_I64: return json_integer((json_int_t)(int64_t)u);
  case T_BOOL: return json_boolean(u != 0);
  case T_F32: { uint32_t x = (uint32_t)u; float f; memcpy(&f, &x, 4); return json_real(f); }
  case T_F64: { double d; memcpy(&d, &u, 8); return json_real(d); }
  }
  return json_null();
}

/* Read one value of type t; keep it (when keep) as JSON in *out. Arrays
 * longer than `big` are skipped over (the tokenizer's arrays are read in
 * place by vn_gguf_array). */
static VnStatus rd_value(Rd *r, uint32_t t, json_t **out, int keep, int depth, uint64_t big) {
  if (t >= T_COUNT) return vn_errorf(r->ctx, VN_ERR_INPUT, (VnLoc){r->path, 0}, "unknown metadata value type %u at byte %llu", t, (unsigned long long)r->off);
  if (depth > 8) return vn_errorf(r->ctx, VN_ERR_INPUT, (VnLoc){r->path, 0}, "metadata arrays nest too deeply");
  if (t == T_STR) {
    const char *s;
    uint64_t n;
    VN_TRY(rd_str(r, &s, &n, "a metadata string"));
    if (keep) *out = json_stringn_nocheck(s, (size_t)n);
    return VN_OK;
  }
  if (t == T_ARR) {
    uint32_t et;
    uint64_t cnt;
    VN_TRY(rd_u32(r, &et, "an array type"));
    VN_TRY(rd_u64(r, &cnt, "an array length"));
    if (et >= T_COUNT) return vn_errorf(r->ctx, VN_ERR_INPUT, (VnLoc){r->path, 0}, "unknown array element type %u", et);
    if (et != T_STR && et != T_ARR) {
      if (cnt > (r->len - r->off) / (uint64_t)type_size[et]) return short_file(r, "an array");
      if (!keep || cnt > big) { r->off += cnt * (uint64_t)type_size[et]; if (keep) *out = NULL; return VN_OK; }
      json_t *a = json_array();
      for (uint64_t i = 0; i < cnt; i++) json_array_append_new(a, scalar(r, et));
      *out = a;
      return VN_OK;
    }
    if (cnt > (r->len - r->off) / 8) return short_file(r, "an array");
    int k = keep && cnt <= big;
    json_t *a = k ? json_array() : NULL;
    for (uint64_t i = 0; i < cnt; i++) {
      json_t *v = NULL;
      VnStatus st = rd_value(r, et, &v, k, depth + 1, big);
      if (st != VN_OK) { if (a) json_decref(a); return st; }
      if (a) json_array_append_new(a, v ? v : json_null());
    }
    if (keep) *out = a;
    return VN_OK;
  }
  if (!need(r, (uint64_t)type_size[t])) return short_file(r, "a metadata value");
  json_t *v = scalar(r, t);
  if (keep) *out = v; else json_decref(v);
  return VN_OK;
}

/* GGML type ids -> venus dtypes (-1: not readable) */
static int ggml_dtype(uint32_t t) {
  switch (t) {
  case 0: return VN_F32;   case 1: return VN_F16;   case 2: return VN_Q4_0;  case 3: return VN_Q4_1;
  case 6: return VN_Q5_0;  case 7: return VN_Q5_1;  case 8: return VN_Q8_0;  case 10: return VN_Q2_K;
  case 11: return VN_Q3_K; case 12: return VN_Q4_K; case 13: return VN_Q5_K; case 14: return VN_Q6_K;
  case 20: return VN_IQ4_NL; case 23: return VN_IQ4_XS; case 26: return VN_I32; case 30: return VN_BF16;
  }
  return -1;
}

typedef struct { uint64_t b, e; const char *name; } Span;
static int cmp_span(const void *a, const void *b) {
  const Span *x = a, *y = b;
  return x->b < y->b ? -1 : x->b > y->b;
}

VnStatus vn_gguf_open(VnCtx *ctx, const char *path, VnGguf *g) {
  memset(g, 0, sizeof *g);
  g->path = path;
  VnLoc loc = {path, 0};
  int fd = open(path, O_RDONLY);
  if (fd < 0) return vn_errorf(ctx, VN_ERR_IO, loc, "cannot open");
  struct stat st;
  if (fstat(fd, &st) || !S_ISREG(st.st_mode)) { close(fd); return vn_errorf(ctx, VN_ERR_IO, loc, "not a regular file"); }
  g->len = (size_t)st.st_size;
  if (g->len < 24) { close(fd); return vn_errorf(ctx, VN_ERR_INPUT, loc, "not a GGUF file (%zu bytes)", g->len); }
  g->map = mmap(NULL, g->len, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (g->map == MAP_FAILED) { g->map = NULL; return vn_errorf(ctx, VN_ERR_IO, loc, "cannot map"); }
  Rd r = {ctx, path, g->map, g->len, 0};
  if (memcmp(r.p, "GGUF", 4)) return vn_errorf(ctx, VN_ERR_INPUT, loc, "not a GGUF file (no GGUF magic)");
  r.off = 4;
  uint32_t ver = (uint32_t)rdu(&r, 4);
  uint32_t swapped = (ver >> 24) | ((ver >> 8) & 0xff00) | ((ver << 8) & 0xff0000) | (ver << 24);
  if (ver != 2 && ver != 3) {
    if (swapped == 2 || swapped == 3)
      return vn_errorf(ctx, VN_ERR_INPUT, loc, "a big-endian GGUF file: venus reads little-endian GGUF only (convert it with a little-endian writer)");
    return vn_errorf(ctx, VN_ERR_INPUT, loc, "GGUF version %u: venus reads versions 2 and 3", ver);
  }
  g->version = ver;
  uint64_t nt = rdu(&r, 8), nkv = rdu(&r, 8);
  if (nt > g->len / 24 || nkv > g->len / 12)
    return vn_errorf(ctx, VN_ERR_INPUT, loc, "claims %llu tensors and %llu metadata entries, more than the file can hold",
                     (unsigned long long)nt, (unsigned long long)nkv);
  g->meta = json_object();
  uint64_t align = 32;
  for (uint64_t i = 0; i < nkv; i++) {
    const char *k;
    uint64_t kl;
    VN_TRY(rd_str(&r, &k, &kl, "a metadata key"));
    char *key = vn_arena_alloc(&ctx->arena, kl + 1);
    memcpy(key, k, kl);
    uint32_t t;
    VN_TRY(rd_u32(&r, &t, "a metadata type"));
    uint64_t voff = r.off;
    json_t *v = NULL;
    VN_TRY(rd_value(&r, t, &v, 1, 0, 1024));
    if (v) json_object_set_new(g->meta, key, v);
    if (!strcmp(key, "general.alignment")) {
      if (!json_is_integer(v) || json_integer_value(v) <= 0 || (json_integer_value(v) & (json_integer_value(v) - 1)))
        return vn_errorf(ctx, VN_ERR_INPUT, loc, "general.alignment must be a power of two");
      align = (uint64_t)json_integer_value(v);
    }
    /* remember where big arrays start, for the tokenizer */
    if (t == T_ARR && g->narrays < VN_GGUF_MAX_ARRAYS) {
      g->arrays[g->narrays].key = key;
      g->arrays[g->narrays].off = voff;
      g->narrays++;
    }
  }
  g->src.path = path;
  g->src.tensors = vn_arena_alloc(&ctx->arena, (size_t)(nt ? nt : 1) * sizeof *g->src.tensors);
  uint64_t *offs = vn_arena_alloc(&ctx->arena, (size_t)(nt ? nt : 1) * sizeof *offs);
  g->file_names = vn_arena_alloc(&ctx->arena, (size_t)(nt ? nt : 1) * sizeof *g->file_names);
  for (uint64_t i = 0; i < nt; i++) {
    VnTensorInfo *ti = &g->src.tensors[i];
    const char *nm;
    uint64_t nl;
    VN_TRY(rd_str(&r, &nm, &nl, "a tensor name"));
    char *name = vn_arena_alloc(&ctx->arena, nl + 1);
    memcpy(name, nm, nl);
    ti->name = name;
    g->file_names[i] = name;
    ti->file = path;
    uint32_t nd, type;
    VN_TRY(rd_u32(&r, &nd, "a tensor's dims"));
    if (nd < 1 || nd > VN_MAXDIM) return vn_errorf(ctx, VN_ERR_INPUT, loc, "tensor '%s': %u dims (1 to %d supported)", name, nd, VN_MAXDIM);
    ti->nd = (int)nd;
    uint64_t count = 1;
    for (uint32_t d = 0; d < nd; d++) {
      uint64_t ne;
      VN_TRY(rd_u64(&r, &ne, "a tensor dim"));
      if (ne == 0 || ne > (1ull << 40) || count > (1ull << 48) / ne)
        return vn_errorf(ctx, VN_ERR_INPUT, loc, "tensor '%s': dim %u is %llu", name, d, (unsigned long long)ne);
      count *= ne;
      ti->dim[nd - 1 - d] = (int64_t)ne;  /* GGUF lists the innermost dim first */
    }
    VN_TRY(rd_u32(&r, &type, "a tensor type"));
    int dt = ggml_dtype(type);
    if (dt < 0) return vn_errorf(ctx, VN_ERR_INPUT, loc, "tensor '%s': GGML type %u is not supported", name, type);
    ti->dtype = (VnDType)dt;
    int bs = vn_dtype_block(ti->dtype);
    if (ti->dim[nd - 1] % bs)
      return vn_errorf(ctx, VN_ERR_INPUT, loc, "tensor '%s': rows of %lld are not whole %s blocks", name, (long long)ti->dim[nd - 1], vn_dtype_name(ti->dtype));
    ti->nbytes = count / (uint64_t)bs * (uint64_t)vn_dtype_block_bytes(ti->dtype);
    VN_TRY(rd_u64(&r, &offs[i], "a tensor offset"));
    if (offs[i] % align) return vn_errorf(ctx, VN_ERR_INPUT, loc, "tensor '%s': offset %llu is not aligned to %llu", name, (unsigned long long)offs[i], (unsigned long long)align);
    for (uint64_t j = 0; j < i; j++)
      if (!strcmp(g->src.tensors[j].name, name)) return vn_errorf(ctx, VN_ERR_INPUT, loc, "tensor '%s' appears twice", name);
    g->src.ntensors++;
  }
  uint64_t data = (r.off + align - 1) / align * align;
  if (data > g->len && nt) return short_file(&r, "the tensor data");
  Span *sp = malloc((size_t)(nt ? nt : 1) * sizeof *sp);
  VnStatus rc = VN_OK;
  for (uint64_t i = 0; i < nt; i++) {
    VnTensorInfo *ti = &g->src.tensors[i];
    if (offs[i] > g->len - data || ti->nbytes > g->len - data - offs[i]) {
      rc = vn_errorf(ctx, VN_ERR_INPUT, loc, "tensor '%s': data [%llu, %llu) runs past the end of the file (%zu bytes)", ti->name,
                     (unsigned long long)(data + offs[i]), (unsigned long long)(data + offs[i] + ti->nbytes), g->len);
      break;
    }
    ti->data = (const uint8_t *)g->map + data + offs[i];
    sp[i].b = offs[i]; sp[i].e = offs[i] + ti->nbytes; sp[i].name = ti->name;
  }
  if (rc == VN_OK) {
    qsort(sp, (size_t)nt, sizeof *sp, cmp_span);
    for (uint64_t i = 1; i < nt; i++)
      if (sp[i].b < sp[i - 1].e) { rc = vn_errorf(ctx, VN_ERR_INPUT, loc, "tensors '%s' and '%s' overlap", sp[i - 1].name, sp[i].name); break; }
  }
  free(sp);
  return rc;
}

void vn_gguf_close(VnGguf *g) {
  if (g->map) munmap(g->map, g->len);
  if (g->meta) json_decref(g->meta);
  memset(g, 0, sizeof *g);
}

/* A metadata array in place: element type, count, and a reader positioned
 * at its first element. Strings are walked with vn_gguf_next_str. */
int vn_gguf_array(const VnGguf *g, const char *key, uint32_t *type, uint64_t *count, VnGgufIter *it) {
  for (int i = 0; i < g->narrays; i++) {
    if (strcmp(g->arrays[i].key, key)) continue;
    const uint8_t *p = (const uint8_t *)g->map;
    uint64_t off = g->arrays[i].off;
    *type = (uint32_t)(p[off] | p[off + 1] << 8 | p[off + 2] << 16 | (uint32_t)p[off + 3] << 24);
    uint64_t c = 0;
    for (int b = 7; b >= 0; b--) c = c << 8 | p[off + 4 + (uint64_t)b];
    *count = c;
    it->p = p;
    it->off = off + 12;
    it->len = g->len;
    return 1;
  }
  return 0;
}

/* next string of a string array (validated when the file was opened) */
const char *vn_gguf_next_str(VnGgufIter *it, uint64_t *n) {
  uint64_t l = 0;
  for (int b = 7; b >= 0; b--) l = l << 8 | it->p[it->off + (uint64_t)b];
  const char *s = (const char *)it->p + it->off + 8;
  it->off += 8 + l;
  *n = l;
  return s;
}

/* next number of a numeric array, as a double */
double vn_gguf_next_num(VnGgufIter *it, uint32_t type) {
  Rd r = {NULL, NULL, it->p, it->len, it->off};
  json_t *v = scalar(&r, type);
  it->off = r.off;
  double d = json_is_integer(v) ? (double)json_integer_value(v) : json_is_real(v) ? json_real_value(v) : json_is_true(v);
  json_decref(v);
  return d;
}
