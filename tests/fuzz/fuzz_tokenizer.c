/* fuzz_tokenizer.c: libFuzzer target for tokenizer.json and
 * tokenizer_config.json (tok/tokc.c vn_tokc_compile_json). The input is
 * tokenizer.json, then optionally a NUL byte and tokenizer_config.json (JSON
 * text holds no raw NUL, so the split is unambiguous). A blob it compiles is
 * then loaded and run by the model binary's own tokenizer (runtime/
 * tokenizer.c): a few texts encoded with and without special tokens, decoded
 * whole and streamed, so a hostile tokenizer.json that compiles into a blob
 * the runtime mishandles is a finding too. */
#include "tok.h"
#include "tokenizer.h"
#include "fuzz.h"

static const char *const texts[] = {
  "", "Hello world", "  leading and trailing  ", "In the beginning God created the heaven and the earth.",
  "<|endoftext|><s></s><unk>[CLS] <|im_start|>user\nhi<|im_end|>", "caf\xc3\xa9 na\xc3\xafve \xe2\x96\x81 \xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87 123 4567",
  "\xff\xfe broken \xc3 utf-8 \xe2\x82", "tab\tnew\nline\r\n'll 've 're",
};

static void run_blob(const unsigned char *blob, size_t len) {
  VnTok t;
  if (vn_tok_load(&t, blob, len)) { fprintf(stderr, "fuzz: vn_tok_load refuses the blob vn_tokc_compile_json wrote\n"); abort(); }
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    size_t tl = strlen(texts[i]), wcap = vn_tok_work_size(&t, tl);
    void *work = malloc(wcap ? wcap : 1);
    int32_t ids[512];
    for (int sp = 0; sp < 2; sp++) {
      long k = vn_tok_encode(&t, texts[i], tl, sp, ids, 512, work, wcap);
      if (k < 0 || k > 512) { fprintf(stderr, "fuzz: encode of text %zu gives %ld\n", i, k); abort(); }
      for (long j = 0; j < k; j++)
        if (ids[j] < 0) { fprintf(stderr, "fuzz: encode gives id %d\n", ids[j]); abort(); }
      size_t dl = vn_tok_decode(&t, ids, (size_t)k, NULL, 0);
      char *out = malloc(dl + 1);
      if (vn_tok_decode(&t, ids, (size_t)k, out, dl) != dl) { fprintf(stderr, "fuzz: decode length changes\n"); abort(); }
      VnTokStream s;
      vn_tok_stream_init(&s, &t);
      size_t room = vn_tok_stream_room(&t), sl = 0;
      char *sb = malloc(room + 1);
      for (long j = 0; j < k; j++) {
        sl += vn_tok_stream_next(&s, ids[j], sb, room);
        (void)vn_tok_is_eog(&t, ids[j]);
      }
      sl += vn_tok_stream_flush(&s, sb, room);
      if (sl != dl) { fprintf(stderr, "fuzz: streamed %zu bytes, decoded %zu\n", sl, dl); abort(); }
      free(sb);
      free(out);
    }
    free(work);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  const uint8_t *z = memchr(d, 0, n);
  size_t n1 = z ? (size_t)(z - d) : n;
  const char *tj = fz_write(0, "tokenizer.json", d, n1);
  const char *tc = z ? fz_write(1, "tokenizer_config.json", z + 1, n - n1 - 1) : NULL;
  VnCtx ctx = {0};
  size_t len = 0;
  unsigned char *blob = NULL;
  VnStatus st = vn_tokc_compile_json(&ctx, tj, tc, &blob, &len);
  const char *err = ctx.msg;
  if (st != VN_OK && (!err[0] || strchr(err, '\n') || (strncmp(err, tj, strlen(tj)) && (!tc || strncmp(err, tc, strlen(tc)))))) {
    fprintf(stderr, "fuzz: a failed compile gave no one-line message naming the file: [%s]\n", err);
    abort();
  }
  if (st == VN_OK && blob) run_blob(blob, len);
  free(blob);
  vn_arena_free(&ctx.arena);
  vn_arena_free(&ctx.scratch);
  return 0;
}
