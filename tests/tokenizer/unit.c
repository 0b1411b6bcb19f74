/* unit.c: checks of runtime/tokenizer.c that the reference fixtures cannot
 * reach. Built by tests/tokenizer/run.sh (with -fsanitize=address,undefined
 * when the compiler has it) and run as
 *   unit TOKENIZER.json...
 * 1. NFC and NFD: a synthetic byte-level tokenizer (256 one-byte tokens, no
 *    merges) makes decode(encode(x)) the normalizer's output; compared with
 *    utf8proc for every code point alone, before combining marks, and on
 *    random strings of marks, jamo and composites.
 * 2. for each tokenizer given: decode(encode(x)) round trips random text;
 *    streaming decode equals full decode on random ids; random bytes and
 *    random ids never crash; the work size vn_tok_work_size gives suffices
 *    (`--lossy FILE`: all of it but the round trip, for tokenizers whose
 *    decode is not the text: lowercasing, unk, NFKC).
 * 3. corrupted blobs: random byte flips and truncations are refused or, when
 *    they load, run without crashing; `--blob FILE` (a blob venusc wrote)
 *    gets flips aimed at its pipeline, model, Unigram and Precompiled sections.
 * Prints one line per check, exits 1 on the first failure. */
#include "tok.h"
#include "tokenizer.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static unsigned long long rng = 88172645463325252ull;
static unsigned rnd(unsigned n) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return (unsigned)(rng % n);
}

static int failed;
#define CHECK(c, ...) do { if (!(c)) { printf("FAIL: " __VA_ARGS__); printf("\n"); failed = 1; return 1; } } while (0)

static int32_t *enc(const VnTok *t, const char *s, size_t n, int sp, long *cnt) {
  size_t w = vn_tok_work_size(t, n);
  void *work = malloc(w);
  long cap = 4 * (long)n + 8, k;
  int32_t *ids = malloc((size_t)cap * sizeof *ids);
  k = vn_tok_encode(t, s, n, sp, ids, cap, work, w);
  free(work);
  if (k < 0 || k > cap) { free(ids); return NULL; }
  *cnt = k;
  return ids;
}

static char *dec(const VnTok *t, const int32_t *ids, size_t n, size_t *len) {
  size_t need = vn_tok_decode(t, ids, n, NULL, 0);
  char *o = malloc(need + 1);
  *len = vn_tok_decode(t, ids, n, o, need);
  o[*len] = 0;
  return o;
}

static char *dec_stream(const VnTok *t, const int32_t *ids, size_t n, size_t *len) {
  VnTokStream s;
  size_t room = vn_tok_stream_room(t), cap = room * (n + 1) + 1, o = 0, i, k;
  char *out = malloc(cap);
  vn_tok_stream_init(&s, t);
  for (i = 0; i <= n; i++) {            /* each call fits in vn_tok_stream_room */
    k = i < n ? vn_tok_stream_next(&s, ids[i], out + o, room) : vn_tok_stream_flush(&s, out + o, room);
    if (k > room) { printf("FAIL: stream wrote %zu > room %zu\n", k, room); exit(1); }
    o += k;
  }
  out[o] = 0;
  *len = o;
  return out;
}

/* ---- 1. NFC / NFD ---- */

static VnTokcStr bytevocab[256];
static char bytestr[256][4];

static unsigned char *norm_blob(int kind, size_t *len) {
  VnTokDesc d;
  VnCtx ctx = {0};
  unsigned char *b;
  int i, n = 0;
  for (i = 0; i < 256; i++) {                  /* GPT-2 byte alphabet */
    int pr = (i >= '!' && i <= '~') || (i >= 0xA1 && i <= 0xAC) || i >= 0xAE;
    int cp = pr ? i : 256 + n++;
    bytevocab[i].len = (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)bytestr[i]);
    bytevocab[i].s = bytestr[i];
  }
  memset(&d, 0, sizeof d);
  d.file = "synthetic";
  d.byte_level = 1;
  d.n_vocab = 256;
  d.vocab = bytevocab;
  d.unk_id = d.bos_id = d.eos_id = -1;
  d.n_norm = 1;
  d.norm[0].kind = kind;
  d.n_pre = 1;
  d.pre[0].kind = VN_TOKPRE_BYTELEVEL;
  d.n_dec = 1;
  d.dec[0].kind = VN_TOKDEC_BYTELEVEL;
  if (vn_tokc_compile_desc(&ctx, &d, &b, len) != VN_OK) printf("FAIL: %s\n", ctx.msg);
  return b;
}

static int norm_one(const VnTok *t, int kind, const char *s, size_t n) {
  long k;
  size_t dl;
  int32_t *ids = enc(t, s, n, 0, &k);
  char *got, *want;
  CHECK(ids, "encode failed");
  got = dec(t, ids, (size_t)k, &dl);
  want = (char *)(kind == VN_TOKNORM_NFC ? utf8proc_NFC((const utf8proc_uint8_t *)s)
                                         : utf8proc_NFD((const utf8proc_uint8_t *)s));
  if (!want || strcmp(got, want)) {
    size_t i;
    printf("FAIL: %s of", kind == VN_TOKNORM_NFC ? "NFC" : "NFD");
    for (i = 0; i < n; i++) printf(" %02x", (unsigned char)s[i]);
    printf(": got %s want %s\n", got, want ? want : "(null)");
    failed = 1;
  }
  free(got); free(want); free(ids);
  return failed;
}

static int test_norm(int kind) {
  size_t len, n;
  unsigned char *blob = norm_blob(kind, &len);
  VnTok t;
  char s[64];
  int cp, i, j, cases = 0;
  static const int pool[] = {'a', 'e', 'o', 'A', 0x300, 0x301, 0x302, 0x303, 0x308, 0x323, 0x327, 0x328,
                             0x345, 0x1100, 0x1161, 0x11A8, 0xAC00, 0xAC01, 0xE9, 0x1E0B, 0x1E63, 0x3B1,
                             0x1F00, 0x0B47, 0x0B3E, 0x0B57, 0x305, 0x5B0, 0x5B7, 0x64B, 0x651, 0x1D15E,
                             0x1D165, 0x1D16E, 0x2126, 0x212B, 0x958, 0x93C, 0x915, 0x1100, 0xD7A3, 0x20D2};
  if (!blob) return 1;
  CHECK(!vn_tok_load(&t, blob, len), "synthetic blob does not load");
  for (cp = 1; cp < 0x110000; cp++) {
    if (cp >= 0xD800 && cp < 0xE000) continue;
    if (utf8proc_category(cp) == UTF8PROC_CATEGORY_CN) continue;
    n = (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)s);
    s[n] = 0;
    if (norm_one(&t, kind, s, n)) return 1;
    n += (size_t)utf8proc_encode_char(0x327, (utf8proc_uint8_t *)s + n);
    n += (size_t)utf8proc_encode_char(0x301, (utf8proc_uint8_t *)s + n);
    s[n] = 0;
    if (norm_one(&t, kind, s, n)) return 1;
    cases += 2;
  }
  for (i = 0; i < 50000; i++) {
    int len2 = 1 + (int)rnd(8);
    n = 0;
    for (j = 0; j < len2; j++)
      n += (size_t)utf8proc_encode_char(pool[rnd(sizeof pool / sizeof *pool)], (utf8proc_uint8_t *)s + n);
    s[n] = 0;
    if (norm_one(&t, kind, s, n)) return 1;
    cases++;
  }
  printf("ok: %s matches utf8proc on %d strings\n", kind == VN_TOKNORM_NFC ? "NFC" : "NFD", cases);
  free(blob);
  return 0;
}

/* ---- 2. real tokenizers ---- */

static size_t rand_text(char *s, size_t cap) {
  static const char *const bits[] = {"a", "b", "the", " ", "  ", "\n", "\t", "é", "ñ", "中", "文", "😀",
                                     "👍🏽", "\xe2\x80\x8d", "'s", "123", "4", ".", ",", "!", "Ω", "ж",
                                     "ـ", "ク", "\r\n", "\xc2\xa0", "\xe3\x80\x80", "e\xcc\x81", "x", "Z"};
  size_t n = 0, k = 1 + rnd(60), i;
  for (i = 0; i < k; i++) {
    const char *b = bits[rnd(sizeof bits / sizeof *bits)];
    size_t l = strlen(b);
    if (n + l >= cap) break;
    memcpy(s + n, b, l);
    n += l;
  }
  s[n] = 0;
  return n;
}

/* lossy: a tokenizer whose decode is not the text (lowercasing, unk, NFKC...):
 * everything but the round trip is checked. */
static int test_tokenizer(const char *path, int lossy) {
  char s[512];
  size_t len, i, n, dl, sl;
  VnCtx ctx = {0};
  unsigned char *blob;
  VnTok t;
  int nfc = 0, it, rt_ok = 0;
  CHECK(vn_tokc_compile_json(&ctx, path, NULL, &blob, &len) == VN_OK, "%s", ctx.msg);
  CHECK(!vn_tok_load(&t, blob, len), "%s: blob does not load", path);
  nfc = strstr(path, "qwen") != NULL;          /* NFC normalizer: round trip gives NFC */
  for (it = 0; it < 1000; it++) {
    long k, k2;
    int32_t *ids, ids2[64];
    char *a, *b, *want;
    n = rand_text(s, sizeof s);
    ids = enc(&t, s, n, 0, &k);
    CHECK(ids, "%s: encode failed", path);
    a = dec(&t, ids, (size_t)k, &dl);
    want = nfc ? (char *)utf8proc_NFC((const utf8proc_uint8_t *)s) : strdup(s);
    if (!strcmp(a, want)) rt_ok++;
    else CHECK(lossy, "%s: round trip of \"%s\" gave \"%s\"", path, s, a);
    free(want);
    b = dec_stream(&t, ids, (size_t)k, &sl);
    CHECK(sl == dl && !memcmp(a, b, dl), "%s: stream decode differs on \"%s\"", path, s);
    free(a); free(b); free(ids);
    /* random ids, biased to byte-fallback tokens and specials */
    for (i = 0; i < 64; i++) {
      unsigned r = rnd(10);
      ids2[i] = r < 4 ? (int32_t)(3 + rnd(256)) : r < 5 ? (int32_t)rnd(20) : r < 6 ? -1 - (int32_t)rnd(3)
              : (int32_t)rnd((unsigned)t.n_vocab + 10);
    }
    k2 = 1 + rnd(64);
    a = dec(&t, ids2, (size_t)k2, &dl);
    b = dec_stream(&t, ids2, (size_t)k2, &sl);
    CHECK(sl == dl && !memcmp(a, b, dl), "%s: stream decode differs on random ids", path);
    {
      utf8proc_int32_t cp;
      size_t o = 0;
      while (o < dl) {
        utf8proc_ssize_t l = utf8proc_iterate((const utf8proc_uint8_t *)a + o, (utf8proc_ssize_t)(dl - o), &cp);
        CHECK(l > 0, "%s: decode produced invalid UTF-8", path);
        o += (size_t)l;
      }
    }
    free(a); free(b);
    /* random bytes: any input is accepted */
    for (i = 0; i < 40; i++) s[i] = (char)rnd(256);
    ids = enc(&t, s, 40, 1, &k);
    CHECK(ids, "%s: encode of random bytes failed", path);
    free(ids);
  }
  /* work size: exactly enough works, one byte less may only fail cleanly */
  {
    size_t w;
    void *work;
    int32_t ids[600];
    long k1, k2;
    n = rand_text(s, sizeof s);
    w = vn_tok_work_size(&t, n);
    work = malloc(w);
    k1 = vn_tok_encode(&t, s, n, 1, ids, 600, work, w);
    k2 = vn_tok_encode(&t, s, n, 1, ids, 600, work, n / 2);
    CHECK(k1 >= 0 && (k2 == -1 || k2 == k1), "%s: work size", path);
    CHECK(vn_tok_encode(&t, s, n, 1, ids, 3, work, w) == k1, "%s: short id buffer", path);
    free(work);
  }
  printf("ok: %s: 1000 random texts (%d round trip exactly), stream == full decode, random bytes/ids\n",
         path, rt_ok);
  free(blob);
  return 0;
}

/* ---- 3. corrupted blobs ---- */

static int test_corrupt(const char *path) {
  size_t len, i;
  VnCtx ctx = {0};
  unsigned char *blob, *c;
  int it, loaded = 0;
  VnTok t;
  CHECK(vn_tokc_compile_json(&ctx, path, NULL, &blob, &len) == VN_OK, "%s", ctx.msg);
  c = malloc(len);
  for (it = 0; it < 2000; it++) {
    size_t n = len;
    int flips = 1 + (int)rnd(8);
    memcpy(c, blob, len);
    if (it % 10 == 9) n = rnd((unsigned)len);
    for (i = 0; i < (size_t)flips; i++) {
      size_t at = it % 2 ? rnd(n < 4096 ? (unsigned)n : 4096) : rnd((unsigned)n);
      if (n) c[at] ^= (unsigned char)(1 + rnd(255));
    }
    if (vn_tok_load(&t, c, n) == 0) {
      char s[256];
      size_t k = rand_text(s, sizeof s), w = vn_tok_work_size(&t, k), dl;
      void *work = malloc(w < ((size_t)1 << 28) ? w : 1);
      int32_t ids[512];
      char out[2048];
      VnTokStream st;
      loaded++;
      vn_tok_encode(&t, s, k, 1, ids, 512, work, w < ((size_t)1 << 28) ? w : 1);
      for (i = 0; i < 32; i++) ids[i] = (int32_t)rnd((unsigned)t.n_vocab + 5);
      dl = vn_tok_decode(&t, ids, 32, out, sizeof out);
      (void)dl;
      vn_tok_stream_init(&st, &t);
      for (i = 0; i < 32; i++) vn_tok_stream_next(&st, ids[i], out, sizeof out);
      vn_tok_stream_flush(&st, out, sizeof out);
      vn_tok_is_eog(&t, ids[0]);
      free(work);
    }
  }
  CHECK(vn_tok_load(&t, blob, 15) == -1 && vn_tok_load(&t, NULL, 0) == -1, "short blob accepted");
  printf("ok: %s: 2000 corrupted blobs (%d still loaded) ran without crashing\n", path, loaded);
  free(c);
  free(blob);
  return 0;
}

/* A compiled blob (venusc tokenize --emit-blob) with corruptions aimed at
 * its normalizer and pre-tokenizer steps (compiled regexes), decoder, model,
 * LOWER, Unigram, NFKC and Precompiled sections, which random flips over the
 * whole blob rarely reach: refused or run safely (encode and decode). */
static int test_corrupt_sections(const char *path) {
  FILE *f = fopen(path, "rb");
  unsigned char *blob, *c;
  long len;
  size_t i, lo[12], hi[12];
  int it, loaded = 0, nsec = 0;
  VnTok t;
  CHECK(f, "%s: cannot open", path);
  fseek(f, 0, SEEK_END);
  len = ftell(f);
  fseek(f, 0, SEEK_SET);
  blob = malloc((size_t)len);
  c = malloc((size_t)len);
  CHECK(blob && c && fread(blob, 1, (size_t)len, f) == (size_t)len, "%s: cannot read", path);
  fclose(f);
  CHECK(!vn_tok_load(&t, blob, (size_t)len), "%s: blob does not load", path);
  for (i = 0; i < (size_t)(blob[8] | blob[9] << 8); i++) {
    const unsigned char *e = blob + 16 + 12 * i;
    uint32_t tag = e[0] | (uint32_t)e[1] << 8, off = e[4] | (uint32_t)e[5] << 8 | (uint32_t)e[6] << 16 | (uint32_t)e[7] << 24;
    uint32_t sl = e[8] | (uint32_t)e[9] << 8 | (uint32_t)e[10] << 16 | (uint32_t)e[11] << 24;
    if ((tag == VN_TOKSEC_PRE || tag == VN_TOKSEC_MODEL || tag == VN_TOKSEC_LOWER || tag == VN_TOKSEC_NORM ||
         tag == VN_TOKSEC_DEC || tag == VN_TOKSEC_SCORES || tag == VN_TOKSEC_UPREFIX || tag == VN_TOKSEC_NFKC_DEC ||
         tag == VN_TOKSEC_PCMAP_TRIE || tag == VN_TOKSEC_PCMAP_STR || tag == VN_TOKSEC_GRAPH) && sl && nsec < 12) {
      lo[nsec] = off;
      hi[nsec++] = off + sl;
    }
  }
  CHECK(nsec > 0, "%s: no pre-tokenizer, model or LOWER section", path);
  for (it = 0; it < 3000; it++) {
    int k = it % nsec, flips = 1 + (int)rnd(4), j;
    memcpy(c, blob, (size_t)len);
    for (j = 0; j < flips; j++) {
      size_t at = lo[k] + rnd((unsigned)(hi[k] - lo[k]));
      c[at] = rnd(3) ? (unsigned char)(c[at] ^ (1u << rnd(8))) : (unsigned char)rnd(256);
    }
    if (vn_tok_load(&t, c, (size_t)len) == 0) {
      char s[256];
      size_t n = rand_text(s, sizeof s), w = vn_tok_work_size(&t, n);
      void *work = malloc(w < ((size_t)1 << 28) ? w : 1);
      int32_t ids[1024];
      loaded++;
      long m = vn_tok_encode_opts(&t, s, n, it & 3, ids, 1024, work, w < ((size_t)1 << 28) ? w : 1);
      char out[8192];
      if (m > 0) vn_tok_decode(&t, ids, (size_t)(m < 1024 ? m : 1024), out, sizeof out);
      free(work);
    }
  }
  printf("ok: %s: 3000 blobs corrupted in the pipeline/model sections (%d still loaded) ran without crashing\n",
         path, loaded);
  free(c);
  free(blob);
  return 0;
}

int main(int argc, char **argv) {
  int i, first = 0;
  if (test_norm(VN_TOKNORM_NFC) || test_norm(VN_TOKNORM_NFD)) return 1;
  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--blob") && i + 1 < argc) {
      if (test_corrupt_sections(argv[++i])) return 1;
      continue;
    }
    if (!strcmp(argv[i], "--lossy") && i + 1 < argc) {
      if (test_tokenizer(argv[++i], 1)) return 1;
      continue;
    }
    if (!first) first = i;
    if (test_tokenizer(argv[i], 0)) return 1;
  }
  if (first && test_corrupt(argv[first])) return 1;
  return failed;
}
