/* pack.c: writes the weight file. Each WEIGHT node's expression (graph.h
 * VnWx) is evaluated row by row to float32 from the model file's tensors,
 * then converted to the node's packed dtype (f32, f16, bf16, q8_0, q4_0)
 * in the target's byte order and written at the offset plan gave it; rows
 * already in that dtype are copied. The model file is read once, front to
 * back, and what was read is let go after each weight (release_wx), so a
 * compile holds one weight at a time, not the model. The file's id is a
 * hash of everything written (of the tensor table and its checksums), stamped in the header and
 * into the binary, so a binary refuses any other weight file. After the
 * weights comes the tensor table, one checksum per tensor's bytes, and the
 * header carries checksums of itself and of the table (the format is
 * runtime/wfile.c's, so venusc and the binaries read it with one code). */
#include "codegen.h"
#include "half.h"
#include "runtime.h"
#include "ops.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint32_t rd32le(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16le(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* ---- expression evaluation: n elements from flat offset off ---- */
typedef struct Eval {
  VnCtx *ctx;
  const VnSource *src;
  /* materialized arguments of transposes, by expression */
  struct { const VnWx *w; float *data; } cache[16];
  int ncache;
} Eval;

static int64_t wx_count(const VnWx *w) {
  int64_t c = 1;
  for (int i = 0; i < w->nd; i++) c *= w->dim[i];
  return c;
}

static int64_t wx_rowlen(const VnWx *w) { return w->nd >= 2 ? wx_count(w) / w->dim[0] : 1; }

static VnStatus wx_read(Eval *e, const VnWx *w, int64_t off, int64_t n, float *dst);

/* VN_WX_UNPAIR: the stored row that holds result row r */
static int64_t unpair_row(const VnWx *w, int64_t r) {
  int64_t hd = w->dim[0] / w->a, h = r / hd, rem = r % hd, j = rem / (hd / 2), i = rem % (hd / 2);
  return h * hd + 2 * i + j;
}

/* Row r of w as a row of one stored tensor, when w only selects, stacks or
 * reorders whole rows (so blocks can be copied as they are). */
static const VnWx *row_source(const VnWx *w, int64_t r, int64_t *srow) {
  for (;;) {
    switch (w->kind) {
    case VN_WX_TENSOR: *srow = r; return w->nd >= 2 ? w : NULL;  /* rows of the last dim */
    case VN_WX_RESHAPE:
      if (w->dim[w->nd - 1] != w->args[0]->dim[w->args[0]->nd - 1]) return NULL;
      w = w->args[0];
      break;
    case VN_WX_ROWS: r += w->a * (wx_count(w->args[0]) / w->args[0]->dim[0] / w->dim[w->nd - 1]); w = w->args[0]; break;
    case VN_WX_PAIRS: w = w->args[r % 2]; r /= 2; break;
    case VN_WX_UNPAIR: r = unpair_row(w, r); w = w->args[0]; break;
    case VN_WX_CAT: {
      int a = 0;
      while (a < w->nargs && r >= wx_count(w->args[a]) / w->dim[w->nd - 1]) r -= wx_count(w->args[a++]) / w->dim[w->nd - 1];
      if (a == w->nargs) return NULL;
      w = w->args[a];
    } break;
    default: return NULL;
    }
  }
}

static float *materialize(Eval *e, const VnWx *w) {
  for (int i = 0; i < e->ncache; i++) if (e->cache[i].w == w) return e->cache[i].data;
  int64_t c = wx_count(w);
  float *d = malloc((size_t)c * sizeof *d);
  if (!d) return NULL;
  if (wx_read(e, w, 0, c, d) != VN_OK) { free(d); return NULL; }
  if (e->ncache == 16) { free(e->cache[0].data); memmove(e->cache, e->cache + 1, 15 * sizeof e->cache[0]); e->ncache--; }
  e->cache[e->ncache].w = w;
  e->cache[e->ncache++].data = d;
  return d;
}

static VnStatus wx_read(Eval *e, const VnWx *w, int64_t off, int64_t n, float *dst) {
  switch (w->kind) {
  case VN_WX_TENSOR: {
    const VnTensorInfo *ti = vn_source_find(e->src, w->tensor);
    if (!ti) return vn_internal(e->ctx, "tensor %s vanished", w->tensor);
    const uint8_t *p = ti->data;
    switch (ti->dtype) {
    case VN_F32: for (int64_t i = 0; i < n; i++) { uint32_t u = rd32le(p + 4 * (off + i)); memcpy(&dst[i], &u, 4); } break;
    case VN_F16: for (int64_t i = 0; i < n; i++) dst[i] = vn_half_f16_to_f32(rd16le(p + 2 * (off + i))); break;
    case VN_BF16: for (int64_t i = 0; i < n; i++) dst[i] = vn_half_bf16_to_f32(rd16le(p + 2 * (off + i))); break;
    case VN_I32: for (int64_t i = 0; i < n; i++) dst[i] = (float)(int32_t)rd32le(p + 4 * (off + i)); break;
    case VN_Q8_0: case VN_Q4_0: case VN_Q4_1: case VN_Q5_0: case VN_Q5_1: case VN_IQ4_NL:
    case VN_Q2_K: case VN_Q3_K: case VN_Q4_K: case VN_Q5_K: case VN_Q6_K: case VN_IQ4_XS: {
      /* decode the whole blocks that cover [off, off + n) */
      int64_t bs = vn_dtype_block(ti->dtype), bb = vn_dtype_block_bytes(ti->dtype);
      int64_t b0 = off / bs, b1 = (off + n + bs - 1) / bs;
      for (int64_t b = b0; b < b1; b++)
        if (vn_kq_check(ti->dtype, p + b * bb))
          return vn_errorf(e->ctx, VN_ERR_INPUT, (VnLoc){ti->file, 0}, "tensor '%s': malformed %s block %lld (its scale is not a finite number)",
                           ti->name, vn_dtype_name(ti->dtype), (long long)b);
      float *tmp = malloc((size_t)((b1 - b0) * bs) * sizeof *tmp);
      if (!tmp) return vn_errorf(e->ctx, VN_ERR_NOMEM, VN_NOLOC, "out of memory decoding '%s'", ti->name);
      if (vn_dequant_row(ti->dtype, p + b0 * bb, (b1 - b0) * bs, tmp)) { free(tmp); return vn_internal(e->ctx, "dequant %s", ti->name); }
      memcpy(dst, tmp + (off - b0 * bs), (size_t)n * sizeof *dst);
      free(tmp);
    } break;
    default:
      return vn_errorf(e->ctx, VN_ERR_INPUT, (VnLoc){ti->file, 0}, "tensor '%s': its dtype cannot be used as a weight", ti->name);
    }
    return VN_OK;
  }
  case VN_WX_ZEROS:
    memset(dst, 0, (size_t)n * sizeof *dst);
    return VN_OK;
  case VN_WX_ADD:
  case VN_WX_SCALE:
    VN_TRY(wx_read(e, w->args[0], off, n, dst));
    for (int64_t i = 0; i < n; i++) dst[i] = w->kind == VN_WX_ADD ? (float)(dst[i] + w->c) : (float)(dst[i] * w->c);
    return VN_OK;
  case VN_WX_RESHAPE:
    return wx_read(e, w->args[0], off, n, dst);
  case VN_WX_EXP:
    VN_TRY(wx_read(e, w->args[0], off, n, dst));
    for (int64_t i = 0; i < n; i++) dst[i] = expf(dst[i]);
    return VN_OK;
  case VN_WX_UNPAIR: {
    int64_t rl = wx_rowlen(w);
    while (n > 0) {
      int64_t r = off / rl, c = off % rl, k = rl - c < n ? rl - c : n;
      VN_TRY(wx_read(e, w->args[0], unpair_row(w, r) * rl + c, k, dst));
      dst += k; off += k; n -= k;
    }
    return VN_OK;
  }
  case VN_WX_CAT: {
    int64_t base = 0;
    for (int a = 0; a < w->nargs && n > 0; a++) {
      int64_t c = wx_count(w->args[a]);
      if (off < base + c) {
        int64_t k = base + c - off < n ? base + c - off : n;
        VN_TRY(wx_read(e, w->args[a], off - base, k, dst));
        dst += k; off += k; n -= k;
      }
      base += c;
    }
    return VN_OK;
  }
  case VN_WX_ROWS:
    return wx_read(e, w->args[0], off + w->a * wx_rowlen(w->args[0]), n, dst);
  case VN_WX_PAIRS: {
    int64_t rl = wx_rowlen(w);
    while (n > 0) {
      int64_t r = off / rl, c = off % rl, k = rl - c < n ? rl - c : n;
      VN_TRY(wx_read(e, w->args[r % 2], (r / 2) * rl + c, k, dst));
      dst += k; off += k; n -= k;
    }
    return VN_OK;
  }
  case VN_WX_PERMUTE: {
    const VnWx *a = w->args[0];
    float *m = materialize(e, a);
    if (!m) return e->ctx->status ? e->ctx->status : vn_errorf(e->ctx, VN_ERR_NOMEM, VN_NOLOC, "out of memory permuting a weight");
    int64_t astride[VN_MAXDIM], idx[VN_MAXDIM];
    astride[a->nd - 1] = 1;
    for (int k = a->nd - 2; k >= 0; k--) astride[k] = astride[k + 1] * a->dim[k + 1];
    for (int64_t i = 0; i < n; i++) {
      int64_t f = off + i, src = 0;
      for (int k = w->nd - 1; k >= 0; k--) { idx[k] = f % w->dim[k]; f /= w->dim[k]; }
      for (int k = 0; k < w->nd; k++) src += idx[k] * astride[w->perm[k]];
      dst[i] = m[src];
    }
    return VN_OK;
  }
  case VN_WX_T: {
    const VnWx *a = w->args[0];
    float *m = materialize(e, a);
    if (!m) return e->ctx->status ? e->ctx->status : vn_errorf(e->ctx, VN_ERR_NOMEM, VN_NOLOC, "out of memory transposing a weight");
    int64_t R = a->dim[0], C = a->dim[1];  /* a is [R][C]; w is [C][R] */
    for (int64_t i = 0; i < n; i++) {
      int64_t r = (off + i) / R, c = (off + i) % R;
      dst[i] = m[c * C + r];
    }
    return VN_OK;
  }
  }
  return vn_internal(e->ctx, "bad weight expression");
}

/* ---- output ---- */
typedef struct Out {
  FILE *f;
  int be;
  int err;
  VnHash part; /* checksum of the current tensor's bytes */
  uint8_t *mem; /* non-NULL: bytes go here (at mlen), unhashed, not to f */
  size_t mlen;
} Out;

static void put(Out *o, const void *p, size_t n) {
  if (o->mem) { memcpy(o->mem + o->mlen, p, n); o->mlen += n; return; }
  vn_hash_update(&o->part, p, n);
  if (fwrite(p, 1, n, o->f) != n) o->err = 1;
}

static void wr16(uint8_t *p, int be, uint16_t v) {
  if (be) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; } else { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
}

static void wr32(uint8_t *p, int be, uint32_t v) {
  for (int i = 0; i < 4; i++) p[be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
}

/* n floats as dtype dt into q (vn_dtype_row_bytes(dt, n) bytes), in the
 * byte order be names */
static void pack_row(int dt, const float *x, int64_t n, int be, uint8_t *q) {
  switch (dt) {
  case VN_F32: for (int64_t i = 0; i < n; i++) { uint32_t u; memcpy(&u, &x[i], 4); wr32(q + 4 * i, be, u); } break;
  case VN_F16: for (int64_t i = 0; i < n; i++) wr16(q + 2 * i, be, vn_half_f32_to_f16(x[i])); break;
  case VN_BF16: for (int64_t i = 0; i < n; i++) wr16(q + 2 * i, be, vn_half_f32_to_bf16(x[i])); break;
  case VN_Q8_0:
    for (int64_t b = 0; b < n / 32; b++, q += 34) {
      float amax = 0;
      for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[b * 32 + j]));
      float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
      wr16(q, be, vn_half_f32_to_f16(d));
      for (int j = 0; j < 32; j++) q[2 + j] = (uint8_t)(int8_t)roundf(x[b * 32 + j] * id);
    }
    break;
  case VN_Q4_0:
    for (int64_t b = 0; b < n / 32; b++, q += 18) {
      float amax = 0, mx = 0;
      for (int j = 0; j < 32; j++) { float v = x[b * 32 + j]; if (fabsf(v) > amax) { amax = fabsf(v); mx = v; } }
      float d = mx / -8.0f, id = d ? 1.0f / d : 0.0f;
      wr16(q, be, vn_half_f32_to_f16(d));
      for (int j = 0; j < 16; j++) {
        int a = (int)(x[b * 32 + j] * id + 8.5f), c = (int)(x[b * 32 + j + 16] * id + 8.5f);
        a = a < 0 ? 0 : a > 15 ? 15 : a;
        c = c < 0 ? 0 : c > 15 ? 15 : c;
        q[2 + j] = (uint8_t)(a | c << 4);
      }
    }
    break;
  default:
    if (vn_dtype_kept((VnDType)dt)) {  /* kernel tests only: model weights in these formats are copied */
      size_t nb = vn_dtype_row_bytes((VnDType)dt, n), bb = (size_t)vn_dtype_block_bytes((VnDType)dt);
      for (size_t b = 0; b < nb; b += bb) {
        vn_kq_quantize(dt, x + b / bb * (size_t)vn_dtype_block((VnDType)dt), vn_dtype_block((VnDType)dt), q + b);
        if (be) vn_kq_swap(dt, q + b);
      }
    }
    break;
  }
}

/* Pack n floats as dtype dt into out (vn_dtype_row_bytes(dt, n) bytes),
 * in big-endian order when be is set: the kernel harness packs its
 * random weights with the very code that packs model weights. */
void vn_pack_row(int dt, const float *x, int64_t n, int be, uint8_t *out) { pack_row(dt, x, n, be, out); }

/* qr plain rows of n values (f32 or f16: see below; q8_0 or q4_0 blocks, scales already in the
 * target's order) as runtime/kernels.c's VN_QR kernels stream them: the
 * qr scales of block 0, of block 1, ...; then per block its values in
 * vectors of qr lanes of 4 bytes, a lane 4 bytes of one row: q8_0 values
 * 4j..4j+3 for j = 0..7 (+ 128 when q8u), q4_0 bytes 4j..4j+3 for j = 0..3
 * (their low nibbles values 4j.., their high ones 16 + 4j..). */
void vn_repack_rows(int dt, int qr, int q8u, int64_t n, const uint8_t *plain, uint8_t *out) {
  if (vn_kq_repacked(dt)) { vn_kq_repack(dt, qr, n, plain, out); return; }
  if (dt == VN_F32 || dt == VN_F16) {  /* per column k the qr rows' values (VN_FR), bytes as they are */
    size_t es = dt == VN_F32 ? 4 : 2;
    for (int64_t k = 0; k < n; k++)
      for (int i = 0; i < qr; i++) memcpy(out + ((size_t)k * (size_t)qr + (size_t)i) * es, plain + ((size_t)i * (size_t)n + (size_t)k) * es, es);
    return;
  }
  int64_t nb = n / 32, bb = dt == VN_Q8_0 ? 34 : 18, nv = dt == VN_Q8_0 ? 8 : 4;
  uint8_t *q = out + nb * 2 * qr;
  for (int64_t b = 0; b < nb; b++)
    for (int i = 0; i < qr; i++) memcpy(out + (b * qr + i) * 2, plain + i * nb * bb + b * bb, 2);
  for (int64_t b = 0; b < nb; b++)
    for (int64_t j = 0; j < nv; j++)
      for (int i = 0; i < qr; i++)
        for (int k = 0; k < 4; k++) {
          uint8_t v = plain[i * nb * bb + b * bb + 2 + 4 * j + k];
          *q++ = dt == VN_Q8_0 && q8u ? (uint8_t)(v ^ 0x80) : v;
        }
}

static void pad_to(Out *o, int64_t pos, int64_t target) {
  static const uint8_t z[64] = {0};
  while (pos < target) {
    int64_t k = target - pos < 64 ? target - pos : 64;
    put(o, z, (size_t)k);
    pos += k;
  }
}

/* The tensor table (runtime/wfile.c): an entry per weight node, then the names. */
typedef struct Part { uint64_t off, bytes, hash; const char *name; } Part;

static int put_table(Out *o, const Part *parts, uint32_t np, uint64_t *bytes, uint64_t *hash) {
  size_t names = 0;
  for (uint32_t i = 0; i < np; i++) names += strlen(parts[i].name);
  size_t len = (size_t)np * VN_WFILE_ENTRY + names;
  uint8_t *t = malloc(len ? len : 1);
  if (!t) return -1;
  size_t at = 0;
  for (uint32_t i = 0; i < np; i++) {
    size_t l = strlen(parts[i].name);
    vn_wfile_entry(t + (size_t)i * VN_WFILE_ENTRY, o->be, parts[i].off, parts[i].bytes, parts[i].hash, (uint32_t)at, (uint32_t)l);
    memcpy(t + (size_t)np * VN_WFILE_ENTRY + at, parts[i].name, l);
    at += l;
  }
  if (fwrite(t, 1, len, o->f) != len) o->err = 1;
  *bytes = len;
  *hash = vn_hash(t, len);
  free(t);
  return 0;
}

/* The progress bar of a pack, on stderr when it is a terminal and the
 * weights are large (or -v asks): redrawn when the percentage moves. */
#define PROGRESS_BYTES (64ll << 20)
typedef struct Bar { int on, last; int64_t total; } Bar;
static void bar_draw(Bar *b, int64_t done) {
  if (!b->on || b->total <= 0) return;
  int pct = (int)(done * 100 / b->total);
  if (pct == b->last) return;
  b->last = pct;
  char bar[41];
  for (int k = 0; k < 40; k++) bar[k] = k < pct * 40 / 100 ? '#' : '.';
  bar[40] = 0;
  fprintf(stderr, "\rvenusc: packing weights [%s] %3d%% %.1f/%.1f MiB", bar, pct, done / 1048576.0, b->total / 1048576.0);
  fflush(stderr);
}

static int is_float(int dt) { return dt == VN_F32 || dt == VN_F16 || dt == VN_BF16; }

/* row r of weight node n, packed into dst (its row bytes, in the byte order be) */
static VnStatus pack_one_row(Eval *e, const VnNode *n, const VnSource *src, int64_t r, int64_t cols, float *row,
                             int be, uint8_t *dst) {
  /* rows the kernels read as stored are copied, not converted: blocks, and
   * float rows of the packed dtype (the same bytes a round trip through
   * float32 gives, at the speed of a copy) */
  int64_t sr;
  int kq = vn_dtype_kept(n->dtype);
  const VnWx *tw = ((n->dtype == VN_Q8_0 || n->dtype == VN_Q4_0) && n->nd == 2) || kq || is_float(n->dtype)
                       ? row_source(n->wx, r, &sr) : NULL;
  const VnTensorInfo *ti = tw ? vn_source_find(src, tw->tensor) : NULL;
  if (ti && (int)ti->dtype == (int)n->dtype && ti->nd >= 2 && ti->dim[ti->nd - 1] == cols) {
    size_t rb = vn_dtype_row_bytes(n->dtype, cols), bb = (size_t)vn_dtype_block_bytes(n->dtype);
    const uint8_t *sp = ti->data + (size_t)sr * rb;
    if (is_float(n->dtype)) {  /* little-endian in the file; swapped for a big-endian target */
      size_t es = n->dtype == VN_F32 ? 4 : 2;
      if (!be) memcpy(dst, sp, rb);
      else
        for (size_t i = 0; i < rb; i += es)
          for (size_t k = 0; k < es; k++) dst[i + k] = sp[i + es - 1 - k];
      return VN_OK;
    }
    if (kq) {  /* GGUF's blocks as they are, f16 fields in the target's order */
      for (size_t b = 0; b < rb; b += bb) {
        memcpy(dst + b, sp + b, bb);
        if (vn_kq_check(n->dtype, dst + b))
          return vn_errorf(e->ctx, VN_ERR_INPUT, (VnLoc){ti->file, 0}, "tensor '%s': malformed %s block %lld (its scale is not a finite number)",
                           ti->name, vn_dtype_name(n->dtype), (long long)(((size_t)sr * rb + b) / bb));
        if (be) vn_kq_swap(n->dtype, dst + b);
      }
      return VN_OK;
    }
    for (size_t b = 0; b < rb; b += bb) {
      wr16(dst + b, be, (uint16_t)(sp[b] | sp[b + 1] << 8));  /* the f16 scale, in the target's order */
      memcpy(dst + b + 2, sp + b + 2, bb - 2);
    }
    return VN_OK;
  }
  VN_TRY(wx_read(e, n->wx, r * cols, cols, row));
  pack_row(n->dtype, row, cols, be, dst);
  return VN_OK;
}

/* The model file's pages of the tensors w reads leave this process's
 * memory (they stay in the page cache): the packer streams the model from
 * its mapping into the output, so its resident size stays at one weight's
 * worth, not the whole file's. */
#define RELEASE_BYTES (32ll << 20)  /* about this much of the model read between releases */
static void release_wx(const VnSource *src, const VnWx *w) {
  if (w->kind == VN_WX_TENSOR) {
    const VnTensorInfo *ti = vn_source_find(src, w->tensor);
    if (ti) vn_source_release(ti->data, ti->nbytes);
    return;
  }
  for (int i = 0; i < w->nargs; i++) release_wx(src, w->args[i]);
}

VnStatus vn_pack_weights(VnCtx *ctx, const VnGraph *g, const VnSource *src, const VnTarget *t, const char *path, uint64_t *id) {
  FILE *f = fopen(path, "wb");
  if (!f) return vn_errorf(ctx, VN_ERR_IO, (VnLoc){path, 0}, "cannot write");
  setvbuf(f, NULL, _IOFBF, 1 << 20);
  Out o = {f, t->big_endian, 0, {{0}, 0, {0}, 0}, NULL, 0};
  uint8_t *gbuf = NULL, *rbuf = NULL;  /* qr plain rows, then the same repacked; one row */
  size_t gcap = 0, rbcap = 0;
  /* header placeholder; rewritten once the hash is known */
  uint8_t hdr[VN_WEIGHT_HEADER] = {0};
  if (fwrite(hdr, 1, sizeof hdr, f) != sizeof hdr) o.err = 1;
  Eval e = {ctx, src, {{0}}, 0};
  int64_t pos = VN_WEIGHT_HEADER;
  VnStatus rc = VN_OK;
  float *row = NULL;
  int64_t rowcap = 0;
  uint32_t nw = 0, np = 0;
  for (const VnGraph *gg = g; gg; gg = gg == g ? g->vision : NULL)  /* the vision graph's weights follow */
    for (uint32_t i = 0; i < gg->n; i++) nw += gg->nodes[i].op == VN_OP_WEIGHT;
  Part *parts = calloc(nw ? nw : 1, sizeof *parts);
  if (!parts) { fclose(f); remove(path); return vn_errorf(ctx, VN_ERR_NOMEM, VN_NOLOC, "out of memory"); }
  Bar bar = {isatty(2) && (ctx->verbose || g->weight_bytes >= PROGRESS_BYTES), -1, g->weight_bytes};
  bar_draw(&bar, 0);
  for (const VnGraph *gg = g; gg && rc == VN_OK; gg = gg == g ? g->vision : NULL)
  for (uint32_t i = 0; i < gg->n && rc == VN_OK; i++) {
    const VnNode *n = &gg->nodes[i];
    if (n->op != VN_OP_WEIGHT) continue;
    pad_to(&o, pos, n->offset);
    pos = n->offset;
    int64_t cols = n->dim[n->nd - 1], rows = 1;
    for (int k = 0; k < n->nd - 1; k++) rows *= n->dim[k];
    /* a tensor's part runs from its offset to the next one's (padding included) */
    if (np) parts[np - 1].hash = vn_hash_final(&o.part);
    vn_hash_init(&o.part);
    parts[np++] = (Part){(uint64_t)n->offset, (uint64_t)vn_dtype_row_bytes(n->dtype, cols) * (uint64_t)rows, 0,
                         n->name ? n->name : "?"};
    if (cols > rowcap) { free(row); rowcap = cols; row = malloc((size_t)cols * sizeof *row); }
    /* a matmul-only weight the target streams repacked (q8_0, q4_0, K-quants;
     * f32 and f16 where it has VN_FR): whole groups of qr rows, the rest plain */
    size_t rb = vn_dtype_row_bytes(n->dtype, cols);
    int q8u = 0, qr = 0;
    if (vn_op_weight_repacked(gg, i))
      qr = n->dtype == VN_F32 || n->dtype == VN_F16 ? vn_target_frows(t) : vn_target_qrows(t, &q8u);
    if (qr && (size_t)qr * rb * 2 > gcap) {
      free(gbuf);
      gcap = (size_t)qr * rb * 2;
      gbuf = malloc(gcap);
      if (!gbuf) { rc = vn_errorf(ctx, VN_ERR_NOMEM, VN_NOLOC, "out of memory"); break; }
    }
    if (rb > rbcap) {
      free(rbuf);
      rbcap = rb;
      rbuf = malloc(rbcap);
      if (!rbuf) { rc = vn_errorf(ctx, VN_ERR_NOMEM, VN_NOLOC, "out of memory"); break; }
    }
    int64_t grouped = qr ? rows - rows % qr : 0;
    int64_t release_rows = RELEASE_BYTES / (cols * 4) + 1;  /* rows of at most 4 bytes a value read */
    for (int64_t r = 0; r < rows && rc == VN_OK; r++) {
      if (!(r & 255)) bar_draw(&bar, pos + r * (int64_t)vn_dtype_row_bytes(n->dtype, cols));
      /* a large weight lets go of what it read as it goes (RELEASE_BYTES) */
      if (r && r % release_rows == 0) release_wx(src, n->wx);
      /* a row is written (and hashed) whole: one call per row, not per value */
      rc = pack_one_row(&e, n, src, r, cols, row, o.be, r < grouped ? gbuf + (size_t)(r % qr) * rb : rbuf);
      if (rc != VN_OK) break;
      if (r >= grouped) put(&o, rbuf, rb);
      else if (r % qr == qr - 1) {
        vn_repack_rows(n->dtype, qr, q8u, cols, gbuf, gbuf + (size_t)qr * rb);
        put(&o, gbuf + (size_t)qr * rb, (size_t)qr * rb);
      }
    }
    pos += (int64_t)vn_dtype_row_bytes(n->dtype, cols) * rows;
    bar_draw(&bar, pos);
    release_wx(src, n->wx);
  }
  if (rc == VN_OK) pad_to(&o, pos, g->weight_bytes);
  if (rc == VN_OK) bar_draw(&bar, g->weight_bytes);
  if (bar.on) fputc('\n', stderr);
  if (np) parts[np - 1].hash = vn_hash_final(&o.part);
  free(row);
  free(gbuf);
  free(rbuf);
  for (int i = 0; i < e.ncache; i++) free(e.cache[i].data);
  uint64_t tbytes = 0, thash = 0;
  if (rc == VN_OK && put_table(&o, parts, np, &tbytes, &thash))
    rc = vn_errorf(ctx, VN_ERR_NOMEM, VN_NOLOC, "out of memory writing the tensor table");
  free(parts);
  if (rc == VN_OK) {
    /* the table holds every tensor's checksum (padding included), so its
     * hash covers every byte written */
    *id = thash ^ (uint64_t)g->weight_bytes * 0x9e3779b97f4a7c15ull;
    /* the header, in the target's byte order */
    vn_wfile_header(hdr, t->big_endian, *id, (uint64_t)g->weight_bytes, g->info.arch, tbytes, np, thash);
    if (fseek(f, 0, SEEK_SET) || fwrite(hdr, 1, sizeof hdr, f) != sizeof hdr) o.err = 1;
  }
  if (fclose(f)) o.err = 1;
  if (rc == VN_OK && o.err) rc = vn_errorf(ctx, VN_ERR_IO, (VnLoc){path, 0}, "write failed (disk full?)");
  if (rc != VN_OK) remove(path);
  return rc;
}
