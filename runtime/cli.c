/* cli.c: the model binary's command line (DESIGN.md, "The model binary's
 * interface"): generation from a prompt or from token ids, every position's
 * logits, perplexity over a text file. Flags follow the common CPU
 * inference tools (-p, -n, -t, --temp, --top-k, ...) so users feel at home.
 * Exit status: 0 ok, 1 runtime failure (files, memory), 2 bad
 * usage. Nothing is allocated inside the generation loop.
 *
 * Portability: on bare metal (VN_BAREMETAL) there is no heap use (buffers
 * come from the static pool venusc sized, vn_static_alloc), no unistd, no
 * threads; files go through the C library (newlib's semihosting). The
 * --logits file is float32 little-endian on every target: big-endian ones
 * (VN_BIG_ENDIAN, also set from the compiler's byte order) swap on output. */
#include "runtime.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifndef VN_BAREMETAL
#include <sys/stat.h>
#include <unistd.h>
#endif
#if !defined(VN_BIG_ENDIAN) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define VN_BIG_ENDIAN 1
#endif

/* the C library's heap, or on bare metal the static pool (never freed) */
#ifdef VN_BAREMETAL
static void *cli_alloc(size_t n) { return vn_static_alloc(n); }
static void cli_free(void *p) { (void)p; }
static int stderr_tty(void) { return 0; }
#else
static void *cli_alloc(size_t n) { return malloc(n); }
static void cli_free(void *p) { free(p); }
static int stderr_tty(void) { return isatty(2); }
#endif

typedef struct Opts {
  const char *prompt, *prompt_file, *ids, *logits, *ppl, *weights;
  int n, ctx, threads, chunks, print_ids, stats, ignore_eos;
  int chat, print_prompt;
  const char *system, *chat_format;
  float temp, top_p, min_p, repeat_penalty;
  int top_k, repeat_last_n;
  unsigned long long seed;
  int seed_set;
} Opts;

static const char *prog = "model";

static void usage(FILE *f) {
  const VnModel *m = &vn_model;
  fprintf(f,
          "usage: %s [options]\n"
          "A %s model compiled by venus for target %s (vocab %lld, trained context %lld).\n"
          "\n"
          "Generate:\n"
          "  -p, --prompt TEXT      prompt text (needs the model's tokenizer)\n"
          "  -f, --file FILE        read the prompt from FILE\n"
          "  --ids 5,9,13           prompt as token ids (no BOS added)\n"
          "  -n N                   tokens to generate (default 128)\n"
          "  --temp T               temperature; 0 is greedy (default 0.8)\n"
          "  --top-k K              keep the K most likely (default 40; 0 = all)\n"
          "  --top-p P              keep the smallest set with probability >= P (default 0.95)\n"
          "  --min-p P              drop tokens below P x the top probability (default 0.05)\n"
          "  --repeat-penalty X     penalize the last --repeat-last-n tokens (default 1.0 = off)\n"
          "  --repeat-last-n N      (default 64)\n"
          "  --seed S               random seed (default: from the clock)\n"
          "  --print-ids            print the generated ids on one line instead of text; generates\n"
          "                         exactly -n tokens (end-of-sequence tokens do not stop it)\n"
          "  --ignore-eos           keep generating past end-of-sequence tokens\n"
          "Evaluate:\n"
          "  --ids ... --logits FILE  one pass over the ids; write float32 little-endian\n"
          "                         [n_ids][vocab] logits of every position to FILE\n"
          "  --perplexity FILE      perplexity of FILE over windows of --ctx tokens\n"
          "  --chunks N             only the first N windows (default all)\n"
          "Run:\n"
          "  --ctx N                context length: positions the KV cache holds (default 4096)\n"
          "  -t, --threads N        threads (default: all cores)\n"
          "  --weights FILE         the weight file (default: this binary's path + .vnw)\n"
          "  --stats                print prefill and decode speed to stderr\n"
          "Chat:\n"
          "  --chat                 a conversation in the model's chat format: each line on stdin\n"
          "                         is a user turn (or one turn from -p / -f), replies stream out\n"
          "  --system TEXT          a system message for the conversation\n"
          "  --chat-format NAME     use this format instead of the one the model's template names\n"
          "  --print-prompt         print the first turn as the model would read it, then stop\n"
          "  -h, --help             this text\n",
          prog, m->arch, m->target, (long long)m->vocab, (long long)m->max_pos);
}

static int die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static int die(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", prog);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return code;
}

static double now_s(void) {
#if defined(CLOCK_MONOTONIC) && !defined(VN_BAREMETAL)
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
#else
  return (double)clock() / CLOCKS_PER_SEC;
#endif
}

static int parse_int(const char *s, long long lo, long long hi, long long *out) {
  char *e;
  errno = 0;
  long long v = strtoll(s, &e, 10);
  if (errno || e == s || *e || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

static int parse_float(const char *s, float *out) {
  char *e;
  errno = 0;
  double v = strtod(s, &e);
  if (errno || e == s || *e || !isfinite(v)) return -1;
  *out = (float)v;
  return 0;
}

/* "5,9,13" or "5 9 13" -> ids; returns count or -1 */
static long parse_ids(const char *s, int32_t *out, long cap, int64_t vocab, char *bad, size_t badcap) {
  long n = 0;
  while (*s) {
    while (*s == ',' || *s == ' ' || *s == '\t' || *s == '\n') s++;
    if (!*s) break;
    char *e;
    errno = 0;
    long long v = strtoll(s, &e, 10);
    if (e == s || errno || v < 0 || v >= vocab) {
      size_t l = strcspn(s, ", \t\n");
      snprintf(bad, badcap, "%.*s", (int)(l < 40 ? l : 40), s);
      return -1;
    }
    if (n < cap) out[n] = (int32_t)v;
    n++;
    s = e;
    if (*s && *s != ',' && *s != ' ' && *s != '\t' && *s != '\n') {
      snprintf(bad, badcap, "%.20s", s);
      return -1;
    }
  }
  return n;
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
#ifdef VN_BAREMETAL
  /* one allocation of the file's size (semihosting knows it), at most the
   * 16 bytes per position of ctx_max that venusc sized the pool's text and
   * tokenizer room for: a longer file is cut after its last whole line there */
  long sz = fseek(f, 0, SEEK_END) ? -1 : ftell(f);
  long cap = 16L * vn_model.ctx_max, n = sz > cap ? cap : sz;
  char *b = sz >= 0 && !fseek(f, 0, SEEK_SET) ? cli_alloc((size_t)n + 1) : NULL;
  if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) { fclose(f); return NULL; }
  fclose(f);
  if (n < sz) {
    long k = n;
    while (k > 0 && b[k - 1] != '\n') k--;
    if (k > 0) n = k;
    fprintf(stderr, "%s: note: %s: using its first %ld of %ld bytes (what this bare-metal build holds)\n", prog, path, n, sz);
  }
  b[n] = 0;
  *len = (size_t)n;
  return b;
#else
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  for (;;) {
    if (!buf) { fclose(f); return NULL; }
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (n < cap) break;
    cap *= 2;
    char *nb = realloc(buf, cap + 1);
    if (!nb) { free(buf); fclose(f); return NULL; }
    buf = nb;
  }
  fclose(f);
  buf[n] = 0;
  *len = n;
  return buf;
#endif
}

/* Run ids[0..n) from position pos in steps of at most t_max tokens. With
 * all_logits, cb gets each step's logits [T][vocab]; otherwise only the
 * last step's last row is left in the logits buffer. */
typedef void (*StepCb)(void *u, const float *logits, int T, int pos);
static void run_tokens(VnRt *rt, const int32_t *ids, int n, int pos, int all_logits, StepCb cb, void *u) {
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

static int has_tokenizer(void) { return vn_model.tok_blob != NULL; }

static int load_tok(VnTok *tok) {
  if (!has_tokenizer()) return -1;
  return vn_tok_load(tok, vn_model.tok_blob, vn_model.tok_len);
}

/* tokenize text; returns cli_alloc'ed ids or NULL */
static int32_t *tokenize(const VnTok *tok, const char *text, size_t len, int add_special, long *n) {
  size_t wcap = vn_tok_work_size(tok, len);
  void *work = cli_alloc(wcap ? wcap : 1);
  long cap = (long)len + 16;
  int32_t *ids = cli_alloc((size_t)cap * sizeof *ids);
  if (!work || !ids) { cli_free(work); cli_free(ids); return NULL; }
  long k = vn_tok_encode(tok, text, len, add_special, ids, cap, work, wcap);
  if (k > cap) {
    int32_t *nid = cli_alloc((size_t)k * sizeof *ids);
    cli_free(ids);
    if (!nid) { cli_free(work); return NULL; }
    ids = nid;
    cap = k;
    k = vn_tok_encode(tok, text, len, add_special, ids, cap, work, wcap);
  }
  cli_free(work);
  if (k < 0) { cli_free(ids); return NULL; }
  *n = k;
  return ids;
}

typedef struct { FILE *f; int64_t vocab; int err; } LogitsOut;
/* The logits file. A regular file (or a new one) is written under a
 * temporary name beside it and renamed over the path only when every byte
 * is written, so a failed write leaves what was there before and removes
 * only the temporary file this program made. Anything else (a device, a
 * pipe, a symbolic link) is written in place and never removed. */
static FILE *logits_open(const char *path, char *tmp, size_t cap) {
  tmp[0] = 0;
#ifndef VN_BAREMETAL
  struct stat st;
  int exists = lstat(path, &st) == 0;
  if ((!exists || S_ISREG(st.st_mode)) && strlen(path) + 32 < cap) {
    snprintf(tmp, cap, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (f) return f;
    tmp[0] = 0;  /* a folder we may not write in: try the path itself */
  }
#else
  (void)cap;
#endif
  return fopen(path, "wb");
}

/* 0 when the file is complete under its path; on failure the temporary
 * file (never the path itself) is removed */
static int logits_close(FILE *f, int write_err, const char *path, const char *tmp) {
  int bad = write_err != 0, e = write_err;
  errno = 0;
  if (fflush(f)) { bad = 1; if (!e) e = errno; }
  if (fclose(f)) { bad = 1; if (!e) e = errno; }
  if (!bad && tmp[0] && rename(tmp, path)) { bad = 1; e = errno; }
  if (bad && tmp[0]) remove(tmp);
  errno = e ? e : EIO;
  return bad;
}

static void write_logits(void *u, const float *l, int T, int pos) {
  (void)pos;
  LogitsOut *o = u;
  size_t n = (size_t)T * (size_t)o->vocab;
#ifdef VN_BIG_ENDIAN
  unsigned char b[4096];
  for (size_t i = 0; i < n;) {
    size_t k = 0;
    for (; i < n && k < sizeof b; i++, k += 4) {
      uint32_t x;
      memcpy(&x, &l[i], 4);
      b[k] = (unsigned char)x; b[k + 1] = (unsigned char)(x >> 8); b[k + 2] = (unsigned char)(x >> 16); b[k + 3] = (unsigned char)(x >> 24);
    }
    if (fwrite(b, 1, k, o->f) != k) o->err = errno ? errno : EIO;
  }
#else
  if (fwrite(l, 4, n, o->f) != n) o->err = errno ? errno : EIO;
#endif
}

typedef struct { const int32_t *ids; int n; double nll; long count; int64_t vocab; } PplAcc;
static void ppl_step(void *u, const float *l, int T, int pos) {
  PplAcc *a = u;
  for (int t = 0; t < T; t++) {
    int i = pos + t;  /* position within the window */
    if (i + 1 >= a->n) break;
    const float *r = l + (int64_t)t * a->vocab;
    float mx = r[0];
    for (int64_t v = 1; v < a->vocab; v++) if (r[v] > mx) mx = r[v];
    double s = 0;
    for (int64_t v = 0; v < a->vocab; v++) s += exp((double)r[v] - mx);
    a->nll += (log(s) + mx) - r[a->ids[i + 1]];
    a->count++;
  }
}

static int is_eos(const VnTok *tok, int32_t id) {
  for (int i = 0; i < vn_model.neos; i++) if (vn_model.eos[i] == id) return 1;
  return tok && vn_tok_is_eog(tok, id);
}

#ifndef VN_BAREMETAL
/* the ids of one chat turn: BOS first when the format starts with it */
static int32_t *chat_ids(const VnTok *tok, const VnChatFmt *f, int first, const char *system, const char *msg, long *n) {
  char *turn = vn_chat_turn(f, first, system, msg);
  if (!turn) return NULL;
  long k;
  int32_t *t = tokenize(tok, turn, strlen(turn), 0, &k);
  free(turn);
  if (!t) return NULL;
  int bos = first && f->bos && tok->bos_id >= 0;
  int32_t *ids = malloc((size_t)(k + bos + 1) * sizeof *ids);
  if (!ids) { free(t); return NULL; }
  if (bos) ids[0] = tok->bos_id;
  memcpy(ids + bos, t, (size_t)k * sizeof *ids);
  free(t);
  *n = k + bos;
  return ids;
}

/* --chat: one turn from -p/-f, or a turn per line of stdin until EOF; the
 * KV cache keeps the conversation, each turn appends to it. */
static int chat_loop(VnRt *rt, const VnTok *tok, const VnChatFmt *f, const Opts *o, const char *first_msg, int ctx) {
  VnSampler s;
  if (vn_sampler_init(&s, vn_model.vocab, o->seed_set ? o->seed : (uint64_t)time(NULL) ^ 0x5deece66dull)) return die(1, "out of memory");
  s.temp = o->temp; s.top_k = o->top_k; s.top_p = o->top_p; s.min_p = o->min_p;
  s.repeat_penalty = o->repeat_penalty; s.repeat_last_n = o->repeat_last_n;
  int32_t *seq = malloc((size_t)ctx * sizeof *seq);
  char line[65536], obuf[1024];
  int n = 0, first = 1, rc = 0;
  int interactive = !first_msg;
  for (;;) {
    const char *msg = first_msg;
    if (interactive) {
      if (isatty(0)) { fputs("> ", stderr); fflush(stderr); }
      if (!fgets(line, sizeof line, stdin)) break;
      line[strcspn(line, "\n")] = 0;
      msg = line;
    }
    long k;
    int32_t *ids = chat_ids(tok, f, first, o->system, msg, &k);
    if (!ids) { rc = die(1, "cannot format the chat turn"); break; }
    if (n + k + 1 > ctx) { free(ids); rc = die(1, "the conversation is longer than the context of %d tokens (raise --ctx)", ctx); break; }
    memcpy(seq + n, ids, (size_t)k * sizeof *seq);
    free(ids);
    run_tokens(rt, seq + n, (int)k, n, 0, NULL, NULL);
    n += (int)k;
    VnTokStream ts;
    vn_tok_stream_init(&ts, tok);
    for (int g = 0; g < o->n && n < ctx; g++) {
      int32_t next = vn_sample(&s, vn_rt_logits(rt), seq, n);
      if (is_eos(tok, next)) break;  /* the format's end-of-reply text is fed instead */
      size_t w = vn_tok_stream_next(&ts, next, obuf, sizeof obuf);
      fwrite(obuf, 1, w, stdout);
      fflush(stdout);
      seq[n] = next;
      vn_rt_begin_step(rt, 1, n);
      vn_model_step(rt, &seq[n], 1, n, 0);
      n++;
    }
    size_t w = vn_tok_stream_flush(&ts, obuf, sizeof obuf);
    fwrite(obuf, 1, w, stdout);
    printf("\n");
    fflush(stdout);
    first = 0;
    if (!interactive) break;
  }
  free(seq);
  vn_sampler_free(&s);
  return rc;
}
#endif

int vn_main(int argc, char **argv) {
  const VnModel *m = &vn_model;
  if (argc > 0 && argv[0]) {
    const char *s = strrchr(argv[0], '/');
    prog = s ? s + 1 : argv[0];
  }
  Opts o = {0};
  o.n = 128; o.ctx = 0; o.threads = 0; o.chunks = 0;
  o.temp = 0.8f; o.top_k = 40; o.top_p = 0.95f; o.min_p = 0.05f; o.repeat_penalty = 1.0f; o.repeat_last_n = 64;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    long long iv;
#define NEED() do { if (!v) return die(2, "option %s needs a value (see --help)", a); i++; } while (0)
#define INT(dst, lo, hi) do { NEED(); if (parse_int(v, lo, hi, &iv)) return die(2, "option %s: '%s' is not an integer in [%lld, %lld]", a, v, (long long)(lo), (long long)(hi)); dst = (int)iv; } while (0)
#define FLT(dst) do { NEED(); if (parse_float(v, &dst)) return die(2, "option %s: '%s' is not a number", a, v); } while (0)
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
    else if (!strcmp(a, "-p") || !strcmp(a, "--prompt")) { NEED(); o.prompt = v; }
    else if (!strcmp(a, "-f") || !strcmp(a, "--file")) { NEED(); o.prompt_file = v; }
    else if (!strcmp(a, "--ids")) { NEED(); o.ids = v; }
    else if (!strcmp(a, "-n") || !strcmp(a, "--n-predict")) INT(o.n, 0, 1 << 30);
    else if (!strcmp(a, "--temp")) FLT(o.temp);
    else if (!strcmp(a, "--top-k")) INT(o.top_k, 0, 1 << 30);
    else if (!strcmp(a, "--top-p")) FLT(o.top_p);
    else if (!strcmp(a, "--min-p")) FLT(o.min_p);
    else if (!strcmp(a, "--repeat-penalty")) FLT(o.repeat_penalty);
    else if (!strcmp(a, "--repeat-last-n")) INT(o.repeat_last_n, 0, 1 << 30);
    else if (!strcmp(a, "--seed")) { NEED(); if (parse_int(v, 0, 0x7fffffffffffffffLL, &iv)) return die(2, "option --seed: '%s' is not a non-negative integer", v); o.seed = (unsigned long long)iv; o.seed_set = 1; }
    else if (!strcmp(a, "--print-ids")) o.print_ids = o.ignore_eos = 1;
    else if (!strcmp(a, "--ignore-eos")) o.ignore_eos = 1;
    else if (!strcmp(a, "--logits")) { NEED(); o.logits = v; }
    else if (!strcmp(a, "--perplexity")) { NEED(); o.ppl = v; }
    else if (!strcmp(a, "--chunks")) INT(o.chunks, 1, 1 << 30);
    else if (!strcmp(a, "--ctx") || !strcmp(a, "-c")) INT(o.ctx, 2, 1 << 24);
    else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) INT(o.threads, 1, 1024);
    else if (!strcmp(a, "--weights")) { NEED(); o.weights = v; }
    else if (!strcmp(a, "--stats")) o.stats = 1;
    else if (!strcmp(a, "--chat")) o.chat = 1;
    else if (!strcmp(a, "--system")) { NEED(); o.system = v; }
    else if (!strcmp(a, "--chat-format")) { NEED(); o.chat_format = v; }
    else if (!strcmp(a, "--print-prompt")) o.print_prompt = 1;
    else return die(2, "unknown option '%s' (see --help)", a);
#undef NEED
#undef INT
#undef FLT
  }
  int nmodes = (o.prompt || o.prompt_file || o.ids ? 0 : 0) + (o.ppl != NULL);
  if (o.prompt && o.ids) return die(2, "give either -p or --ids, not both");
  if (o.prompt && o.prompt_file) return die(2, "give either -p or -f, not both");
  if (o.ppl && (o.prompt || o.prompt_file || o.ids || o.logits)) return die(2, "--perplexity takes no prompt, --ids or --logits");
  if (o.logits && !o.ids) return die(2, "--logits needs --ids");
  if (!o.prompt && !o.prompt_file && !o.ids && !o.ppl && !o.chat) { usage(stderr); return 2; }
  if (o.chat && (o.ids || o.ppl || o.logits)) return die(2, "--chat takes -p, -f or lines on stdin, not --ids, --logits or --perplexity");
  if ((o.system || o.chat_format || o.print_prompt) && !o.chat) return die(2, "--system, --chat-format and --print-prompt go with --chat");
  (void)nmodes;
  if (o.temp < 0 || o.top_p < 0 || o.top_p > 1 || o.min_p < 0 || o.min_p > 1 || o.repeat_penalty < 0)
    return die(2, "sampling options out of range (--temp >= 0, --top-p and --min-p in [0, 1], --repeat-penalty >= 0)");
  if (m->encoder_only && !o.logits) return die(2, "this is an encoder model: it gives logits (--ids ... --logits FILE), it does not generate");

  VnTok tok;
  int have_tok = has_tokenizer() && load_tok(&tok) == 0;
  if (has_tokenizer() && !have_tok) return die(1, "the tokenizer data in this binary is corrupt");
  if ((o.prompt || o.prompt_file || o.ppl) && !have_tok)
    return die(2, "%s needs a tokenizer, and this model was compiled without one (its directory had no tokenizer.json); give token ids with --ids",
               o.ppl ? "--perplexity" : "-p/-f");

  /* chat: the format, and the first turn when it comes from -p / -f */
  const VnChatFmt *fmt = NULL;
  char *first_msg = NULL;
  /* from here on every exit goes through `done`, which frees what was allocated */
  int32_t *ids = NULL;
  long nids = 0;
  char *text = NULL;
  size_t tlen = 0;
  VnRt rt;
  memset(&rt, 0, sizeof rt);
  int rc = 0;
#define FAIL(...) do { rc = die(__VA_ARGS__); goto done; } while (0)
#ifdef VN_BAREMETAL
  if (o.chat) FAIL(2, "--chat is not available on bare metal");
#else
  if (o.chat) {
    if (!have_tok) FAIL(2, "--chat needs a tokenizer, and this model was compiled without one");
    fmt = vn_chat_find(o.chat_format);
    if (!fmt) {
      char names[256] = "";
      for (int i = 0; i < m->nchat; i++) { strcat(names, i ? ", " : ""); strncat(names, m->chat[i].name, 40); }
      if (o.chat_format) FAIL(2, "--chat-format %s: not one of %s", o.chat_format, names);
      FAIL(2, "%s; give --chat-format NAME (one of %s)",
                 m->chat_template ? "this model's chat template is not one venus recognizes" : "this model has no chat template", names);
    }
    if (o.prompt_file) {
      size_t fl;
      first_msg = read_file(o.prompt_file, &fl);
      if (!first_msg) FAIL(1, "%s: cannot read the prompt file", o.prompt_file);
    } else if (o.prompt) first_msg = strdup(o.prompt);
    if (o.print_prompt) {
      long n;
      int32_t *ci = chat_ids(&tok, fmt, 1, o.system, first_msg ? first_msg : "", &n);
      if (!ci) FAIL(1, "cannot format the chat prompt");
      char *txt = malloc(vn_tok_decode(&tok, ci, (size_t)n, NULL, 0) + 1);
      size_t tl = vn_tok_decode(&tok, ci, (size_t)n, txt, (size_t)-1);
      fwrite(txt, 1, tl, stdout);
      printf("\n");
      for (long i = 0; i < n; i++) printf("%s%d", i ? " " : "", ci[i]);
      printf("\n");
      free(txt);
      free(ci);
      goto done;
    }
  }
#endif

  /* the prompt */
  if (o.ids) {
    long cap = (long)strlen(o.ids) / 2 + 2;
    ids = cli_alloc((size_t)cap * sizeof *ids);
    char bad[64];
    nids = ids ? parse_ids(o.ids, ids, cap, m->vocab, bad, sizeof bad) : -1;
    if (nids < 0) FAIL(2, "--ids: '%s' is not a token id in [0, %lld)", bad, (long long)m->vocab);
    if (nids == 0) FAIL(2, "--ids: no ids given");
  } else if (!o.chat && (o.prompt || o.prompt_file)) {
    if (o.prompt_file) {
      text = read_file(o.prompt_file, &tlen);
      if (!text) FAIL(1, "%s: cannot read the prompt file", o.prompt_file);
    } else tlen = strlen(o.prompt);
    ids = tokenize(&tok, text ? text : o.prompt, tlen, 1, &nids);
    if (!ids) FAIL(1, "cannot tokenize the prompt");
    if (nids == 0) FAIL(2, "the prompt gives no tokens");
  }

#ifdef VN_BAREMETAL
  int ctx = o.ctx ? o.ctx : (int)m->ctx_max;  /* the state is static, sized for ctx_max */
#else
  int ctx = o.ctx ? o.ctx : 4096;
#endif
  if (m->encoder_only && !o.ctx) ctx = (int)(nids > 0 ? nids : 1);
  if (m->max_ctx > 0 && ctx > m->max_ctx) {  /* no positions past a learned position table */
    if (o.ctx) FAIL(2, "--ctx %d: this model has only %lld positions", ctx, (long long)m->max_ctx);
    ctx = (int)m->max_ctx;
  }
  /* bidirectional attention needs every token in one step: no chunked prefill */
  if (m->encoder_only && nids > m->t_max)
    FAIL(2, "this encoder model sees its whole input in one step: %ld ids, more than the %lld it was compiled for (venusc compile --batch N)",
               nids, (long long)m->t_max);
  if (o.ids || o.prompt || o.prompt_file) {
    if (nids > ctx) FAIL(2, "the prompt has %ld tokens, more than the context of %d (raise --ctx)", nids, ctx);
  }
  int threads = o.threads;
#ifndef VN_NO_THREADS
  if (!threads) { long c = sysconf(_SC_NPROCESSORS_ONLN); threads = c > 0 ? (int)c : 1; }
#else
  threads = 1;
#endif

  /* the weight file */
  char wpath[4096];
  if (o.weights) snprintf(wpath, sizeof wpath, "%s", o.weights);
  else {
    wpath[0] = 0;
#ifdef __linux__
    ssize_t k = readlink("/proc/self/exe", wpath, sizeof wpath - 5);
    if (k > 0) wpath[k] = 0; else wpath[0] = 0;
#endif
    if (!wpath[0]) snprintf(wpath, sizeof wpath - 4, "%s", argv[0]);
    strcat(wpath, ".vnw");
  }
  char err[1024];
  if (vn_rt_init(&rt, m, wpath, ctx, threads, err, sizeof err)) FAIL(1, "%s", err);

  if (o.chat) {
#ifndef VN_BAREMETAL
    rc = chat_loop(&rt, &tok, fmt, &o, first_msg, ctx);
#endif
  } else if (o.logits) {
    char tmp[4200];
    FILE *f = logits_open(o.logits, tmp, sizeof tmp);
    if (!f) FAIL(1, "%s: cannot write the logits file: %s", o.logits, strerror(errno));
    LogitsOut lo = {f, m->out_cols ? m->out_cols : m->vocab, 0};  /* rows of the output */
    double t0 = now_s();
    run_tokens(&rt, ids, (int)nids, 0, 1, write_logits, &lo);
    double t1 = now_s();
    if (logits_close(f, lo.err, o.logits, tmp)) rc = die(1, "%s: write failed: %s", o.logits, strerror(errno));
    if (o.stats) fprintf(stderr, "prefill: %ld tokens in %.3f s, %.1f tokens/s\n", nids, t1 - t0, nids / (t1 - t0));
  } else if (o.ppl) {
    text = read_file(o.ppl, &tlen);
    if (!text) FAIL(1, "%s: cannot read the text", o.ppl);
    long nt;
    int32_t *all = tokenize(&tok, text, tlen, 0, &nt);
    if (!all) FAIL(1, "%s: cannot tokenize the text", o.ppl);
    long nwin = nt / ctx;
    if (o.chunks && o.chunks < nwin) nwin = o.chunks;
    if (nwin < 1) { cli_free(all); FAIL(2, "%s: %ld tokens, fewer than one window of --ctx %d", o.ppl, nt, ctx); }
    PplAcc acc = {NULL, ctx, 0, 0, m->vocab};
    double t0 = now_s();
    for (long w = 0; w < nwin; w++) {
      acc.ids = all + w * ctx;
      run_tokens(&rt, acc.ids, ctx, 0, 1, ppl_step, &acc);
      if (stderr_tty()) fprintf(stderr, "\r[%ld/%ld] perplexity so far %.4f", w + 1, nwin, exp(acc.nll / acc.count));
    }
    if (stderr_tty()) fputc('\n', stderr);
    double t1 = now_s();
    printf("perplexity: %.4f\n", exp(acc.nll / acc.count));
    if (o.stats) fprintf(stderr, "%ld windows of %d tokens in %.3f s, %.1f tokens/s\n", nwin, ctx, t1 - t0, nwin * ctx / (t1 - t0));
    cli_free(all);
  } else {
    VnSampler s;
    uint64_t seed = o.seed_set ? o.seed : (uint64_t)time(NULL) ^ 0x5deece66dull;
#ifdef VN_BAREMETAL
    /* vn_sampler_init would take its scratch from the heap: give it pool memory */
    memset(&s, 0, sizeof s);
    s.vocab = m->vocab;
    s.idx = cli_alloc((size_t)m->vocab * sizeof *s.idx);
    s.prob = cli_alloc((size_t)m->vocab * sizeof *s.prob);
    s.rng = seed ? seed : 0x9e3779b97f4a7c15ull;
    if (!s.idx || !s.prob) {
#else
    if (vn_sampler_init(&s, m->vocab, seed)) {
#endif
      FAIL(1, "out of memory");
    }
    s.temp = o.temp; s.top_k = o.top_k; s.top_p = o.top_p; s.min_p = o.min_p;
    s.repeat_penalty = o.repeat_penalty; s.repeat_last_n = o.repeat_last_n;
    int total = (int)nids + o.n;
    if (total > ctx) total = ctx;
    int32_t *seq = cli_alloc((size_t)(total > nids ? total : nids) * sizeof *seq);
#ifndef VN_BAREMETAL
    if (!seq) vn_sampler_free(&s);
#endif
    if (!seq) FAIL(1, "out of memory");
    memcpy(seq, ids, (size_t)nids * sizeof *seq);
    int print_text = !o.print_ids && have_tok;
    VnTokStream ts;
    char obuf[1024];
    if (print_text) {
      vn_tok_stream_init(&ts, &tok);
      for (long i = 0; i < nids; i++) vn_tok_stream_next(&ts, ids[i], obuf, sizeof obuf); /* context for the decoder */
      if (o.prompt || o.prompt_file) fwrite(text ? text : o.prompt, 1, tlen, stdout);
      else {
        char *pt = cli_alloc(vn_tok_decode(&tok, ids, (size_t)nids, NULL, 0) + 1);
        size_t pl = pt ? vn_tok_decode(&tok, ids, (size_t)nids, pt, (size_t)-1) : 0;
        fwrite(pt, 1, pl, stdout);
        cli_free(pt);
      }
      fflush(stdout);
    }
    double t0 = now_s();
    run_tokens(&rt, seq, (int)nids, 0, 0, NULL, NULL);
    double t1 = now_s(), t2 = t1;
    int n = (int)nids, gen = 0;
    while (gen < o.n) {
      if (n >= ctx) { fprintf(stderr, "\n%s: context of %d tokens is full (raise --ctx)\n", prog, ctx); break; }
      int32_t next = vn_sample(&s, vn_rt_logits(&rt), seq, n);
      seq[n++] = next;
      gen++;
      if (o.print_ids || !have_tok) printf("%s%d", gen > 1 ? " " : "", next);
      else {
        size_t k = vn_tok_stream_next(&ts, next, obuf, sizeof obuf);
        fwrite(obuf, 1, k, stdout);
      }
      fflush(stdout);
      if (!o.ignore_eos && is_eos(have_tok ? &tok : NULL, next)) break;
      if (gen == o.n) break;
      vn_rt_begin_step(&rt, 1, n - 1);
      vn_model_step(&rt, &seq[n - 1], 1, n - 1, 0);
      t2 = now_s();
    }
    if (print_text) {
      size_t k = vn_tok_stream_flush(&ts, obuf, sizeof obuf);
      fwrite(obuf, 1, k, stdout);
    }
    printf("\n");
    fflush(stdout);
    if (o.stats) {
      fprintf(stderr, "prefill: %ld tokens in %.3f s, %.1f tokens/s\n", nids, t1 - t0, nids / (t1 - t0));
      if (gen > 1) fprintf(stderr, "decode:  %d tokens in %.3f s, %.1f tokens/s\n", gen - 1, t2 - t1, (gen - 1) / (t2 - t1));
      fprintf(stderr, "threads: %d, context: %d\n", rt.nthreads, ctx);
    }
    cli_free(seq);
#ifndef VN_BAREMETAL
    vn_sampler_free(&s);
#endif
  }
done:
#undef FAIL
#ifndef VN_BAREMETAL
  free(first_msg);
#endif
  cli_free(ids);
  cli_free(text);
  vn_rt_free(&rt);
  return rc;
}
