/* calls.c: the API's calls one by one on a model with a tokenizer (the
 * library ma_). Prints "ok NAME" per check, "FAIL NAME: why" otherwise
 * (exit 1), and writes the logits of one eval to LOGITS for the runner to
 * compare with the binary's --logits.
 *   calls MA.vnw LOGITS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ma.h"

static int fails;
static void check(int ok, const char *name, const char *why) {
  if (ok) printf("ok    %s\n", name);
  else { printf("FAIL  %s: %s\n", name, why); fails++; }
}

typedef struct { int calls, stop_after; char text[4096]; size_t len; } Acc;
static int acc(void *u, int32_t id, const char *t, size_t n) {
  Acc *a = u;
  if (id >= 0) a->calls++;
  if (a->len + n < sizeof a->text) { memcpy(a->text + a->len, t, n); a->len += n; }
  return a->stop_after && a->calls >= a->stop_after;
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: calls MA.vnw LOGITS\n"); return 2; }
  ma_ctx *c;
  char msg[512];
  int rc = ma_open("/nonexistent/x.vnw", NULL, &c);
  snprintf(msg, sizeof msg, "rc %d, message '%s'", rc, ma_errmsg(c));
  check(rc == MA_ERR_IO && c && strstr(ma_errmsg(c), "/nonexistent/x.vnw"), "open of a missing file: MA_ERR_IO naming it", msg);
  check(ma_eval(c, (int32_t[]){1}, 1, NULL) == MA_ERR_ARG, "a context whose open failed refuses calls", ma_errmsg(c));
  ma_close(c);
  ma_close(NULL);

  ma_params p;
  ma_default_params(&p);
  p.threads = 1;
  if (ma_open(argv[1], &p, &c)) { printf("FAIL  open: %s\n", ma_errmsg(c)); return 1; }
  check(ma_ctx_size(c) > 0 && ma_vocab() > 0 && ma_row_size() == ma_vocab() && !ma_is_encoder() && ma_has_tokenizer(),
        "model facts", "ctx_size, vocab, row_size, is_encoder, has_tokenizer");

  /* text */
  const char *text = "In the beginning God created the heaven and the earth.";
  int32_t ids[256], one[1];
  size_t n = 0, n1 = 0, len = 0;
  rc = ma_tokenize(c, text, strlen(text), 0, ids, 256, &n);
  check(rc == MA_OK && n > 4, "tokenize", ma_errmsg(c));
  rc = ma_tokenize(c, text, strlen(text), 0, one, 1, &n1);
  check(rc == MA_ERR_SPACE && n1 == n, "tokenize into too small a buffer: MA_ERR_SPACE and the count", ma_errmsg(c));
  char back[1024];
  rc = ma_detokenize(c, ids, n, back, sizeof back, &len);
  check(rc == MA_OK && len == strlen(text) && !strcmp(back, text), "detokenize gives the text back", back);
  rc = ma_detokenize(c, ids, n, back, 4, &len);
  check(rc == MA_ERR_SPACE && len == strlen(text), "detokenize into too small a buffer: MA_ERR_SPACE and the length", ma_errmsg(c));

  /* eval: every position's logits, for the runner */
  float *lg = malloc(n * (size_t)ma_row_size() * sizeof *lg);
  rc = ma_eval(c, ids, n, lg);
  check(rc == MA_OK && ma_n_past(c) == (int)n, "eval with every position's logits", ma_errmsg(c));
  FILE *f = fopen(argv[2], "wb");
  if (!f || fwrite(lg, sizeof *lg, n * (size_t)ma_row_size(), f) != n * (size_t)ma_row_size() || fclose(f)) {
    printf("FAIL  cannot write %s\n", argv[2]);
    return 1;
  }
  const float *last = ma_logits(c);
  check(last && !memcmp(last, lg + (n - 1) * (size_t)ma_row_size(), (size_t)ma_row_size() * sizeof *lg),
        "logits is the last position's row", "differs");
  free(lg);
  rc = ma_eval(c, (int32_t[]){(int32_t)ma_vocab()}, 1, NULL);
  check(rc == MA_ERR_ARG && strstr(ma_errmsg(c), "not in [0, "), "eval of an id out of range: MA_ERR_ARG", ma_errmsg(c));

  /* decode steps and sample agree with generate (greedy) */
  ma_sampling s;
  ma_default_sampling(&s);
  s.temperature = 0;
  int32_t manual[8];
  ma_reset(c);
  check(ma_n_past(c) == 0, "reset empties the history", "n_past");
  ma_eval(c, ids, 4, NULL);
  for (int i = 0; i < 8; i++) {
    if (ma_sample(c, &s, &manual[i])) break;
  }
  Acc a = {0};
  ma_reset(c);
  rc = ma_generate(c, ids, 4, &s, 8, acc, &a);
  /* the history holds the prompt and the 8 picked ids */
  check(rc == MA_OK && a.calls == 8 && ma_n_past(c) == 12, "generate: 8 tokens, one call each, all in the history", ma_errmsg(c));
  ma_reset(c);
  ma_eval(c, ids, 4, NULL);
  for (int i = 0; i < 8; i++) ma_decode(c, manual[i]);
  char t1[4096];
  size_t l1 = 0;
  ma_detokenize(c, manual, 8, t1, sizeof t1, &l1);
  check(l1 == a.len && !memcmp(t1, a.text, l1), "sample step by step gives generate's text", t1);

  /* the callback stops it */
  Acc st = {0, 3, {0}, 0};
  ma_reset(c);
  rc = ma_generate(c, ids, 4, &s, 20, acc, &st);
  check(rc == MA_OK && st.calls == 3 && ma_n_past(c) == 7, "a callback returning non-zero stops generation", ma_errmsg(c));

  /* a seed gives the same draw every time */
  s.temperature = 1.0f; s.top_k = 0; s.top_p = 1; s.min_p = 0; s.seed = 42;
  Acc r1 = {0}, r2 = {0};
  ma_reset(c);
  ma_generate(c, ids, 4, &s, 16, acc, &r1);
  ma_reset(c);
  ma_generate(c, ids, 4, &s, 16, acc, &r2);
  check(r1.len == r2.len && !memcmp(r1.text, r2.text, r1.len), "the same seed, the same sampled text", r1.text);
  s.temperature = -1;
  check(ma_generate(c, NULL, 0, &s, 4, acc, &r1) == MA_ERR_ARG, "a negative temperature: MA_ERR_ARG", ma_errmsg(c));

  /* embeddings are an encoder's */
  float e[4];
  check(ma_embed_size() == 0 && ma_embed(c, ids, 2, MA_POOL_MEAN, e) == MA_ERR_UNSUPPORTED, "embed on a decoder: MA_ERR_UNSUPPORTED",
        ma_errmsg(c));
  ma_close(c);

  /* a full context */
  p.ctx = 8;
  if (ma_open(argv[1], &p, &c)) { printf("FAIL  open ctx 8: %s\n", ma_errmsg(c)); return 1; }
  rc = ma_eval(c, ids, 6, NULL);
  s.temperature = 0;
  Acc fu = {0};
  int rf = ma_generate(c, NULL, 0, &s, 10, acc, &fu);
  check(rc == MA_OK && rf == MA_ERR_FULL && fu.calls == 2 && ma_n_past(c) == 8, "generation stops at a full context: MA_ERR_FULL",
        ma_errmsg(c));
  check(ma_eval(c, ids, 1, NULL) == MA_ERR_FULL && strstr(ma_errmsg(c), "context of 8"), "eval past a full context: MA_ERR_FULL",
        ma_errmsg(c));
  check(!strcmp(ma_strerror(MA_ERR_FULL), "the context is full"), "strerror", ma_strerror(MA_ERR_FULL));
  ma_close(c);
  return fails ? 1 : 0;
}
