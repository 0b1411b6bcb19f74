/* server.c: `OUT --serve HOST:PORT`, the OpenAI-compatible HTTP API of a
 * model binary built with `venusc compile --server` (VN_SERVER; host targets
 * only). libmicrohttpd serves the connections, one thread each; jansson
 * reads and writes the JSON. Without VN_SERVER this file is empty and the
 * runtime stays libc-only.
 *
 * Endpoints: POST /v1/completions and /v1/chat/completions (SSE streaming
 * with "stream": true: `data: {...}` events ending with `data: [DONE]`),
 * POST /v1/embeddings (models with hidden states: encoders; input a string,
 * a list of strings, a list of token ids or a list of such lists;
 * encoding_format float or base64), GET /v1/models (one id: the model's
 * name), GET /health. An encoder model serves embeddings only.
 *
 * There is one model state (VnRt): a request takes the model for the whole
 * of its generation, the others wait their turn (a ticket, not a mutex, so
 * a streaming response may give it back from whatever thread libmicrohttpd
 * ends it on). Every request starts from position 0. Bodies over 1 MiB get
 * 413; malformed requests a 4xx with an OpenAI-style error body. */
#include "runtime.h"
#ifdef VN_SERVER
#include "tokenizer.h"
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY (1u << 20)
#define MAX_STOP 8

typedef struct Server {
  VnRt *rt;
  const VnTok *tok;
  const VnServeOpts *o;
  VnSampler s;
  int32_t *seq;              /* [ctx] the request's tokens */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int busy;                  /* a request holds the model */
  unsigned long next_id;
  char chat_err[700];        /* a chat template's message about a request (with the model held) */
} Server;

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static void take_model(Server *sv) {
  pthread_mutex_lock(&sv->mu);
  while (sv->busy) pthread_cond_wait(&sv->cv, &sv->mu);
  sv->busy = 1;
  pthread_mutex_unlock(&sv->mu);
}

static void give_model(Server *sv) {
  pthread_mutex_lock(&sv->mu);
  sv->busy = 0;
  pthread_cond_signal(&sv->cv);
  pthread_mutex_unlock(&sv->mu);
}

/* ---- responses ---- */
static enum MHD_Result send_text(struct MHD_Connection *c, unsigned code, const char *type, char *body) {
  struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
  if (!r) { free(body); return MHD_NO; }
  MHD_add_response_header(r, "Content-Type", type);
  enum MHD_Result ok = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  return ok;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned code, json_t *j) {
  char *body = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  if (!body) return MHD_NO;
  return send_text(c, code, "application/json", body);
}

/* msg as valid UTF-8 on one line (JSON strings must be): a request's URL
 * or method, decoded from %XX, may hold any byte, and a message cut at its
 * buffer's end may end inside a character; those bytes become '?'. */
static void utf8_clean(char *s) {
  unsigned char *p = (unsigned char *)s;
  while (*p) {
    int k = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
    unsigned c = k == 1 ? *p & 0x1fu : k == 2 ? *p & 0x0fu : *p & 0x07u;
    int ok = k >= 0;
    for (int i = 1; ok && i <= k; i++) {
      if ((p[i] & 0xc0) != 0x80) ok = 0;
      else c = c << 6 | (p[i] & 0x3fu);
    }
    if (ok && k > 0 && (c < (k == 1 ? 0x80u : k == 2 ? 0x800u : 0x10000u) || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))) ok = 0;
    if (!ok || *p < 0x20 || *p == 0x7f) { *p++ = '?'; continue; }
    p += k + 1;
  }
}

/* An error response: status, OpenAI's type and code, one line of message. */
typedef struct Reply {
  unsigned status;
  const char *type, *ecode;
  char msg[512];
} Reply;

static void reply_set(Reply *e, unsigned status, const char *type, const char *ecode, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void reply_set(Reply *e, unsigned status, const char *type, const char *ecode, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  utf8_clean(e->msg);
  e->status = status;
  e->type = type;
  e->ecode = ecode;
}

/* {"error": {"message", "type", "code"}} */
static json_t *reply_json(const Reply *e) {
  return json_pack("{s:{s:s, s:s, s:s?}}", "error", "message", e->msg, "type", e->type, "code", e->ecode);
}

static enum MHD_Result send_reply(struct MHD_Connection *c, const Reply *e) {
  json_t *j = reply_json(e);
  if (!j) return MHD_NO;
  return send_json(c, e->status, j);
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned code, const char *type, const char *ecode,
                                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned code, const char *type, const char *ecode,
                                  const char *fmt, ...) {
  Reply e = {code, type, ecode, ""};
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e.msg, sizeof e.msg, fmt, ap);
  va_end(ap);
  utf8_clean(e.msg);
  return send_reply(c, &e);
}
#define BAD(c, ...) send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_request_error", NULL, __VA_ARGS__)

/* ---- a generation request ---- */
typedef struct Gen {
  Server *sv;
  int chat, stream;
  int max_tokens;
  char *stop[MAX_STOP];
  int nstop;
  char id[48];
  long created;
  int n_prompt, n, gen;      /* prompt tokens; tokens in seq; tokens generated */
  int holding, done, stopped, sent_done, sent_role;
  const char *finish;        /* "stop" or "length" */
  VnTokStream ts;
  char *text;                /* generated text so far (malloc'ed) */
  size_t tlen, tcap, emitted;/* emitted: bytes of text already sent (streaming) */
  char *out;                 /* pending SSE bytes */
  size_t olen, opos;
} Gen;

static void gen_free(Gen *g) {
  if (!g) return;
  if (g->holding) give_model(g->sv);
  for (int i = 0; i < g->nstop; i++) free(g->stop[i]);
  free(g->text);
  free(g->out);
  free(g);
}

static int text_put(Gen *g, const char *s, size_t n) {
  if (g->tlen + n + 1 > g->tcap) {
    size_t cap = g->tcap ? g->tcap * 2 : 1024;
    while (cap < g->tlen + n + 1) cap *= 2;
    char *p = realloc(g->text, cap);
    if (!p) return -1;
    g->text = p;
    g->tcap = cap;
  }
  memcpy(g->text + g->tlen, s, n);
  g->tlen += n;
  g->text[g->tlen] = 0;
  return 0;
}

static int is_eos(const VnTok *tok, int32_t id) {
  for (int i = 0; i < vn_model.neos; i++) if (vn_model.eos[i] == id) return 1;
  return vn_tok_is_eog(tok, id);
}

/* The text of one message's content: a string, or OpenAI's list of parts
 * ({"type": "text", "text": ...}; other parts are refused). NULL: bad. */
static char *content_text(json_t *c, const char **why) {
  if (json_is_string(c)) return strdup(json_string_value(c));
  if (json_is_null(c)) return strdup("");
  if (!json_is_array(c)) { *why = "a message's content must be a string or a list of text parts"; return NULL; }
  size_t n = 0, i;
  json_t *p;
  json_array_foreach(c, i, p) {
    json_t *t = json_object_get(p, "text");
    if (!json_is_string(t)) { *why = "only text parts are supported in a message's content"; return NULL; }
    n += json_string_length(t);
  }
  char *s = malloc(n + 1), *o = s;
  if (!s) { *why = "out of memory"; return NULL; }
  json_array_foreach(c, i, p) {
    json_t *t = json_object_get(p, "text");
    memcpy(o, json_string_value(t), json_string_length(t));
    o += json_string_length(t);
  }
  *o = 0;
  return s;
}

/* append text's ids to sv->seq at *n; 0, or -1 when they do not fit */
static int put_text(Server *sv, const char *text, int add_special, int *n) {
  size_t len = strlen(text);
  size_t wcap = vn_tok_work_size(sv->tok, len);
  void *work = malloc(wcap ? wcap : 1);
  if (!work) return -2;
  long room = sv->rt->ctx - *n;
  long k = vn_tok_encode(sv->tok, text, len, add_special, sv->seq + *n, room, work, wcap);
  free(work);
  if (k < 0) return -2;
  if (k > room) return -1;
  *n += (int)k;
  return 0;
}

/* The chat prompt by the model's own chat template (jinja.c): the messages
 * as given (the role "developer" read as "system"), the last one the user's;
 * kw: the request's chat_template_kwargs (enable_thinking is read). */
static const char *chat_prompt_template(Server *sv, json_t *msgs, json_t *kw, int *n) {
  if (!json_is_array(msgs) || json_array_size(msgs) == 0) return "'messages' must be a non-empty list";
  json_t *et = json_object_get(kw, "enable_thinking");
  if (kw && !json_is_object(kw)) return "'chat_template_kwargs' must be an object";
  if (et && !json_is_boolean(et)) return "'chat_template_kwargs.enable_thinking' must be true or false";
  int think = et ? json_is_true(et) : -1;
  size_t nm = json_array_size(msgs);
  VnChatMsg *m = calloc(nm, sizeof *m);
  const char *why = m ? NULL : "out of memory";
  size_t got = 0;
  for (; m && got < nm; got++) {
    json_t *e = json_array_get(msgs, got);
    const char *role = json_is_object(e) ? json_string_value(json_object_get(e, "role")) : NULL;
    if (!role) { why = "each message must be an object with 'role' and 'content'"; break; }
    char *c = content_text(json_object_get(e, "content"), &why);
    if (!c) break;
    m[got] = (VnChatMsg){!strcmp(role, "developer") ? "system" : role, c};
  }
  if (!why && strcmp(m[nm - 1].role, "user")) why = "the last message must be the user's";
  char *text = NULL;
  if (!why) {
    char err[600];
    text = vn_chat_render(m, (int)nm, 1, think, err, sizeof err);
    if (!text) { snprintf(sv->chat_err, sizeof sv->chat_err, "the model's chat template refuses these messages: %s", err); why = sv->chat_err; }
  }
  for (size_t i = 0; i < got; i++) free((char *)m[i].content);
  free(m);
  if (text) {
    *n = 0;
    int rc = put_text(sv, text, 0, n);  /* as apply_chat_template: the template writes any BOS itself */
    if (rc == -1) why = "context_length_exceeded";
    else if (rc) why = "the messages cannot be tokenized";
    free(text);
  }
  return why;
}

/* The chat prompt: the model's chat format over the messages (system
 * first, user and assistant turns in order, the last one a user turn). */
static const char *chat_prompt(Server *sv, json_t *msgs, json_t *kw, int *n) {
  if (sv->o->template_chat) return chat_prompt_template(sv, msgs, kw, n);
  const VnChatFmt *f = sv->o->fmt;
  if (!f) return "this model has no chat format: use /v1/completions";
  if (!json_is_array(msgs) || json_array_size(msgs) == 0) return "'messages' must be a non-empty list";
  const char *why = NULL;
  char *system = NULL;
  size_t i = 0, nm = json_array_size(msgs);
  json_t *m0 = json_array_get(msgs, 0);
  if (!json_is_object(m0)) return "each message must be an object with 'role' and 'content'";
  const char *r0 = json_string_value(json_object_get(m0, "role"));
  if (r0 && (!strcmp(r0, "system") || !strcmp(r0, "developer"))) {
    if (!(system = content_text(json_object_get(m0, "content"), &why))) return why;
    i = 1;
  }
  *n = 0;
  if (f->bos && sv->tok->bos_id >= 0) sv->seq[(*n)++] = sv->tok->bos_id;
  int first = 1, last_user = 0;
  for (; i < nm; i++) {
    json_t *m = json_array_get(msgs, i);
    const char *role = json_is_object(m) ? json_string_value(json_object_get(m, "role")) : NULL;
    if (!role) { why = "each message must be an object with 'role' and 'content'"; break; }
    char *c = content_text(json_object_get(m, "content"), &why);
    if (!c) break;
    int rc = 0;
    if (!strcmp(role, "user")) {
      char *turn = vn_chat_turn(f, first, first ? system : NULL, c);
      if (!turn) { free(c); why = "out of memory"; break; }
      rc = put_text(sv, turn, 0, n);
      free(turn);
      first = 0;
      last_user = 1;
    } else if (!strcmp(role, "assistant")) {
      if (first) { free(c); why = "the first turn after the system message must be the user's"; break; }
      rc = put_text(sv, c, 0, n);
      last_user = 0;
    } else {
      free(c);
      why = "a message's role must be system (first), user or assistant";
      break;
    }
    free(c);
    if (rc == -1) { why = "context_length_exceeded"; break; }
    if (rc) { why = "the messages cannot be tokenized"; break; }
  }
  free(system);
  if (!why && !last_user) why = "the last message must be the user's";
  return why;
}

/* read the sampling and stopping fields; NULL or what is wrong */
static const char *read_params(Server *sv, Gen *g, json_t *req) {
  const VnServeOpts *o = sv->o;
  VnSampler *s = &sv->s;
  s->temp = o->temp; s->top_k = o->top_k; s->top_p = o->top_p; s->min_p = o->min_p;
  s->repeat_penalty = o->repeat_penalty; s->repeat_last_n = o->repeat_last_n;
  json_t *v;
  g->max_tokens = o->n_predict;
  if ((v = json_object_get(req, "max_completion_tokens")) || (v = json_object_get(req, "max_tokens"))) {
    if (json_is_null(v)) ;
    else if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > (1 << 30)) return "'max_tokens' must be a non-negative integer";
    else g->max_tokens = (int)json_integer_value(v);
  }
  if ((v = json_object_get(req, "temperature")) && !json_is_null(v)) {
    if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 100) return "'temperature' must be a number >= 0";
    s->temp = (float)json_number_value(v);
  }
  if ((v = json_object_get(req, "top_p")) && !json_is_null(v)) {
    if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1) return "'top_p' must be a number in [0, 1]";
    s->top_p = (float)json_number_value(v);
  }
  if ((v = json_object_get(req, "min_p")) && !json_is_null(v)) {
    if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1) return "'min_p' must be a number in [0, 1]";
    s->min_p = (float)json_number_value(v);
  }
  if ((v = json_object_get(req, "top_k")) && !json_is_null(v)) {
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > (1 << 30)) return "'top_k' must be a non-negative integer";
    s->top_k = (int)json_integer_value(v);
  }
  if ((v = json_object_get(req, "repetition_penalty")) && !json_is_null(v)) {
    if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 100) return "'repetition_penalty' must be a number >= 0";
    s->repeat_penalty = (float)json_number_value(v);
  }
  s->rng = (uint64_t)time(NULL) ^ ((uint64_t)sv->next_id << 32) ^ 0x5deece66dull;
  if ((v = json_object_get(req, "seed")) && !json_is_null(v)) {
    if (!json_is_integer(v)) return "'seed' must be an integer";
    s->rng = (uint64_t)json_integer_value(v);
    if (!s->rng) s->rng = 0x9e3779b97f4a7c15ull;
  }
  if ((v = json_object_get(req, "n")) && !json_is_null(v) && !(json_is_integer(v) && json_integer_value(v) == 1))
    return "only 'n': 1 is supported";
  if ((v = json_object_get(req, "stream")) && !json_is_null(v)) {
    if (!json_is_boolean(v)) return "'stream' must be true or false";
    g->stream = json_is_true(v);
  }
  if ((v = json_object_get(req, "stop")) && !json_is_null(v)) {
    if (json_is_string(v)) {
      if (json_string_length(v)) g->stop[g->nstop++] = strdup(json_string_value(v));
    } else if (json_is_array(v) && json_array_size(v) <= MAX_STOP) {
      size_t i;
      json_t *x;
      json_array_foreach(v, i, x) {
        if (!json_is_string(x)) return "'stop' must be a string or a list of strings";
        if (json_string_length(x)) g->stop[g->nstop++] = strdup(json_string_value(x));
      }
    } else return "'stop' must be a string or a list of at most 8 strings";
    for (int i = 0; i < g->nstop; i++) if (!g->stop[i]) return "out of memory";
  }
  return NULL;
}

static const char *find_bytes(const char *h, size_t hn, const char *n, size_t nn) {
  for (size_t i = 0; nn && i + nn <= hn; i++)
    if (h[i] == n[0] && !memcmp(h + i, n, nn)) return h + i;
  return NULL;
}

/* the first stop string in text[from..), as an offset, or -1 */
static long find_stop(const Gen *g, size_t from) {
  long best = -1;
  for (int i = 0; i < g->nstop; i++) {
    size_t sl = strlen(g->stop[i]);
    size_t start = from >= sl ? from - sl + 1 : 0;
    const char *p = g->tlen >= sl ? find_bytes(g->text + start, g->tlen - start, g->stop[i], sl) : NULL;
    if (p && (best < 0 || p - g->text < best)) best = p - g->text;
  }
  return best;
}

/* bytes at the end of text that may begin a stop string (held back when streaming) */
static size_t stop_prefix(const Gen *g) {
  size_t hold = 0;
  for (int i = 0; i < g->nstop; i++) {
    size_t sl = strlen(g->stop[i]);
    for (size_t k = sl - 1; k > hold; k--)
      if (k <= g->tlen && !memcmp(g->text + g->tlen - k, g->stop[i], k)) { hold = k; break; }
  }
  return hold;
}

/* One generated token (or the end): feeds the sampler's choice back into
 * the model. Sets g->done and g->finish at the end. With the context full
 * (g->n == ctx) the last position's logits still give one token: it is
 * sent and counted (g->n becomes ctx + 1) but never fed or stored. */
static void gen_step(Gen *g) {
  Server *sv = g->sv;
  VnRt *rt = sv->rt;
  char buf[1024];
  if (g->gen >= g->max_tokens || g->n > rt->ctx) {
    g->done = 1;
    g->finish = "length";
    return;
  }
  int32_t next = vn_sample(&sv->s, vn_rt_logits(rt), sv->seq, g->n);
  g->gen++;
  if (is_eos(sv->tok, next)) { g->done = 1; g->finish = "stop"; return; }
  int last = g->n == rt->ctx;
  if (!last) sv->seq[g->n] = next;
  size_t from = g->tlen;
  size_t k = vn_tok_stream_next(&g->ts, next, buf, sizeof buf);
  if (text_put(g, buf, k)) { g->done = 1; g->finish = "length"; return; }
  long at = g->nstop ? find_stop(g, from) : -1;
  if (at >= 0) {
    g->tlen = (size_t)at;
    g->text[g->tlen] = 0;
    g->done = g->stopped = 1;
    g->finish = "stop";
    return;
  }
  if (last) { g->n++; g->done = 1; g->finish = "length"; return; }
  vn_rt_begin_step(rt, 1, g->n);
  vn_model_step(rt, &sv->seq[g->n], 1, g->n, 0);
  g->n++;
}

static void gen_flush(Gen *g) {
  char buf[256];
  size_t k = vn_tok_stream_flush(&g->ts, buf, sizeof buf);
  if (k && !g->stopped) text_put(g, buf, k);
}

/* tokenize the request's prompt (messages or prompt) into sv->seq[0..*np);
 * NULL or what is wrong. The model is not run. */
static const char *gen_prompt(Gen *g, json_t *req, int *np) {
  Server *sv = g->sv;
  int n = 0;
  if (g->chat) {
    const char *why = chat_prompt(sv, json_object_get(req, "messages"), json_object_get(req, "chat_template_kwargs"), &n);
    if (why) return why;
  } else {
    json_t *p = json_object_get(req, "prompt");
    if (json_is_array(p) && json_array_size(p) == 1 && json_is_string(json_array_get(p, 0))) p = json_array_get(p, 0);
    if (!json_is_string(p)) return "'prompt' must be a string";
    int rc = put_text(sv, json_string_value(p), 1, &n);
    if (rc == -1) return "context_length_exceeded";
    if (rc) return "the prompt cannot be tokenized";
    if (n == 0) return "the prompt gives no tokens";
  }
  if (n > sv->rt->ctx) return "context_length_exceeded";  /* n == ctx still gives one token */
  *np = n;
  return NULL;
}

/* tokenize the request's prompt into sv->seq and run it */
static const char *gen_start(Gen *g, json_t *req) {
  Server *sv = g->sv;
  int n = 0;
  const char *why = gen_prompt(g, req, &n);
  if (why) return why;
  g->n_prompt = g->n = n;
  sv->rt->seq_len = n;
  int tmax = (int)sv->rt->m->t_max;
  for (int i = 0; i < n; i += tmax) {
    int T = n - i < tmax ? n - i : tmax;
    vn_rt_begin_step(sv->rt, T, i);
    vn_model_step(sv->rt, sv->seq + i, T, i, 0);
  }
  sv->rt->seq_len = 0;
  vn_tok_stream_init(&g->ts, sv->tok);
  return NULL;
}

static json_t *usage_json(const Gen *g) {
  return json_pack("{s:i, s:i, s:i}", "prompt_tokens", g->n_prompt, "completion_tokens", g->n - g->n_prompt,
                   "total_tokens", g->n);
}

/* ---- streaming (SSE) ---- */
static int sse_put(Gen *g, json_t *j) {
  char *s = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  if (!s) return -1;
  size_t l = strlen(s);
  char *o = realloc(g->out, g->olen + l + 8);
  if (!o) { free(s); return -1; }
  g->out = o;
  memcpy(g->out + g->olen, "data: ", 6);
  memcpy(g->out + g->olen + 6, s, l);
  memcpy(g->out + g->olen + 6 + l, "\n\n", 2);
  g->olen += l + 8;
  free(s);
  return 0;
}

static json_t *chunk_json(Gen *g, const char *text, size_t len, const char *finish) {
  const char *name = g->sv->o->model_name;
  json_t *choice;
  if (g->chat) {
    json_t *delta = json_object();
    if (!g->sent_role) { json_object_set_new(delta, "role", json_string("assistant")); g->sent_role = 1; }
    if (text) json_object_set_new(delta, "content", json_stringn(text, len));
    choice = json_pack("{s:i, s:o, s:s?}", "index", 0, "delta", delta, "finish_reason", finish);
  } else {
    choice = json_pack("{s:i, s:s%, s:s?}", "index", 0, "text", text ? text : "", text ? len : 0, "finish_reason", finish);
  }
  if (!finish) json_object_set_new(choice, "finish_reason", json_null());
  json_t *j = json_pack("{s:s, s:s, s:i, s:s, s:[o]}", "id", g->id, "object",
                        g->chat ? "chat.completion.chunk" : "text_completion", "created", (json_int_t)g->created,
                        "model", name, "choices", choice);
  if (finish) json_object_set_new(j, "usage", usage_json(g));
  return j;
}

static ssize_t sse_reader(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  Gen *g = cls;
  while (g->opos == g->olen) {
    free(g->out);
    g->out = NULL;
    g->olen = g->opos = 0;
    if (g->sent_done) return MHD_CONTENT_READER_END_OF_STREAM;
    if (g->done) {
      gen_flush(g);
      if (g->tlen > g->emitted) sse_put(g, chunk_json(g, g->text + g->emitted, g->tlen - g->emitted, NULL));
      g->emitted = g->tlen;
      sse_put(g, chunk_json(g, NULL, 0, g->finish));
      char *o = realloc(g->out, g->olen + 14);
      if (o) { g->out = o; memcpy(g->out + g->olen, "data: [DONE]\n\n", 14); g->olen += 14; }
      g->sent_done = 1;
      if (g->holding) { give_model(g->sv); g->holding = 0; }
      if (!g->olen) return MHD_CONTENT_READER_END_OF_STREAM;
      continue;
    }
    if (!g->sent_role && g->chat) { sse_put(g, chunk_json(g, "", 0, NULL)); continue; }
    gen_step(g);
    if (g->done) continue;
    size_t hold = stop_prefix(g), upto = g->tlen - hold;
    if (upto > g->emitted) {
      sse_put(g, chunk_json(g, g->text + g->emitted, upto - g->emitted, NULL));
      g->emitted = upto;
    }
  }
  size_t k = g->olen - g->opos < max ? g->olen - g->opos : max;
  memcpy(buf, g->out + g->opos, k);
  g->opos += k;
  return (ssize_t)k;
}

static void sse_free(void *cls) { gen_free(cls); }

/* ---- the request handlers ---- */
static enum MHD_Result handle_generate(Server *sv, struct MHD_Connection *c, json_t *req, int chat) {
  Gen *g = calloc(1, sizeof *g);
  if (!g) return send_error(c, 500, "server_error", NULL, "out of memory");
  g->sv = sv;
  g->chat = chat;
  g->created = (long)time(NULL);
  take_model(sv);
  g->holding = 1;
  snprintf(g->id, sizeof g->id, "%s-%lu", chat ? "chatcmpl" : "cmpl", ++sv->next_id);
  const char *why = read_params(sv, g, req);
  if (!why) why = gen_start(g, req);
  if (why) {
    gen_free(g);
    if (!strcmp(why, "context_length_exceeded"))
      return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_request_error", "context_length_exceeded",
                        "the prompt does not fit the context of %d tokens", sv->rt->ctx);
    return BAD(c, "%s", why);
  }
  if (g->stream) {
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_reader, g, sse_free);
    if (!r) { gen_free(g); return MHD_NO; }
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
  }
  while (!g->done) gen_step(g);
  gen_flush(g);
  give_model(sv);
  g->holding = 0;
  json_t *choice = chat ? json_pack("{s:i, s:{s:s, s:s%}, s:s}", "index", 0, "message", "role", "assistant", "content",
                                    g->text ? g->text : "", g->tlen, "finish_reason", g->finish)
                        : json_pack("{s:i, s:s%, s:s}", "index", 0, "text", g->text ? g->text : "", g->tlen,
                                    "finish_reason", g->finish);
  json_t *j = json_pack("{s:s, s:s, s:i, s:s, s:[o], s:o}", "id", g->id, "object", chat ? "chat.completion" : "text_completion",
                        "created", (json_int_t)g->created, "model", sv->o->model_name, "choices", choice, "usage", usage_json(g));
  gen_free(g);
  if (!j) return send_error(c, 500, "server_error", NULL, "cannot write the response");
  return send_json(c, MHD_HTTP_OK, j);
}

/* ---- an embeddings request ---- */
/* base64 of n bytes (RFC 4648, padded); malloc'ed */
static char *base64(const unsigned char *p, size_t n) {
  static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char *s = malloc((n + 2) / 3 * 4 + 1), *o = s;
  if (!s) return NULL;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    *o++ = abc[v >> 18 & 63];
    *o++ = abc[v >> 12 & 63];
    *o++ = i + 1 < n ? abc[v >> 6 & 63] : '=';
    *o++ = i + 2 < n ? abc[v & 63] : '=';
  }
  *o = 0;
  return s;
}

/* one input (a string, or a list of token ids) into sv->seq[0..*n);
 * NULL or what is wrong */
static const char *embed_input(Server *sv, json_t *in, int *n) {
  *n = 0;
  if (json_is_string(in)) {
    if (!sv->tok) return "this model was compiled without a tokenizer: give token ids";
    int rc = put_text(sv, json_string_value(in), 1, n);
    if (rc == -1) return "context_length_exceeded";
    if (rc) return "the input cannot be tokenized";
  } else if (json_is_array(in)) {
    size_t i;
    json_t *x;
    json_array_foreach(in, i, x) {
      if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) >= vn_model.vocab)
        return "a token id must be an integer in [0, vocab)";
      if (*n >= sv->rt->ctx) return "context_length_exceeded";
      sv->seq[(*n)++] = (int32_t)json_integer_value(x);
    }
  } else return "'input' must be a string, a list of strings, a list of token ids or a list of such lists";
  if (*n == 0) return "an input gives no tokens";
  if (*n > vn_model.t_max) return "context_length_exceeded";
  return NULL;
}

static enum MHD_Result handle_embeddings(Server *sv, struct MHD_Connection *c, json_t *req) {
  const VnModel *m = &vn_model;
  if (!m->hidden_cols) return BAD(c, "this model gives no embeddings (its spec marks no hidden states; encoder models have them)");
  json_t *in = json_object_get(req, "input");
  const char *fmt = json_string_value(json_object_get(req, "encoding_format"));
  json_t *dims = json_object_get(req, "dimensions");
  if (fmt && strcmp(fmt, "float") && strcmp(fmt, "base64")) return BAD(c, "'encoding_format' must be float or base64");
  if (dims && !json_is_null(dims) && (!json_is_integer(dims) || json_integer_value(dims) != m->hidden_cols))
    return BAD(c, "'dimensions' must be the model's, %lld", (long long)m->hidden_cols);
  /* the inputs: one string or id list, or a list of them */
  int many = json_is_array(in) && json_array_size(in) > 0 && !json_is_integer(json_array_get(in, 0));
  size_t nin = many ? json_array_size(in) : 1;
  if (!in || (json_is_array(in) && json_array_size(in) == 0)) return BAD(c, "'input' must not be empty");
  if (nin > 2048) return BAD(c, "at most 2048 inputs in one request");
  float *v = malloc((size_t)m->hidden_cols * sizeof *v);
  json_t *data = json_array();
  if (!v || !data) { free(v); json_decref(data); return send_error(c, 500, "server_error", NULL, "out of memory"); }
  const char *why = NULL;
  long ntok = 0;
  take_model(sv);
  for (size_t k = 0; k < nin && !why; k++) {
    int n;
    if ((why = embed_input(sv, many ? json_array_get(in, k) : in, &n))) break;
    sv->rt->seq_len = n;
    vn_rt_begin_step(sv->rt, n, 0);
    vn_model_step(sv->rt, sv->seq, n, 0, 1);
    sv->rt->seq_len = 0;
    vn_embed_pool(sv->rt, n, sv->o->pooling, sv->o->normalize, v);
    ntok += n;
    json_t *e;
    if (fmt && !strcmp(fmt, "base64")) {  /* float32 little-endian, as the openai clients decode it */
      unsigned char *b = (unsigned char *)v;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
      for (int64_t i = 0; i < m->hidden_cols; i++) { unsigned char t = b[4 * i]; b[4 * i] = b[4 * i + 3]; b[4 * i + 3] = t; t = b[4 * i + 1]; b[4 * i + 1] = b[4 * i + 2]; b[4 * i + 2] = t; }
#endif
      char *s = base64(b, (size_t)m->hidden_cols * 4);
      e = s ? json_string(s) : NULL;
      free(s);
    } else {
      e = json_array();
      for (int64_t i = 0; e && i < m->hidden_cols; i++) json_array_append_new(e, json_real(v[i]));
    }
    if (!e || json_array_append_new(data, json_pack("{s:s, s:i, s:o}", "object", "embedding", "index", (json_int_t)k, "embedding", e)))
      why = "out of memory";
  }
  give_model(sv);
  free(v);
  if (why) {
    json_decref(data);
    if (!strcmp(why, "context_length_exceeded"))
      return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_request_error", "context_length_exceeded",
                        "an input has more tokens than the %lld this model takes in one step", (long long)(m->t_max < sv->rt->ctx ? m->t_max : sv->rt->ctx));
    if (!strcmp(why, "out of memory")) return send_error(c, 500, "server_error", NULL, "out of memory");
    return BAD(c, "%s", why);
  }
  json_t *j = json_pack("{s:s, s:o, s:s, s:{s:i, s:i}}", "object", "list", "data", data, "model", sv->o->model_name, "usage",
                        "prompt_tokens", (json_int_t)ntok, "total_tokens", (json_int_t)ntok);
  if (!j) return send_error(c, 500, "server_error", NULL, "cannot write the response");
  return send_json(c, MHD_HTTP_OK, j);
}

typedef struct Body {
  char *p;
  size_t len;
  int too_big;
} Body;

enum { EP_ERR, EP_HEALTH, EP_MODELS, EP_CHAT, EP_COMPL, EP_EMB };

/* The endpoint a request names, its method and its body checked: the
 * endpoint (EP_*) with *req the body's JSON object for a POST one, or EP_ERR
 * with the error response in *e. No socket and no model: tok and encoder
 * say what the model has. */
static int parse_request(const char *url, const char *method, const Body *b, int have_tok, int encoder, json_t **req,
                         Reply *e) {
  int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
  *req = NULL;
  int ep = !strcmp(url, "/health") ? EP_HEALTH : !strcmp(url, "/v1/models") ? EP_MODELS
         : !strcmp(url, "/v1/chat/completions") ? EP_CHAT : !strcmp(url, "/v1/completions") ? EP_COMPL
         : !strcmp(url, "/v1/embeddings") ? EP_EMB : EP_ERR;
  if (ep == EP_ERR) {
    reply_set(e, MHD_HTTP_NOT_FOUND, "invalid_request_error", "not_found", "no such endpoint: %s %s", method, url);
    return EP_ERR;
  }
  if (ep == EP_HEALTH || ep == EP_MODELS) {
    if (get) return ep;
    reply_set(e, MHD_HTTP_METHOD_NOT_ALLOWED, "invalid_request_error", NULL, "use GET %s", url);
    return EP_ERR;
  }
  if (!post) {
    reply_set(e, MHD_HTTP_METHOD_NOT_ALLOWED, "invalid_request_error", NULL, "use POST %s", url);
    return EP_ERR;
  }
  if (b->too_big) {
    reply_set(e, MHD_HTTP_CONTENT_TOO_LARGE, "invalid_request_error", "request_too_large", "the request body is over %u bytes", MAX_BODY);
    return EP_ERR;
  }
  json_error_t je;
  json_t *j = b->p ? json_loadb(b->p, b->len, JSON_REJECT_DUPLICATES, &je) : NULL;
  if (!j) {
    reply_set(e, MHD_HTTP_BAD_REQUEST, "invalid_request_error", NULL, "the body is not JSON%s%s", b->p ? ": " : "", b->p ? je.text : "");
    return EP_ERR;
  }
  const char *bad = NULL;
  if (!json_is_object(j)) bad = "the body must be a JSON object";
  else if (ep != EP_EMB && encoder) bad = "this is an encoder model: it gives embeddings (/v1/embeddings), it does not generate";
  else if (ep != EP_EMB && !have_tok) bad = "this model was compiled without a tokenizer";
  if (bad) {
    json_decref(j);
    reply_set(e, MHD_HTTP_BAD_REQUEST, "invalid_request_error", NULL, "%s", bad);
    return EP_ERR;
  }
  *req = j;
  return ep;
}

static enum MHD_Result route(Server *sv, struct MHD_Connection *c, const char *url, const char *method, Body *b) {
  Reply e;
  json_t *req;
  int ep = parse_request(url, method, b, sv->tok != NULL, vn_model.encoder_only, &req, &e);
  if (ep == EP_ERR) return send_reply(c, &e);
  if (ep == EP_HEALTH) return send_json(c, MHD_HTTP_OK, json_pack("{s:s}", "status", "ok"));
  if (ep == EP_MODELS)
    return send_json(c, MHD_HTTP_OK, json_pack("{s:s, s:[{s:s, s:s, s:i, s:s}]}", "object", "list", "data", "id",
                                               sv->o->model_name, "object", "model", "created", 0, "owned_by", "venus"));
  enum MHD_Result rc = ep == EP_EMB ? handle_embeddings(sv, c, req) : handle_generate(sv, c, req, ep == EP_CHAT);
  json_decref(req);
  return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *data, size_t *size, void **con_cls) {
  (void)version;
  Server *sv = cls;
  Body *b = *con_cls;
  if (!b) {  /* the headers: keep a body buffer for this request */
    if (!(b = calloc(1, sizeof *b))) return MHD_NO;
    *con_cls = b;
    return MHD_YES;
  }
  if (*size) {
    if (!b->too_big && b->len + *size <= MAX_BODY) {
      char *p = realloc(b->p, b->len + *size + 1);
      if (!p) return MHD_NO;
      b->p = p;
      memcpy(b->p + b->len, data, *size);
      b->len += *size;
      b->p[b->len] = 0;
    } else {
      b->too_big = 1;
      free(b->p);
      b->p = NULL;
      b->len = 0;
    }
    *size = 0;
    return MHD_YES;
  }
  return route(sv, c, url, method, b);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode tc) {
  (void)cls; (void)c; (void)tc;
  Body *b = *con_cls;
  if (b) { free(b->p); free(b); }
  *con_cls = NULL;
}

/* HOST:PORT or [V6HOST]:PORT into an address; NULL or what is wrong */
static const char *parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *sl, char *host, size_t hcap) {
  const char *colon;
  if (spec[0] == '[') {
    const char *e = strchr(spec, ']');
    if (!e || e[1] != ':') return "an IPv6 address is written [ADDR]:PORT";
    snprintf(host, hcap, "%.*s", (int)(e - spec - 1), spec + 1);
    colon = e + 1;
  } else {
    colon = strrchr(spec, ':');
    if (!colon) return "give HOST:PORT (port 0 picks a free one)";
    snprintf(host, hcap, "%.*s", (int)(colon - spec), spec);
  }
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (!colon[1] || *end || port < 0 || port > 65535) return "the port must be a number from 0 to 65535";
  struct addrinfo hints = {0}, *ai = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  char ps[16];
  snprintf(ps, sizeof ps, "%ld", port);
  if (getaddrinfo(host[0] ? host : NULL, ps, &hints, &ai) || !ai) return "the host cannot be resolved";
  memcpy(ss, ai->ai_addr, ai->ai_addrlen);
  *sl = ai->ai_addrlen;
  freeaddrinfo(ai);
  return NULL;
}

int vn_serve(VnRt *rt, const VnTok *tok, const VnServeOpts *o) {
  static Server sv;
  sv.rt = rt;
  sv.tok = tok;
  sv.o = o;
  pthread_mutex_init(&sv.mu, NULL);
  pthread_cond_init(&sv.cv, NULL);
  if (vn_sampler_init(&sv.s, rt->m->vocab, 1) || !(sv.seq = malloc((size_t)rt->ctx * sizeof *sv.seq))) {
    fprintf(stderr, "%s: out of memory\n", o->prog);
    return 1;
  }
  struct sockaddr_storage ss;
  socklen_t sl;
  char host[256];
  const char *why = parse_addr(o->addr, &ss, &sl, host, sizeof host);
  if (why) { fprintf(stderr, "%s: --serve %s: %s\n", o->prog, o->addr, why); return 2; }
  unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
  if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  struct MHD_Daemon *d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &sv,
                                          MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                          MHD_OPTION_NOTIFY_COMPLETED, on_done, &sv,
                                          MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)600,
                                          MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                                          MHD_OPTION_END);
  if (!d) { fprintf(stderr, "%s: --serve %s: cannot listen there: %s\n", o->prog, o->addr, strerror(errno)); return 1; }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  unsigned port = di ? di->port : 0;
  int v6 = ss.ss_family == AF_INET6;
  fprintf(stderr, "%s: listening on http://%s%s%s:%u\n", o->prog, v6 ? "[" : "", host[0] ? host : (v6 ? "::" : "0.0.0.0"),
          v6 ? "]" : "", port);
  fflush(stderr);
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  while (!stop_flag) pause();
  MHD_stop_daemon(d);
  free(sv.seq);
  vn_sampler_free(&sv.s);
  fprintf(stderr, "%s: stopped\n", o->prog);
  return 0;
}
#endif
