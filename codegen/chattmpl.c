/* chattmpl.c: a model's chat template at compile time and `venusc
 * chat-template`. The template is Jinja (tokenizer_config.json chat_template,
 * or GGUF tokenizer.chat_template); runtime/jinja.c evaluates it, the same
 * code the model binary runs. At compile time the template is rendered over
 * probe conversations: one it cannot evaluate is not compiled in (a warning
 * names the construct and where; --chat then falls back to a recognized
 * format), so the binary never meets a template it cannot evaluate.
 * `venusc chat-template` renders one conversation from a JSON file, so that
 * tests can compare with jinja2. Exit status: 0 ok, 1 bad input (a template
 * it cannot evaluate or that refuses the conversation), 2 bad command line. */
#include "codegen.h"
#include "frontend.h"
#include "jinja.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* "<s>" from a tokenizer_config.json value: a string or an AddedToken {content} */
static char *token_text(json_t *v) {
  if (json_is_object(v)) v = json_object_get(v, "content");
  return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

/* a GGUF file's token text for tokenizer.ggml.<which>_token_id */
static char *gguf_token(const VnGguf *g, const char *which) {
  char key[64];
  snprintf(key, sizeof key, "tokenizer.ggml.%s_token_id", which);
  json_t *id = json_object_get(g->meta, key);
  if (!json_is_number(id)) return NULL;
  double want = json_number_value(id);
  uint32_t type;
  uint64_t count;
  VnGgufIter it;
  json_t *small = json_object_get(g->meta, "tokenizer.ggml.tokens");  /* short arrays stay in meta */
  if (json_is_array(small)) return want >= 0 && want < (double)json_array_size(small) ? token_text(json_array_get(small, (size_t)want)) : NULL;
  if (!vn_gguf_array(g, "tokenizer.ggml.tokens", &type, &count, &it) || want < 0 || want >= (double)count) return NULL;
  for (uint64_t i = 0; i < count; i++) {
    uint64_t n;
    const char *s = vn_gguf_next_str(&it, &n);
    if (!s) return NULL;
    if (i == (uint64_t)want) {
      char *r = malloc(n + 1);
      if (r) { memcpy(r, s, n); r[n] = 0; }
      return r;
    }
  }
  return NULL;
}

void vn_chat_tokens(const VnModelDir *md, char **bos, char **eos) {
  *bos = *eos = NULL;
  if (md->gguf) {
    *bos = gguf_token(md->gguf, "bos");
    *eos = gguf_token(md->gguf, "eos");
    return;
  }
  if (!md->tokenizer_config) return;
  json_t *j = json_load_file(md->tokenizer_config, JSON_DECODE_INT_AS_REAL, NULL);
  if (!j) return;
  *bos = token_text(json_object_get(j, "bos_token"));
  *eos = token_text(json_object_get(j, "eos_token"));
  json_decref(j);
}

/* Render tmpl over the probe conversations a chat builds: 0 when the template
 * evaluates them all, else 1 with the first error in why; *no_system: only
 * the conversations with a system turn fail (the template refuses one). */
int vn_chat_check(const char *tmpl, const char *bos, const char *eos, char *why, size_t cap, int *no_system) {
  static const VnChatMsg with_sys[] = {{"system", "You are a helpful assistant."}, {"user", "Hello"},
                                       {"assistant", "Hi."}, {"user", "How are you?"}};
  static const VnChatMsg plain[] = {{"user", "Hello"}, {"assistant", "Hi."}, {"user", "How are you?"}};
  char err[512];
  *no_system = 0;
  for (int k = 1; k <= 3; k += 2) {
    VnJinjaIn in = {plain, k, 1, -1, bos, eos};
    char *o = vn_jinja_render(tmpl, strlen(tmpl), &in, NULL, err, sizeof err);
    if (!o) { snprintf(why, cap, "%s", err); return 1; }
    free(o);
  }
  for (int k = 2; k <= 4; k += 2) {
    VnJinjaIn in = {with_sys, k, 1, -1, bos, eos};
    char *o = vn_jinja_render(tmpl, strlen(tmpl), &in, NULL, err, sizeof err);
    if (!o) { snprintf(why, cap, "%s", err); *no_system = 1; return 0; }
    free(o);
  }
  return 0;
}

/* ---- venusc chat-template ---- */
static const char *const USAGE =
    "usage: venusc chat-template MODEL|tokenizer_config.json|FILE.gguf --messages FILE.json\n"
    "                            [--add-generation-prompt] [--enable-thinking|--no-thinking]\n"
    "                            [--template FILE] [--bos TEXT] [--eos TEXT]\n";

static void help(void) {
  fputs(USAGE, stdout);
  fputs("Prints the text the model's chat template renders for the conversation in FILE.json\n"
        "(a list of {\"role\", \"content\"} objects), exactly as the model binary builds it, with\n"
        "no newline added: transformers' apply_chat_template(messages, tokenize=False).\n"
        "  MODEL                    a model directory (its tokenizer_config.json), a\n"
        "                           tokenizer_config.json, or a GGUF file (tokenizer.chat_template)\n"
        "  --add-generation-prompt  end with the header of the assistant's reply\n"
        "  --enable-thinking, --no-thinking   set enable_thinking (default: undefined)\n"
        "  --template FILE          the template text from FILE instead of the model's\n"
        "  --bos TEXT, --eos TEXT   bos_token / eos_token (default: the model's)\n",
        stdout);
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *b = malloc(cap);
  for (;;) {
    if (!b) { fclose(f); return NULL; }
    size_t r = fread(b + n, 1, cap - n - 1, f);
    n += r;
    if (n + 1 < cap) break;
    char *nb = realloc(b, cap *= 2);
    if (!nb) { free(b); fclose(f); return NULL; }
    b = nb;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) { free(b); return NULL; }
  b[n] = 0;
  *len = n;
  return b;
}

static int isgguf(const char *p) {
  FILE *f = fopen(p, "rb");
  char m[4] = {0};
  size_t n = f ? fread(m, 1, 4, f) : 0;
  if (f) fclose(f);
  return n == 4 && !memcmp(m, "GGUF", 4);
}

int vn_cmd_chat_template(int argc, char **argv) {
  const char *model = NULL, *msgs_path = NULL, *tmpl_path = NULL, *bos_arg = NULL, *eos_arg = NULL;
  int gen = 0, think = -1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) { help(); return 0; }
    if (!strcmp(a, "--add-generation-prompt")) gen = 1;
    else if (!strcmp(a, "--enable-thinking")) think = 1;
    else if (!strcmp(a, "--no-thinking")) think = 0;
    else if (!strcmp(a, "--messages") || !strcmp(a, "--template") || !strcmp(a, "--bos") || !strcmp(a, "--eos")) {
      if (i + 1 >= argc) { fprintf(stderr, "venusc: chat-template: %s needs a value\n%s", a, USAGE); return 2; }
      const char *v = argv[++i];
      if (!strcmp(a, "--messages")) msgs_path = v;
      else if (!strcmp(a, "--template")) tmpl_path = v;
      else if (!strcmp(a, "--bos")) bos_arg = v;
      else eos_arg = v;
    } else if (a[0] == '-' && a[1]) { fprintf(stderr, "venusc: chat-template: unknown option %s\n%s", a, USAGE); return 2; }
    else if (!model) model = a;
    else { fprintf(stderr, "venusc: chat-template: one MODEL only (%s?)\n%s", a, USAGE); return 2; }
  }
  if (!msgs_path || (!model && !tmpl_path)) {
    fprintf(stderr, "venusc: chat-template: %s\n%s", msgs_path ? "which MODEL (or --template FILE)?" : "--messages FILE.json is needed", USAGE);
    return 2;
  }
  int rc = 1;
  char *tmpl = NULL, *bos = NULL, *eos = NULL, *out = NULL;
  VnChatMsg *m = NULL;
  json_t *conv = NULL;
  VnCtx ctx = {0};
  VnGguf g;
  memset(&g, 0, sizeof g);
  int have_g = 0;
  const char *where = tmpl_path ? tmpl_path : model;
  /* the template and the special tokens */
  if (model) {
    struct stat st;
    VnModelDir md;
    memset(&md, 0, sizeof md);
    if (stat(model, &st)) { fprintf(stderr, "venusc: %s: no such file or directory\n", model); goto out; }
    if (S_ISREG(st.st_mode) && isgguf(model)) {
      if (vn_gguf_open(&ctx, model, &g) != VN_OK) { fprintf(stderr, "venusc: %s\n", ctx.msg); goto out; }
      have_g = 1;
      md.gguf = &g;
      if (!tmpl_path) tmpl = vn_chat_template(&md);
    } else {
      char *tc = S_ISDIR(st.st_mode) ? vn_arena_printf(&ctx.arena, "%s/tokenizer_config.json", model) : (char *)model;
      struct stat ts;
      if (stat(tc, &ts) || !S_ISREG(ts.st_mode)) { fprintf(stderr, "venusc: %s: no tokenizer_config.json\n", model); goto out; }
      json_error_t je;
      json_t *j = json_load_file(tc, JSON_DECODE_INT_AS_REAL, &je);
      if (!j) { fprintf(stderr, "venusc: %s:%d: %s\n", tc, je.line, je.text); goto out; }
      json_decref(j);
      md.tokenizer_config = tc;
      if (!tmpl_path) tmpl = vn_chat_template(&md);
    }
    vn_chat_tokens(&md, &bos, &eos);
    if (!tmpl_path && !tmpl) { fprintf(stderr, "venusc: %s: the model has no chat template\n", model); goto out; }
  }
  if (tmpl_path) {
    size_t tl;
    if (!(tmpl = slurp(tmpl_path, &tl))) { fprintf(stderr, "venusc: %s: cannot read the template\n", tmpl_path); goto out; }
    if (strlen(tmpl) != tl) { fprintf(stderr, "venusc: %s: the template holds a NUL byte\n", tmpl_path); goto out; }
  }
  if (bos_arg) { free(bos); bos = strdup(bos_arg); }
  if (eos_arg) { free(eos); eos = strdup(eos_arg); }
  /* the conversation */
  json_error_t je;
  conv = json_load_file(msgs_path, 0, &je);
  if (!conv) { fprintf(stderr, "venusc: %s:%d: %s\n", msgs_path, je.line, je.text); goto out; }
  if (!json_is_array(conv)) { fprintf(stderr, "venusc: %s: the messages must be a JSON list\n", msgs_path); goto out; }
  size_t nm = json_array_size(conv);
  if (nm > 100000) { fprintf(stderr, "venusc: %s: more than 100000 messages\n", msgs_path); goto out; }
  m = calloc(nm + 1, sizeof *m);
  if (!m) { fprintf(stderr, "venusc: out of memory\n"); goto out; }
  for (size_t i = 0; i < nm; i++) {
    json_t *e = json_array_get(conv, i);
    const char *r = json_string_value(json_object_get(e, "role")), *c = json_string_value(json_object_get(e, "content"));
    if (!json_is_object(e) || !r || !c) {
      fprintf(stderr, "venusc: %s: message %zu: an object with string 'role' and 'content' is needed\n", msgs_path, i + 1);
      goto out;
    }
    if (strlen(c) != json_string_length(json_object_get(e, "content")) || strlen(r) != json_string_length(json_object_get(e, "role"))) {
      fprintf(stderr, "venusc: %s: message %zu holds a NUL character\n", msgs_path, i + 1);
      goto out;
    }
    m[i].role = r;
    m[i].content = c;
  }
  VnJinjaIn in = {m, (int)nm, gen, think, bos, eos};
  char err[512];
  out = vn_jinja_render(tmpl, strlen(tmpl), &in, NULL, err, sizeof err);
  if (!out) { fprintf(stderr, "venusc: %s: chat template %s\n", where, err); goto out; }
  fputs(out, stdout);
  rc = fflush(stdout) ? 1 : 0;
  if (rc) fprintf(stderr, "venusc: cannot write the output\n");
out:
  free(out);
  free(m);
  json_decref(conv);
  free(tmpl);
  free(bos);
  free(eos);
  if (have_g) vn_gguf_close(&g);
  vn_arena_free(&ctx.arena);
  vn_arena_free(&ctx.scratch);
  return rc;
}
