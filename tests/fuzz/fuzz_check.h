/* fuzz_check.h: the properties every venusc reader must keep on any input,
 * checked after each run (a broken one aborts: a finding):
 *  - a failure is one line that names the file: the context's message is
 *    non-empty, holds no newline and starts with the path given;
 *  - a success holds only tensors whose bytes lie in their mapping. */
#ifndef VN_FUZZ_CHECK_H
#define VN_FUZZ_CHECK_H
#include "graph.h"
#include "frontend.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void fz_check_status(const VnCtx *ctx, VnStatus rc, const char *path) {
  if (rc == VN_OK) return;
  const char *why = !ctx->msg[0] ? "no message"
                    : strchr(ctx->msg, '\n') ? "a message of more than one line"
                    : path && strncmp(ctx->msg, path, strlen(path)) ? "a message that does not name the file"
                                                                     : NULL;
  if (why) {
    fprintf(stderr, "fuzz: a failed read gave %s: [%s]\n", why, ctx->msg);
    abort();
  }
}

static volatile unsigned fz_sink;
static inline void fz_touch_source(const VnSource *s) {
  for (int i = 0; i < s->ntensors; i++) {
    const VnTensorInfo *t = &s->tensors[i];
    if (!t->name) { fprintf(stderr, "fuzz: tensor %d has no name\n", i); abort(); }
    if (t->nbytes) fz_sink += t->data[0] + t->data[t->nbytes - 1];
  }
}

static inline void fz_ctx_free(VnCtx *ctx) {
  vn_arena_free(&ctx->arena);
  vn_arena_free(&ctx->scratch);
}
#endif
