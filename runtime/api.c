/* api.c: the C API of a model compiled as a library (venusc compile --lib;
 * the header is vnapi.h, written into the library's directory as NAME.h).
 * It is a thin layer over the runtime every model binary runs: vn_rt_init
 * and vn_model_step for evaluation, vn_sample for sampling, the tokenizer's
 * encode and streaming decode for text, as cli.c uses them.
 *
 * Only library builds compile the API (-DVN_LIB, with -DVN_LIB_PREFIX=NAME
 * and -DVN_LIB_UPREFIX=NAME in capitals, and vn_api.h the header with NAME
 * put in). Every function here
 * is exported under the NAME prefix and nothing else is: the library is
 * compiled with -fvisibility=hidden and its objects are linked into one
 * whose hidden symbols are made local (codegen/build.c), so two models'
 * runtimes never meet in one program.
 *
 * State: all of it lives in the context (no mutable static data anywhere
 * in the library), so contexts are independent and one per thread is safe.
 * Nothing is allocated in the generation loop: a context allocates its
 * history, sampler scratch and text buffer when it is opened.
 *
 * The first part of the file is in every build: what the model binary's
 * command line (cli.c) and the library share, so that both run the model,
 * choose the context and the sampling defaults and recognize the end of a
 * sequence the same way. */
#include "runtime.h"
#include <stdlib.h>
#include <string.h>
#ifndef VN_BAREMETAL
#include <unistd.h>
#endif

void vn_rt_run(VnRt *rt, const int32_t *ids, int n, int pos, int all_logits, VnStepCb cb, void *u) {
  int tmax = (int)rt->m->t_max;
  rt->seq_len = pos + n;  /* RoPE that depends on the length sees the whole prompt, as one pass would */
  for (int i = 0; i < n; i += tmax) {
    int T = n - i < tmax ? n - i : tmax;
    vn_rt_begin_step(rt, T, pos + i);
    vn_model_step(rt, ids + i, T, pos + i, all_logits);
    if (cb) cb(u, vn_rt_logits(rt), T, pos + i);
  }
  rt->seq_len = 0;
}

void vn_rt_encode(VnRt *rt, const void *in, int T) {
  rt->m->encode(rt, in, T);
  rt->enc_len = T;
}

int vn_rt_default_ctx(const VnModel *m, long long *trained) {
  long long c = m->max_pos > 0 ? m->max_pos : 4096;
  if (c > (1 << 24)) c = 1 << 24;
  if (trained) *trained = c;
#if !defined(VN_BAREMETAL) && defined(_SC_PHYS_PAGES)
  long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
  double quarter = pages > 0 && psz > 0 ? (double)pages * (double)psz / 4 : 0;
  if (quarter > 0 && m->state_row_bytes > 0 && (double)c * (double)m->state_row_bytes > quarter) {
    long long p = 2;
    while ((double)(p * 2) * (double)m->state_row_bytes <= quarter && p * 2 < c) p *= 2;
    c = p;
  }
#endif
  return (int)c;
}

void vn_sampler_defaults(const VnModel *m, VnSampler *s, int *max_new) {
  const VnGenCfg *g = &m->gen;
  s->temp = 0.8f; s->top_k = 40; s->top_p = 0.95f; s->min_p = 0.05f; s->repeat_penalty = 1.0f; s->repeat_last_n = 64;
  *max_new = 0;
  if (!g->set) return;
  s->temp = g->sample ? g->temp : 0.0f;
  s->top_k = g->top_k; s->top_p = g->top_p; s->min_p = g->min_p; s->repeat_penalty = g->rep;
  *max_new = g->max_new > 0 ? g->max_new : 0;
}

int vn_is_eos(const VnModel *m, const VnTok *tok, int32_t id) {
  for (int i = 0; i < m->neos; i++) if (m->eos[i] == id) return 1;
  return tok && vn_tok_is_eog(tok, id);
}

#ifdef VN_LIB
#include "vn_api.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define API(x) CAT(VN_LIB_PREFIX, x)          /* NAME_x */
#define K(x) CAT(VN_LIB_UPREFIX, x)           /* NAME_X */
#define EXPORT __attribute__((visibility("default")))

typedef struct API(ctx) Ctx;
typedef API(sampling) Sampling;

struct API(ctx) {
  VnRt rt;
  int rt_ok;
  VnTok tok;
  int have_tok;
  VnSampler s;
  int seeded;                 /* the generator was seeded from `seed` */
  uint64_t seed;
  int ctx;                    /* positions the state holds */
  int32_t *hist;              /* [ctx] the tokens of the state */
  int n;                      /* tokens in hist */
  int pending;                /* hist[n-1] is picked but its step has not run */
  const float *last;          /* the last position's output row, or NULL */
  float *work;                /* [row] the logits a draw may change (penalties) */
  char *obuf;                 /* streamed text of one token */
  size_t obuf_cap;
  char msg[1024];             /* the last failure */
};

static const VnModel *const M = &vn_model;

static int64_t row_size(void) { return M->out_cols ? M->out_cols : M->vocab; }

static int fail(Ctx *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(Ctx *c, int code, const char *fmt, ...) {
  if (!c) return code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->msg, sizeof c->msg, fmt, ap);
  va_end(ap);
  return code;
}

EXPORT void API(default_params)(API(params) *p) {
  if (!p) return;
  p->ctx = 0;
  p->threads = 0;
}

EXPORT const char *API(strerror)(int code) {
  switch (code) {
  case 0: return "ok";
  case K(ERR_ARG): return "bad argument";
  case K(ERR_IO): return "cannot use the weight file";
  case K(ERR_NOMEM): return "out of memory";
  case K(ERR_NO_TOKENIZER): return "the model was compiled without a tokenizer";
  case K(ERR_FULL): return "the context is full";
  case K(ERR_UNSUPPORTED): return "not supported by this model";
  case K(ERR_SPACE): return "the output buffer is too small";
  case K(ERR_CPU): return "this CPU lacks an instruction set the library needs";
  default: return "unknown error code";
  }
}

EXPORT const char *API(errmsg)(const Ctx *c) { return c ? c->msg : "out of memory"; }

EXPORT int API(open)(const char *path, const API(params) *p, Ctx **out) {
  char err[1024];
  if (!out) return K(ERR_ARG);
  *out = NULL;
  Ctx *c = calloc(1, sizeof *c);
  if (!c) return K(ERR_NOMEM);
  *out = c;
  c->pending = 0;
  if (vn_cpu_check(err, sizeof err)) return fail(c, K(ERR_CPU), "%s", err);
  if (!path) return fail(c, K(ERR_ARG), "open: no weight file path");
  int ctx = p && p->ctx > 0 ? p->ctx : 0, threads = p && p->threads > 0 ? p->threads : 0;
  if (p && (p->ctx < 0 || p->threads < 0)) return fail(c, K(ERR_ARG), "open: params.ctx and params.threads must be >= 0");
  if (!ctx) {
    ctx = vn_rt_default_ctx(M, NULL);
    if (M->encoder_only && ctx > M->t_max) ctx = (int)M->t_max;
    if (M->max_ctx > 0 && ctx > M->max_ctx) ctx = (int)M->max_ctx;
  } else if (M->max_ctx > 0 && ctx > M->max_ctx)
    return fail(c, K(ERR_ARG), "open: params.ctx %d: this model has only %lld positions", ctx, (long long)M->max_ctx);
  if (ctx < 2) ctx = 2;
  if (!threads) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    threads = cores > 0 ? (int)cores : 1;
  }
  if (M->tok_blob) {
    if (vn_tok_load(&c->tok, M->tok_blob, M->tok_len)) return fail(c, K(ERR_IO), "the tokenizer data in this library is corrupt");
    c->have_tok = 1;
  }
  if (vn_rt_init(&c->rt, M, path, ctx, threads, err, sizeof err)) {
    vn_rt_free(&c->rt);
    memset(&c->rt, 0, sizeof c->rt);
    return fail(c, K(ERR_IO), "%s", err);
  }
  c->rt_ok = 1;
  c->ctx = ctx;
  c->obuf_cap = c->have_tok ? vn_tok_stream_room(&c->tok) : 1;
  if (c->obuf_cap < 1024) c->obuf_cap = 1024;
  c->hist = malloc((size_t)ctx * sizeof *c->hist);
  c->work = malloc((size_t)row_size() * sizeof *c->work);
  c->obuf = malloc(c->obuf_cap);
  if (vn_sampler_init(&c->s, M->vocab, 0) || !c->hist || !c->work || !c->obuf)
    return fail(c, K(ERR_NOMEM), "out of memory for a context of %d positions", ctx);
  return K(OK);
}

EXPORT void API(close)(Ctx *c) {
  if (!c) return;
  if (c->rt_ok) vn_rt_free(&c->rt);
  vn_sampler_free(&c->s);
  free(c->hist);
  free(c->work);
  free(c->obuf);
  free(c);
}

EXPORT void API(reset)(Ctx *c) {
  if (!c) return;
  c->n = 0;
  c->pending = 0;
  c->last = NULL;
  c->seeded = 0;
}

EXPORT const char *API(arch)(void) { return M->arch; }
EXPORT int64_t API(vocab)(void) { return M->vocab; }
EXPORT int64_t API(row_size)(void) { return row_size(); }
EXPORT int API(is_encoder)(void) { return M->encoder_only != 0; }
EXPORT int API(has_tokenizer)(void) { return M->tok_blob != NULL; }
EXPORT int API(ctx_size)(const Ctx *c) { return c ? c->ctx : 0; }
EXPORT int API(n_past)(const Ctx *c) { return c ? c->n : 0; }

static int is_eos(const Ctx *c, int32_t id) { return vn_is_eos(M, c->have_tok ? &c->tok : NULL, id); }
EXPORT int API(is_eos)(const Ctx *c, int32_t id) { return c && is_eos(c, id); }

/* a usable context: opened, and not failed at open */
static int ready(Ctx *c) {
  if (!c) return K(ERR_ARG);
  if (!c->rt_ok || !c->hist) return K(ERR_ARG);  /* open failed: its message stays */
  return K(OK);
}

/* hist[from..n) through the model in steps of at most t_max tokens; with
 * out, every position's row goes there */
typedef struct { Ctx *c; float *out; int from; } RunOut;
static void run_step(void *u, const float *l, int T, int pos) {
  RunOut *r = u;
  int64_t row = row_size();
  if (r->out) {
    memcpy(r->out + (int64_t)(pos - r->from) * row, l, (size_t)T * (size_t)row * sizeof *r->out);
    r->c->last = l + (int64_t)(T - 1) * row;
  } else r->c->last = l;
}
static void run(Ctx *c, int from, float *out) {
  RunOut r = {c, out, from};
  vn_rt_run(&c->rt, c->hist + from, c->n - from, from, out != NULL, run_step, &r);
}

/* the step of a token picked by sample: run it before what needs it */
static void flush(Ctx *c) {
  if (!c->pending) return;
  c->pending = 0;
  run(c, c->n - 1, NULL);
}

EXPORT int API(tokenize)(Ctx *c, const char *text, size_t len, int add_special, int32_t *ids, size_t cap, size_t *n) {
  int rc = ready(c);
  if (rc) return rc;
  if (!c->have_tok) return fail(c, K(ERR_NO_TOKENIZER), "tokenize: this model was compiled without a tokenizer");
  if ((!text && len) || !n || (!ids && cap)) return fail(c, K(ERR_ARG), "tokenize: a NULL argument");
  size_t wcap = vn_tok_work_size(&c->tok, len);
  void *work = malloc(wcap ? wcap : 1);
  if (!work) return fail(c, K(ERR_NOMEM), "tokenize: out of memory for a text of %zu bytes", len);
  long k = vn_tok_encode(&c->tok, text ? text : "", len, add_special, ids, (long)cap, work, wcap);
  free(work);
  if (k < 0) return fail(c, K(ERR_NOMEM), "tokenize: cannot tokenize the text");
  *n = (size_t)k;
  if ((size_t)k > cap) return fail(c, K(ERR_SPACE), "tokenize: %ld ids, room for %zu", k, cap);
  return K(OK);
}

static int check_ids(Ctx *c, const char *fn, const int32_t *ids, size_t n) {
  if (n && !ids) return fail(c, K(ERR_ARG), "%s: ids is NULL", fn);
  for (size_t i = 0; i < n; i++)
    if (ids[i] < 0 || ids[i] >= M->vocab)
      return fail(c, K(ERR_ARG), "%s: id %d (at %zu) is not in [0, %lld)", fn, ids[i], i, (long long)M->vocab);
  return K(OK);
}

EXPORT int API(detokenize)(Ctx *c, const int32_t *ids, size_t n, char *text, size_t cap, size_t *len) {
  int rc = ready(c);
  if (rc) return rc;
  if (!c->have_tok) return fail(c, K(ERR_NO_TOKENIZER), "detokenize: this model was compiled without a tokenizer");
  if ((rc = check_ids(c, "detokenize", ids, n))) return rc;
  if (!len || (!text && cap)) return fail(c, K(ERR_ARG), "detokenize: a NULL argument");
  size_t need = vn_tok_decode(&c->tok, ids, n, NULL, 0);
  *len = need;
  if (need + 1 > cap) return fail(c, K(ERR_SPACE), "detokenize: %zu bytes and the NUL, room for %zu", need, cap);
  vn_tok_decode(&c->tok, ids, n, text, cap);
  text[need] = 0;
  return K(OK);
}

EXPORT int API(eval)(Ctx *c, const int32_t *ids, size_t n, float *logits) {
  int rc = ready(c);
  if (rc) return rc;
  if ((rc = check_ids(c, "eval", ids, n))) return rc;
  if (!n) return fail(c, K(ERR_ARG), "eval: no ids");
  flush(c);
  if (M->encoder_only) {
    if (c->n) return fail(c, K(ERR_ARG), "eval: an encoder takes its whole input at once (reset the context first)");
    if (n > (size_t)M->t_max)
      return fail(c, K(ERR_ARG), "eval: %zu ids, more than the %lld this encoder sees in one step (venusc compile --batch N)", n,
                  (long long)M->t_max);
  }
  if ((size_t)c->n + n > (size_t)c->ctx)
    return fail(c, K(ERR_FULL), "eval: %zu ids after %d do not fit the context of %d positions", n, c->n, c->ctx);
  memcpy(c->hist + c->n, ids, n * sizeof *ids);
  int from = c->n;
  c->n += (int)n;
  run(c, from, logits);
  return K(OK);
}

EXPORT int API(decode)(Ctx *c, int32_t id) { return API(eval)(c, &id, 1, NULL); }

EXPORT const float *API(logits)(Ctx *c) {
  if (ready(c)) return NULL;
  flush(c);
  return c->last;
}

EXPORT void API(default_sampling)(Sampling *s) {
  if (!s) return;
  VnSampler d;
  int max_new;
  vn_sampler_defaults(M, &d, &max_new);
  memset(s, 0, sizeof *s);
  s->temperature = d.temp; s->top_k = d.top_k; s->top_p = d.top_p; s->min_p = d.min_p;
  s->repetition_penalty = d.repeat_penalty; s->repeat_last_n = d.repeat_last_n;
}

static int check_sampling(Ctx *c, const Sampling *s) {
  if (!(s->temperature >= 0) || !(s->top_p >= 0 && s->top_p <= 1) || !(s->min_p >= 0 && s->min_p <= 1) ||
      !(s->repetition_penalty >= 0) || s->top_k < 0 || s->repeat_last_n < 0)
    return fail(c, K(ERR_ARG), "sampling: out of range (temperature >= 0, top_p and min_p in [0, 1], repetition_penalty >= 0, "
                               "top_k and repeat_last_n >= 0)");
  return K(OK);
}

static void seed(Ctx *c, uint64_t v) {
  c->s.rng = v ? v : 0x9e3779b97f4a7c15ull;  /* as vn_sampler_init */
  c->seed = v;
  c->seeded = 1;
}

/* the next token from the last row (a copy: penalties change it), appended */
static int32_t pick(Ctx *c, const Sampling *sp) {
  VnSampler *s = &c->s;
  s->temp = sp->temperature; s->top_k = sp->top_k; s->top_p = sp->top_p; s->min_p = sp->min_p;
  s->repeat_penalty = sp->repetition_penalty; s->repeat_last_n = sp->repeat_last_n;
  memcpy(c->work, c->last, (size_t)M->vocab * sizeof *c->work);
  int32_t id = vn_sample(s, c->work, c->hist, c->n);
  c->hist[c->n++] = id;
  c->pending = 1;
  return id;
}

EXPORT int API(sample)(Ctx *c, const Sampling *sp, int32_t *id) {
  int rc = ready(c);
  if (rc) return rc;
  Sampling d;
  if (!sp) { API(default_sampling)(&d); sp = &d; }
  if (!id) return fail(c, K(ERR_ARG), "sample: id is NULL");
  if (M->encoder_only) return fail(c, K(ERR_UNSUPPORTED), "sample: this is an encoder model: it does not generate");
  if ((rc = check_sampling(c, sp))) return rc;
  flush(c);
  if (!c->last) return fail(c, K(ERR_ARG), "sample: nothing was evaluated yet");
  if (c->n >= c->ctx) return fail(c, K(ERR_FULL), "sample: the context of %d positions is full", c->ctx);
  if (!c->seeded || c->seed != sp->seed) seed(c, sp->seed);
  *id = pick(c, sp);
  return K(OK);
}

EXPORT int API(generate)(Ctx *c, const int32_t *ids, size_t n, const Sampling *sp, int max_tokens, API(token_fn) fn,
                         void *user) {
  int rc = ready(c);
  if (rc) return rc;
  Sampling d;
  if (!sp) { API(default_sampling)(&d); sp = &d; }
  if (M->encoder_only) return fail(c, K(ERR_UNSUPPORTED), "generate: this is an encoder model: it does not generate");
  if ((rc = check_sampling(c, sp))) return rc;
  if (n && (rc = API(eval)(c, ids, n, NULL))) return rc;
  flush(c);
  if (!c->last) return fail(c, K(ERR_ARG), "generate: no prompt and nothing evaluated before");
  seed(c, sp->seed);
  VnTokStream ts;
  if (c->have_tok) {  /* the decoder's context: the history */
    vn_tok_stream_init(&ts, &c->tok);
    for (int i = 0; i < c->n; i++) vn_tok_stream_next(&ts, c->hist[i], c->obuf, c->obuf_cap);
  }
  int stopped = 0;
  rc = K(OK);
  for (int g = 0; max_tokens < 0 || g < max_tokens; g++) {
    if (c->n >= c->ctx) {
      rc = fail(c, K(ERR_FULL), "generate: the context of %d positions is full", c->ctx);
      break;
    }
    flush(c);
    int32_t id = pick(c, sp);
    if (!sp->ignore_eos && is_eos(c, id)) break;
    size_t k = c->have_tok ? vn_tok_stream_next(&ts, id, c->obuf, c->obuf_cap) : 0;
    if (fn && fn(user, id, c->obuf, k)) { stopped = 1; break; }
  }
  if (c->have_tok && !stopped) {
    size_t k = vn_tok_stream_flush(&ts, c->obuf, c->obuf_cap);
    if (k && fn) fn(user, -1, c->obuf, k);
  }
  return rc;
}

EXPORT int API(generate_text)(Ctx *c, const char *prompt, const Sampling *sp, int max_tokens, API(token_fn) fn, void *user) {
  int rc = ready(c);
  if (rc) return rc;
  if (!prompt) return fail(c, K(ERR_ARG), "generate_text: prompt is NULL");
  size_t len = strlen(prompt), cap = len + 16, n = 0;
  int32_t *ids = malloc(cap * sizeof *ids);
  if (!ids) return fail(c, K(ERR_NOMEM), "generate_text: out of memory");
  rc = API(tokenize)(c, prompt, len, 1, ids, cap, &n);
  if (rc == K(ERR_SPACE)) {
    int32_t *more = realloc(ids, n * sizeof *ids);
    if (!more) { free(ids); return fail(c, K(ERR_NOMEM), "generate_text: out of memory"); }
    ids = more;
    cap = n;
    rc = API(tokenize)(c, prompt, len, 1, ids, cap, &n);
  }
  if (!rc && !n) rc = fail(c, K(ERR_ARG), "generate_text: the prompt gives no tokens");
  if (!rc) rc = API(generate)(c, ids, n, sp, max_tokens, fn, user);
  free(ids);
  return rc;
}

EXPORT int64_t API(embed_size)(void) {
  return M->encoder_only && M->out_cols > 0 && M->out_cols != M->vocab ? M->out_cols : 0;
}

EXPORT int API(embed)(Ctx *c, const int32_t *ids, size_t n, int pooling, float *out) {
  int rc = ready(c);
  if (rc) return rc;
  int64_t H = API(embed_size)();
  if (!H)
    return fail(c, K(ERR_UNSUPPORTED), "embed: this model's output is %s logits, not hidden states (compile an encoder "
                "checkpoint without its masked-LM head)", M->encoder_only ? "masked-LM" : "next-token");
  int pool = pooling & ~K(NORMALIZE);
  if (!out || (pool != K(POOL_NONE) && pool != K(POOL_MEAN) && pool != K(POOL_CLS)))
    return fail(c, K(ERR_ARG), "embed: out is NULL or pooling %d is not one of the NAME_POOL_* values", pooling);
  float *rows = pool == K(POOL_NONE) ? out : malloc((n ? n : 1) * (size_t)H * sizeof *rows);
  if (!rows) return fail(c, K(ERR_NOMEM), "embed: out of memory for %zu rows", n);
  API(reset)(c);
  rc = API(eval)(c, ids, n, rows);
  if (!rc && pool != K(POOL_NONE)) {
    for (int64_t j = 0; j < H; j++) {
      double s = 0;
      if (pool == K(POOL_CLS)) s = rows[j];
      else {
        for (size_t t = 0; t < n; t++) s += rows[(int64_t)t * H + j];
        s /= (double)n;
      }
      out[j] = (float)s;
    }
  }
  if (!rc && (pooling & K(NORMALIZE))) {
    size_t nr = pool == K(POOL_NONE) ? n : 1;
    for (size_t t = 0; t < nr; t++) {
      double ss = 0;
      for (int64_t j = 0; j < H; j++) ss += (double)out[t * H + j] * out[t * H + j];
      double inv = ss > 0 ? 1 / sqrt(ss) : 0;
      for (int64_t j = 0; j < H; j++) out[t * H + j] = (float)(out[t * H + j] * inv);
    }
  }
  if (rows != out) free(rows);
  return rc;
}
#endif
