// lltok MODEL.gguf FILE...: llama.cpp's tokenizer (add_special=false, parse_special=false), one line per file
#include "llama.h"
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  struct llama_model_params mp = llama_model_default_params();
  mp.vocab_only = true;
  llama_backend_init();
  struct llama_model *m = llama_model_load_from_file(argv[1], mp);
  if (!m) return 1;
  const struct llama_vocab *v = llama_model_get_vocab(m);
  for (int i = 2; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb"); fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
    char *s = malloc(n + 1); fread(s, 1, n, f); fclose(f);
    int cap = n * 4 + 16; llama_token *t = malloc(cap * sizeof *t);
    int k = llama_tokenize(v, s, (int)n, t, cap, false, false);
    for (int j = 0; j < k; j++) printf(j ? " %d" : "%d", t[j]);
    printf("\n"); free(s); free(t);
  }
  return 0;
}
