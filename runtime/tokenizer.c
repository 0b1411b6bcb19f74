/* tokenizer.c: the runtime tokenizer. Reads the blob that codegen/tokc.c writes
 * (format: runtime/tokenizer.h, docs/tokenizers.md) in place and runs Hugging
 * Face `tokenizers`' pipeline on it:
 *
 *   text -> added tokens on the raw text -> normalizer -> added tokens on the
 *   normalized text -> pre-tokenizer steps -> BPE per word -> post-processor ids
 *
 * and the decoder the other way. Invariants:
 * - libc only (string.h), no allocation: encode works in caller memory used as
 *   a stack (Enc.w), everything else in locals; no global mutable state.
 * - blob integers are little-endian and read byte by byte (rd32), so the blob
 *   needs no alignment and the code no endianness; vn_tok_load checks every
 *   offset and index once, later reads trust them.
 * - BPE is HF's algorithm: a min-heap of (rank, position) over a linked list of
 *   symbols, entries checked for staleness when popped, so any word, including
 *   a 1 MB run of one character, is O(n log n).
 * - the split regexes are hand-written matchers (the GPT-2 ByteLevel pattern and
 *   the cl100k pattern with \p{N}{1,3} or \p{N}) with the
 *   leftmost-first alternation semantics of the regex engine HF uses. */
#include "tokenizer.h"
#include <string.h>

typedef unsigned char uc;

#define NONE 0xFFFFFFFFu
#define SEC(t, tag) ((const uc *)(t)->priv[(tag) - 1])
#define SECLEN(t, tag) ((size_t)(t)->ipriv[(tag) - 1])

static uint32_t rd32(const uc *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t par(const VnTok *t, int i) { return rd32(SEC(t, VN_TOKSEC_PARAMS) + 4 * i); }

/* ---- UTF-8 ---- */

/* Length a lead byte announces: 1..4, or 0 for a byte that cannot start one. */
static int u8_need(uc b0) {
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return 2;
  if (b0 >= 0xE0 && b0 <= 0xEF) return 3;
  if (b0 >= 0xF0 && b0 <= 0xF4) return 4;
  return 0;
}

/* May byte b stand at position pos (>= 1) of a sequence led by b0? (Unicode
 * Table 3-7, which also fixes where a malformed sequence ends.) */
static int u8_ok(uc b0, int pos, uc b) {
  uc lo = 0x80, hi = 0xBF;
  if (pos == 1) {
    if (b0 == 0xE0) lo = 0xA0;
    else if (b0 == 0xED) hi = 0x9F;
    else if (b0 == 0xF0) lo = 0x90;
    else if (b0 == 0xF4) hi = 0x8F;
  }
  return b >= lo && b <= hi;
}

/* Decodes the character at s[i] (i < n) into *cp, returns its byte length.
 * A malformed byte decodes alone as 0x110000 + byte: nothing is lost, it is
 * in no character class, and NFC passes it through. */
static size_t u8get(const uc *s, size_t n, size_t i, uint32_t *cp) {
  uc b0 = s[i];
  int need = u8_need(b0), k;
  uint32_t c;
  if (need == 1) { *cp = b0; return 1; }
  if (need == 0 || i + (size_t)need > n) { *cp = 0x110000u + b0; return 1; }
  c = b0 & (0x7F >> need);
  for (k = 1; k < need; k++) {
    if (!u8_ok(b0, k, s[i + k])) { *cp = 0x110000u + b0; return 1; }
    c = c << 6 | (s[i + k] & 0x3F);
  }
  *cp = c;
  return (size_t)need;
}

/* Start of the character that ends at s[i-1] (i > 0). */
static size_t u8back(const uc *s, size_t i) {
  size_t j = i - 1, k;
  uint32_t cp;
  for (k = 0; k < 3 && j > 0 && (s[j] & 0xC0) == 0x80; k++) j--;
  if (u8get(s, i, j, &cp) == i - j) return j;
  return i - 1;
}

static int u8put(uint32_t c, uc *o) {
  if (c >= 0x110000u) { o[0] = (uc)(c - 0x110000u); return 1; }
  if (c < 0x80) { o[0] = (uc)c; return 1; }
  if (c < 0x800) { o[0] = (uc)(0xC0 | c >> 6); o[1] = (uc)(0x80 | (c & 0x3F)); return 2; }
  if (c < 0x10000) {
    o[0] = (uc)(0xE0 | c >> 12); o[1] = (uc)(0x80 | (c >> 6 & 0x3F));
    o[2] = (uc)(0x80 | (c & 0x3F));
    return 3;
  }
  o[0] = (uc)(0xF0 | c >> 18); o[1] = (uc)(0x80 | (c >> 12 & 0x3F));
  o[2] = (uc)(0x80 | (c >> 6 & 0x3F)); o[3] = (uc)(0x80 | (c & 0x3F));
  return 4;
}

/* ---- character classes (VN_TOKU_*), from the blob's range table ---- */

static unsigned ucls(const VnTok *t, uint32_t cp) {
  const uc *u = SEC(t, VN_TOKSEC_UCLASS), *r;
  uint32_t lo = 0, hi, mid;
  if (cp < 256) return u[cp];
  if (cp > 0x10FFFF) return 0;
  hi = rd32(u + 256);
  r = u + 260;
  while (lo < hi) {                    /* first range starting above cp */
    mid = lo + (hi - lo) / 2;
    if ((rd32(r + 4 * mid) >> 8) <= cp) lo = mid + 1;
    else hi = mid;
  }
  return lo ? (rd32(r + 4 * (lo - 1)) & 0xFF) : 0;
}

/* ---- vocabulary ---- */

static uint32_t fnv1a(const uc *s, size_t n) {
  uint32_t h = 2166136261u;
  size_t i;
  for (i = 0; i < n; i++) { h ^= s[i]; h *= 16777619u; }
  return h;
}

static const uc *piece(const VnTok *t, uint32_t id, size_t *len) {
  const uc *off = SEC(t, VN_TOKSEC_VOFF) + 4 * (size_t)id;
  uint32_t a = rd32(off), b = rd32(off + 4);
  *len = b - a;
  return SEC(t, VN_TOKSEC_VSTR) + a;
}

/* The model-vocabulary id whose piece is s[0..n) (of FNV-1a hash hv), or -1. */
static int32_t vocab_find_h(const VnTok *t, const uc *s, size_t n, uint32_t hv) {
  const uc *h = SEC(t, VN_TOKSEC_VHASH);
  uint32_t mask = rd32(h) - 1, i = hv & mask, v;
  size_t plen;
  const uc *p;
  for (;; i = (i + 1) & mask) {
    v = rd32(h + 4 + 4 * (size_t)i);
    if (!v) return -1;
    p = piece(t, v - 1, &plen);
    if (plen == n && !memcmp(p, s, n)) return (int32_t)(v - 1);
  }
}

static int32_t vocab_find(const VnTok *t, const uc *s, size_t n) { return vocab_find_h(t, s, n, fnv1a(s, n)); }

/* Rank of the merge (left, right), or -1. */
static int64_t merge_find(const VnTok *t, uint32_t left, uint32_t right) {
  const uc *ix = SEC(t, VN_TOKSEC_MIDX) + 4 * (size_t)left;
  const uc *ed = SEC(t, VN_TOKSEC_MEDGE);
  uint32_t lo = rd32(ix), hi = rd32(ix + 4), mid, r;
  while (lo < hi) {
    mid = lo + (hi - lo) / 2;
    r = rd32(ed + 8 * (size_t)mid);
    if (r == right) return rd32(ed + 8 * (size_t)mid + 4);
    if (r < right) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

/* ---- step records ---- */

typedef struct Step {
  uint32_t kind, a, b, c;
  const uc *s1, *s2;
  uint32_t l1, l2;
} Step;

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

/* Parses the record at p (len bytes left); returns its size or 0 if it runs off. */
static size_t step_parse(const uc *p, size_t len, Step *st) {
  size_t o = 20;
  if (len < 24) return 0;
  st->kind = rd32(p); st->a = rd32(p + 4); st->b = rd32(p + 8); st->c = rd32(p + 12);
  st->l1 = rd32(p + 16);
  if (st->l1 > len - o) return 0;
  st->s1 = p + o;
  o += pad4(st->l1);
  if (o + 4 > len) return 0;
  st->l2 = rd32(p + o);
  o += 4;
  if (st->l2 > len - o) return 0;
  st->s2 = p + o;
  o += pad4(st->l2);
  return o > len ? 0 : o;
}

/* Step k of a list section (k < count; the list was checked by vn_tok_load). */
static void step_get(const VnTok *t, int tag, uint32_t k, Step *st) {
  const uc *p = SEC(t, tag) + 4;
  size_t len = SECLEN(t, tag) - 4, sz;
  uint32_t i;
  for (i = 0;; i++) {
    sz = step_parse(p, len, st);
    if (i == k) return;
    p += sz;
    len -= sz;
  }
}

static uint32_t nsteps(const VnTok *t, int tag) { return rd32(SEC(t, tag)); }

/* ---- tries of added tokens ---- */

typedef struct Trie {
  uint32_t nn;
  const uc *root, *nodes, *edges;
} Trie;

static void trie_get(const VnTok *t, int tag, Trie *tr) {
  const uc *p = SEC(t, tag);
  tr->nn = rd32(p);
  tr->root = p + 4;
  tr->nodes = p + 4 + 1024;
  tr->edges = tr->nodes + 12 * (size_t)tr->nn + 4;
}

/* Longest added token starting at s[i]: its end and index, or 0. skip:
 * added-token flags (VN_TOKADD_*) that make a token unmatchable. */
static int trie_longest(const Trie *tr, const uc *added, uint32_t skip, const uc *s, size_t n, size_t i,
                        size_t *end, uint32_t *ai) {
  uint32_t node = rd32(tr->root + 4 * (size_t)s[i]), term, lo, hi, mid, e;
  size_t j = i + 1;
  int found = 0;
  while (node) {
    const uc *nd = tr->nodes + 12 * (size_t)node;
    term = rd32(nd + 8);
    if (term && !(rd32(added + 8 * (size_t)(term - 1) + 4) & skip)) { found = 1; *end = j; *ai = term - 1; }
    if (j >= n) break;
    lo = rd32(nd); hi = lo + rd32(nd + 4);
    node = 0;
    while (lo < hi) {
      mid = lo + (hi - lo) / 2;
      e = rd32(tr->edges + 4 * (size_t)mid);
      if ((e & 0xFF) == s[j]) { node = e >> 8; break; }
      if ((e & 0xFF) < s[j]) lo = mid + 1;
      else hi = mid;
    }
    j++;
  }
  return found;
}

/* ---- encoder state ---- */

typedef struct Enc {
  const VnTok *t;
  int32_t *ids;
  long cap, n;
  uc *w;                 /* work memory, used as a stack */
  size_t wcap, wtop;
  int oom;
  uint32_t flags, npre;
  uint32_t skip;         /* VN_TOKADD_SPECIAL when special tokens are not parsed */
  Trie raw, norm;
  uint32_t *mcache;      /* MCACHE x {left, right, rank or NONE}: recent merge lookups */
} Enc;

enum { MCACHE = 4096 };

static void *wget(Enc *e, size_t n) {
  size_t a = e->wtop + ((8 - (size_t)((uintptr_t)(e->w + e->wtop) & 7)) & 7);
  if (e->oom || a > e->wcap || n > e->wcap - a) { e->oom = 1; return NULL; }
  e->wtop = a + n;
  return e->w + a;
}

static void emit(Enc *e, int32_t id) {
  if (e->n < e->cap) e->ids[e->n] = id;
  e->n++;
}

/* ---- BPE ---- */

/* Min-heap of (rank << 32 | position), 4-ary like HF's: half the depth of a
 * binary heap and the four children of a node share a cache line. */
static void hpush(uint64_t *h, size_t *hn, uint64_t v) {
  size_t i = (*hn)++, p;
  while (i > 0) {
    p = (i - 1) / 4;
    if (h[p] <= v) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = v;
}

static uint64_t hpop(uint64_t *h, size_t *hn) {
  uint64_t top = h[0], v = h[--*hn];
  size_t i = 0, c, k, best, n = *hn;
  while ((c = 4 * i + 1) < n) {
    best = c;
    for (k = c + 1; k < c + 4 && k < n; k++)
      if (h[k] < h[best]) best = k;
    if (v <= h[best]) break;
    h[i] = h[best];
    i = best;
  }
  if (n) h[i] = v;
  return top;
}

typedef struct Sym {
  int32_t id;            /* token id; -1 once merged into the symbol on its left */
  int32_t prev, next;    /* neighbours, -1 at the ends */
  int32_t off;           /* byte offset of its character, -1 for unk/byte-fallback */
} Sym;

/* May a word be cut between the characters at s[a..b) and s[b..]? Only if no
 * vocabulary piece has them side by side (the WALL bitset says so), since
 * then no merge can ever join the two sides and BPE on each side alone gives
 * the same tokens. */
static int wall_at(const VnTok *t, const uc *s, size_t n, size_t a, size_t b, int bl) {
  const uc *w = SEC(t, VN_TOKSEC_WALL);
  uint32_t cp, h, nbits = rd32(w);
  size_t l2 = bl ? 1 : u8get(s, n, b, &cp);
  if ((bl ? 1 : u8get(s, n, a, &cp)) != b - a) return 0;   /* a character was dropped */
  h = fnv1a(s + a, b - a + l2) & (nbits - 1);
  return !(w[4 + h / 8] >> (h % 8) & 1);
}

/* merge_find through the per-call cache (natural text repeats pairs a lot). */
static int64_t merge_look(Enc *e, uint32_t left, uint32_t right) {
  uint32_t h = ((left * 2654435761u) ^ (right * 2246822519u)) >> 20 & (MCACHE - 1);
  uint32_t *c = e->mcache + 3 * (size_t)h;
  int64_t r;
  if (c[0] == left && c[1] == right) return c[2] == NONE ? -1 : (int64_t)c[2];
  r = merge_find(e->t, left, right);
  c[0] = left;
  c[1] = right;
  c[2] = r < 0 ? NONE : (uint32_t)r;
  return r;
}

/* HF's merge loop on symbols sy[a..b), then their ids out. */
static void bpe_merge(Enc *e, Sym *sy, size_t a, size_t b, uint64_t *heap) {
  const VnTok *t = e->t;
  const uc *mres = SEC(t, VN_TOKSEC_MRES);
  size_t i, hn = 0;
  int64_t r;
  sy[a].prev = -1;
  sy[b - 1].next = -1;
  for (i = a; i + 1 < b; i++) {
    r = merge_look(e, (uint32_t)sy[i].id, (uint32_t)sy[i + 1].id);
    if (r >= 0) hpush(heap, &hn, (uint64_t)r << 32 | i);
  }
  while (hn) {
    uint64_t v = hpop(heap, &hn);
    uint32_t rank = (uint32_t)(v >> 32), pos = (uint32_t)v, newid;
    int32_t nx, nn, pv;
    if (sy[pos].id < 0 || (nx = sy[pos].next) < 0) continue;
    newid = rd32(mres + 4 * (size_t)rank);
    r = merge_look(e, (uint32_t)sy[pos].id, (uint32_t)sy[nx].id);
    if (r < 0 || rd32(mres + 4 * (size_t)r) != newid) continue;   /* stale */
    sy[pos].id = (int32_t)newid;
    nn = sy[nx].next;
    sy[pos].next = nn;
    sy[nx].id = -1;
    if (nn >= 0) sy[nn].prev = (int32_t)pos;
    if ((pv = sy[pos].prev) >= 0 && (r = merge_look(e, (uint32_t)sy[pv].id, newid)) >= 0)
      hpush(heap, &hn, (uint64_t)r << 32 | (uint32_t)pv);
    if (nn >= 0 && (r = merge_look(e, newid, (uint32_t)sy[nn].id)) >= 0)
      hpush(heap, &hn, (uint64_t)r << 32 | pos);
  }
  for (r = (int64_t)a; r >= 0; r = sy[r].next) emit(e, sy[r].id);
}

/* One word through the model: symbols (bytes for byte-level vocabularies,
 * characters otherwise, with byte fallback and unk as HF's merge_word), then
 * merges lowest rank first, leftmost among equal ranks. */
static void bpe_word(Enc *e, const uc *s, size_t n) {
  const VnTok *t = e->t;
  const uc *byteids = SEC(t, VN_TOKSEC_BYTEIDS), *fbids = SEC(t, VN_TOKSEC_FBIDS);
  uint32_t unk = par(t, VN_TOKPAR_UNK);
  int fuse = (e->flags & VN_TOKF_FUSE_UNK) != 0, bl = (e->flags & VN_TOKF_BYTE_LEVEL) != 0;
  size_t mark = e->wtop, i, m = 0, clen, k, a;
  int32_t pend_unk = 0;
  Sym *sy;
  uint64_t *heap;
  uint32_t cp;

  if (e->flags & VN_TOKF_IGNORE_MERGES) {
    int32_t id = vocab_find(t, s, n);
    if (id >= 0) { emit(e, id); return; }
  }
  sy = wget(e, sizeof(Sym) * n);
  heap = wget(e, 16 * n);
  if (!heap) return;
#define ADD(id_, off_) (sy[m].id = (id_), sy[m].off = (off_), sy[m].prev = (int32_t)m - 1, \
                        sy[m].next = -1, m ? (void)(sy[m - 1].next = (int32_t)m) : (void)0, m++)
  for (i = 0; i < n; i += clen) {
    int32_t id = -1;
    uint32_t b1 = rd32(byteids + 4 * (size_t)s[i]);
    if (bl || s[i] < 0x80) {             /* one-byte piece: table, no hashing */
      clen = 1;
      if (b1 != NONE) id = (int32_t)b1;
    } else {
      clen = u8get(s, n, i, &cp);
      id = vocab_find(t, s + i, clen);
    }
    if (id >= 0) {
      if (pend_unk) { ADD((int32_t)unk, -1); pend_unk = 0; }
      ADD(id, (int32_t)i);
      continue;
    }
    if (e->flags & VN_TOKF_BYTE_FALLBACK) {
      for (k = 0; k < clen && rd32(fbids + 4 * (size_t)s[i + k]) != NONE; k++) {}
      if (k == clen) {                 /* HF leaves a pending unk pending here */
        for (k = 0; k < clen; k++) ADD((int32_t)rd32(fbids + 4 * (size_t)s[i + k]), -1);
        continue;
      }
    }
    if (unk != NONE) {
      if (pend_unk && !fuse) ADD((int32_t)unk, -1);
      pend_unk = 1;
    }
  }
  if (pend_unk) ADD((int32_t)unk, -1);
#undef ADD
  a = 0;
  if (m > 64 && t->priv[VN_TOKSEC_WALL - 1])
    for (i = 1; i < m; i++)
      if (i - a >= 32 && sy[i - 1].off >= 0 && sy[i].off >= 0 &&
          wall_at(t, s, n, (size_t)sy[i - 1].off, (size_t)sy[i].off, bl)) {
        bpe_merge(e, sy, a, i, heap);
        a = i;
      }
  if (m) bpe_merge(e, sy, a, m, heap);
  e->wtop = mark;
}

/* ---- split regexes: end of the match that starts at s[i] (i < n) ---- */

#define CLS(cp_) ucls(t, (cp_))

static size_t run_while(const VnTok *t, const uc *s, size_t n, size_t i, unsigned want,
                        unsigned avoid, int maxc) {
  uint32_t cp;
  size_t l;
  int c = 0;
  while (i < n && c != maxc) {
    unsigned k;
    l = u8get(s, n, i, &cp);
    k = CLS(cp);
    if ((want && !(k & want)) || (k & avoid)) break;
    i += l;
    c++;
  }
  return i;
}
#define RUN_L(i_) run_while(t, s, n, (i_), VN_TOKU_L, 0, -1)
#define RUN_N(i_, m_) run_while(t, s, n, (i_), VN_TOKU_N, 0, (m_))
#define RUN_OTHER(i_) run_while(t, s, n, (i_), 0, VN_TOKU_L | VN_TOKU_N | VN_TOKU_WS, -1)
#define IS_OTHER(k_) (!((k_) & (VN_TOKU_L | VN_TOKU_N | VN_TOKU_WS)))

/* "'s|'t|'re|'ve|'m|'ll|'d" at s[i] == '\'': length matched or 0. With fold,
 * ASCII case is ignored and U+017F (long s) matches s, as (?i:...) does. */
static size_t contraction(const uc *s, size_t n, size_t i, int fold) {
  static const char *const alt[] = {"s", "t", "re", "ve", "m", "ll", "d"};
  size_t a, k;
  for (a = 0; a < 7; a++) {
    size_t j = i + 1;
    for (k = 0; alt[a][k]; k++) {
      uc c = j < n ? s[j] : 0;
      if (fold && c >= 'A' && c <= 'Z') c = (uc)(c + 32);
      if (c == (uc)alt[a][k]) { j++; continue; }
      if (fold && alt[a][k] == 's' && j + 1 < n && s[j] == 0xC5 && s[j + 1] == 0xBF) {
        j += 2;
        continue;
      }
      break;
    }
    if (!alt[a][k]) return j - i;
  }
  return 0;
}

/* Whitespace tail shared by the patterns: \s+(?!\S)|\s+ (and, for the cl100k
 * patterns first, \s*[\r\n]+): from i over the run of \s. */
static size_t ws_tail(const VnTok *t, const uc *s, size_t n, size_t i, int crlf) {
  size_t j = i, last = i, nl = (size_t)-1, l;
  uint32_t cp;
  int count = 0;
  while (j < n) {
    l = u8get(s, n, j, &cp);
    if (!(CLS(cp) & VN_TOKU_WS)) break;
    if (cp == '\r' || cp == '\n') nl = j;
    last = j;
    j += l;
    count++;
  }
  if (crlf && nl != (size_t)-1) return nl + 1;
  if (j == n) return j;
  if (count >= 2) return last;
  return j;
}

static size_t re_bytelevel(const VnTok *t, const uc *s, size_t n, size_t i) {
  uint32_t c0, c1;
  size_t l0 = u8get(s, n, i, &c0), k;
  unsigned k0 = CLS(c0), k1;
  if (c0 == '\'' && (k = contraction(s, n, i, 0))) return i + k;
  if (c0 == ' ' && i + 1 < n) {
    u8get(s, n, i + 1, &c1);
    k1 = CLS(c1);
    if (k1 & VN_TOKU_L) return RUN_L(i + 1);
    if (k1 & VN_TOKU_N) return RUN_N(i + 1, -1);
    if (IS_OTHER(k1)) return RUN_OTHER(i + 1);
  }
  if (k0 & VN_TOKU_L) return RUN_L(i);
  if (k0 & VN_TOKU_N) return RUN_N(i, -1);
  if (IS_OTHER(k0)) return RUN_OTHER(i);
  (void)l0;
  return ws_tail(t, s, n, i, 0);
}

/* The cl100k pattern with \p{N}{1,3} (ndig 3) or \p{N} (ndig 1). */
static size_t re_cl100k(const VnTok *t, const uc *s, size_t n, size_t i, int ndig) {
  uint32_t c0, c1 = 0;
  size_t l0 = u8get(s, n, i, &c0), k, j;
  unsigned k0 = CLS(c0), k1 = 0;
  int has1 = i + l0 < n;
  if (has1) { u8get(s, n, i + l0, &c1); k1 = CLS(c1); }
  if (c0 == '\'' && (k = contraction(s, n, i, 1))) return i + k;
  /* [^\r\n\p{L}\p{N}]?\p{L}+ */
  if (c0 != '\r' && c0 != '\n' && !(k0 & (VN_TOKU_L | VN_TOKU_N)) && has1 && (k1 & VN_TOKU_L))
    return RUN_L(i + l0);
  if (k0 & VN_TOKU_L) return RUN_L(i);
  if (k0 & VN_TOKU_N) return RUN_N(i, ndig);
  /*  ?[^\s\p{L}\p{N}]+[\r\n]* */
  j = 0;
  if (c0 == ' ' && has1 && IS_OTHER(k1)) j = RUN_OTHER(i + 1);
  else if (IS_OTHER(k0)) j = RUN_OTHER(i);
  if (j) {
    while (j < n && (s[j] == '\r' || s[j] == '\n')) j++;
    return j;
  }
  return ws_tail(t, s, n, i, 1);
}

static size_t re_match(const VnTok *t, uint32_t re, const uc *s, size_t n, size_t i) {
  size_t e;
  uint32_t cp;
  if (re == VN_TOKRE_BYTELEVEL) e = re_bytelevel(t, s, n, i);
  else e = re_cl100k(t, s, n, i, re == VN_TOKRE_CL100K ? 3 : 1);
  return e > i ? e : i + u8get(s, n, i, &cp);
}

/* ---- WordPiece ---- */

/* One word: greedy longest pieces from the left, the first with the word
 * prefix, the others with the continuing prefix; a word with a part no piece
 * covers, or longer than max chars, is the unk token (HF WordPiece). */
static void wp_word(Enc *e, const uc *s, size_t n) {
  const VnTok *t = e->t;
  const uc *m = SEC(t, VN_TOKSEC_MODEL), *wp, *cp_;
  uint32_t maxc = rd32(m + 4), wl = rd32(m + 8), cl, c;
  size_t mark = e->wtop, i, nch = 0, start = 0;
  long first = e->n;
  uc *buf;
  wp = m + 12;
  cl = rd32(m + 12 + pad4(wl));
  cp_ = m + 16 + pad4(wl);
  for (i = 0; i < n; i += u8get(s, n, i, &c)) nch++;
  if (nch > maxc) { emit(e, (int32_t)par(t, VN_TOKPAR_UNK)); return; }
  if (!(buf = wget(e, n + wl + cl))) return;
  while (start < n) {
    size_t end = n, pl = start ? cl : wl;
    int32_t id = -1;
    memcpy(buf, start ? cp_ : wp, pl);
    while (end > start) {
      memcpy(buf + pl, s + start, end - start);
      if ((id = vocab_find(t, buf, pl + end - start)) >= 0) break;
      end = u8back(s, end);
      if (end < start) end = start;
    }
    if (id < 0) { e->n = first; emit(e, (int32_t)par(t, VN_TOKPAR_UNK)); break; }
    emit(e, id);
    start = end;
  }
  e->wtop = mark;
}

/* ---- Unigram ---- */

static double rdf64(const uc *p) {
  uint64_t u = (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
  double x;
  memcpy(&x, &u, 8);
  return x;
}

typedef struct UNode { double score; uint32_t id, start; } UNode;

/* One word, as HF's Unigram (encode_optimized): best[i] is the best path
 * over the first i bytes; from each character boundary, in order, every piece
 * that starts there is tried (found by extending the hash byte by byte while
 * the prefix bitset says some piece goes on); a later candidate replaces the
 * node only with a strictly higher score; a character no one-character piece
 * covers gets the unk node (min score - 10). Then the path back, runs of unk
 * fused into one string: its own piece if there is one, else its bytes'
 * <0xXX> pieces when byte_fallback has them all, else unk. */
static void uni_word(Enc *e, const uc *s, size_t n) {
  const VnTok *t = e->t;
  const uc *sc = SEC(t, VN_TOKSEC_SCORES), *up = SEC(t, VN_TOKSEC_UPREFIX) + 4;
  uint32_t ubits = rd32(SEC(t, VN_TOKSEC_UPREFIX)) - 1, unk = par(t, VN_TOKPAR_UNK), c, h;
  double unk_score = rdf64(sc) - 10.0;
  size_t mark = e->wtop, st, l, k, np = 0, i, a, b;
  UNode *best = wget(e, (n + 1) * sizeof *best);
  uint32_t *path = wget(e, (n + 1) * sizeof *path);
  int single;
  if (!path) return;
  for (i = 0; i <= n; i++) { best[i].start = NONE; best[i].score = 0; best[i].id = 0; }
  for (st = 0; st < n; st += l) {
    double base = best[st].score;
    l = u8get(s, n, st, &c);
    single = 0;
    h = 2166136261u;
    for (k = st; k < n; k++) {
      h = (h ^ s[k]) * 16777619u;
      if (!(up[(h & ubits) / 8] >> ((h & ubits) % 8) & 1)) break;
      int32_t id = vocab_find_h(t, s + st, k + 1 - st, h);
      if (id >= 0) {
        double cand = rdf64(sc + 8 + 8 * (size_t)id) + base;
        if (best[k + 1].start == NONE || cand > best[k + 1].score) {
          best[k + 1].score = cand;
          best[k + 1].start = (uint32_t)st;
          best[k + 1].id = (uint32_t)id;
        }
        if (k + 1 - st == l) single = 1;
      }
    }
    if (!single) {
      double cand = unk_score + base;
      if (best[st + l].start == NONE || cand > best[st + l].score) {
        best[st + l].score = cand;
        best[st + l].start = (uint32_t)st;
        best[st + l].id = unk;
      }
    }
  }
  for (i = n; i > 0; i = best[i].start) path[np++] = (uint32_t)i;   /* ends, last first */
  while (np) {
    b = path[--np];
    a = best[b].start;
    if (best[b].id != unk) { emit(e, (int32_t)best[b].id); continue; }
    while (np && best[path[np - 1]].id == unk) b = path[--np];      /* fuse the run */
    {
      int32_t id = vocab_find(t, s + a, b - a);
      const uc *fb = SEC(t, VN_TOKSEC_FBIDS);
      if (id >= 0) { emit(e, id); continue; }
      if (par(t, VN_TOKPAR_FLAGS) & VN_TOKF_BYTE_FALLBACK) {
        for (k = a; k < b && rd32(fb + 4 * (size_t)s[k]) != NONE; k++) {}
        if (k == b) {
          for (k = a; k < b; k++) emit(e, (int32_t)rd32(fb + 4 * (size_t)s[k]));
          continue;
        }
      }
      emit(e, (int32_t)unk);
    }
  }
  e->wtop = mark;
}

/* The model on one word. */
static void model_word(Enc *e, const uc *s, size_t n) {
  const uc *m = SEC(e->t, VN_TOKSEC_MODEL);
  if (m && rd32(m) == VN_TOKMODEL_UNIGRAM) uni_word(e, s, n);
  else if (m) wp_word(e, s, n);
  else bpe_word(e, s, n);
}

/* BertPreTokenizer's punctuation: ASCII punctuation or Unicode P*. */
static int bert_punct(const VnTok *t, uint32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return 1;
  return (ucls(t, c) & VN_TOKU_P) != 0;
}

/* ---- compiled regexes (VN_TOKPRE_SPLIT_PROG): a Pike VM ----
 * Threads (pc, start) are kept in priority order, so the first to reach
 * MATCH is the leftmost-first match the backtracking engines HF uses would
 * report; each pc enters a list once per text position, so a search costs at
 * most (characters scanned) x (program words), whatever the pattern. The
 * epsilon closure uses an explicit stack: no recursion. vn_tok_load checked
 * the program (opcodes, lengths, jump targets), so this code trusts it. */

typedef struct Vm {
  const uc *code, *data;        /* instructions (12 bytes each), set data */
  uint32_t np;                  /* instructions */
  uint32_t *mark;               /* [np]: generation a pc was last added in */
  uint32_t *cl, *nl;            /* [2 * np]: (pc, start) pairs */
  uint32_t *stk;                /* [2 * np + 2]: the closure's stack */
  uint32_t gen;
} Vm;

static size_t vm_bytes(uint32_t np) { return 4 * (size_t)np * 7 + 64; }

#define OP(pc_) rd32(vm->code + 12 * (size_t)(pc_))
#define ARG(pc_, k_) rd32(vm->code + 12 * (size_t)(pc_) + 4 * (k_))

/* Does the one-character instruction at pc accept cp (class k)? */
static int vm_char(const Vm *vm, uint32_t pc, uint32_t cp, unsigned k) {
  uint32_t op = OP(pc), n, i, kind, a, b;
  const uc *d;
  int hit = 0;
  if (op == VN_TOKRX_CHAR) return ARG(pc, 1) == cp;
  if (op == VN_TOKRX_ANY) return cp != '\n';
  d = vm->data + 4 * (size_t)ARG(pc, 1);
  n = rd32(d + 4);
  for (i = 0; i < n && !hit; i++) {
    kind = rd32(d + 8 + 12 * i); a = rd32(d + 12 + 12 * i); b = rd32(d + 16 + 12 * i);
    if (kind == VN_TOKRX_ITEM_RANGE) hit = cp >= a && cp <= b;
    else if (kind == VN_TOKRX_ITEM_CLS) hit = (k & a) != 0;
    else hit = cp < 0x110000u && !(k & a);
  }
  return hit != (rd32(d) != 0);
}

/* Adds (pc0, start) and what it reaches without consuming to list l (count
 * *ln), at text position p of s[0..n). */
static void vm_add(const VnTok *t, Vm *vm, uint32_t *l, uint32_t *ln, uint32_t pc0, uint32_t start,
                   const uc *s, size_t n, size_t p) {
  uint32_t sp = 0, pc, op, cp;
  vm->stk[sp++] = pc0;
  while (sp) {
    pc = vm->stk[--sp];
    if (vm->mark[pc] == vm->gen) continue;
    vm->mark[pc] = vm->gen;
    op = OP(pc);
    switch (op) {
    case VN_TOKRX_JMP: vm->stk[sp++] = pc + ARG(pc, 1); break;
    case VN_TOKRX_SPLIT:                  /* the preferred branch is popped first */
      vm->stk[sp++] = pc + ARG(pc, 2);
      vm->stk[sp++] = pc + ARG(pc, 1);
      break;
    case VN_TOKRX_BOL: if (p == 0 || s[p - 1] == '\n') vm->stk[sp++] = pc + 1; break;
    case VN_TOKRX_EOL: if (p == n || s[p] == '\n') vm->stk[sp++] = pc + 1; break;
    case VN_TOKRX_NOTAHEAD:
    case VN_TOKRX_AHEAD: {
      int hit = 0;
      if (p < n) { u8get(s, n, p, &cp); hit = vm_char(vm, pc + 1, cp, ucls(t, cp)); }
      if (hit == (op == VN_TOKRX_AHEAD)) vm->stk[sp++] = pc + 2;
      break;
    }
    default:                              /* CHAR, ANY, SET, MATCH: a thread */
      l[2 * *ln] = pc;
      l[2 * *ln + 1] = start;
      (*ln)++;
      break;
    }
  }
}

/* The leftmost-first match in s[from..n): 1 and [*ms, *me), or 0. */
static int vm_find(const VnTok *t, Vm *vm, const uc *s, size_t n, size_t from, size_t *ms, size_t *me) {
  uint32_t cn = 0, nn = 0, i, *tmp, cp = 0;
  size_t p = from, l = 0;
  int found = 0;
  unsigned k = 0;
  vm->gen++;
  for (;;) {
    if (!found) vm_add(t, vm, vm->cl, &cn, 0, (uint32_t)p, s, n, p);
    if (p < n) { l = u8get(s, n, p, &cp); k = ucls(t, cp); }
    vm->gen++;
    if (!cn) {                            /* no thread alive: start again one character on */
      if (found || p >= n) break;
      p += l;
      continue;
    }
    nn = 0;
    for (i = 0; i < cn; i++) {
      uint32_t pc = vm->cl[2 * i], st = vm->cl[2 * i + 1];
      if (OP(pc) == VN_TOKRX_MATCH) { found = 1; *ms = st; *me = p; break; }   /* cuts the rest */
      if (p < n && vm_char(vm, pc, cp, k)) vm_add(t, vm, vm->nl, &nn, pc + 1, st, s, n, p + l);
    }
    if (p >= n) break;
    tmp = vm->cl; vm->cl = vm->nl; vm->nl = tmp;
    cn = nn;
    p += l;
  }
  return found;
}

/* Is p[0..len) a program vm_find can run without further checks? Every
 * instruction in one pass: known opcode, targets inside the code, set data
 * inside the data, a next instruction where execution continues. */
static int prog_ok(const uc *p, size_t len) {
  uint32_t nc, pc, nd, op, a, b, n, i;
  if (len < 16 || len % 4 || len / 4 > VN_TOKRX_MAXPROG) return 0;
  nc = rd32(p);
  if (nc < 1 || nc > (len / 4 - 1) / 3) return 0;
  nd = (uint32_t)(len / 4 - 1 - 3 * nc);
  for (pc = 0; pc < nc; pc++) {
    const uc *q = p + 4 + 12 * (size_t)pc;
    op = rd32(q); a = rd32(q + 4); b = rd32(q + 8);
    switch (op) {
    case VN_TOKRX_SPLIT:
      if (pc + b >= nc) return 0;
      /* fall through */
    case VN_TOKRX_JMP:
      if (pc + a >= nc) return 0;
      break;
    case VN_TOKRX_MATCH:
      break;
    case VN_TOKRX_SET:
      if (a > nd || nd - a < 2) return 0;
      n = rd32(p + 4 + 12 * (size_t)nc + 4 * (size_t)a + 4);
      if (n > (nd - a - 2) / 3) return 0;
      for (i = 0; i < n; i++)
        if (rd32(p + 4 + 12 * (size_t)nc + 4 * ((size_t)a + 2 + 3 * i)) > VN_TOKRX_ITEM_NOTCLS) return 0;
      /* fall through */
    case VN_TOKRX_CHAR: case VN_TOKRX_ANY: case VN_TOKRX_BOL: case VN_TOKRX_EOL:
      if (pc + 1 >= nc) return 0;
      break;
    case VN_TOKRX_NOTAHEAD: case VN_TOKRX_AHEAD:
      if (pc + 2 >= nc) return 0;
      op = rd32(q + 12);
      if (op != VN_TOKRX_CHAR && op != VN_TOKRX_ANY && op != VN_TOKRX_SET) return 0;
      break;
    default:
      return 0;
    }
  }
  return rd32(p + 4 + 12 * (size_t)(nc - 1)) == VN_TOKRX_MATCH;
}

#undef OP
#undef ARG

/* ---- pre-tokenizer ---- */

static void pretok(Enc *e, uint32_t k, const uc *s, size_t n, int at0);

/* HF's SplitDelimiterBehavior, fed the (start, end, is_match) pieces in order. */
typedef struct Splitter {
  Enc *e;
  uint32_t k;
  const uc *s;
  int at0, beh, has, prev;
  size_t ps, pe;
} Splitter;

static void sp_out(Splitter *z, size_t a, size_t b) {
  if (b > a) pretok(z->e, z->k + 1, z->s + a, b - a, z->at0 && a == 0);
}

static void sp_feed(Splitter *z, size_t a, size_t b, int m) {
  switch (z->beh) {
  case VN_TOKSPLIT_REMOVED:
    if (!m) sp_out(z, a, b);
    break;
  case VN_TOKSPLIT_ISOLATED:
    sp_out(z, a, b);
    break;
  case VN_TOKSPLIT_MERGED_PREV:
  case VN_TOKSPLIT_CONTIGUOUS:
    if (z->has && (z->beh == VN_TOKSPLIT_CONTIGUOUS ? m == z->prev : m && !z->prev)) {
      z->pe = b;
    } else {
      if (z->has) sp_out(z, z->ps, z->pe);
      z->has = 1; z->ps = a; z->pe = b;
    }
    z->prev = m;
    break;
  default: /* MERGED_NEXT: a match joins the piece after it unless that is a match */
    if (z->has) {
      if (!m) { sp_out(z, z->ps, b); z->has = 0; break; }
      sp_out(z, z->ps, z->pe);
      z->ps = a; z->pe = b;
    } else if (m) {
      z->has = 1; z->ps = a; z->pe = b;
    } else {
      sp_out(z, a, b);
    }
    break;
  }
}

static void sp_done(Splitter *z) {
  if (z->has) sp_out(z, z->ps, z->pe);
  z->has = 0;
}

/* Split s by a pattern: kind 0 regex `re`, 1 literal pat[0..pl), 2 the
 * characters of class N, 3 the literal as a character predicate, 4 the
 * compiled regex pat[0..pl). */
static void split_by(Enc *e, uint32_t k, const uc *s, size_t n, int at0, int kind, uint32_t re,
                     const uc *pat, size_t pl, int beh, int inv) {
  Splitter z;
  size_t i = 0, last = 0, l, j;
  uint32_t cp;
  z.e = e; z.k = k; z.s = s; z.at0 = at0; z.beh = beh; z.has = 0; z.prev = 0;
  z.ps = z.pe = 0;
  inv = inv != 0;
  if (kind == 0) {
    while (i < n && !e->oom) {
      j = re_match(e->t, re, s, n, i);
      sp_feed(&z, i, j, 1 ^ inv);
      i = j;
    }
  } else if (kind == 4) {               /* a compiled regex: matches and the gaps between */
    Vm vm;
    size_t mark = e->wtop, ms, me;
    vm.np = rd32(pat);
    vm.code = pat + 4;
    vm.data = pat + 4 + 12 * (size_t)vm.np;
    vm.gen = 0;
    vm.mark = wget(e, 4 * (size_t)vm.np);
    vm.cl = wget(e, 8 * (size_t)vm.np);
    vm.nl = wget(e, 8 * (size_t)vm.np);
    vm.stk = wget(e, 4 * (2 * (size_t)vm.np + 2));
    if (!vm.stk) return;
    memset(vm.mark, 0, 4 * (size_t)vm.np);
    while (i < n && !e->oom) {
      if (!vm_find(e->t, &vm, s, n, i, &ms, &me)) break;
      if (me == ms) {                    /* an empty match: look again one character on */
        uint32_t cp;
        if (ms >= n) break;
        if (vm_find(e->t, &vm, s, n, ms + u8get(s, n, ms, &cp), &ms, &me) == 0) break;
        if (me == ms) { i = ms; continue; }
      }
      if (last < ms) sp_feed(&z, last, ms, inv);
      sp_feed(&z, ms, me, 1 ^ inv);
      last = i = me;
    }
    if (last < n) sp_feed(&z, last, n, inv);
    sp_done(&z);
    e->wtop = mark;
    return;
  } else {
    while (i < n && !e->oom) {
      int hit;
      if (kind == 1 || kind == 3) {
        hit = pl && pl <= n - i && !memcmp(s + i, pat, pl);
        l = hit ? pl : 1;
      } else {
        l = u8get(s, n, i, &cp);
        hit = (ucls(e->t, cp) & VN_TOKU_N) != 0;
      }
      if (hit) {
        if (last < i) sp_feed(&z, last, i, inv);
        sp_feed(&z, i, i + l, 1 ^ inv);
        last = i + l;
      }
      i += l;
    }
    if (last < n) sp_feed(&z, last, n, inv);
  }
  sp_done(&z);
}

static void pretok(Enc *e, uint32_t k, const uc *s, size_t n, int at0) {
  Step st;
  size_t mark = e->wtop, i, o;
  uc *buf;
  if (!n || e->oom) return;
  if (k >= e->npre) { model_word(e, s, n); return; }
  step_get(e->t, VN_TOKSEC_PRE, k, &st);
  switch (st.kind) {
  case VN_TOKPRE_BYTELEVEL:
    if (st.a && s[0] != ' ') {
      if (!(buf = wget(e, n + 1))) return;
      buf[0] = ' ';
      memcpy(buf + 1, s, n);
      s = buf;
      n++;
    }
    if (st.b) split_by(e, k, s, n, at0, 0, VN_TOKRE_BYTELEVEL, NULL, 0, VN_TOKSPLIT_ISOLATED, 0);
    else pretok(e, k + 1, s, n, at0);
    break;
  case VN_TOKPRE_METASPACE:
    if (!(buf = wget(e, n * (st.l1 > 1 ? st.l1 : 1) + st.l1))) return;
    o = st.l1;                         /* room for a prepended replacement */
    for (i = 0; i < n; i++) {
      if (s[i] == ' ') { memcpy(buf + o, st.s1, st.l1); o += st.l1; }
      else buf[o++] = s[i];
    }
    if ((st.a == VN_TOKPREPEND_ALWAYS || (st.a == VN_TOKPREPEND_FIRST && at0)) &&
        !(o - st.l1 >= st.l1 && !memcmp(buf + st.l1, st.s1, st.l1))) {
      memcpy(buf, st.s1, st.l1);
      s = buf;
      n = o;
    } else {
      s = buf + st.l1;
      n = o - st.l1;
    }
    if (st.b) split_by(e, k, s, n, at0, 3, 0, st.s1, st.l1, VN_TOKSPLIT_MERGED_NEXT, 0);
    else pretok(e, k + 1, s, n, at0);
    break;
  case VN_TOKPRE_SPLIT_REGEX:
    split_by(e, k, s, n, at0, 0, st.a, NULL, 0, (int)st.b, (int)st.c);
    break;
  case VN_TOKPRE_SPLIT_STRING:
    split_by(e, k, s, n, at0, 1, 0, st.s1, st.l1, (int)st.b, (int)st.c);
    break;
  case VN_TOKPRE_DIGITS:
    split_by(e, k, s, n, at0, 2, 0, NULL, 0,
             st.a ? VN_TOKSPLIT_ISOLATED : VN_TOKSPLIT_CONTIGUOUS, 0);
    break;
  case VN_TOKPRE_SPLIT_PROG:
    split_by(e, k, s, n, at0, 4, 0, st.s1, st.l1, (int)st.b, (int)st.c);
    break;
  case VN_TOKPRE_BERT: {                 /* white space removed, punctuation alone */
    size_t a = 0, l;
    uint32_t c;
    for (i = 0; i < n && !e->oom; i += l) {
      unsigned cls;
      l = u8get(s, n, i, &c);
      cls = ucls(e->t, c);
      if ((cls & VN_TOKU_WS) || bert_punct(e->t, c)) {
        if (a < i) pretok(e, k + 1, s + a, i - a, at0 && a == 0);
        if (!(cls & VN_TOKU_WS)) pretok(e, k + 1, s + i, l, at0 && i == 0);
        a = i + l;
      }
    }
    if (a < n) pretok(e, k + 1, s + a, n - a, at0 && a == 0);
    break;
  }
  default:
    break;
  }
  e->wtop = mark;
}

/* ---- normalizer ---- */

static uint32_t nfc_ccc(const VnTok *t, uint32_t cp) {
  const uc *p = SEC(t, VN_TOKSEC_NFC_CCC), *r = p + 4;
  uint32_t lo = 0, hi = rd32(p), mid;
  if (cp < 0x300 || cp >= 0x110000u) return 0;
  while (lo < hi) {
    mid = lo + (hi - lo) / 2;
    if ((rd32(r + 4 * (size_t)mid) >> 8) <= cp) lo = mid + 1;
    else hi = mid;
  }
  return lo ? (rd32(r + 4 * (size_t)(lo - 1)) & 0xFF) : 0;
}

/* Full canonical decomposition of cp (not Hangul): pool slice, or NULL. */
static const uc *nfc_decomp(const VnTok *t, uint32_t cp, uint32_t *len, int compat) {
  const uc *p = SEC(t, compat ? VN_TOKSEC_NFKC_DEC : VN_TOKSEC_NFC_DEC), *r = p + 4;
  uint32_t n = rd32(p), lo = 0, hi = n, mid, c, v;
  if (cp < (compat ? 0xA0u : 0xC0u) || cp >= 0x110000u) return NULL;
  while (lo < hi) {
    mid = lo + (hi - lo) / 2;
    c = rd32(r + 8 * (size_t)mid);
    if (c == cp) {
      v = rd32(r + 8 * (size_t)mid + 4);
      *len = v & 0xFF;
      return r + 8 * (size_t)n + 4 + 4 * (size_t)(v >> 8);
    }
    if (c < cp) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

enum { SBASE = 0xAC00, LBASE = 0x1100, VBASE = 0x1161, TBASE = 0x11A7, LCOUNT = 19,
       VCOUNT = 21, TCOUNT = 28, NCOUNT = 588, SCOUNT = 11172 };

static uint32_t nfc_compose(const VnTok *t, uint32_t a, uint32_t b) {
  const uc *p = SEC(t, VN_TOKSEC_NFC_COMP), *r = p + 4;
  uint32_t lo = 0, hi = rd32(p), mid, x, y;
  if (a >= LBASE && a < LBASE + LCOUNT && b >= VBASE && b < VBASE + VCOUNT)
    return SBASE + ((a - LBASE) * VCOUNT + (b - VBASE)) * TCOUNT;
  if (a >= SBASE && a < SBASE + SCOUNT && (a - SBASE) % TCOUNT == 0 && b > TBASE &&
      b < TBASE + TCOUNT)
    return a + (b - TBASE);
  while (lo < hi) {
    mid = lo + (hi - lo) / 2;
    x = rd32(r + 12 * (size_t)mid);
    y = rd32(r + 12 * (size_t)mid + 4);
    if (x == a && y == b) return rd32(r + 12 * (size_t)mid + 8);
    if (x < a || (x == a && y < b)) lo = mid + 1;
    else hi = mid;
  }
  return NONE;
}

/* NFD (compose 0) or NFC of s into out; returns the output length. */
static size_t norm_unicode(Enc *e, const uc *s, size_t n, uc *out, int compose, int compat) {
  const VnTok *t = e->t;
  size_t mark = e->wtop, i, m = 0, cap = (compat ? 6 : 2) * n + 8, a, b, o;
  uint32_t *cps, *tmp, cp, len, k;
  for (i = 0; i < n && s[i] < 0x80; i++) {}
  if (i == n) { memcpy(out, s, n); return n; }
  cps = wget(e, 4 * cap);
  tmp = wget(e, 4 * cap);
  if (!tmp) return 0;
  for (i = 0; i < n;) {
    const uc *d;
    i += u8get(s, n, i, &cp);
    if (cp >= SBASE && cp < SBASE + SCOUNT) {
      uint32_t si = cp - SBASE;
      cps[m++] = LBASE + si / NCOUNT;
      cps[m++] = VBASE + si % NCOUNT / TCOUNT;
      if (si % TCOUNT) cps[m++] = TBASE + si % TCOUNT;
    } else if ((d = nfc_decomp(t, cp, &len, compat)) != NULL) {
      for (k = 0; k < len; k++) cps[m++] = rd32(d + 4 * k);
    } else {
      cps[m++] = cp;
    }
  }
  /* canonical order: stable sort of each run of non-starters by ccc */
  for (a = 0; a < m;) {
    if (!nfc_ccc(t, cps[a])) { a++; continue; }
    for (b = a; b < m && nfc_ccc(t, cps[b]); b++) {}
    if (b - a > 1) {
      size_t cnt[256], x;
      memset(cnt, 0, sizeof cnt);
      for (x = a; x < b; x++) cnt[nfc_ccc(t, cps[x])]++;
      for (x = 1; x < 256; x++) cnt[x] += cnt[x - 1];
      for (x = b; x-- > a;) tmp[--cnt[nfc_ccc(t, cps[x])]] = cps[x];
      memcpy(cps + a, tmp, 4 * (b - a));
    }
    a = b;
  }
  if (compose && m) {                  /* UAX #15 canonical composition */
    size_t sp = 0, w = 1;
    uint32_t last = nfc_ccc(t, cps[0]) ? 256 : 0, cc, c2;
    for (i = 1; i < m; i++) {
      cc = nfc_ccc(t, cps[i]);
      c2 = nfc_compose(t, cps[sp], cps[i]);
      if (c2 != NONE && (last < cc || last == 0)) {   /* not blocked (last 256: no starter) */
        cps[sp] = c2;
        continue;
      }
      if (cc == 0) sp = w;
      last = cc;
      cps[w++] = cps[i];
    }
    m = w;
  }
  for (i = 0, o = 0; i < m; i++) o += (size_t)u8put(cps[i], out + o);
  e->wtop = mark;
  return o;
}

/* ---- Precompiled (SentencePiece charsmap) ---- */

static uint32_t gclass(const VnTok *t, uint32_t cp) {   /* VN_TOKSEC_GRAPH lookup */
  const uc *p = SEC(t, VN_TOKSEC_GRAPH);
  uint32_t lo = 0, hi = rd32(p), mid;
  while (hi - lo > 1) {
    mid = lo + (hi - lo) / 2;
    if ((rd32(p + 4 + 4 * (size_t)mid) >> 8) <= cp) lo = mid;
    else hi = mid;
  }
  return rd32(p + 4 + 4 * (size_t)lo) & 0xFF;
}

/* UAX #29 between a (the state: the previous class, with GB11/GB12-13 folded in)
 * and b: may the text break there? Updates the state. */
static int gbreak(uint32_t *state, uint32_t b) {
  uint32_t a = *state;
  int brk;
  if (a == VN_TOKG_CR && b == VN_TOKG_LF) brk = 0;                                         /* GB3 */
  else if (a == VN_TOKG_CR || a == VN_TOKG_LF || a == VN_TOKG_CONTROL) brk = 1;             /* GB4 */
  else if (b == VN_TOKG_CR || b == VN_TOKG_LF || b == VN_TOKG_CONTROL) brk = 1;             /* GB5 */
  else if (a == VN_TOKG_L && (b == VN_TOKG_L || b == VN_TOKG_V || b == VN_TOKG_LV || b == VN_TOKG_LVT)) brk = 0;
  else if ((a == VN_TOKG_LV || a == VN_TOKG_V) && (b == VN_TOKG_V || b == VN_TOKG_T)) brk = 0;   /* GB7 */
  else if ((a == VN_TOKG_LVT || a == VN_TOKG_T) && b == VN_TOKG_T) brk = 0;               /* GB8 */
  else if (b == VN_TOKG_EXTEND || b == VN_TOKG_ZWJ || b == VN_TOKG_SPACINGMARK || a == VN_TOKG_PREPEND) brk = 0;
  else if (a == VN_TOKG_EZWJ && b == VN_TOKG_EXTPICT) brk = 0;                              /* GB11 */
  else if (a == VN_TOKG_RI && b == VN_TOKG_RI) brk = 0;                                    /* GB12/13 */
  else brk = 1;                                                                             /* GB999 */
  if (a == VN_TOKG_RI && b == VN_TOKG_RI) *state = VN_TOKG_OTHER;     /* a pair is complete */
  else if (a == VN_TOKG_EXTPICT && b == VN_TOKG_EXTEND) *state = VN_TOKG_EXTPICT;
  else if (a == VN_TOKG_EXTPICT && b == VN_TOKG_ZWJ) *state = VN_TOKG_EZWJ;
  else *state = b;
  return brk;
}

/* The shortest charsmap key that is a prefix of s[i..j): its string index, or -1. */
static long pc_shortest(const Trie *tr, const uc *s, size_t i, size_t j) {
  uint32_t node, lo, hi, mid, e;
  if (i >= j || !(node = rd32(tr->root + 4 * (size_t)s[i]))) return -1;
  for (i++;; i++) {
    const uc *nd = tr->nodes + 12 * (size_t)node;
    if (rd32(nd + 8)) return (long)rd32(nd + 8) - 1;
    if (i >= j) return -1;
    lo = rd32(nd); hi = lo + rd32(nd + 4);
    node = 0;
    while (lo < hi) {
      mid = lo + (hi - lo) / 2;
      e = rd32(tr->edges + 4 * (size_t)mid);
      if ((e & 0xFF) == s[i]) { node = e >> 8; break; }
      if ((e & 0xFF) < s[i]) lo = mid + 1;
      else hi = mid;
    }
    if (!node) return -1;
  }
}

/* HF's Precompiled: per extended grapheme cluster; one under 6 bytes that
 * starts with a key becomes that key's string whole (HF's rule, kept as is);
 * else each character that starts with a key becomes its string. */
static size_t norm_precompiled(Enc *e, const uc *s, size_t n, uc *out) {
  const VnTok *t = e->t;
  const uc *st = SEC(t, VN_TOKSEC_PCMAP_STR), *pool;
  uint32_t ns = rd32(st), cp, state;
  size_t a = 0, b, o = 0, i, l;
  long k;
  Trie tr;
  trie_get(t, VN_TOKSEC_PCMAP_TRIE, &tr);
  pool = st + 4 + 8 * (size_t)ns + 4;
#define PC_OUT(ix) do { memcpy(out + o, pool + rd32(st + 4 + 8 * (size_t)(ix)), rd32(st + 8 + 8 * (size_t)(ix))); \
                        o += rd32(st + 8 + 8 * (size_t)(ix)); } while (0)
  while (a < n) {
    b = a + u8get(s, n, a, &cp);
    state = gclass(t, cp);
    while (b < n) {
      l = u8get(s, n, b, &cp);
      if (gbreak(&state, gclass(t, cp))) break;
      b += l;
    }
    if (b - a < 6 && (k = pc_shortest(&tr, s, a, b)) >= 0) { PC_OUT(k); a = b; continue; }
    for (i = a; i < b; i += l) {
      l = u8get(s, n, i, &cp);
      if ((k = pc_shortest(&tr, s, i, i + l)) >= 0) PC_OUT(k);
      else { memcpy(out + o, s + i, l); o += l; }
    }
    a = b;
  }
#undef PC_OUT
  return o;
}

static void segment(Enc *e, const uc *s, size_t n, int at0);

/* Lowercase of cp from the LOWER table: 1 or 2 code points into lo. */
static int lower_of(const VnTok *t, uint32_t cp, uint32_t lo[2]) {
  const uc *p = SEC(t, VN_TOKSEC_LOWER), *r = p + 4;
  uint32_t a = 0, b = rd32(p), mid, c;
  while (a < b) {
    mid = a + (b - a) / 2;
    c = rd32(r + 12 * (size_t)mid);
    if (c == cp) {
      lo[0] = rd32(r + 12 * (size_t)mid + 4);
      lo[1] = rd32(r + 12 * (size_t)mid + 8);
      return lo[1] ? 2 : 1;
    }
    if (c < cp) a = mid + 1;
    else b = mid;
  }
  lo[0] = cp;
  return 1;
}

static int cjk(uint32_t c) {           /* the CJK ranges HF's BertNormalizer pads */
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* HF's BertNormalizer on s into out: clean text (controls dropped, white
 * space as ' '), CJK characters padded with spaces, accents stripped (NFD,
 * nonspacing marks dropped), lowercase; in that order. */
/* Is c in the {first, last} u32 pairs of r (len bytes, ascending)? */
static int in_ranges(const uc *r, size_t len, uint32_t c) {
  size_t lo = 0, hi = len / 8, mid;
  while (lo < hi) {
    mid = lo + (hi - lo) / 2;
    if (c < rd32(r + 8 * mid)) hi = mid;
    else if (c > rd32(r + 8 * mid + 4)) lo = mid + 1;
    else return 1;
  }
  return 0;
}

static size_t norm_bert(Enc *e, const uc *s, size_t n, uc *out, uint32_t fl, const uc *other, size_t lother) {
  const VnTok *t = e->t;
  size_t mark = e->wtop, i, o = 0, l, m;
  uint32_t c, lo[2];
  uc *a = wget(e, 3 * n + 8), *b = wget(e, 2 * (3 * n + 8) * 4 + 8);
  int k, j;
  if (!b) return 0;
  for (i = 0; i < n; i += l) {
    unsigned cls;
    l = u8get(s, n, i, &c);
    cls = ucls(t, c);
    if ((fl & VN_TOKBERT_CLEAN) &&
        (c == 0 || c == 0xFFFD || (lother ? in_ranges(other, lother, c) : (cls & VN_TOKU_C) && c != '\t' && c != '\n' && c != '\r')))
      continue;   /* the step's ranges (tokenizer.json) or the class C (GGUF files) */
    if ((fl & VN_TOKBERT_CLEAN) && (cls & VN_TOKU_WS)) { a[o++] = ' '; continue; }
    if ((fl & VN_TOKBERT_CHINESE) && cjk(c)) { a[o++] = ' '; memcpy(a + o, s + i, l); o += l; a[o++] = ' '; continue; }
    memcpy(a + o, s + i, l);
    o += l;
  }
  if (fl & VN_TOKBERT_MARKS) {               /* HF StripAccents: the step's mark ranges (M*), no NFD */
    for (i = 0, m = 0; i < o; i += l) {
      l = u8get(a, o, i, &c);
      if (!(lother ? in_ranges(other, lother, c) : (ucls(t, c) & VN_TOKU_M) != 0)) { memmove(a + m, a + i, l); m += l; }
    }
    o = m;
  }
  if (fl & VN_TOKBERT_STRIP) {
    m = norm_unicode(e, a, o, b, 0, 0);
    for (i = 0, o = 0; i < m; i += l) {
      l = u8get(b, m, i, &c);
      if (!(ucls(t, c) & VN_TOKU_M)) { memcpy(a + o, b + i, l); o += l; }
    }
  }
  if (!(fl & VN_TOKBERT_LOWER)) { memcpy(out, a, o); e->wtop = mark; return o; }
  for (i = 0, m = 0; i < o; i += l) {
    l = u8get(a, o, i, &c);
    k = lower_of(t, c, lo);
    for (j = 0; j < k; j++) m += (size_t)u8put(lo[j], out + m);
  }
  e->wtop = mark;
  return m;
}

/* Split s on the added tokens of trie tr (HF AddedVocabulary::find_matches):
 * leftmost-longest matches, single_word/lstrip/rstrip as HF applies them;
 * the text between goes on to the next stage. */
static void split_added(Enc *e, const Trie *tr, int stage, const uc *s, size_t n, int at0) {
  const uc *added = SEC(e->t, VN_TOKSEC_ADDED) + 4;
  size_t start_off = 0, p = 0, ms, me = 0, st, sp, j;
  uint32_t ai = 0, fl, cp;
  if (tr->nn > 1) {
    while (p < n && !e->oom) {
      for (ms = p; ms < n; ms++)
        if (rd32(tr->root + 4 * (size_t)s[ms]) && trie_longest(tr, added, e->skip, s, n, ms, &me, &ai)) break;
      if (ms >= n) break;
      p = me;
      fl = rd32(added + 8 * (size_t)ai + 4);
      if (fl & VN_TOKADD_SINGLE_WORD) {
        int word_before = 0, word_after = 0;
        if (ms > 0) { u8get(s, ms, u8back(s, ms), &cp); word_before = (ucls(e->t, cp) & VN_TOKU_W) != 0; }
        if (me < n) { u8get(s, n, me, &cp); word_after = (ucls(e->t, cp) & VN_TOKU_W) != 0; }
        if (word_before || word_after) continue;
      }
      st = ms;
      sp = me;
      if (fl & VN_TOKADD_LSTRIP) {
        j = ms;
        while (j > 0) {
          size_t b = u8back(s, j);
          u8get(s, j, b, &cp);
          if (!(ucls(e->t, cp) & VN_TOKU_WS)) break;
          j = b;
        }
        st = j > start_off ? j : start_off;
      }
      if (fl & VN_TOKADD_RSTRIP) {
        while (sp < n) {
          size_t l = u8get(s, n, sp, &cp);
          if (!(ucls(e->t, cp) & VN_TOKU_WS)) break;
          sp += l;
        }
      }
      if (start_off < st) {
        if (stage == 0) segment(e, s + start_off, st - start_off, at0 && start_off == 0);
        else pretok(e, 0, s + start_off, st - start_off, at0 && start_off == 0);
      }
      emit(e, (int32_t)rd32(added + 8 * (size_t)ai));
      start_off = sp;
    }
  }
  if (start_off < n) {
    if (stage == 0) segment(e, s + start_off, n - start_off, at0 && start_off == 0);
    else pretok(e, 0, s + start_off, n - start_off, at0 && start_off == 0);
  }
}

/* A piece of raw text between added tokens: normalize, then split on the
 * normalized added tokens. */
static void segment(Enc *e, const uc *s, size_t n, int at0) {
  const VnTok *t = e->t;
  uint32_t ns = nsteps(t, VN_TOKSEC_NORM), k;
  size_t mark = e->wtop, cap, i, o;
  uc *buf[2];
  int cur = 0;
  Step st;
  if (!n || e->oom) return;
  if (ns) {
    cap = n * par(t, VN_TOKPAR_NORM_MUL) + par(t, VN_TOKPAR_NORM_ADD) + 8;
    buf[0] = wget(e, cap);
    buf[1] = wget(e, cap);
    if (!buf[1]) return;
    for (k = 0; k < ns; k++) {
      uc *out = buf[cur];
      step_get(t, VN_TOKSEC_NORM, k, &st);
      o = 0;
      switch (st.kind) {
      case VN_TOKNORM_NFC:
      case VN_TOKNORM_NFD:
        o = norm_unicode(e, s, n, out, st.kind == VN_TOKNORM_NFC, 0);
        break;
      case VN_TOKNORM_PRECOMPILED:
        o = norm_precompiled(e, s, n, out);
        break;
      case VN_TOKNORM_NFKC:
      case VN_TOKNORM_NFKD:
        o = norm_unicode(e, s, n, out, st.kind == VN_TOKNORM_NFKC, 1);
        break;
      case VN_TOKNORM_STRIP: {            /* HF strip: white space off either end */
        size_t a = 0, b = n, q;
        uint32_t c;
        while (st.a && a < b) {
          size_t l = u8get(s, n, a, &c);
          if (!(ucls(t, c) & VN_TOKU_WS)) break;
          a += l;
        }
        while (st.b && b > a) {
          q = u8back(s, b);
          if (q < a) q = a;
          u8get(s, b, q, &c);
          if (!(ucls(t, c) & VN_TOKU_WS)) break;
          b = q;
        }
        memcpy(out, s + a, b - a);
        o = b - a;
        break;
      }
      case VN_TOKNORM_REPLACE_PROG: {     /* every leftmost-first match -> s2 */
        Vm vm;
        size_t m2 = e->wtop, ms, me;
        uint32_t c;
        vm.np = rd32(st.s1);
        vm.code = st.s1 + 4;
        vm.data = st.s1 + 4 + 12 * (size_t)vm.np;
        vm.gen = 0;
        vm.mark = wget(e, 4 * (size_t)vm.np);
        vm.cl = wget(e, 8 * (size_t)vm.np);
        vm.nl = wget(e, 8 * (size_t)vm.np);
        vm.stk = wget(e, 4 * (2 * (size_t)vm.np + 2));
        if (!vm.stk) return;
        memset(vm.mark, 0, 4 * (size_t)vm.np);
        for (i = 0; i < n;) {
          if (!vm_find(t, &vm, s, n, i, &ms, &me)) { memcpy(out + o, s + i, n - i); o += n - i; break; }
          memcpy(out + o, s + i, ms - i);
          o += ms - i;
          if (me == ms) {                  /* an empty match replaces nothing (see docs) */
            if (ms >= n) break;
            size_t l = u8get(s, n, ms, &c);
            memcpy(out + o, s + ms, l);
            o += l;
            i = ms + l;
            continue;
          }
          memcpy(out + o, st.s2, st.l2);
          o += st.l2;
          i = me;
        }
        e->wtop = m2;
        break;
      }
      case VN_TOKNORM_BERT:
        o = norm_bert(e, s, n, out, st.a, st.s1, st.l1);
        break;
      case VN_TOKNORM_PREPEND:
        if (n) { memcpy(out, st.s1, st.l1); memcpy(out + st.l1, s, n); o = n + st.l1; }
        break;
      case VN_TOKNORM_REPLACE:
        for (i = 0; i < n;) {
          if (st.l1 && st.l1 <= n - i && !memcmp(s + i, st.s1, st.l1)) {
            memcpy(out + o, st.s2, st.l2);
            o += st.l2;
            i += st.l1;
          } else {
            out[o++] = s[i++];
          }
        }
        break;
      default:
        memcpy(out, s, n);
        o = n;
        break;
      }
      if (e->oom) return;
      s = out;
      n = o;
      cur ^= 1;
    }
  }
  split_added(e, &e->norm, 1, s, n, at0);
  e->wtop = mark;
}

/* ---- public: load, encode ---- */

static int sec_ok(const VnTok *t, int tag, size_t min) {
  return t->priv[tag - 1] != NULL && SECLEN(t, tag) >= min;
}

static int trie_ok(const VnTok *t, int tag, uint32_t nadded);
static int pcmap_ok(const VnTok *t);

static int steps_ok(const VnTok *t, int tag, int *has_nfc) {
  const uc *p = SEC(t, tag);
  size_t len = SECLEN(t, tag), sz;
  uint32_t n, i;
  Step st;
  if (len < 4) return 0;
  n = rd32(p);
  p += 4;
  len -= 4;
  if (n > 64) return 0;
  for (i = 0; i < n; i++) {
    if (!(sz = step_parse(p, len, &st))) return 0;
    if (tag == VN_TOKSEC_NORM) {
      if (st.kind < VN_TOKNORM_NFC || st.kind > VN_TOKNORM_PRECOMPILED) return 0;
      if (st.kind == VN_TOKNORM_PRECOMPILED && !pcmap_ok(t)) return 0;
      if ((st.kind == VN_TOKNORM_NFKC || st.kind == VN_TOKNORM_NFKD) && !t->priv[VN_TOKSEC_NFKC_DEC - 1]) return 0;
      if (st.kind == VN_TOKNORM_NFKC || st.kind == VN_TOKNORM_NFKD) *has_nfc = 1;
      if (st.kind == VN_TOKNORM_REPLACE_PROG && !prog_ok(st.s1, st.l1)) return 0;
      if (st.kind <= VN_TOKNORM_NFD || (st.kind == VN_TOKNORM_BERT && (st.a & VN_TOKBERT_STRIP))) *has_nfc = 1;
      if (st.kind == VN_TOKNORM_BERT && (st.a & VN_TOKBERT_LOWER) && !t->priv[VN_TOKSEC_LOWER - 1]) return 0;
    } else if (tag == VN_TOKSEC_PRE) {
      if (st.kind < VN_TOKPRE_SPLIT_REGEX || st.kind > VN_TOKPRE_BERT) return 0;
      if (st.kind == VN_TOKPRE_SPLIT_PROG && (!prog_ok(st.s1, st.l1) || st.b > VN_TOKSPLIT_CONTIGUOUS)) return 0;
      if (st.kind == VN_TOKPRE_SPLIT_REGEX && (st.a < VN_TOKRE_BYTELEVEL || st.a > VN_TOKRE_CL100K_N1)) return 0;
      if ((st.kind == VN_TOKPRE_SPLIT_REGEX || st.kind == VN_TOKPRE_SPLIT_STRING) &&
          st.b > VN_TOKSPLIT_CONTIGUOUS) return 0;
      if (st.kind == VN_TOKPRE_METASPACE && (st.l1 == 0 || st.l1 > 4)) return 0;
    } else {
      if (st.kind < VN_TOKDEC_BYTELEVEL || st.kind > VN_TOKDEC_WORDPIECE) return 0;
      if (st.kind == VN_TOKDEC_WORDPIECE && st.l1 > 64) return 0;
      if ((st.kind == VN_TOKDEC_REPLACE || st.kind == VN_TOKDEC_STRIP ||
           st.kind == VN_TOKDEC_METASPACE) && (st.l1 == 0 || st.l1 > 4)) return 0;
    }
    p += sz;
    len -= sz;
  }
  return 1;
}

/* Precompiled's sections: a valid trie whose values index the strings, the
 * strings inside their pool, a grapheme class table starting at U+0000. */
static int pcmap_ok(const VnTok *t) {
  const uc *p = SEC(t, VN_TOKSEC_PCMAP_STR), *g = SEC(t, VN_TOKSEC_GRAPH);
  size_t l = SECLEN(t, VN_TOKSEC_PCMAP_STR);
  uint32_t n, pl, i;
  if (!p || !g || l < 8 || SECLEN(t, VN_TOKSEC_GRAPH) < 8) return 0;
  n = rd32(p);
  if (n > (l - 8) / 8) return 0;
  pl = rd32(p + 4 + 8 * (size_t)n);
  if (pl > l - 8 - 8 * (size_t)n) return 0;
  for (i = 0; i < n; i++) {
    uint32_t off = rd32(p + 4 + 8 * (size_t)i), len = rd32(p + 8 + 8 * (size_t)i);
    if (off > pl || len > pl - off) return 0;
  }
  if (!t->priv[VN_TOKSEC_PCMAP_TRIE - 1] || !trie_ok(t, VN_TOKSEC_PCMAP_TRIE, n)) return 0;
  n = rd32(g);
  if (n < 1 || n > (SECLEN(t, VN_TOKSEC_GRAPH) - 4) / 4 || (rd32(g + 4) >> 8) != 0) return 0;
  return 1;
}

/* A decomposition table: offsets inside the pool, and no character
 * decomposing into more than mul code points per byte of its UTF-8 (the
 * runtime sizes its buffers so). */
static int dec_ok(const uc *p, size_t l, uint32_t mul) {
  uint32_t x, v, i;
  if (l < 8) return 0;
  x = rd32(p);
  if (x > (l - 8) / 8) return 0;
  v = rd32(p + 4 + 8 * (size_t)x);           /* pool length */
  if (v > (l - 8 - 8 * (size_t)x) / 4) return 0;
  for (i = 0; i < x; i++) {
    uint32_t cp = rd32(p + 4 + 8 * (size_t)i), d = rd32(p + 8 + 8 * (size_t)i);
    uint32_t ul = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if ((d & 0xFF) > 32 || (d & 0xFF) > mul * ul || (d >> 8) > v || (d & 0xFF) > v - (d >> 8)) return 0;
  }
  return 1;
}

static int trie_ok(const VnTok *t, int tag, uint32_t nadded) {
  const uc *p = SEC(t, tag);
  size_t len = SECLEN(t, tag);
  uint32_t nn, ne, i;
  if (len < 4 + 1024 + 4) return 0;
  nn = rd32(p);
  if (nn < 1 || nn > (len - 1032) / 12) return 0;
  ne = rd32(p + 1028 + 12 * (size_t)nn);
  if (ne > (len - 1032 - 12 * (size_t)nn) / 4) return 0;
  for (i = 0; i < 256; i++)
    if (rd32(p + 4 + 4 * i) >= nn) return 0;
  for (i = 0; i < nn; i++) {
    const uc *nd = p + 1028 + 12 * (size_t)i;
    uint32_t es = rd32(nd), en = rd32(nd + 4), term = rd32(nd + 8);
    if (es > ne || en > ne - es || term > nadded) return 0;
  }
  for (i = 0; i < ne; i++) {
    uint32_t e = rd32(p + 1032 + 12 * (size_t)nn + 4 * (size_t)i);
    if ((e >> 8) >= nn || (e >> 8) == 0) return 0;
  }
  return 1;
}

int vn_tok_load(VnTok *t, const unsigned char *blob, size_t len) {
  uint32_t ns, i, nv, nm, ne, x, nsl, v;
  int has_nfc = 0;
  const uc *p;
  memset(t, 0, sizeof *t);
  if (!blob || len < 16 || memcmp(blob, VN_TOK_MAGIC, 4) || rd32(blob + 4) != VN_TOK_VERSION)
    return -1;
  ns = rd32(blob + 8);
  if (ns > 64 || 16 + 12 * (size_t)ns > len) return -1;
  for (i = 0; i < ns; i++) {
    const uc *e = blob + 16 + 12 * (size_t)i;
    uint32_t tag = rd32(e), off = rd32(e + 4), sl = rd32(e + 8);
    if (tag < 1 || tag >= VN_TOKSEC_END_ || off > len || sl > len - off) return -1;
    t->priv[tag - 1] = blob + off;
    t->ipriv[tag - 1] = sl;
  }
  for (i = VN_TOKSEC_PARAMS; i <= VN_TOKSEC_UCLASS; i++)
    if (!t->priv[i - 1]) return -1;
  if (!sec_ok(t, VN_TOKSEC_PARAMS, 4 * VN_TOKPAR_COUNT)) return -1;
  nv = par(t, VN_TOKPAR_NVOCAB);
  nm = par(t, VN_TOKPAR_NMERGES);
  if (nv > 0x7FFFFFF || nm > 0x7FFFFFF) return -1;
  if (!sec_ok(t, VN_TOKSEC_VOFF, 4 * ((size_t)nv + 1)) || !sec_ok(t, VN_TOKSEC_VFLAGS, nv) ||
      !sec_ok(t, VN_TOKSEC_BYTEIDS, 1024) || !sec_ok(t, VN_TOKSEC_FBIDS, 1024) ||
      !sec_ok(t, VN_TOKSEC_MIDX, 4 * ((size_t)nv + 1)) || !sec_ok(t, VN_TOKSEC_MRES, 4 * (size_t)nm) ||
      !sec_ok(t, VN_TOKSEC_VHASH, 8) || !sec_ok(t, VN_TOKSEC_ADDED, 4) ||
      !sec_ok(t, VN_TOKSEC_POST, 8) || !sec_ok(t, VN_TOKSEC_EOG, 4) ||
      !sec_ok(t, VN_TOKSEC_UCLASS, 260))
    return -1;
  /* vocabulary offsets and flags */
  p = SEC(t, VN_TOKSEC_VOFF);
  for (i = 0, x = 0; i <= nv; i++) {
    v = rd32(p + 4 * (size_t)i);
    if (v < x || v > SECLEN(t, VN_TOKSEC_VSTR)) return -1;
    x = v;
  }
  /* hash: power of two, ids in range, at least one empty slot */
  p = SEC(t, VN_TOKSEC_VHASH);
  nsl = rd32(p);
  if (!nsl || (nsl & (nsl - 1)) || SECLEN(t, VN_TOKSEC_VHASH) < 4 + 4 * (size_t)nsl) return -1;
  for (i = 0, x = 0; i < nsl; i++) {
    v = rd32(p + 4 + 4 * (size_t)i);
    if (v > nv) return -1;
    x += v == 0;
  }
  if (!x) return -1;
  for (i = 0; i < 512; i++) {
    v = rd32(SEC(t, i < 256 ? VN_TOKSEC_BYTEIDS : VN_TOKSEC_FBIDS) + 4 * (i & 255));
    if (v != NONE && v >= nv) return -1;
  }
  /* merges */
  p = SEC(t, VN_TOKSEC_MIDX);
  for (i = 0, x = 0; i <= nv; i++) {
    v = rd32(p + 4 * (size_t)i);
    if (v < x) return -1;
    x = v;
  }
  ne = x;
  if (!sec_ok(t, VN_TOKSEC_MEDGE, 8 * (size_t)ne)) return -1;
  p = SEC(t, VN_TOKSEC_MEDGE);
  for (i = 0; i < ne; i++)
    if (rd32(p + 8 * (size_t)i) >= nv || rd32(p + 8 * (size_t)i + 4) >= nm) return -1;
  p = SEC(t, VN_TOKSEC_MRES);
  for (i = 0; i < nm; i++)
    if (rd32(p + 4 * (size_t)i) >= nv) return -1;
  x = par(t, VN_TOKPAR_UNK);
  if (x != NONE && x >= nv) return -1;
  /* added tokens and their tries */
  p = SEC(t, VN_TOKSEC_ADDED);
  x = rd32(p);
  if (x > (SECLEN(t, VN_TOKSEC_ADDED) - 4) / 8) return -1;
  for (i = 0; i < x; i++)
    if (rd32(p + 4 + 8 * (size_t)i) >= nv) return -1;
  if (!trie_ok(t, VN_TOKSEC_TRIE_RAW, x) || !trie_ok(t, VN_TOKSEC_TRIE_NORM, x)) return -1;
  /* steps */
  if (!steps_ok(t, VN_TOKSEC_NORM, &has_nfc) || !steps_ok(t, VN_TOKSEC_PRE, &has_nfc) ||
      !steps_ok(t, VN_TOKSEC_DEC, &has_nfc))
    return -1;
  if (has_nfc) {
    size_t l;
    if (!sec_ok(t, VN_TOKSEC_NFC_DEC, 8) || !sec_ok(t, VN_TOKSEC_NFC_CCC, 4) ||
        !sec_ok(t, VN_TOKSEC_NFC_COMP, 4))
      return -1;
    (void)l;
    if (!dec_ok(SEC(t, VN_TOKSEC_NFC_DEC), SECLEN(t, VN_TOKSEC_NFC_DEC), 2)) return -1;
    if (t->priv[VN_TOKSEC_NFKC_DEC - 1] && !dec_ok(SEC(t, VN_TOKSEC_NFKC_DEC), SECLEN(t, VN_TOKSEC_NFKC_DEC), 6))
      return -1;
    x = rd32(SEC(t, VN_TOKSEC_NFC_CCC));
    if (x > (SECLEN(t, VN_TOKSEC_NFC_CCC) - 4) / 4) return -1;
    x = rd32(SEC(t, VN_TOKSEC_NFC_COMP));
    if (x > (SECLEN(t, VN_TOKSEC_NFC_COMP) - 4) / 12) return -1;
  }
  if (t->priv[VN_TOKSEC_WALL - 1]) {
    x = SECLEN(t, VN_TOKSEC_WALL) >= 4 ? rd32(SEC(t, VN_TOKSEC_WALL)) : 0;
    if (x < 8 || (x & (x - 1)) || SECLEN(t, VN_TOKSEC_WALL) < 4 + (size_t)x / 8) return -1;
  }
  if (t->priv[VN_TOKSEC_LOWER - 1]) {
    x = SECLEN(t, VN_TOKSEC_LOWER) >= 4 ? rd32(SEC(t, VN_TOKSEC_LOWER)) : 0xFFFFFFFFu;
    if (x > (SECLEN(t, VN_TOKSEC_LOWER) - 4) / 12) return -1;
    for (i = 0; i < x; i++)
      if (rd32(SEC(t, VN_TOKSEC_LOWER) + 8 + 12 * (size_t)i) >= 0x110000u ||
          rd32(SEC(t, VN_TOKSEC_LOWER) + 12 + 12 * (size_t)i) >= 0x110000u)
        return -1;
  }
  if (t->priv[VN_TOKSEC_MODEL - 1]) {          /* WordPiece: kind, max chars, two strings */
    size_t l = SECLEN(t, VN_TOKSEC_MODEL), w1, w2;
    p = SEC(t, VN_TOKSEC_MODEL);
    if (l < 16 || (rd32(p) != VN_TOKMODEL_WORDPIECE && rd32(p) != VN_TOKMODEL_UNIGRAM) ||
        par(t, VN_TOKPAR_UNK) >= nv)
      return -1;
    if (rd32(p) == VN_TOKMODEL_UNIGRAM) {      /* scores of every id, a power-of-two prefix bitset */
      uint32_t nb;
      if (!sec_ok(t, VN_TOKSEC_SCORES, 8 + 8 * (size_t)nv) || !sec_ok(t, VN_TOKSEC_UPREFIX, 4)) return -1;
      nb = rd32(SEC(t, VN_TOKSEC_UPREFIX));
      if (nb < 8 || (nb & (nb - 1)) || SECLEN(t, VN_TOKSEC_UPREFIX) < 4 + (size_t)nb / 8) return -1;
    }
    w1 = rd32(p + 8);
    if (w1 > 64 || 12 + pad4(w1) + 4 > l) return -1;
    w2 = rd32(p + 12 + pad4(w1));
    if (w2 > 64 || 16 + pad4(w1) + pad4(w2) > l) return -1;
  }
  /* post-processor, eog, classes */
  p = SEC(t, VN_TOKSEC_POST);
  x = rd32(p);
  if (x > 64 || SECLEN(t, VN_TOKSEC_POST) < 8 + 4 * (size_t)x) return -1;
  v = rd32(p + 4 + 4 * (size_t)x);
  if (v > 64 || SECLEN(t, VN_TOKSEC_POST) < 8 + 4 * (size_t)(x + v)) return -1;
  for (i = 0; i < x + v; i++) {
    uint32_t id = rd32(p + 4 + 4 * (size_t)i + (i >= x ? 4 : 0));
    if (id >= nv) return -1;
  }
  p = SEC(t, VN_TOKSEC_EOG);
  x = rd32(p);
  if (x > (SECLEN(t, VN_TOKSEC_EOG) - 4) / 4) return -1;
  for (i = 0; i < x; i++)
    if (rd32(p + 4 + 4 * (size_t)i) >= nv) return -1;
  x = rd32(SEC(t, VN_TOKSEC_UCLASS) + 256);
  if (x > (SECLEN(t, VN_TOKSEC_UCLASS) - 260) / 4) return -1;
  if (par(t, VN_TOKPAR_NORM_MUL) > 64 || par(t, VN_TOKPAR_PRE_MUL) > 64 ||
      par(t, VN_TOKPAR_NORM_ADD) > 4096 || par(t, VN_TOKPAR_PRE_ADD) > 4096)
    return -1;
  t->blob = blob;
  t->blob_len = len;
  t->n_vocab = (int32_t)nv;
  x = par(t, VN_TOKPAR_BOS);
  t->bos_id = x < nv ? (int32_t)x : -1;
  x = par(t, VN_TOKPAR_EOS);
  t->eos_id = x < nv ? (int32_t)x : -1;
  return 0;
}

size_t vn_tok_work_size(const VnTok *t, size_t len) {
  size_t nb, pb, norm = 0, nfc = 0, pre;
  uint32_t k, npre = nsteps(t, VN_TOKSEC_PRE), nnorm = nsteps(t, VN_TOKSEC_NORM);
  Step st;
  if (len > ((size_t)-1) / 4096) return (size_t)-1;
  nb = len * par(t, VN_TOKPAR_NORM_MUL) + par(t, VN_TOKPAR_NORM_ADD) + 8;
  if (nnorm) norm = 2 * (nb + 8);
  for (k = 0; k < nnorm; k++) {
    step_get(t, VN_TOKSEC_NORM, k, &st);
    if (st.kind <= VN_TOKNORM_NFD) nfc = 2 * 4 * (2 * nb + 8) + 32;
    if ((st.kind == VN_TOKNORM_NFKC || st.kind == VN_TOKNORM_NFKD) && 2 * 4 * (6 * nb + 8) + 32 > nfc)
      nfc = 2 * 4 * (6 * nb + 8) + 32;
    if (st.kind == VN_TOKNORM_REPLACE_PROG) norm += vm_bytes(rd32(st.s1)) + 32;
    if (st.kind == VN_TOKNORM_BERT)        /* its two buffers, then NFD's */
      nfc = (3 * nb + 8) + 8 * (3 * nb + 8) + 8 + 2 * 4 * (2 * 8 * (3 * nb + 8) + 8) + 96;
  }
  pb = nb * par(t, VN_TOKPAR_PRE_MUL) + par(t, VN_TOKPAR_PRE_ADD) + 8;
  pre = 0;
  for (k = 0; k < npre; k++) {
    pre += pb + 8;
    step_get(t, VN_TOKSEC_PRE, k, &st);
    if (st.kind == VN_TOKPRE_SPLIT_PROG) pre += vm_bytes(rd32(st.s1)) + 32;   /* live while later steps run */
  }
  pre += 32 * pb + 64;                 /* BPE: a Sym per symbol + 2 heap slots */
  return 12 * MCACHE + norm + (nfc > pre ? nfc : pre) + 256;
}

long vn_tok_encode(const VnTok *t, const char *text, size_t len, int add_special,
                   int32_t *ids, long cap, void *work, size_t work_cap) {
  return vn_tok_encode_opts(t, text, len, (add_special ? VN_TOK_ADD_SPECIAL : 0) | VN_TOK_PARSE_SPECIAL, ids, cap,
                            work, work_cap);
}

long vn_tok_encode_opts(const VnTok *t, const char *text, size_t len, unsigned opts,
                        int32_t *ids, long cap, void *work, size_t work_cap) {
  Enc e;
  int add_special = (opts & VN_TOK_ADD_SPECIAL) != 0;
  const uc *post = SEC(t, VN_TOKSEC_POST);
  uint32_t np = rd32(post), nsf = rd32(post + 4 + 4 * (size_t)np), i;
  memset(&e, 0, sizeof e);
  e.t = t;
  e.ids = ids;
  e.cap = ids ? cap : 0;
  e.w = work;
  e.wcap = work ? work_cap : 0;
  e.flags = par(t, VN_TOKPAR_FLAGS);
  e.npre = nsteps(t, VN_TOKSEC_PRE);
  e.skip = (opts & VN_TOK_PARSE_SPECIAL) ? 0 : VN_TOKADD_SPECIAL;
  trie_get(t, VN_TOKSEC_TRIE_RAW, &e.raw);
  trie_get(t, VN_TOKSEC_TRIE_NORM, &e.norm);
  if ((e.mcache = wget(&e, 12 * MCACHE)) != NULL)
    memset(e.mcache, 0xFF, 12 * MCACHE);   /* left = NONE: no valid id */
  if (add_special)
    for (i = 0; i < np; i++) emit(&e, (int32_t)rd32(post + 4 + 4 * (size_t)i));
  if (text && len) split_added(&e, &e.raw, 0, (const uc *)text, len, 1);
  if (add_special)
    for (i = 0; i < nsf; i++) emit(&e, (int32_t)rd32(post + 8 + 4 * (size_t)(np + i)));
  return e.oom ? -1 : e.n;
}

/* ---- decoder ---- */

typedef struct Dec {
  const VnTok *t;
  char *out;
  size_t cap, n;
  int mode;                     /* DEC_BYTES, DEC_TEXT, DEC_JOIN or DEC_WP */
  Step wp;                      /* DEC_WP: the WordPiece decoder step */
  int bytefb;                   /* ByteFallback present */
  uint32_t nst;                 /* per-token steps (Replace, Metaspace, Strip before Fuse) */
  Step st[8];
  const uc *strip_ch;           /* Strip after Fuse: the character and how many */
  size_t strip_len;
  int64_t strip_left;
  int64_t tokstrip[8];          /* per-token Strip steps: left in this token */
  uc u8[4];                     /* incomplete UTF-8 (byte-level mode) */
  int u8n;
} Dec;

enum { DEC_BYTES, DEC_TEXT, DEC_JOIN, DEC_WP };

static void dec_plan(Dec *d, const VnTok *t) {
  uint32_t n = nsteps(t, VN_TOKSEC_DEC), k;
  int fused = 0;
  Step st;
  memset(d, 0, sizeof *d);
  d->t = t;
  d->mode = DEC_TEXT;
  for (k = 0; k < n; k++) {
    step_get(t, VN_TOKSEC_DEC, k, &st);
    switch (st.kind) {
    case VN_TOKDEC_BYTELEVEL: d->mode = DEC_BYTES; break;
    case VN_TOKDEC_JOIN_SPACE: d->mode = DEC_JOIN; break;
    case VN_TOKDEC_WORDPIECE: d->mode = DEC_WP; d->wp = st; break;
    case VN_TOKDEC_BYTEFALLBACK: d->bytefb = 1; break;
    case VN_TOKDEC_FUSE: fused = 1; break;
    default:                   /* per-token steps; a Strip after Fuse is global */
      if (st.kind == VN_TOKDEC_STRIP && fused) {
        d->strip_ch = st.s1;
        d->strip_len = st.l1;
        d->strip_left = st.a;
      } else if (d->nst < 8) {
        d->st[d->nst++] = st;
      }
      break;
    }
  }
}

static void out_raw(Dec *d, const void *p, size_t n) {
  if (d->n < d->cap) memcpy(d->out + d->n, p, n <= d->cap - d->n ? n : d->cap - d->n);
  d->n += n;
}

/* One whole character to the output, through a Strip that follows Fuse. */
static void out_char(Dec *d, const uc *c, size_t n) {
  if (d->strip_left > 0) {
    if (n == d->strip_len && !memcmp(c, d->strip_ch, n)) { d->strip_left--; return; }
    d->strip_left = 0;
  }
  out_raw(d, c, n);
}

static const uc FFFD[3] = {0xEF, 0xBF, 0xBD};

/* Valid UTF-8 text to the output, character by character while a Strip
 * still looks at the start. */
static void out_text(Dec *d, const uc *s, size_t n) {
  size_t i = 0, l;
  uint32_t cp;
  while (i < n && d->strip_left > 0) {
    l = u8get(s, n, i, &cp);
    out_char(d, s + i, l);
    i += l;
  }
  if (i < n) out_raw(d, s + i, n - i);
}

/* Byte-level mode: one byte into the lossy UTF-8 decoder (String::from_utf8_lossy:
 * one U+FFFD per maximal malformed subpart). */
static void u8_feed(Dec *d, uc b) {
  for (;;) {
    if (!d->u8n) {
      int need = u8_need(b);
      if (need == 1) out_char(d, &b, 1);
      else if (!need) out_char(d, FFFD, 3);
      else { d->u8[0] = b; d->u8n = 1; }
      return;
    }
    if (u8_ok(d->u8[0], d->u8n, b)) {
      d->u8[d->u8n++] = b;
      if (d->u8n == u8_need(d->u8[0])) { out_char(d, d->u8, (size_t)d->u8n); d->u8n = 0; }
      return;
    }
    out_char(d, FFFD, 3);
    d->u8n = 0;
  }
}

static void u8_flush(Dec *d) {
  if (d->u8n) { out_char(d, FFFD, 3); d->u8n = 0; }
}

/* Text mode: a character through per-token steps k.. (token index tix). */
static void tchar(Dec *d, uint32_t k, const uc *c, size_t n, long tix) {
  const Step *st;
  size_t i, l;
  uint32_t cp;
  for (; k < d->nst; k++) {
    st = &d->st[k];
    if (st->kind == VN_TOKDEC_STRIP) {
      if (d->tokstrip[k] > 0 && n == st->l1 && !memcmp(c, st->s1, n)) { d->tokstrip[k]--; return; }
      d->tokstrip[k] = 0;
      continue;
    }
    if (n != st->l1 || memcmp(c, st->s1, n)) continue;
    if (st->kind == VN_TOKDEC_METASPACE) {
      if (tix == 0 && st->a != VN_TOKPREPEND_NEVER) return;
      tchar(d, k + 1, (const uc *)" ", 1, tix);
      return;
    }
    for (i = 0; i < st->l2; i += l) {   /* Replace: the content's characters */
      l = u8get(st->s2, st->l2, i, &cp);
      tchar(d, k + 1, st->s2 + i, l, tix);
    }
    return;
  }
  out_char(d, c, n);
}

static void dec_text_token(Dec *d, const uc *p, size_t n, long tix) {
  size_t i, l;
  uint32_t cp, k;
  if (!d->nst) { out_text(d, p, n); return; }
  for (k = 0; k < d->nst; k++)
    d->tokstrip[k] = d->st[k].kind == VN_TOKDEC_STRIP ? (int64_t)d->st[k].a : 0;
  for (i = 0; i < n; i += l) {
    l = u8get(p, n, i, &cp);
    tchar(d, 0, p + i, l, tix);
  }
}

/* HF's WordPiece decoder on one token (tix: its index): the continuing prefix
 * removed, else a space before every token but the first; then, with cleanup,
 * HF's replacements in its order, each over the whole token text. A token
 * longer than WP_MAX that has a space inside cannot be cleaned in the stack
 * buffer: venusc refuses such vocabularies, so here it only passes through. */
enum { WP_MAX = 512 };
static const char *const WP_CLEAN[][2] = {
  {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"}, {" 'm", "'m"},
  {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};

static void wp_dec_token(Dec *d, const uc *p, size_t n, long tix) {
  uc buf[2][WP_MAX + 8];
  size_t len = 0, r, i, o;
  int cur = 0;
  const Step *st = &d->wp;
  if (tix) {
    if (n >= st->l1 && !memcmp(p, st->s1, st->l1)) { p += st->l1; n -= st->l1; }
    else if (!st->a || n + 1 > WP_MAX) { out_raw(d, " ", 1); }
    else { buf[0][0] = ' '; memcpy(buf[0] + 1, p, n); len = n + 1; }
  }
  if (!st->a) { out_raw(d, p, n); return; }
  if (!len) {
    if (n > WP_MAX) { out_raw(d, p, n); return; }
    memcpy(buf[0], p, n);
    len = n;
  }
  for (r = 0; r < sizeof WP_CLEAN / sizeof WP_CLEAN[0]; r++) {
    const char *from = WP_CLEAN[r][0], *to = WP_CLEAN[r][1];
    size_t fl = strlen(from), tl = strlen(to);
    const uc *a = buf[cur];
    uc *b = buf[cur ^ 1];
    for (i = 0, o = 0; i < len;) {        /* replacements never lengthen the text */
      if (fl <= len - i && !memcmp(a + i, from, fl)) { memcpy(b + o, to, tl); o += tl; i += fl; }
      else b[o++] = a[i++];
    }
    len = o;
    cur ^= 1;
  }
  out_raw(d, buf[cur], len);
}

/* The byte a "<0xXX>" piece stands for, or -1. */
static int byte_piece(const VnTok *t, uint32_t id) {
  size_t n;
  const uc *p;
  if (!(SEC(t, VN_TOKSEC_VFLAGS)[id] & VN_TOKV_BYTE)) return -1;
  p = piece(t, id, &n);
  if (n != 6) return -1;
#define HEX(c) ((c) <= '9' ? (c) - '0' : ((c) | 0x20) - 'a' + 10)
  return HEX(p[3]) * 16 + HEX(p[4]);
#undef HEX
}

static int present(const VnTok *t, int32_t id) {
  return id >= 0 && id < t->n_vocab && (SEC(t, VN_TOKSEC_VFLAGS)[id] & VN_TOKV_PRESENT);
}

/* Is the run of byte tokens valid UTF-8 as a whole (HF ByteFallback)? */
static int run_valid(const VnTok *t, const int32_t *ids, size_t a, size_t b) {
  uc lead = 0;
  int have = 0, need = 0;
  size_t i;
  for (i = a; i < b; i++) {
    int x;
    if (!present(t, ids[i])) continue;
    x = byte_piece(t, (uint32_t)ids[i]);
    if (!have) {
      need = u8_need((uc)x);
      if (!need) return 0;
      lead = (uc)x;
      have = 1;
    } else {
      if (!u8_ok(lead, have, (uc)x)) return 0;
      have++;
    }
    if (have == need) have = 0;
  }
  return have == 0;
}

size_t vn_tok_decode(const VnTok *t, const int32_t *ids, size_t n, char *out, size_t cap) {
  Dec d;
  size_t i, j, pn;
  const uc *p;
  long tix = 0;
  dec_plan(&d, t);
  d.out = out;
  d.cap = out ? cap : 0;
  for (i = 0; i < n; i++) {
    if (!present(t, ids[i])) continue;
    p = piece(t, (uint32_t)ids[i], &pn);
    if (d.mode == DEC_BYTES) {
      for (j = 0; j < pn; j++) u8_feed(&d, p[j]);
    } else if (d.mode == DEC_JOIN) {
      if (tix) out_raw(&d, " ", 1);
      out_raw(&d, p, pn);
    } else if (d.mode == DEC_WP) {
      wp_dec_token(&d, p, pn, tix);
    } else if (d.bytefb && byte_piece(t, (uint32_t)ids[i]) >= 0) {
      int ok;
      for (j = i; j < n && (!present(t, ids[j]) || byte_piece(t, (uint32_t)ids[j]) >= 0); j++) {}
      ok = run_valid(t, ids, i, j);
      if (ok) {
        uc buf[4];
        int have = 0, need = 0;
        size_t q;
        for (q = i; q < j; q++) {
          if (!present(t, ids[q])) continue;
          buf[have++] = (uc)byte_piece(t, (uint32_t)ids[q]);
          if (have == 1) need = u8_need(buf[0]);
          if (have == need) { out_char(&d, buf, (size_t)have); have = 0; }
        }
      }
      for (; i < j; i++) {
        if (!present(t, ids[i])) continue;
        if (!ok) out_char(&d, FFFD, 3);
        tix++;
      }
      i--;
      continue;
    } else {
      dec_text_token(&d, p, pn, tix);
    }
    tix++;
  }
  if (d.mode == DEC_BYTES) u8_flush(&d);
  return d.n;
}

/* ---- streaming decode ----
 * ipriv[0]: Strip-after-Fuse characters still to look at; ipriv[1]: length of
 * the current byte-fallback run; ipriv[2]: bit 0 run known invalid, bit 1 run
 * longer than pend and already (partly) printed. pend holds an incomplete
 * character (byte-level) or the held run (text mode). */

void vn_tok_stream_init(VnTokStream *s, const VnTok *t) {
  Dec d;
  memset(s, 0, sizeof *s);
  s->tok = t;
  dec_plan(&d, t);
  s->ipriv[0] = d.strip_left;
}

/* Is pend[0..n) a valid prefix (1), complete and valid (2), or invalid (0)? */
static int pend_state(const uc *p, size_t n) {
  size_t i = 0;
  int k, need;
  while (i < n) {
    need = u8_need(p[i]);
    if (!need) return 0;
    for (k = 1; k < need; k++) {
      if (i + (size_t)k >= n) return 1;
      if (!u8_ok(p[i], k, p[i + (size_t)k])) return 0;
    }
    i += (size_t)need;
  }
  return 2;
}

/* Ends the held byte run (text mode), printing it as HF's ByteFallback would. */
static void run_end(VnTokStream *s, Dec *d) {
  int64_t i;
  if (!s->ipriv[1]) return;
  if (!(s->ipriv[2] & 1) && pend_state(s->pend, (size_t)s->pend_len) == 2) {
    out_text(d, s->pend, (size_t)s->pend_len);
  } else {
    int64_t cnt = (s->ipriv[2] & 2) ? s->pend_len : s->ipriv[1];
    if (s->ipriv[2] & 1) cnt = 0;      /* already printed as U+FFFD */
    for (i = 0; i < cnt; i++) out_char(d, FFFD, 3);
  }
  s->ipriv[1] = 0;
  s->ipriv[2] = 0;
  s->pend_len = 0;
}

static size_t stream_feed(VnTokStream *s, int32_t id, int flush, char *out, size_t cap) {
  const VnTok *t = s->tok;
  Dec d;
  size_t pn, j;
  const uc *p;
  dec_plan(&d, t);
  d.out = out;
  d.cap = out ? cap : 0;
  d.strip_left = s->ipriv[0];
  if (d.mode == DEC_BYTES) {
    memcpy(d.u8, s->pend, (size_t)s->pend_len);
    d.u8n = s->pend_len;
  }
  if (!flush && present(t, id)) {
    p = piece(t, (uint32_t)id, &pn);
    if (d.mode == DEC_BYTES) {
      for (j = 0; j < pn; j++) u8_feed(&d, p[j]);
    } else if (d.mode == DEC_JOIN) {
      if (s->n_done) out_raw(&d, " ", 1);
      out_raw(&d, p, pn);
    } else if (d.mode == DEC_WP) {
      wp_dec_token(&d, p, pn, s->n_done);
    } else if (d.bytefb && byte_piece(t, (uint32_t)id) >= 0) {
      uc b = (uc)byte_piece(t, (uint32_t)id);
      s->ipriv[1]++;
      if (s->ipriv[2] & 1) {
        out_char(&d, FFFD, 3);
      } else {
        s->pend[s->pend_len++] = b;
        if (pend_state(s->pend, (size_t)s->pend_len) == 0) {
          /* the run is broken: every byte of it prints as U+FFFD */
          int64_t cnt = (s->ipriv[2] & 2) ? s->pend_len : s->ipriv[1], i;
          for (i = 0; i < cnt; i++) out_char(&d, FFFD, 3);
          s->pend_len = 0;
          s->ipriv[2] |= 1;
        } else if (s->pend_len == (int32_t)sizeof s->pend) {
          /* too long to hold: print the complete characters, keep the tail */
          size_t keep = 0;
          while (keep < 4 && pend_state(s->pend, sizeof s->pend - keep) != 2) keep++;
          out_text(&d, s->pend, sizeof s->pend - keep);
          memmove(s->pend, s->pend + sizeof s->pend - keep, keep);
          s->pend_len = (int32_t)keep;
          s->ipriv[2] |= 2;
        }
      }
    } else {
      run_end(s, &d);
      dec_text_token(&d, p, pn, s->n_done);
    }
    s->n_done++;
  } else if (!flush) {
    /* unknown id: HF drops it before decoding */
  }
  if (flush) {
    if (d.mode == DEC_BYTES) u8_flush(&d);
    else run_end(s, &d);
  }
  if (d.mode == DEC_BYTES) {
    memcpy(s->pend, d.u8, (size_t)d.u8n);
    s->pend_len = d.u8n;
  }
  s->ipriv[0] = d.strip_left;
  return d.n;
}

size_t vn_tok_stream_next(VnTokStream *s, int32_t id, char *out, size_t cap) {
  return stream_feed(s, id, 0, out, cap);
}

size_t vn_tok_stream_flush(VnTokStream *s, char *out, size_t cap) {
  return stream_feed(s, -1, 1, out, cap);
}

size_t vn_tok_stream_room(const VnTok *t) {
  /* a held run of U+FFFD, then one piece whose bytes may each become U+FFFD
   * or (text mode) one Replace content per character */
  uint32_t n = nsteps(t, VN_TOKSEC_DEC), k, grow = 1;
  Step st;
  for (k = 0; k < n; k++) {
    step_get(t, VN_TOKSEC_DEC, k, &st);
    if (st.kind == VN_TOKDEC_REPLACE && st.l2 > grow) grow = st.l2;
  }
  return 3 * sizeof(((VnTokStream *)0)->pend) + 3 * ((size_t)par(t, VN_TOKPAR_MAXPIECE) + 4) * grow + 16;
}

int vn_tok_is_eog(const VnTok *t, int32_t id) {
  const uc *p = SEC(t, VN_TOKSEC_EOG);
  uint32_t lo = 0, hi = rd32(p), mid, v;
  if (id < 0) return 0;
  while (lo < hi) {
    mid = lo + (hi - lo) / 2;
    v = rd32(p + 4 + 4 * (size_t)mid);
    if (v == (uint32_t)id) return 1;
    if (v < (uint32_t)id) lo = mid + 1;
    else hi = mid;
  }
  return 0;
}

const char *vn_tok_piece(const VnTok *t, int32_t id, size_t *len) {
  if (!present(t, id)) { *len = 0; return NULL; }
  return (const char *)piece(t, (uint32_t)id, len);
}
