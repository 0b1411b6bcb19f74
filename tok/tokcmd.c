/* tokcmd.c: `venusc tokenize` and `venusc detokenize`. Both compile the
 * tokenizer (tokenizer.json with vn_tokc_compile_json, or a GGUF file's
 * tokenizer.ggml.* metadata with vn_gguf_tokenizer; a vocabulary-only GGUF
 * file needs no tensors and no model mapping) and then run
 * runtime/tokenizer.c on the blob, i.e. exactly the code a model binary runs.
 * A GGUF file is tokenized as GGUF's reference tokenizer does by default (no
 * BOS/EOS added, special-token text not matched); --special turns both on.
 * Exit status: 0 ok, 1 bad input (missing or unsupported tokenizer, unreadable
 * file, bad id), 2 bad command line. Messages are one line `venusc: ...`. */
#include "tok.h"
#include "codegen.h"
#include "tokenizer.h"
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char *const TOK_USAGE =
    "usage: venusc tokenize MODEL_DIR|tokenizer.json|FILE.gguf [--special] [--file PATH... | -- TEXT...]\n";
static const char *const DETOK_USAGE = "usage: venusc detokenize MODEL_DIR|tokenizer.json|FILE.gguf -- IDS...\n";

static void tok_help(void) {
  fputs(TOK_USAGE, stdout);
  fputs("Prints the token ids of TEXT (the words after --, joined by single spaces) on one\n"
        "line, separated by single spaces, as HF tokenizers' encode(text) does.\n"
        "  MODEL_DIR        a directory holding tokenizer.json (and maybe tokenizer_config.json)\n"
        "  FILE.gguf        a GGUF file's tokenizer (vocabulary-only files too); by default as\n"
        "                   GGUF's reference tokenizer does: no special tokens added, special-token text\n"
        "                   not matched as such\n"
        "  --special        add the post-processor's special tokens (add_special_tokens=True);\n"
        "                   for a GGUF file also match special-token text\n"
        "  --file PATH      tokenize the bytes of PATH instead of TEXT; repeatable: one\n"
        "                   output line per file, the tokenizer compiled once\n"
        "  --count          print only the number of ids\n"
        "  --time           also print bytes, ids, wall time, speed and CPU time on stderr\n"
        "testing aids:\n"
        "  --batch-json F   F holds {\"cases\": [{\"text\", \"ids\"}...]}; prints per case one JSON line\n"
        "                   {\"ids\", \"ids_special\", \"decoded\" (of the case's ids), \"stream\"\n"
        "                   (the same through the streaming decoder)}\n"
        "  --emit-blob F    write the compiled tokenizer blob to F\n",
        stdout);
}

static void detok_help(void) {
  fputs(DETOK_USAGE, stdout);
  fputs("Prints the text of the ids (separated by commas and/or spaces) exactly as HF\n"
        "tokenizers' decode(ids) gives it, special tokens included, with no newline added.\n"
        "Unknown ids are skipped, as HF does.\n",
        stdout);
}

static int usage_err(const char *usage, const char *fmt, const char *arg) {
  fputs("venusc: ", stderr);
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  fputs(usage, stderr);
  return 2;
}

static int is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int gguf_magic(const char *p) {
  FILE *f = fopen(p, "rb");
  char m[4] = {0};
  size_t n;
  if (!f) return 0;
  n = fread(m, 1, 4, f);
  fclose(f);
  return n == 4 && !memcmp(m, "GGUF", 4);
}

/* The tokenizer of a GGUF file: archspecs/lib (pretok.lua, through
 * gguf.lua's tokenizer-only entry) says what kind it is. */
static VnStatus gguf_blob(VnCtx *ctx, const char *path, unsigned char **blob, size_t *blen) {
  VnGguf g;
  VnSpecSrc libs[64];
  int nlibs = 0;
  char *cfg = NULL, *tk = NULL;
  VnStatus st;
  memset(&g, 0, sizeof g);
  for (const VnEmbedded *e = vn_embedded; e->name; e++) {
    size_t l = strlen(e->name);
    if (strncmp(e->name, "archspecs/lib/", 14) || l < 4 || strcmp(e->name + l - 4, ".lua")) continue;
    if (nlibs == 64) return vn_internal(ctx, "more than 64 archspecs/lib files");
    libs[nlibs].file = e->name;
    libs[nlibs].text = e->data;
    libs[nlibs++].len = e->len;
  }
  for (int i = 1; i < nlibs; i++)                    /* loaded in name order, as venusc compile does */
    for (int j = i; j > 0 && strcmp(libs[j - 1].file, libs[j].file) > 0; j--) {
      VnSpecSrc x = libs[j]; libs[j] = libs[j - 1]; libs[j - 1] = x;
    }
  if ((st = vn_gguf_open(ctx, path, &g)) == VN_OK) {
    VnSource src = g.src;
    json_object_set_new(g.meta, "venus.tokenizer_only", json_true());
    VnSpecs *sp = NULL;
    st = vn_spec_open(ctx, libs, nlibs, &sp);
    if (st == VN_OK) st = vn_spec_gguf(sp, g.meta, path, &src, &cfg, &tk);
    if (sp) vn_spec_close(sp);
    if (st == VN_OK && !tk)
      st = vn_errorf(ctx, VN_ERR_INPUT, (VnLoc){path, 0}, "no tokenizer in the GGUF metadata (tokenizer.ggml.model)");
    if (st == VN_OK) st = vn_gguf_tokenizer(ctx, &g, tk, blob, blen);
  }
  free(cfg);
  free(tk);
  vn_gguf_close(&g);
  return st;
}

/* Resolves MODEL_DIR|tokenizer.json|FILE.gguf and compiles it; prints the
 * error. *gguf: the tokenizer came from a GGUF file. */
static int load_tok(const char *model, VnTok *t, unsigned char **blob, size_t *blen, int *gguf) {
  char tj[4096], tc[4096];
  const char *slash;
  VnCtx ctx = {0};
  VnStatus st;
  if (!model) return 1;
  *gguf = 0;
  if (is_dir(model)) {
    snprintf(tj, sizeof tj, "%s/tokenizer.json", model);
    snprintf(tc, sizeof tc, "%s/tokenizer_config.json", model);
  } else {
    snprintf(tj, sizeof tj, "%s", model);
    slash = strrchr(model, '/');
    if (slash) snprintf(tc, sizeof tc, "%.*s/tokenizer_config.json", (int)(slash - model), model);
    else snprintf(tc, sizeof tc, "tokenizer_config.json");
  }
  if (!is_dir(model) && gguf_magic(model)) {
    *gguf = 1;
    st = gguf_blob(&ctx, model, blob, blen);
  } else {
    st = vn_tokc_compile_json(&ctx, tj, is_file(tc) ? tc : NULL, blob, blen);
  }
  vn_arena_free(&ctx.arena);
  vn_arena_free(&ctx.scratch);
  if (st != VN_OK) {
    fprintf(stderr, "venusc: %s\n", ctx.msg);
    return 1;
  }
  if (vn_tok_load(t, *blob, *blen)) {
    fprintf(stderr, "venusc: %s: internal error: compiled tokenizer does not load\n", tj);
    free(*blob);
    return 1;
  }
  return 0;
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *p = NULL, *q;
  size_t cap = 0, n = 0, r;
  if (!f) return NULL;
  do {
    if (n + 65536 > cap) {
      cap = cap ? 2 * cap : 1 << 20;
      if (!(q = realloc(p, cap))) { free(p); fclose(f); return NULL; }
      p = q;
    }
    r = fread(p + n, 1, cap - n, f);
    n += r;
  } while (r > 0);
  if (ferror(f)) { free(p); fclose(f); return NULL; }
  fclose(f);
  *len = n;
  return p ? p : calloc(1, 1);
}

/* Encodes text (opts: VN_TOK_*); returns a malloc'ed id array (count in *n) or NULL. */
static int32_t *encode(const VnTok *t, const char *text, size_t len, unsigned opts, long *n) {
  size_t wsz = vn_tok_work_size(t, len);
  void *work = malloc(wsz ? wsz : 1);
  long cap = (long)len + 16, got;
  int32_t *ids = malloc((size_t)cap * sizeof *ids);
  if (!work || !ids) { free(work); free(ids); return NULL; }
  got = vn_tok_encode_opts(t, text, len, opts, ids, cap, work, wsz);
  if (got > cap) {                       /* more ids than bytes: e.g. BOS/EOS */
    int32_t *q = realloc(ids, (size_t)got * sizeof *ids);
    if (!q) { free(ids); free(work); return NULL; }
    ids = q;
    got = vn_tok_encode_opts(t, text, len, opts, ids, got, work, wsz);
  }
  free(work);
  if (got < 0) { free(ids); return NULL; }
  *n = got;
  return ids;
}

static char *decode(const VnTok *t, const int32_t *ids, size_t n, size_t *len) {
  size_t need = vn_tok_decode(t, ids, n, NULL, 0);
  char *out = malloc(need + 1);
  if (!out) return NULL;
  vn_tok_decode(t, ids, n, out, need);
  out[need] = 0;
  *len = need;
  return out;
}

static char *decode_stream(const VnTok *t, const int32_t *ids, size_t n, size_t *len) {
  VnTokStream s;
  size_t cap = 64, o = 0, i, k, room = vn_tok_stream_room(t);
  char *out = malloc(cap), *q, *buf = malloc(room);
  if (!out || !buf) { free(out); free(buf); return NULL; }
  vn_tok_stream_init(&s, t);
  for (i = 0; i <= n; i++) {
    k = i < n ? vn_tok_stream_next(&s, ids[i], buf, room) : vn_tok_stream_flush(&s, buf, room);
    if (k > room) { free(out); free(buf); return NULL; }   /* vn_tok_stream_room broken */
    if (o + k + 1 > cap) {
      while (o + k + 1 > cap) cap *= 2;
      if (!(q = realloc(out, cap))) { free(out); return NULL; }
      out = q;
    }
    memcpy(out + o, buf, k);
    o += k;
  }
  free(buf);
  out[o] = 0;
  *len = o;
  return out;
}

static json_t *ids_json(const int32_t *ids, long n) {
  json_t *a = json_array();
  long i;
  for (i = 0; i < n; i++) json_array_append_new(a, json_integer(ids[i]));
  return a;
}

static int batch(const VnTok *t, const char *path) {
  json_error_t je;
  json_t *root = json_load_file(path, JSON_ALLOW_NUL, &je), *cases, *c;
  size_t i;
  if (!root) {
    fprintf(stderr, "venusc: %s: invalid JSON at line %d: %s\n", path, je.line, je.text);
    return 1;
  }
  cases = json_is_array(root) ? root : json_object_get(root, "cases");
  json_array_foreach(cases, i, c) {
    json_t *tx = json_object_get(c, "text"), *rid = json_object_get(c, "ids"), *o = json_object();
    const char *text = json_is_string(tx) ? json_string_value(tx) : "";
    size_t tl = json_is_string(tx) ? json_string_length(tx) : 0, dl, sl, k;
    long n1 = 0, n2 = 0;
    int32_t *a = encode(t, text, tl, VN_TOK_PARSE_SPECIAL, &n1), *ref;
    int32_t *b = encode(t, text, tl, VN_TOK_PARSE_SPECIAL | VN_TOK_ADD_SPECIAL, &n2);
    char *dtext, *stext, *line;
    if (!a || !b) {
      fprintf(stderr, "venusc: %s: case %zu: out of memory\n", path, i);
      return 1;
    }
    json_object_set_new(o, "ids", ids_json(a, n1));
    json_object_set_new(o, "ids_special", ids_json(b, n2));
    ref = malloc((json_array_size(rid) + 1) * sizeof *ref);
    for (k = 0; k < json_array_size(rid); k++) ref[k] = (int32_t)json_integer_value(json_array_get(rid, k));
    dtext = decode(t, ref, json_array_size(rid), &dl);
    stext = decode_stream(t, ref, json_array_size(rid), &sl);
    json_object_set_new(o, "decoded", dtext ? json_stringn(dtext, dl) : json_null());
    json_object_set_new(o, "stream", stext ? json_stringn(stext, sl) : json_null());
    line = json_dumps(o, JSON_COMPACT);
    puts(line ? line : "null");
    free(line); free(dtext); free(stext); free(ref); free(a); free(b);
    json_decref(o);
  }
  json_decref(root);
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu_s(void) {             /* this process's CPU time: steadier on a busy host */
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int vn_cmd_tokenize(int argc, char **argv) {
  const char *model = NULL, *files[argc > 0 ? argc : 1], *bj = NULL, *eb = NULL;   /* --file names: at most argc */
  int special = 0, count = 0, timing = 0, i, j, rc = 0, have_text = 0, nfiles = 0, fi, gguf = 0;
  unsigned opts;
  char *text = NULL;
  size_t tl = 0;
  unsigned char *blob;
  size_t blen;
  VnTok t;
  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--")) { have_text = 1; i++; break; }
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { tok_help(); return 0; }
    if (!strcmp(argv[i], "--special")) special = 1;
    else if (!strcmp(argv[i], "--count")) count = 1;
    else if (!strcmp(argv[i], "--time")) timing = 1;
    else if (!strcmp(argv[i], "--file") || !strcmp(argv[i], "--batch-json") || !strcmp(argv[i], "--emit-blob")) {
      if (i + 1 >= argc) return usage_err(TOK_USAGE, "%s needs an argument", argv[i]);
      if (argv[i][2] == 'f') {
        files[nfiles++] = argv[++i];
      } else if (argv[i][2] == 'b') bj = argv[++i];
      else eb = argv[++i];
    } else if (argv[i][0] == '-' && argv[i][1]) return usage_err(TOK_USAGE, "unknown flag '%s'", argv[i]);
    else if (!model) model = argv[i];
    else return usage_err(TOK_USAGE, "unexpected argument '%s' (put the text after --)", argv[i]);
  }
  if (!model) return usage_err(TOK_USAGE, "%s", "tokenize needs a model directory or tokenizer.json");
  if ((have_text != 0) + (nfiles > 0) + (bj != NULL) > 1)
    return usage_err(TOK_USAGE, "%s", "give the text once: -- TEXT, --file or --batch-json");
  if (!have_text && !nfiles && !bj && !eb) return usage_err(TOK_USAGE, "%s", "no text (use -- TEXT or --file PATH)");
  for (fi = 0; fi < nfiles; fi++) {      /* fail early on an unreadable file */
    FILE *f = fopen(files[fi], "rb");
    if (!f) {
      fprintf(stderr, "venusc: %s: cannot read: %s\n", files[fi], strerror(errno));
      return 1;
    }
    fclose(f);
  }
  if (have_text) {
    size_t cap = 1;
    for (j = i; j < argc; j++) cap += strlen(argv[j]) + 1;
    if (!(text = malloc(cap))) return 1;
    for (j = i; j < argc; j++) {
      size_t l = strlen(argv[j]);
      if (j > i) text[tl++] = ' ';
      memcpy(text + tl, argv[j], l);
      tl += l;
    }
    text[tl] = 0;
  }
  if (load_tok(model, &t, &blob, &blen, &gguf)) { free(text); return 1; }
  opts = special ? VN_TOK_ADD_SPECIAL | VN_TOK_PARSE_SPECIAL : gguf ? 0 : VN_TOK_PARSE_SPECIAL;
  if (eb) {
    FILE *f = fopen(eb, "wb");
    if (!f || fwrite(blob, 1, blen, f) != blen || fclose(f)) {
      fprintf(stderr, "venusc: %s: cannot write: %s\n", eb, strerror(errno));
      rc = 1;
    }
  }
  if (!rc && bj) rc = batch(&t, bj);
  for (fi = 0; !rc && fi < (have_text ? 1 : nfiles); fi++) {
    long n = 0, k;
    double t0, c0, dt, dc;
    int32_t *ids;
    if (!have_text && !(text = read_file(files[fi], &tl))) {
      fprintf(stderr, "venusc: %s: cannot read: %s\n", files[fi], strerror(errno));
      rc = 1;
      break;
    }
    t0 = now_s();
    c0 = cpu_s();
    ids = encode(&t, text, tl, opts, &n);
    dt = now_s() - t0;
    dc = cpu_s() - c0;
    if (!ids) {
      fprintf(stderr, "venusc: out of memory\n");
      rc = 1;
    } else {
      if (count) {
        printf("%ld\n", n);
      } else {
        for (k = 0; k < n; k++) printf(k ? " %d" : "%d", (int)ids[k]);
        putchar('\n');
      }
      if (timing)
        fprintf(stderr, "tokenize: %s: %zu bytes, %ld ids, %.3f s, %.2f MB/s, %.0f tokens/s, cpu %.3f s\n",
                have_text ? "text" : files[fi], tl, n, dt, dt > 0 ? tl / dt / 1e6 : 0.0, dt > 0 ? n / dt : 0.0, dc);
      free(ids);
    }
    if (!have_text) { free(text); text = NULL; }
  }
  free(text);
  free(blob);
  if (fflush(stdout)) rc = 1;
  return rc;
}

int vn_cmd_detokenize(int argc, char **argv) {
  const char *model = NULL;
  int32_t *ids = NULL;
  size_t n = 0, cap = 0, len;
  int i, rc = 0, after = 0, gguf;
  unsigned char *blob;
  size_t blen;
  VnTok t;
  char *out;
  for (i = 1; i < argc; i++) {
    const char *p = argv[i];
    if (!after) {
      if (!strcmp(p, "--")) { after = 1; continue; }
      if (!strcmp(p, "--help") || !strcmp(p, "-h")) { detok_help(); free(ids); return 0; }
      if (p[0] == '-' && p[1] && !(p[1] >= '0' && p[1] <= '9')) { free(ids); return usage_err(DETOK_USAGE, "unknown flag '%s'", p); }
      if (!model) { model = p; continue; }
    }
    while (*p) {                         /* ids separated by commas and/or spaces */
      char *end;
      long v;
      if (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n') { p++; continue; }
      errno = 0;
      v = strtol(p, &end, 10);
      if (end == p || errno || v < 0 || v > 0x7FFFFFFF || (*end && !strchr(", \t\n", *end))) {
        fprintf(stderr, "venusc: bad token id '%s'\n", argv[i]);
        free(ids);
        return 1;
      }
      if (n == cap) {
        int32_t *q = realloc(ids, (cap = cap ? 2 * cap : 256) * sizeof *ids);
        if (!q) { free(ids); return 1; }
        ids = q;
      }
      ids[n++] = (int32_t)v;
      p = end;
    }
  }
  if (!model) { free(ids); return usage_err(DETOK_USAGE, "%s", "detokenize needs a model directory or tokenizer.json"); }
  if (load_tok(model, &t, &blob, &blen, &gguf)) { free(ids); return 1; }
  out = decode(&t, ids, n, &len);
  if (!out) rc = 1;
  else if (fwrite(out, 1, len, stdout) != len) rc = 1;
  free(out);
  free(ids);
  free(blob);
  if (fflush(stdout)) rc = 1;
  return rc;
}
