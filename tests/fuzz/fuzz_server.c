/* fuzz_server.c: libFuzzer target for the model server's request handling
 * (runtime/server.c, built with VN_SERVER here; no socket). The input is
 * "METHOD URL" on the first line and the request body after it (no newline:
 * the whole input is the body of POST /v1/chat/completions). Each request
 * goes through what the server does before the model runs: parse_request
 * (the route, the method, the body's JSON), then for a generation
 * read_params (sampling, stop strings, stream, n) and gen_prompt (the
 * messages through the chat format and, where the model has one, its chat
 * template; a prompt string or list; tokenized into a 256-position context),
 * for embeddings each input (strings, token ids, lists of them) through
 * embed_input. The model is the C venusc generated for examples/tiny-kjv
 * with the chat template of tests/fixtures/chat/qwen3.json (make fuzz
 * writes it under build/fuzz/, its weights beside this program); a chat
 * request goes through the template and through each chat format of the
 * model's spec. Its arithmetic never runs. Every refusal must be one non-empty line and
 * its error response must serialize (a request the server cannot answer is
 * a finding). */
#define VN_SERVER 1
#include "../../runtime/server.c"  /* its static functions are the code under test */
#include <limits.h>

static Server sv;
static VnServeOpts so;
static VnRt rt;
static VnTok tok;
static int ready;

static void setup(void) {
  char w[PATH_MAX], err[1024];
  ssize_t k = readlink("/proc/self/exe", w, sizeof w - 5);
  if (k <= 0) { fprintf(stderr, "fuzz harness: cannot read /proc/self/exe\n"); abort(); }
  strcpy(w + k, ".vnw");
  if (vn_rt_init(&rt, &vn_model, w, 256, 1, err, sizeof err)) { fprintf(stderr, "fuzz harness: %s\n", err); abort(); }
  if (vn_tok_load(&tok, vn_model.tok_blob, vn_model.tok_len)) { fprintf(stderr, "fuzz harness: no tokenizer\n"); abort(); }
  so = (VnServeOpts){"model", "127.0.0.1:0", "model", NULL, 16, 40, 64, 0.8f, 0.95f, 0.05f, 1.0f, 0, 0, 0};
  sv.rt = &rt;
  sv.tok = &tok;
  sv.o = &so;
  pthread_mutex_init(&sv.mu, NULL);
  pthread_cond_init(&sv.cv, NULL);
  if (vn_sampler_init(&sv.s, vn_model.vocab, 1) || !(sv.seq = malloc((size_t)rt.ctx * sizeof *sv.seq))) abort();
  ready = 1;
}

static void one_line(const char *why, const char *where) {
  if (!why || !why[0] || strchr(why, '\n')) {
    fprintf(stderr, "fuzz: %s: a refusal must be one line, said: '%s'\n", where, why ? why : "(null)");
    abort();
  }
  Reply e;
  reply_set(&e, MHD_HTTP_BAD_REQUEST, "invalid_request_error", NULL, "%s", why);
  json_t *j = reply_json(&e);
  if (!j) { fprintf(stderr, "fuzz: %s: the error response does not serialize: '%s'\n", where, why); abort(); }
  json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  if (!ready) setup();
  if (n > 65536) return 0;
  char *buf = malloc(n + 1);
  if (!buf) return 0;
  memcpy(buf, d, n);
  buf[n] = 0;
  const char *method = "POST", *url = "/v1/chat/completions";
  char *nl = memchr(buf, '\n', n), *body = buf;
  if (nl) {
    *nl = 0;
    char *sp = strchr(buf, ' ');
    if (sp) { *sp = 0; method = buf; url = sp + 1; }
    else url = buf;
    body = nl + 1;
  }
  size_t blen = n - (size_t)(body - buf);
  Body b = {blen ? body : NULL, blen, 0};
  Reply e;
  json_t *req;
  int ep = parse_request(url, method, &b, 1, 0, &req, &e);
  if (ep == EP_ERR) {
    if (!e.msg[0] || strchr(e.msg, '\n') || e.status < 400) { fprintf(stderr, "fuzz: bad error reply '%s'\n", e.msg); abort(); }
    json_t *j = reply_json(&e);
    if (!j) { fprintf(stderr, "fuzz: the error response does not serialize: '%s'\n", e.msg); abort(); }
    json_decref(j);
  } else if (ep == EP_CHAT || ep == EP_COMPL) {
    /* a chat request: through the chat template, then each chat format of the model's spec */
    int nway = ep == EP_CHAT ? 1 + vn_model.nchat : 1;
    for (int way = 0; way < nway; way++) {
      Gen *g = calloc(1, sizeof *g);
      if (!g) abort();
      g->sv = &sv;
      g->chat = ep == EP_CHAT;
      so.template_chat = way == 0 && vn_model.chat_jinja;
      so.fmt = way > 0 ? &vn_model.chat[way - 1] : NULL;
      const char *why = read_params(&sv, g, req);
      int np = 0;
      if (!why) why = gen_prompt(g, req, &np);
      if (why) one_line(why, "generate");
      else if (np <= 0 || np > rt.ctx) { fprintf(stderr, "fuzz: a prompt of %d tokens passed\n", np); abort(); }
      gen_free(g);
    }
  } else if (ep == EP_EMB) {
    json_t *in = json_object_get(req, "input");
    int many = json_is_array(in) && json_array_size(in) > 0 && !json_is_integer(json_array_get(in, 0));
    size_t nin = many ? json_array_size(in) : 1;
    for (size_t k = 0; in && k < nin && k < 64; k++) {
      int nt;
      const char *why = embed_input(&sv, many ? json_array_get(in, k) : in, &nt);
      if (why) { one_line(why, "embeddings"); break; }
      if (nt <= 0 || nt > rt.ctx) { fprintf(stderr, "fuzz: an input of %d tokens passed\n", nt); abort(); }
    }
  }
  json_decref(req);
  free(buf);
  return 0;
}
