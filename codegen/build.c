/* build.c: turns generated C into a binary. Writes the runtime sources and
 * the target's micro-kernel header (as vn_target.h) beside model.c, plus a
 * Makefile that builds the same binary with a plain `make` (so --emit-c
 * gives a tree a user can build with another toolchain), then runs the
 * target's compiler directly (argv, no shell: paths may hold anything).
 *
 * Per kind of target (targets/target.h):
 *  - Linux: one executable (cross targets link -static for qemu-user).
 *  - wasm: emcc writes a single-file node program; OUT is that program
 *    behind a `#!/usr/bin/env node` line, so ./OUT runs it.
 *  - bare metal: startup.c and the board's linker script join the tree,
 *    the weights become model_weights.c (const data in flash), and the
 *    flash and RAM the ELF takes are reported from its section headers. */
#include "codegen.h"
#include "runtime.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <unistd.h>

/* The runtime is every embedded file directly under runtime/ (the Makefile
 * embeds every .c and .h of runtime/): each is copied into the tree and each
 * .c compiled, so a new runtime file needs no list here. The kernel
 * harness's shared object (shared) leaves out the model program's front
 * end, which needs a model: main, tokenizer and chat. */
static const char *const program_only[] = {"cli.c", "tokenizer.c", "chat.c", "embed.c", "jinja.c", "api.c", NULL};
/* cpu.c checks the CPU's features before any vector instruction runs: it is
 * compiled on its own, without the target's vector flags */
#define CPU_C "cpu.c"

static const char *runtime_name(const VnEmbedded *e) {
  if (strncmp(e->name, "runtime/", 8) || strchr(e->name + 8, '/') || !e->name[8]) return NULL;
  return e->name + 8;
}

static int is_c(const char *name) {
  size_t n = strlen(name);
  return n > 2 && !strcmp(name + n - 2, ".c");
}

static int in_list(const char *const *l, const char *s) {
  for (; *l; l++) if (!strcmp(*l, s)) return 1;
  return 0;
}
#define VN_STARTUP "targets/arm/cortexm/startup.c"

/* every file written into the tree is recorded (made.c) unless it was there */
static VnStatus put_file(VnCtx *ctx, const char *dir, const char *name, const char *data, size_t len) {
  char *p = vn_arena_printf(&ctx->scratch, "%s/%s", dir, name);
  vn_made_add_new(p);
  if (vn_write_file(p, data, len)) return vn_errorf(ctx, VN_ERR_IO, (VnLoc){p, 0}, "cannot write: %s", strerror(errno));
  return VN_OK;
}

static VnStatus put_embedded(VnCtx *ctx, const char *dir, const char *src, const char *name) {
  const VnEmbedded *e = vn_embedded_find(src);
  if (!e) return vn_internal(ctx, "file %s is not embedded", src);
  return put_file(ctx, dir, name, e->data, e->len);
}

/* C flags every target shares, and what its kind and byte order need */
static const char *common_cflags(VnCtx *ctx, const VnTarget *t) {
  const char *kind = t->kind == VN_TK_WASM ? " -DVN_NO_THREADS -DVN_NO_MMAP"
                     : t->kind == VN_TK_BAREMETAL ? " -DVN_BAREMETAL -DVN_NO_THREADS -DVN_NO_MMAP -ffunction-sections -fdata-sections"
                                                  : "";
  return vn_arena_printf(&ctx->scratch, "-O2 -std=gnu11 -fno-strict-aliasing%s%s", kind,
                         t->big_endian ? " -DVN_BIG_ENDIAN" : "");
}

static const char *link_flags(const VnTarget *t) {
  if (t->kind == VN_TK_LINUX) return "-lm -lpthread";
  return "-lm";
}

static int bare(const VnTarget *t) { return t->kind == VN_TK_BAREMETAL; }

/* --image's PNG and JPEG decoders (VN_BUILD_IMAGE: host builds only) */
#define IMAGE_CFLAGS " -DVN_IMAGE_PNG -DVN_IMAGE_JPEG"
#define IMAGE_LIBS " -lpng -ljpeg"

/* cpu.c's flags: the baseline's, and -DVN_CPU_<NAME> per feature to check */
static const char *cpu_cflags(VnCtx *ctx, const VnTarget *t) {
  VnBuf b = {0};
  vn_buf_printf(&b, "%s %s", common_cflags(ctx, t), vn_target_cpu_cflags(t));
  for (const char *f = vn_target_cpu_features(t); *f;) {
    size_t n = strcspn(f, " ");
    if (n) {
      vn_buf_puts(&b, " -DVN_CPU_");
      for (size_t i = 0; i < n; i++) vn_buf_printf(&b, "%c", f[i] >= 'a' && f[i] <= 'z' ? f[i] - 32 : f[i]);
    }
    f += n;
    while (*f == ' ') f++;
  }
  char *s = vn_arena_strdup(&ctx->scratch, b.p ? b.p : "");
  vn_buf_free(&b);
  return s;
}

VnStatus vn_build_tree(VnCtx *ctx, const char *dir, const VnTarget *t, const char *out_name, int feat) {
  int blas = feat & VN_BUILD_BLAS, server = feat & VN_BUILD_SERVER, edit = feat & VN_BUILD_EDIT, image = feat & VN_BUILD_IMAGE;
  for (const VnEmbedded *e = vn_embedded; e->name; e++)
    if (runtime_name(e)) VN_TRY(put_file(ctx, dir, runtime_name(e), e->data, e->len));
  VN_TRY(put_embedded(ctx, dir, vn_arena_printf(&ctx->scratch, "targets/%s", t->header), "vn_target.h"));
  if (bare(t)) {
    VN_TRY(put_embedded(ctx, dir, VN_STARTUP, "startup.c"));
    VN_TRY(put_embedded(ctx, dir, vn_arena_printf(&ctx->scratch, "targets/%s", t->board), "board.ld"));
  }
  VnBuf mk = {0};
  vn_buf_printf(&mk, "# Makefile: builds the model binary from the sources venusc generated.\n"
                     "# Target %s (%s): %s. Any C11 compiler for it will do:\n"
                     "#   make CC=your-cc\n", t->name, t->triple, t->isa);
  if (t->kind == VN_TK_WASM) vn_buf_puts(&mk, "# The result is a node program: ./OUT runs it (OUT.vnw beside it).\n");
  if (bare(t))
    vn_buf_printf(&mk, "# Bare metal: startup.c and board.ld are for QEMU's model of the board;\n"
                       "# the weights are const data in model_weights.c. Run it with\n"
                       "#   %s -nographic -monitor none -serial null \\\n"
                       "#     -semihosting-config enable=on,target=native,arg=OUT,arg=--ids,arg=1,,2,,3 -kernel OUT\n",
                  t->runner);
  vn_buf_printf(&mk, "CC = %s\nCFLAGS = %s %s%s%s%s%s\nLDLIBS = %s%s%s%s%s%s %s\n", t->cc, common_cflags(ctx, t), t->cflags,
                blas ? " -DVN_USE_BLAS" : "", server ? " -DVN_SERVER" : "", edit ? " -DVN_LINE_EDITING" : "", image ? IMAGE_CFLAGS : "",
                bare(t) ? "-T board.ld " : "", t->ldflags, blas ? " -lopenblas" : "", server ? " -lmicrohttpd -ljansson" : "",
                edit ? " -ledit" : "", image ? IMAGE_LIBS : "", link_flags(t));
  vn_buf_printf(&mk, "# cpu.c checks the CPU's features: built without the vector flags\nCPUFLAGS = %s\n", cpu_cflags(ctx, t));
  vn_buf_puts(&mk, "SRC = model.c");
  for (const VnEmbedded *e = vn_embedded; e->name; e++)
    if (runtime_name(e) && is_c(runtime_name(e)) && strcmp(runtime_name(e), CPU_C)) vn_buf_printf(&mk, " %s", runtime_name(e));
  if (bare(t)) vn_buf_puts(&mk, " startup.c model_weights.c");
  vn_buf_puts(&mk, "\nHDR = vn_target.h");
  for (const VnEmbedded *e = vn_embedded; e->name; e++)
    if (runtime_name(e) && !is_c(runtime_name(e))) vn_buf_printf(&mk, " %s", runtime_name(e));
  vn_buf_puts(&mk, "\n\n");
  /* out_name is a file name chosen by the user: keep it out of make syntax */
  int safe = 1;
  for (const char *p = out_name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("._-+", *p))) safe = 0;
  const char *on = safe && *out_name ? out_name : "model";
  const char *deps = bare(t) ? " board.ld" : "";
  if (t->kind == VN_TK_WASM)
    vn_buf_printf(&mk, "%s: $(SRC) cpu.o $(HDR)\n\t$(CC) $(CFLAGS) -o $@.js $(SRC) cpu.o $(LDLIBS)\n"
                       "\t{ echo '#!/usr/bin/env node'; cat $@.js; } > $@ && chmod +x $@ && rm -f $@.js\n\n",
                  on);
  else
    vn_buf_printf(&mk, "%s: $(SRC) cpu.o $(HDR)%s\n\t$(CC) $(CFLAGS) -o $@ $(SRC) cpu.o $(LDLIBS)\n\n", on, deps);
  vn_buf_puts(&mk, "cpu.o: cpu.c $(HDR)\n\t$(CC) $(CPUFLAGS) -c -o $@ cpu.c\n\n");
  vn_buf_printf(&mk, "clean:\n\trm -f %s cpu.o\n", on);
  VnStatus st = put_file(ctx, dir, "Makefile", mk.p, mk.len);
  vn_buf_free(&mk);
  return st;
}

/* Bare metal: the packed weight file as const data in its own section
 * (.vn_weights, which the board's linker script puts in flash). */
VnStatus vn_build_weights_c(VnCtx *ctx, const char *dir, const char *wfile) {
  size_t len = 0;
  char *data = vn_read_file(wfile, &len);
  if (!data) return vn_errorf(ctx, VN_ERR_IO, (VnLoc){wfile, 0}, "cannot read the packed weights");
  VnBuf b = {0};
  vn_buf_printf(&b, "/* model_weights.c: generated by venusc -- the packed weights (%zu bytes), linked into flash. */\n"
                    "const unsigned char vn_weights_data[%zu] __attribute__((aligned(64), section(\".vn_weights\"))) = {\n",
                len, len ? len : 1);
  vn_buf_bytes(&b, (const unsigned char *)data, len);
  vn_buf_puts(&b, "};\n");
  free(data);
  VnStatus st = put_file(ctx, dir, "model_weights.c", b.p, b.len);
  vn_buf_free(&b);
  return st;
}

/* split a flags string on spaces into argv entries */
static int add_words(const char **argv, int n, char *s) {
  for (char *tok = strtok(s, " "); tok; tok = strtok(NULL, " ")) argv[n++] = tok;
  return n;
}

/* Bare metal: flash and RAM from the ELF's allocated sections. Flash holds
 * what is read-only plus the initial image of .data; RAM is .data + .bss
 * (every buffer of the model is static); newlib's heap and the stack take
 * what is left of the board's RAM. */
static void report_sizes(const VnTarget *t, const char *elf) {
  size_t len = 0;
  char *p = vn_read_file(elf, &len);
  if (!p) return;
  const Elf32_Ehdr *eh = (const Elf32_Ehdr *)p;
  if (len < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS32 ||
      eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf32_Shdr) > len || eh->e_shstrndx >= eh->e_shnum) {
    free(p);
    return;
  }
  const Elf32_Shdr *sh = (const Elf32_Shdr *)(p + eh->e_shoff);
  const char *names = p + sh[eh->e_shstrndx].sh_offset;
  unsigned long long flash = 0, ram = 0, weights = 0, bss = 0;
  for (int i = 0; i < eh->e_shnum; i++) {
    if (!(sh[i].sh_flags & SHF_ALLOC)) continue;
    unsigned long long sz = sh[i].sh_size;
    if (sh[i].sh_flags & SHF_WRITE) {
      ram += sz;
      if (sh[i].sh_type == SHT_NOBITS) bss += sz;
      else flash += sz;
    } else flash += sz;
    if (sh[i].sh_name < len && !strcmp(names + sh[i].sh_name, ".vn_weights")) weights = sz;
  }
  printf("%s: flash %llu bytes (weights %llu, code and constants %llu); RAM %llu bytes static (.data %llu, .bss %llu)"
         " + stack and newlib's heap\n", t->name, flash, weights, flash - weights, ram, ram - bss, bss);
  free(p);
}

/* The compiler runs in a process group of its own under a watcher child:
 * when venusc dies, even by kill -9, the kernel sends the watcher SIGTERM
 * (PR_SET_PDEATHSIG) and it kills the whole group (the compiler driver, cc1,
 * as, ld), so nothing writes after venusc is gone. A caught signal in
 * venusc kills the group itself (vn_made_remove). */
static void watcher_stop(int sig) {
  (void)sig;
  kill(0, SIGKILL);
}

static void run_watcher(pid_t parent, int logfd, const char **argv, int envn, const char *scratch, const sigset_t *mask) {
  setpgid(0, 0);
  struct sigaction sa = {0};
  sa.sa_handler = watcher_stop;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_DFL);  /* venusc's handler is not the watcher's */
#ifdef __linux__
  prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
  if (getppid() != parent) kill(0, SIGKILL);  /* venusc died before the prctl */
  sigprocmask(SIG_SETMASK, mask, NULL);
  pid_t cc = fork();
  if (cc < 0) _exit(126);
  if (cc == 0) {
    int nul = open("/dev/null", O_RDONLY);
    if (nul >= 0) dup2(nul, 0);
    dup2(logfd, 1);
    dup2(logfd, 2);
    for (int i = 0; i < envn; i++) putenv((char *)argv[i]);
    setenv("TMPDIR", scratch, 1);  /* its temporaries go where venusc removes them */
    execvp(argv[envn], (char *const *)argv + envn);
    fprintf(stderr, "cannot run %s: %s\n", argv[envn], strerror(errno));
    _exit(127);
  }
  int st;
  while (waitpid(cc, &st, 0) < 0)
    if (errno != EINTR) _exit(126);
  _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

/* The line of the compiler's log that names the failure: a system error
 * (disk full, permissions) wherever it is, else the first "error" line,
 * else the first line. */
static void first_cause(const char *log, char *out, size_t cap) {
  static const char *const sys[] = {"No space left on device", "Disk quota exceeded", "Permission denied",
                                    "Read-only file system", "File too large", "Input/output error", NULL};
  const char *hit = NULL;
  for (const char *const *k = sys; *k && !hit; k++) hit = strstr(log, *k);
  if (!hit) hit = strstr(log, "error");
  if (!hit) hit = log;
  while (hit > log && hit[-1] != '\n') hit--;
  size_t l = strcspn(hit, "\n");
  snprintf(out, cap, "%.*s", (int)(l < 400 ? l : 400), hit);
  if (!*out) snprintf(out, cap, "no output");
}

/* run argv; 0 ok, else a message in ctx */
static VnStatus run_cc(VnCtx *ctx, const VnTarget *t, const char **argv, const char *dir) {
  /* leading VAR=value words of the compiler command go to its environment */
  int envn = 0;
  while (argv[envn] && strchr(argv[envn], '=') && argv[envn][0] != '-') envn++;
  /* compiler messages go to cc.log in the tree; its cause line makes our message */
  char *log = vn_arena_printf(&ctx->scratch, "%s/cc.log", dir);
  vn_made_add_new(log);
  int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (logfd < 0) return vn_errorf(ctx, VN_ERR_IO, (VnLoc){log, 0}, "cannot write: %s", strerror(errno));
  char *scratch = vn_arena_printf(&ctx->scratch, "%s/%s", dir, VN_MADE_SCRATCH_NAME);
  vn_made_add(scratch, VN_MADE_SCRATCH);  /* before it exists: no moment when it is there unrecorded */
  if (mkdir(scratch, 0700)) {
    close(logfd);
    return vn_errorf(ctx, VN_ERR_IO, (VnLoc){scratch, 0}, "cannot create: %s", strerror(errno));
  }
  fflush(stdout);
  fflush(stderr);
  /* no signal between fork and the record of the child: the watcher sets its own handlers */
  sigset_t stop, old;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGHUP);
  sigprocmask(SIG_BLOCK, &stop, &old);
  pid_t parent = getpid(), pid = fork();
  if (pid == 0) {
    run_watcher(parent, logfd, argv, envn, scratch, &old);
  }
  if (pid > 0) {
    setpgid(pid, pid);
    vn_made_child(pid);
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (pid < 0) {
    close(logfd);
    return vn_errorf(ctx, VN_ERR_TARGET, VN_NOLOC, "cannot start %s: %s", argv[envn], strerror(errno));
  }
  close(logfd);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  vn_made_child(0);
  vn_made_remove_path(scratch);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return VN_OK;
  size_t len = 0;
  char *msg = vn_read_file(log, &len);
  char first[512] = "no output";
  if (msg) first_cause(msg, first, sizeof first);
  if (msg && ctx->verbose) fprintf(stderr, "venusc: the compiler's messages (%s):\n%s", log, msg);
  free(msg);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return vn_errorf(ctx, VN_ERR_TARGET, VN_NOLOC, "target %s: compiler '%s' is not installed (%s)", t->name, argv[envn], first);
  return vn_errorf(ctx, VN_ERR_TARGET, VN_NOLOC, "target %s: %s failed: %s", t->name, argv[envn], first);
}

/* wasm: OUT is emcc's single-file program behind a node shebang line */
static VnStatus make_launcher(VnCtx *ctx, const char *js, const char *out) {
  size_t len = 0;
  char *p = vn_read_file(js, &len);
  if (!p) return vn_errorf(ctx, VN_ERR_IO, (VnLoc){js, 0}, "cannot read emcc's output");
  static const char she[] = "#!/usr/bin/env node\n";
  FILE *f = fopen(out, "wb");
  int bad = !f || fwrite(she, 1, sizeof she - 1, f) != sizeof she - 1 || fwrite(p, 1, len, f) != len;
  if (f && fclose(f)) bad = 1;
  free(p);
  unlink(js);
  if (bad || chmod(out, 0755)) return vn_errorf(ctx, VN_ERR_IO, (VnLoc){out, 0}, "cannot write");
  return VN_OK;
}

/* ---- the object cache ----
 * A Linux program's runtime objects depend only on the compiler, its flags
 * and the runtime's sources, never on the model, so each is compiled once
 * into $XDG_CACHE_HOME/venus/obj (~/.cache/venus/obj) under a hash of all of
 * those, and later compiles link it: only model.c is compiled per model.
 * An object is written under a name of its own (.tmpPID) and renamed into
 * place, so compiles running at once never see half an object; a cache
 * that cannot be made (or VENUS_NO_CACHE=1) means the objects are compiled
 * in the tree as before. */
static const char *cache_dir(VnCtx *ctx) {
  const char *off = getenv("VENUS_NO_CACHE");
  if (off && *off && strcmp(off, "0")) return NULL;
  const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  char *base = x && *x == '/' ? vn_arena_strdup(&ctx->scratch, x)
             : home && *home ? vn_arena_printf(&ctx->scratch, "%s/.cache", home) : NULL;
  if (!base) return NULL;
  const char *parts[] = {"", "/venus", "/venus/obj"};
  char *d = NULL;
  for (int i = 0; i < 3; i++) {
    d = vn_arena_printf(&ctx->scratch, "%s%s", base, parts[i]);
    if (mkdir(d, 0755) && errno != EEXIST) return NULL;
  }
  return access(d, W_OK) == 0 ? d : NULL;
}

/* the compiler's identity: its command and the size and time of the program it runs */
static void hash_compiler(VnHash *h, const char *cc) {
  vn_hash_update(h, cc, strlen(cc) + 1);
  const char *w = cc;
  while (*w && strchr(w, '=') && strchr(w, '=') < w + strcspn(w, " ")) { w += strcspn(w, " "); while (*w == ' ') w++; }
  size_t n = strcspn(w, " ");
  char prog[512];
  snprintf(prog, sizeof prog, "%.*s", (int)n, w);
  struct stat st;
  int found = 0;
  if (strchr(prog, '/')) found = stat(prog, &st) == 0;
  for (const char *p = getenv("PATH"); p && *p && !found;) {
    size_t l = strcspn(p, ":");
    char path[1024];
    snprintf(path, sizeof path, "%.*s/%s", (int)l, p, prog);
    found = stat(path, &st) == 0;
    p += l;
    if (*p == ':') p++;
  }
  if (found) {
    uint64_t v[2] = {(uint64_t)st.st_size, (uint64_t)st.st_mtime};
    vn_hash_update(h, v, sizeof v);
  }
}

/* the cached object of runtime source name (in dir) built with flags, compiled now if absent */
static VnStatus cached_object(VnCtx *ctx, const VnTarget *t, const char *cache, const char *dir, const char *name,
                              const char *flags, const char **obj) {
  VnHash h;
  vn_hash_init(&h);
  vn_hash_update(&h, "venus-obj-1", 12);
  hash_compiler(&h, t->cc);
  vn_hash_update(&h, flags, strlen(flags) + 1);
  vn_hash_update(&h, name, strlen(name) + 1);
  /* the source and every header it may include: the runtime's and the target's */
  for (const VnEmbedded *e = vn_embedded; e->name; e++) {
    const char *rn = runtime_name(e);
    if (rn && (!strcmp(rn, name) || !is_c(rn))) { vn_hash_update(&h, rn, strlen(rn) + 1); vn_hash_update(&h, e->data, e->len); }
  }
  const VnEmbedded *th = vn_embedded_find(vn_arena_printf(&ctx->scratch, "targets/%s", t->header));
  if (th) vn_hash_update(&h, th->data, th->len);
  char *o = vn_arena_printf(&ctx->scratch, "%s/%016llx.o", cache, (unsigned long long)vn_hash_final(&h));
  *obj = o;
  if (access(o, R_OK) == 0) return VN_OK;
  char *tmp = vn_arena_printf(&ctx->scratch, "%s.tmp%d", o, (int)getpid());
  vn_made_add(tmp, VN_MADE_FILE);
  const char *argv[64];
  int n = add_words(argv, 0, vn_arena_strdup(&ctx->scratch, t->cc));
  n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, flags));
  argv[n++] = vn_arena_printf(&ctx->scratch, "-I%s", dir);
  argv[n++] = "-c";
  argv[n++] = "-o";
  argv[n++] = tmp;
  argv[n++] = vn_arena_printf(&ctx->scratch, "%s/%s", dir, name);
  argv[n] = NULL;
  VN_TRY(run_cc(ctx, t, argv, dir));
  if (rename(tmp, o)) {
    unlink(tmp);
    return vn_errorf(ctx, VN_ERR_IO, (VnLoc){o, 0}, "cannot write: %s", strerror(errno));
  }
  vn_made_keep(tmp);
  return VN_OK;
}

/* whether macro m occurs in a preprocessor line of the n bytes at p */
static int in_directive(const char *p, size_t n, const char *m) {
  size_t ml = strlen(m);
  for (size_t i = 0; i < n;) {
    size_t e = i;
    while (e < n && p[e] != '\n') e++;
    size_t j = i;
    while (j < e && (p[j] == ' ' || p[j] == '\t')) j++;
    if (j < e && p[j] == '#')
      for (size_t k = j; k + ml <= e; k++)
        if (!memcmp(p + k, m, ml)) return 1;
    i = e + 1;
  }
  return 0;
}

/* The feature flags one runtime source is compiled with: those whose macro
 * its own conditionals, or any runtime header's, test. A feature changes
 * only the sources that read it, so (say) an image-decoding build shares
 * the kernels' object with every other build of its target. */
static const char *source_flags(VnCtx *ctx, const VnEmbedded *src, int feat) {
  static const struct { int bit; const char *macro, *flags; } fl[] = {
    {VN_BUILD_BLAS, "VN_USE_BLAS", " -DVN_USE_BLAS"},
    {VN_BUILD_SERVER, "VN_SERVER", " -DVN_SERVER"},
    {VN_BUILD_EDIT, "VN_LINE_EDITING", " -DVN_LINE_EDITING"},
    {VN_BUILD_IMAGE, "VN_IMAGE_", IMAGE_CFLAGS},
  };
  VnBuf b = {0};
  vn_buf_puts(&b, "");
  for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++) {
    if (!(feat & fl[i].bit)) continue;
    int used = in_directive(src->data, src->len, fl[i].macro);
    for (const VnEmbedded *e = vn_embedded; e->name && !used; e++) {
      const char *rn = runtime_name(e);
      if (rn && !is_c(rn)) used = in_directive(e->data, e->len, fl[i].macro);
    }
    if (used) vn_buf_puts(&b, fl[i].flags);
  }
  char *s = vn_arena_strdup(&ctx->scratch, b.p ? b.p : "");
  vn_buf_free(&b);
  return s;
}

/* A Linux program from cached runtime objects: model.c compiled and linked with them */
static VnStatus build_cached(VnCtx *ctx, const char *cache, const char *dir, const VnTarget *t, const char *out, int feat) {
  int blas = feat & VN_BUILD_BLAS, server = feat & VN_BUILD_SERVER, edit = feat & VN_BUILD_EDIT, image = feat & VN_BUILD_IMAGE;
  const char *base = vn_arena_printf(&ctx->scratch, "%s %s", common_cflags(ctx, t), t->cflags);
  const char *flags = vn_arena_printf(&ctx->scratch, "%s%s%s%s%s", base, blas ? " -DVN_USE_BLAS" : "",
                                      server ? " -DVN_SERVER" : "", edit ? " -DVN_LINE_EDITING" : "", image ? IMAGE_CFLAGS : "");
  const char *argv[160];
  int n = add_words(argv, 0, vn_arena_strdup(&ctx->scratch, t->cc));
  n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, flags));
  argv[n++] = vn_arena_printf(&ctx->scratch, "-I%s", dir);
  argv[n++] = "-o";
  argv[n++] = out;
  argv[n++] = vn_arena_printf(&ctx->scratch, "%s/model.c", dir);
  for (const VnEmbedded *e = vn_embedded; e->name; e++) {
    const char *rn = runtime_name(e);
    if (!rn || !is_c(rn)) continue;
    if (n >= 140) return vn_internal(ctx, "too many runtime sources");
    const char *f = !strcmp(rn, CPU_C) ? cpu_cflags(ctx, t) : vn_arena_printf(&ctx->scratch, "%s%s", base, source_flags(ctx, e, feat));
    VN_TRY(cached_object(ctx, t, cache, dir, rn, f, &argv[n]));
    n++;
  }
  n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, t->ldflags));
  if (blas) argv[n++] = "-lopenblas";
  if (server) { argv[n++] = "-lmicrohttpd"; argv[n++] = "-ljansson"; }
  if (edit) argv[n++] = "-ledit";
  if (image) { argv[n++] = "-lpng"; argv[n++] = "-ljpeg"; }
  n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, link_flags(t)));
  argv[n] = NULL;
  return run_cc(ctx, t, argv, dir);
}

VnStatus vn_build_run(VnCtx *ctx, const char *dir, const VnTarget *t, const char *out, int shared, int feat,
                      const char *const *extra_src) {
  if (t->probe && access(t->probe, R_OK))
    return vn_errorf(ctx, VN_ERR_TARGET, VN_NOLOC,
                     "target %s: its C library is not installed (no %s; tools/cross-deps.sh installs the ones "
                     "Debian has); --emit-c DIR still writes the source tree", t->name, t->probe);
  const char *cache = !shared && t->kind == VN_TK_LINUX && !(extra_src && *extra_src) ? cache_dir(ctx) : NULL;
  if (cache) return build_cached(ctx, cache, dir, t, out, feat);
  const char *argv[160];
  int n = 0;
  const char *cpu_o = NULL;
  if (!shared) {  /* cpu.c alone, without the vector flags */
    cpu_o = vn_arena_printf(&ctx->scratch, "%s/cpu.o", dir);
    vn_made_add_new(cpu_o);
    n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, t->cc));
    n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, cpu_cflags(ctx, t)));
    argv[n++] = vn_arena_printf(&ctx->scratch, "-I%s", dir);
    argv[n++] = "-c";
    argv[n++] = "-o";
    argv[n++] = cpu_o;
    argv[n++] = vn_arena_printf(&ctx->scratch, "%s/" CPU_C, dir);
    argv[n] = NULL;
    VN_TRY(run_cc(ctx, t, argv, dir));
    n = 0;
  }
  char *cc = vn_arena_strdup(&ctx->scratch, t->cc);
  n = add_words(argv, n, cc);
  n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, common_cflags(ctx, t)));
  n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, t->cflags));
  argv[n++] = vn_arena_printf(&ctx->scratch, "-I%s", dir);
  int blas = feat & VN_BUILD_BLAS, server = feat & VN_BUILD_SERVER, edit = feat & VN_BUILD_EDIT, image = feat & VN_BUILD_IMAGE;
  if (blas) argv[n++] = "-DVN_USE_BLAS";
  if (image) { argv[n++] = "-DVN_IMAGE_PNG"; argv[n++] = "-DVN_IMAGE_JPEG"; }
  if (server) argv[n++] = "-DVN_SERVER";
  if (edit) argv[n++] = "-DVN_LINE_EDITING";
  if (shared) { argv[n++] = "-shared"; argv[n++] = "-fPIC"; }
  const char *js = t->kind == VN_TK_WASM && !shared ? vn_arena_printf(&ctx->scratch, "%s/model.js", dir) : NULL;
  if (js) vn_made_add_new(js);
  argv[n++] = "-o";
  argv[n++] = js ? js : out;
  if (!shared) argv[n++] = vn_arena_printf(&ctx->scratch, "%s/model.c", dir);
  for (const VnEmbedded *e = vn_embedded; e->name; e++) {
    const char *rn = runtime_name(e);
    if (!rn || !is_c(rn) || !strcmp(rn, CPU_C) || (shared && in_list(program_only, rn))) continue;
    if (n >= 140) return vn_internal(ctx, "too many runtime sources");
    argv[n++] = vn_arena_printf(&ctx->scratch, "%s/%s", dir, rn);
  }
  if (bare(t) && !shared) {
    argv[n++] = vn_arena_printf(&ctx->scratch, "%s/startup.c", dir);
    argv[n++] = vn_arena_printf(&ctx->scratch, "%s/model_weights.c", dir);
    argv[n++] = "-T";
    argv[n++] = vn_arena_printf(&ctx->scratch, "%s/board.ld", dir);
  }
  if (cpu_o) argv[n++] = cpu_o;
  for (const char *const *s = extra_src; s && *s; s++) argv[n++] = *s;
  n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, t->ldflags));
  if (blas) argv[n++] = "-lopenblas";
  if (server) { argv[n++] = "-lmicrohttpd"; argv[n++] = "-ljansson"; }
  if (edit) argv[n++] = "-ledit";
  if (image) { argv[n++] = "-lpng"; argv[n++] = "-ljpeg"; }
  n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, link_flags(t)));
  argv[n] = NULL;
  VN_TRY(run_cc(ctx, t, argv, dir));
  if (js) VN_TRY(make_launcher(ctx, js, out));
  if (bare(t) && !shared) report_sizes(t, out);
  return VN_OK;
}

/* ---- libraries (venusc compile --lib) ---- */
/* NAME.h: runtime/vnapi.h with vnapi_ and VNAPI_ made the model's prefix */
char *vn_lib_header(VnCtx *ctx, const char *name, const char *about) {
  const VnEmbedded *e = vn_embedded_find("runtime/vnapi.h");
  if (!e) return NULL;
  char up[128];
  size_t nl = strlen(name);
  if (nl >= sizeof up) return NULL;
  for (size_t i = 0; i <= nl; i++) up[i] = name[i] >= 'a' && name[i] <= 'z' ? (char)(name[i] - 32) : name[i];
  VnBuf b = {0};
  vn_buf_printf(&b, "/* %s.h: generated by venusc -- %s. */\n", name, about);
  for (size_t i = 0; i < e->len;) {
    if (e->len - i >= 6 && !memcmp(e->data + i, "vnapi_", 6)) { vn_buf_printf(&b, "%s_", name); i += 6; }
    else if (e->len - i >= 6 && !memcmp(e->data + i, "VNAPI_", 6)) { vn_buf_printf(&b, "%s_", up); i += 6; }
    else { vn_buf_printf(&b, "%c", e->data[i]); i++; }
  }
  char *s = vn_arena_strdup(&ctx->scratch, b.p ? b.p : "");
  vn_buf_free(&b);
  return s;
}

/* The library of a model, from the tree vn_build_tree wrote: every runtime
 * file but the command line (cli.c) and model.c, compiled position
 * independent with hidden visibility and -DVN_LIB (no main, no signal
 * handlers, the API of api.c under NAME_), linked into one relocatable
 * object whose hidden symbols objcopy makes local: only NAME_* stays
 * global, so neither the archive nor the shared object can collide with
 * another model's. a_out gets the archive of that object, so_out the
 * shared object linked from it. */
VnStatus vn_build_lib(VnCtx *ctx, const char *dir, const VnTarget *t, const char *name, const char *header, int feat,
                      const char *a_out, const char *so_out) {
  VN_TRY(put_file(ctx, dir, "vn_api.h", header, strlen(header)));
  static const char *const not_lib[] = {"cli.c", CPU_C, NULL};
  char up[128];
  size_t nl = strlen(name);
  if (nl >= sizeof up) return vn_internal(ctx, "library name too long");
  for (size_t i = 0; i <= nl; i++) up[i] = name[i] >= 'a' && name[i] <= 'z' ? (char)(name[i] - 32) : name[i];
  const char *argv[160];
  int n = 0, blas = feat & VN_BUILD_BLAS;
  const char *cpu_o = vn_arena_printf(&ctx->scratch, "%s/cpu.o", dir), *obj = vn_arena_printf(&ctx->scratch, "%s/%s.o", dir, name);
  vn_made_add_new(cpu_o);
  vn_made_add_new(obj);
  n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, t->cc));
  n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, cpu_cflags(ctx, t)));
  const char *pic[] = {"-fPIC", "-fvisibility=hidden", "-DVN_LIB"};
  for (int i = 0; i < 3; i++) argv[n++] = pic[i];
  argv[n++] = vn_arena_printf(&ctx->scratch, "-I%s", dir);
  argv[n++] = "-c";
  argv[n++] = "-o";
  argv[n++] = cpu_o;
  argv[n++] = vn_arena_printf(&ctx->scratch, "%s/" CPU_C, dir);
  argv[n] = NULL;
  VN_TRY(run_cc(ctx, t, argv, dir));
  n = 0;
  n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, t->cc));
  n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, common_cflags(ctx, t)));
  n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, t->cflags));
  for (int i = 0; i < 3; i++) argv[n++] = pic[i];
  argv[n++] = vn_arena_printf(&ctx->scratch, "-DVN_LIB_PREFIX=%s", name);
  argv[n++] = vn_arena_printf(&ctx->scratch, "-DVN_LIB_UPREFIX=%s", up);
  if (blas) argv[n++] = "-DVN_USE_BLAS";
  argv[n++] = vn_arena_printf(&ctx->scratch, "-I%s", dir);
  argv[n++] = "-r";
  argv[n++] = "-nostdlib";
  argv[n++] = "-o";
  argv[n++] = obj;
  argv[n++] = vn_arena_printf(&ctx->scratch, "%s/model.c", dir);
  for (const VnEmbedded *e = vn_embedded; e->name; e++) {
    const char *rn = runtime_name(e);
    if (!rn || !is_c(rn) || in_list(not_lib, rn)) continue;
    if (n >= 140) return vn_internal(ctx, "too many runtime sources");
    argv[n++] = vn_arena_printf(&ctx->scratch, "%s/%s", dir, rn);
  }
  argv[n++] = cpu_o;
  argv[n] = NULL;
  VN_TRY(run_cc(ctx, t, argv, dir));
  const char *objcopy = getenv("OBJCOPY"), *ar = getenv("AR");
  const char *oc[] = {objcopy && *objcopy ? objcopy : "objcopy", "--localize-hidden", obj, NULL};
  VN_TRY(run_cc(ctx, t, oc, dir));
  const char *arv[] = {ar && *ar ? ar : "ar", "rcs", a_out, obj, NULL};
  VN_TRY(run_cc(ctx, t, arv, dir));
  n = 0;
  n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, t->cc));
  argv[n++] = "-shared";
  argv[n++] = "-o";
  argv[n++] = so_out;
  argv[n++] = vn_arena_printf(&ctx->scratch, "-Wl,-soname,lib%s.so", name);
  argv[n++] = obj;
  if (blas) argv[n++] = "-lopenblas";
  n = add_words(argv, n, vn_arena_strdup(&ctx->scratch, link_flags(t)));
  argv[n] = NULL;
  return run_cc(ctx, t, argv, dir);
}
