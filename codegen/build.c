/* build.c: turns generated C into a binary. Writes the runtime sources and
 * the target's micro-kernel header (as vn_target.h) beside model.c, plus a
 * Makefile that builds the same binary with a plain `make` (so --emit-c
 * gives a tree a user can build with another toolchain), then runs the
 * target's compiler directly (argv, no shell: paths may hold anything). */
#include "codegen.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const runtime_files[] = {
  "runtime/runtime.h", "runtime/tokenizer.h", "runtime/cli.c", "runtime/kernels.c", "runtime/threads.c",
  "runtime/weights.c", "runtime/sampler.c", "runtime/tokenizer.c", NULL,
};
static const char *const runtime_srcs[] = {"cli.c", "kernels.c", "threads.c", "weights.c", "sampler.c", "tokenizer.c", NULL};

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

static VnStatus put_file(VnCtx *ctx, const char *dir, const char *name, const char *data, size_t len) {
  char *p = vn_arena_printf(&ctx->scratch, "%s/%s", dir, name);
  if (vn_write_file(p, data, len)) return vn_errorf(ctx, VN_ERR_IO, (VnLoc){p, 0}, "cannot write");
  return VN_OK;
}

/* C flags every target shares */
static const char *common_cflags(const VnTarget *t) {
  (void)t;
  return "-O2 -std=gnu11 -fno-strict-aliasing";
}

static const char *link_flags(const VnTarget *t) {
  if (t->kind == VN_TK_LINUX) return "-lm -lpthread";
  return "-lm";
}

VnStatus vn_build_tree(VnCtx *ctx, const char *dir, const VnTarget *t, const char *out_name, int blas) {
  for (const char *const *f = runtime_files; *f; f++) {
    const VnEmbedded *e = vn_embedded_find(*f);
    if (!e) return vn_internal(ctx, "runtime file %s is not embedded", *f);
    VN_TRY(put_file(ctx, dir, base_name(*f), e->data, e->len));
  }
  char *hn = vn_arena_printf(&ctx->scratch, "targets/%s", t->header);
  const VnEmbedded *h = vn_embedded_find(hn);
  if (!h) return vn_internal(ctx, "target header %s is not embedded", hn);
  VN_TRY(put_file(ctx, dir, "vn_target.h", h->data, h->len));
  VnBuf mk = {0};
  vn_buf_printf(&mk, "# Makefile: builds the model binary from the sources venusc generated.\n"
                     "# Target %s (%s): %s. Any C11 compiler for it will do:\n"
                     "#   make CC=your-cc\n", t->name, t->triple, t->isa);
  vn_buf_printf(&mk, "CC = %s\nCFLAGS = %s %s%s\nLDLIBS = %s%s %s\n", t->cc, common_cflags(t), t->cflags,
                blas ? " -DVN_USE_BLAS" : "", t->ldflags, blas ? " -lopenblas" : "", link_flags(t));
  vn_buf_puts(&mk, "SRC = model.c");
  for (const char *const *s = runtime_srcs; *s; s++) vn_buf_printf(&mk, " %s", *s);
  vn_buf_puts(&mk, "\n\n");
  /* out_name is a file name chosen by the user: keep it out of make syntax */
  int safe = 1;
  for (const char *p = out_name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("._-+", *p))) safe = 0;
  const char *on = safe && *out_name ? out_name : "model";
  vn_buf_printf(&mk, "%s: $(SRC) runtime.h tokenizer.h vn_target.h\n\t$(CC) $(CFLAGS) -o $@ $(SRC) $(LDLIBS)\n\n"
                     "clean:\n\trm -f %s\n", on, on);
  VnStatus st = put_file(ctx, dir, "Makefile", mk.p, mk.len);
  vn_buf_free(&mk);
  return st;
}

/* split a flags string on spaces into argv entries */
static int add_words(const char **argv, int n, char *s) {
  for (char *tok = strtok(s, " "); tok; tok = strtok(NULL, " ")) argv[n++] = tok;
  return n;
}

VnStatus vn_build_run(VnCtx *ctx, const char *dir, const VnTarget *t, const char *out, int shared, int blas,
                      const char *const *extra_src) {
  const char *argv[128];
  int n = 0;
  char *cc = vn_arena_strdup(&ctx->scratch, t->cc);
  n = add_words(argv, n, cc);
  n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, common_cflags(t)));
  n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, t->cflags));
  argv[n++] = vn_arena_printf(&ctx->scratch, "-I%s", dir);
  if (blas) argv[n++] = "-DVN_USE_BLAS";
  if (shared) { argv[n++] = "-shared"; argv[n++] = "-fPIC"; }
  argv[n++] = "-o";
  argv[n++] = out;
  if (!shared) argv[n++] = vn_arena_printf(&ctx->scratch, "%s/model.c", dir);
  for (const char *const *s = runtime_srcs; *s; s++) {
    if (shared && (!strcmp(*s, "cli.c") || !strcmp(*s, "tokenizer.c"))) continue;
    argv[n++] = vn_arena_printf(&ctx->scratch, "%s/%s", dir, *s);
  }
  for (const char *const *s = extra_src; s && *s; s++) argv[n++] = *s;
  n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, t->ldflags));
  if (blas) argv[n++] = "-lopenblas";
  n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, link_flags(t)));
  argv[n] = NULL;
  /* compiler messages go to a file; the first error line makes our message */
  char *log = vn_arena_printf(&ctx->scratch, "%s/cc.log", dir);
  pid_t pid = fork();
  if (pid < 0) return vn_errorf(ctx, VN_ERR_TARGET, VN_NOLOC, "cannot start %s", argv[0]);
  if (pid == 0) {
    FILE *lf = freopen(log, "w", stderr);
    (void)lf;
    dup2(2, 1);
    execvp(argv[0], (char *const *)argv);
    fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return VN_OK;
  size_t len = 0;
  char *msg = vn_read_file(log, &len);
  char first[512] = "no output";
  if (msg) {
    char *e = strstr(msg, "error");
    char *line = e ? e : msg;
    while (line > msg && line[-1] != '\n') line--;
    size_t l = strcspn(line, "\n");
    snprintf(first, sizeof first, "%.*s", (int)(l < 400 ? l : 400), line);
    free(msg);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return vn_errorf(ctx, VN_ERR_TARGET, VN_NOLOC, "target %s: compiler '%s' is not installed (%s)", t->name, argv[0], first);
  return vn_errorf(ctx, VN_ERR_TARGET, VN_NOLOC, "target %s: %s failed: %s (full log: %s)", t->name, argv[0], first, log);
}
