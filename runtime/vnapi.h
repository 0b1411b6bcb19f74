/* The C API of a model compiled as a library (venusc compile MODEL --lib
 * -o DIR); venusc writes it into DIR as NAME.h from runtime/vnapi.h. Every
 * name here starts with the model's prefix, vnapi_ (VNAPI_ for constants),
 * and the library exports nothing else, so that libraries of two models
 * link into one program. Below, NAME_x stands for vnapi_x.
 *
 * Use:
 *   NAME_ctx *c;
 *   if (NAME_open("DIR/NAME.vnw", NULL, &c)) { puts(NAME_errmsg(c)); NAME_close(c); ... }
 *   NAME_sampling s; NAME_default_sampling(&s); s.temperature = 0;
 *   NAME_generate_text(c, "In the beginning", &s, 48, on_token, user);
 *   NAME_close(c);
 * Build with `pkg-config --cflags --libs NAME` (NAME.pc in DIR; add DIR to
 * PKG_CONFIG_PATH); `pkg-config --variable=weights NAME` is the weight file.
 *
 * Threads: a context is used by one thread at a time; contexts are
 * independent (the library has no mutable state outside them), so one
 * context per thread is safe, of one model or of several. A context runs its
 * steps on its own pool of threads (params.threads).
 *
 * Errors: functions that can fail return a code (NAME_OK is 0); the
 * context keeps the message of its last failure (NAME_errmsg), one line.
 *
 * Positions: a context holds the tokens evaluated since it was opened or
 * reset (its history, at most NAME_ctx_size of them); NAME_eval,
 * NAME_decode and NAME_generate append to it. The last token NAME_generate
 * or NAME_sample picks is appended too (it is evaluated by the next call
 * that needs it). Nothing is allocated in the generation loop. */
#ifndef VNAPI_H
#define VNAPI_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef struct vnapi_ctx vnapi_ctx;

/* error codes */
enum {
  VNAPI_OK = 0,
  VNAPI_ERR_ARG = 1,          /* a bad argument: a NULL pointer, an id out of range, ... */
  VNAPI_ERR_IO = 2,           /* the weight file: missing, of another compile, damaged */
  VNAPI_ERR_NOMEM = 3,        /* out of memory */
  VNAPI_ERR_NO_TOKENIZER = 4, /* text in or out, and the model was compiled without a tokenizer */
  VNAPI_ERR_FULL = 5,         /* the context is full (NAME_reset, or open with a larger params.ctx) */
  VNAPI_ERR_UNSUPPORTED = 6,  /* not for this model (generation on an encoder, embeddings of logits) */
  VNAPI_ERR_SPACE = 7,        /* the output buffer is too small; the size needed is returned */
  VNAPI_ERR_CPU = 8           /* this CPU lacks an instruction set the library was compiled for */
};

typedef struct vnapi_params {
  int ctx;                    /* positions the context holds; 0: the trained context (4096 when the
                                 model states none; less when its cache would take over a quarter
                                 of physical memory); encoders: at most one step's tokens */
  int threads;                /* threads of the context's pool; 0: every core */
} vnapi_params;

typedef struct vnapi_sampling {
  float temperature;          /* 0: greedy (argmax, the smaller id on ties) */
  int top_k;                  /* keep the k most likely; 0: all */
  float top_p;                /* keep the smallest set with probability >= top_p; 1: all */
  float min_p;                /* drop tokens below min_p x the top probability; 0: none */
  float repetition_penalty;   /* over the last repeat_last_n tokens of the history; 1: off */
  int repeat_last_n;
  uint64_t seed;              /* the random generator's seed (NAME_generate starts from it; NAME_sample
                                 seeds it on first use and when the seed changes) */
  int ignore_eos;             /* NAME_generate: go on past end-of-sequence tokens */
} vnapi_sampling;

/* Called with each generated token: its id and the text it completes
 * (whole UTF-8 characters; may be empty). An end-of-sequence token ends the
 * generation without a call. A last call with id -1 carries text held back
 * at the end, if any. Return non-zero to stop. */
typedef int (*vnapi_token_fn)(void *user, int32_t id, const char *text, size_t len);

/* pooling of NAME_embed */
enum {
  VNAPI_POOL_NONE = 0,        /* every position's row: out is [n][NAME_embed_size] */
  VNAPI_POOL_MEAN = 1,        /* the mean of the rows: out is [NAME_embed_size] */
  VNAPI_POOL_CLS = 2,         /* the first row */
  VNAPI_NORMALIZE = 8         /* or'ed in: each output row scaled to unit length */
};

/* ---- contexts ---- */
void vnapi_default_params(vnapi_params *p);
/* Open a context over the weight file (NAME.vnw). *out is set even on
 * failure (NULL only when out of memory) so that NAME_errmsg can say why;
 * NAME_close it either way. p may be NULL (the defaults). */
int vnapi_open(const char *weight_path, const vnapi_params *p, vnapi_ctx **out);
void vnapi_close(vnapi_ctx *c);       /* NULL is fine */
void vnapi_reset(vnapi_ctx *c);       /* forget the history: the next token is at position 0 */
const char *vnapi_errmsg(const vnapi_ctx *c);  /* the last failure's message, "" if none */
const char *vnapi_strerror(int code); /* what a code means */

/* ---- the model ---- */
const char *vnapi_arch(void);         /* the architecture spec it was compiled with */
int64_t vnapi_vocab(void);
int64_t vnapi_row_size(void);         /* width of a NAME_eval output row: the vocabulary for a
                                         language model; the hidden size for an encoder without head */
int vnapi_is_encoder(void);           /* bidirectional: whole inputs, no generation */
int vnapi_has_tokenizer(void);
int vnapi_ctx_size(const vnapi_ctx *c);
int vnapi_n_past(const vnapi_ctx *c); /* tokens in the history */
int vnapi_is_eos(const vnapi_ctx *c, int32_t id);

/* ---- text ---- */
/* Token ids of len bytes of UTF-8 text. add_special: as the model's
 * tokenizer does with special tokens (BOS only when its post-processor adds
 * one). *n gets the count; when it exceeds cap, NAME_ERR_SPACE (ids holds
 * the first cap). */
int vnapi_tokenize(vnapi_ctx *c, const char *text, size_t len, int add_special, int32_t *ids, size_t cap, size_t *n);
/* The text of n ids, NUL-terminated. *len gets its length (without the
 * NUL); when len + 1 exceeds cap, NAME_ERR_SPACE. */
int vnapi_detokenize(vnapi_ctx *c, const int32_t *ids, size_t n, char *text, size_t cap, size_t *len);

/* ---- evaluation ---- */
/* Append n ids to the history and run the model over them. logits, when
 * not NULL, gets every position's output [n][NAME_row_size] (float). An
 * encoder takes a whole input from position 0 (reset first). */
int vnapi_eval(vnapi_ctx *c, const int32_t *ids, size_t n, float *logits);
/* One decode step: NAME_eval of one id. */
int vnapi_decode(vnapi_ctx *c, int32_t id);
/* The output row of the last position evaluated [NAME_row_size]; valid
 * until the next call on the context; NULL before any evaluation. */
const float *vnapi_logits(vnapi_ctx *c);

/* ---- sampling and generation ---- */
/* The model's defaults: generation_config.json's (do_sample false or absent:
 * greedy) when it has one, else temperature 0.8, top_k 40, top_p 0.95,
 * min_p 0.05, no repetition penalty; seed 0. */
void vnapi_default_sampling(vnapi_sampling *s);
/* Pick the next token from the last position's output; it is appended to
 * the history. s may be NULL (the defaults). */
int vnapi_sample(vnapi_ctx *c, const vnapi_sampling *s, int32_t *id);
/* Evaluate the prompt ids (appended to the history), then generate up to
 * max_tokens tokens (-1: until end-of-sequence or a full context), calling
 * fn for each. NAME_OK when it ends at an end-of-sequence token, at
 * max_tokens or because fn stopped it; NAME_ERR_FULL when the context
 * filled. n may be 0 to continue from the history. */
int vnapi_generate(vnapi_ctx *c, const int32_t *ids, size_t n, const vnapi_sampling *s, int max_tokens,
                   vnapi_token_fn fn, void *user);
/* The same from text, tokenized with special tokens (as `OUT -p TEXT`). */
int vnapi_generate_text(vnapi_ctx *c, const char *prompt, const vnapi_sampling *s, int max_tokens,
                        vnapi_token_fn fn, void *user);

/* ---- embeddings ---- */
/* Width of an embedding; 0 when the model gives none: embeddings are the
 * final hidden states of an encoder whose output is those states (a
 * checkpoint without its masked-LM head). */
int64_t vnapi_embed_size(void);
/* Run the encoder over ids (a whole input: the history is reset first) and
 * write their hidden states, pooled as `pooling` says, to out. */
int vnapi_embed(vnapi_ctx *c, const int32_t *ids, size_t n, int pooling, float *out);

#ifdef __cplusplus
}
#endif
#endif
