/* fuzz_chat.c: libFuzzer target for the chat-template interpreter
 * (runtime/jinja.c, as venusc and the model binary run it). The input is a
 * template, optionally followed by NUL and message contents separated by
 * NULs (a conversation of system, user, assistant, user turns by default).
 * Every render either returns the text or fails with one line; limits are
 * kept small so that each input finishes fast: a limit reached is an error
 * like any other, never a hang or a crash. */
#include "jinja.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  char *buf = malloc(n + 1);
  if (!buf) return 0;
  memcpy(buf, d, n);
  buf[n] = 0;
  size_t tl = strlen(buf);  /* the template: up to the first NUL */
  static const char *const roles[] = {"system", "user", "assistant", "user", "assistant", "user"};
  VnChatMsg m[6] = {{"system", "Be brief."}, {"user", " Hello "}, {"assistant", "<think>\nx\n</think>\n\nHi"},
                    {"user", "Again"}};
  int nm = 4;
  if (tl < n) {  /* contents given */
    nm = 0;
    for (size_t p = tl + 1; p <= n && nm < 6; p += strlen(buf + p) + 1) {
      m[nm].role = roles[nm];
      m[nm].content = buf + p;
      nm++;
    }
  }
  VnJinjaLimits lim = {200000, (size_t)16 << 20, (size_t)1 << 20, 64, 5};
  char err[512];
  for (int gen = 0; gen < 2; gen++) {
    VnJinjaIn in = {m, nm, gen, gen ? 0 : -1, "<s>", "</s>"};
    err[0] = 0;
    char *o = vn_jinja_render(buf, tl, &in, &lim, err, sizeof err);
    if (!o && (!err[0] || strchr(err, '\n'))) {
      fprintf(stderr, "fuzz: a failed render must say why in one line, said: '%s'\n", err);
      abort();
    }
    free(o);
  }
  free(buf);
  return 0;
}
