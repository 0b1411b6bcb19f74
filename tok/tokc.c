/* tokc.c: venusc's tokenizer compiler. Two stages:
 *   (a) tokenizer.json (+ tokenizer_config.json) -> VnTokDesc   (json_to_desc)
 *   (b) VnTokDesc -> blob for runtime/tokenizer.c             (vn_tokc_compile_desc)
 * so that a GGUF reader can fill a VnTokDesc and reuse (b).
 * Invariants: everything HF `tokenizers` would do differently from what the
 * runtime implements is refused here with "FILE: problem", never compiled
 * approximately; Unicode data (classes for the split regexes, NFC tables) comes
 * from utf8proc at compile time and goes into the blob as sorted tables, so the
 * runtime needs no Unicode library; the blob is little-endian, built in
 * growable buffers, one section per table (layout: runtime/tokenizer.h). */
#include "tok.h"
#include "tokenizer.h"
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---- small utilities ---- */

typedef struct Buf {
  unsigned char *p;
  size_t n, cap;
  int oom;
} Buf;

static void b_put(Buf *b, const void *p, size_t n) {
  if (b->oom) return;
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    unsigned char *q;
    while (cap < b->n + n) cap *= 2;
    if (!(q = realloc(b->p, cap))) { b->oom = 1; return; }
    b->p = q;
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->n, p, n);
  b->n += n;
}

static void b_u32(Buf *b, uint32_t v) {
  unsigned char x[4];
  x[0] = (unsigned char)v; x[1] = (unsigned char)(v >> 8);
  x[2] = (unsigned char)(v >> 16); x[3] = (unsigned char)(v >> 24);
  b_put(b, x, 4);
}

static void b_set32(Buf *b, size_t at, uint32_t v) {
  if (b->oom || at + 4 > b->n) return;
  b->p[at] = (unsigned char)v; b->p[at + 1] = (unsigned char)(v >> 8);
  b->p[at + 2] = (unsigned char)(v >> 16); b->p[at + 3] = (unsigned char)(v >> 24);
}

static void b_str(Buf *b, const void *s, size_t n) {  /* u32 len, bytes, pad to 4 */
  static const unsigned char zero[4];
  b_u32(b, (uint32_t)n);
  b_put(b, s, n);
  b_put(b, zero, (4 - n % 4) % 4);
}

static int fail(char *err, size_t cap, const char *file, const char *fmt, ...) {
  va_list ap;
  int k;
  if (!err || !cap) return -1;
  k = snprintf(err, cap, "%s: ", file ? file : "tokenizer");
  if (k < 0 || (size_t)k >= cap) return -1;
  va_start(ap, fmt);
  vsnprintf(err + k, cap - (size_t)k, fmt, ap);
  va_end(ap);
  for (char *c = err + k; *c; c++)  /* names quoted from the file stay on one line */
    if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
  return -1;
}

static uint32_t fnv1a(const unsigned char *s, size_t n) {
  uint32_t h = 2166136261u;
  size_t i;
  for (i = 0; i < n; i++) { h ^= s[i]; h *= 16777619u; }
  return h;
}

/* String -> int32 map, open addressing; the first value put for a key stays. */
typedef struct MapSlot {
  const char *s;
  size_t len;
  int32_t v;
} MapSlot;
typedef struct Map {
  MapSlot *slot;
  uint32_t mask;
} Map;

static int map_init(Map *m, size_t n) {
  size_t cap = 16;
  while (cap < 2 * n + 2) cap *= 2;
  m->slot = calloc(cap, sizeof *m->slot);
  m->mask = (uint32_t)(cap - 1);
  return m->slot ? 0 : -1;
}

static MapSlot *map_at(const Map *m, const char *s, size_t len) {
  uint32_t i = fnv1a((const unsigned char *)s, len) & m->mask;
  while (m->slot[i].s && !(m->slot[i].len == len && !memcmp(m->slot[i].s, s, len)))
    i = (i + 1) & m->mask;
  return &m->slot[i];
}

static int32_t map_get(const Map *m, const char *s, size_t len) {
  MapSlot *e = map_at(m, s, len);
  return e->s ? e->v : -1;
}

static void map_put(Map *m, const char *s, size_t len, int32_t v) {
  MapSlot *e = map_at(m, s, len);
  if (e->s) return;
  e->s = s ? s : "";
  e->len = len;
  e->v = v;
}

/* ---- GPT-2's byte <-> unicode alphabet ---- */

static void bl_tables(uint32_t byte2cp[256], int cp2byte[324]) {
  int b, n = 0;
  for (b = 0; b < 324; b++) cp2byte[b] = -1;
  for (b = 0; b < 256; b++) {
    int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    byte2cp[b] = printable ? (uint32_t)b : (uint32_t)(256 + n++);
    cp2byte[byte2cp[b]] = b;
  }
}

/* Maps a string of the byte alphabet back to raw bytes into out (room for len
 * bytes); returns the byte count, or -1 when some character is not in the
 * alphabet (HF's ByteLevel decoder then keeps the string as it is). */
static long bl_unmap(const char *s, size_t len, unsigned char *out) {
  static uint32_t byte2cp[256];
  static int cp2byte[324], init;
  size_t i = 0;
  long o = 0;
  if (!init) { bl_tables(byte2cp, cp2byte); init = 1; }
  while (i < len) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
    if (k <= 0 || cp < 0 || cp >= 324 || cp2byte[cp] < 0) return -1;
    out[o++] = (unsigned char)cp2byte[cp];
    i += (size_t)k;
  }
  return o;
}

/* ---- (b) description -> blob ---- */

static int is_ws(uint32_t c) {            /* Unicode White_Space */
  return (c >= 9 && c <= 13) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

static unsigned uclass(uint32_t cp) {
  const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
  unsigned k = 0;
  switch (p->category) {
  case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
  case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
    k = VN_TOKU_L | VN_TOKU_W; break;
  case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL:
    k = VN_TOKU_N | VN_TOKU_W; break;
  case UTF8PROC_CATEGORY_NO:
    k = VN_TOKU_N; break;
  case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    k = VN_TOKU_M | VN_TOKU_W; break;
  case UTF8PROC_CATEGORY_PC:
    k = VN_TOKU_W; break;
  default: break;
  }
  if (cp == 0x200C || cp == 0x200D) k |= VN_TOKU_W;   /* Join_Control, in Rust's \w */
  if (is_ws(cp)) k |= VN_TOKU_WS;
  return k;
}

static void sec_uclass(Buf *b) {
  uint32_t cp, n = 0;
  unsigned prev = 0x100, k;
  size_t at;
  for (cp = 0; cp < 256; cp++) {
    unsigned char c = (unsigned char)uclass(cp);
    b_put(b, &c, 1);
  }
  at = b->n;
  b_u32(b, 0);
  for (cp = 256; cp <= 0x10FFFF; cp++) {
    k = (cp >= 0xD800 && cp <= 0xDFFF) ? 0 : uclass(cp);
    if (k != prev) { b_u32(b, cp << 8 | k); n++; prev = k; }
  }
  b_set32(b, at, n);
}

static size_t utf8_len(uint32_t c) { return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4; }

/* NFC of the code points a[0..n) as one code point, or -1. */
static long nfc_one(const utf8proc_int32_t *a, size_t n) {
  utf8proc_uint8_t buf[64];
  utf8proc_int32_t cp;
  utf8proc_uint8_t *r;
  utf8proc_ssize_t k;
  size_t i, o = 0;
  long res = -1;
  for (i = 0; i < n; i++) {
    if (o + 4 > sizeof buf - 1) return -1;
    o += (size_t)utf8proc_encode_char(a[i], buf + o);
  }
  buf[o] = 0;
  if (!(r = utf8proc_NFC(buf))) return -1;
  k = utf8proc_iterate(r, -1, &cp);
  if (k > 0 && r[k] == 0) res = cp;
  free(r);
  return res;
}

typedef struct Comp { uint32_t a, b, c; } Comp;

static int comp_cmp(const void *x, const void *y) {
  const Comp *p = x, *q = y;
  if (p->a != q->a) return p->a < q->a ? -1 : 1;
  return p->b < q->b ? -1 : p->b > q->b;
}

/* NFC/NFD tables: canonical combining classes, full canonical decompositions
 * (Hangul syllables excluded: the runtime does them arithmetically) and the
 * primary composites as (first, second) -> composite. */
static int sec_nfc(Buf *dec, Buf *ccc, Buf *comp, uint32_t *ratio) {
  Buf pool = {0}, ent = {0};
  Comp *cv = NULL;
  size_t nc = 0, ccap = 0;
  uint32_t cp, nd = 0, nr = 0, prev = 0x100, pl = 0;
  size_t at;
  *ratio = 1;
  at = ccc->n;
  b_u32(ccc, 0);
  for (cp = 0; cp <= 0x10FFFF; cp++) {
    utf8proc_int32_t d[32];
    int bc = 0;
    utf8proc_ssize_t n;
    uint32_t c = (cp >= 0xD800 && cp <= 0xDFFF) ? 0
                 : (uint32_t)utf8proc_get_property((utf8proc_int32_t)cp)->combining_class, i;
    if (c != prev) { b_u32(ccc, cp << 8 | c); nr++; prev = c; }
    if ((cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0xAC00 && cp < 0xAC00 + 11172)) continue;
    n = utf8proc_decompose_char((utf8proc_int32_t)cp, d, 32, UTF8PROC_DECOMPOSE, &bc);
    if (n <= 0 || n > 32 || (n == 1 && (uint32_t)d[0] == cp)) continue;
    {
      size_t bytes = 0;
      for (i = 0; i < (uint32_t)n; i++) bytes += utf8_len((uint32_t)d[i]);
      while (bytes > *ratio * utf8_len(cp)) (*ratio)++;
      if ((size_t)n > 2 * utf8_len(cp)) return -1;       /* runtime sizes cps as 2/byte */
    }
    b_u32(&ent, cp);
    b_u32(&ent, pl << 8 | (uint32_t)n);
    for (i = 0; i < (uint32_t)n; i++) b_u32(&pool, (uint32_t)d[i]);
    pl += (uint32_t)n;
    nd++;
    if (n >= 2 && nfc_one(d, (size_t)n) == (long)cp) {   /* a primary composite */
      long first = nfc_one(d, (size_t)n - 1);
      utf8proc_int32_t pair[2];
      if (first >= 0) {
        pair[0] = (utf8proc_int32_t)first;
        pair[1] = d[n - 1];
        if (nfc_one(pair, 2) == (long)cp) {
          if (nc == ccap) {
            Comp *q = realloc(cv, (ccap = ccap ? 2 * ccap : 1024) * sizeof *cv);
            if (!q) { free(cv); return -1; }
            cv = q;
          }
          cv[nc].a = (uint32_t)first; cv[nc].b = (uint32_t)d[n - 1]; cv[nc].c = cp;
          nc++;
        }
      }
    }
  }
  b_set32(ccc, at, nr);
  b_u32(dec, nd);
  b_put(dec, ent.p, ent.n);
  b_u32(dec, pl);
  b_put(dec, pool.p, pool.n);
  qsort(cv, nc, sizeof *cv, comp_cmp);
  b_u32(comp, (uint32_t)nc);
  for (at = 0; at < nc; at++) { b_u32(comp, cv[at].a); b_u32(comp, cv[at].b); b_u32(comp, cv[at].c); }
  free(cv);
  free(pool.p);
  free(ent.p);
  return (dec->oom || ccc->oom || comp->oom || pool.oom || ent.oom) ? -1 : 0;
}

/* Applies the normalizer steps to s (compile-time twin of the runtime's, for
 * the contents of normalized added tokens). Returns malloc'ed text or NULL. */
static char *normalize_str(const VnTokDesc *d, const char *s, size_t len, size_t *olen) {
  char *cur = malloc(len + 1);
  size_t n = len;
  int k;
  if (!cur) return NULL;
  memcpy(cur, s, len);
  cur[len] = 0;
  for (k = 0; k < d->n_norm && cur; k++) {
    const VnTokcStep *st = &d->norm[k];
    char *nx = NULL;
    if (st->kind == VN_TOKNORM_NFC || st->kind == VN_TOKNORM_NFD) {
      nx = (char *)(st->kind == VN_TOKNORM_NFC ? utf8proc_NFC((const utf8proc_uint8_t *)cur)
                                                : utf8proc_NFD((const utf8proc_uint8_t *)cur));
      if (nx) n = strlen(nx);
    } else if (st->kind == VN_TOKNORM_PREPEND) {
      if (!n) continue;
      if ((nx = malloc(n + st->s1.len + 1))) {
        memcpy(nx, st->s1.s, st->s1.len);
        memcpy(nx + st->s1.len, cur, n + 1);
        n += st->s1.len;
      }
    } else if (st->kind == VN_TOKNORM_REPLACE) {
      size_t i = 0, o = 0, f = st->s2.len > st->s1.len ? st->s2.len : 1;
      if ((nx = malloc(n * f + 1))) {
        while (i < n) {
          if (st->s1.len && st->s1.len <= n - i && !memcmp(cur + i, st->s1.s, st->s1.len)) {
            memcpy(nx + o, st->s2.s, st->s2.len);
            o += st->s2.len;
            i += st->s1.len;
          } else {
            nx[o++] = cur[i++];
          }
        }
        nx[o] = 0;
        n = o;
      }
    } else {
      continue;
    }
    free(cur);
    cur = nx;
  }
  *olen = n;
  return cur;
}

/* Trie of added-token contents (format in runtime/tokenizer.h). */
typedef struct TEnt {
  const unsigned char *s;
  size_t len;
  uint32_t idx;                /* index into the ADDED section */
} TEnt;

static int tent_cmp(const void *x, const void *y) {
  const TEnt *p = x, *q = y;
  size_t n = p->len < q->len ? p->len : q->len;
  int c = memcmp(p->s, q->s, n);
  if (c) return c;
  if (p->len != q->len) return p->len < q->len ? -1 : 1;
  return p->idx < q->idx ? -1 : p->idx > q->idx;
}

typedef struct TB {
  Buf nodes, edges;
  uint32_t nn, ne, root[256];
} TB;

static uint32_t tb_build(TB *b, TEnt *v, size_t lo, size_t hi, size_t d, int root) {
  uint32_t node = b->nn++, term = 0, es, ng = 0, g;
  size_t i, j;
  b_u32(&b->nodes, 0); b_u32(&b->nodes, 0); b_u32(&b->nodes, 0);
  if (lo < hi && v[lo].len == d) {
    term = v[lo].idx + 1;
    while (lo < hi && v[lo].len == d) lo++;   /* same content again: first one wins */
  }
  for (i = lo; i < hi; i = j) {
    for (j = i; j < hi && v[j].s[d] == v[i].s[d]; j++) {}
    ng++;
  }
  es = b->ne;
  if (!root) {
    b->ne += ng;
    for (g = 0; g < ng; g++) b_u32(&b->edges, 0);
  }
  for (i = lo, g = 0; i < hi; i = j, g++) {
    uint32_t child;
    for (j = i; j < hi && v[j].s[d] == v[i].s[d]; j++) {}
    child = tb_build(b, v, i, j, d + 1, 0);
    if (root) b->root[v[i].s[d]] = child;
    else b_set32(&b->edges, 4 * (size_t)(es + g), child << 8 | v[i].s[d]);
  }
  b_set32(&b->nodes, 12 * (size_t)node, root ? 0 : es);
  b_set32(&b->nodes, 12 * (size_t)node + 4, root ? 0 : ng);
  b_set32(&b->nodes, 12 * (size_t)node + 8, term);
  return node;
}

static int sec_trie(Buf *out, TEnt *v, size_t n) {
  TB b;
  int i;
  memset(&b, 0, sizeof b);
  qsort(v, n, sizeof *v, tent_cmp);
  tb_build(&b, v, 0, n, 0, 1);
  if (b.nn >= (1u << 24)) return -1;
  b_u32(out, b.nn);
  for (i = 0; i < 256; i++) b_u32(out, b.root[i]);
  b_put(out, b.nodes.p, b.nodes.n);
  b_u32(out, b.ne);
  b_put(out, b.edges.p, b.edges.n);
  i = b.nodes.oom || b.edges.oom;
  free(b.nodes.p);
  free(b.edges.p);
  return i ? -1 : 0;
}

static void sec_steps(Buf *b, const VnTokcStep *st, int n) {
  int k;
  b_u32(b, (uint32_t)n);
  for (k = 0; k < n; k++) {
    b_u32(b, (uint32_t)st[k].kind);
    b_u32(b, (uint32_t)st[k].a);
    b_u32(b, (uint32_t)st[k].b);
    b_u32(b, (uint32_t)st[k].c);
    b_str(b, st[k].s1.s, st[k].s1.s ? st[k].s1.len : 0);
    b_str(b, st[k].s2.s, st[k].s2.s ? st[k].s2.len : 0);
  }
}

typedef struct Edge { uint32_t l, r, rank; } Edge;

static int edge_cmp(const void *x, const void *y) {
  const Edge *p = x, *q = y;
  if (p->l != q->l) return p->l < q->l ? -1 : 1;
  if (p->r != q->r) return p->r < q->r ? -1 : 1;
  return p->rank < q->rank ? -1 : p->rank > q->rank;
}

static int id_cmp(const void *x, const void *y) {
  int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
  return a < b ? -1 : a > b;
}

static int is_byte_piece(const unsigned char *p, size_t n) {
#define HX(c) (((c) >= '0' && (c) <= '9') || (((c) | 0x20) >= 'a' && ((c) | 0x20) <= 'f'))
  return n == 6 && p[0] == '<' && p[1] == '0' && p[2] == 'x' && HX(p[3]) && HX(p[4]) && p[5] == '>';
#undef HX
}

unsigned char *vn_tokc_compile_desc(const VnTokDesc *d, size_t *len, char *err, size_t errcap) {
  enum { NSEC = VN_TOKSEC_END_ - 1 };
  Buf sec[NSEC];
  Buf out = {0};
  Map src = {0};
  int32_t nv = d->n_vocab, i, *addidx = NULL;
  uint32_t *pool_off = NULL, params[VN_TOKPAR_COUNT], nm_mul = 1, nm_add = 0, pm = 1, pa = 0;
  unsigned char *flags = NULL, *tmp = NULL, *blob = NULL;
  Edge *ev = NULL;
  TEnt *traw = NULL, *tnorm = NULL;
  char **normed = NULL;
  size_t ntr = 0, ntn = 0, maxlen = 1, k, nslots, nev = 0;
  int has_nfc = 0, s, ok = 0;
  uint32_t nfc_ratio = 1;
  const char *file = d->file;

  memset(sec, 0, sizeof sec);
  for (i = 0; i < d->n_added; i++)
    if (d->added[i].id < 0 || d->added[i].id >= (1 << 27)) {
      fail(err, errcap, file, "added token %d has a bad id", (int)d->added[i].id);
      return NULL;
    } else if (d->added[i].id >= nv) {
      nv = d->added[i].id + 1;
    }
  if (d->n_vocab < 0 || nv >= (1 << 27)) { fail(err, errcap, file, "vocabulary too large"); return NULL; }
  if (nv == 0) { fail(err, errcap, file, "empty vocabulary"); return NULL; }
  for (i = 0; i < d->n_vocab; i++)
    if (d->vocab[i].s && d->vocab[i].len + 1 > maxlen) maxlen = d->vocab[i].len + 1;
  for (i = 0; i < d->n_added; i++)
    if (d->added[i].content.len + 1 > maxlen) maxlen = d->added[i].content.len + 1;
  pool_off = calloc((size_t)nv + 1, sizeof *pool_off);
  flags = calloc((size_t)nv + 1, 1);
  addidx = malloc(((size_t)nv + 1) * sizeof *addidx);
  tmp = malloc(maxlen);
  if (!pool_off || !flags || !addidx || !tmp || map_init(&src, (size_t)d->n_vocab)) {
    fail(err, errcap, file, "out of memory");
    goto done;
  }
  for (i = 0; i < nv; i++) addidx[i] = -1;
  for (i = 0; i < d->n_added; i++)
    if (addidx[d->added[i].id] < 0 && d->added[i].content.len) addidx[d->added[i].id] = i;

  /* pieces: what decoding an id gives (HF: the added token's content first,
   * else the model's string; byte-level strings mapped back to bytes) */
  for (i = 0; i < nv; i++) {
    const VnTokcStr *ps = NULL;
    long bl;
    pool_off[i] = (uint32_t)sec[VN_TOKSEC_VSTR - 1].n;
    if (addidx[i] >= 0) {
      ps = &d->added[addidx[i]].content;
      flags[i] |= VN_TOKV_ADDED;
      if (d->added[addidx[i]].flags & VN_TOKADD_SPECIAL) flags[i] |= VN_TOKV_SPECIAL;
    } else if (i < d->n_vocab && d->vocab[i].s) {
      ps = &d->vocab[i];
    }
    if (!ps) continue;
    flags[i] |= VN_TOKV_PRESENT;
    if (d->byte_level && (bl = bl_unmap(ps->s, ps->len, tmp)) >= 0)
      b_put(&sec[VN_TOKSEC_VSTR - 1], tmp, (size_t)bl);
    else
      b_put(&sec[VN_TOKSEC_VSTR - 1], ps->s, ps->len);
    if (!d->byte_level && is_byte_piece((const unsigned char *)ps->s, ps->len)) flags[i] |= VN_TOKV_BYTE;
  }
  pool_off[nv] = (uint32_t)sec[VN_TOKSEC_VSTR - 1].n;
  if (sec[VN_TOKSEC_VSTR - 1].n >= 0xFFFFFFFFu) { fail(err, errcap, file, "vocabulary too large"); goto done; }
  for (i = 0; i <= nv; i++) b_u32(&sec[VN_TOKSEC_VOFF - 1], pool_off[i]);
  b_put(&sec[VN_TOKSEC_VFLAGS - 1], flags, (size_t)nv);

  /* vocabulary hash: model pieces only (HF looks up model.vocab) */
  {
    const unsigned char *pool = sec[VN_TOKSEC_VSTR - 1].p;
    uint32_t *slots, mask;
    size_t cnt = 0;
    for (i = 0; i < d->n_vocab; i++) if (d->vocab[i].s) cnt++;
    for (nslots = 16; nslots < 2 * cnt + 2; nslots *= 2) {}
    if (!(slots = calloc(nslots, 4))) { fail(err, errcap, file, "out of memory"); goto done; }
    mask = (uint32_t)(nslots - 1);
    for (i = 0; i < d->n_vocab; i++) {
      const unsigned char *key;
      long kl;
      uint32_t h;
      if (!d->vocab[i].s) continue;
      map_put(&src, d->vocab[i].s, d->vocab[i].len, i);
      if (d->byte_level) {
        if ((kl = bl_unmap(d->vocab[i].s, d->vocab[i].len, tmp)) < 0) continue;
        key = tmp;
      } else {
        key = (const unsigned char *)d->vocab[i].s;
        kl = (long)d->vocab[i].len;
      }
      /* reachable only if the id decodes to the same string (no clashing added token) */
      if ((size_t)kl != pool_off[i + 1] - pool_off[i] || memcmp(key, pool + pool_off[i], (size_t)kl))
        continue;
      for (h = fnv1a(key, (size_t)kl) & mask; slots[h]; h = (h + 1) & mask) {
        uint32_t o = slots[h] - 1;
        if (pool_off[o + 1] - pool_off[o] == (uint32_t)kl && !memcmp(pool + pool_off[o], key, (size_t)kl))
          break;
      }
      if (!slots[h]) slots[h] = (uint32_t)i + 1;
    }
    /* wall bitset: character pairs that occur inside some piece; sized 32 bits
     * per distinct pair (counted in a first pass at the largest size) */
    {
      size_t npairs = 0, nbits = (size_t)1 << 24, pass, j;
      unsigned char *bits = NULL;
      for (pass = 0; pass < 2; pass++) {
        if (pass == 1) {
          for (j = 0; j < nbits / 8; j++)
            for (k = 0; k < 8; k++) npairs += bits[j] >> k & 1;
          free(bits);
          for (nbits = 64; nbits < 32 * npairs && nbits < ((size_t)1 << 24); nbits *= 2) {}
        }
        if (!(bits = calloc(nbits / 8, 1))) { free(slots); fail(err, errcap, file, "out of memory"); goto done; }
        for (i = 0; i < d->n_vocab; i++) {
          const unsigned char *key;
          long kl;
          size_t prev = 0, cur;
          if (!d->vocab[i].s) continue;
          if (d->byte_level) {
            if ((kl = bl_unmap(d->vocab[i].s, d->vocab[i].len, tmp)) < 0) continue;
            key = tmp;
          } else {
            key = (const unsigned char *)d->vocab[i].s;
            kl = (long)d->vocab[i].len;
          }
          for (j = 0, cur = 0; j < (size_t)kl; j = cur) {
            utf8proc_int32_t cp;
            utf8proc_ssize_t cl = 1;
            if (!d->byte_level) {
              cl = utf8proc_iterate(key + j, kl - (long)j, &cp);
              if (cl <= 0) cl = 1;
            }
            cur = j + (size_t)cl;
            if (j > 0) {
              uint32_t hb = fnv1a(key + prev, cur - prev) & (uint32_t)(nbits - 1);
              bits[hb / 8] |= (unsigned char)(1u << (hb % 8));
            }
            prev = j;
          }
        }
      }
      b_u32(&sec[VN_TOKSEC_WALL - 1], (uint32_t)nbits);
      b_put(&sec[VN_TOKSEC_WALL - 1], bits, nbits / 8);
      free(bits);
    }
    b_u32(&sec[VN_TOKSEC_VHASH - 1], (uint32_t)nslots);
    for (k = 0; k < nslots; k++) b_u32(&sec[VN_TOKSEC_VHASH - 1], slots[k]);
    /* byte tables */
    for (s = 0; s < 256; s++) {
      uint32_t v = 0xFFFFFFFFu, f = 0xFFFFFFFFu, h;
      char hex[8];
      {                                    /* the one-byte piece, if the model has it */
        unsigned char c = (unsigned char)s;
        for (h = fnv1a(&c, 1) & mask; slots[h]; h = (h + 1) & mask) {
          uint32_t o = slots[h] - 1;
          if (pool_off[o + 1] - pool_off[o] == 1 && pool[pool_off[o]] == c) { v = o; break; }
        }
      }
      snprintf(hex, sizeof hex, "<0x%02X>", s);
      if (map_get(&src, hex, 6) >= 0) f = (uint32_t)map_get(&src, hex, 6);
      b_u32(&sec[VN_TOKSEC_BYTEIDS - 1], v);
      b_u32(&sec[VN_TOKSEC_FBIDS - 1], f);
    }
    free(slots);
  }

  /* merges: (left, right) -> rank, result = vocab[left + right]; a pair listed
   * twice keeps its last rank, as HF's HashMap does */
  if (d->n_merges < 0 || d->n_merges >= (1 << 27)) { fail(err, errcap, file, "too many merges"); goto done; }
  ev = malloc(((size_t)d->n_merges + 1) * sizeof *ev);
  if (!ev) { fail(err, errcap, file, "out of memory"); goto done; }
  for (i = 0; i < d->n_merges; i++) {
    int32_t a = d->merges[2 * i], b = d->merges[2 * i + 1], r;
    size_t la, lb;
    if (a < 0 || b < 0 || a >= d->n_vocab || b >= d->n_vocab || !d->vocab[a].s || !d->vocab[b].s) {
      fail(err, errcap, file, "merge %d names a token outside the vocabulary", (int)i);
      goto done;
    }
    la = d->vocab[a].len;
    lb = d->vocab[b].len;
    r = -1;
    if (la + lb < maxlen) {               /* longer than every piece: not in the vocabulary */
      memcpy(tmp, d->vocab[a].s, la);
      memcpy(tmp + la, d->vocab[b].s, lb);
      r = map_get(&src, (const char *)tmp, la + lb);
    }
    if (r < 0) {
      fail(err, errcap, file, "merge %d ('%.*s' '%.*s'): the merged token is not in the vocabulary",
           (int)i, (int)(la > 40 ? 40 : la), d->vocab[a].s, (int)(lb > 40 ? 40 : lb), d->vocab[b].s);
      goto done;
    }
    b_u32(&sec[VN_TOKSEC_MRES - 1], (uint32_t)r);
    ev[nev].l = (uint32_t)a; ev[nev].r = (uint32_t)b; ev[nev].rank = (uint32_t)i;
    nev++;
  }
  qsort(ev, nev, sizeof *ev, edge_cmp);
  {
    size_t e = 0, w = 0;
    for (k = 0; k < nev; k++) {            /* keep the last rank of a repeated pair */
      if (k + 1 < nev && ev[k + 1].l == ev[k].l && ev[k + 1].r == ev[k].r) continue;
      ev[w++] = ev[k];
    }
    nev = w;
    for (i = 0; i <= nv; i++) {
      while (e < nev && ev[e].l < (uint32_t)i) e++;
      b_u32(&sec[VN_TOKSEC_MIDX - 1], (uint32_t)e);
    }
    for (k = 0; k < nev; k++) {
      b_u32(&sec[VN_TOKSEC_MEDGE - 1], ev[k].r);
      b_u32(&sec[VN_TOKSEC_MEDGE - 1], ev[k].rank);
    }
  }
  if (d->unk_id >= nv) { fail(err, errcap, file, "unk token id out of range"); goto done; }

  /* normalizer bounds (how much text can grow) and NFC tables */
  for (s = 0; s < d->n_norm; s++) {
    const VnTokcStep *st = &d->norm[s];
    if (st->kind == VN_TOKNORM_NFC || st->kind == VN_TOKNORM_NFD) has_nfc = 1;
  }
  if (has_nfc && sec_nfc(&sec[VN_TOKSEC_NFC_DEC - 1], &sec[VN_TOKSEC_NFC_CCC - 1],
                         &sec[VN_TOKSEC_NFC_COMP - 1], &nfc_ratio)) {
    fail(err, errcap, file, "cannot build the NFC tables");
    goto done;
  }
  for (s = 0; s < d->n_norm; s++) {
    const VnTokcStep *st = &d->norm[s];
    uint32_t f = 1;
    if (st->kind == VN_TOKNORM_NFC || st->kind == VN_TOKNORM_NFD) f = nfc_ratio;
    else if (st->kind == VN_TOKNORM_REPLACE)
      f = (uint32_t)((st->s2.len + st->s1.len - 1) / (st->s1.len ? st->s1.len : 1));
    if (f < 1) f = 1;
    nm_mul *= f;
    nm_add *= f;
    if (st->kind == VN_TOKNORM_PREPEND) nm_add += (uint32_t)st->s1.len;
    if (nm_mul > 64 || nm_add > 4096) { fail(err, errcap, file, "the normalizer can grow text too much"); goto done; }
  }
  for (s = 0; s < d->n_pre; s++) {
    const VnTokcStep *st = &d->pre[s];
    if (st->kind == VN_TOKPRE_BYTELEVEL && st->a) pa += 1;
    if (st->kind == VN_TOKPRE_METASPACE) {
      pm *= (uint32_t)st->s1.len;
      pa = pa * (uint32_t)st->s1.len + (uint32_t)st->s1.len;
    }
    if (pm > 64 || pa > 4096) { fail(err, errcap, file, "the pre-tokenizer can grow text too much"); goto done; }
  }

  /* added tokens: entries, and one trie for raw and one for normalized text */
  b_u32(&sec[VN_TOKSEC_ADDED - 1], (uint32_t)d->n_added);
  traw = calloc((size_t)d->n_added + 1, sizeof *traw);
  tnorm = calloc((size_t)d->n_added + 1, sizeof *tnorm);
  normed = calloc((size_t)d->n_added + 1, sizeof *normed);
  if (!traw || !tnorm || !normed) { fail(err, errcap, file, "out of memory"); goto done; }
  for (i = 0; i < d->n_added; i++) {
    const VnTokcAdded *a = &d->added[i];
    b_u32(&sec[VN_TOKSEC_ADDED - 1], (uint32_t)a->id);
    b_u32(&sec[VN_TOKSEC_ADDED - 1], a->flags);
    if (!a->content.len) continue;         /* HF ignores empty added tokens */
    if (a->flags & VN_TOKADD_NORMALIZED) {
      size_t nl;
      normed[i] = normalize_str(d, a->content.s, a->content.len, &nl);
      if (!normed[i]) { fail(err, errcap, file, "cannot normalize added token %d", (int)a->id); goto done; }
      if (!nl) continue;
      tnorm[ntn].s = (const unsigned char *)normed[i]; tnorm[ntn].len = nl; tnorm[ntn].idx = (uint32_t)i;
      ntn++;
    } else {
      traw[ntr].s = (const unsigned char *)a->content.s; traw[ntr].len = a->content.len;
      traw[ntr].idx = (uint32_t)i;
      ntr++;
    }
  }
  if (sec_trie(&sec[VN_TOKSEC_TRIE_RAW - 1], traw, ntr) ||
      sec_trie(&sec[VN_TOKSEC_TRIE_NORM - 1], tnorm, ntn)) {
    fail(err, errcap, file, "too many added tokens");
    goto done;
  }

  sec_steps(&sec[VN_TOKSEC_NORM - 1], d->norm, d->n_norm);
  sec_steps(&sec[VN_TOKSEC_PRE - 1], d->pre, d->n_pre);
  sec_steps(&sec[VN_TOKSEC_DEC - 1], d->dec, d->n_dec);

  /* post-processor and end-of-generation ids */
  for (s = 0; s < d->n_prefix + d->n_suffix; s++) {
    int32_t id = s < d->n_prefix ? d->prefix[s] : d->suffix[s - d->n_prefix];
    if (id < 0 || id >= nv || !(flags[id] & VN_TOKV_PRESENT)) {
      fail(err, errcap, file, "post-processor token id %d is not in the vocabulary", (int)id);
      goto done;
    }
  }
  b_u32(&sec[VN_TOKSEC_POST - 1], (uint32_t)d->n_prefix);
  for (s = 0; s < d->n_prefix; s++) b_u32(&sec[VN_TOKSEC_POST - 1], (uint32_t)d->prefix[s]);
  b_u32(&sec[VN_TOKSEC_POST - 1], (uint32_t)d->n_suffix);
  for (s = 0; s < d->n_suffix; s++) b_u32(&sec[VN_TOKSEC_POST - 1], (uint32_t)d->suffix[s]);
  {
    int32_t eog[VN_TOKC_MAXIDS + 1];
    int ne = 0, w = 0;
    if (d->eos_id >= 0 && d->eos_id < nv) eog[ne++] = d->eos_id;
    for (s = 0; s < d->n_eog && s < VN_TOKC_MAXIDS; s++)
      if (d->eog[s] >= 0 && d->eog[s] < nv) eog[ne++] = d->eog[s];
    qsort(eog, (size_t)ne, sizeof *eog, id_cmp);
    for (s = 0; s < ne; s++)
      if (!w || eog[w - 1] != eog[s]) eog[w++] = eog[s];
    b_u32(&sec[VN_TOKSEC_EOG - 1], (uint32_t)w);
    for (s = 0; s < w; s++) b_u32(&sec[VN_TOKSEC_EOG - 1], (uint32_t)eog[s]);
  }
  sec_uclass(&sec[VN_TOKSEC_UCLASS - 1]);

  params[VN_TOKPAR_FLAGS] = (d->byte_level ? VN_TOKF_BYTE_LEVEL : 0) |
                            (d->byte_fallback ? VN_TOKF_BYTE_FALLBACK : 0) |
                            (d->ignore_merges ? VN_TOKF_IGNORE_MERGES : 0) |
                            (d->fuse_unk ? VN_TOKF_FUSE_UNK : 0);
  params[VN_TOKPAR_NVOCAB] = (uint32_t)nv;
  params[VN_TOKPAR_NMERGES] = (uint32_t)d->n_merges;
  params[VN_TOKPAR_UNK] = d->unk_id >= 0 ? (uint32_t)d->unk_id : 0xFFFFFFFFu;
  params[VN_TOKPAR_BOS] = d->bos_id >= 0 && d->bos_id < nv ? (uint32_t)d->bos_id : 0xFFFFFFFFu;
  params[VN_TOKPAR_EOS] = d->eos_id >= 0 && d->eos_id < nv ? (uint32_t)d->eos_id : 0xFFFFFFFFu;
  params[VN_TOKPAR_NORM_MUL] = nm_mul;
  params[VN_TOKPAR_NORM_ADD] = nm_add;
  params[VN_TOKPAR_PRE_MUL] = pm;
  params[VN_TOKPAR_PRE_ADD] = pa;
  params[VN_TOKPAR_MAXPIECE] = (uint32_t)maxlen;
  for (s = 0; s < VN_TOKPAR_COUNT; s++) b_u32(&sec[VN_TOKSEC_PARAMS - 1], params[s]);

  /* assemble: header, section table, payloads */
  {
    uint32_t nsec = 0, off;
    for (s = 0; s < NSEC; s++) if (sec[s].n || s + 1 < VN_TOKSEC_NFC_DEC) nsec++;
    b_put(&out, VN_TOK_MAGIC, 4);
    b_u32(&out, VN_TOK_VERSION);
    b_u32(&out, nsec);
    b_u32(&out, 0);
    off = 16 + 12 * nsec;
    for (s = 0; s < NSEC; s++) {
      if (!(sec[s].n || s + 1 < VN_TOKSEC_NFC_DEC)) continue;
      b_u32(&out, (uint32_t)s + 1);
      b_u32(&out, off);
      b_u32(&out, (uint32_t)sec[s].n);
      off += (uint32_t)sec[s].n;
      if (sec[s].oom || off < sec[s].n) { fail(err, errcap, file, "out of memory"); goto done; }
    }
    for (s = 0; s < NSEC; s++)
      if (sec[s].n || s + 1 < VN_TOKSEC_NFC_DEC) b_put(&out, sec[s].p, sec[s].n);
    b_set32(&out, 12, (uint32_t)out.n);
    if (out.oom) { fail(err, errcap, file, "out of memory"); goto done; }
  }
  {
    VnTok t;                                /* the writer and the reader must agree */
    if (vn_tok_load(&t, out.p, out.n)) { fail(err, errcap, file, "internal error: blob does not load"); goto done; }
  }
  blob = out.p;
  *len = out.n;
  out.p = NULL;
  ok = 1;
done:
  for (s = 0; s < NSEC; s++) free(sec[s].p);
  if (normed) for (i = 0; i < d->n_added; i++) free(normed[i]);
  free(normed); free(traw); free(tnorm); free(ev); free(out.p); free(src.slot);
  free(pool_off); free(flags); free(addidx); free(tmp);
  return ok ? blob : NULL;
}

/* ---- (a) tokenizer.json -> description ---- */

typedef struct Front {
  const char *file;
  char *err;
  size_t errcap;
  VnTokDesc *d;
  Map ids;                     /* token string -> id: added tokens, then model vocab */
} Front;

static int jbool(json_t *o, const char *k, int dflt) {
  json_t *v = json_object_get(o, k);
  return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static VnTokcStr jstr(json_t *v) {
  VnTokcStr s = {NULL, 0};
  if (json_is_string(v)) { s.s = json_string_value(v); s.len = json_string_length(v); }
  return s;
}

static const char *jtype(json_t *o) {
  json_t *t = json_object_get(o, "type");
  return json_is_string(t) ? json_string_value(t) : "";
}

/* Number of UTF-8 characters in s (for "one character" checks). */
static size_t nchars(VnTokcStr s) {
  size_t i, n = 0;
  for (i = 0; i < s.len; i++) n += ((unsigned char)s.s[i] & 0xC0) != 0x80;
  return n;
}

static int add_step(Front *f, VnTokcStep *arr, int *n, const char *what, VnTokcStep st) {
  if (*n >= VN_TOKC_MAXSTEPS) return fail(f->err, f->errcap, f->file, "too many %s steps", what);
  arr[(*n)++] = st;
  return 0;
}

/* A Replace/Split pattern: {"String": s} or {"Regex": r}. *is_re says which. */
static int pattern(Front *f, json_t *p, VnTokcStr *s, int *is_re) {
  json_t *v;
  if ((v = json_object_get(p, "String")) && json_is_string(v)) { *s = jstr(v); *is_re = 0; return 0; }
  if ((v = json_object_get(p, "Regex")) && json_is_string(v)) { *s = jstr(v); *is_re = 1; return 0; }
  return fail(f->err, f->errcap, f->file, "pattern is neither {\"String\"} nor {\"Regex\"}");
}

/* A regex that is a plain literal (no metacharacters) can be matched as one. */
static int regex_literal(VnTokcStr s) {
  size_t i;
  for (i = 0; i < s.len; i++)
    if (strchr("\\^$.|?*+()[]{}", s.s[i])) return 0;
  return s.len > 0;
}

static int norm_json(Front *f, json_t *n) {
  VnTokDesc *d = f->d;
  VnTokcStep st;
  const char *ty;
  if (!n || json_is_null(n)) return 0;
  memset(&st, 0, sizeof st);
  ty = jtype(n);
  if (!strcmp(ty, "Sequence")) {
    json_t *a = json_object_get(n, "normalizers"), *x;
    size_t i;
    json_array_foreach(a, i, x) if (norm_json(f, x)) return -1;
    return 0;
  }
  if (!strcmp(ty, "NFC")) st.kind = VN_TOKNORM_NFC;
  else if (!strcmp(ty, "NFD")) st.kind = VN_TOKNORM_NFD;
  else if (!strcmp(ty, "Prepend")) {
    st.kind = VN_TOKNORM_PREPEND;
    st.s1 = jstr(json_object_get(n, "prepend"));
    if (!st.s1.s) return fail(f->err, f->errcap, f->file, "Prepend normalizer without \"prepend\"");
  } else if (!strcmp(ty, "Replace")) {
    int re;
    st.kind = VN_TOKNORM_REPLACE;
    if (pattern(f, json_object_get(n, "pattern"), &st.s1, &re)) return -1;
    st.s2 = jstr(json_object_get(n, "content"));
    if (!st.s2.s || !st.s1.len || (re && !regex_literal(st.s1)))
      return fail(f->err, f->errcap, f->file, "unsupported Replace normalizer (only a literal pattern)");
  } else {
    return fail(f->err, f->errcap, f->file, "unsupported normalizer '%s'", ty);
  }
  return add_step(f, d->norm, &d->n_norm, "normalizer", st);
}

static const char *const RE_BYTELEVEL =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
static const char *const RE_CL100K =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
    "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char *const RE_CL100K_N1 =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
    "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

static int behaviour(Front *f, json_t *o, int *b) {
  static const char *const names[] = {"Removed", "Isolated", "MergedWithPrevious", "MergedWithNext",
                                      "Contiguous"};
  json_t *v = json_object_get(o, "behavior");
  int i;
  for (i = 0; i < 5; i++)
    if (json_is_string(v) && !strcmp(json_string_value(v), names[i])) { *b = i; return 0; }
  return fail(f->err, f->errcap, f->file, "Split pre-tokenizer with unknown behavior");
}

static int prepend_scheme(json_t *o) {
  json_t *v = json_object_get(o, "prepend_scheme");
  if (json_is_string(v)) {
    if (!strcmp(json_string_value(v), "first")) return VN_TOKPREPEND_FIRST;
    if (!strcmp(json_string_value(v), "never")) return VN_TOKPREPEND_NEVER;
    return VN_TOKPREPEND_ALWAYS;
  }
  return jbool(o, "add_prefix_space", 1) ? VN_TOKPREPEND_ALWAYS : VN_TOKPREPEND_NEVER;
}

static int pre_json(Front *f, json_t *n) {
  VnTokDesc *d = f->d;
  VnTokcStep st;
  const char *ty;
  if (!n || json_is_null(n)) return 0;
  memset(&st, 0, sizeof st);
  ty = jtype(n);
  if (d->n_pre && d->pre[d->n_pre - 1].kind == VN_TOKPRE_BYTELEVEL)
    return fail(f->err, f->errcap, f->file, "unsupported pre-tokenizer: '%s' after ByteLevel", ty);
  if (!strcmp(ty, "Sequence")) {
    json_t *a = json_object_get(n, "pretokenizers"), *x;
    size_t i;
    json_array_foreach(a, i, x) if (pre_json(f, x)) return -1;
    return 0;
  }
  if (!strcmp(ty, "Split")) {
    int re;
    if (pattern(f, json_object_get(n, "pattern"), &st.s1, &re) || behaviour(f, n, &st.b)) return -1;
    st.c = jbool(n, "invert", 0);
    if (re && !regex_literal(st.s1)) {
      char buf[64];
      st.kind = VN_TOKPRE_SPLIT_REGEX;
      if (!strcmp(st.s1.s, RE_BYTELEVEL)) st.a = VN_TOKRE_BYTELEVEL;
      else if (!strcmp(st.s1.s, RE_CL100K)) st.a = VN_TOKRE_CL100K;
      else if (!strcmp(st.s1.s, RE_CL100K_N1)) st.a = VN_TOKRE_CL100K_N1;
      else {
        snprintf(buf, sizeof buf, "%s", st.s1.s);
        return fail(f->err, f->errcap, f->file,
                    "unsupported split regex \"%s%s\" (known: GPT-2 ByteLevel, cl100k with \\p{N}{1,3} or \\p{N})", buf,
                    st.s1.len >= sizeof buf ? "..." : "");
      }
      st.s1.s = NULL;
      st.s1.len = 0;
    } else {
      st.kind = VN_TOKPRE_SPLIT_STRING;
      if (!st.s1.len) return fail(f->err, f->errcap, f->file, "Split pre-tokenizer with an empty pattern");
    }
  } else if (!strcmp(ty, "ByteLevel")) {
    st.kind = VN_TOKPRE_BYTELEVEL;
    st.a = jbool(n, "add_prefix_space", 1);
    st.b = jbool(n, "use_regex", 1);
    d->byte_level = 1;
  } else if (!strcmp(ty, "Metaspace")) {
    st.kind = VN_TOKPRE_METASPACE;
    st.s1 = jstr(json_object_get(n, "replacement"));
    if (nchars(st.s1) != 1) return fail(f->err, f->errcap, f->file, "Metaspace replacement must be one character");
    st.a = prepend_scheme(n);
    st.b = jbool(n, "split", 1);
  } else if (!strcmp(ty, "Digits")) {
    st.kind = VN_TOKPRE_DIGITS;
    st.a = jbool(n, "individual_digits", 0);
  } else {
    return fail(f->err, f->errcap, f->file, "unsupported pre-tokenizer '%s'", ty);
  }
  return add_step(f, d->pre, &d->n_pre, "pre-tokenizer", st);
}

static int dec_json(Front *f, json_t *n, int top) {
  VnTokDesc *d = f->d;
  VnTokcStep st;
  const char *ty;
  int k, seen_bf = 0, seen_fuse = 0;
  memset(&st, 0, sizeof st);
  if (!n || json_is_null(n)) {
    st.kind = VN_TOKDEC_JOIN_SPACE;
    return add_step(f, d->dec, &d->n_dec, "decoder", st);
  }
  ty = jtype(n);
  if (!strcmp(ty, "Sequence")) {
    json_t *a = json_object_get(n, "decoders"), *x;
    size_t i;
    json_array_foreach(a, i, x) if (dec_json(f, x, 0)) return -1;
  } else {
    if (!strcmp(ty, "ByteLevel")) st.kind = VN_TOKDEC_BYTELEVEL;
    else if (!strcmp(ty, "ByteFallback")) st.kind = VN_TOKDEC_BYTEFALLBACK;
    else if (!strcmp(ty, "Fuse")) st.kind = VN_TOKDEC_FUSE;
    else if (!strcmp(ty, "Replace")) {
      int re;
      st.kind = VN_TOKDEC_REPLACE;
      if (pattern(f, json_object_get(n, "pattern"), &st.s1, &re)) return -1;
      st.s2 = jstr(json_object_get(n, "content"));
      if (nchars(st.s1) != 1 || (re && !regex_literal(st.s1)) || !st.s2.s ||
          memchr(st.s2.s, '<', st.s2.len) || memchr(st.s2.s, '>', st.s2.len) ||
          strchr("<>x0123456789abcdefABCDEF", st.s1.s[0]))
        return fail(f->err, f->errcap, f->file, "unsupported Replace decoder (only one character -> text)");
    } else if (!strcmp(ty, "Strip")) {
      json_t *c = json_object_get(n, "content");
      st.kind = VN_TOKDEC_STRIP;
      st.s1 = jstr(c);
      st.a = (int)json_integer_value(json_object_get(n, "start"));
      if (nchars(st.s1) != 1 || json_integer_value(json_object_get(n, "stop")) != 0 || st.a < 0)
        return fail(f->err, f->errcap, f->file, "unsupported Strip decoder (only one character, stop 0)");
    } else if (!strcmp(ty, "Metaspace")) {
      st.kind = VN_TOKDEC_METASPACE;
      st.s1 = jstr(json_object_get(n, "replacement"));
      st.a = prepend_scheme(n);
      if (nchars(st.s1) != 1) return fail(f->err, f->errcap, f->file, "Metaspace replacement must be one character");
    } else {
      return fail(f->err, f->errcap, f->file, "unsupported decoder '%s'", ty);
    }
    if (add_step(f, d->dec, &d->n_dec, "decoder", st)) return -1;
  }
  if (!top) return 0;
  /* what the runtime can run: ByteLevel alone; or per-token steps, then
   * ByteFallback, then Fuse, then Strip */
  for (k = 0; k < d->n_dec; k++) {
    int kind = d->dec[k].kind;
    if (kind == VN_TOKDEC_BYTELEVEL && d->n_dec != 1)
      return fail(f->err, f->errcap, f->file, "unsupported decoder: ByteLevel combined with other decoders");
    if (kind == VN_TOKDEC_BYTEFALLBACK) seen_bf = 1;
    else if (kind == VN_TOKDEC_FUSE) seen_fuse = 1;
    else if (kind == VN_TOKDEC_STRIP && seen_bf && !seen_fuse)
      return fail(f->err, f->errcap, f->file, "unsupported decoder: Strip between ByteFallback and Fuse");
    else if ((kind == VN_TOKDEC_REPLACE || kind == VN_TOKDEC_METASPACE) && (seen_bf || seen_fuse))
      return fail(f->err, f->errcap, f->file, "unsupported decoder: Replace/Metaspace after ByteFallback or Fuse");
  }
  return 0;
}

static int32_t token_id(Front *f, json_t *v) {
  VnTokcStr s;
  if (json_is_object(v)) v = json_object_get(v, "content");
  s = jstr(v);
  return s.s ? map_get(&f->ids, s.s, s.len) : -1;
}

static int post_json(Front *f, json_t *n) {
  VnTokDesc *d = f->d;
  const char *ty;
  if (!n || json_is_null(n)) return 0;
  ty = jtype(n);
  if (!strcmp(ty, "Sequence")) {
    json_t *a = json_object_get(n, "processors"), *x;
    size_t i;
    json_array_foreach(a, i, x) if (post_json(f, x)) return -1;
    return 0;
  }
  if (!strcmp(ty, "ByteLevel")) return 0;
  if (!strcmp(ty, "TemplateProcessing")) {
    json_t *single = json_object_get(n, "single"), *sp = json_object_get(n, "special_tokens"), *it;
    int32_t pre[VN_TOKC_MAXIDS], suf[VN_TOKC_MAXIDS];
    int np = 0, ns = 0, seen_a = 0, k;
    size_t i, j;
    json_array_foreach(single, i, it) {
      json_t *tok = json_object_get(it, "SpecialToken"), *ent, *idv, *ids;
      if (json_object_get(it, "Sequence")) { seen_a = 1; continue; }
      if (!tok) return fail(f->err, f->errcap, f->file, "TemplateProcessing: unknown template piece");
      idv = json_object_get(tok, "id");
      ent = json_is_string(idv) ? json_object_get(sp, json_string_value(idv)) : NULL;
      ids = json_object_get(ent, "ids");
      if (!json_is_array(ids))
        return fail(f->err, f->errcap, f->file, "TemplateProcessing: special token %s has no ids",
                    json_is_string(idv) ? json_string_value(idv) : "?");
      for (j = 0; j < json_array_size(ids); j++) {
        int32_t id = (int32_t)json_integer_value(json_array_get(ids, j));
        if (seen_a ? ns >= VN_TOKC_MAXIDS : np >= VN_TOKC_MAXIDS)
          return fail(f->err, f->errcap, f->file, "TemplateProcessing: template too long");
        if (seen_a) suf[ns++] = id;
        else pre[np++] = id;
      }
    }
    /* nested processors wrap: later prefixes go outside earlier ones */
    if (d->n_prefix + np > VN_TOKC_MAXIDS || d->n_suffix + ns > VN_TOKC_MAXIDS)
      return fail(f->err, f->errcap, f->file, "post-processor adds too many tokens");
    memmove(d->prefix + np, d->prefix, (size_t)d->n_prefix * sizeof *d->prefix);
    for (k = 0; k < np; k++) d->prefix[k] = pre[k];
    for (k = 0; k < ns; k++) d->suffix[d->n_suffix + k] = suf[k];
    d->n_prefix += np;
    d->n_suffix += ns;
    return 0;
  }
  if (!strcmp(ty, "RobertaProcessing") || !strcmp(ty, "BertProcessing")) {
    json_t *cls = json_object_get(n, "cls"), *sep = json_object_get(n, "sep");
    if (!json_is_array(cls) || !json_is_array(sep))
      return fail(f->err, f->errcap, f->file, "%s without cls/sep", ty);
    if (d->n_prefix + 1 > VN_TOKC_MAXIDS || d->n_suffix + 1 > VN_TOKC_MAXIDS)
      return fail(f->err, f->errcap, f->file, "post-processor adds too many tokens");
    memmove(d->prefix + 1, d->prefix, (size_t)d->n_prefix * sizeof *d->prefix);
    d->prefix[0] = (int32_t)json_integer_value(json_array_get(cls, 1));
    d->suffix[d->n_suffix] = (int32_t)json_integer_value(json_array_get(sep, 1));
    d->n_prefix++;
    d->n_suffix++;
    return 0;
  }
  return fail(f->err, f->errcap, f->file, "unsupported post-processor '%s'", ty);
}

/* flags: JSON_DECODE_INT_AS_REAL for tokenizer_config.json, whose
 * model_max_length is often 1e30 written as an integer. */
static json_t *load_json(const char *path, size_t flags, char *err, size_t errcap) {
  json_error_t je;
  json_t *j;
  char *text = NULL, *q;
  size_t n = 0, cap = 0, r;
  FILE *fp = fopen(path, "rb");
  if (!fp) { fail(err, errcap, path, "cannot open: %s", strerror(errno)); return NULL; }
  do {                                   /* whole file, then json_loadb: faster than getc */
    if (n + 65536 > cap) {
      cap = cap ? 2 * cap : 1 << 20;
      if (!(q = realloc(text, cap))) { free(text); fclose(fp); fail(err, errcap, path, "out of memory"); return NULL; }
      text = q;
    }
    n += r = fread(text + n, 1, cap - n, fp);
  } while (r > 0);
  if (ferror(fp)) {
    free(text);
    fclose(fp);
    fail(err, errcap, path, "cannot read: %s", strerror(errno));
    return NULL;
  }
  fclose(fp);
  j = json_loadb(text, n, JSON_ALLOW_NUL | flags, &je);
  free(text);
  if (!j) {
    fail(err, errcap, path, "invalid JSON at line %d column %d: %s", je.line, je.column, je.text);
    return NULL;
  }
  if (!json_is_object(j)) {
    json_decref(j);
    fail(err, errcap, path, "not a JSON object");
    return NULL;
  }
  return j;
}

static int json_to_desc(Front *f, json_t *root, json_t *cfg) {
  VnTokDesc *d = f->d;
  json_t *model = json_object_get(root, "model"), *vocab, *merges, *added, *v, *x;
  const char *key, *ty;
  size_t i;
  int32_t maxid = -1;
  static const char *const eog_names[] = {"</s>", "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>",
                                          "<|im_end|>", "<|endoftext|>", "<end_of_turn>", "<|end|>",
                                          "<eos>", "<|return|>", "<|call|>", NULL};
  static const char *const bos_names[] = {"<s>", "<|begin_of_text|>", "<bos>", "<|startoftext|>", NULL};
  static const char *const eos_names[] = {"</s>", "<|end_of_text|>", "<eos>", "<|endoftext|>", "<|im_end|>", NULL};

  if (!json_is_object(model)) return fail(f->err, f->errcap, f->file, "no \"model\" object");
  ty = jtype(model);
  vocab = json_object_get(model, "vocab");
  merges = json_object_get(model, "merges");
  if (strcmp(ty, "BPE") && !(!*ty && json_is_array(merges)))
    return fail(f->err, f->errcap, f->file, "unsupported model type '%s' (venus supports BPE)", *ty ? ty : "?");
  if (!json_is_object(vocab) || !json_is_array(merges))
    return fail(f->err, f->errcap, f->file, "BPE model without vocab/merges");
  if ((v = json_object_get(model, "dropout")) && !json_is_null(v) && json_number_value(v) != 0)
    return fail(f->err, f->errcap, f->file, "BPE dropout is not supported");
  if ((jstr(json_object_get(model, "continuing_subword_prefix")).len) ||
      (jstr(json_object_get(model, "end_of_word_suffix")).len))
    return fail(f->err, f->errcap, f->file, "BPE continuing_subword_prefix/end_of_word_suffix are not supported");
  d->byte_fallback = jbool(model, "byte_fallback", 0);
  d->fuse_unk = jbool(model, "fuse_unk", 0);
  d->ignore_merges = jbool(model, "ignore_merges", 0);

  /* vocabulary */
  json_object_foreach(vocab, key, v) {
    json_int_t id = json_integer_value(v);
    if (!json_is_integer(v) || id < 0 || id >= (1 << 27))
      return fail(f->err, f->errcap, f->file, "vocab entry \"%.40s\" has a bad id", key);
    if (id > maxid) maxid = (int32_t)id;
  }
  d->n_vocab = maxid + 1;
  d->vocab = calloc((size_t)d->n_vocab + 1, sizeof *d->vocab);
  if (!d->vocab || map_init(&f->ids, json_object_size(vocab) + 1024))
    return fail(f->err, f->errcap, f->file, "out of memory");
  /* json_object_foreach gives keys as C strings; the exact bytes (NUL
   * included) come from a key's length via json_object_iter_key_len */
  {
    void *it;
    for (it = json_object_iter(vocab); it; it = json_object_iter_next(vocab, it)) {
      json_int_t id = json_integer_value(json_object_iter_value(it));
      if (!d->vocab[id].s) {
        d->vocab[id].s = json_object_iter_key(it);
        d->vocab[id].len = json_object_iter_key_len(it);
      }
    }
  }

  /* added tokens: HF matches special ones first, then the others */
  added = json_object_get(root, "added_tokens");
  if (added && !json_is_array(added)) return fail(f->err, f->errcap, f->file, "\"added_tokens\" is not a list");
  d->added = calloc(json_array_size(added) + 1, sizeof *d->added);
  if (!d->added) return fail(f->err, f->errcap, f->file, "out of memory");
  {
    int pass;
    for (pass = 0; pass < 2; pass++)
      json_array_foreach(added, i, x) {
        VnTokcAdded *a;
        json_t *idv = json_object_get(x, "id");
        int special = jbool(x, "special", 0);
        if (special != (pass == 0)) continue;
        if (!json_is_integer(idv) || json_integer_value(idv) < 0 || json_integer_value(idv) >= (1 << 27) ||
            !json_is_string(json_object_get(x, "content")))
          return fail(f->err, f->errcap, f->file, "added token %d is malformed", (int)i);
        a = &d->added[d->n_added++];
        a->id = (int32_t)json_integer_value(idv);
        a->content = jstr(json_object_get(x, "content"));
        a->flags = (special ? VN_TOKADD_SPECIAL : 0) | (jbool(x, "lstrip", 0) ? VN_TOKADD_LSTRIP : 0) |
                   (jbool(x, "rstrip", 0) ? VN_TOKADD_RSTRIP : 0) |
                   (jbool(x, "single_word", 0) ? VN_TOKADD_SINGLE_WORD : 0) |
                   (jbool(x, "normalized", !special) ? VN_TOKADD_NORMALIZED : 0);
        map_put(&f->ids, a->content.s, a->content.len, a->id);
      }
  }
  for (i = 0; i < (size_t)d->n_vocab; i++)
    if (d->vocab[i].s) map_put(&f->ids, d->vocab[i].s, d->vocab[i].len, (int32_t)i);

  /* merges: "a b" strings or [a, b] pairs, in rank order */
  d->n_merges = (int32_t)json_array_size(merges);
  d->merges = malloc(2 * ((size_t)d->n_merges + 1) * sizeof *d->merges);
  if (!d->merges) return fail(f->err, f->errcap, f->file, "out of memory");
  {
    Map mv;
    if (map_init(&mv, (size_t)d->n_vocab)) return fail(f->err, f->errcap, f->file, "out of memory");
    for (i = 0; i < (size_t)d->n_vocab; i++)
      if (d->vocab[i].s) map_put(&mv, d->vocab[i].s, d->vocab[i].len, (int32_t)i);
    json_array_foreach(merges, i, x) {
      VnTokcStr a = {NULL, 0}, b = {NULL, 0};
      int32_t ia, ib;
      if (json_is_string(x)) {
        const char *s = json_string_value(x), *sp = memchr(s, ' ', json_string_length(x));
        if (sp && !memchr(sp + 1, ' ', json_string_length(x) - (size_t)(sp + 1 - s))) {
          a.s = s; a.len = (size_t)(sp - s);
          b.s = sp + 1; b.len = json_string_length(x) - a.len - 1;
        }
      } else if (json_is_array(x) && json_array_size(x) == 2) {
        a = jstr(json_array_get(x, 0));
        b = jstr(json_array_get(x, 1));
      }
      if (!a.s || !b.s) { free(mv.slot); return fail(f->err, f->errcap, f->file, "merge %d is malformed", (int)i); }
      ia = map_get(&mv, a.s, a.len);
      ib = map_get(&mv, b.s, b.len);
      if (ia < 0 || ib < 0) {
        VnTokcStr m = ia < 0 ? a : b;
        free(mv.slot);
        return fail(f->err, f->errcap, f->file, "merge %d: token '%.*s' is not in the vocabulary", (int)i,
                    (int)(m.len > 40 ? 40 : m.len), m.s);
      }
      d->merges[2 * i] = ia;
      d->merges[2 * i + 1] = ib;
    }
    free(mv.slot);
  }
  d->unk_id = -1;
  if ((v = json_object_get(model, "unk_token")) && json_is_string(v)) {
    VnTokcStr u = jstr(v);
    size_t k;
    for (k = 0; k < (size_t)d->n_vocab; k++)
      if (d->vocab[k].s && d->vocab[k].len == u.len && !memcmp(d->vocab[k].s, u.s, u.len)) {
        d->unk_id = (int32_t)k;
        break;
      }
  }

  if (norm_json(f, json_object_get(root, "normalizer")) || pre_json(f, json_object_get(root, "pre_tokenizer")) ||
      dec_json(f, json_object_get(root, "decoder"), 1) || post_json(f, json_object_get(root, "post_processor")))
    return -1;
  {
    int dec_bl = d->n_dec == 1 && d->dec[0].kind == VN_TOKDEC_BYTELEVEL;
    if (d->byte_level != dec_bl)
      return fail(f->err, f->errcap, f->file, d->byte_level
                  ? "unsupported: a ByteLevel pre-tokenizer needs the ByteLevel decoder"
                  : "unsupported: a ByteLevel decoder without the ByteLevel pre-tokenizer");
  }

  /* bos/eos from tokenizer_config.json when given, else by the usual names */
  d->bos_id = d->eos_id = -1;
  if (cfg) {
    d->bos_id = token_id(f, json_object_get(cfg, "bos_token"));
    d->eos_id = token_id(f, json_object_get(cfg, "eos_token"));
  } else {
    for (i = 0; bos_names[i] && d->bos_id < 0; i++) d->bos_id = map_get(&f->ids, bos_names[i], strlen(bos_names[i]));
    for (i = 0; eos_names[i] && d->eos_id < 0; i++) d->eos_id = map_get(&f->ids, eos_names[i], strlen(eos_names[i]));
  }
  if (d->bos_id < 0 && d->n_prefix) d->bos_id = d->prefix[0];
  for (i = 0; eog_names[i] && d->n_eog < VN_TOKC_MAXIDS; i++) {
    int32_t id = -1;
    int k;
    for (k = 0; k < d->n_added; k++)
      if (d->added[k].content.len == strlen(eog_names[i]) &&
          !memcmp(d->added[k].content.s, eog_names[i], d->added[k].content.len))
        id = d->added[k].id;
    if (id >= 0) d->eog[d->n_eog++] = id;
  }
  return 0;
}

unsigned char *vn_tokc_compile_json(const char *tokenizer_json, const char *tokenizer_config,
                                    size_t *len, char *err, size_t errcap) {
  Front f;
  VnTokDesc d;
  json_t *root, *cfg = NULL;
  unsigned char *blob = NULL;
  memset(&f, 0, sizeof f);
  memset(&d, 0, sizeof d);
  if (err && errcap) err[0] = 0;
  if (!(root = load_json(tokenizer_json, 0, err, errcap))) return NULL;
  if (tokenizer_config && !(cfg = load_json(tokenizer_config, JSON_DECODE_INT_AS_REAL, err, errcap))) {
    json_decref(root);
    return NULL;
  }
  f.file = d.file = tokenizer_json;
  f.err = err;
  f.errcap = errcap;
  f.d = &d;
  if (!json_to_desc(&f, root, cfg)) blob = vn_tokc_compile_desc(&d, len, err, errcap);
  free(d.vocab);
  free(d.merges);
  free(d.added);
  free(f.ids.slot);
  json_decref(root);
  if (cfg) json_decref(cfg);
  return blob;
}
