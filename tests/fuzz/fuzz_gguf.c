/* fuzz_gguf.c: libFuzzer target for GGUF files along the path venusc takes:
 * frontend/gguf.c vn_gguf_open (header, metadata, tensor table, data
 * bounds), archspecs/lib/gguf.lua's mapping of the metadata to a config
 * (graph/spec_lua.c vn_spec_gguf), and the tokenizer in the metadata
 * (tok/gguf_tok.c vn_gguf_tokenizer) with the kind the mapping named, or
 * each kind when it named none; a blob that compiles is loaded and run by
 * the runtime tokenizer. The input is the whole file. */
#include "frontend.h"
#include "spec.h"
#include "codegen.h"
#include "tok.h"
#include "tokenizer.h"
#include "fuzz.h"
#include "fuzz_check.h"

static VnSpecSrc libs[256];
static int nlibs = -1;

static int cmp_src(const void *a, const void *b) { return strcmp(((const VnSpecSrc *)a)->file, ((const VnSpecSrc *)b)->file); }

static void tokenize(const VnGguf *g, const char *kind) {
  VnCtx tc = {0};
  size_t len = 0;
  unsigned char *blob = NULL;
  VnStatus st = vn_gguf_tokenizer(&tc, g, kind, &blob, &len);
  if (st != VN_OK) {
    fz_check_status(&tc, st, g->path);
    fz_ctx_free(&tc);
    return;
  }
  fz_ctx_free(&tc);
  VnTok t;
  if (vn_tok_load(&t, blob, len)) { fprintf(stderr, "fuzz: vn_tok_load refuses the blob vn_gguf_tokenizer wrote\n"); abort(); }
  static const char text[] = "Hello world, in the beginning \xc3\xa9\xf0\x9f\x98\x80 <s></s> 12345";
  size_t wcap = vn_tok_work_size(&t, sizeof text - 1);
  void *work = malloc(wcap ? wcap : 1);
  int32_t ids[256];
  long k = vn_tok_encode(&t, text, sizeof text - 1, 1, ids, 256, work, wcap);
  if (k < 0 || k > 256) { fprintf(stderr, "fuzz: encode gives %ld\n", k); abort(); }
  size_t dl = vn_tok_decode(&t, ids, (size_t)k, NULL, 0);
  char *out = malloc(dl + 1);
  vn_tok_decode(&t, ids, (size_t)k, out, dl);
  free(out);
  free(work);
  free(blob);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  if (nlibs < 0) {
    nlibs = 0;
    for (const VnEmbedded *e = vn_embedded; e->name; e++)
      if (!strncmp(e->name, "archspecs/lib/", 14) && nlibs < 256) libs[nlibs++] = (VnSpecSrc){e->name, e->data, e->len};
    qsort(libs, (size_t)nlibs, sizeof *libs, cmp_src);
  }
  const char *p = fz_write(0, "model.gguf", d, n);
  VnCtx ctx = {0};
  VnGguf g;
  VnStatus rc = vn_gguf_open(&ctx, p, &g);
  fz_check_status(&ctx, rc, p);
  if (rc == VN_OK) {
    fz_touch_source(&g.src);
    char *cfg = NULL, *tok = NULL;
    VnSource src = g.src;
    VnSpecs *sp = NULL;
    rc = vn_spec_open(&ctx, libs, nlibs, &sp);
    if (rc == VN_OK) rc = vn_spec_gguf(sp, g.meta, p, &src, &cfg, &tok);
    if (sp) vn_spec_close(sp);
    fz_check_status(&ctx, rc, NULL);  /* a mapping error may name archspecs/lib/gguf.lua */
    if (tok) tokenize(&g, tok);
    else {
      tokenize(&g, "{\"model\": \"byte_bpe\", \"split\": \"cl100k\", \"nfc\": true}");
      tokenize(&g, "{\"model\": \"spm_bpe\"}");
    }
    free(cfg);
    free(tok);
  }
  vn_gguf_close(&g);
  fz_ctx_free(&ctx);
  return 0;
}
