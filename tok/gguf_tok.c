/* gguf_tok.c: the tokenizer of a GGUF file (tokenizer.ggml.* metadata) as a
 * VnTokDesc, compiled by the same blob writer as tokenizer.json, so the model
 * binary runs the same tokenizer code either way. Which kind a file holds is
 * decided in archspecs/lib/gguf.lua:
 *   byte_bpe: byte-level BPE; tokens in the byte-to-unicode alphabet,
 *             merges "a b", split by the named regex.
 *   spm_bpe:  SentencePiece-style BPE with byte fallback; no merges are
 *             stored, so they are derived from the scores: every way to join
 *             two pieces into a piece, ranked by the joined piece's score
 *             (the order a SentencePiece BPE model merges in). */
#include "tok.h"
#include "tokenizer.h"
#include <stdlib.h>
#include <string.h>

enum { TT_NORMAL = 1, TT_UNKNOWN = 2, TT_CONTROL = 3, TT_USER = 4, TT_UNUSED = 5, TT_BYTE = 6 };
enum { GT_U8, GT_I8, GT_U16, GT_I16, GT_U32, GT_I32, GT_F32, GT_BOOL, GT_STR, GT_ARR };

typedef struct Map {   /* piece -> id, open addressing */
  uint32_t n;
  int32_t *slot;
  const VnTokcStr *vocab;
} Map;

static uint32_t fnv(const char *s, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 16777619u; }
  return h;
}

static int map_build(Map *m, const VnTokcStr *v, int32_t nv) {
  m->n = 16;
  while (m->n < (uint32_t)nv * 2) m->n *= 2;
  if (!(m->slot = malloc(m->n * sizeof *m->slot))) return -1;
  memset(m->slot, 0xff, m->n * sizeof *m->slot);
  m->vocab = v;
  for (int32_t i = 0; i < nv; i++) {
    uint32_t h = fnv(v[i].s, v[i].len) & (m->n - 1);
    while (m->slot[h] >= 0) h = (h + 1) & (m->n - 1);
    m->slot[h] = i;
  }
  return 0;
}

static int32_t map_get(const Map *m, const char *s, size_t n) {
  for (uint32_t h = fnv(s, n) & (m->n - 1); m->slot[h] >= 0; h = (h + 1) & (m->n - 1)) {
    const VnTokcStr *v = &m->vocab[m->slot[h]];
    if (v->len == n && !memcmp(v->s, s, n)) return m->slot[h];
  }
  return -1;
}

static int32_t meta_int(const VnGguf *g, const char *key, int32_t def) {
  json_t *v = json_object_get(g->meta, key);
  return json_is_integer(v) ? (int32_t)json_integer_value(v) : def;
}

static int meta_bool(const VnGguf *g, const char *key, int def) {
  json_t *v = json_object_get(g->meta, key);
  return json_is_boolean(v) ? json_is_true(v) : def;
}

/* Is s[0..n) well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF)? */
static int utf8_ok(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    unsigned c = p[i], need, k;
    uint32_t cp;
    if (c < 0x80) { i++; continue; }
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c >= 0xE0 && c <= 0xEF) need = 2;
    else if (c >= 0xF0 && c <= 0xF4) need = 3;
    else return 0;
    if (n - i <= need) return 0;
    cp = c & (0x3F >> need);
    for (k = 1; k <= need; k++) {
      if ((p[i + k] & 0xC0) != 0x80) return 0;
      cp = cp << 6 | (p[i + k] & 0x3F);
    }
    if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
      return 0;
    i += need + 1;
  }
  return 1;
}

static VnTokcStr lit(const char *s) { VnTokcStr t = {s, strlen(s)}; return t; }

typedef struct { int32_t id, a, b; float score; } Cand;
static int cmp_cand(const void *x, const void *y) {
  const Cand *p = x, *q = y;
  if (p->score != q->score) return p->score > q->score ? -1 : 1;
  if (p->id != q->id) return p->id < q->id ? -1 : 1;
  return p->a - q->a;
}

/* What the tokenizer compiler needs besides the description: the GGUF
 * arrays it was read from (freed by gg_free). */
typedef struct GT {
  VnCtx *ctx;
  const VnGguf *g;
  VnTokDesc d;
  int32_t *types;
  float *scores;
  Map map;
  Cand *cand;
  char *progs[VN_TOKC_MAXSTEPS];  /* compiled split regexes */
  int nprogs;
} GT;

static VnStatus gerr(GT *t, VnStatus st, const char *msg) {
  return vn_errorf(t->ctx, st, (VnLoc){t->g->path, 0}, "%s", msg);
}

static void gt_free(GT *t) {
  while (t->nprogs) free(t->progs[--t->nprogs]);
  free(t->cand); free(t->d.merges); free(t->d.added); free(t->d.vocab);
  free(t->types); free(t->scores); free(t->map.slot);
}

/* vocabulary, token types and scores, ids, added tokens, post-processor */
static VnStatus gt_vocab(GT *t, int spm) {
  const VnGguf *g = t->g;
  VnTokDesc *d = &t->d;
  uint32_t ty;
  uint64_t nv, n2;
  VnGgufIter it;
  if (!vn_gguf_array(g, "tokenizer.ggml.tokens", &ty, &nv, &it) || ty != GT_STR || nv == 0 || nv > (1u << 24))
    return gerr(t, VN_ERR_INPUT, "tokenizer.ggml.tokens is missing or not a list of strings");
  d->file = g->path;
  d->n_vocab = (int32_t)nv;
  d->vocab = calloc(nv, sizeof *d->vocab);
  t->types = calloc(nv, sizeof *t->types);
  t->scores = calloc(nv, sizeof *t->scores);
  d->added = calloc(nv, sizeof *d->added);
  if (!d->vocab || !t->types || !t->scores || !d->added) return gerr(t, VN_ERR_NOMEM, "out of memory");
  for (uint64_t i = 0; i < nv; i++) {
    d->vocab[i].s = vn_gguf_next_str(&it, &d->vocab[i].len);
    if (!utf8_ok(d->vocab[i].s, d->vocab[i].len))
      return vn_errorf(t->ctx, VN_ERR_INPUT, (VnLoc){g->path, 0}, "tokenizer.ggml.tokens[%llu] is not valid UTF-8",
                       (unsigned long long)i);
  }
  if (vn_gguf_array(g, "tokenizer.ggml.token_type", &ty, &n2, &it) && n2 == nv && ty <= GT_F32)
    for (uint64_t i = 0; i < nv; i++) {
      double tt = vn_gguf_next_num(&it, ty);  /* a float array may hold anything: what is no type is 0 */
      t->types[i] = tt >= 0 && tt <= 255 ? (int32_t)tt : 0;
    }
  else for (uint64_t i = 0; i < nv; i++) t->types[i] = TT_NORMAL;
  if (vn_gguf_array(g, "tokenizer.ggml.scores", &ty, &n2, &it) && n2 == nv && ty <= GT_F32)
    for (uint64_t i = 0; i < nv; i++) t->scores[i] = (float)vn_gguf_next_num(&it, ty);
  if (map_build(&t->map, d->vocab, d->n_vocab)) return gerr(t, VN_ERR_NOMEM, "out of memory");
  d->bos_id = meta_int(g, "tokenizer.ggml.bos_token_id", -1);
  d->eos_id = meta_int(g, "tokenizer.ggml.eos_token_id", -1);
  d->unk_id = spm ? meta_int(g, "tokenizer.ggml.unknown_token_id", -1) : -1;
  int32_t eot = meta_int(g, "tokenizer.ggml.eot_token_id", -1);
  if (eot >= 0 && eot != d->eos_id) d->eog[d->n_eog++] = eot;
  /* control and user-defined tokens are matched in text, as added tokens */
  for (uint64_t i = 0; i < nv; i++)
    if (t->types[i] == TT_CONTROL || t->types[i] == TT_USER) {
      VnTokcAdded *a = &d->added[d->n_added++];
      a->id = (int32_t)i;
      a->content = d->vocab[i];
      a->flags = t->types[i] == TT_CONTROL ? VN_TOKADD_SPECIAL : VN_TOKADD_NORMALIZED;
    }
  int add_bos = meta_bool(g, "tokenizer.ggml.add_bos_token", spm);
  int add_eos = meta_bool(g, "tokenizer.ggml.add_eos_token", 0);
  if (add_bos && d->bos_id >= 0) d->prefix[d->n_prefix++] = d->bos_id;
  if (add_eos && d->eos_id >= 0) d->suffix[d->n_suffix++] = d->eos_id;
  return VN_OK;
}

/* byte-level BPE: merges "a b", split by the kind's regexes, then by the
 * named hand-written one */
static VnStatus gt_byte_bpe(GT *t, json_t *tk) {
  const char *split = json_string_value(json_object_get(tk, "split"));
  json_t *rx = json_object_get(tk, "regex"), *x, *im = json_object_get(tk, "ignore_merges");
  int re = split && !strcmp(split, "cl100k") ? VN_TOKRE_CL100K : split && !strcmp(split, "cl100k_n1") ? VN_TOKRE_CL100K_N1 : 0;
  int nfc = json_is_true(json_object_get(tk, "nfc")), use_regex = !re && (split || !json_array_size(rx));
  size_t i;
  const VnGguf *g = t->g;
  VnTokDesc *d = &t->d;
  uint32_t ty;
  uint64_t n2;
  VnGgufIter it;
  d->byte_level = 1;
  if (!vn_gguf_array(g, "tokenizer.ggml.merges", &ty, &n2, &it) || ty != GT_STR || n2 >= (1u << 27))
    return gerr(t, VN_ERR_INPUT, "a byte-level BPE tokenizer needs tokenizer.ggml.merges");
  if (!(d->merges = malloc((n2 + 1) * 2 * sizeof *d->merges))) return gerr(t, VN_ERR_NOMEM, "out of memory");
  for (uint64_t r = 0; r < n2; r++) {
    size_t l;
    const char *m = vn_gguf_next_str(&it, &l);
    const char *sp = l > 1 ? memchr(m + 1, ' ', l - 1) : NULL;
    int32_t a = sp ? map_get(&t->map, m, (size_t)(sp - m)) : -1, b = sp ? map_get(&t->map, sp + 1, l - (size_t)(sp + 1 - m)) : -1;
    if (a < 0 || b < 0)
      return vn_errorf(t->ctx, VN_ERR_INPUT, (VnLoc){g->path, 0}, "merge %llu names a piece that is not in the vocabulary",
                       (unsigned long long)r);
    d->merges[2 * d->n_merges] = a;
    d->merges[2 * d->n_merges + 1] = b;
    d->n_merges++;
  }
  if (nfc) { d->norm[d->n_norm].kind = VN_TOKNORM_NFC; d->n_norm++; }
  json_array_foreach(rx, i, x) {
    VnTokcStr prog;
    VnStatus st;
    if (!json_is_string(x) || d->n_pre + 2 >= VN_TOKC_MAXSTEPS)
      return gerr(t, VN_ERR_INTERNAL, "archspecs/lib/pretok.lua: bad regex list");
    if ((st = vn_tokc_regex(t->ctx, t->g->path, json_string_value(x), json_string_length(x), &prog)) != VN_OK) return st;
    t->progs[t->nprogs++] = (char *)prog.s;
    d->pre[d->n_pre].kind = VN_TOKPRE_SPLIT_PROG;
    d->pre[d->n_pre].s1 = prog;
    d->pre[d->n_pre].b = VN_TOKSPLIT_ISOLATED;
    d->n_pre++;
  }
  if (re) {
    d->pre[d->n_pre].kind = VN_TOKPRE_SPLIT_REGEX;
    d->pre[d->n_pre].a = re;
    d->pre[d->n_pre].b = VN_TOKSPLIT_ISOLATED;
    d->n_pre++;
  }
  d->pre[d->n_pre].kind = VN_TOKPRE_BYTELEVEL;
  d->pre[d->n_pre].a = 0;
  d->pre[d->n_pre].b = use_regex;
  d->n_pre++;
  d->ignore_merges = json_is_boolean(im) ? json_is_true(im) : re == VN_TOKRE_CL100K;
  d->dec[d->n_dec++].kind = VN_TOKDEC_BYTELEVEL;
  return VN_OK;
}

/* SentencePiece BPE: merges derived from the scores */
static VnStatus gt_spm_bpe(GT *t) {
  VnTokDesc *d = &t->d;
  size_t nc = 0, cap = (size_t)d->n_vocab * 2 + 16;
  d->byte_fallback = 1;
  d->fuse_unk = 1;
  if (!(t->cand = malloc(cap * sizeof *t->cand))) return gerr(t, VN_ERR_NOMEM, "out of memory");
  for (int32_t i = 0; i < d->n_vocab; i++) {
    if (t->types[i] != TT_NORMAL && t->types[i] != TT_USER) continue;
    const char *s = d->vocab[i].s;
    size_t l = d->vocab[i].len;
    for (size_t k = 1; k < l; k++) {
      if (((unsigned char)s[k] & 0xc0) == 0x80) continue;  /* split at character boundaries */
      int32_t a = map_get(&t->map, s, k), b = map_get(&t->map, s + k, l - k);
      if (a < 0 || b < 0) continue;
      if (nc == cap) {
        Cand *q = realloc(t->cand, 2 * cap * sizeof *t->cand);
        if (!q) return gerr(t, VN_ERR_NOMEM, "out of memory");
        t->cand = q;
        cap *= 2;
      }
      t->cand[nc].id = i; t->cand[nc].a = a; t->cand[nc].b = b; t->cand[nc].score = t->scores[i];
      nc++;
    }
  }
  if (nc >= (1u << 27)) return gerr(t, VN_ERR_INPUT, "too many merges");
  qsort(t->cand, nc, sizeof *t->cand, cmp_cand);
  if (!(d->merges = malloc((nc + 1) * 2 * sizeof *d->merges))) return gerr(t, VN_ERR_NOMEM, "out of memory");
  for (size_t r = 0; r < nc; r++) { d->merges[2 * r] = t->cand[r].a; d->merges[2 * r + 1] = t->cand[r].b; }
  d->n_merges = (int32_t)nc;
  d->norm[d->n_norm].kind = VN_TOKNORM_PREPEND;
  d->norm[d->n_norm++].s1 = lit("\xe2\x96\x81");
  d->norm[d->n_norm].kind = VN_TOKNORM_REPLACE;
  d->norm[d->n_norm].s1 = lit(" ");
  d->norm[d->n_norm++].s2 = lit("\xe2\x96\x81");
  d->dec[d->n_dec].kind = VN_TOKDEC_REPLACE;
  d->dec[d->n_dec].s1 = lit("\xe2\x96\x81");
  d->dec[d->n_dec++].s2 = lit(" ");
  d->dec[d->n_dec++].kind = VN_TOKDEC_BYTEFALLBACK;
  d->dec[d->n_dec++].kind = VN_TOKDEC_FUSE;
  d->dec[d->n_dec].kind = VN_TOKDEC_STRIP;
  d->dec[d->n_dec].s1 = lit(" ");
  d->dec[d->n_dec++].a = 1;
  return VN_OK;
}

/* WordPiece: greedy longest pieces; a word's first piece carries the word
 * prefix, the others the continuing prefix (from pretok.lua). */
static VnStatus gt_wordpiece(GT *t, json_t *tk) {
  VnTokDesc *d = &t->d;
  json_t *nm = json_object_get(tk, "normalizer");
  d->model = VN_TOKMODEL_WORDPIECE;
  d->word_prefix.s = json_string_value(json_object_get(tk, "word_prefix"));
  d->word_prefix.len = d->word_prefix.s ? strlen(d->word_prefix.s) : 0;
  d->cont_prefix.s = json_string_value(json_object_get(tk, "continuing_prefix"));
  d->cont_prefix.len = d->cont_prefix.s ? strlen(d->cont_prefix.s) : 0;
  d->max_chars = (int32_t)json_integer_value(json_object_get(tk, "max_chars"));
  if (d->max_chars <= 0) d->max_chars = 100;
  if (d->unk_id < 0) return gerr(t, VN_ERR_INPUT, "a WordPiece tokenizer needs tokenizer.ggml.unknown_token_id");
  d->norm[d->n_norm].kind = VN_TOKNORM_BERT;
  d->norm[d->n_norm++].a = (json_is_true(json_object_get(nm, "clean")) ? VN_TOKBERT_CLEAN : 0) |
                           (json_is_true(json_object_get(nm, "chinese")) ? VN_TOKBERT_CHINESE : 0) |
                           (json_is_true(json_object_get(nm, "strip_accents")) ? VN_TOKBERT_STRIP : 0) |
                           (json_is_true(json_object_get(nm, "lowercase")) ? VN_TOKBERT_LOWER : 0);
  d->pre[d->n_pre++].kind = VN_TOKPRE_BERT;
  d->dec[d->n_dec].kind = VN_TOKDEC_REPLACE;           /* "▁" -> " ", then no leading space */
  d->dec[d->n_dec].s1 = d->word_prefix;
  d->dec[d->n_dec++].s2 = lit(" ");
  d->dec[d->n_dec].kind = VN_TOKDEC_STRIP;
  d->dec[d->n_dec].s1 = lit(" ");
  d->dec[d->n_dec++].a = 1;
  /* added tokens as HF's WordPiece converter has them: special, matched on raw text */
  for (int32_t i = 0; i < d->n_added; i++) d->added[i].flags = VN_TOKADD_SPECIAL;
  return VN_OK;
}

VnStatus vn_gguf_tokenizer(VnCtx *ctx, const VnGguf *g, const char *tok_json, unsigned char **blob, size_t *len) {
  json_t *tk = tok_json ? json_loads(tok_json, 0, NULL) : NULL;
  const char *model = json_string_value(json_object_get(tk, "model"));
  int bpe_bytes = model && !strcmp(model, "byte_bpe"), spm = model && !strcmp(model, "spm_bpe");
  int wp = model && !strcmp(model, "wordpiece");
  GT t;
  VnStatus st;
  memset(&t, 0, sizeof t);
  t.ctx = ctx;
  t.g = g;
  *blob = NULL;
  *len = 0;
  if (!bpe_bytes && !spm && !wp) {
    if (tk) json_decref(tk);
    return gerr(&t, VN_ERR_INPUT, "no tokenizer venus can build in the GGUF metadata");
  }
  if ((st = gt_vocab(&t, spm || wp)) == VN_OK &&
      (st = bpe_bytes ? gt_byte_bpe(&t, tk) : wp ? gt_wordpiece(&t, tk) : gt_spm_bpe(&t)) == VN_OK)
    st = vn_tokc_compile_desc(ctx, &t.d, blob, len);
  gt_free(&t);
  json_decref(tk);
  return st;
}
