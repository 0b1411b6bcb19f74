/* two.c: two models' libraries in one program (ma_ and mb_, venusc compile
 * --lib --name ma / --name mb). Prints ma's greedy text for a prompt, then
 * mb's greedy ids for token ids, each on its own line, as the models'
 * binaries print them (-p P -n N --temp 0; --ids I -n N --temp 0 --print-ids).
 * MB is a model without a tokenizer (its text calls say so).
 *   two MA.vnw PROMPT N MB.vnw IDS N */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ma.h"
#include "mb.h"

static int put_text(void *u, int32_t id, const char *t, size_t n) { (void)u; (void)id; fwrite(t, 1, n, stdout); return 0; }
static int put_id(void *u, int32_t id, const char *t, size_t n) {
  (void)t; (void)n;
  if (id >= 0) printf("%s%d", (*(int *)u)++ ? " " : "", id);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 7) { fprintf(stderr, "usage: two MA.vnw PROMPT N MB.vnw IDS N\n"); return 2; }
  ma_ctx *a;
  mb_ctx *b;
  /* both open at once: each library's runtime is its own */
  if (ma_open(argv[1], NULL, &a)) { fprintf(stderr, "ma: %s\n", ma_errmsg(a)); return 1; }
  mb_params bp;
  mb_default_params(&bp);
  bp.threads = 1;
  if (mb_open(argv[4], &bp, &b)) { fprintf(stderr, "mb: %s\n", mb_errmsg(b)); return 1; }
  ma_sampling as;
  ma_default_sampling(&as);
  as.temperature = 0;
  fputs(argv[2], stdout);
  if (ma_generate_text(a, argv[2], &as, atoi(argv[3]), put_text, NULL)) { fprintf(stderr, "ma: %s\n", ma_errmsg(a)); return 1; }
  putchar('\n');
  int32_t ids[256];
  size_t n = 0;
  for (char *s = strtok(argv[5], ","); s && n < 256; s = strtok(NULL, ",")) ids[n++] = atoi(s);
  size_t nt = 0;
  if (mb_has_tokenizer() || mb_tokenize(b, "x", 1, 0, NULL, 0, &nt) != MB_ERR_NO_TOKENIZER) {
    fprintf(stderr, "mb: expected a model without a tokenizer, and MB_ERR_NO_TOKENIZER from mb_tokenize\n");
    return 1;
  }
  mb_sampling bs;
  mb_default_sampling(&bs);
  bs.temperature = 0;
  bs.ignore_eos = 1;  /* as --print-ids */
  int k = 0;
  if (mb_generate(b, ids, n, &bs, atoi(argv[6]), put_id, &k)) { fprintf(stderr, "mb: %s\n", mb_errmsg(b)); return 1; }
  putchar('\n');
  ma_close(a);
  mb_close(b);
  return 0;
}
