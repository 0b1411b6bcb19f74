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
  case UTF8PROC_CATEGORY_MN:
    k = VN_TOKU_M | VN_TOKU_W; break;
  case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    k = VN_TOKU_W; break;
  case UTF8PROC_CATEGORY_PC:
    k = VN_TOKU_W | VN_TOKU_P; break;
  case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS: case UTF8PROC_CATEGORY_PE:
  case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF: case UTF8PROC_CATEGORY_PO:
    k = VN_TOKU_P; break;
  case UTF8PROC_CATEGORY_SM: case UTF8PROC_CATEGORY_SC: case UTF8PROC_CATEGORY_SK:
  case UTF8PROC_CATEGORY_SO:
    k = VN_TOKU_S; break;
  case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS:
  case UTF8PROC_CATEGORY_CO: case UTF8PROC_CATEGORY_CN:
    k = VN_TOKU_C; break;
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
/* NFKC/NFKD: the full compatibility decompositions, laid out as NFC_DEC;
 * *ratio: the most bytes a character's decomposition has per byte of it. */
static int sec_nfkc(Buf *dec, uint32_t *ratio) {
  Buf pool = {0}, ent = {0};
  uint32_t cp, nd = 0, pl = 0, i;
  *ratio = 1;
  for (cp = 0xA0; cp <= 0x10FFFF; cp++) {
    utf8proc_int32_t d[32];
    int bc = 0;
    utf8proc_ssize_t n;
    size_t bytes = 0;
    if ((cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0xAC00 && cp < 0xAC00 + 11172)) continue;
    n = utf8proc_decompose_char((utf8proc_int32_t)cp, d, 32, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT, &bc);
    if (n <= 0 || n > 32 || (n == 1 && (uint32_t)d[0] == cp)) continue;
    for (i = 0; i < (uint32_t)n; i++) bytes += utf8_len((uint32_t)d[i]);
    while (bytes > *ratio * utf8_len(cp)) (*ratio)++;
    if ((size_t)n > 6 * utf8_len(cp)) return -1;         /* runtime sizes cps as 6/byte */
    b_u32(&ent, cp);
    b_u32(&ent, pl << 8 | (uint32_t)n);
    for (i = 0; i < (uint32_t)n; i++) b_u32(&pool, (uint32_t)d[i]);
    pl += (uint32_t)n;
    nd++;
  }
  b_u32(dec, nd);
  b_put(dec, ent.p, ent.n);
  b_u32(dec, pl);
  b_put(dec, pool.p, pool.n);
  free(pool.p);
  free(ent.p);
  return (dec->oom || pool.oom || ent.oom) ? -1 : 0;
}

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
    } else if (st->kind == VN_TOKNORM_NFKC || st->kind == VN_TOKNORM_NFKD) {
      nx = (char *)(st->kind == VN_TOKNORM_NFKC ? utf8proc_NFKC((const utf8proc_uint8_t *)cur)
                                                 : utf8proc_NFKD((const utf8proc_uint8_t *)cur));
      if (nx) n = strlen(nx);
    } else if (st->kind == VN_TOKNORM_STRIP) {
      size_t a = 0, b = n;
      utf8proc_int32_t cp;
      utf8proc_ssize_t l;
      while (st->a && a < b && (l = utf8proc_iterate((const utf8proc_uint8_t *)cur + a, (utf8proc_ssize_t)(b - a), &cp)) > 0 &&
             is_ws((uint32_t)cp))
        a += (size_t)l;
      while (st->b && b > a) {
        size_t q = b - 1;
        while (q > a && ((unsigned char)cur[q] & 0xC0) == 0x80) q--;
        if (utf8proc_iterate((const utf8proc_uint8_t *)cur + q, (utf8proc_ssize_t)(b - q), &cp) <= 0 || !is_ws((uint32_t)cp)) break;
        b = q;
      }
      if ((nx = malloc(b - a + 1))) { memcpy(nx, cur + a, b - a); nx[b - a] = 0; n = b - a; }
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

/* The trie, built without recursion (a token may be megabytes long): the
 * entries are sorted, so a node's children arrive in byte order and a new
 * entry can only extend the last child on its path. Nodes are numbered in
 * creation order, which is preorder; each node's edges are contiguous. */
typedef struct TNode {
  uint32_t last, next, term;  /* last child, next sibling (0: none), added index + 1 */
  uint32_t first, nkids;
  unsigned char byte;
} TNode;

static int sec_trie(Buf *out, TEnt *v, size_t n) {
  TNode *nd;
  size_t nn = 1, cap = 64, i, d;
  uint32_t e, k, root[256];
  qsort(v, n, sizeof *v, tent_cmp);
  if (!(nd = calloc(cap, sizeof *nd))) return -1;
  for (i = 0; i < n; i++) {
    uint32_t cur = 0;
    for (d = 0; d < v[i].len; d++) {
      uint32_t last = nd[cur].last;
      if (last && nd[last].byte == v[i].s[d]) { cur = last; continue; }
      if (nn == cap) {
        TNode *q;
        if (cap >= ((size_t)1 << 24) || !(q = realloc(nd, 2 * cap * sizeof *nd))) { free(nd); return -1; }
        nd = q;
        cap *= 2;
      }
      memset(&nd[nn], 0, sizeof *nd);
      nd[nn].byte = v[i].s[d];
      if (last) nd[last].next = (uint32_t)nn;
      else nd[cur].first = (uint32_t)nn;
      nd[cur].last = (uint32_t)nn;
      nd[cur].nkids++;
      cur = (uint32_t)nn++;
    }
    if (!nd[cur].term) nd[cur].term = v[i].idx + 1;   /* same content again: first one wins */
  }
  if (nn >= (1u << 24)) { free(nd); return -1; }
  memset(root, 0, sizeof root);
  for (k = nd[0].first; k; k = nd[k].next) root[nd[k].byte] = k;
  b_u32(out, (uint32_t)nn);
  for (i = 0; i < 256; i++) b_u32(out, root[i]);
  for (i = 0, e = 0; i < nn; i++) {                  /* the root's edges are root[] */
    b_u32(out, i ? e : 0);
    b_u32(out, i ? nd[i].nkids : 0);
    b_u32(out, nd[i].term);
    if (i) e += nd[i].nkids;
  }
  b_u32(out, e);
  for (i = 1; i < nn; i++)
    for (k = nd[i].first; k; k = nd[k].next) b_u32(out, k << 8 | nd[k].byte);
  free(nd);
  return out->oom ? -1 : 0;
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

/* The writer's state: one buffer per section, and the tables that more than
 * one section is derived from. Each w_* function writes its sections (named
 * in its comment) or records the error in ctx; w_free releases everything. */
enum { NSEC = VN_TOKSEC_END_ - 1 };
typedef struct W {
  VnCtx *ctx;
  const VnTokDesc *d;
  Buf sec[NSEC];
  int32_t nv;                  /* ids: model vocabulary and added tokens */
  size_t maxlen;               /* longest piece + 1 */
  uint32_t *pool_off;          /* [nv + 1]: piece offsets into VSTR */
  unsigned char *flags;        /* [nv]: VN_TOKV_* */
  int32_t *addidx;             /* [nv]: the added token that decodes id, or -1 */
  unsigned char *tmp;          /* [maxlen]: scratch for one piece */
  Map src;                     /* model piece (as the source spells it) -> id */
  uint32_t *slots;             /* VHASH slots, id + 1 */
  size_t nslots;
  uint32_t nm_mul, nm_add, pm, pa;   /* normalizer / pre-tokenizer growth bounds */
} W;

#define SECB(w, tag) (&(w)->sec[(tag) - 1])

static VnStatus werr(W *w, VnStatus st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static VnStatus werr(W *w, VnStatus st, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return vn_errorf(w->ctx, st, (VnLoc){w->d->file ? w->d->file : "tokenizer", 0}, "%s", msg);
}
#define NOMEM(w) werr((w), VN_ERR_NOMEM, "out of memory")

/* A model piece as raw bytes: byte-level strings mapped back (into w->tmp);
 * -1 when a byte-level string is not in the alphabet. */
static long raw_piece(W *w, int32_t i, const unsigned char **key) {
  const VnTokcStr *v = &w->d->vocab[i];
  if (w->d->byte_level) {
    *key = w->tmp;
    return bl_unmap(v->s, v->len, w->tmp);
  }
  *key = (const unsigned char *)v->s;
  return (long)v->len;
}

/* Checks ids and sizes, allocates the shared tables. */
static VnStatus w_init(W *w) {
  const VnTokDesc *d = w->d;
  int32_t i;
  w->nv = d->n_vocab;
  w->maxlen = 1;
  for (i = 0; i < d->n_added; i++) {
    if (d->added[i].id < 0 || d->added[i].id >= (1 << 27))
      return werr(w, VN_ERR_INPUT, "added token %d has a bad id", (int)d->added[i].id);
    if (d->added[i].id >= w->nv) w->nv = d->added[i].id + 1;
  }
  if (d->n_vocab < 0 || w->nv >= (1 << 27)) return werr(w, VN_ERR_INPUT, "vocabulary too large");
  if (w->nv == 0) return werr(w, VN_ERR_INPUT, "empty vocabulary");
  if (d->n_merges < 0 || d->n_merges >= (1 << 27)) return werr(w, VN_ERR_INPUT, "too many merges");
  if (d->unk_id >= w->nv) return werr(w, VN_ERR_INPUT, "unk token id out of range");
  for (i = 0; i < d->n_vocab; i++)
    if (d->vocab[i].s && d->vocab[i].len + 1 > w->maxlen) w->maxlen = d->vocab[i].len + 1;
  for (i = 0; i < d->n_added; i++)
    if (d->added[i].content.len + 1 > w->maxlen) w->maxlen = d->added[i].content.len + 1;
  w->pool_off = calloc((size_t)w->nv + 1, sizeof *w->pool_off);
  w->flags = calloc((size_t)w->nv + 1, 1);
  w->addidx = malloc(((size_t)w->nv + 1) * sizeof *w->addidx);
  w->tmp = malloc(w->maxlen);
  if (!w->pool_off || !w->flags || !w->addidx || !w->tmp || map_init(&w->src, (size_t)d->n_vocab))
    return NOMEM(w);
  for (i = 0; i < w->nv; i++) w->addidx[i] = -1;
  for (i = 0; i < d->n_added; i++)
    if (w->addidx[d->added[i].id] < 0 && d->added[i].content.len) w->addidx[d->added[i].id] = i;
  for (i = 0; i < d->n_vocab; i++)
    if (d->vocab[i].s) map_put(&w->src, d->vocab[i].s, d->vocab[i].len, i);
  return VN_OK;
}

/* VOFF, VSTR, VFLAGS: what decoding an id gives (HF: the added token's
 * content first, else the model's string; byte-level strings mapped back). */
static VnStatus w_pieces(W *w) {
  const VnTokDesc *d = w->d;
  Buf *vs = SECB(w, VN_TOKSEC_VSTR);
  int32_t i;
  for (i = 0; i < w->nv; i++) {
    const VnTokcStr *ps = NULL;
    long bl;
    w->pool_off[i] = (uint32_t)vs->n;
    if (w->addidx[i] >= 0) {
      ps = &d->added[w->addidx[i]].content;
      w->flags[i] |= VN_TOKV_ADDED;
      if (d->added[w->addidx[i]].flags & VN_TOKADD_SPECIAL) w->flags[i] |= VN_TOKV_SPECIAL;
    } else if (i < d->n_vocab && d->vocab[i].s) {
      ps = &d->vocab[i];
    }
    if (!ps) continue;
    w->flags[i] |= VN_TOKV_PRESENT;
    if (d->byte_level && (bl = bl_unmap(ps->s, ps->len, w->tmp)) >= 0) b_put(vs, w->tmp, (size_t)bl);
    else b_put(vs, ps->s, ps->len);
    if (!d->byte_level && is_byte_piece((const unsigned char *)ps->s, ps->len)) w->flags[i] |= VN_TOKV_BYTE;
    if (vs->n >= 0xFFFFFFFFu) return werr(w, VN_ERR_INPUT, "vocabulary too large");
  }
  w->pool_off[w->nv] = (uint32_t)vs->n;
  for (i = 0; i <= w->nv; i++) b_u32(SECB(w, VN_TOKSEC_VOFF), w->pool_off[i]);
  b_put(SECB(w, VN_TOKSEC_VFLAGS), w->flags, (size_t)w->nv);
  return vs->oom ? NOMEM(w) : VN_OK;
}

/* VHASH: model pieces only (HF looks up model.vocab); an id is reachable
 * only if it decodes to the same string (no clashing added token). */
static VnStatus w_vhash(W *w) {
  const VnTokDesc *d = w->d;
  const unsigned char *pool = SECB(w, VN_TOKSEC_VSTR)->p;
  size_t cnt = 0, k;
  uint32_t mask, h;
  int32_t i;
  for (i = 0; i < d->n_vocab; i++) if (d->vocab[i].s) cnt++;
  for (w->nslots = 16; w->nslots < 2 * cnt + 2; w->nslots *= 2) {}
  if (!(w->slots = calloc(w->nslots, 4))) return NOMEM(w);
  mask = (uint32_t)(w->nslots - 1);
  for (i = 0; i < d->n_vocab; i++) {
    const unsigned char *key;
    long kl;
    if (!d->vocab[i].s || (kl = raw_piece(w, i, &key)) < 0) continue;
    if ((size_t)kl != w->pool_off[i + 1] - w->pool_off[i] || memcmp(key, pool + w->pool_off[i], (size_t)kl))
      continue;
    for (h = fnv1a(key, (size_t)kl) & mask; w->slots[h]; h = (h + 1) & mask) {
      uint32_t o = w->slots[h] - 1;
      if (w->pool_off[o + 1] - w->pool_off[o] == (uint32_t)kl && !memcmp(pool + w->pool_off[o], key, (size_t)kl))
        break;
    }
    if (!w->slots[h]) w->slots[h] = (uint32_t)i + 1;
  }
  b_u32(SECB(w, VN_TOKSEC_VHASH), (uint32_t)w->nslots);
  for (k = 0; k < w->nslots; k++) b_u32(SECB(w, VN_TOKSEC_VHASH), w->slots[k]);
  return VN_OK;
}

/* WALL: character pairs that occur inside some piece; sized 32 bits per
 * distinct pair (counted in a first pass at the largest size). */
static VnStatus w_wall(W *w) {
  const VnTokDesc *d = w->d;
  size_t npairs = 0, nbits = (size_t)1 << 24, pass, j, k;
  unsigned char *bits = NULL;
  int32_t i;
  for (pass = 0; pass < 2; pass++) {
    if (pass == 1) {
      for (j = 0; j < nbits / 8; j++)
        for (k = 0; k < 8; k++) npairs += bits[j] >> k & 1;
      free(bits);
      for (nbits = 64; nbits < 32 * npairs && nbits < ((size_t)1 << 24); nbits *= 2) {}
    }
    if (!(bits = calloc(nbits / 8, 1))) return NOMEM(w);
    for (i = 0; i < d->n_vocab; i++) {
      const unsigned char *key;
      long kl;
      size_t prev = 0, cur;
      if (!d->vocab[i].s || (kl = raw_piece(w, i, &key)) < 0) continue;
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
  b_u32(SECB(w, VN_TOKSEC_WALL), (uint32_t)nbits);
  b_put(SECB(w, VN_TOKSEC_WALL), bits, nbits / 8);
  free(bits);
  return VN_OK;
}

/* BYTEIDS, FBIDS: the model's one-byte piece of each byte, and its "<0xXX>". */
static VnStatus w_bytes(W *w) {
  const unsigned char *pool = SECB(w, VN_TOKSEC_VSTR)->p;
  uint32_t mask = (uint32_t)(w->nslots - 1), h;
  int s;
  for (s = 0; s < 256; s++) {
    uint32_t v = 0xFFFFFFFFu, f = 0xFFFFFFFFu;
    unsigned char c = (unsigned char)s;
    char hex[8];
    for (h = fnv1a(&c, 1) & mask; w->slots[h]; h = (h + 1) & mask) {
      uint32_t o = w->slots[h] - 1;
      if (w->pool_off[o + 1] - w->pool_off[o] == 1 && pool[w->pool_off[o]] == c) { v = o; break; }
    }
    snprintf(hex, sizeof hex, "<0x%02X>", s);
    if (map_get(&w->src, hex, 6) >= 0) f = (uint32_t)map_get(&w->src, hex, 6);
    b_u32(SECB(w, VN_TOKSEC_BYTEIDS), v);
    b_u32(SECB(w, VN_TOKSEC_FBIDS), f);
  }
  return VN_OK;
}

/* MRES, MIDX, MEDGE: (left, right) -> rank, result = vocab[left + right]; a
 * pair listed twice keeps its last rank, as HF's HashMap does. */
static VnStatus w_merges(W *w) {
  const VnTokDesc *d = w->d;
  Edge *ev = malloc(((size_t)d->n_merges + 1) * sizeof *ev);
  size_t nev = 0, k, e = 0, wr = 0;
  int32_t i;
  if (!ev) return NOMEM(w);
  for (i = 0; i < d->n_merges; i++) {
    int32_t a = d->merges[2 * i], b = d->merges[2 * i + 1], r = -1;
    size_t la, lb;
    if (a < 0 || b < 0 || a >= d->n_vocab || b >= d->n_vocab || !d->vocab[a].s || !d->vocab[b].s) {
      free(ev);
      return werr(w, VN_ERR_INPUT, "merge %d names a token outside the vocabulary", (int)i);
    }
    la = d->vocab[a].len;
    lb = d->vocab[b].len;
    if (la + lb < w->maxlen) {            /* longer than every piece: not in the vocabulary */
      memcpy(w->tmp, d->vocab[a].s, la);
      memcpy(w->tmp + la, d->vocab[b].s, lb);
      r = map_get(&w->src, (const char *)w->tmp, la + lb);
    }
    if (r < 0) {
      free(ev);
      return werr(w, VN_ERR_INPUT, "merge %d ('%.*s' '%.*s'): the merged token is not in the vocabulary",
                  (int)i, (int)(la > 40 ? 40 : la), d->vocab[a].s, (int)(lb > 40 ? 40 : lb), d->vocab[b].s);
    }
    b_u32(SECB(w, VN_TOKSEC_MRES), (uint32_t)r);
    ev[nev].l = (uint32_t)a; ev[nev].r = (uint32_t)b; ev[nev].rank = (uint32_t)i;
    nev++;
  }
  qsort(ev, nev, sizeof *ev, edge_cmp);
  for (k = 0; k < nev; k++) {              /* keep the last rank of a repeated pair */
    if (k + 1 < nev && ev[k + 1].l == ev[k].l && ev[k + 1].r == ev[k].r) continue;
    ev[wr++] = ev[k];
  }
  nev = wr;
  for (i = 0; i <= w->nv; i++) {
    while (e < nev && ev[e].l < (uint32_t)i) e++;
    b_u32(SECB(w, VN_TOKSEC_MIDX), (uint32_t)e);
  }
  for (k = 0; k < nev; k++) {
    b_u32(SECB(w, VN_TOKSEC_MEDGE), ev[k].r);
    b_u32(SECB(w, VN_TOKSEC_MEDGE), ev[k].rank);
  }
  free(ev);
  return VN_OK;
}

/* NFC_DEC, NFC_CCC, NFC_COMP (when a step needs them) and the bounds on how
 * much the normalizer and the pre-tokenizer can grow a text. */
/* The growth bound of the normalizer chain (NORM_MUL, NORM_ADD): the product
 * of each step's worst growth per byte, where a step's worst case is taken over
 * the code points that can reach it (img: what the steps before can output,
 * from all code points at the start). Per-code-point steps (NFC/NFD/NFKC/NFKD,
 * BertNormalizer, Lowercase, StripAccents, Strip) are simulated on each such
 * code point; a Precompiled map counts only the keys made of such code points
 * (a key elsewhere never matches); Replace and Prepend add their content to img.
 * So NFKD then Lowercase then nmt_nfkc (ALBERT) is bounded by NFKD's growth,
 * not by the product of three worst cases. */
enum { IMG_N = 0x110000 };
#define IMG_HAS(b, c) ((b)[(c) >> 3] >> ((c) & 7) & 1)
#define IMG_SET(b, c) ((b)[(c) >> 3] |= (unsigned char)(1u << ((c) & 7)))

static void img_add(unsigned char *img, const char *s, size_t n) {
  utf8proc_ssize_t i = 0, l;
  utf8proc_int32_t cp;
  while ((size_t)i < n && (l = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)n - i, &cp)) > 0) {
    IMG_SET(img, (uint32_t)cp);
    i += l;
  }
  if ((size_t)i < n) IMG_SET(img, 0xFFFDu);
}

static int cjk_cp(uint32_t c) {          /* the ranges BertNormalizer pads (as runtime/tokenizer.c) */
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* A per-code-point step on cp: its output code points into o (room 96), or -1
 * when the step is not per code point. */
static int step_cp(const VnTokcStep *st, uint32_t cp, utf8proc_int32_t *o) {
  utf8proc_int32_t t[96];
  int n = 1, m, i, bc = 0;
  utf8proc_ssize_t k;
  o[0] = (utf8proc_int32_t)cp;
  switch (st->kind) {
  case VN_TOKNORM_NFC: case VN_TOKNORM_NFD: case VN_TOKNORM_NFKC: case VN_TOKNORM_NFKD:
    k = utf8proc_decompose_char((utf8proc_int32_t)cp, o, 32,
                                UTF8PROC_DECOMPOSE | (st->kind >= VN_TOKNORM_NFKC ? UTF8PROC_COMPAT : 0), &bc);
    return k > 0 && k <= 32 ? (int)k : 1;
  case VN_TOKNORM_STRIP:
    return 1;
  case VN_TOKNORM_BERT:
    if ((st->a & VN_TOKBERT_CLEAN) && is_ws(cp)) o[0] = ' ';
    if ((st->a & VN_TOKBERT_CHINESE) && cjk_cp(cp)) { o[0] = ' '; o[1] = (utf8proc_int32_t)cp; o[2] = ' '; n = 3; }
    if (st->a & VN_TOKBERT_MARKS)
      for (i = m = 0; i < n; i++) if (utf8proc_category(o[i]) != UTF8PROC_CATEGORY_MN) o[m++] = o[i];
    if (st->a & VN_TOKBERT_MARKS) n = m;
    if (st->a & VN_TOKBERT_STRIP) {
      for (i = m = 0; i < n && m < 64; i++) {
        k = utf8proc_decompose_char(o[i], t + m, 32, UTF8PROC_DECOMPOSE, &bc);
        m += k > 0 && k <= 32 ? (int)k : 0;
      }
      for (i = n = 0; i < m; i++) if (utf8proc_category(t[i]) != UTF8PROC_CATEGORY_MN) o[n++] = t[i];
    }
    if (st->a & VN_TOKBERT_LOWER) {
      for (i = m = 0; i < n; i++) {
        if (o[i] == 0x130) { t[m++] = 'i'; t[m++] = 0x307; }
        else t[m++] = utf8proc_tolower(o[i]);
      }
      memcpy(o, t, (size_t)m * sizeof *o);
      n = m;
    }
    return n;
  default:
    return -1;
  }
}

static VnStatus norm_growth(W *w) {
  const VnTokDesc *d = w->d;
  unsigned char *img = malloc(IMG_N / 8), *nx = malloc(IMG_N / 8);
  int s;
  uint32_t cp;
  VnStatus rc = VN_OK;
  if (!img || !nx) { free(img); free(nx); return NOMEM(w); }
  memset(img, 0xFF, IMG_N / 8);
  for (s = 0; s < d->n_norm && rc == VN_OK; s++) {
    const VnTokcStep *st = &d->norm[s];
    utf8proc_int32_t o[96];
    uint32_t f = 1;
    int32_t k;
    int i, n;
    memcpy(nx, img, IMG_N / 8);
    if (step_cp(st, 'a', o) >= 0) {             /* per code point: simulate on each one that can come */
      memset(nx, 0, IMG_N / 8);
      for (cp = 0; cp < IMG_N; cp++) {
        size_t ob = 0;
        if (!IMG_HAS(img, cp) || (cp >= 0xD800 && cp <= 0xDFFF)) continue;
        n = step_cp(st, cp, o);
        for (i = 0; i < n; i++) { ob += utf8_len((uint32_t)o[i]); IMG_SET(nx, (uint32_t)o[i]); }
        while (ob > f * utf8_len(cp)) f++;
      }
      if (st->kind == VN_TOKNORM_NFC || st->kind == VN_TOKNORM_NFKC)   /* composition can make any composite */
        for (cp = 0; cp < IMG_N; cp++) {
          int bc = 0;
          if (cp >= 0xD800 && cp <= 0xDFFF) continue;
          if (utf8proc_decompose_char((utf8proc_int32_t)cp, o, 32, UTF8PROC_DECOMPOSE, &bc) > 1) IMG_SET(nx, cp);
        }
      IMG_SET(nx, 0xFFFDu);
    } else if (st->kind == VN_TOKNORM_PRECOMPILED) {   /* keys that can match: a key (or a grapheme) -> its string */
      for (k = 0; k < d->n_pcmap; k++) {
        utf8proc_ssize_t j = 0, l;
        utf8proc_int32_t c;
        int can = 1;
        while ((size_t)j < d->pc_key[k].len &&
               (l = utf8proc_iterate((const utf8proc_uint8_t *)d->pc_key[k].s + j, (utf8proc_ssize_t)d->pc_key[k].len - j, &c)) > 0) {
          if (!IMG_HAS(img, (uint32_t)c)) { can = 0; break; }
          j += l;
        }
        if (!can) continue;
        while (d->pc_val[k].len > f * d->pc_key[k].len) f++;
        img_add(nx, d->pc_val[k].s, d->pc_val[k].len);
      }
    } else if (st->kind == VN_TOKNORM_REPLACE_PROG) {   /* a match is >= 1 byte */
      f = (uint32_t)(st->s2.len ? st->s2.len : 1);
      img_add(nx, st->s2.s, st->s2.len);
    } else if (st->kind == VN_TOKNORM_REPLACE) {
      f = (uint32_t)((st->s2.len + st->s1.len - 1) / (st->s1.len ? st->s1.len : 1));
      img_add(nx, st->s2.s, st->s2.len);
    } else if (st->kind == VN_TOKNORM_PREPEND) {
      img_add(nx, st->s1.s, st->s1.len);
    }
    if (f < 1) f = 1;
    w->nm_mul *= f;
    w->nm_add *= f;
    if (st->kind == VN_TOKNORM_PREPEND) w->nm_add += (uint32_t)st->s1.len;
    if (w->nm_mul > 64 || w->nm_add > 4096) rc = werr(w, VN_ERR_INPUT, "the normalizer can grow text too much");
    memcpy(img, nx, IMG_N / 8);
  }
  free(img);
  free(nx);
  return rc;
}

static VnStatus w_norm(W *w) {
  const VnTokDesc *d = w->d;
  uint32_t nfc_ratio = 1, nfkc_ratio = 1;
  int s, has_nfc = 0;
  (void)nfkc_ratio;
  for (s = 0; s < d->n_norm; s++)
    if (d->norm[s].kind == VN_TOKNORM_NFC || d->norm[s].kind == VN_TOKNORM_NFD ||
        (d->norm[s].kind == VN_TOKNORM_BERT && (d->norm[s].a & VN_TOKBERT_STRIP)))
      has_nfc = 1;
  for (s = 0; s < d->n_norm; s++)
    if (d->norm[s].kind == VN_TOKNORM_NFKC || d->norm[s].kind == VN_TOKNORM_NFKD) has_nfc = 2;
  if (has_nfc && sec_nfc(SECB(w, VN_TOKSEC_NFC_DEC), SECB(w, VN_TOKSEC_NFC_CCC), SECB(w, VN_TOKSEC_NFC_COMP),
                         &nfc_ratio))
    return werr(w, VN_ERR_INTERNAL, "cannot build the NFC tables");
  if (has_nfc == 2 && sec_nfkc(SECB(w, VN_TOKSEC_NFKC_DEC), &nfkc_ratio))
    return werr(w, VN_ERR_INTERNAL, "cannot build the NFKC tables");
  w->nm_mul = 1; w->nm_add = 0; w->pm = 1; w->pa = 0;
  if (d->n_norm) {
    VnStatus st = norm_growth(w);
    if (st != VN_OK) return st;
  }
  for (s = 0; s < d->n_pre; s++) {
    const VnTokcStep *st = &d->pre[s];
    if (st->kind == VN_TOKPRE_BYTELEVEL && st->a) w->pa += 1;
    if (st->kind == VN_TOKPRE_METASPACE) {
      w->pm *= (uint32_t)st->s1.len;
      w->pa = w->pa * (uint32_t)st->s1.len + (uint32_t)st->s1.len;
    }
    if (w->pm > 64 || w->pa > 4096) return werr(w, VN_ERR_INPUT, "the pre-tokenizer can grow text too much");
  }
  return VN_OK;
}

/* PCMAP_TRIE, PCMAP_STR, GRAPH: a Precompiled normalizer's keys (a trie),
 * their replacements, and the grapheme break classes from utf8proc. */
static VnStatus w_pcmap(W *w) {
  const VnTokDesc *d = w->d;
  Buf *st = SECB(w, VN_TOKSEC_PCMAP_STR), *g = SECB(w, VN_TOKSEC_GRAPH);
  TEnt *v;
  int32_t i;
  uint32_t cp, prev = 0, n = 0, off = 0;
  size_t at;
  if (!d->n_pcmap) return VN_OK;
  if (!(v = calloc((size_t)d->n_pcmap, sizeof *v))) return NOMEM(w);
  for (i = 0; i < d->n_pcmap; i++) {
    v[i].s = (const unsigned char *)d->pc_key[i].s;
    v[i].len = d->pc_key[i].len;
    v[i].idx = (uint32_t)i;
  }
  if (sec_trie(SECB(w, VN_TOKSEC_PCMAP_TRIE), v, (size_t)d->n_pcmap)) {
    free(v);
    return werr(w, VN_ERR_INPUT, "the Precompiled charsmap is too large (trie of 2^24 nodes)");
  }
  free(v);
  b_u32(st, (uint32_t)d->n_pcmap);
  for (i = 0; i < d->n_pcmap; i++) {
    b_u32(st, off);
    b_u32(st, (uint32_t)d->pc_val[i].len);
    off += (uint32_t)d->pc_val[i].len;
  }
  b_u32(st, off);
  for (i = 0; i < d->n_pcmap; i++) b_put(st, d->pc_val[i].s, d->pc_val[i].len);
  at = g->n;
  b_u32(g, 0);
  for (cp = 0; cp < 0x110000; cp++) {
    uint32_t c = (cp >= 0xD800 && cp <= 0xDFFF) ? VN_TOKG_CONTROL
                 : (uint32_t)utf8proc_get_property((utf8proc_int32_t)cp)->boundclass;
    if (c < VN_TOKG_OTHER || c > VN_TOKG_EZWJ || (c >= 15 && c <= 18)) c = VN_TOKG_OTHER;
    if (!cp || c != prev) { b_u32(g, cp << 8 | c); n++; prev = c; }
  }
  b_set32(g, at, n);
  return (st->oom || g->oom) ? NOMEM(w) : VN_OK;
}

/* ADDED, TRIE_RAW, TRIE_NORM: the added tokens, and one trie for raw and one
 * for normalized text. */
static VnStatus w_added(W *w) {
  const VnTokDesc *d = w->d;
  Buf *ad = SECB(w, VN_TOKSEC_ADDED);
  TEnt *traw = calloc((size_t)d->n_added + 1, sizeof *traw);
  TEnt *tnorm = calloc((size_t)d->n_added + 1, sizeof *tnorm);
  char **normed = calloc((size_t)d->n_added + 1, sizeof *normed);
  size_t ntr = 0, ntn = 0;
  VnStatus st = VN_OK;
  int32_t i;
  if (!traw || !tnorm || !normed) st = NOMEM(w);
  b_u32(ad, (uint32_t)d->n_added);
  for (i = 0; st == VN_OK && i < d->n_added; i++) {
    const VnTokcAdded *a = &d->added[i];
    b_u32(ad, (uint32_t)a->id);
    b_u32(ad, a->flags);
    if (!a->content.len) continue;         /* HF ignores empty added tokens */
    if (a->flags & VN_TOKADD_NORMALIZED) {
      size_t nl;
      if (!(normed[i] = normalize_str(d, a->content.s, a->content.len, &nl))) { st = NOMEM(w); break; }
      if (!nl) continue;
      tnorm[ntn].s = (const unsigned char *)normed[i]; tnorm[ntn].len = nl; tnorm[ntn].idx = (uint32_t)i;
      ntn++;
    } else {
      traw[ntr].s = (const unsigned char *)a->content.s; traw[ntr].len = a->content.len;
      traw[ntr].idx = (uint32_t)i;
      ntr++;
    }
  }
  if (st == VN_OK && (sec_trie(SECB(w, VN_TOKSEC_TRIE_RAW), traw, ntr) ||
                      sec_trie(SECB(w, VN_TOKSEC_TRIE_NORM), tnorm, ntn)))
    st = werr(w, VN_ERR_INPUT, "the added tokens are too many or too long (trie of 2^24 nodes)");
  if (normed) for (i = 0; i < d->n_added; i++) free(normed[i]);
  free(normed); free(traw); free(tnorm);
  return st;
}

/* NORM, PRE, DEC: the pipeline steps. */
static VnStatus w_steps(W *w) {
  sec_steps(SECB(w, VN_TOKSEC_NORM), w->d->norm, w->d->n_norm);
  sec_steps(SECB(w, VN_TOKSEC_PRE), w->d->pre, w->d->n_pre);
  sec_steps(SECB(w, VN_TOKSEC_DEC), w->d->dec, w->d->n_dec);
  return VN_OK;
}

/* POST, EOG: the post-processor's ids and the end-of-generation ids. */
static VnStatus w_post(W *w) {
  const VnTokDesc *d = w->d;
  Buf *po = SECB(w, VN_TOKSEC_POST), *eo = SECB(w, VN_TOKSEC_EOG);
  int32_t eog[VN_TOKC_MAXIDS + 1];
  int s, ne = 0, wr = 0;
  for (s = 0; s < d->n_prefix + d->n_suffix; s++) {
    int32_t id = s < d->n_prefix ? d->prefix[s] : d->suffix[s - d->n_prefix];
    if (id < 0 || id >= w->nv || !(w->flags[id] & VN_TOKV_PRESENT))
      return werr(w, VN_ERR_INPUT, "post-processor token id %d is not in the vocabulary", (int)id);
  }
  b_u32(po, (uint32_t)d->n_prefix);
  for (s = 0; s < d->n_prefix; s++) b_u32(po, (uint32_t)d->prefix[s]);
  b_u32(po, (uint32_t)d->n_suffix);
  for (s = 0; s < d->n_suffix; s++) b_u32(po, (uint32_t)d->suffix[s]);
  if (d->eos_id >= 0 && d->eos_id < w->nv) eog[ne++] = d->eos_id;
  for (s = 0; s < d->n_eog && s < VN_TOKC_MAXIDS; s++)
    if (d->eog[s] >= 0 && d->eog[s] < w->nv) eog[ne++] = d->eog[s];
  qsort(eog, (size_t)ne, sizeof *eog, id_cmp);
  for (s = 0; s < ne; s++)
    if (!wr || eog[wr - 1] != eog[s]) eog[wr++] = eog[s];
  b_u32(eo, (uint32_t)wr);
  for (s = 0; s < wr; s++) b_u32(eo, (uint32_t)eog[s]);
  return VN_OK;
}

static void b_f64(Buf *b, double x) {
  uint64_t u;
  memcpy(&u, &x, 8);
  b_u32(b, (uint32_t)u);
  b_u32(b, (uint32_t)(u >> 32));
}

/* MODEL, SCORES, UPREFIX for a Unigram model: the scores (min first) and a
 * bitset over FNV-1a of every prefix of every piece, sized 16 bits a prefix. */
static VnStatus w_unigram(W *w) {
  const VnTokDesc *d = w->d;
  Buf *m = SECB(w, VN_TOKSEC_MODEL), *sc = SECB(w, VN_TOKSEC_SCORES), *up = SECB(w, VN_TOKSEC_UPREFIX);
  double mn = 0;
  size_t nbits, npre = 0, k;
  unsigned char *bits;
  int32_t i, seen = 0;
  if (d->unk_id < 0) return werr(w, VN_ERR_INPUT, "a Unigram tokenizer needs unk_id");
  b_u32(m, VN_TOKMODEL_UNIGRAM);
  b_u32(m, 0);
  b_str(m, NULL, 0);
  b_str(m, NULL, 0);
  for (i = 0; i < d->n_vocab; i++)
    if (d->vocab[i].s) {
      if (!seen || d->scores[i] < mn) mn = d->scores[i];
      seen = 1;
      npre += d->vocab[i].len;
    }
  b_f64(sc, mn);
  for (i = 0; i < w->nv; i++) b_f64(sc, i < d->n_vocab && d->vocab[i].s ? d->scores[i] : 0.0);
  for (nbits = 64; nbits < 16 * npre && nbits < ((size_t)1 << 28); nbits *= 2) {}
  if (!(bits = calloc(nbits / 8, 1))) return NOMEM(w);
  for (i = 0; i < d->n_vocab; i++) {
    uint32_t h = 2166136261u;
    if (!d->vocab[i].s) continue;
    for (k = 0; k < d->vocab[i].len; k++) {
      h = (h ^ (unsigned char)d->vocab[i].s[k]) * 16777619u;
      bits[(h & (nbits - 1)) / 8] |= (unsigned char)(1u << ((h & (nbits - 1)) % 8));
    }
  }
  b_u32(up, (uint32_t)nbits);
  b_put(up, bits, nbits / 8);
  free(bits);
  return VN_OK;
}

/* MODEL (WordPiece only) and LOWER (when a BertNormalizer step lowercases). */
static VnStatus w_model(W *w) {
  const VnTokDesc *d = w->d;
  int s, lower = 0;
  if (d->model == VN_TOKMODEL_WORDPIECE) {
    Buf *m = SECB(w, VN_TOKSEC_MODEL);
    if (d->unk_id < 0) return werr(w, VN_ERR_INPUT, "a WordPiece tokenizer needs an unk token");
    b_u32(m, VN_TOKMODEL_WORDPIECE);
    b_u32(m, (uint32_t)d->max_chars);
    b_str(m, d->word_prefix.s, d->word_prefix.len);
    b_str(m, d->cont_prefix.s, d->cont_prefix.len);
  }
  if (d->model == VN_TOKMODEL_UNIGRAM) {
    VnStatus st = w_unigram(w);
    if (st != VN_OK) return st;
  }
  for (s = 0; s < d->n_norm; s++)
    if (d->norm[s].kind == VN_TOKNORM_BERT && (d->norm[s].a & VN_TOKBERT_LOWER)) lower = 1;
  if (lower) {                              /* simple mappings; U+0130 lowercases to two */
    Buf *lo = SECB(w, VN_TOKSEC_LOWER);
    uint32_t cp, n = 0;
    size_t at = lo->n;
    b_u32(lo, 0);
    for (cp = 0; cp < 0x110000; cp++) {
      utf8proc_int32_t l;
      if (cp >= 0xD800 && cp <= 0xDFFF) continue;
      l = utf8proc_tolower((utf8proc_int32_t)cp);
      if (cp == 0x130) { b_u32(lo, cp); b_u32(lo, 'i'); b_u32(lo, 0x307); n++; continue; }
      if ((uint32_t)l == cp) continue;
      b_u32(lo, cp); b_u32(lo, (uint32_t)l); b_u32(lo, 0);
      n++;
    }
    b_set32(lo, at, n);
  }
  return VN_OK;
}

/* UCLASS, PARAMS. */
static VnStatus w_params(W *w) {
  const VnTokDesc *d = w->d;
  uint32_t p[VN_TOKPAR_COUNT];
  int s;
  sec_uclass(SECB(w, VN_TOKSEC_UCLASS));
  p[VN_TOKPAR_FLAGS] = (d->byte_level ? VN_TOKF_BYTE_LEVEL : 0) | (d->byte_fallback ? VN_TOKF_BYTE_FALLBACK : 0) |
                       (d->ignore_merges ? VN_TOKF_IGNORE_MERGES : 0) | (d->fuse_unk ? VN_TOKF_FUSE_UNK : 0);
  p[VN_TOKPAR_NVOCAB] = (uint32_t)w->nv;
  p[VN_TOKPAR_NMERGES] = (uint32_t)d->n_merges;
  p[VN_TOKPAR_UNK] = d->unk_id >= 0 ? (uint32_t)d->unk_id : 0xFFFFFFFFu;
  p[VN_TOKPAR_BOS] = d->bos_id >= 0 && d->bos_id < w->nv ? (uint32_t)d->bos_id : 0xFFFFFFFFu;
  p[VN_TOKPAR_EOS] = d->eos_id >= 0 && d->eos_id < w->nv ? (uint32_t)d->eos_id : 0xFFFFFFFFu;
  p[VN_TOKPAR_NORM_MUL] = w->nm_mul;
  p[VN_TOKPAR_NORM_ADD] = w->nm_add;
  p[VN_TOKPAR_PRE_MUL] = w->pm;
  p[VN_TOKPAR_PRE_ADD] = w->pa;
  p[VN_TOKPAR_MAXPIECE] = (uint32_t)w->maxlen;
  for (s = 0; s < VN_TOKPAR_COUNT; s++) b_u32(SECB(w, VN_TOKSEC_PARAMS), p[s]);
  return VN_OK;
}

/* The blob: header, section table, payloads; then the reader checks it. */
static VnStatus w_assemble(W *w, unsigned char **blob, size_t *len) {
  Buf out = {0};
  uint32_t nsec = 0, off;
  int s;
  VnTok t;
  for (s = 0; s < NSEC; s++) if (w->sec[s].n || s + 1 < VN_TOKSEC_NFC_DEC) nsec++;
  b_put(&out, VN_TOK_MAGIC, 4);
  b_u32(&out, VN_TOK_VERSION);
  b_u32(&out, nsec);
  b_u32(&out, 0);
  off = 16 + 12 * nsec;
  for (s = 0; s < NSEC; s++) {
    if (!(w->sec[s].n || s + 1 < VN_TOKSEC_NFC_DEC)) continue;
    b_u32(&out, (uint32_t)s + 1);
    b_u32(&out, off);
    b_u32(&out, (uint32_t)w->sec[s].n);
    if (w->sec[s].oom) { free(out.p); return NOMEM(w); }
    if (off + (uint64_t)w->sec[s].n > 0xFFFFFFFFu) { free(out.p); return werr(w, VN_ERR_INPUT, "tokenizer too large (over 4 GiB)"); }
    off += (uint32_t)w->sec[s].n;
  }
  for (s = 0; s < NSEC; s++)
    if (w->sec[s].n || s + 1 < VN_TOKSEC_NFC_DEC) b_put(&out, w->sec[s].p, w->sec[s].n);
  b_set32(&out, 12, (uint32_t)out.n);
  if (out.oom) { free(out.p); return NOMEM(w); }
  if (vn_tok_load(&t, out.p, out.n)) { free(out.p); return vn_internal(w->ctx, "%s: the blob does not load", w->d->file); }
  *blob = out.p;
  *len = out.n;
  return VN_OK;
}

static void w_free(W *w) {
  int s;
  for (s = 0; s < NSEC; s++) free(w->sec[s].p);
  free(w->pool_off); free(w->flags); free(w->addidx); free(w->tmp); free(w->src.slot); free(w->slots);
}

VnStatus vn_tokc_compile_desc(VnCtx *ctx, const VnTokDesc *d, unsigned char **blob, size_t *len) {
  W w;
  VnStatus st;
  memset(&w, 0, sizeof w);
  w.ctx = ctx;
  w.d = d;
  *blob = NULL;
  *len = 0;
  if ((st = w_init(&w)) == VN_OK && (st = w_pieces(&w)) == VN_OK && (st = w_vhash(&w)) == VN_OK &&
      (st = w_wall(&w)) == VN_OK && (st = w_bytes(&w)) == VN_OK && (st = w_merges(&w)) == VN_OK &&
      (st = w_norm(&w)) == VN_OK && (st = w_added(&w)) == VN_OK && (st = w_steps(&w)) == VN_OK &&
      (st = w_post(&w)) == VN_OK && (st = w_model(&w)) == VN_OK && (st = w_pcmap(&w)) == VN_OK &&
      (st = w_params(&w)) == VN_OK)
    st = w_assemble(&w, blob, len);
  w_free(&w);
  return st;
}

/* ---- (a) tokenizer.json -> description ---- */

typedef struct Front {
  VnCtx *ctx;
  const char *file;
  VnTokDesc *d;
  Map ids;                     /* token string -> id: added tokens, then model vocab */
  char *progs[VN_TOKC_MAXSTEPS];  /* compiled split regexes (freed with the front) */
  int nprogs;
  unsigned char other[8 * 512];   /* BertNormalizer clean_text: the ranges HF drops */
  unsigned char marks[8 * 1024];  /* StripAccents: the ranges of M* (HF's is_combining_mark) */
  size_t n_marks;
  double *scores;                 /* Unigram piece scores (freed with the front) */
  unsigned char *pc_blob;         /* Precompiled: the decoded charsmap, its keys, their replacements */
  VnTokcStr *pc_key, *pc_val;
  int32_t n_pc;
  size_t n_other;
} Front;

/* HF's StripAccents drops every combining mark (Mn Mc Me: its is_combining_mark,
 * where BertNormalizer's strip_accents drops Mn alone): their ranges. */
static void mark_ranges(Front *f) {
  uint32_t cp, lo = 0;
  int in = 0;
  f->n_marks = 0;
  for (cp = 0; cp <= 0x110000; cp++) {
    int c = 0;
    if (cp < 0x110000) {
      utf8proc_category_t k = utf8proc_category((utf8proc_int32_t)cp);
      c = k == UTF8PROC_CATEGORY_MN || k == UTF8PROC_CATEGORY_MC || k == UTF8PROC_CATEGORY_ME;
    }
    if (c && !in) { lo = cp; in = 1; }
    if (!c && in && f->n_marks + 8 <= sizeof f->marks) {
      uint32_t v[2] = {lo, cp - 1};
      int k;
      for (k = 0; k < 8; k++) f->marks[f->n_marks + (size_t)k] = (unsigned char)(v[k / 4] >> (8 * (k % 4)));
      f->n_marks += 8;
      in = 0;
    }
  }
}

/* HF's BertNormalizer drops "other" characters (Cc Cf Cs Co; not Cn, which its
 * category tables do not list) but \t \n \r: their ranges as u32 pairs
 * {first, last} for the step's first string. */
static void other_ranges(Front *f) {
  uint32_t cp, lo = 0;
  int in = 0;
  f->n_other = 0;
  for (cp = 0; cp <= 0x110000; cp++) {
    int c = 0;
    if (cp < 0x110000) {
      utf8proc_category_t k = utf8proc_category((utf8proc_int32_t)cp);
      c = (k == UTF8PROC_CATEGORY_CC || k == UTF8PROC_CATEGORY_CF || k == UTF8PROC_CATEGORY_CS ||
           k == UTF8PROC_CATEGORY_CO) && cp != '\t' && cp != '\n' && cp != '\r';
    }
    if (c && !in) { lo = cp; in = 1; }
    if (!c && in && f->n_other + 8 <= sizeof f->other) {
      uint32_t v[2] = {lo, cp - 1};
      int k;
      for (k = 0; k < 8; k++) f->other[f->n_other + (size_t)k] = (unsigned char)(v[k / 4] >> (8 * (k % 4)));
      f->n_other += 8;
      in = 0;
    }
  }
}

static VnStatus ferr(Front *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static VnStatus ferr(Front *f, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return vn_errorf(f->ctx, VN_ERR_INPUT, (VnLoc){f->file, 0}, "%s", msg);
}
#define FNOMEM(f) vn_errorf((f)->ctx, VN_ERR_NOMEM, (VnLoc){(f)->file, 0}, "out of memory")

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

static VnStatus add_step(Front *f, VnTokcStep *arr, int *n, const char *what, VnTokcStep st) {
  if (*n >= VN_TOKC_MAXSTEPS) return ferr(f, "too many %s steps", what);
  arr[(*n)++] = st;
  return VN_OK;
}

/* Calls leaf(f, node) on each node of a pipeline that is not a Sequence, in
 * order, whatever the nesting: an explicit stack, never recursion (the JSON
 * decides the depth). key: the Sequence's list ("normalizers", ...). */
typedef VnStatus (*LeafFn)(Front *f, json_t *n);
typedef struct SeqAt { json_t *arr; size_t at; } SeqAt;
static VnStatus each_leaf(Front *f, json_t *n, const char *key, LeafFn leaf) {
  SeqAt *stk;
  size_t sp = 1, cap = 16;
  VnStatus st = VN_OK;
  if (!n || json_is_null(n)) return VN_OK;
  if (strcmp(jtype(n), "Sequence")) return leaf(f, n);
  if (!(stk = malloc(cap * sizeof *stk))) return FNOMEM(f);
  stk[0].arr = json_object_get(n, key);
  stk[0].at = 0;
  while (sp && st == VN_OK) {
    SeqAt *top = &stk[sp - 1];
    json_t *x;
    if (!json_is_array(top->arr) || top->at >= json_array_size(top->arr)) { sp--; continue; }
    x = json_array_get(top->arr, top->at++);
    if (json_is_null(x) || strcmp(jtype(x), "Sequence")) { st = leaf(f, x); continue; }
    if (sp == cap) {
      SeqAt *q = realloc(stk, 2 * cap * sizeof *stk);
      if (!q) { st = FNOMEM(f); break; }
      stk = q;
      cap *= 2;
    }
    stk[sp].arr = json_object_get(x, key);
    stk[sp++].at = 0;
  }
  free(stk);
  return st;
}

/* A Replace/Split pattern: {"String": s} or {"Regex": r}. *is_re says which. */
static VnStatus pattern(Front *f, json_t *p, VnTokcStr *s, int *is_re) {
  json_t *v;
  if ((v = json_object_get(p, "String")) && json_is_string(v)) { *s = jstr(v); *is_re = 0; return VN_OK; }
  if ((v = json_object_get(p, "Regex")) && json_is_string(v)) { *s = jstr(v); *is_re = 1; return VN_OK; }
  return ferr(f, "pattern is neither {\"String\"} nor {\"Regex\"}");
}

/* A regex that is a plain literal (no metacharacters) can be matched as one. */
static int regex_literal(VnTokcStr s) {
  size_t i;
  for (i = 0; i < s.len; i++)
    if (strchr("\\^$.|?*+()[]{}", s.s[i])) return 0;
  return s.len > 0;
}

/* base64 (standard alphabet, '=' padding) into out; the decoded length, or -1. */
static long b64_decode(const char *s, size_t n, unsigned char *out) {
  uint32_t acc = 0;
  int bits = 0;
  long o = 0;
  size_t i;
  for (i = 0; i < n; i++) {
    int c = (unsigned char)s[i], v;
    if (c == '=') break;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else return -1;
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) { bits -= 8; out[o++] = (unsigned char)(acc >> bits); }
  }
  return o;
}

/* Precompiled: SentencePiece's charsmap, u32 trie size, a darts-clone double
 * array (u32 units) and the NUL-terminated replacements. Every key is walked
 * out of the array with an explicit stack (keys of at most 64 bytes; the walk
 * visits each unit once). */
static VnStatus precompiled(Front *f, json_t *n) {
  VnTokcStr b64 = jstr(json_object_get(n, "precompiled_charsmap"));
  long len;
  uint32_t tsize, nu, *u;
  struct { uint32_t node; int c; int depth; } stk[65];
  unsigned char key[65];
  size_t cap = 0, sp, hits = 0;
  if (f->pc_blob) return ferr(f, "unsupported: two Precompiled normalizers");
  if (!b64.s || !b64.len) return ferr(f, "Precompiled normalizer without precompiled_charsmap");
  if (!(f->pc_blob = malloc(b64.len))) return FNOMEM(f);
  len = b64_decode(b64.s, b64.len, f->pc_blob);
  if (len < 4) return ferr(f, "Precompiled normalizer: precompiled_charsmap is not base64 of a charsmap");
  tsize = (uint32_t)f->pc_blob[0] | (uint32_t)f->pc_blob[1] << 8 | (uint32_t)f->pc_blob[2] << 16 | (uint32_t)f->pc_blob[3] << 24;
  if (tsize % 4 || tsize < 4 || tsize > (uint32_t)len - 4) return ferr(f, "Precompiled normalizer: bad charsmap trie size");
  nu = tsize / 4;
  if (!(u = malloc((size_t)nu * 4))) return FNOMEM(f);
  for (uint32_t i = 0; i < nu; i++) {
    const unsigned char *q = f->pc_blob + 4 + 4 * (size_t)i;
    u[i] = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
  }
#define DA_OFF(x) (((x) >> 10) << (((x) & (1u << 9)) >> 6))
#define DA_LABEL(x) ((x) & ((1u << 31) | 0xFFu))
  sp = 0;
  stk[0].node = DA_OFF(u[0]);                 /* the root's children are at node ^ c */
  stk[0].c = 1;
  stk[0].depth = 0;
  sp = 1;
  while (sp) {
    uint32_t base = stk[sp - 1].node, child;
    int c = stk[sp - 1].c, d = stk[sp - 1].depth;
    if (c > 255) { sp--; continue; }
    stk[sp - 1].c = c + 1;
    child = base ^ (uint32_t)c;
    if (child >= nu || DA_LABEL(u[child]) != (uint32_t)c) continue;
    if (++hits > nu) { free(u); return ferr(f, "Precompiled normalizer: the charsmap trie is malformed (a cycle)"); }
    key[d] = (unsigned char)c;
    if ((u[child] >> 8) & 1) {                  /* a key ends here: its value at child ^ offset */
      uint32_t leaf = child ^ DA_OFF(u[child]), val;
      const char *r;
      if (leaf >= nu) { free(u); return ferr(f, "Precompiled normalizer: charsmap value out of range"); }
      val = u[leaf] & 0x7FFFFFFFu;
      if (val >= (uint32_t)len - 4 - tsize) { free(u); return ferr(f, "Precompiled normalizer: charsmap string out of range"); }
      r = (const char *)f->pc_blob + 4 + tsize + val;
      if (!memchr(r, 0, (size_t)len - 4 - tsize - val)) { free(u); return ferr(f, "Precompiled normalizer: unterminated charsmap string"); }
      if ((size_t)f->n_pc == cap) {
        size_t nc = cap ? 2 * cap : 1024;
        VnTokcStr *a = realloc(f->pc_key, nc * sizeof *a), *b;
        if (a) f->pc_key = a;
        b = a ? realloc(f->pc_val, nc * sizeof *b) : NULL;
        if (!a || !b) { free(u); return FNOMEM(f); }
        f->pc_val = b;
        cap = nc;
      }
      if (!(f->pc_key[f->n_pc].s = malloc((size_t)d + 1))) { free(u); return FNOMEM(f); }
      memcpy((char *)f->pc_key[f->n_pc].s, key, (size_t)d + 1);
      f->pc_key[f->n_pc].len = (size_t)d + 1;
      f->pc_val[f->n_pc].s = r;
      f->pc_val[f->n_pc].len = strlen(r);
      f->n_pc++;
      if (f->n_pc >= (1 << 22)) { free(u); return ferr(f, "Precompiled normalizer: charsmap too large"); }
    }
    if (d + 1 >= 64) {                          /* a longer key would not fit the walk: refuse it */
      uint32_t nb = child ^ DA_OFF(u[child]), cc;
      for (cc = 1; cc < 256; cc++)
        if ((nb ^ cc) < nu && DA_LABEL(u[nb ^ cc]) == cc) {
          free(u);
          return ferr(f, "Precompiled normalizer: a charsmap key is longer than 64 bytes");
        }
      continue;
    }
    stk[sp].node = child ^ DA_OFF(u[child]);
    stk[sp].c = 1;
    stk[sp].depth = d + 1;
    sp++;
  }
#undef DA_OFF
#undef DA_LABEL
  free(u);
  f->d->n_pcmap = f->n_pc;
  f->d->pc_key = f->pc_key;
  f->d->pc_val = f->pc_val;
  return VN_OK;
}

static VnStatus norm_one(Front *f, json_t *n) {
  VnTokDesc *d = f->d;
  VnTokcStep st;
  const char *ty;
  VnStatus s;
  memset(&st, 0, sizeof st);
  ty = jtype(n);
  if (!strcmp(ty, "NFC")) st.kind = VN_TOKNORM_NFC;
  else if (!strcmp(ty, "NFD")) st.kind = VN_TOKNORM_NFD;
  else if (!strcmp(ty, "NFKC")) st.kind = VN_TOKNORM_NFKC;
  else if (!strcmp(ty, "Precompiled")) {
    if ((s = precompiled(f, n)) != VN_OK) return s;
    st.kind = VN_TOKNORM_PRECOMPILED;
  }
  else if (!strcmp(ty, "NFKD")) st.kind = VN_TOKNORM_NFKD;
  else if (!strcmp(ty, "Strip")) {
    st.kind = VN_TOKNORM_STRIP;
    st.a = jbool(n, "strip_left", 1);
    st.b = jbool(n, "strip_right", 1);
  }
  else if (!strcmp(ty, "BertNormalizer")) {   /* strip_accents null: as lowercase */
    json_t *sa = json_object_get(n, "strip_accents");
    int lower = jbool(n, "lowercase", 1);
    st.kind = VN_TOKNORM_BERT;
    st.a = (jbool(n, "clean_text", 1) ? VN_TOKBERT_CLEAN : 0) | (jbool(n, "handle_chinese_chars", 1) ? VN_TOKBERT_CHINESE : 0) |
           ((json_is_boolean(sa) ? json_is_true(sa) : lower) ? VN_TOKBERT_STRIP : 0) | (lower ? VN_TOKBERT_LOWER : 0);
    if (st.a & VN_TOKBERT_CLEAN) {
      if (!f->n_other) other_ranges(f);
      st.s1.s = (const char *)f->other;
      st.s1.len = f->n_other;
    }
  } else if (!strcmp(ty, "Lowercase")) {
    st.kind = VN_TOKNORM_BERT;
    st.a = VN_TOKBERT_LOWER;
  } else if (!strcmp(ty, "StripAccents")) {
    st.kind = VN_TOKNORM_BERT;
    st.a = VN_TOKBERT_MARKS;
    if (!f->n_marks) mark_ranges(f);
    st.s1.s = (const char *)f->marks;
    st.s1.len = f->n_marks;
  }
  else if (!strcmp(ty, "Prepend")) {
    st.kind = VN_TOKNORM_PREPEND;
    st.s1 = jstr(json_object_get(n, "prepend"));
    if (!st.s1.s) return ferr(f, "Prepend normalizer without \"prepend\"");
  } else if (!strcmp(ty, "Replace")) {
    int re;
    st.kind = VN_TOKNORM_REPLACE;
    if ((s = pattern(f, json_object_get(n, "pattern"), &st.s1, &re)) != VN_OK) return s;
    st.s2 = jstr(json_object_get(n, "content"));
    if (!st.s2.s || !st.s1.len) return ferr(f, "Replace normalizer without pattern or content");
    if (re && !regex_literal(st.s1)) {         /* compiled for the runtime's matcher */
      VnTokcStr prog;
      if (f->nprogs == VN_TOKC_MAXSTEPS) return ferr(f, "too many regexes");
      if ((s = vn_tokc_regex(f->ctx, f->file, st.s1.s, st.s1.len, &prog)) != VN_OK) return s;
      f->progs[f->nprogs++] = (char *)prog.s;
      st.kind = VN_TOKNORM_REPLACE_PROG;
      st.s1 = prog;
    }
  } else {
    return ferr(f, "unsupported normalizer '%s'", ty);
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

static VnStatus behaviour(Front *f, json_t *o, int *b) {
  static const char *const names[] = {"Removed", "Isolated", "MergedWithPrevious", "MergedWithNext",
                                      "Contiguous"};
  json_t *v = json_object_get(o, "behavior");
  int i;
  for (i = 0; i < 5; i++)
    if (json_is_string(v) && !strcmp(json_string_value(v), names[i])) { *b = i; return VN_OK; }
  return ferr(f, "Split pre-tokenizer with unknown behavior");
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

/* Metaspace, as a pre-tokenizer or a decoder: one replacement character and
 * the prepend scheme */
static VnStatus metaspace(Front *f, json_t *n, int kind, VnTokcStep *st) {
  st->kind = kind;
  st->s1 = jstr(json_object_get(n, "replacement"));
  if (nchars(st->s1) != 1) return ferr(f, "Metaspace replacement must be one character");
  st->a = prepend_scheme(n);
  return VN_OK;
}

static VnStatus pre_one(Front *f, json_t *n) {
  VnTokDesc *d = f->d;
  VnTokcStep st;
  const char *ty;
  VnStatus s;
  memset(&st, 0, sizeof st);
  ty = jtype(n);
  if (d->n_pre && d->pre[d->n_pre - 1].kind == VN_TOKPRE_BYTELEVEL)
    return ferr(f, "unsupported pre-tokenizer: '%s' after ByteLevel", ty);
  if (!strcmp(ty, "Split")) {
    int re;
    if ((s = pattern(f, json_object_get(n, "pattern"), &st.s1, &re)) != VN_OK ||
        (s = behaviour(f, n, &st.b)) != VN_OK)
      return s;
    st.c = jbool(n, "invert", 0);
    if (re && !regex_literal(st.s1)) {
      char buf[64];
      st.kind = VN_TOKPRE_SPLIT_REGEX;
      (void)buf;
      if (!strcmp(st.s1.s, RE_BYTELEVEL)) st.a = VN_TOKRE_BYTELEVEL;
      else if (!strcmp(st.s1.s, RE_CL100K)) st.a = VN_TOKRE_CL100K;
      else if (!strcmp(st.s1.s, RE_CL100K_N1)) st.a = VN_TOKRE_CL100K_N1;
      else {                              /* any other: compiled for the runtime's matcher */
        VnTokcStr prog;
        if (f->nprogs == VN_TOKC_MAXSTEPS) return ferr(f, "too many split regexes");
        if ((s = vn_tokc_regex(f->ctx, f->file, st.s1.s, st.s1.len, &prog)) != VN_OK) return s;
        f->progs[f->nprogs++] = (char *)prog.s;
        st.kind = VN_TOKPRE_SPLIT_PROG;
        st.s1 = prog;
        return add_step(f, d->pre, &d->n_pre, "pre-tokenizer", st);
      }
      st.s1.s = NULL;
      st.s1.len = 0;
    } else {
      st.kind = VN_TOKPRE_SPLIT_STRING;
      if (!st.s1.len) return ferr(f, "Split pre-tokenizer with an empty pattern");
    }
  } else if (!strcmp(ty, "ByteLevel")) {
    st.kind = VN_TOKPRE_BYTELEVEL;
    st.a = jbool(n, "add_prefix_space", 1);
    st.b = jbool(n, "use_regex", 1);
    d->byte_level = 1;
  } else if (!strcmp(ty, "Metaspace")) {
    if ((s = metaspace(f, n, VN_TOKPRE_METASPACE, &st)) != VN_OK) return s;
    st.b = jbool(n, "split", 1);
  } else if (!strcmp(ty, "Digits")) {
    st.kind = VN_TOKPRE_DIGITS;
    st.a = jbool(n, "individual_digits", 0);
  } else if (!strcmp(ty, "BertPreTokenizer")) {
    st.kind = VN_TOKPRE_BERT;
  } else if (!strcmp(ty, "WhitespaceSplit") || !strcmp(ty, "Whitespace")) {
    /* HF: split on white space, removed; Whitespace: the matches of \w+|[^\w\s]+ kept */
    VnTokcStr prog;
    int ws = !strcmp(ty, "WhitespaceSplit");
    const char *re = ws ? "\\s+" : "\\w+|[^\\w\\s]+";
    if (f->nprogs == VN_TOKC_MAXSTEPS) return ferr(f, "too many split regexes");
    if ((s = vn_tokc_regex(f->ctx, f->file, re, strlen(re), &prog)) != VN_OK) return s;
    f->progs[f->nprogs++] = (char *)prog.s;
    st.kind = VN_TOKPRE_SPLIT_PROG;
    st.s1 = prog;
    st.b = VN_TOKSPLIT_REMOVED;
    st.c = !ws;
  } else {
    return ferr(f, "unsupported pre-tokenizer '%s'", ty);
  }
  return add_step(f, d->pre, &d->n_pre, "pre-tokenizer", st);
}

static VnStatus dec_one(Front *f, json_t *n) {
  VnTokDesc *d = f->d;
  VnTokcStep st;
  const char *ty = jtype(n);
  VnStatus s;
  memset(&st, 0, sizeof st);
  {
    if (!strcmp(ty, "ByteLevel")) st.kind = VN_TOKDEC_BYTELEVEL;
    else if (!strcmp(ty, "ByteFallback")) st.kind = VN_TOKDEC_BYTEFALLBACK;
    else if (!strcmp(ty, "Fuse")) st.kind = VN_TOKDEC_FUSE;
    else if (!strcmp(ty, "Replace")) {
      int re;
      st.kind = VN_TOKDEC_REPLACE;
      if ((s = pattern(f, json_object_get(n, "pattern"), &st.s1, &re)) != VN_OK) return s;
      st.s2 = jstr(json_object_get(n, "content"));
      if (nchars(st.s1) != 1 || (re && !regex_literal(st.s1)) || !st.s2.s ||
          memchr(st.s2.s, '<', st.s2.len) || memchr(st.s2.s, '>', st.s2.len) ||
          strchr("<>x0123456789abcdefABCDEF", st.s1.s[0]))
        return ferr(f, "unsupported Replace decoder (only one character -> text)");
    } else if (!strcmp(ty, "Strip")) {
      json_t *c = json_object_get(n, "content");
      st.kind = VN_TOKDEC_STRIP;
      st.s1 = jstr(c);
      st.a = (int)json_integer_value(json_object_get(n, "start"));
      if (nchars(st.s1) != 1 || json_integer_value(json_object_get(n, "stop")) != 0 || st.a < 0)
        return ferr(f, "unsupported Strip decoder (only one character, stop 0)");
    } else if (!strcmp(ty, "Metaspace")) {
      if ((s = metaspace(f, n, VN_TOKDEC_METASPACE, &st)) != VN_OK) return s;
    } else if (!strcmp(ty, "WordPiece")) {
      st.kind = VN_TOKDEC_WORDPIECE;
      st.s1 = jstr(json_object_get(n, "prefix"));
      if (!st.s1.s) { st.s1.s = "##"; st.s1.len = 2; }
      if (st.s1.len > 64) return ferr(f, "WordPiece decoder prefix is longer than 64 bytes");
      st.a = jbool(n, "cleanup", 1);
    } else {
      return ferr(f, "unsupported decoder '%s'", ty);
    }
    return add_step(f, d->dec, &d->n_dec, "decoder", st);
  }
}

static VnStatus dec_json(Front *f, json_t *n) {
  VnTokDesc *d = f->d;
  VnTokcStep st;
  int k, seen_bf = 0, seen_fuse = 0;
  VnStatus s;
  memset(&st, 0, sizeof st);
  if (!n || json_is_null(n)) {
    st.kind = VN_TOKDEC_JOIN_SPACE;
    return add_step(f, d->dec, &d->n_dec, "decoder", st);
  }
  if ((s = each_leaf(f, n, "decoders", dec_one)) != VN_OK) return s;
  /* what the runtime can run: ByteLevel alone; or per-token steps, then
   * ByteFallback, then Fuse, then Strip */
  for (k = 0; k < d->n_dec; k++) {
    int kind = d->dec[k].kind;
    if (kind == VN_TOKDEC_BYTELEVEL && d->n_dec != 1)
      return ferr(f, "unsupported decoder: ByteLevel combined with other decoders");
    if (kind == VN_TOKDEC_WORDPIECE && d->n_dec != 1)
      return ferr(f, "unsupported decoder: WordPiece combined with other decoders");
    if (kind == VN_TOKDEC_BYTEFALLBACK) seen_bf = 1;
    else if (kind == VN_TOKDEC_FUSE) seen_fuse = 1;
    else if (kind == VN_TOKDEC_STRIP && seen_bf && !seen_fuse)
      return ferr(f, "unsupported decoder: Strip between ByteFallback and Fuse");
    else if ((kind == VN_TOKDEC_REPLACE || kind == VN_TOKDEC_METASPACE) && (seen_bf || seen_fuse))
      return ferr(f, "unsupported decoder: Replace/Metaspace after ByteFallback or Fuse");
  }
  return VN_OK;
}

static int32_t token_id(Front *f, json_t *v) {
  VnTokcStr s;
  if (json_is_object(v)) v = json_object_get(v, "content");
  s = jstr(v);
  return s.s ? map_get(&f->ids, s.s, s.len) : -1;
}

static VnStatus post_one(Front *f, json_t *n) {
  VnTokDesc *d = f->d;
  const char *ty = jtype(n);
  if (!strcmp(ty, "ByteLevel")) return VN_OK;
  if (!strcmp(ty, "TemplateProcessing")) {
    json_t *single = json_object_get(n, "single"), *sp = json_object_get(n, "special_tokens"), *it;
    int32_t pre[VN_TOKC_MAXIDS], suf[VN_TOKC_MAXIDS];
    int np = 0, ns = 0, seen_a = 0, k;
    size_t i, j;
    json_array_foreach(single, i, it) {
      json_t *tok = json_object_get(it, "SpecialToken"), *ent, *idv, *ids;
      if (json_object_get(it, "Sequence")) { seen_a = 1; continue; }
      if (!tok) return ferr(f, "TemplateProcessing: unknown template piece");
      idv = json_object_get(tok, "id");
      ent = json_is_string(idv) ? json_object_get(sp, json_string_value(idv)) : NULL;
      ids = json_object_get(ent, "ids");
      if (!json_is_array(ids))
        return ferr(f, "TemplateProcessing: special token %s has no ids",
                    json_is_string(idv) ? json_string_value(idv) : "?");
      for (j = 0; j < json_array_size(ids); j++) {
        int32_t id = (int32_t)json_integer_value(json_array_get(ids, j));
        if (seen_a ? ns >= VN_TOKC_MAXIDS : np >= VN_TOKC_MAXIDS)
          return ferr(f, "TemplateProcessing: template too long");
        if (seen_a) suf[ns++] = id;
        else pre[np++] = id;
      }
    }
    /* nested processors wrap: later prefixes go outside earlier ones */
    if (d->n_prefix + np > VN_TOKC_MAXIDS || d->n_suffix + ns > VN_TOKC_MAXIDS)
      return ferr(f, "post-processor adds too many tokens");
    memmove(d->prefix + np, d->prefix, (size_t)d->n_prefix * sizeof *d->prefix);
    for (k = 0; k < np; k++) d->prefix[k] = pre[k];
    for (k = 0; k < ns; k++) d->suffix[d->n_suffix + k] = suf[k];
    d->n_prefix += np;
    d->n_suffix += ns;
    return VN_OK;
  }
  if (!strcmp(ty, "RobertaProcessing") || !strcmp(ty, "BertProcessing")) {
    json_t *cls = json_object_get(n, "cls"), *sep = json_object_get(n, "sep");
    if (!json_is_array(cls) || !json_is_array(sep))
      return ferr(f, "%s without cls/sep", ty);
    if (d->n_prefix + 1 > VN_TOKC_MAXIDS || d->n_suffix + 1 > VN_TOKC_MAXIDS)
      return ferr(f, "post-processor adds too many tokens");
    memmove(d->prefix + 1, d->prefix, (size_t)d->n_prefix * sizeof *d->prefix);
    d->prefix[0] = (int32_t)json_integer_value(json_array_get(cls, 1));
    d->suffix[d->n_suffix] = (int32_t)json_integer_value(json_array_get(sep, 1));
    d->n_prefix++;
    d->n_suffix++;
    return VN_OK;
  }
  return ferr(f, "unsupported post-processor '%s'", ty);
}

/* flags: JSON_DECODE_INT_AS_REAL for tokenizer_config.json, whose
 * model_max_length is often 1e30 written as an integer. */
static json_t *load_json(VnCtx *ctx, const char *path, size_t flags) {
  json_error_t je;
  json_t *j;
  char *text = NULL, *q;
  size_t n = 0, cap = 0, r;
  FILE *fp = fopen(path, "rb");
  if (!fp) { vn_errorf(ctx, VN_ERR_IO, (VnLoc){path, 0}, "cannot open: %s", strerror(errno)); return NULL; }
  do {                                   /* whole file, then json_loadb: faster than getc */
    if (n + 65536 > cap) {
      cap = cap ? 2 * cap : 1 << 20;
      if (!(q = realloc(text, cap))) {
        free(text);
        fclose(fp);
        vn_errorf(ctx, VN_ERR_NOMEM, (VnLoc){path, 0}, "out of memory");
        return NULL;
      }
      text = q;
    }
    n += r = fread(text + n, 1, cap - n, fp);
  } while (r > 0);
  if (ferror(fp)) {
    free(text);
    fclose(fp);
    vn_errorf(ctx, VN_ERR_IO, (VnLoc){path, 0}, "cannot read: %s", strerror(errno));
    return NULL;
  }
  fclose(fp);
  j = json_loadb(text, n, JSON_ALLOW_NUL | flags, &je);
  free(text);
  if (!j) {
    vn_errorf(ctx, VN_ERR_INPUT, (VnLoc){path, 0}, "invalid JSON at line %d column %d: %s", je.line, je.column, je.text);
    return NULL;
  }
  if (!json_is_object(j)) {
    json_decref(j);
    vn_errorf(ctx, VN_ERR_INPUT, (VnLoc){path, 0}, "not a JSON object");
    return NULL;
  }
  return j;
}

/* model: the BPE or WordPiece options */
static VnStatus json_model(Front *f, json_t *model) {
  VnTokDesc *d = f->d;
  json_t *v;
  const char *ty;
  if (!json_is_object(model)) return ferr(f, "no \"model\" object");
  ty = jtype(model);
  if (!strcmp(ty, "Unigram")) {
    if (!json_is_array(json_object_get(model, "vocab"))) return ferr(f, "Unigram model without a vocab list");
    d->model = VN_TOKMODEL_UNIGRAM;
    d->byte_fallback = jbool(model, "byte_fallback", 0);
    d->fuse_unk = 1;                           /* HF's Unigram always fuses unknown characters */
    return VN_OK;
  }
  if (!strcmp(ty, "WordPiece")) {
    if (!json_is_object(json_object_get(model, "vocab"))) return ferr(f, "WordPiece model without vocab");
    d->model = VN_TOKMODEL_WORDPIECE;
    d->cont_prefix = jstr(json_object_get(model, "continuing_subword_prefix"));
    if (!d->cont_prefix.s) { d->cont_prefix.s = "##"; d->cont_prefix.len = 2; }
    if (d->cont_prefix.len > 64) return ferr(f, "WordPiece continuing_subword_prefix is longer than 64 bytes");
    v = json_object_get(model, "max_input_chars_per_word");
    d->max_chars = json_is_integer(v) ? (int32_t)json_integer_value(v) : 100;
    if (json_is_integer(v) && (json_integer_value(v) < 0 || json_integer_value(v) > (1 << 30)))
      return ferr(f, "WordPiece max_input_chars_per_word is out of range");
    return VN_OK;
  }
  if (strcmp(ty, "BPE") && !(!*ty && json_is_array(json_object_get(model, "merges"))))
    return ferr(f, "unsupported model type '%s' (venus supports BPE, WordPiece and Unigram; venusc compile --no-tokenizer makes a binary of token ids)",
                *ty ? ty : "?");
  if (!json_is_object(json_object_get(model, "vocab")) || !json_is_array(json_object_get(model, "merges")))
    return ferr(f, "BPE model without vocab/merges");
  if ((v = json_object_get(model, "dropout")) && !json_is_null(v) && json_number_value(v) != 0)
    return ferr(f, "BPE dropout is not supported");
  if ((jstr(json_object_get(model, "continuing_subword_prefix")).len) ||
      (jstr(json_object_get(model, "end_of_word_suffix")).len))
    return ferr(f, "BPE continuing_subword_prefix/end_of_word_suffix are not supported");
  d->byte_fallback = jbool(model, "byte_fallback", 0);
  d->fuse_unk = jbool(model, "fuse_unk", 0);
  d->ignore_merges = jbool(model, "ignore_merges", 0);
  return VN_OK;
}

/* model.vocab: id -> piece, the exact bytes of each key (NUL included) */
static VnStatus json_vocab(Front *f, json_t *vocab) {
  VnTokDesc *d = f->d;
  const char *key;
  json_t *v;
  void *it;
  int32_t maxid = -1;
  json_object_foreach(vocab, key, v) {
    json_int_t id = json_integer_value(v);
    if (!json_is_integer(v) || id < 0 || id >= (1 << 27))
      return ferr(f, "vocab entry \"%.40s\" has a bad id", key);
    if (id > maxid) maxid = (int32_t)id;
  }
  d->n_vocab = maxid + 1;
  d->vocab = calloc((size_t)d->n_vocab + 1, sizeof *d->vocab);
  if (!d->vocab || map_init(&f->ids, json_object_size(vocab) + 1024)) return FNOMEM(f);
  for (it = json_object_iter(vocab); it; it = json_object_iter_next(vocab, it)) {
    json_int_t id = json_integer_value(json_object_iter_value(it));
    if (!d->vocab[id].s) {
      d->vocab[id].s = json_object_iter_key(it);
      d->vocab[id].len = json_object_iter_key_len(it);
    }
  }
  return VN_OK;
}

/* Unigram model.vocab: [[piece, score], ...], id = position; a piece listed
 * twice is refused (HF's map would keep one of them). */
static VnStatus json_vocab_list(Front *f, json_t *vocab) {
  VnTokDesc *d = f->d;
  json_t *x;
  size_t i;
  double *sc;
  Map seen;
  if (json_array_size(vocab) == 0) return ferr(f, "Unigram model with an empty vocab");
  if (json_array_size(vocab) >= (1 << 27)) return ferr(f, "Unigram vocab too large");
  d->n_vocab = (int32_t)json_array_size(vocab);
  d->vocab = calloc((size_t)d->n_vocab + 1, sizeof *d->vocab);
  sc = calloc((size_t)d->n_vocab + 1, sizeof *sc);
  if (!d->vocab || !sc || map_init(&f->ids, (size_t)d->n_vocab + 1024) || map_init(&seen, (size_t)d->n_vocab)) {
    free(sc);
    return FNOMEM(f);
  }
  f->scores = sc;
  d->scores = sc;
  json_array_foreach(vocab, i, x) {
    VnTokcStr p = jstr(json_array_get(x, 0));
    json_t *v = json_array_get(x, 1);
    if (!json_is_array(x) || json_array_size(x) != 2 || !p.s || !json_is_number(v)) {
      free(seen.slot);
      return ferr(f, "Unigram vocab entry %d is not [piece, score]", (int)i);
    }
    if (!p.len) { free(seen.slot); return ferr(f, "Unigram vocab entry %d is an empty piece", (int)i); }
    if (map_get(&seen, p.s, p.len) >= 0) {
      free(seen.slot);
      return ferr(f, "Unigram vocab lists the piece '%.40s' twice", p.s);
    }
    map_put(&seen, p.s, p.len, (int32_t)i);
    d->vocab[i] = p;
    sc[i] = json_number_value(v);
  }
  free(seen.slot);
  return VN_OK;
}

/* added_tokens: HF matches special ones first, then the others; then the
 * token -> id map for the post-processor and bos/eos gets the model vocab */
static VnStatus json_added(Front *f, json_t *added) {
  VnTokDesc *d = f->d;
  json_t *x;
  size_t i;
  int pass;
  if (added && !json_is_array(added)) return ferr(f, "\"added_tokens\" is not a list");
  d->added = calloc(json_array_size(added) + 1, sizeof *d->added);
  if (!d->added) return FNOMEM(f);
  for (pass = 0; pass < 2; pass++)
    json_array_foreach(added, i, x) {
      VnTokcAdded *a;
      json_t *idv = json_object_get(x, "id");
      int special = jbool(x, "special", 0);
      if (special != (pass == 0)) continue;
      if (!json_is_integer(idv) || json_integer_value(idv) < 0 || json_integer_value(idv) >= (1 << 27) ||
          !json_is_string(json_object_get(x, "content")))
        return ferr(f, "added token %d is malformed", (int)i);
      a = &d->added[d->n_added++];
      a->id = (int32_t)json_integer_value(idv);
      a->content = jstr(json_object_get(x, "content"));
      a->flags = (special ? VN_TOKADD_SPECIAL : 0) | (jbool(x, "lstrip", 0) ? VN_TOKADD_LSTRIP : 0) |
                 (jbool(x, "rstrip", 0) ? VN_TOKADD_RSTRIP : 0) |
                 (jbool(x, "single_word", 0) ? VN_TOKADD_SINGLE_WORD : 0) |
                 (jbool(x, "normalized", !special) ? VN_TOKADD_NORMALIZED : 0);
      map_put(&f->ids, a->content.s, a->content.len, a->id);
    }
  for (i = 0; i < (size_t)d->n_vocab; i++)
    if (d->vocab[i].s) map_put(&f->ids, d->vocab[i].s, d->vocab[i].len, (int32_t)i);
  return VN_OK;
}

/* model.merges: "a b" strings or [a, b] pairs, in rank order; model.unk_token */
static VnStatus json_merges(Front *f, json_t *model) {
  VnTokDesc *d = f->d;
  json_t *merges = json_object_get(model, "merges"), *x, *v;
  VnStatus st = VN_OK;
  Map mv;
  size_t i;
  if (d->model != VN_TOKMODEL_BPE) merges = NULL;    /* WordPiece, Unigram: no merges */
  d->n_merges = (int32_t)json_array_size(merges);
  d->merges = malloc(2 * ((size_t)d->n_merges + 1) * sizeof *d->merges);
  if (!d->merges || map_init(&mv, (size_t)d->n_vocab)) return FNOMEM(f);
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
    if (!a.s || !b.s) { st = ferr(f, "merge %d is malformed", (int)i); break; }
    ia = map_get(&mv, a.s, a.len);
    ib = map_get(&mv, b.s, b.len);
    if (ia < 0 || ib < 0) {
      VnTokcStr m = ia < 0 ? a : b;
      st = ferr(f, "merge %d: token '%.*s' is not in the vocabulary", (int)i, (int)(m.len > 40 ? 40 : m.len), m.s);
      break;
    }
    d->merges[2 * i] = ia;
    d->merges[2 * i + 1] = ib;
  }
  free(mv.slot);
  d->unk_id = -1;
  if (d->model == VN_TOKMODEL_UNIGRAM) {
    v = json_object_get(model, "unk_id");
    if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) < d->n_vocab)
      d->unk_id = (int32_t)json_integer_value(v);
    else if (v && !json_is_null(v)) return ferr(f, "Unigram model: unk_id is out of range");
    else return ferr(f, "Unigram model without unk_id (unknown characters would fail)");
    return st;
  }
  if ((v = json_object_get(model, "unk_token")) && json_is_string(v)) {
    VnTokcStr u = jstr(v);
    size_t k;
    for (k = 0; k < (size_t)d->n_vocab; k++)
      if (d->vocab[k].s && d->vocab[k].len == u.len && !memcmp(d->vocab[k].s, u.s, u.len)) {
        d->unk_id = (int32_t)k;
        break;
      }
  }
  if (st == VN_OK && d->model == VN_TOKMODEL_WORDPIECE && d->unk_id < 0)
    return ferr(f, "WordPiece model: unk_token is missing or not in the vocabulary");
  return st;
}

/* bos/eos from tokenizer_config.json when given, else by the usual names;
 * end-of-generation ids by the usual names of added tokens */
static void json_specials(Front *f, json_t *cfg) {
  static const char *const eog_names[] = {"</s>", "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>",
                                          "<|im_end|>", "<|endoftext|>", "<end_of_turn>", "<|end|>",
                                          "<eos>", "<|return|>", "<|call|>", NULL};
  static const char *const bos_names[] = {"<s>", "<|begin_of_text|>", "<bos>", "<|startoftext|>", NULL};
  static const char *const eos_names[] = {"</s>", "<|end_of_text|>", "<eos>", "<|endoftext|>", "<|im_end|>", NULL};
  VnTokDesc *d = f->d;
  size_t i;
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
}

static VnStatus json_to_desc(Front *f, json_t *root, json_t *cfg) {
  VnTokDesc *d = f->d;
  json_t *model = json_object_get(root, "model");
  VnStatus st;
  if ((st = json_model(f, model)) != VN_OK ||
      (st = d->model == VN_TOKMODEL_UNIGRAM ? json_vocab_list(f, json_object_get(model, "vocab"))
                                            : json_vocab(f, json_object_get(model, "vocab"))) != VN_OK ||
      (st = json_added(f, json_object_get(root, "added_tokens"))) != VN_OK || (st = json_merges(f, model)) != VN_OK ||
      (st = each_leaf(f, json_object_get(root, "normalizer"), "normalizers", norm_one)) != VN_OK ||
      (st = each_leaf(f, json_object_get(root, "pre_tokenizer"), "pretokenizers", pre_one)) != VN_OK ||
      (st = dec_json(f, json_object_get(root, "decoder"))) != VN_OK ||
      (st = each_leaf(f, json_object_get(root, "post_processor"), "processors", post_one)) != VN_OK)
    return st;
  if (d->byte_level != (d->n_dec == 1 && d->dec[0].kind == VN_TOKDEC_BYTELEVEL))
    return ferr(f, d->byte_level ? "unsupported: a ByteLevel pre-tokenizer needs the ByteLevel decoder"
                                 : "unsupported: a ByteLevel decoder without the ByteLevel pre-tokenizer");
  {
    int k, hard = 0;
    for (k = 0; k < d->n_norm; k++)
      if (d->norm[k].kind == VN_TOKNORM_BERT || d->norm[k].kind == VN_TOKNORM_REPLACE_PROG ||
          d->norm[k].kind == VN_TOKNORM_PRECOMPILED)
        hard = 1;
    for (k = 0; hard && k < d->n_added; k++)
      if ((d->added[k].flags & VN_TOKADD_NORMALIZED) && d->added[k].content.len)
        return ferr(f, "unsupported: added token %d is normalized, under a BertNormalizer, Lowercase, StripAccents "
                       "Precompiled or regex Replace normalizer", (int)d->added[k].id);
  }
  if (d->n_dec == 1 && d->dec[0].kind == VN_TOKDEC_WORDPIECE && d->dec[0].a) {
    int32_t i;                           /* the runtime cleans a token in a 512-byte buffer */
    for (i = 0; i < d->n_vocab; i++)
      if (d->vocab[i].len > 500) return ferr(f, "WordPiece decoder cleanup: token %d is longer than 500 bytes", (int)i);
    for (i = 0; i < d->n_added; i++)
      if (d->added[i].content.len > 500)
        return ferr(f, "WordPiece decoder cleanup: added token %d is longer than 500 bytes", (int)d->added[i].id);
  }
  json_specials(f, cfg);
  return VN_OK;
}

VnStatus vn_tokc_compile_json(VnCtx *ctx, const char *tokenizer_json, const char *tokenizer_config,
                              unsigned char **blob, size_t *len) {
  Front f;
  VnTokDesc d;
  json_t *root, *cfg = NULL;
  VnStatus st;
  memset(&f, 0, sizeof f);
  memset(&d, 0, sizeof d);
  *blob = NULL;
  *len = 0;
  if (!(root = load_json(ctx, tokenizer_json, 0))) return ctx->status;
  if (tokenizer_config && !(cfg = load_json(ctx, tokenizer_config, JSON_DECODE_INT_AS_REAL))) {
    json_decref(root);
    return ctx->status;
  }
  f.ctx = ctx;
  f.file = d.file = tokenizer_json;
  f.d = &d;
  if ((st = json_to_desc(&f, root, cfg)) == VN_OK) st = vn_tokc_compile_desc(ctx, &d, blob, len);
  free(d.vocab);
  free(d.merges);
  free(d.added);
  free(f.ids.slot);
  free(f.scores);
  if (f.pc_key) for (int32_t k = 0; k < f.n_pc; k++) free((char *)f.pc_key[k].s);
  free(f.pc_key); free(f.pc_val); free(f.pc_blob);
  while (f.nprogs) free(f.progs[--f.nprogs]);
  json_decref(root);
  if (cfg) json_decref(cfg);
  return st;
}
