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

static void map_build(Map *m, const VnTokcStr *v, int32_t nv) {
  m->n = 16;
  while (m->n < (uint32_t)nv * 2) m->n *= 2;
  m->slot = malloc(m->n * sizeof *m->slot);
  memset(m->slot, 0xff, m->n * sizeof *m->slot);
  m->vocab = v;
  for (int32_t i = 0; i < nv; i++) {
    uint32_t h = fnv(v[i].s, v[i].len) & (m->n - 1);
    while (m->slot[h] >= 0) h = (h + 1) & (m->n - 1);
    m->slot[h] = i;
  }
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

static VnTokcStr lit(const char *s) { VnTokcStr t = {s, strlen(s)}; return t; }

typedef struct { int32_t id, a, b; float score; } Cand;
static int cmp_cand(const void *x, const void *y) {
  const Cand *p = x, *q = y;
  if (p->score != q->score) return p->score > q->score ? -1 : 1;
  if (p->id != q->id) return p->id < q->id ? -1 : 1;
  return p->a - q->a;
}

unsigned char *vn_gguf_tokenizer(const VnGguf *g, const char *tok_json, size_t *len, char *err, size_t errcap) {
  json_t *tk = tok_json ? json_loads(tok_json, 0, NULL) : NULL;
  const char *model = json_string_value(json_object_get(tk, "model"));
  const char *split = json_string_value(json_object_get(tk, "split"));
  int bpe_bytes = model && !strcmp(model, "byte_bpe"), spm = model && !strcmp(model, "spm_bpe");
  int re = split && !strcmp(split, "cl100k") ? VN_TOKRE_CL100K : split && !strcmp(split, "cl100k_n1") ? VN_TOKRE_CL100K_N1 : 0;
  int nfc = json_is_true(json_object_get(tk, "nfc"));
  if (tk) json_decref(tk);
  if (!bpe_bytes && !spm) { snprintf(err, errcap, "%s: no tokenizer venus can build in the GGUF metadata", g->path); return NULL; }
  uint32_t ty;
  uint64_t nv;
  VnGgufIter it;
  if (!vn_gguf_array(g, "tokenizer.ggml.tokens", &ty, &nv, &it) || ty != GT_STR || nv == 0 || nv > (1u << 24)) {
    snprintf(err, errcap, "%s: tokenizer.ggml.tokens is missing or not a list of strings", g->path);
    return NULL;
  }
  VnTokDesc d;
  memset(&d, 0, sizeof d);
  d.file = g->path;
  d.n_vocab = (int32_t)nv;
  d.vocab = calloc(nv, sizeof *d.vocab);
  for (uint64_t i = 0; i < nv; i++) d.vocab[i].s = vn_gguf_next_str(&it, &d.vocab[i].len);
  int32_t *types = calloc(nv, sizeof *types);
  float *scores = calloc(nv, sizeof *scores);
  uint64_t n2;
  if (vn_gguf_array(g, "tokenizer.ggml.token_type", &ty, &n2, &it) && n2 == nv && ty <= GT_F32)
    for (uint64_t i = 0; i < nv; i++) {
      double t = vn_gguf_next_num(&it, ty);  /* a float array may hold anything: what is no type is 0 */
      types[i] = t >= 0 && t <= 255 ? (int32_t)t : 0;
    }
  else for (uint64_t i = 0; i < nv; i++) types[i] = TT_NORMAL;
  if (vn_gguf_array(g, "tokenizer.ggml.scores", &ty, &n2, &it) && n2 == nv && ty <= GT_F32)
    for (uint64_t i = 0; i < nv; i++) scores[i] = (float)vn_gguf_next_num(&it, ty);
  Map map;
  map_build(&map, d.vocab, d.n_vocab);
  d.bos_id = meta_int(g, "tokenizer.ggml.bos_token_id", -1);
  d.eos_id = meta_int(g, "tokenizer.ggml.eos_token_id", -1);
  d.unk_id = spm ? meta_int(g, "tokenizer.ggml.unknown_token_id", -1) : -1;
  int32_t eot = meta_int(g, "tokenizer.ggml.eot_token_id", -1);
  if (eot >= 0 && eot != d.eos_id) d.eog[d.n_eog++] = eot;
  /* control and user-defined tokens are matched in text, as added tokens */
  d.added = calloc(nv, sizeof *d.added);
  for (uint64_t i = 0; i < nv; i++)
    if (types[i] == TT_CONTROL || types[i] == TT_USER) {
      VnTokcAdded *a = &d.added[d.n_added++];
      a->id = (int32_t)i;
      a->content = d.vocab[i];
      a->flags = types[i] == TT_CONTROL ? VN_TOKADD_SPECIAL : VN_TOKADD_NORMALIZED;
    }
  int add_bos = meta_bool(g, "tokenizer.ggml.add_bos_token", spm);
  int add_eos = meta_bool(g, "tokenizer.ggml.add_eos_token", 0);
  if (add_bos && d.bos_id >= 0) d.prefix[d.n_prefix++] = d.bos_id;
  if (add_eos && d.eos_id >= 0) d.suffix[d.n_suffix++] = d.eos_id;
  Cand *cand = NULL;
  if (bpe_bytes) {
    d.byte_level = 1;
    if (!vn_gguf_array(g, "tokenizer.ggml.merges", &ty, &n2, &it) || ty != GT_STR) {
      snprintf(err, errcap, "%s: a byte-level BPE tokenizer needs tokenizer.ggml.merges", g->path);
      goto fail;
    }
    d.merges = malloc(n2 * 2 * sizeof *d.merges);
    for (uint64_t r = 0; r < n2; r++) {
      size_t l;
      const char *m = vn_gguf_next_str(&it, &l);
      const char *sp = memchr(m + 1, ' ', l > 1 ? l - 1 : 0);
      int32_t a = sp ? map_get(&map, m, (size_t)(sp - m)) : -1, b = sp ? map_get(&map, sp + 1, l - (size_t)(sp + 1 - m)) : -1;
      if (a < 0 || b < 0) { snprintf(err, errcap, "%s: merge %llu names a piece that is not in the vocabulary", g->path, (unsigned long long)r); goto fail; }
      d.merges[2 * d.n_merges] = a;
      d.merges[2 * d.n_merges + 1] = b;
      d.n_merges++;
    }
    if (nfc) { d.norm[d.n_norm].kind = VN_TOKNORM_NFC; d.n_norm++; }
    if (re) {
      d.pre[d.n_pre].kind = VN_TOKPRE_SPLIT_REGEX;
      d.pre[d.n_pre].a = re;
      d.pre[d.n_pre].b = VN_TOKSPLIT_ISOLATED;
      d.n_pre++;
    }
    d.pre[d.n_pre].kind = VN_TOKPRE_BYTELEVEL;
    d.pre[d.n_pre].a = 0;
    d.pre[d.n_pre].b = re ? 0 : 1;
    d.n_pre++;
    d.ignore_merges = re == VN_TOKRE_CL100K;
    d.dec[d.n_dec++].kind = VN_TOKDEC_BYTELEVEL;
  } else {
    /* SentencePiece BPE: merges from scores */
    d.byte_fallback = 1;
    d.fuse_unk = 1;
    size_t nc = 0, cap = nv * 2 + 16;
    cand = malloc(cap * sizeof *cand);
    for (uint64_t i = 0; i < nv; i++) {
      if (types[i] != TT_NORMAL && types[i] != TT_USER) continue;
      const char *s = d.vocab[i].s;
      size_t l = d.vocab[i].len;
      for (size_t k = 1; k < l; k++) {
        if (((unsigned char)s[k] & 0xc0) == 0x80) continue;  /* split at character boundaries */
        int32_t a = map_get(&map, s, k), b = map_get(&map, s + k, l - k);
        if (a < 0 || b < 0) continue;
        if (nc == cap) { cap *= 2; cand = realloc(cand, cap * sizeof *cand); }
        cand[nc].id = (int32_t)i; cand[nc].a = a; cand[nc].b = b; cand[nc].score = scores[i];
        nc++;
      }
    }
    qsort(cand, nc, sizeof *cand, cmp_cand);
    d.merges = malloc((nc ? nc : 1) * 2 * sizeof *d.merges);
    for (size_t r = 0; r < nc; r++) { d.merges[2 * r] = cand[r].a; d.merges[2 * r + 1] = cand[r].b; }
    d.n_merges = (int32_t)nc;
    d.norm[d.n_norm].kind = VN_TOKNORM_PREPEND;
    d.norm[d.n_norm++].s1 = lit("\xe2\x96\x81");
    d.norm[d.n_norm].kind = VN_TOKNORM_REPLACE;
    d.norm[d.n_norm].s1 = lit(" ");
    d.norm[d.n_norm++].s2 = lit("\xe2\x96\x81");
    d.dec[d.n_dec].kind = VN_TOKDEC_REPLACE;
    d.dec[d.n_dec].s1 = lit("\xe2\x96\x81");
    d.dec[d.n_dec++].s2 = lit(" ");
    d.dec[d.n_dec++].kind = VN_TOKDEC_BYTEFALLBACK;
    d.dec[d.n_dec++].kind = VN_TOKDEC_FUSE;
    d.dec[d.n_dec].kind = VN_TOKDEC_STRIP;
    d.dec[d.n_dec].s1 = lit(" ");
    d.dec[d.n_dec++].a = 1;
  }
  unsigned char *blob = vn_tokc_compile_desc(&d, len, err, errcap);
  free(cand); free(d.merges); free(d.added); free(d.vocab); free(types); free(scores); free(map.slot);
  return blob;
fail:
  free(cand); free(d.merges); free(d.added); free(d.vocab); free(types); free(scores); free(map.slot);
  return NULL;
}
