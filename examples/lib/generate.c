/* generate.c: a program that links the demo model as a library.
 *
 *   venusc compile examples/tiny-kjv --lib -o build/tiny-kjv-lib
 *   export PKG_CONFIG_PATH=$PWD/build/tiny-kjv-lib
 *   cc examples/lib/generate.c $(pkg-config --cflags --libs tiny_kjv) -o build/generate
 *   build/generate "$(pkg-config --variable=weights tiny_kjv)" "In the beginning" 48
 *
 * It prints the prompt and its greedy continuation, as the model binary's
 * `-p PROMPT -n N --temp 0` does. Link against libtiny_kjv.a instead with
 * `pkg-config --static` and -l:libtiny_kjv.a, or name the archive. */
#include <stdio.h>
#include <stdlib.h>
#include "tiny_kjv.h"

/* each token's text as it comes; returning non-zero would stop */
static int print_token(void *user, int32_t id, const char *text, size_t len) {
  (void)user; (void)id;
  fwrite(text, 1, len, stdout);
  fflush(stdout);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s WEIGHTS.vnw PROMPT N\n", argv[0]);
    return 2;
  }
  tiny_kjv_ctx *c;
  if (tiny_kjv_open(argv[1], NULL, &c) != TINY_KJV_OK) {
    fprintf(stderr, "%s: %s\n", argv[0], tiny_kjv_errmsg(c));
    tiny_kjv_close(c);
    return 1;
  }
  tiny_kjv_sampling s;
  tiny_kjv_default_sampling(&s);
  s.temperature = 0;  /* greedy */
  fputs(argv[2], stdout);
  int rc = tiny_kjv_generate_text(c, argv[2], &s, atoi(argv[3]), print_token, NULL);
  putchar('\n');
  if (rc != TINY_KJV_OK && rc != TINY_KJV_ERR_FULL) fprintf(stderr, "%s: %s\n", argv[0], tiny_kjv_errmsg(c));
  tiny_kjv_close(c);
  return rc == TINY_KJV_OK || rc == TINY_KJV_ERR_FULL ? 0 : 1;
}
