/* venusc.c: the compiler driver. Parses the command line, runs the stages
 * (frontend, spec, passes, pack, emit, cc) as one visible sequence, and is
 * the only place a status becomes an exit code and a `venusc: msg` line.
 * Exit codes: 0 ok, 1 bad input or failure, 2 bad usage. A failed compile
 * leaves no output file behind. */
#include "codegen.h"
#include "tok.h"
#include "ops.h"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VENUS_VERSION "0.1.0"

static int verbose;

static void progress(const char *fmt, ...) {
  if (!verbose) return;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "venusc: ");
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* the end of a command: the context's memory goes back, rc is the exit status */
static int done(VnCtx *ctx, int rc) {
  vn_arena_free(&ctx->arena);
  vn_arena_free(&ctx->scratch);
  return rc;
}

static int fail(VnCtx *ctx) {
  fprintf(stderr, "venusc: %s\n", ctx->msg[0] ? ctx->msg : "failed");
  return done(ctx, ctx->status == VN_ERR_USAGE ? 2 : 1);
}

static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "venusc: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, " (see venusc --help)\n");
  va_end(ap);
  return 2;
}

static void usage(FILE *f) {
  fprintf(f,
          "venusc %s: an ahead-of-time compiler from language models to one binary per model.\n"
          "\n"
          "usage: venusc COMMAND [options]\n"
          "\n"
          "  compile MODEL -o OUT [options]   MODEL is a Hugging Face model directory; writes\n"
          "                                   the binary OUT and its weight file OUT.vnw\n"
          "      --target NAME       target to compile for (default native; see venusc targets)\n"
          "      --dtype D           weight type of matrices: f32 f16 bf16 q8_0 q4_0\n"
          "                          (default: as the model file stores them)\n"
          "      --spec FILE.lua     use this architecture spec instead of the built-in choice\n"
          "      --emit-c DIR        keep the generated C source tree (with a Makefile) in DIR\n"
          "      --batch N           most tokens per forward step (prefill chunk; default 512,\n"
          "                          16 on bare-metal targets)\n"
          "      --ctx N             bare-metal targets: the context the static state holds\n"
          "                          (default: the trained context, at most 256)\n"
          "      --blas              use OpenBLAS for float32 prefill products\n"
          "      -d PASS             dump the graph after PASS (%s) to stdout\n"
          "      --dot FILE          write the final graph as Graphviz\n"
          "      --no-fuse           skip the fusion pass\n"
          "      -v, --verbose       report progress\n"
          "  inspect MODEL [--dtype D] [--spec FILE]\n"
          "                          architecture, spec, ops, fusions, arena and weight bytes\n"
          "  specs                   the architectures venus knows and the HF classes each handles\n"
          "  targets [--tsv]         the targets, their toolchains and whether they are installed\n"
          "  tokenize MODEL|tokenizer.json [--special] -- TEXT      print token ids\n"
          "  detokenize MODEL|tokenizer.json -- 1,2,3               print the text\n"
          "  --version, --help\n"
          "\n"
          "The model binary takes -p TEXT, --ids, --logits, --perplexity, ... (OUT --help).\n",
          VENUS_VERSION, vn_pass_names());
}

/* ---- specs ---- */
typedef struct Specs {
  VnSpecSrc *specs, *libs;
  int nspecs, nlibs;
} Specs;

static int starts(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }
static int ends(const char *s, const char *p) {
  size_t a = strlen(s), b = strlen(p);
  return a >= b && !strcmp(s + a - b, p);
}

static int cmp_src(const void *a, const void *b) {
  return strcmp(((const VnSpecSrc *)a)->file, ((const VnSpecSrc *)b)->file);
}

static void load_specs(Specs *s) {
  memset(s, 0, sizeof *s);
  int n = 0;
  for (const VnEmbedded *e = vn_embedded; e->name; e++) n++;
  s->specs = calloc((size_t)n + 1, sizeof *s->specs);
  s->libs = calloc((size_t)n + 1, sizeof *s->libs);
  for (const VnEmbedded *e = vn_embedded; e->name; e++) {
    if (!starts(e->name, "archspecs/") || !ends(e->name, ".lua")) continue;
    VnSpecSrc src = {e->name, e->data, e->len};
    if (starts(e->name, "archspecs/lib/")) s->libs[s->nlibs++] = src;
    else s->specs[s->nspecs++] = src;
  }
  qsort(s->libs, (size_t)s->nlibs, sizeof *s->libs, cmp_src);
  qsort(s->specs, (size_t)s->nspecs, sizeof *s->specs, cmp_src);
}

static int cmd_specs(void) {
  VnCtx ctx = {0};
  Specs s;
  load_specs(&s);
  printf("%-12s %-40s %s\n", "spec", "Hugging Face classes (model_type)", "file");
  for (int i = 0; i < s.nspecs; i++) {
    VnSpecInfo in;
    if (vn_spec_info(&ctx, &s.specs[i], s.libs, s.nlibs, &in) != VN_OK) return fail(&ctx);
    char cls[512] = "";
    for (int k = 0; k < in.nhf; k++) { strcat(cls, k ? ", " : ""); strncat(cls, in.hf[k], 100); }
    strcat(cls, " (");
    for (int k = 0; k < in.ntypes; k++) { strcat(cls, k ? ", " : ""); strncat(cls, in.types[k], 60); }
    strcat(cls, ")");
    printf("%-12s %-40s %s\n", in.name, cls, in.file);
    if (in.about) printf("%-12s   %s\n", "", in.about);
    if (in.options) printf("%-12s   options: %s\n", "", in.options);
  }
  free(s.specs);
  free(s.libs);
  vn_arena_free(&ctx.arena);
  return 0;
}

static int cmd_targets(int argc, char **argv) {
  static const char *const kinds[] = {"linux", "wasm", "bare"};
  if (argc > 1 && !strcmp(argv[1], "--tsv")) {
    /* for scripts (tests/targets/run.sh): one line per target, tab-separated */
    printf("name\tkind\ttriple\tbig_endian\tinstalled\trunner_installed\tcc\tcflags\tldflags\theader\tboard\trunner\n");
    for (int i = 0; i < vn_ntargets; i++) {
      const VnTarget *t = &vn_targets[i];
      printf("%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", t->name, kinds[t->kind], t->triple, t->big_endian,
             vn_target_available(t), vn_target_runner_available(t), t->cc, t->cflags, t->ldflags, t->header,
             t->board ? t->board : "", t->runner);
    }
    return 0;
  }
  if (argc > 1) return usage_error("targets: unknown option '%s' (--tsv lists them for scripts)", argv[1]);
  printf("%-14s %-26s %-5s %-3s %-9s %s\n", "target", "triple", "kind", "end", "installed", "vector ISA");
  for (int i = 0; i < vn_ntargets; i++) {
    const VnTarget *t = &vn_targets[i];
    int cc = vn_target_available(t), run = vn_target_runner_available(t);
    printf("%-14s %-26s %-5s %-3s %-9s %s\n", t->name, t->triple, kinds[t->kind], t->big_endian ? "BE" : "LE",
           cc ? (run ? "yes" : "yes (no runner)") : "no", t->isa);
    printf("%-14s   compiler: %s   flags: %s%s%s\n", "", t->cc, *t->cflags ? t->cflags : "(none)", *t->ldflags ? " | link: " : "",
           t->ldflags);
    printf("%-14s   runs: %s%s   (%s)\n", "", *t->runner ? t->runner : "natively", *t->runner && !run ? " (not installed)" : "",
           t->note);
  }
  const VnTarget *nt = vn_target_find("native");
  printf("\nnative = %s on this machine\n", nt ? nt->name : "generic");
  return 0;
}

/* Pick the spec for a model directory (or load --spec FILE). */
static VnStatus choose_spec(VnCtx *ctx, const Specs *s, const VnModelDir *md, const char *spec_file,
                            VnSpecSrc *out) {
  if (spec_file) {
    size_t len;
    char *text = vn_read_file(spec_file, &len);
    if (!text) return vn_errorf(ctx, VN_ERR_IO, (VnLoc){spec_file, 0}, "cannot read the spec");
    out->file = vn_arena_strdup(&ctx->arena, spec_file);
    out->text = vn_arena_strdup(&ctx->arena, text);
    out->len = len;
    free(text);
    return VN_OK;
  }
  int by_type = -1;
  for (int i = 0; i < s->nspecs; i++) {
    VnSpecInfo in;
    VN_TRY(vn_spec_info(ctx, &s->specs[i], s->libs, s->nlibs, &in));
    for (int k = 0; k < in.nhf; k++)
      if (md->arch_class && !strcmp(in.hf[k], md->arch_class)) { *out = s->specs[i]; return VN_OK; }
    for (int k = 0; k < in.ntypes; k++)
      if (md->model_type && !strcmp(in.types[k], md->model_type) && by_type < 0) by_type = i;
  }
  if (by_type >= 0) { *out = s->specs[by_type]; return VN_OK; }
  return vn_errorf(ctx, VN_ERR_INPUT, (VnLoc){md->config_file, 0},
                   "no spec for architecture '%s' (model_type '%s'); `venusc specs` lists the known ones, "
                   "docs/writing-a-spec.md shows how to add one (or pass --spec FILE.lua)",
                   md->arch_class ? md->arch_class : "?", md->model_type ? md->model_type : "?");
}

static int is_gguf(const char *path) {
  FILE *f = fopen(path, "rb");
  char m[4] = {0};
  if (!f) return 0;
  size_t n = fread(m, 1, 4, f);
  fclose(f);
  return n == 4 && !memcmp(m, "GGUF", 4);
}

/* A GGUF file: its metadata becomes an HF config and its tensor names HF
 * names (archspecs/lib/gguf.lua), so the same specs build it. */
static VnStatus open_gguf(VnCtx *ctx, const char *path, VnModelDir *md, const Specs *s) {
  memset(md, 0, sizeof *md);
  md->gguf = calloc(1, sizeof *md->gguf);
  VN_TRY(vn_gguf_open(ctx, path, md->gguf));
  md->dir = path;
  md->config_file = path;
  md->src = md->gguf->src;
  VN_TRY(vn_spec_gguf(ctx, s->libs, s->nlibs, md->gguf->meta, path, &md->src, &md->config_json, &md->gguf_tok));
  json_t *cfg = json_loads(md->config_json, 0, NULL);
  json_t *a = json_object_get(cfg, "architectures");
  if (json_is_array(a) && json_is_string(json_array_get(a, 0)))
    md->arch_class = vn_arena_strdup(&ctx->arena, json_string_value(json_array_get(a, 0)));
  json_t *mt = json_object_get(cfg, "model_type");
  if (json_is_string(mt)) md->model_type = vn_arena_strdup(&ctx->arena, json_string_value(mt));
  json_decref(cfg);
  return VN_OK;
}

typedef struct Job {
  const char *model, *out, *target, *dtype, *spec, *emit, *dump, *dot;
  int batch, blas, no_fuse;
  int batch_set, ctx;         /* --batch given; --ctx (bare metal) */
} Job;

/* frontend + spec + passes: the graph of a model */
static VnStatus make_graph(VnCtx *ctx, const Job *j, VnModelDir *md, VnGraph **gp) {
  struct stat st;
  if (stat(j->model, &st)) return vn_errorf(ctx, VN_ERR_IO, (VnLoc){j->model, 0}, "no such file or directory");
  Specs s;
  load_specs(&s);
  if (S_ISREG(st.st_mode) && (ends(j->model, ".gguf") || is_gguf(j->model))) {
    VnStatus rc = open_gguf(ctx, j->model, md, &s);
    if (rc != VN_OK) { free(s.specs); free(s.libs); return rc; }
  } else {
    VnStatus rc = vn_hf_open(ctx, j->model, md);
    if (rc != VN_OK) { free(s.specs); free(s.libs); return rc; }
  }
  progress("%s: %d tensors", md->src.path, md->src.ntensors);
  VnSpecSrc spec;
  VnStatus rc = choose_spec(ctx, &s, md, j->spec, &spec);
  VnGraph *g = NULL;
  if (rc == VN_OK) {
    g = vn_graph_new(ctx);
    progress("spec %s", spec.file);
    rc = vn_spec_build(ctx, &spec, s.libs, s.nlibs, md->config_json, md->config_file, &md->src, g);
  }
  free(s.specs);
  free(s.libs);
  if (rc != VN_OK) return rc;
  /* end-of-generation ids: the config's and generation_config.json's */
  for (int k = 0; k < md->ngen_eos; k++) {
    int seen = 0;
    for (int e = 0; e < g->info.neos; e++) if (g->info.eos[e] == md->gen_eos[k]) seen = 1;
    if (!seen && g->info.neos < 8) g->info.eos[g->info.neos++] = md->gen_eos[k];
  }
  g->t_max = j->batch;
  if (j->dtype) {
    VnDType dt;
    if (!vn_dtype_parse(j->dtype, &dt) || dt >= VN_KERNEL_DTYPES)
      return vn_errorf(ctx, VN_ERR_USAGE, VN_NOLOC, "--dtype %s: not one of f32 f16 bf16 q8_0 q4_0", j->dtype);
    g->wdtype = dt;
  }
  for (uint32_t i = 0; i < g->n; i++) {
    const VnNode *n = &g->nodes[i];
    if (n->op == VN_OP_ATTENTION && (n->p.head_dim > VN_MAX_HEAD_DIM_C || n->p.v_head_dim > VN_MAX_HEAD_DIM_C))
      return vn_errorf(ctx, VN_ERR_SPEC, n->loc, "attention: head_dim %d is wider than %d", n->p.head_dim, VN_MAX_HEAD_DIM_C);
  }
  VnPipeOpts po = {j->dump, stdout, j->no_fuse};
  VN_TRY(vn_pipeline(ctx, g, &po));
  if (j->dot) {
    FILE *f = fopen(j->dot, "w");
    if (!f) return vn_errorf(ctx, VN_ERR_IO, (VnLoc){j->dot, 0}, "cannot write");
    vn_graph_dot(g, f);
    if (fclose(f)) return vn_errorf(ctx, VN_ERR_IO, (VnLoc){j->dot, 0}, "write failed");
  }
  *gp = g;
  return VN_OK;
}

static int parse_job(int argc, char **argv, Job *j, int need_out) {
  memset(j, 0, sizeof *j);
  j->batch = 512;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define VAL(dst) do { if (!v) return usage_error("%s needs a value", a); dst = v; i++; } while (0)
    if (!strcmp(a, "-o")) VAL(j->out);
    else if (!strcmp(a, "--target")) VAL(j->target);
    else if (!strcmp(a, "--dtype")) VAL(j->dtype);
    else if (!strcmp(a, "--spec")) VAL(j->spec);
    else if (!strcmp(a, "--emit-c")) VAL(j->emit);
    else if (!strcmp(a, "-d")) VAL(j->dump);
    else if (!strcmp(a, "--dot")) VAL(j->dot);
    else if (!strcmp(a, "--batch")) {
      const char *s;
      VAL(s);
      char *e;
      long b = strtol(s, &e, 10);
      if (*e || b < 1 || b > 65536) return usage_error("--batch %s: want an integer in [1, 65536]", s);
      j->batch = (int)b;
      j->batch_set = 1;
    } else if (!strcmp(a, "--ctx")) {
      const char *s;
      VAL(s);
      char *e;
      long c = strtol(s, &e, 10);
      if (*e || c < 2 || c > (1 << 24)) return usage_error("--ctx %s: want an integer in [2, 16777216]", s);
      j->ctx = (int)c;
    } else if (!strcmp(a, "--blas")) j->blas = 1;
    else if (!strcmp(a, "--no-fuse")) j->no_fuse = 1;
    else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) verbose = 1;
    else if (a[0] == '-' && a[1]) return usage_error("%s: unknown option '%s'", argv[0], a);
    else if (!j->model) j->model = a;
    else return usage_error("%s: one MODEL only (got '%s' and '%s')", argv[0], j->model, a);
#undef VAL
  }
  if (!j->model) return usage_error("%s: which MODEL?", argv[0]);
  if (need_out && !j->out && !j->dump && !j->dot && !j->emit) return usage_error("compile: -o OUT is required");
  return 0;
}

static int mkdir_p(const char *dir) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", dir);
  for (char *p = buf + 1; *p; p++)
    if (*p == '/') { *p = 0; if (mkdir(buf, 0777) && errno != EEXIST) return -1; *p = '/'; }
  return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

static void rm_tree_files(const char *dir) {
  static const char *const files[] = {"model.c", "runtime.h", "tokenizer.h", "cli.c", "kernels.c", "threads.c",
                                      "weights.c", "sampler.c", "tokenizer.c", "vn_target.h", "Makefile", "cc.log",
                                      "startup.c", "board.ld", "model_weights.c", "model.vnw", "model.js", "chat.c", NULL};
  char p[4200];
  for (const char *const *f = files; *f; f++) { snprintf(p, sizeof p, "%s/%s", dir, *f); unlink(p); }
  rmdir(dir);
}

static int cmd_compile(int argc, char **argv) {
  Job j;
  int u = parse_job(argc, argv, &j, 1);
  if (u) return u;
  VnCtx ctx = {0};
  VnModelDir md;
  VnGraph *g = NULL;
  const VnTarget *t = vn_target_find(j.target ? j.target : "native");
  if (!t) return usage_error("--target %s: unknown target (venusc targets lists them)", j.target);
  if (j.blas && t->kind != VN_TK_LINUX)
    return usage_error("--blas: target %s has no OpenBLAS", t->name);
  if (j.blas && *t->runner)  /* cross targets link statically; Debian has no cross OpenBLAS for them */
    return usage_error("--blas: OpenBLAS is linked for host targets only (%s is a cross target)", t->name);
  int bare = t->kind == VN_TK_BAREMETAL;
  if (j.ctx && !bare)
    return usage_error("--ctx: only bare-metal targets fix the context at compile time (other binaries take --ctx when run)");
  if (bare && !j.batch_set) j.batch = 16;
  if (make_graph(&ctx, &j, &md, &g) != VN_OK) { vn_hf_close(&md); return fail(&ctx); }
  if (!j.out && !j.emit) { vn_hf_close(&md); return done(&ctx, 0); }  /* -d / --dot only */
  /* the tokenizer */
  unsigned char *blob = NULL;
  size_t blen = 0;
  if (md.tokenizer_json || (md.gguf && md.gguf_tok)) {
    char err[1024];
    progress("tokenizer %s", md.tokenizer_json ? md.tokenizer_json : md.gguf->path);
    blob = md.gguf ? vn_gguf_tokenizer(md.gguf, md.gguf_tok, &blen, err, sizeof err)
                   : vn_tokc_compile_json(md.tokenizer_json, md.tokenizer_config, &blen, err, sizeof err);
    if (!blob) { fprintf(stderr, "venusc: %s\n", err); vn_hf_close(&md); return done(&ctx, 1); }
  }
  /* the work tree: --emit-c DIR, or a temporary directory */
  char tmpl[] = "/tmp/venusc.XXXXXX";
  const char *dir = j.emit;
  if (dir) {
    if (mkdir_p(dir)) { fprintf(stderr, "venusc: %s: cannot create the directory\n", dir); free(blob); vn_hf_close(&md); return done(&ctx, 1); }
  } else if (!(dir = mkdtemp(tmpl))) {
    fprintf(stderr, "venusc: cannot create a temporary directory: %s\n", strerror(errno));
    free(blob);
    vn_hf_close(&md);
    return done(&ctx, 1);
  }
  const char *out = j.out;
  char *wtmp = NULL, *btmp = NULL, *wfinal = NULL;
  VnStatus rc = VN_OK;
  uint64_t id = 0;
  if (bare) {  /* the weights go into the binary (model_weights.c), not beside it */
    wtmp = vn_arena_printf(&ctx.arena, "%s/model.vnw", dir);
    if (out) btmp = vn_arena_printf(&ctx.arena, "%s.tmp%d", out, (int)getpid());
    progress("packing %lld bytes of weights into the binary", (long long)g->weight_bytes);
    rc = vn_pack_weights(&ctx, g, &md.src, t, wtmp, &id);
    if (rc == VN_OK) rc = vn_build_weights_c(&ctx, dir, wtmp);
    unlink(wtmp);
    wtmp = NULL;
  } else if (out) {
    wfinal = vn_arena_printf(&ctx.arena, "%s.vnw", out);
    wtmp = vn_arena_printf(&ctx.arena, "%s.vnw.tmp%d", out, (int)getpid());
    btmp = vn_arena_printf(&ctx.arena, "%s.tmp%d", out, (int)getpid());
    progress("packing %lld bytes of weights into %s", (long long)g->weight_bytes, wfinal);
    rc = vn_pack_weights(&ctx, g, &md.src, t, wtmp, &id);
  } else {
    char *wp = vn_arena_printf(&ctx.arena, "%s/model.vnw", dir);
    rc = vn_pack_weights(&ctx, g, &md.src, t, wp, &id);
  }
  VnBuf src = {0};
  if (rc == VN_OK) {
    int cmax = j.ctx;
    if (!cmax) cmax = g->info.max_pos > 0 && g->info.max_pos < 256 ? (int)g->info.max_pos : 256;
    /* chat formats: the one the chat template matches is the default */
    VnChatFormats *cf = vn_arena_alloc(&ctx.arena, sizeof *cf);
    char *tmpl_text = blob ? vn_chat_template(&md) : NULL;
    Specs cs;
    load_specs(&cs);
    rc = vn_spec_chat(&ctx, cs.libs, cs.nlibs, tmpl_text, cf);
    free(cs.specs);
    free(cs.libs);
    if (tmpl_text && cf->chosen < 0)
      fprintf(stderr, "venusc: note: the chat template is not one venus recognizes; --chat needs --chat-format\n");
    VnEmitOpts eo = {t, id, blob, blen, j.blas, cmax, blob ? cf : NULL, tmpl_text != NULL};
    free(tmpl_text);
    if (rc == VN_OK) rc = vn_emit_model(&ctx, g, &eo, &src);
  }
  if (rc == VN_OK) {
    char *mc = vn_arena_printf(&ctx.arena, "%s/model.c", dir);
    if (vn_write_file(mc, src.p, src.len)) rc = vn_errorf(&ctx, VN_ERR_IO, (VnLoc){mc, 0}, "cannot write");
  }
  const char *on = out ? strrchr(out, '/') : NULL;
  on = on ? on + 1 : out ? out : "model";
  if (rc == VN_OK) rc = vn_build_tree(&ctx, dir, t, on, j.blas);
  if (rc == VN_OK && out) {
    progress("compiling with %s for %s", t->cc, t->name);
    rc = vn_build_run(&ctx, dir, t, btmp, 0, j.blas, NULL);
  }
  if (rc == VN_OK && out) {
    if ((wtmp && rename(wtmp, wfinal)) || rename(btmp, out))
      rc = vn_errorf(&ctx, VN_ERR_IO, (VnLoc){out, 0}, "cannot write: %s", strerror(errno));
  }
  vn_buf_free(&src);
  free(blob);
  vn_hf_close(&md);
  if (rc != VN_OK) {
    if (wtmp) unlink(wtmp);
    if (btmp) unlink(btmp);
    if (!j.emit && rc != VN_ERR_TARGET) rm_tree_files(dir);
    return fail(&ctx);
  }
  if (!j.emit) rm_tree_files(dir);
  if (out) progress("wrote %s%s%s", out, wfinal ? " and " : " (weights linked in)", wfinal ? wfinal : "");
  return done(&ctx, 0);
}

/* GGUF: the metadata (long arrays summarized) and the tensor types */
static void print_gguf(const VnGguf *gg) {
  printf("gguf:        version %u, %d tensors\n", gg->version, gg->src.ntensors);
  const char *k;
  json_t *v;
  json_object_foreach(gg->meta, k, v) {
    char *txt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    size_t l = txt ? strlen(txt) : 0;
    printf("  %-44s %.*s%s\n", k, (int)(l > 100 ? 100 : l), txt ? txt : "?", l > 100 ? "..." : "");
    free(txt);
  }
  for (int i = 0; i < gg->narrays; i++)
    if (!json_object_get(gg->meta, gg->arrays[i].key)) {
      uint32_t ty;
      uint64_t n;
      VnGgufIter it;
      if (vn_gguf_array(gg, gg->arrays[i].key, &ty, &n, &it)) printf("  %-44s [%llu values]\n", gg->arrays[i].key, (unsigned long long)n);
    }
  int count[VN_DTYPE_COUNT] = {0};
  for (int i = 0; i < gg->src.ntensors; i++) count[gg->src.tensors[i].dtype]++;
  printf("tensor types:");
  for (int t = 0; t < VN_DTYPE_COUNT; t++) if (count[t]) printf(" %s %d", vn_dtype_name((VnDType)t), count[t]);
  printf("\n");
  for (int i = 0; i < gg->src.ntensors; i++) {
    const VnTensorInfo *ti = &gg->src.tensors[i];
    printf("  %-44s %-6s [", ti->name, vn_dtype_name(ti->dtype));
    for (int d = 0; d < ti->nd; d++) printf("%s%lld", d ? "," : "", (long long)ti->dim[d]);
    printf("]\n");
  }
}

static int cmd_inspect(int argc, char **argv) {
  Job j;
  int u = parse_job(argc, argv, &j, 0);
  if (u) return u;
  VnCtx ctx = {0};
  VnModelDir md;
  VnGraph *g = NULL;
  if (make_graph(&ctx, &j, &md, &g) != VN_OK) { vn_hf_close(&md); return fail(&ctx); }
  printf("model:       %s\n", j.model);
  printf("class:       %s (model_type %s)\n", md.arch_class ? md.arch_class : "?", md.model_type ? md.model_type : "?");
  printf("spec:        %s (%s)\n", g->info.arch, g->info.spec_file);
  printf("checkpoint:  %s, %d tensors\n", md.src.path, md.src.ntensors);
  printf("vocab:       %lld, trained context %lld\n", (long long)g->info.vocab, (long long)g->info.max_pos);
  printf("eos:        ");
  for (int k = 0; k < g->info.neos; k++) printf(" %d", g->info.eos[k]);
  printf("%s\n", g->info.neos ? "" : " none");
  printf("tokenizer:   %s\n", md.tokenizer_json ? md.tokenizer_json : md.gguf ? "from the GGUF metadata (tokenizer.ggml.*)" : "none (the binary takes --ids)");
  {
    char *tt = vn_chat_template(&md);
    Specs cs;
    load_specs(&cs);
    VnChatFormats cf;
    if (vn_spec_chat(&ctx, cs.libs, cs.nlibs, tt, &cf) == VN_OK)
      printf("chat:        %s\n", !tt ? "no chat template" : cf.chosen >= 0 ? cf.f[cf.chosen].name : "template not recognized (--chat needs --chat-format)");
    free(cs.specs);
    free(cs.libs);
    free(tt);
  }
  if (md.gguf) print_gguf(md.gguf);
  int count[VN_OP_COUNT] = {0};
  int64_t wb[VN_DTYPE_COUNT] = {0};
  int layers = 0;
  for (uint32_t i = 0; i < g->n; i++) {
    count[g->nodes[i].op]++;
    if (g->nodes[i].layer + 1 > layers) layers = g->nodes[i].layer + 1;
    if (g->nodes[i].op == VN_OP_WEIGHT) {
      int64_t rows = 1;
      for (int k = 0; k < g->nodes[i].nd - 1; k++) rows *= g->nodes[i].dim[k];
      wb[g->nodes[i].dtype] += (int64_t)vn_dtype_row_bytes(g->nodes[i].dtype, g->nodes[i].dim[g->nodes[i].nd - 1]) * rows;
    }
  }
  printf("graph:       %u nodes, %d layers; ops:", g->n, layers);
  for (int o = 0; o < VN_OP_COUNT; o++) if (count[o]) printf(" %s %d", vn_ops[o].name, count[o]);
  printf("\nfusions:    ");
  for (int f = 0; f < VN_FUSE_COUNT; f++) printf(" %s %d", vn_fuse_names[f], g->nfused[f]);
  printf("\nweights:     %lld bytes (", (long long)g->weight_bytes);
  int first = 1;
  for (int d = 0; d < VN_DTYPE_COUNT; d++)
    if (wb[d]) { printf("%s%s %lld", first ? "" : ", ", vn_dtype_name((VnDType)d), (long long)wb[d]); first = 0; }
  printf(")\n");
  /* where the packed type differs from the stored one, say so */
  {
    int conv[VN_DTYPE_COUNT][VN_DTYPE_COUNT];
    memset(conv, 0, sizeof conv);
    for (uint32_t i = 0; i < g->n; i++) {
      const VnNode *n = &g->nodes[i];
      if (n->op != VN_OP_WEIGHT) continue;
      const VnWx *w = n->wx;
      while (w && w->kind != VN_WX_TENSOR) w = w->nargs ? w->args[0] : NULL;
      if (w && w->dtype >= 0 && w->dtype < VN_DTYPE_COUNT && w->dtype != (int)n->dtype) conv[w->dtype][n->dtype]++;
    }
    for (int a = 0; a < VN_DTYPE_COUNT; a++)
      for (int b = 0; b < VN_DTYPE_COUNT; b++)
        if (conv[a][b])
          printf("converted:   %d weights stored as %s are packed as %s%s\n", conv[a][b], vn_dtype_name((VnDType)a),
                 vn_dtype_name((VnDType)b), a >= VN_KERNEL_DTYPES ? " (the nearest format the kernels run)" : "");
  }
  printf("arena:       %lld bytes (activations of a %lld-token step)\n", (long long)g->arena_bytes, (long long)g->t_max);
  printf("state:       %lld bytes per context position (%lld bytes at --ctx 4096)\n", (long long)g->state_row_bytes,
         (long long)g->state_row_bytes * 4096);
  vn_hf_close(&md);
  return done(&ctx, 0);
}

int main(int argc, char **argv) {
  if (argc < 2) { usage(stderr); return 2; }
  const char *c = argv[1];
  if (!strcmp(c, "--help") || !strcmp(c, "-h") || !strcmp(c, "help")) { usage(stdout); return 0; }
  if (!strcmp(c, "--version")) { printf("venusc %s\n", VENUS_VERSION); return 0; }
  if (!strcmp(c, "compile")) return cmd_compile(argc - 1, argv + 1);
  if (!strcmp(c, "inspect")) return cmd_inspect(argc - 1, argv + 1);
  if (!strcmp(c, "specs")) return cmd_specs();
  if (!strcmp(c, "targets")) return cmd_targets(argc - 1, argv + 1);
  if (!strcmp(c, "tokenize")) return vn_cmd_tokenize(argc - 1, argv + 1);
  if (!strcmp(c, "detokenize")) return vn_cmd_detokenize(argc - 1, argv + 1);
  return usage_error("unknown command '%s'", c);
}
