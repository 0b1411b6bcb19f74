/* embed.c: an encoder library's embeddings (the library enc_). Writes the
 * final hidden states of IDS to OUT.rows.f32 [n][size], their mean to
 * OUT.mean.f32, the first row to OUT.cls.f32 and the mean at unit length
 * to OUT.norm.f32, for the runner to compare with transformers'.
 *   embed ENC.vnw IDS OUT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "enc.h"

static int put(const char *out, const char *what, const float *v, size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s.%s.f32", out, what);
  FILE *f = fopen(path, "wb");
  return !f || fwrite(v, sizeof *v, n, f) != n || fclose(f);
}

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: embed ENC.vnw IDS OUT\n"); return 2; }
  enc_ctx *c;
  if (enc_open(argv[1], NULL, &c)) { fprintf(stderr, "embed: %s\n", enc_errmsg(c)); return 1; }
  int32_t ids[512];
  size_t n = 0;
  for (char *s = strtok(argv[2], ","); s && n < 512; s = strtok(NULL, ",")) ids[n++] = atoi(s);
  size_t H = (size_t)enc_embed_size();
  if (!enc_is_encoder() || !H) { fprintf(stderr, "embed: not an encoder with hidden states\n"); return 1; }
  float *rows = malloc(n * H * sizeof *rows), mean[4096], cls[4096], norm[4096];
  if (!rows || H > 4096) return 1;
  if (enc_embed(c, ids, n, ENC_POOL_NONE, rows) || enc_embed(c, ids, n, ENC_POOL_MEAN, mean) ||
      enc_embed(c, ids, n, ENC_POOL_CLS, cls) || enc_embed(c, ids, n, ENC_POOL_MEAN | ENC_NORMALIZE, norm)) {
    fprintf(stderr, "embed: %s\n", enc_errmsg(c));
    return 1;
  }
  if (enc_generate(c, ids, n, NULL, 4, NULL, NULL) != ENC_ERR_UNSUPPORTED) {
    fprintf(stderr, "embed: generate on an encoder should be ENC_ERR_UNSUPPORTED\n");
    return 1;
  }
  if (put(argv[3], "rows", rows, n * H) || put(argv[3], "mean", mean, H) || put(argv[3], "cls", cls, H) ||
      put(argv[3], "norm", norm, H)) {
    fprintf(stderr, "embed: cannot write %s.*.f32\n", argv[3]);
    return 1;
  }
  free(rows);
  enc_close(c);
  return 0;
}
