/* venusc.c: the compiler driver. Parses the command line, runs the stages
 * (frontend, spec, passes, pack, emit, cc) as one visible sequence, and is
 * the only place a status becomes an exit code and a `venusc: msg` line.
 * Exit codes: 0 ok, 1 bad input or failure, 2 bad usage. A failed compile
 * leaves no output file behind. */
#include "codegen.h"
#include "tok.h"
#include "ops.h"
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <unistd.h>
#include "runtime.h"
#include "image.h"

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

/* Per stored type, the matrices packed as stored (kept) and those packed
 * as another type (converted): inspect prints them, compile -v says them,
 * and compile warns once per type whose blocks are converted unasked. */
typedef struct { int kept[VN_DTYPE_COUNT], conv[VN_DTYPE_COUNT][VN_DTYPE_COUNT]; } TypeUse;

static void type_use(const VnGraph *g, TypeUse *u) {
  memset(u, 0, sizeof *u);
  for (uint32_t i = 0; i < g->n; i++) {
    const VnNode *n = &g->nodes[i];
    if (n->op != VN_OP_WEIGHT || n->nd < 2) continue;
    const VnWx *w = n->wx;
    while (w && w->kind != VN_WX_TENSOR) w = w->nargs ? w->args[0] : NULL;
    if (!w || w->dtype < 0 || w->dtype >= VN_DTYPE_COUNT) continue;
    if (w->dtype == (int)n->dtype) u->kept[w->dtype]++;
    else u->conv[w->dtype][n->dtype]++;
  }
}

static const char *conv_why(const VnGraph *g, int a, int b) {
  if (g->wdtype >= 0 && b == g->wdtype) return " (--dtype)";
  if (g->wdtype == VN_Q4_0 && b == VN_Q8_0) return " (--dtype q4_0: the token embedding and output head stay at q8_0)";
  if (g->wdtype >= 0 && vn_dtype_block((VnDType)b) == 1) return " (--dtype: rows are not whole blocks)";
  if (vn_dtype_block((VnDType)a) > 1 && vn_dtype_block((VnDType)b) == 1) return " (rows are not whole blocks)";
  if (vn_dtype_kept((VnDType)a) || a < VN_KERNEL_DTYPES) return " (not whole stored rows: fused with another type, or reordered within rows)";
  return " (the nearest format the kernels run)";
}

/* inspect (f: stdout) or compile -v (progress); warn: one line per block type converted */
static void type_report(const VnGraph *g, FILE *f, int warn) {
  TypeUse u;
  type_use(g, &u);
  char line[512];
  size_t l = 0;
  line[0] = 0;
  for (int a = 0; a < VN_DTYPE_COUNT; a++)
    if (u.kept[a]) l += (size_t)snprintf(line + l, sizeof line - l, "%s%s %d", l ? ", " : "", vn_dtype_name((VnDType)a), u.kept[a]);
  if (l && f) fprintf(f, "kept:        %s (matrices packed as stored)\n", line);
  else if (l) progress("kept as stored: %s (matrices)", line);
  for (int a = 0; a < VN_DTYPE_COUNT; a++)
    for (int b = 0; b < VN_DTYPE_COUNT; b++) {
      if (!u.conv[a][b]) continue;
      if (f) fprintf(f, "converted:   %d weights stored as %s are packed as %s%s\n", u.conv[a][b], vn_dtype_name((VnDType)a),
                     vn_dtype_name((VnDType)b), conv_why(g, a, b));
      else progress("converted: %d matrices stored as %s are packed as %s%s", u.conv[a][b], vn_dtype_name((VnDType)a),
                    vn_dtype_name((VnDType)b), conv_why(g, a, b));
      if (warn && g->wdtype < 0 && vn_dtype_block((VnDType)a) > 1)
        fprintf(stderr, "venusc: warning: %d matrices stored as %s are converted to %s%s\n", u.conv[a][b],
                vn_dtype_name((VnDType)a), vn_dtype_name((VnDType)b), conv_why(g, a, b));
    }
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

/* One usage text per command: `venusc --help` prints them all,
 * `venusc COMMAND --help` its own. */
static const struct { const char *name, *text; } cmd_usage[] = {
  {"compile",
   "  compile MODEL -o OUT [options]   MODEL is a Hugging Face model directory or a GGUF\n"
   "                                   file; writes the binary OUT and its weight file OUT.vnw\n"
   "      --target NAME       target to compile for (default native; see venusc targets);\n"
   "                          host targets build with $CC when it is set (default cc)\n"
   "      --cc CC             build with this C compiler (any target; before $CC)\n"
   "      --dtype D           weight type of matrices: f32 f16 bf16 q8_0 q4_0\n"
   "                          (default: as the model file stores them, every GGUF\n"
   "                          block format included; -v lists what is kept);\n"
   "                          q4_0 keeps the token embedding and output head at q8_0\n"
   "      --kv-dtype D        the attention KV cache's type: f32 (default) or f16 (half the\n"
   "                          memory and the bytes attention reads per step; keys and values\n"
   "                          rounded to f16 as they are written)\n"
   "      --spec FILE.lua     use this architecture spec instead of the built-in choice\n"
   "      --emit-c DIR        keep the generated C source tree (with a Makefile) in DIR\n"
   "      --batch N           most tokens per forward step (prefill chunk; default 512,\n"
   "                          16 on bare-metal targets)\n"
   "      --ctx N             bare-metal targets: the context the static state holds\n"
   "                          (default: the trained context, at most 256)\n"
   "      --blas              use OpenBLAS for float32 prefill products\n"
   "      --lib               host targets: -o names a directory (created) that gets the model\n"
   "                          as a C library: libNAME.a, libNAME.so, NAME.h, NAME.pc, NAME.vnw\n"
   "      --name NAME         the library's name and symbol prefix (default: MODEL's file or\n"
   "                          directory name, lowercased, other than [a-z0-9_] as _)\n"
   "      --server            host targets: the binary serves the OpenAI API (OUT --serve HOST:PORT;\n"
   "                          links libmicrohttpd and jansson)\n"
   "      --line-editing      host targets: the binary's chat on a terminal edits lines and keeps\n"
   "                          the session's history (arrow keys; links libedit)\n"
   "      -d PASS             dump the graph after PASS (%s) to stdout\n"
   "      --dot FILE          write the final graph as Graphviz\n"
   "      --no-fuse           skip the fusion pass\n"
   "      --no-tokenizer      leave the model's tokenizer out (e.g. one venus cannot compile):\n"
   "                          the binary takes token ids (--ids) only\n"
   "      -v, --verbose       report progress (and the compiler's messages when it fails)\n"
   "                          On a terminal a bar follows the packing of the weights\n"
   "                          (without -v too when they are over 64 MiB).\n"
   "                          The work tree goes under $TMPDIR (default /tmp); a failed or\n"
   "                          interrupted compile leaves no file behind.\n"},
  {"inspect",
   "  inspect MODEL [--dtype D] [--spec FILE] [--json]\n"
   "                          architecture, spec, ops, fusions, arena and weight bytes of a\n"
   "                          Hugging Face model directory or a GGUF file (GGUF: its metadata\n"
   "                          and tensor types too); --json: one object (docs/json.md)\n"},
  {"specs", "  specs [--json]          the architectures venus knows and the HF classes each handles\n"
            "                          (--json: one object per spec, docs/json.md)\n"},
  {"targets", "  targets [--tsv]         the targets, their toolchains and whether they are installed\n"
              "                          (--tsv: one tab-separated line per target, for scripts)\n"},
  {"tokenize", "  tokenize MODEL|tokenizer.json|FILE.gguf [--special] [--file F] -- TEXT\n"
               "                          print the token ids of TEXT (--special: parse special tokens)\n"},
  {"detokenize", "  detokenize MODEL|tokenizer.json|FILE.gguf -- 1,2,3\n"
                 "                          print the text of the token ids\n"},
  {"chat-template", "  chat-template MODEL|tokenizer_config.json|FILE.gguf --messages FILE.json\n"
                    "                [--add-generation-prompt] [--enable-thinking|--no-thinking] [--template FILE]\n"
                    "                          print the text the model's chat template renders for the\n"
                    "                          conversation (as the binary's --chat and the server build it)\n"},
  {"verify", "  verify OUT              check every byte of OUT's weight file (OUT.vnw, or a .vnw\n"
             "                          named directly) against its checksums; exit 1 if damaged\n"},
};
#define N_CMDS ((int)(sizeof cmd_usage / sizeof *cmd_usage))

static void usage(FILE *f) {
  fprintf(f,
          "venusc %s: an ahead-of-time compiler from language models to one binary per model.\n"
          "MODEL is a Hugging Face model directory (config.json + safetensors) or a GGUF file.\n"
          "\n"
          "usage: venusc COMMAND [options]     (venusc COMMAND --help: that command alone)\n"
          "\n",
          VENUS_VERSION);
  for (int i = 0; i < N_CMDS; i++) fprintf(f, cmd_usage[i].text, vn_pass_names());
  fprintf(f, "  --version, --help\n"
             "\n"
             "The model binary takes -p TEXT, --ids, --logits, --perplexity, ... (OUT --help).\n");
}

/* `venusc COMMAND ... --help|-h` (before a `--`): that command's usage */
static int command_help(int argc, char **argv) {
  int i = 2;
  while (i < argc && strcmp(argv[i], "--") && strcmp(argv[i], "--help") && strcmp(argv[i], "-h")) i++;
  if (i >= argc || !strcmp(argv[i], "--")) return 0;
  for (int k = 0; k < N_CMDS; k++)
    if (!strcmp(cmd_usage[k].name, argv[1])) {
      printf("usage: venusc %s ...\n", argv[1]);
      printf(cmd_usage[k].text, vn_pass_names());
      return 1;
    }
  return 0;
}

/* ---- specs ---- */
static int starts(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }
static int ends(const char *s, const char *p) {
  size_t a = strlen(s), b = strlen(p);
  return a >= b && !strcmp(s + a - b, p);
}

static int cmp_src(const void *a, const void *b) {
  return strcmp(((const VnSpecSrc *)a)->file, ((const VnSpecSrc *)b)->file);
}

/* The embedded archspecs: archspecs/lib/ files, then (with_specs) every
 * spec's header, all in one Lua state: the compile's. */
static VnStatus load_specs(VnCtx *ctx, int with_specs, VnSpecs **out) {
  int n = 0;
  for (const VnEmbedded *e = vn_embedded; e->name; e++) n++;
  VnSpecSrc *specs = calloc((size_t)n + 1, sizeof *specs), *libs = calloc((size_t)n + 1, sizeof *libs);
  int nspecs = 0, nlibs = 0;
  *out = NULL;
  if (!specs || !libs) { free(specs); free(libs); return vn_errorf(ctx, VN_ERR_NOMEM, VN_NOLOC, "out of memory"); }
  for (const VnEmbedded *e = vn_embedded; e->name; e++) {
    if (!starts(e->name, "archspecs/") || !ends(e->name, ".lua")) continue;
    VnSpecSrc src = {e->name, e->data, e->len};
    if (starts(e->name, "archspecs/lib/")) libs[nlibs++] = src;
    else specs[nspecs++] = src;
  }
  qsort(libs, (size_t)nlibs, sizeof *libs, cmp_src);
  qsort(specs, (size_t)nspecs, sizeof *specs, cmp_src);
  VnStatus rc = vn_spec_open(ctx, libs, nlibs, out);
  for (int i = 0; rc == VN_OK && with_specs && i < nspecs; i++) {
    int idx;
    rc = vn_spec_add(*out, &specs[i], &idx);
  }
  free(specs);
  free(libs);
  return rc;
}

/* a JSON array of n strings */
static json_t *str_array(const char **s, int n) {
  json_t *a = json_array();
  for (int k = 0; k < n; k++) json_array_append_new(a, json_string(s[k]));
  return a;
}

/* print j (taken) as indented JSON and a newline */
static int print_json(json_t *j) {
  int rc = j && json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 ? 0 : 1;
  json_decref(j);
  printf("\n");
  if (rc) fprintf(stderr, "venusc: cannot write the JSON\n");
  return rc;
}

/* specs --json: [{"name", "file", "hf", "model_type", "about", "options", "gguf"}] (docs/json.md) */
static json_t *specs_json(VnSpecs *sp) {
  json_t *a = json_array();
  for (int i = 0; i < vn_spec_count(sp); i++) {
    const VnSpecInfo *in = vn_spec_info(sp, i);
    json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:o, s:s?, s:s?, s:o}", "name", in->name, "file", in->file, "hf",
                                       str_array(in->hf, in->nhf), "model_type", str_array(in->types, in->ntypes), "about",
                                       in->about, "options", in->options, "gguf", str_array(in->gguf, in->ngguf)));
  }
  return a;
}

static int cmd_specs(int argc, char **argv) {
  int js = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--json")) js = 1;
    else return usage_error("specs: unknown option '%s'", argv[i]);
  }
  VnCtx ctx = {0};
  VnSpecs *sp;
  if (load_specs(&ctx, 1, &sp) != VN_OK) { vn_spec_close(sp); return fail(&ctx); }
  if (js) {
    int rc = print_json(specs_json(sp));
    vn_spec_close(sp);
    vn_arena_free(&ctx.arena);
    return rc;
  }
  printf("%-12s %-40s %s\n", "spec", "Hugging Face classes (model_type)", "file");
  for (int i = 0; i < vn_spec_count(sp); i++) {
    const VnSpecInfo *in = vn_spec_info(sp, i);
    char cls[512] = "";
    for (int k = 0; k < in->nhf; k++) { strcat(cls, k ? ", " : ""); strncat(cls, in->hf[k], 100); }
    strcat(cls, " (");
    for (int k = 0; k < in->ntypes; k++) { strcat(cls, k ? ", " : ""); strncat(cls, in->types[k], 60); }
    strcat(cls, ")");
    printf("%-12s %-40s %s\n", in->name, cls, in->file);
    if (in->about) printf("%-12s   %s\n", "", in->about);
    if (in->options) printf("%-12s   options: %s\n", "", in->options);
    if (in->ngguf) {
      printf("%-12s   reads GGUF architecture%s: ", "", in->ngguf > 1 ? "s" : "");
      for (int k = 0; k < in->ngguf; k++) printf("%s%s", k ? ", " : "", in->gguf[k]);
      printf("\n");
    }
  }
  vn_spec_close(sp);
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

/* Pick the spec for a model directory from the declared headers (or add
 * --spec FILE to the state); *idx: its index in sp. */
static VnStatus choose_spec(VnCtx *ctx, VnSpecs *sp, const VnModelDir *md, const char *spec_file, int *idx) {
  if (spec_file) {
    size_t len;
    char *text = vn_read_file(spec_file, &len);
    if (!text) return vn_errorf(ctx, VN_ERR_IO, (VnLoc){spec_file, 0}, "cannot read the spec");
    VnSpecSrc src = {vn_arena_strdup(&ctx->arena, spec_file), vn_arena_strdup(&ctx->arena, text), len};
    free(text);
    return vn_spec_add(sp, &src, idx);
  }
  *idx = vn_spec_find(sp, md->arch_class, md->model_type);
  if (*idx >= 0) return VN_OK;
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
static VnStatus open_gguf(VnCtx *ctx, const char *path, VnModelDir *md, VnSpecs *sp) {
  memset(md, 0, sizeof *md);
  md->gguf = calloc(1, sizeof *md->gguf);
  VN_TRY(vn_gguf_open(ctx, path, md->gguf));
  md->dir = path;
  md->config_file = path;
  md->src = md->gguf->src;
  VN_TRY(vn_spec_gguf(sp, md->gguf->meta, path, &md->src, &md->config_json, &md->gguf_tok));
  VN_TRY(vn_gguf_pooling(ctx, md));
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
  const char *model, *out, *target, *dtype, *spec, *emit, *dump, *dot, *cc, *kv_dtype;
  int batch, blas, server, edit, no_fuse, json;
  int batch_set, ctx;         /* --batch given; --ctx (bare metal) */
  int lib;                    /* --lib: out is the library's directory */
  int no_tok;                 /* --no-tokenizer: the binary takes token ids only */
  const char *name;           /* --name */
} Job;

/* frontend + spec + passes: the graph of a model, and the chat formats
 * (the one its chat template matches chosen); one Lua state for it all */
static VnStatus make_graph(VnCtx *ctx, const Job *j, VnModelDir *md, VnGraph **gp, VnChatFormats *cf) {
  struct stat st;
  memset(md, 0, sizeof *md);
  if (stat(j->model, &st)) return vn_errorf(ctx, VN_ERR_IO, (VnLoc){j->model, 0}, "no such file or directory");
  VnSpecs *sp;
  VnStatus rc = load_specs(ctx, !j->spec, &sp);
  if (rc == VN_OK && S_ISREG(st.st_mode) && (ends(j->model, ".gguf") || is_gguf(j->model)))
    rc = open_gguf(ctx, j->model, md, sp);
  else if (rc == VN_OK)
    rc = vn_hf_open(ctx, j->model, md);
  if (rc == VN_OK) progress("%s: %d tensors", md->src.path, md->src.ntensors);
  int idx = -1;
  if (rc == VN_OK) rc = choose_spec(ctx, sp, md, j->spec, &idx);
  VnGraph *g = NULL;
  if (rc == VN_OK) {
    g = vn_graph_new(ctx);
    progress("spec %s", vn_spec_info(sp, idx)->file);
    rc = vn_spec_build(sp, idx, md->config_json, md->config_file, &md->src, g);
  }
  if (rc == VN_OK) {
    char *tmpl_text = vn_chat_template(md);
    rc = vn_spec_chat(sp, tmpl_text, cf);
    free(tmpl_text);
  }
  vn_spec_close(sp);
  progress("Lua states opened: %d", vn_spec_states());
  if (rc != VN_OK) return rc;
  /* end-of-generation ids: the config's and generation_config.json's */
  for (int k = 0; k < md->ngen_eos; k++) {
    int seen = 0;
    for (int e = 0; e < g->info.neos; e++) if (g->info.eos[e] == md->gen_eos[k]) seen = 1;
    if (!seen && g->info.neos < 8) g->info.eos[g->info.neos++] = md->gen_eos[k];
  }
  g->info.gen = md->gen;
  g->info.pool = md->pool;
  g->t_max = j->batch;
  if (g->info.enc_rows && j->lib)  /* the library's API steps a decoder only */
    return vn_errorf(ctx, VN_ERR_USAGE, VN_NOLOC, "--lib: %s is an encoder-decoder model; the library API does not run encoders yet",
                     g->info.arch);
  if (j->dtype) {
    VnDType dt;
    if (!vn_dtype_parse(j->dtype, &dt) || dt >= VN_KERNEL_DTYPES)
      return vn_errorf(ctx, VN_ERR_USAGE, VN_NOLOC, "--dtype %s: not one of f32 f16 bf16 q8_0 q4_0", j->dtype);
    g->wdtype = dt;
  }
  g->kv_dtype = j->kv_dtype && !strcmp(j->kv_dtype, "f16") ? VN_F16 : VN_F32;
  g->blas = j->blas;
  for (uint32_t i = 0; i < g->n; i++) {
    const VnNode *n = &g->nodes[i];
    if (n->op == VN_OP_ATTENTION && (n->p.head_dim > VN_MAX_HEAD_DIM_C || n->p.v_head_dim > VN_MAX_HEAD_DIM_C))
      return vn_errorf(ctx, VN_ERR_SPEC, n->loc, "attention: head_dim %d is wider than %d", n->p.head_dim, VN_MAX_HEAD_DIM_C);
  }
  VnPipeOpts po = {j->dump, stdout, j->no_fuse};
  VN_TRY(vn_pipeline(ctx, g, &po));
  if (g->vision) {  /* the vision tower: its weights follow the language model's */
    VnGraph *vg = g->vision;
    vg->weight_base = g->weight_bytes;
    vg->wdtype = g->wdtype;
    vg->blas = g->blas;
    for (uint32_t i = 0; i < vg->n; i++) {
      const VnNode *n = &vg->nodes[i];
      if (n->op == VN_OP_ATTENTION && n->p.head_dim > VN_MAX_HEAD_DIM_C)
        return vn_errorf(ctx, VN_ERR_SPEC, n->loc, "attention: head_dim %d is wider than %d", n->p.head_dim, VN_MAX_HEAD_DIM_C);
    }
    VnPipeOpts vpo = {j->dump, stdout, j->no_fuse};
    if (j->dump) printf("# the vision graph\n");
    VN_TRY(vn_pipeline(ctx, vg, &vpo));
    g->weight_bytes = vg->weight_bytes;
  }
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
    else if (!strcmp(a, "--kv-dtype")) {
      VAL(j->kv_dtype);
      if (strcmp(j->kv_dtype, "f32") && strcmp(j->kv_dtype, "f16"))
        return usage_error("--kv-dtype %s: not one of f32 f16", j->kv_dtype);
    }
    else if (!strcmp(a, "--spec")) VAL(j->spec);
    else if (!strcmp(a, "--emit-c")) VAL(j->emit);
    else if (!strcmp(a, "-d")) VAL(j->dump);
    else if (!strcmp(a, "--dot")) VAL(j->dot);
    else if (!strcmp(a, "--cc")) { VAL(j->cc); if (!*j->cc) return usage_error("--cc: the compiler's name is empty"); }
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
    else if (!strcmp(a, "--server")) j->server = 1;
    else if (!strcmp(a, "--line-editing")) j->edit = 1;
    else if (!strcmp(a, "--lib")) j->lib = 1;
    else if (!strcmp(a, "--name")) VAL(j->name);
    else if (!strcmp(a, "--no-fuse")) j->no_fuse = 1;
    else if (!strcmp(a, "--no-tokenizer")) j->no_tok = 1;
    else if (!strcmp(a, "--json") && !need_out) j->json = 1;  /* inspect only */
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

/* ---- compile: one function per stage, cmd_compile calls them in order ---- */
typedef struct Compile {
  Job j;
  VnCtx ctx;
  const VnTarget *t;
  VnTarget host;              /* a host target with the environment's CC */
  int bare;
  VnModelDir md;
  VnGraph *g;
  unsigned char *blob;        /* the compiled tokenizer, or NULL */
  size_t blen;
  int tok_done;               /* the tokenizer stage ran */
  const char *dir;            /* the work tree: --emit-c DIR, or $TMPDIR/venusc.PID.XXXXXX */
  int tree_done;              /* the tree is complete (an --emit-c tree is kept from then on) */
  char *wtmp, *btmp, *wfinal; /* OUT.vnw.tmpPID, OUT.tmpPID, OUT.vnw */
  uint64_t id;                /* the weights id: the binary refuses a weight file of another run */
  VnBuf src;                  /* model.c */
  VnChatFormats cf;           /* chat formats, chosen by the spec state (make_graph) */
  /* --lib: the directory, the name, and each output's temporary and final path */
  const char *libdir, *libname;
  char *ltmp[4], *lfinal[4];  /* libNAME.a, libNAME.so, NAME.h, NAME.pc */
  VnImageProc img;            /* preprocessor_config.json's image processor (--image) */
  int has_img;
} Compile;

/* A caught signal removes what this run made (made.c), then ends venusc by
 * the same signal. A signal ignored at start (nohup) stays ignored. */
static void on_signal(int sig) {
  vn_made_remove();
  raise(sig);
}

static void catch_signals(void) {
#ifdef __linux__
  prctl(PR_SET_CHILD_SUBREAPER, 1);  /* the compiler's orphans come to us, to be reaped at once */
#endif
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
    struct sigaction old, sa;
    if (sigaction(sigs[i], NULL, &old) || old.sa_handler == SIG_IGN) continue;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(sigs[i], &sa, NULL);
  }
}

/* the directory part of path ("." for a bare name) */
static char *dir_of(VnArena *a, const char *path) {
  const char *s = strrchr(path, '/');
  if (!s) return vn_arena_strdup(a, ".");
  return vn_arena_printf(a, "%.*s", (int)(s == path ? 1 : s - path), path);
}

/* --lib's NAME: MODEL's last path component (a .gguf file without its
 * extension), lowercased, every byte other than [a-z0-9_] as '_' (runs of
 * them as one, none at the ends), "m_" before a leading digit */
static char *lib_name(VnArena *a, const char *model) {
  size_t l = strlen(model);
  while (l > 1 && model[l - 1] == '/') l--;
  size_t b = l;
  while (b > 0 && model[b - 1] != '/') b--;
  if (l - b > 5 && !strncmp(model + l - 5, ".gguf", 5)) l -= 5;
  char *s = vn_arena_printf(a, "m_%.*s", (int)(l - b), model + b);
  size_t k = 2;
  for (const char *p = s + 2; *p; p++) {
    char ch = *p >= 'A' && *p <= 'Z' ? (char)(*p + 32) : *p;
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) ch = '_';
    if (ch == '_' && (k == 2 || s[k - 1] == '_')) continue;
    s[k++] = ch;
  }
  while (k > 2 && s[k - 1] == '_') k--;
  s[k] = 0;
  if (k == 2) return vn_arena_strdup(a, "model");
  if (k > 66) s[k = 66] = 0;
  return s[2] >= '0' && s[2] <= '9' ? s : s + 2;
}

static int c_ident(const char *s) {
  if (!*s || (*s >= '0' && *s <= '9')) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
  return 1;
}

/* --lib: a host target, -o DIR (not a file), the name; out becomes DIR/NAME
 * so that the weights go to DIR/NAME.vnw */
static int check_lib(Compile *c) {
  Job *j = &c->j;
  const VnTarget *t = c->t;
  if (t->kind != VN_TK_LINUX || *t->runner)
    return usage_error("--lib: libraries are built for host targets only (%s is a cross target; --emit-c DIR writes its "
                       "source tree)", t->name);
  if (j->server) return usage_error("--lib and --server: the server is a binary's (compile twice)");
  if (j->edit) return usage_error("--lib and --line-editing: line editing is the chat's, a binary's");
  if (j->emit) return usage_error("--lib and --emit-c: give one (--emit-c keeps the source tree of a binary)");
  if (!j->out) return usage_error("compile --lib: -o DIR is required");
  if (j->name && (!c_ident(j->name) || strlen(j->name) > 64))
    return usage_error("--name %s: want a C identifier ([A-Za-z_][A-Za-z0-9_]*, at most 64 bytes)", j->name);
  struct stat st;
  if (!*j->out || (!stat(j->out, &st) && !S_ISDIR(st.st_mode)))
    return usage_error("-o %s: exists and is not a directory; with --lib, -o names the directory to write", j->out);
  char *d = dir_of(&c->ctx.arena, j->out);
  if (stat(d, &st) || !S_ISDIR(st.st_mode)) {
    fprintf(stderr, "venusc: -o %s: no such directory '%s'\n", j->out, d);
    return 1;
  }
  c->libname = j->name ? j->name : lib_name(&c->ctx.arena, j->model);
  c->libdir = j->out;
  j->out = vn_arena_printf(&c->ctx.arena, "%s/%s", c->libdir, c->libname);
  return 0;
}

/* Everything that can be refused before any work: flags, the target, -o. */
static int check_job(Compile *c) {
  Job *j = &c->j;
  const VnTarget *t = vn_target_find(j->target ? j->target : "native");
  if (!t) return usage_error("--target %s: unknown target (venusc targets lists them)", j->target);
  if (j->blas && t->kind != VN_TK_LINUX)
    return usage_error("--blas: target %s has no OpenBLAS", t->name);
  if (j->server && (t->kind != VN_TK_LINUX || *t->runner))
    return usage_error("--server: the HTTP server is built for host targets only (%s is not one)", t->name);
  if (j->edit && (t->kind != VN_TK_LINUX || *t->runner))
    return usage_error("--line-editing: libedit is linked for host targets only (%s is not one)", t->name);
  if (j->blas && *t->runner)  /* cross targets link statically; Debian has no cross OpenBLAS for them */
    return usage_error("--blas: OpenBLAS is linked for host targets only (%s is a cross target)", t->name);
  c->bare = t->kind == VN_TK_BAREMETAL;
  if (j->ctx && !c->bare)
    return usage_error("--ctx: only bare-metal targets fix the context at compile time (other binaries take --ctx when run)");
  if (c->bare && !j->batch_set) j->batch = 16;
  /* --cc names the compiler for any target; the environment's CC is
   * taken for host targets (a cross target keeps its cross compiler) */
  const char *cc = j->cc ? j->cc : getenv("CC");
  if (cc && *cc && (j->cc || (t->kind == VN_TK_LINUX && !*t->runner))) {
    c->host = *t;
    c->host.cc = cc;
    t = &c->host;
  }
  c->t = t;
  if (j->lib) return check_lib(c);
  if (j->name) return usage_error("--name goes with --lib");
  if (!j->out) return 0;
  struct stat st;
  if (!*j->out || (!stat(j->out, &st) && S_ISDIR(st.st_mode)))
    return usage_error("-o %s: is a directory; -o names the binary to write (its weights go beside it as OUT.vnw)", j->out);
  /* the outputs replace regular files only: never a device, pipe or socket */
  if (!stat(j->out, &st) && !S_ISREG(st.st_mode))
    return usage_error("-o %s: exists and is not a regular file; -o names the binary to write", j->out);
  char *w = vn_arena_printf(&c->ctx.arena, "%s.vnw", j->out);
  if (!stat(w, &st) && S_ISDIR(st.st_mode))
    return usage_error("-o %s: %s is a directory, and the weight file would take that name", j->out, w);
  if (!stat(w, &st) && !S_ISREG(st.st_mode))
    return usage_error("-o %s: %s exists and is not a regular file, and the weight file would take that name", j->out, w);
  char *d = dir_of(&c->ctx.arena, j->out);
  if (stat(d, &st) || !S_ISDIR(st.st_mode)) {
    fprintf(stderr, "venusc: -o %s: no such directory '%s'\n", j->out, d);
    return 1;
  }
  if (access(d, W_OK | X_OK)) {
    fprintf(stderr, "venusc: -o %s: cannot write into the directory '%s': %s\n", j->out, d, strerror(errno));
    return 1;
  }
  return 0;
}

/* the tokenizer: tokenizer.json or the GGUF metadata, compiled to the runtime's table */
static VnStatus stage_tokenizer(Compile *c) {
  const VnModelDir md = c->md;
  unsigned char *blob = NULL;
  size_t blen = 0;
  if (!c->j.no_tok && (md.tokenizer_json || (md.gguf && md.gguf_tok))) {
    progress("tokenizer %s", md.tokenizer_json ? md.tokenizer_json : md.gguf->path);
    VnStatus ts = md.gguf ? vn_gguf_tokenizer(&c->ctx, md.gguf, md.gguf_tok, &blob, &blen)
                          : vn_tokc_compile_json(&c->ctx, md.tokenizer_json, md.tokenizer_config, &blob, &blen);
    if (ts != VN_OK) return ts;
  }
  c->blob = blob;
  c->blen = blen;
  c->tok_done = 1;
  return VN_OK;
}

/* mkdir -p, recording each directory it creates */
static int mkdir_p(const char *dir) {
  char buf[4096];
  if (!*dir) { errno = ENOENT; return -1; }
  if ((size_t)snprintf(buf, sizeof buf, "%s", dir) >= sizeof buf) { errno = ENAMETOOLONG; return -1; }
  for (char *p = buf + 1;; p++) {
    if (*p && *p != '/') continue;
    char ch = *p;
    *p = 0;
    if (!mkdir(buf, 0777)) vn_made_add(buf, VN_MADE_DIR);
    else if (errno != EEXIST) return -1;
    if (!(*p = ch)) break;
  }
  struct stat st;
  if (stat(dir, &st)) return -1;
  if (!S_ISDIR(st.st_mode)) { errno = ENOTDIR; return -1; }
  return 0;
}

/* the work tree: --emit-c DIR, or a temporary directory under $TMPDIR whose
 * name carries the pid (vn_made_sweep finds it if this run is killed) */
static VnStatus stage_tree(Compile *c) {
  if (c->libdir) {
    struct stat st;
    int existed = !stat(c->libdir, &st);
    if (!existed && mkdir(c->libdir, 0777))
      return vn_errorf(&c->ctx, VN_ERR_IO, VN_NOLOC, "-o %s: cannot create the directory: %s", c->libdir, strerror(errno));
    if (!existed) vn_made_add(c->libdir, VN_MADE_DIR);
    if (access(c->libdir, W_OK | X_OK))
      return vn_errorf(&c->ctx, VN_ERR_IO, VN_NOLOC, "-o %s: cannot write into the directory: %s", c->libdir, strerror(errno));
  }
  if (c->j.emit) {
    if (mkdir_p(c->j.emit))
      return vn_errorf(&c->ctx, VN_ERR_IO, VN_NOLOC, "--emit-c '%s': cannot create the directory: %s", c->j.emit, strerror(errno));
    c->dir = c->j.emit;
    return VN_OK;
  }
  const char *td = vn_made_tmpdir();
  char *tmpl = vn_arena_printf(&c->ctx.arena, "%s/venusc.%d.XXXXXX", td, (int)getpid());
  if (!mkdtemp(tmpl))
    return vn_errorf(&c->ctx, VN_ERR_IO, VN_NOLOC, "cannot create a temporary directory in %s (TMPDIR): %s", td, strerror(errno));
  vn_made_add(tmpl, VN_MADE_DIR);
  c->dir = tmpl;
  return VN_OK;
}

/* Refuse up front when the weights cannot fit on the disk of path. */
static VnStatus check_space(Compile *c, const char *path, int64_t need) {
  struct statvfs fs;
  char *d = dir_of(&c->ctx.scratch, path);
  if (statvfs(d, &fs)) return VN_OK;
  unsigned long long free_b = (unsigned long long)(geteuid() ? fs.f_bavail : fs.f_bfree) * fs.f_frsize;
  if (need > 0 && (unsigned long long)need > free_b)
    return vn_errorf(&c->ctx, VN_ERR_IO, (VnLoc){path, 0}, "No space left on device: the weights take %lld bytes, %s has %llu free",
                     (long long)need, d, free_b);
  return VN_OK;
}

/* the weights: beside the binary under a temporary name (OUT.vnw.tmpPID),
 * into the tree for --emit-c alone, or linked in (bare metal) */
static VnStatus stage_pack(Compile *c) {
  VnCtx *ctx = &c->ctx;
  const VnGraph *g = c->g;
  const char *out = c->j.out, *dir = c->dir;
  VnStatus rc;
  if (out) {
    c->btmp = vn_arena_printf(&ctx->arena, "%s.tmp%d", out, (int)getpid());
    vn_made_add(c->btmp, VN_MADE_FILE);
  }
  if (c->bare) {  /* the weights go into the binary (model_weights.c), not beside it */
    char *wp = vn_arena_printf(&ctx->arena, "%s/model.vnw", dir);
    vn_made_add_new(wp);
    progress("packing %lld bytes of weights into the binary", (long long)g->weight_bytes);
    rc = vn_pack_weights(ctx, g, &c->md.src, c->t, wp, &c->id);
    if (rc == VN_OK) rc = vn_build_weights_c(ctx, dir, wp);
    unlink(wp);
    return rc;
  }
  if (out) {
    c->wfinal = vn_arena_printf(&ctx->arena, "%s.vnw", out);
    c->wtmp = vn_arena_printf(&ctx->arena, "%s.vnw.tmp%d", out, (int)getpid());
    VN_TRY(check_space(c, c->wfinal, g->weight_bytes));
    vn_made_add(c->wtmp, VN_MADE_FILE);
    progress("packing %lld bytes of weights into %s", (long long)g->weight_bytes, c->wfinal);
    return vn_pack_weights(ctx, g, &c->md.src, c->t, c->wtmp, &c->id);
  }
  char *wp = vn_arena_printf(&ctx->arena, "%s/model.vnw", dir);
  VN_TRY(check_space(c, wp, g->weight_bytes));
  vn_made_add_new(wp);
  return vn_pack_weights(ctx, g, &c->md.src, c->t, wp, &c->id);
}

/* A model directory's preprocessor_config.json: its image processor goes
 * into the binary (--image). One venus cannot read or run is compiled in as
 * such, with a warning, and --image says why; the rest of the model is
 * unaffected. Bare metal has no --image. */
static int stage_image(Compile *c) {
  if (c->md.gguf || c->bare) return 0;
  char *p = vn_arena_printf(&c->ctx.scratch, "%s/preprocessor_config.json", c->md.dir);
  if (access(p, F_OK)) return 0;
  char why[700];
  int rc = vn_imgcfg_load(p, &c->img, why, sizeof why);
  char *name = (char *)c->img.name;  /* malloc'ed: the arena keeps it for the compile */
  c->img.name = vn_arena_strdup(&c->ctx.arena, name ? name : "");
  free(name);
  if (rc) {
    fprintf(stderr, "venusc: warning: %s; the binary refuses --image\n", why);
    c->img.kind = VN_IMGPROC_UNKNOWN;
    c->img.problem = vn_arena_strdup(&c->ctx.arena, why);
  } else if (c->img.kind == VN_IMGPROC_UNKNOWN)
    fprintf(stderr, "venusc: note: %s: image processor '%s' is not one venus runs; the binary refuses --image\n", p, c->img.name);
  else progress("image processor: %s, compiled in%s", c->img.name,
                c->t->kind == VN_TK_LINUX && !*c->t->runner ? " (PNG, JPEG and PPM)" : " (PPM images only on this target)");
  c->has_img = 1;
  return 1;
}

/* the graph lowered to C: model.c in the tree */
static VnStatus stage_emit(Compile *c) {
  VnCtx *ctx = &c->ctx;
  const VnGraph *g = c->g;
  const unsigned char *blob = c->blob;
  VnStatus rc;
  int cmax = c->j.ctx;
  if (!cmax) cmax = g->info.max_pos > 0 && g->info.max_pos < 256 ? (int)g->info.max_pos : 256;
  /* chat formats (make_graph): the one the chat template matches is the default */
  VnChatFormats *cf = &c->cf;
  char *tmpl_text = blob ? vn_chat_template(&c->md) : NULL;
  char *bos = NULL, *eos = NULL, why[600];
  int no_sys = 0, ok = 0;
  if (tmpl_text && c->t->kind == VN_TK_BAREMETAL) { free(tmpl_text); tmpl_text = NULL; }  /* no --chat there */
  if (tmpl_text) {  /* the binary renders the template itself: only one venus evaluates */
    vn_chat_tokens(&c->md, &bos, &eos);
    ok = !vn_chat_check(tmpl_text, bos, eos, why, sizeof why, &no_sys);
    if (!ok)
      fprintf(stderr, "venusc: warning: %s: the chat template cannot be evaluated (%s); --chat %s\n", c->j.model, why,
              cf->chosen >= 0 ? "uses the format it resembles instead" : "needs --chat-format");
    else if (no_sys)
      fprintf(stderr, "venusc: note: %s: the chat template takes no system message (%s)\n", c->j.model, why);
    else progress("chat template: evaluated, compiled in");
  }
  VnEmitOpts eo = {c->t, c->id, blob, c->blen, c->j.blas, cmax, blob ? cf : NULL, tmpl_text != NULL,
                   ok ? tmpl_text : NULL, bos, eos, stage_image(c) ? &c->img : NULL};
  rc = vn_emit_model(ctx, g, &eo, &c->src);
  free(tmpl_text);
  free(bos);
  free(eos);
  if (rc != VN_OK) return rc;
  char *mc = vn_arena_printf(&ctx->arena, "%s/model.c", c->dir);
  vn_made_add_new(mc);
  if (vn_write_file(mc, c->src.p, c->src.len)) return vn_errorf(ctx, VN_ERR_IO, (VnLoc){mc, 0}, "cannot write: %s", strerror(errno));
  return VN_OK;
}

/* --lib: NAME.pc, for pkg-config; its prefix is DIR's absolute path */
static char *lib_pc(Compile *c, int feat) {
  char *abs = realpath(c->libdir, NULL);
  const char *n = c->libname;
  char *s = vn_arena_printf(&c->ctx.scratch,
      "# %s.pc: generated by venusc -- a %s model as a C library (target %s)\n"
      "prefix=%s\nlibdir=${prefix}\nincludedir=${prefix}\nweights=${prefix}/%s.vnw\n\n"
      "Name: %s\nDescription: the %s model compiled by venus (target %s)\nVersion: %s\n"
      "Libs: -L${libdir} -Wl,-rpath,${libdir} -l%s\nLibs.private:%s -lm -lpthread\nCflags: -I${includedir}\n",
      n, c->g->info.arch, c->t->name, abs ? abs : c->libdir, n, n, c->g->info.arch, c->t->name,
      VENUS_VERSION, n, feat & VN_BUILD_BLAS ? " -lopenblas" : "");
  free(abs);
  return s;
}

/* --lib: the header and NAME.pc, then the archive and the shared object,
 * each under a temporary name in DIR (stage_commit renames them) */
static VnStatus build_lib(Compile *c, int feat) {
  VnCtx *ctx = &c->ctx;
  const char *n = c->libname;
  const char *fin[4] = {vn_arena_printf(&ctx->arena, "%s/lib%s.a", c->libdir, n),
                        vn_arena_printf(&ctx->arena, "%s/lib%s.so", c->libdir, n),
                        vn_arena_printf(&ctx->arena, "%s/%s.h", c->libdir, n),
                        vn_arena_printf(&ctx->arena, "%s/%s.pc", c->libdir, n)};
  for (int i = 0; i < 4; i++) {
    c->lfinal[i] = (char *)fin[i];
    c->ltmp[i] = vn_arena_printf(&ctx->arena, "%s.tmp%d", fin[i], (int)getpid());
    vn_made_add(c->ltmp[i], VN_MADE_FILE);
  }
  const char *about = vn_arena_printf(&ctx->scratch, "the C API of a %s model (target %s)", c->g->info.arch, c->t->name);
  char *hdr = vn_lib_header(ctx, n, about);
  if (!hdr) return vn_internal(ctx, "runtime/vnapi.h is not embedded");
  char *pc = lib_pc(c, feat);
  if (vn_write_file(c->ltmp[2], hdr, strlen(hdr)) || vn_write_file(c->ltmp[3], pc, strlen(pc)))
    return vn_errorf(ctx, VN_ERR_IO, (VnLoc){c->libdir, 0}, "cannot write: %s", strerror(errno));
  progress("compiling the library lib%s with %s", n, c->t->cc);
  return vn_build_lib(ctx, c->dir, c->t, n, hdr, feat, c->ltmp[0], c->ltmp[1]);
}

/* the runtime and a Makefile into the tree, then the target's compiler into OUT.tmpPID */
static VnStatus stage_build(Compile *c) {
  const char *out = c->j.out;
  const char *on = out ? strrchr(out, '/') : NULL;
  on = on ? on + 1 : out ? out : "model";
  int feat = (c->j.blas ? VN_BUILD_BLAS : 0) | (c->j.server ? VN_BUILD_SERVER : 0) | (c->j.edit ? VN_BUILD_EDIT : 0);
  /* PNG and JPEG through Debian's libpng and libjpeg-turbo: host builds of a model with an image processor */
  if (c->has_img && c->img.kind != VN_IMGPROC_UNKNOWN && c->t->kind == VN_TK_LINUX && !*c->t->runner && !c->libdir)
    feat |= VN_BUILD_IMAGE;
  VN_TRY(vn_build_tree(&c->ctx, c->dir, c->t, on, feat));
  c->tree_done = 1;
  if (c->libdir) return build_lib(c, feat);
  if (!out) return VN_OK;
  progress("compiling with %s for %s", c->t->cc, c->t->name);
  return vn_build_run(&c->ctx, c->dir, c->t, c->btmp, 0, feat, NULL);
}

/* the outputs take their names: weights first, then the binary. Were the
 * second rename to fail, the new weight file and the old binary are of two
 * runs, and the binary refuses them by the weights id. */
static VnStatus stage_commit(Compile *c) {
  const char *out = c->j.out;
  if (!out) return VN_OK;
  if (c->wtmp) {
    if (rename(c->wtmp, c->wfinal)) return vn_errorf(&c->ctx, VN_ERR_IO, (VnLoc){c->wfinal, 0}, "cannot write: %s", strerror(errno));
    vn_made_keep(c->wtmp);
  }
  if (c->libdir) {
    for (int i = 0; i < 4; i++) {
      if (rename(c->ltmp[i], c->lfinal[i])) return vn_errorf(&c->ctx, VN_ERR_IO, (VnLoc){c->lfinal[i], 0}, "cannot write: %s", strerror(errno));
      vn_made_keep(c->ltmp[i]);
    }
    vn_made_keep(c->libdir);
    return VN_OK;
  }
  if (rename(c->btmp, out)) return vn_errorf(&c->ctx, VN_ERR_IO, (VnLoc){out, 0}, "cannot write: %s", strerror(errno));
  vn_made_keep(c->btmp);
  return VN_OK;
}

/* A message names the output, not its temporary name (OUT.tmpPID). */
static void untemp_msg(VnCtx *ctx, const char *tmp, const char *final) {
  if (!tmp || !final) return;
  char *p = strstr(ctx->msg, tmp);
  if (!p) return;
  size_t tl = strlen(tmp), fl = strlen(final);
  if (strlen(ctx->msg) - tl + fl >= sizeof ctx->msg) return;
  memmove(p + fl, p + tl, strlen(p + tl) + 1);
  memcpy(p, final, fl);
}

/* what this run made and does not keep goes: the temporary tree and names,
 * or, after a failure, everything (an --emit-c tree once complete stays) */
static int finish(Compile *c, VnStatus rc) {
  int no_tok = c->tok_done && !c->blob, gguf = c->md.gguf != NULL;
  vn_buf_free(&c->src);
  free(c->blob);
  vn_hf_close(&c->md);
  if (c->j.emit && c->tree_done) vn_made_keep(c->j.emit);
  vn_made_remove();
  if (rc != VN_OK) {
    untemp_msg(&c->ctx, c->wtmp, c->wfinal);
    untemp_msg(&c->ctx, c->btmp, c->j.out);
    return fail(&c->ctx);
  }
  if (no_tok && c->j.no_tok)  /* said once the compile succeeded, so that a failure stays one line */
    fprintf(stderr, "venusc: note: compiled without %s's tokenizer (--no-tokenizer); the binary takes token ids (--ids) only\n",
            c->j.model);
  else if (no_tok)
    fprintf(stderr, "venusc: note: %s has no tokenizer (%s); the binary takes token ids (--ids) only\n", c->j.model,
            gguf ? "no tokenizer.ggml.* metadata" : "no tokenizer.json");
  if (c->libdir) progress("wrote %s/: lib%s.a, lib%s.so, %s.h, %s.pc, %s.vnw", c->libdir, c->libname, c->libname, c->libname,
                          c->libname, c->libname);
  else if (c->j.out) progress("wrote %s%s%s", c->j.out, c->wfinal ? " and " : " (weights linked in)", c->wfinal ? c->wfinal : "");
  return done(&c->ctx, 0);
}

static int cmd_compile(int argc, char **argv) {
  Compile c = {0};
  int u = parse_job(argc, argv, &c.j, 1);
  if (!u) u = check_job(&c);
  if (u) return done(&c.ctx, u);
  c.ctx.verbose = verbose;
  catch_signals();
  vn_made_sweep(c.j.out);  /* leftovers of runs killed by kill -9 */
  VnStatus rc = make_graph(&c.ctx, &c.j, &c.md, &c.g, &c.cf);
  if (rc != VN_OK || (!c.j.out && !c.j.emit)) return finish(&c, rc);  /* -d / --dot only */
  type_report(c.g, NULL, 1);
  rc = stage_tokenizer(&c);
  if (rc == VN_OK) rc = stage_tree(&c);
  if (rc == VN_OK) rc = stage_pack(&c);
  if (rc == VN_OK) rc = stage_emit(&c);
  if (rc == VN_OK) rc = stage_build(&c);
  if (rc == VN_OK) rc = stage_commit(&c);
  return finish(&c, rc);
}

/* the GGUF tensors a derived tensor's recipe reads (archspecs/lib/gguf.lua) */
static int recipe_reads(json_t *r, const char *name) {
  if (json_is_string(r)) return !strcmp(json_string_value(r), name);
  if (json_is_array(r)) {
    size_t i;
    json_t *v;
    json_array_foreach(r, i, v) if (recipe_reads(v, name)) return 1;
    return 0;
  }
  if (json_is_object(r)) {
    static const char *const keys[] = {"of", "cat", "pairs"};
    for (int k = 0; k < 3; k++) if (recipe_reads(json_object_get(r, keys[k]), name)) return 1;
  }
  return 0;
}

/* GGUF: the metadata (long arrays summarized), the tensor types, and each
 * tensor under its own name with the HF name(s) the mapping gives it */
static void print_gguf(const VnGguf *gg, const char *config_json) {
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
  json_t *cfg = config_json ? json_loads(config_json, 0, NULL) : NULL;
  json_t *derived = json_object_get(cfg, "gguf_tensors");
  for (int i = 0; i < gg->src.ntensors; i++) {
    const VnTensorInfo *ti = &gg->src.tensors[i];
    const char *own = gg->file_names ? gg->file_names[i] : ti->name;
    char dims[96] = "";
    for (int d = 0, o = 0; d < ti->nd && o < (int)sizeof dims - 24; d++)
      o += snprintf(dims + o, sizeof dims - (size_t)o, "%s%lld", d ? "," : "", (long long)ti->dim[d]);
    printf("  %-36s %-6s [%s]", own, vn_dtype_name(ti->dtype), dims);
    int shown = 0;
    if (strcmp(own, ti->name)) {
      printf(" -> %s%s", ti->name, ti->pair_heads > 0 ? " (rows regrouped per head)" : "");
      shown = 1;
    }
    const char *hf;
    json_t *r;
    json_object_foreach(derived, hf, r) if (recipe_reads(r, own)) { printf("%s%s", shown ? ", " : " -> derived: ", hf); shown = 1; }
    printf("%s\n", shown ? "" : " (no HF tensor: a hyperparameter or unused)");
  }
  if (cfg) json_decref(cfg);
}

static const char *pooling_name(int mode) {
  return mode == VN_POOL_CLS ? "cls" : mode == VN_POOL_LAST ? "last" : "mean";
}

/* inspect --json: the same facts as the text, one object (docs/json.md) */
static json_t *inspect_json(const Job *j, const VnModelDir *md, const VnGraph *g, const VnChatFormats *cf) {
  const VnModelInfo *mi = &g->info;
  json_t *o = json_object();
  json_object_set_new(o, "model", json_string(j->model));
  json_object_set_new(o, "format", json_string(md->gguf ? "gguf" : "hf"));
  json_object_set_new(o, "class", md->arch_class ? json_string(md->arch_class) : json_null());
  json_object_set_new(o, "model_type", md->model_type ? json_string(md->model_type) : json_null());
  json_object_set_new(o, "spec", json_pack("{s:s, s:s}", "name", mi->arch, "file", mi->spec_file));
  json_object_set_new(o, "checkpoint", json_pack("{s:s, s:i}", "path", md->src.path, "tensors", (json_int_t)md->src.ntensors));
  json_object_set_new(o, "vocab", json_integer(mi->vocab));
  json_object_set_new(o, "trained_context", json_integer(mi->max_pos));
  json_object_set_new(o, "max_context", mi->max_ctx > 0 ? json_integer(mi->max_ctx) : json_null());
  json_object_set_new(o, "encoder_only", json_boolean(mi->encoder_only));
  json_object_set_new(o, "bos", mi->bos >= 0 ? json_integer(mi->bos) : json_null());
  json_t *eos = json_array();
  for (int k = 0; k < mi->neos; k++) json_array_append_new(eos, json_integer(mi->eos[k]));
  json_object_set_new(o, "eos", eos);
  const VnGenDefaults *gd = &mi->gen;
  json_object_set_new(o, "sampling", !gd->set ? json_null()
                      : json_pack("{s:b, s:f, s:i, s:f, s:f, s:f, s:o}", "do_sample", gd->sample, "temperature", (double)gd->temp,
                                  "top_k", gd->top_k, "top_p", (double)gd->top_p, "min_p", (double)gd->min_p,
                                  "repetition_penalty", (double)gd->rep, "max_new_tokens",
                                  gd->max_new ? json_integer(gd->max_new) : json_null()));
  json_object_set_new(o, "tokenizer", md->tokenizer_json ? json_string(md->tokenizer_json)
                                      : md->gguf ? json_string("gguf") : json_null());
  char *tt = vn_chat_template(md);
  json_object_set_new(o, "chat", json_pack("{s:b, s:o}", "template", tt != NULL, "format",
                                           tt && cf->chosen >= 0 ? json_string(cf->f[cf->chosen].name) : json_null()));
  free(tt);
  json_object_set_new(o, "embeddings", g->hidden == VN_NONE ? json_null()
                      : json_pack("{s:I, s:s, s:b, s:o}", "hidden", (json_int_t)vn_node_cols(&g->nodes[g->hidden]), "pooling",
                                  pooling_name(mi->pool.mode), "normalize", mi->pool.normalize, "from",
                                  mi->pool.from ? json_string(mi->pool.from) : json_null()));
  int count[VN_OP_COUNT] = {0};
  int64_t wb[VN_DTYPE_COUNT] = {0};
  int layers = 0;
  for (uint32_t i = 0; i < g->n; i++) {
    const VnNode *n = &g->nodes[i];
    count[n->op]++;
    if (n->layer + 1 > layers) layers = n->layer + 1;
    if (n->op == VN_OP_WEIGHT) {
      int64_t rows = 1;
      for (int k = 0; k < n->nd - 1; k++) rows *= n->dim[k];
      wb[n->dtype] += (int64_t)vn_dtype_row_bytes(n->dtype, n->dim[n->nd - 1]) * rows;
    }
  }
  json_t *ops = json_object(), *fus = json_object(), *bydt = json_object();
  for (int k = 0; k < VN_OP_COUNT; k++) if (count[k]) json_object_set_new(ops, vn_ops[k].name, json_integer(count[k]));
  for (int f = 0; f < VN_FUSE_COUNT; f++) json_object_set_new(fus, vn_fuse_names[f], json_integer(g->nfused[f]));
  for (int d = 0; d < VN_DTYPE_COUNT; d++) if (wb[d]) json_object_set_new(bydt, vn_dtype_name((VnDType)d), json_integer(wb[d]));
  json_object_set_new(o, "graph", json_pack("{s:i, s:i, s:o}", "nodes", (json_int_t)g->n, "layers", layers, "ops", ops));
  json_object_set_new(o, "fusions", fus);
  json_object_set_new(o, "weights", json_pack("{s:I, s:o}", "bytes", (json_int_t)g->weight_bytes, "by_dtype", bydt));
  json_object_set_new(o, "batch", json_integer(g->t_max));
  json_object_set_new(o, "arena_bytes", json_integer(g->arena_bytes));
  json_object_set_new(o, "encoder", !g->info.enc_rows ? json_null()
                      : json_pack("{s:I, s:I, s:I, s:i}", "rows", (json_int_t)g->info.enc_rows, "mels", (json_int_t)g->info.enc_mels,
                                  "frames_per_row", (json_int_t)g->info.enc_per_row, "decoder_start", g->info.dec_start));
  json_object_set_new(o, "state_row_bytes", json_integer(g->state_row_bytes));
  json_object_set_new(o, "state_fixed_bytes", json_integer(g->state_fixed_bytes));
  return o;
}

static int cmd_inspect(int argc, char **argv) {
  Job j;
  int u = parse_job(argc, argv, &j, 0);
  if (u) return u;
  VnCtx ctx = {0};
  VnModelDir md = {0};
  VnGraph *g = NULL;
  VnChatFormats cf;
  if (make_graph(&ctx, &j, &md, &g, &cf) != VN_OK) { vn_hf_close(&md); return fail(&ctx); }
  if (j.json) {
    int rc = print_json(inspect_json(&j, &md, g, &cf));
    vn_hf_close(&md);
    return done(&ctx, rc);
  }
  printf("model:       %s\n", j.model);
  printf("class:       %s (model_type %s)\n", md.arch_class ? md.arch_class : "?", md.model_type ? md.model_type : "?");
  printf("spec:        %s (%s)\n", g->info.arch, g->info.spec_file);
  printf("checkpoint:  %s, %d tensors\n", md.src.path, md.src.ntensors);
  printf("vocab:       %lld, trained context %lld (the binary's default --ctx%s)\n", (long long)g->info.vocab,
         (long long)g->info.max_pos, g->info.max_pos > 0 ? ", or less to fit a quarter of memory" : ": 4096");
  const VnGenDefaults *gd = &g->info.gen;
  if (gd->set)
    printf("sampling:    generation_config.json: %s, top_k %d, top_p %g, min_p %g, repetition_penalty %g%s\n",
           gd->sample ? "sample" : "greedy", gd->top_k, (double)gd->top_p, (double)gd->min_p, (double)gd->rep,
           gd->max_new ? "" : ", no max_new_tokens");
  if (gd->set && gd->sample) printf("             temperature %g\n", (double)gd->temp);
  if (gd->set && gd->max_new) printf("             max_new_tokens %d (the binary's default -n)\n", gd->max_new);
  printf("eos:        ");
  for (int k = 0; k < g->info.neos; k++) printf(" %d", g->info.eos[k]);
  printf("%s\n", g->info.neos ? "" : " none");
  printf("tokenizer:   %s\n", md.tokenizer_json ? md.tokenizer_json : md.gguf ? "from the GGUF metadata (tokenizer.ggml.*)" : "none (the binary takes --ids)");
  {
    char *tt = vn_chat_template(&md), *bos = NULL, *eos = NULL, why[600];
    int no_sys = 0;
    if (!tt) printf("chat:        no chat template\n");
    else {
      vn_chat_tokens(&md, &bos, &eos);
      if (vn_chat_check(tt, bos, eos, why, sizeof why, &no_sys))
        printf("chat:        the template cannot be evaluated (%s); --chat %s%s\n", why,
               cf.chosen >= 0 ? "uses the format " : "needs --chat-format", cf.chosen >= 0 ? cf.f[cf.chosen].name : "");
      else printf("chat:        the model's template (%zu bytes, evaluated by venus)%s%s%s\n", strlen(tt),
                  no_sys ? "; no system message: " : "", no_sys ? why : "", "");
    }
    free(tt);
    free(bos);
    free(eos);
  }
  if (g->hidden != VN_NONE)
    printf("embeddings:  hidden %lld, %s pooling%s (%s; OUT --embed)\n", (long long)vn_node_cols(&g->nodes[g->hidden]),
           pooling_name(g->info.pool.mode), g->info.pool.normalize ? ", normalized" : "",
           g->info.pool.from ? g->info.pool.from : "the default: no sentence-transformers config");
  if (md.gguf) print_gguf(md.gguf, md.config_json);
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
  /* per stored type: kept as stored, or packed as another type */
  type_report(g, stdout, 0);
  printf("arena:       %lld bytes (activations of a %lld-token step)\n", (long long)g->arena_bytes, (long long)g->t_max);
  if (g->info.enc_rows) {  /* an encoder-decoder: what its encoder reads */
    if (g->info.enc_mels)
      printf("encoder:     %lld positions of %d frames x %d mel bins (--features, --audio); decoder starts at %d\n",
             (long long)g->info.enc_rows, g->info.enc_per_row, g->info.enc_mels, g->info.dec_start);
    else printf("encoder:     up to %lld ids (--ids, -p); decoder starts at %d\n", (long long)g->info.enc_rows, g->info.dec_start);
  }
  long long dctx = g->info.max_pos > 0 ? g->info.max_pos : 4096;
  printf("state:       %lld bytes per context position (%lld bytes at --ctx %lld)\n", (long long)g->state_row_bytes,
         (long long)g->state_row_bytes * dctx, dctx);
  if (g->vision) {  /* the vision tower: its own graph, run once per image */
    const VnGraph *v = g->vision;
    int vl = 0;
    for (uint32_t i = 0; i < v->n; i++) if (v->nodes[i].layer + 1 > vl) vl = v->nodes[i].layer + 1;
    printf("vision:      %u nodes, %d layers, up to %lld rows; weights %lld bytes; arena %lld bytes, state %lld bytes per row\n",
           v->n, vl, (long long)v->t_max, (long long)(v->weight_bytes - v->weight_base), (long long)v->arena_bytes,
           (long long)v->state_row_bytes);
  }
  vn_hf_close(&md);
  return done(&ctx, 0);
}

/* ---- verify: the weight file's full check, as OUT --verify does it (runtime/wfile.c) ---- */
static int cmd_verify(int argc, char **argv) {
  if (argc != 2) return usage_error("verify: which OUT? (venusc verify OUT checks OUT.vnw)");
  const char *a = argv[1];
  size_t al = strlen(a);
  char *path = al > 4 && !strcmp(a + al - 4, ".vnw") ? strdup(a) : malloc(al + 5);
  if (!path) { fprintf(stderr, "venusc: out of memory\n"); return 1; }
  if (!(al > 4 && !strcmp(a + al - 4, ".vnw"))) snprintf(path, al + 5, "%s.vnw", a);
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
    fprintf(stderr, "venusc: %s: cannot open the weight file: %s\n", path, fd < 0 ? strerror(errno) : "not a regular file");
    if (fd >= 0) close(fd);
    free(path);
    return 1;
  }
  char msg[1200];
  int rc = 1;
  if (st.st_size < VN_WEIGHT_HEADER) {
    fprintf(stderr, "venusc: %s: not a venus weight file (too short)\n", path);
  } else {
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    VnWInfo wi;
    if (p == MAP_FAILED) fprintf(stderr, "venusc: %s: cannot map the weight file: %s\n", path, strerror(errno));
    else if (vn_wfile_open(&wi, p, (uint64_t)st.st_size, path, msg, sizeof msg)) fprintf(stderr, "venusc: %s\n", msg);
    else if (vn_wfile_verify(&wi, p, path, msg, sizeof msg)) fprintf(stderr, "venusc: %s\n", msg);
    else { printf("%s\n", msg); rc = 0; }
    if (p != MAP_FAILED) munmap(p, (size_t)st.st_size);
  }
  close(fd);
  free(path);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2) { usage(stderr); return 2; }
  const char *c = argv[1];
  if (!strcmp(c, "--help") || !strcmp(c, "-h") || !strcmp(c, "help")) { usage(stdout); return 0; }
  if (!strcmp(c, "--version")) { printf("venusc %s\n", VENUS_VERSION); return 0; }
  if (command_help(argc, argv)) return 0;
  if (!strcmp(c, "compile")) return cmd_compile(argc - 1, argv + 1);
  if (!strcmp(c, "inspect")) return cmd_inspect(argc - 1, argv + 1);
  if (!strcmp(c, "specs")) return cmd_specs(argc - 1, argv + 1);
  if (!strcmp(c, "targets")) return cmd_targets(argc - 1, argv + 1);
  if (!strcmp(c, "tokenize")) return vn_cmd_tokenize(argc - 1, argv + 1);
  if (!strcmp(c, "detokenize")) return vn_cmd_detokenize(argc - 1, argv + 1);
  if (!strcmp(c, "verify")) return cmd_verify(argc - 1, argv + 1);
  if (!strcmp(c, "chat-template")) return vn_cmd_chat_template(argc - 1, argv + 1);
  return usage_error("unknown command '%s'", c);
}
