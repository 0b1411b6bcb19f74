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
#include "mel.h"
#include "image.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifndef VN_BAREMETAL
#include <signal.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/select.h>
#endif
#include <unistd.h>
#ifdef VN_LINE_EDITING  /* venusc compile --line-editing: libedit (host targets) */
#include <editline/readline.h>
#endif
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
  const char *prompt, *prompt_file, *ids, *logits, *ppl, *weights, *serve;
  int n, ctx, threads, chunks, print_ids, stats, ignore_eos;
  int chat, print_prompt, no_display_prompt, json, n_probs, verify, no_think;
  const char *system, *chat_format;
  const char *stop[8];        /* --stop strings */
  int nstop;
  float temp, top_p, min_p, repeat_penalty;
  int top_k, repeat_last_n;
  unsigned long long seed;
  int seed_set;
  int embed, normalize;       /* --embed; --normalize 1, --no-normalize 0, -1 the model's default */
  const char *pooling, *embed_format, *embed_out;
  const char *pixels, *image_grid;  /* --pixels FILE.f32, --image-grid T,H,W (vision-language models) */
  const char *decoder_ids, *features, *audio;  /* encoder-decoder models (s2s.c) */
  const char *image;          /* --image FILE (image.c) */
} Opts;

static const char *prog = "model";

/* The defaults: generation_config.json's when the model has one (as
 * transformers reads it: do_sample false is greedy), else the binary's. */
static void set_defaults(Opts *o) {
  VnSampler d;
  int max_new;
  vn_sampler_defaults(&vn_model, &d, &max_new);  /* api.c: the library's defaults too */
  o->n = max_new > 0 ? max_new : 128;
  o->temp = d.temp; o->top_k = d.top_k; o->top_p = d.top_p; o->min_p = d.min_p;
  o->repeat_penalty = d.repeat_penalty; o->repeat_last_n = d.repeat_last_n;
}

/* The default context: the trained one (4096 when the model states none),
 * or, when its cache would take more than a quarter of physical memory, the
 * largest power of two that fits (with a notice when say is set). */
static int default_ctx(int say) {
  const VnModel *m = &vn_model;
  long long c;
  int p = vn_rt_default_ctx(m, &c);  /* api.c: the library's default too */
  if (say && p < c)
    fprintf(stderr, "%s: note: context %d (the trained %lld would need %.0f MiB of cache, over a quarter of memory); --ctx sets it\n",
            prog, p, c, (double)c * (double)m->state_row_bytes / 1048576.0);
  return p;
}

static void usage(FILE *f) {
  Opts d;
  set_defaults(&d);
  const VnModel *m = &vn_model;
  fprintf(f,
          "usage: %s [options]\n"
          "A %s model compiled by venus for target %s (vocab %lld, trained context %lld).\n"
          "\n"
          "Generate:\n"
          "  -p, --prompt TEXT      prompt text (needs the model's tokenizer)\n"
          "  -f, --file FILE        read the prompt from FILE (- : standard input)\n"
          "  --ids 5,9,13           prompt as token ids (no BOS added)\n"
          "  -n N                   tokens to generate (default %d%s; -1: until the end token or a full context)\n"
          "  --temp T               temperature; 0 is greedy (default %g%s)\n"
          "  --top-k K              keep the K most likely (default %d; 0 = all)\n"
          "  --top-p P              keep the smallest set with probability >= P (default %g)\n"
          "  --min-p P              drop tokens below P x the top probability (default %g)\n"
          "  --repeat-penalty X     penalize the last --repeat-last-n tokens (default %g; 1 = off)\n"
          "  --repeat-last-n N      (default 64)\n"
          "  -s, --seed S           random seed (default: from the clock)\n"
          "  --stop STR             stop before the text STR (up to 8; the text before it is printed)\n"
          "  --no-display-prompt    print only the generated text\n"
          "  --json                 one JSON object per generated token {\"id\", \"text\", \"logprob\"},\n"
          "                         then {\"prompt_tokens\", \"completion_tokens\", \"finish_reason\"}\n"
          "  --n-probs N            --json with the N most likely tokens of each step (\"top\")\n"
          "  --print-ids            print the generated ids on one line instead of text; generates\n"
          "                         exactly -n tokens (end-of-sequence tokens do not stop it)\n"
          "  --ignore-eos           keep generating past end-of-sequence tokens\n"
          "Evaluate:\n"
          "  --ids ... --logits FILE  one pass over the ids; write float32 little-endian\n"
          "                         [n_ids][vocab] logits of every position to FILE\n"
          "  --perplexity FILE      perplexity of FILE over windows of --ctx tokens\n"
          "  --chunks N             only the first N windows (default all)\n"
          "Embed (encoder models):\n"
          "  --embed                a sentence embedding of -p TEXT, of each line of -f FILE, or of --ids\n"
          "  --pooling MODE         mean, cls or last (default %s%s)\n"
          "  --normalize            L2-normalize each embedding (--no-normalize: not; default %s)\n"
          "  --embed-format F       json (one array per input and line; default) or f32\n"
          "                         (float32 little-endian [inputs][%lld])\n"
          "  --embed-out FILE       write the embeddings to FILE (default: standard output)\n"
          "Encoder-decoder models (the encoder reads --ids / -p, or audio; the decoder generates):\n"
          "  --decoder-ids 0,5,9    the decoder's prompt, which generation continues and --logits\n"
          "                         covers (default: the decoder start token alone)\n"
          "  --features FILE.f32    the encoder's log-mel features, float32 little-endian\n"
          "                         [mel bins][frames] (speech models)\n"
          "  --audio FILE.wav       16 kHz mono 16-bit PCM; the log-mel features computed here\n"
          "Image (vision-language models):\n"
          "  --image FILE           an image (PPM%s) for the prompt's image tokens, resized and\n"
          "                         normalized as the model's preprocessor_config.json says%s\n"
          "  --pixels FILE          the image as preprocessed pixel values instead: float32 little-\n"
          "                         endian, the image processor's shape ([1,C,H,W], or [patches,\n"
          "                         C*T*P*P] with --image-grid); the prompt's image tokens take its rows\n"
          "  --image-grid T,H,W     the patch grid of --pixels (the processor's image_grid_thw)\n"
          "Run:\n"
          "  -c, --ctx N            context length: positions the KV cache holds (default %d: %s)\n"
          "  -t, --threads N        threads (default: all cores; at most the cores present)\n"
          "  --weights FILE         the weight file (default: this binary's path + .vnw)\n"
          "  --stats                print prefill and decode speed to stderr\n"
          "  --verify               check every byte of the weight file against its checksums\n"
          "                         (start-up checks only its header and tensor table), then exit\n"
          "Chat:\n"
          "  --chat                 a conversation in the model's chat template: each line on stdin\n"
          "                         is a user turn (or one turn from -p / -f), replies stream out\n"
          "  --system TEXT          a system message for the conversation\n"
          "  --chat-format NAME     a built-in format instead of the model's chat template\n"
          "  --print-prompt         print the first turn as the model would read it, then stop\n"
          "  --no-thinking          the template's enable_thinking set false (no thinking block)\n"
          "Serve (binaries built with venusc compile --server):\n"
          "  --serve HOST:PORT      the OpenAI API over HTTP (/v1/chat/completions, /v1/completions,\n"
          "                         /v1/embeddings, /v1/models, /health); port 0 picks a free port;\n"
          "                         [::1]:PORT for IPv6. The sampling flags above (and --pooling,\n"
          "                         --normalize) are the defaults of a request\n"
          "  -h, --help             this text\n"
          "Options that take a value may be written --name=value.\n",
          prog, m->arch, m->target, (long long)m->vocab, (long long)m->max_pos,
          d.n, m->gen.set && m->gen.max_new ? ", from generation_config.json" : "", (double)d.temp,
          m->gen.set ? ", from generation_config.json" : "", d.top_k, (double)d.top_p, (double)d.min_p, (double)d.repeat_penalty,
          vn_embed_pooling_name(m->pooling), m->hidden_cols ? ", as the model was compiled" : "; this model has no embeddings",
          m->normalize ? "on" : "off", (long long)m->hidden_cols, vn_image_formats(),
          m->image_proc ? "" : "\n                         (this model has no image processor: it takes no --image)",
          default_ctx(0), m->encoder_only ? "the input's length" : m->max_pos > 0 ? "the trained context, or less to fit memory" : "the model states none");
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

/* --image FILE, or --pixels FILE [--image-grid T,H,W]: the image's pixel
 * values into the vision tower (vn_cli_set_pixels), and the prompt's image
 * tokens counted against the rows it gives. A model with an image input and
 * no image takes a prompt without image tokens. */
#ifdef VN_BAREMETAL
static int image_input(VnRt *rt, const Opts *o, const int32_t *ids, long nids) {
  (void)rt; (void)ids; (void)nids;
  if (o->image) return die(2, "--image is not available on bare metal");
  return o->pixels ? die(2, "--pixels: this target has no image input") : 0;
}
#else
static char *read_file(const char *path, size_t *len);

/* An image's pixel values (the processor's shape[nd], grid or NULL) into
 * the vision tower, and the prompt's nimg image tokens held to the rows it
 * gives; file names the image in messages. What --pixels (and a decoded
 * image) goes through. */
static int image_set(VnRt *rt, const char *file, const float *px, const int64_t *shape, int nd, const int *grid, long nimg) {
  const VnModel *m = rt->m;
  char err[512];
  if (vn_cli_set_pixels(rt, px, shape, nd, grid, err, sizeof err)) return die(2, "%s: %s", file, err);
  int64_t rows = vn_rt_image_tokens(rt);
  if (nimg != rows)
    return die(2, "%s: the image gives %lld image tokens, the prompt has %ld (id %d)", file, (long long)rows, nimg, m->image_token);
  return 0;
}

static int image_input(VnRt *rt, const Opts *o, const int32_t *ids, long nids) {
  const VnModel *m = rt->m;
  long nimg = 0;
  for (long i = 0; m->vision && ids && i < nids; i++) nimg += ids[i] == m->image_token;
  const char *flag = o->image ? "--image" : "--pixels";
  if (!o->pixels && !o->image) {
    if (o->image_grid) return die(2, "--image-grid goes with --pixels");
    if (nimg)
      return die(2, "the prompt has %ld image tokens (id %d) but no image is given (--image FILE or --pixels FILE)", nimg,
                 m->image_token);
    return 0;
  }
  if (o->pixels && o->image) return die(2, "--image and --pixels: give the image one way");
  if (!m->vision) return die(2, "%s: this model (%s) has no vision tower: it takes no image", flag, m->arch);
  if (!ids || o->chat || o->serve || o->ppl || o->embed)
    return die(2, "%s goes with a prompt (--ids, -p or -f), not --chat, --serve, --perplexity or --embed", flag);
  if (o->image) {  /* decoded and preprocessed as the model's image processor does (image.c) */
    if (o->image_grid) return die(2, "--image-grid goes with --pixels (an image's grid comes from its processor)");
    char err[1024];
    VnPixels px;
    int rc = vn_image_pixels(m->image_proc, o->image, &px, err, sizeof err);
    if (rc) return die(rc, "%s", err);
    rc = image_set(rt, o->image, px.data, px.shape, px.ndim, px.has_grid ? px.grid_thw : NULL, nimg);
    vn_pixels_free(&px);
    return rc;
  }
  int grid[3], *gp = NULL;
  if (o->image_grid) {
    char tail;
    if (sscanf(o->image_grid, "%d,%d,%d%c", &grid[0], &grid[1], &grid[2], &tail) != 3 || grid[0] < 1 || grid[1] < 1 || grid[2] < 1)
      return die(2, "--image-grid: '%s' is not T,H,W (three positive integers)", o->image_grid);
    gp = grid;
  } else if (m->vis_layout == VN_VIS_PATCHES)
    return die(2, "--pixels: this model needs the image's patch grid too (--image-grid T,H,W, the processor's image_grid_thw)");
  size_t len;
  char *raw = read_file(o->pixels, &len);
  if (!raw) return die(1, "%s: cannot read the pixel values", o->pixels);
  int64_t n = (int64_t)(len / 4), shape[4];
  int nd;
  if (m->vis_layout == VN_VIS_PATCHES) {
    nd = 2; shape[0] = m->vis_in_cols ? n / m->vis_in_cols : 0; shape[1] = m->vis_in_cols;
  } else {
    nd = 4; shape[0] = 1; shape[1] = m->vis_channels; shape[2] = m->vis_height; shape[3] = m->vis_width;
  }
  int64_t want = 1;
  for (int k = 0; k < nd; k++) want *= shape[k];
  if (len % 4 || n == 0 || n != want || (gp && m->vis_layout == VN_VIS_PATCHES && (int64_t)gp[0] * gp[1] * gp[2] != shape[0])) {
    free(raw);
    if (m->vis_layout == VN_VIS_PATCHES)
      return die(2, "%s: %zu bytes is not float32 [patches, %lld]%s", o->pixels, len, (long long)m->vis_in_cols,
                 gp ? " with the patches of --image-grid" : "");
    return die(2, "%s: %zu bytes is not float32 [1, %d, %d, %d] (%lld bytes)", o->pixels, len, m->vis_channels,
               m->vis_height, m->vis_width, (long long)want * 4);
  }
  float *px = malloc((size_t)n * sizeof *px);
  if (!px) { free(raw); return die(1, "out of memory for the pixel values"); }
  for (int64_t i = 0; i < n; i++) {  /* little-endian on every host */
    const unsigned char *b = (const unsigned char *)raw + 4 * i;
    uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    memcpy(&px[i], &u, 4);
  }
  free(raw);
  int rc = image_set(rt, o->pixels, px, shape, nd, gp, nimg);
  free(px);
  return rc;
}
#endif

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

/* a file's bytes, NUL-terminated; "-" is standard input (not on bare metal) */
static char *read_file(const char *path, size_t *len) {
#ifndef VN_BAREMETAL
  int from_stdin = !strcmp(path, "-");
  FILE *f = from_stdin ? stdin : fopen(path, "rb");
#else
  FILE *f = fopen(path, "rb");
#endif
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
    if (!buf) { if (!from_stdin) fclose(f); return NULL; }
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (n < cap) break;
    cap *= 2;
    char *nb = realloc(buf, cap + 1);
    if (!nb) { free(buf); if (!from_stdin) fclose(f); return NULL; }
    buf = nb;
  }
  if (!from_stdin) fclose(f);
  buf[n] = 0;
  *len = n;
  return buf;
#endif
}

/* ---- generated text out: --stop strings and --json ---- */
/* Text is held back while it may still begin a --stop string; the text
 * before a stop string is printed and generation ends there. */
typedef struct Emit {
  const Opts *o;
  char pend[2048];            /* not yet printed */
  size_t np;
  int stopped;
} Emit;

static size_t stop_hold(const Emit *e) {  /* the longest end of pend that begins a stop string */
  size_t hold = 0;
  for (int i = 0; i < e->o->nstop; i++) {
    size_t sl = strlen(e->o->stop[i]);
    for (size_t k = sl - 1 < e->np ? sl - 1 : e->np; k > hold; k--)
      if (!memcmp(e->pend + e->np - k, e->o->stop[i], k)) { hold = k; break; }
  }
  return hold;
}

/* print s (or hold it back); 1 once a stop string is reached */
static int emit_text(Emit *e, const char *s, size_t n, int print) {
  if (!e->o->nstop) { if (print) fwrite(s, 1, n, stdout); return 0; }
  while (n) {
    size_t k = n < sizeof e->pend - e->np ? n : sizeof e->pend - e->np;
    memcpy(e->pend + e->np, s, k);
    e->np += k; s += k; n -= k;
    size_t at = e->np;
    for (int i = 0; i < e->o->nstop; i++) {
      size_t sl = strlen(e->o->stop[i]);
      for (size_t j = 0; j + sl <= e->np && j < at; j++)
        if (!memcmp(e->pend + j, e->o->stop[i], sl)) { at = j; break; }
    }
    if (at < e->np) {
      if (print) fwrite(e->pend, 1, at, stdout);
      e->np = 0;
      return e->stopped = 1;
    }
    size_t out = e->np - stop_hold(e);
    if (print) fwrite(e->pend, 1, out, stdout);
    memmove(e->pend, e->pend + out, e->np - out);
    e->np -= out;
  }
  return 0;
}

static void emit_flush(Emit *e, int print) {
  if (print && !e->stopped) fwrite(e->pend, 1, e->np, stdout);
  e->np = 0;
}

/* s as a JSON string: valid UTF-8 as is, other bytes as U+FFFD */
static void json_str(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  putchar('"');
  for (size_t i = 0; i < n;) {
    unsigned c = p[i];
    if (c == '"' || c == '\\') { putchar('\\'); putchar((int)c); i++; continue; }
    if (c < 0x20) { printf("\\u%04x", c); i++; continue; }
    if (c < 0x80) { putchar((int)c); i++; continue; }
    size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    int ok = len && i + len <= n;
    for (size_t k = 1; ok && k < len; k++) ok = (p[i + k] & 0xc0) == 0x80;
    if (ok && len == 3 && ((c == 0xe0 && p[i + 1] < 0xa0) || (c == 0xed && p[i + 1] >= 0xa0))) ok = 0;
    if (ok && len == 4 && ((c == 0xf0 && p[i + 1] < 0x90) || (c == 0xf4 && p[i + 1] >= 0x90))) ok = 0;
    if (ok) { fwrite(p + i, 1, len, stdout); i += len; }
    else { fputs("\\ufffd", stdout); i++; }
  }
  putchar('"');
}

/* --json: one object per generated token, with the n most likely tokens of
 * the model's distribution (raw logits: before penalties and temperature) */
static void json_token(const VnTok *tok, const float *raw, int64_t vocab, int32_t id, const char *text, size_t tl, int n) {
  double mx = raw[0], lse = 0;
  for (int64_t v = 1; v < vocab; v++) if (raw[v] > mx) mx = raw[v];
  for (int64_t v = 0; v < vocab; v++) lse += exp((double)raw[v] - mx);
  lse = log(lse) + mx;
  printf("{\"id\": %d, \"text\": ", id);
  json_str(text, tl);
  printf(", \"logprob\": %.6f", (double)raw[id] - lse);
  if (n > 0) {
    printf(", \"top\": [");
    int32_t top[100];
    int k = 0;
    for (int64_t v = 0; v < vocab; v++) {  /* insertion into the n best */
      if (k == n && raw[v] <= raw[top[k - 1]]) continue;
      int j = k < n ? k++ : k - 1;
      while (j > 0 && raw[top[j - 1]] < raw[v]) { top[j] = top[j - 1]; j--; }
      top[j] = (int32_t)v;
    }
    for (int j = 0; j < k; j++) {
      size_t pl = 0;
      const char *pc = tok ? vn_tok_piece(tok, top[j], &pl) : NULL;
      printf("%s{\"id\": %d, \"text\": ", j ? ", " : "", top[j]);
      json_str(pc ? pc : "", pc ? pl : 0);
      printf(", \"logprob\": %.6f}", (double)raw[top[j]] - lse);
    }
    printf("]");
  }
  printf("}\n");
}

/* Run ids[0..n) from position pos in steps of at most t_max tokens. With
 * all_logits, cb gets each step's logits [T][vocab]; otherwise only the
 * last step's last row is left in the logits buffer. */
static void run_tokens(VnRt *rt, const int32_t *ids, int n, int pos, int all_logits, VnStepCb cb, void *u) {
  vn_rt_run(rt, ids, n, pos, all_logits, cb, u);  /* api.c: the library runs the model the same way */
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

static int is_eos(const VnTok *tok, int32_t id) { return vn_is_eos(&vn_model, tok, id); }

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

/* ---- --chat ---- */
/* Ctrl+C during a reply stops the reply; at the prompt, or a second time
 * during a reply, it ends the program. */
static volatile sig_atomic_t chat_generating, chat_stop, chat_quit;
static void on_chat_sigint(int sig) {
  (void)sig;
  if (chat_generating && !chat_stop) { chat_stop = 1; return; }
  if (chat_generating) { static const char nl[] = "\n"; ssize_t r = write(2, nl, 1); (void)r; _exit(130); }
  chat_quit = 1;  /* fgets returns with EINTR: no SA_RESTART */
}

/* Before a read at the prompt: 0 when stdin has input, -1 when Ctrl+C came
 * first. SIGINT is blocked while chat_quit is tested and unblocked only
 * inside pselect, so a Ctrl+C that lands between the prompt and the read
 * is never lost (it would leave the read waiting). */
static int stdin_ready(void) {
#ifdef __linux__
  sigset_t blk, orig;
  sigemptyset(&blk);
  sigaddset(&blk, SIGINT);
  if (sigprocmask(SIG_BLOCK, &blk, &orig)) return chat_quit ? -1 : 0;
  int r = 0;
  for (;;) {
    if (chat_quit) { r = -1; break; }
    fd_set in;
    FD_ZERO(&in);
    FD_SET(0, &in);
    int k = pselect(1, &in, NULL, NULL, NULL, &orig);
    if (k > 0 || (k < 0 && errno != EINTR)) break;  /* the read reports an error itself */
  }
  sigprocmask(SIG_SETMASK, &orig, NULL);
  return r;
#else
  return chat_quit ? -1 : 0;
#endif
}

#ifdef VN_LINE_EDITING
/* libedit reads keys through this: Ctrl+C (the handler above; libedit
 * catches no signal) ends the read as end of input, chat_quit tells */
static int edit_getc(FILE *f) {
  unsigned char ch;
  (void)f;
  for (;;) {
    if (stdin_ready()) return EOF;
    ssize_t r = read(0, &ch, 1);
    if (r == 1) return ch;
    if (r < 0 && errno == EINTR && !chat_quit) continue;
    return EOF;
  }
}

/* one line from the terminal with editing and the session's history; the
 * line (newline dropped) into buf + n; 0, -1 at end of input, -2 on Ctrl+C */
static int edit_line(char *buf, size_t n, size_t cap, const char *prompt) {
  static int init;
  if (!init) { rl_catch_signals = 0; rl_getc_function = edit_getc; rl_instream = stdin; rl_outstream = stderr; init = 1; }
  char *l = readline(prompt);
  if (chat_quit) { free(l); return -2; }
  if (!l) return -1;
  if (*l) add_history(l);
  snprintf(buf + n, cap - n, "%s", l);
  free(l);
  return 0;
}
#endif

/* One user turn from stdin: a line, or lines joined while they end with
 * a backslash. 0, -1 at end of input, -2 on Ctrl+C. */
static int read_turn(char *buf, size_t cap, int tty) {
  size_t n = 0;
  buf[0] = 0;
  for (;;) {
#ifdef VN_LINE_EDITING
    if (tty) {
      int r = edit_line(buf, n, cap, n ? ". " : "> ");
      if (r == -2) return -2;
      if (r == -1) return n ? 0 : -1;
      n += strlen(buf + n);
      if (n && buf[n - 1] == '\\' && n + 2 < cap) { buf[n - 1] = '\n'; continue; }
      return 0;
    }
#endif
    if (tty) { fputs(n ? ". " : "> ", stderr); fflush(stderr); }
    if (tty && stdin_ready()) return -2;
    errno = 0;
    if (!fgets(buf + n, (int)(cap - n), stdin)) {
      if (chat_quit || errno == EINTR) return -2;
      return n ? 0 : -1;
    }
    n += strlen(buf + n);
    if (n && buf[n - 1] == '\n') buf[--n] = 0;
    if (n && buf[n - 1] == '\\' && n + 2 < cap) { buf[n - 1] = '\n'; continue; }
    return 0;
  }
}

static int blank(const char *s) {
  for (; *s; s++) if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') return 0;
  return 1;
}

/* The conversation so far: each turn's user text and reply ids, so that a
 * full context can drop the oldest turns and rebuild the rest. */
typedef struct ChatTurn { char *msg; int32_t *reply; int nreply; } ChatTurn;
typedef struct Chat {
  ChatTurn *t;
  int nt, cap, dropped;          /* dropped: turns no longer in the context */
} Chat;

static void chat_clear(Chat *c) {
  for (int i = 0; i < c->nt; i++) { free(c->t[i].msg); free(c->t[i].reply); }
  c->nt = c->dropped = 0;
}

/* The ids of the conversation from turn d of the history on, plus msg, up
 * to the reply's header: rendered whole by the model's chat template (f
 * NULL; each reply is its decoded text, as transformers would be given it),
 * or the format f's turns with each reply's own ids. malloc'ed; NULL with
 * err on failure (the template refusing the conversation, memory). */
static int32_t *conv_ids(const VnTok *tok, const VnChatFmt *f, const Opts *o, const Chat *c, int d, const char *msg,
                         long *n, char *err, size_t errcap) {
  snprintf(err, errcap, "out of memory");
  if (!f) {
    int nm = 0, rc = 0;
    VnChatMsg *m = calloc((size_t)(2 * (c->nt - d) + 2), sizeof *m);
    char **rep = calloc((size_t)(c->nt - d + 1), sizeof *rep);
    if (!m || !rep) { free(m); free(rep); return NULL; }
    if (o->system) m[nm++] = (VnChatMsg){"system", o->system};
    for (int i = d; i < c->nt && !rc; i++) {
      const ChatTurn *t = &c->t[i];
      size_t tl = vn_tok_decode(tok, t->reply, (size_t)t->nreply, NULL, 0);
      if (!(rep[i - d] = malloc(tl + 1))) { rc = 1; break; }
      rep[i - d][vn_tok_decode(tok, t->reply, (size_t)t->nreply, rep[i - d], tl)] = 0;
      m[nm++] = (VnChatMsg){"user", t->msg};
      m[nm++] = (VnChatMsg){"assistant", rep[i - d]};
    }
    m[nm++] = (VnChatMsg){"user", msg};
    char *text = rc ? NULL : vn_chat_render(m, nm, 1, o->no_think ? 0 : -1, err, errcap);
    for (int i = d; i < c->nt; i++) free(rep[i - d]);
    free(rep);
    free(m);
    if (!text) return NULL;
    int32_t *ids = tokenize(tok, text, strlen(text), 0, n);  /* as apply_chat_template: no special tokens added */
    free(text);
    if (!ids) snprintf(err, errcap, "cannot tokenize the chat prompt");
    return ids;
  }
  int32_t *all = NULL;
  long len = 0;
  for (int i = d; i <= c->nt; i++) {
    long k;
    int32_t *ids = chat_ids(tok, f, i == d, o->system, i < c->nt ? c->t[i].msg : msg, &k);
    int nr = i < c->nt ? c->t[i].nreply : 0;
    int32_t *na = ids ? realloc(all, (size_t)(len + k + nr + 1) * sizeof *all) : NULL;
    if (!na) { free(ids); free(all); return NULL; }
    all = na;
    memcpy(all + len, ids, (size_t)k * sizeof *all);
    free(ids);
    len += k;
    if (nr) memcpy(all + len, c->t[i].reply, (size_t)nr * sizeof *all);
    len += nr;
  }
  *n = len;
  return all;
}

static void chat_help(void) {
  fputs("Type a message and press Enter; end a line with \\ to continue it on the next.\n"
        "  /reset   start a new conversation\n"
        "  /exit    leave (so do Ctrl+D, and Ctrl+C at the prompt)\n"
        "Ctrl+C during a reply stops the reply.\n", stderr);
}

/* --chat: one turn from -p/-f, or a turn per line of stdin until EOF. Each
 * turn the whole conversation is built again (conv_ids) and only what
 * differs from what the KV cache holds is read: a template that renders the
 * history as before costs the new turn alone. When a turn does not fit, the
 * oldest turns are dropped (with a notice). f NULL: the model's template. */
static int chat_loop(VnRt *rt, const VnTok *tok, const VnChatFmt *f, const Opts *o, const char *first_msg, int ctx) {
  VnSampler s;
  if (vn_sampler_init(&s, vn_model.vocab, o->seed_set ? o->seed : (uint64_t)time(NULL) ^ 0x5deece66dull)) return die(1, "out of memory");
  s.temp = o->temp; s.top_k = o->top_k; s.top_p = o->top_p; s.min_p = o->min_p;
  s.repeat_penalty = o->repeat_penalty; s.repeat_last_n = o->repeat_last_n;
  int32_t *seq = malloc((size_t)ctx * sizeof *seq);
  static char line[65536];
  char obuf[1024];
  int n = 0, rc = 0;
  int interactive = !first_msg, tty = interactive && isatty(0);
  /* room kept for a reply when a turn is added: -n, at most a quarter of the context */
  int reserve = o->n >= 0 && o->n < ctx / 4 ? o->n : ctx / 4;
  Chat c = {0};
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_chat_sigint;  /* no SA_RESTART: Ctrl+C ends a read at the prompt */
  int caught = tty && sigaction(SIGINT, &sa, &old) == 0;
  if (!seq) { vn_sampler_free(&s); return die(1, "out of memory"); }
  if (tty) fputs("(/help lists the commands)\n", stderr);
  for (;;) {
    const char *msg = first_msg;
    if (interactive) {
      int r = read_turn(line, sizeof line, tty);
      if (r == -2) { if (tty) fputc('\n', stderr); break; }
      if (r == -1) break;
      if (blank(line)) continue;  /* an empty line sends nothing */
      if (!strcmp(line, "/exit") || !strcmp(line, "/quit")) break;
      if (!strcmp(line, "/help")) { chat_help(); continue; }
      if (!strcmp(line, "/reset")) { chat_clear(&c); n = 0; fputs("(a new conversation)\n", stderr); continue; }
      msg = line;
    }
    long k;
    char why[600];
    int32_t *ids = conv_ids(tok, f, o, &c, c.dropped, msg, &k, why, sizeof why);
    if (!ids) { rc = die(1, "cannot build the chat prompt: %s", why); break; }
    int d = c.dropped;
    /* drop the oldest turns until this one fits (with room for a reply, or without at last) */
    while (k + reserve > ctx && d < c.nt) {
      free(ids);
      if (!(ids = conv_ids(tok, f, o, &c, ++d, msg, &k, why, sizeof why))) break;
    }
    if (ids && k > ctx - 1) {  /* the conversation stays as it was */
      free(ids);
      fprintf(stderr, "%s: this turn does not fit the context of %d tokens (raise --ctx); it was not sent\n", prog, ctx);
      if (!interactive) { rc = 1; break; }
      continue;
    }
    if (!ids) { rc = die(1, "cannot build the chat prompt: %s", why); break; }
    if (d > c.dropped) {
      fprintf(stderr, "%s: note: the context of %d tokens is full: the oldest %d turn%s dropped\n", prog, ctx,
              d - c.dropped, d - c.dropped == 1 ? " was" : "s were");
      c.dropped = d;
    }
    long same = 0;  /* what the KV cache already holds of it (at least the last id is read again, for its logits) */
    while (same < n && same < k - 1 && seq[same] == ids[same]) same++;
    memcpy(seq + same, ids + same, (size_t)(k - same) * sizeof *seq);
    free(ids);
    run_tokens(rt, seq + same, (int)(k - same), (int)same, 0, NULL, NULL);
    n = (int)k;
    if (c.nt == c.cap) {
      int cap = c.cap ? 2 * c.cap : 16;
      ChatTurn *t = realloc(c.t, (size_t)cap * sizeof *t);
      if (!t) { rc = die(1, "out of memory"); break; }
      c.t = t;
      c.cap = cap;
    }
    ChatTurn *turn = &c.t[c.nt++];
    turn->msg = strdup(msg);
    turn->reply = NULL;
    turn->nreply = 0;
    int start = n;
    VnTokStream ts;
    vn_tok_stream_init(&ts, tok);
    chat_generating = 1;
    chat_stop = 0;
    for (int g = 0; (o->n < 0 || g < o->n) && n < ctx && !chat_stop; g++) {
      int32_t next = vn_sample(&s, vn_rt_logits(rt), seq, n);
      if (!o->ignore_eos && is_eos(tok, next)) break;  /* the format's end-of-reply text is fed instead */
      size_t w = vn_tok_stream_next(&ts, next, obuf, sizeof obuf);
      fwrite(obuf, 1, w, stdout);
      fflush(stdout);
      seq[n] = next;
      vn_rt_begin_step(rt, 1, n);
      vn_model_step(rt, &seq[n], 1, n, 0);
      n++;
    }
    chat_generating = 0;
    size_t w = vn_tok_stream_flush(&ts, obuf, sizeof obuf);
    fwrite(obuf, 1, w, stdout);
    printf("\n");
    fflush(stdout);
    if (chat_stop) fputs("(stopped)\n", stderr);
    if (n >= ctx) fprintf(stderr, "%s: note: the reply filled the context of %d tokens\n", prog, ctx);
    if (turn->msg && (turn->reply = malloc((size_t)(n - start + 1) * sizeof *turn->reply))) {
      memcpy(turn->reply, seq + start, (size_t)(n - start) * sizeof *seq);
      turn->nreply = n - start;
    }
    if (!interactive) break;
  }
  if (caught) sigaction(SIGINT, &old, NULL);
  chat_clear(&c);
  free(c.t);
  free(seq);
  vn_sampler_free(&s);
  return rc;
}
#endif

/* --perplexity FILE: exp of the mean negative log-likelihood over windows
 * of ctx tokens; the exit status */
static int run_perplexity(VnRt *rt, const VnTok *tok, const Opts *o, int ctx) {
  const VnModel *m = &vn_model;
  size_t tlen;
  char *text = read_file(o->ppl, &tlen);
  if (!text) return die(1, "%s: cannot read the text", o->ppl);
  long nt;
  int32_t *all = tokenize(tok, text, tlen, 0, &nt);
  cli_free(text);
  if (!all) return die(1, "%s: cannot tokenize the text", o->ppl);
  /* windows of --ctx tokens; a text shorter than one is one shorter window */
  int win = nt < ctx ? (int)nt : ctx;
  long nwin = win >= 2 ? nt / win : 0;
  if (o->chunks && o->chunks < nwin) nwin = o->chunks;
  if (nwin < 1) { cli_free(all); return die(2, "%s: %ld tokens, too few to score (at least 2)", o->ppl, nt); }
  PplAcc acc = {NULL, win, 0, 0, m->vocab};
  double t0 = now_s();
  for (long w = 0; w < nwin; w++) {
    acc.ids = all + w * win;
    run_tokens(rt, acc.ids, win, 0, 1, ppl_step, &acc);
    if (stderr_tty()) fprintf(stderr, "\r[%ld/%ld] perplexity so far %.4f", w + 1, nwin, exp(acc.nll / acc.count));
  }
  if (stderr_tty()) fputc('\n', stderr);
  double t1 = now_s();
  printf("perplexity: %.4f\n", exp(acc.nll / acc.count));
  if (o->stats) fprintf(stderr, "%ld windows of %d tokens in %.3f s, %.1f tokens/s\n", nwin, win, t1 - t0, nwin * win / (t1 - t0));
  cli_free(all);
  return 0;
}

/* ---- --embed ---- */
/* -f FILE under --embed: each line (without its \n or \r\n) one input,
 * tokenized with the model's special tokens; ids of every line one after
 * the other, line k's from off[k] to off[k + 1]. Returns the ids or NULL
 * with a message said; *longest gets the longest line's count. */
static int32_t *embed_lines(const VnTok *tok, const char *path, const char *text, size_t len, long **off_out, long *nin,
                            long *longest, int *rc) {
  long nl = 0, total = 0;
  for (size_t i = 0; i < len; i++) nl += text[i] == '\n';
  if (len && text[len - 1] != '\n') nl++;
  *rc = 2;
  if (!nl) { die(2, "%s: no lines to embed", path); return NULL; }
  long *off = cli_alloc((size_t)(nl + 1) * sizeof *off);
  int32_t *all = NULL;
  if (!off) { *rc = die(1, "out of memory"); return NULL; }
  *longest = 0;
  size_t p = 0;
  for (long k = 0; k < nl; k++) {
    size_t e = p;
    while (e < len && text[e] != '\n') e++;
    size_t n = e - p;
    if (n && text[p + n - 1] == '\r') n--;
    long c;
    int32_t *ids = tokenize(tok, text + p, n, 1, &c);
    if (!ids) { *rc = die(1, "%s:%ld: cannot tokenize the line", path, k + 1); cli_free(all); cli_free(off); return NULL; }
    if (!c) { die(2, "%s:%ld: the line gives no tokens", path, k + 1); cli_free(ids); cli_free(all); cli_free(off); return NULL; }
#ifdef VN_BAREMETAL
    int32_t *na = NULL;  /* no realloc in the static pool: grow by copying */
    if ((na = cli_alloc((size_t)(total + c) * sizeof *na)) && total) memcpy(na, all, (size_t)total * sizeof *na);
#else
    int32_t *na = realloc(all, (size_t)(total + c) * sizeof *na);
#endif
    if (!na) { *rc = die(1, "out of memory"); cli_free(ids); cli_free(all); cli_free(off); return NULL; }
    all = na;
    memcpy(all + total, ids, (size_t)c * sizeof *ids);
    cli_free(ids);
    off[k] = total;
    total += c;
    if (c > *longest) *longest = c;
    p = e + 1;
  }
  off[nl] = total;
  *off_out = off;
  *nin = nl;
  *rc = 0;
  return all;
}

/* One embedding per input (ids[off[k]..off[k+1]), each its own step from
 * position 0), as JSON arrays or float32 to --embed-out or stdout; the
 * exit status */
static int run_embed(VnRt *rt, const Opts *o, const int32_t *ids, const long *off, long nin) {
  const VnModel *m = &vn_model;
  int pooling = o->pooling ? vn_embed_pooling_parse(o->pooling) : m->pooling;
  int normalize = o->normalize >= 0 ? o->normalize : m->normalize;
  int f32 = o->embed_format && !strcmp(o->embed_format, "f32");
  float *v = cli_alloc((size_t)m->hidden_cols * sizeof *v);
  if (!v) return die(1, "out of memory");
  char tmp[4200];
  tmp[0] = 0;
  FILE *f = stdout;
  if (o->embed_out && !(f = logits_open(o->embed_out, tmp, sizeof tmp))) {
    cli_free(v);
    return die(1, "%s: cannot write the embeddings: %s", o->embed_out, strerror(errno));
  }
  LogitsOut lo = {f, m->hidden_cols, 0};
  long ntok = 0;
  double t0 = now_s();
  for (long k = 0; k < nin; k++) {
    int T = (int)(off[k + 1] - off[k]);
    run_tokens(rt, ids + off[k], T, 0, 1, NULL, NULL);
    vn_embed_pool(rt, T, pooling, normalize, v);
    ntok += T;
    if (f32) write_logits(&lo, v, 1, 0);
    else {
      fputc('[', f);
      for (int64_t c = 0; c < m->hidden_cols; c++) fprintf(f, c ? ", %.9g" : "%.9g", (double)v[c]);
      if (fputs("]\n", f) == EOF && !lo.err) lo.err = errno ? errno : EIO;
    }
  }
  double t1 = now_s();
  cli_free(v);
  int rc = 0;
  if (o->embed_out) {
    if (logits_close(f, lo.err, o->embed_out, tmp)) rc = die(1, "%s: write failed: %s", o->embed_out, strerror(errno));
  } else if (fflush(stdout) || lo.err) rc = die(1, "standard output: write failed: %s", strerror(lo.err ? lo.err : errno));
  if (o->stats) fprintf(stderr, "embed: %ld inputs, %ld tokens in %.3f s, %.1f tokens/s\n", nin, ntok, t1 - t0, ntok / (t1 - t0));
  return rc;
}

/* Generation from the prompt ids: text (or ids, or --json) to stdout; the exit status */
static int run_generate(VnRt *rt, const VnTok *tok, int have_tok, const Opts *o, const int32_t *ids, long nids,
                        const char *text, size_t tlen, int ctx) {
  const VnModel *m = &vn_model;
  VnSampler s;
  uint64_t seed = o->seed_set ? o->seed : (uint64_t)time(NULL) ^ 0x5deece66dull;
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
    vn_rt_free(rt);
    return die(1, "out of memory");
  }
  s.temp = o->temp; s.top_k = o->top_k; s.top_p = o->top_p; s.min_p = o->min_p;
  s.repeat_penalty = o->repeat_penalty; s.repeat_last_n = o->repeat_last_n;
  /* positions 0..ctx-1 fit the cache, and the logits of the last one still
   * give a token: the sequence ends at ctx + 1 tokens, its last one printed
   * but never fed back (a prompt of P tokens has ctx - P + 1 to generate) */
  int total = o->n < 0 ? ctx + 1 : (int)nids + o->n;
  if (total > ctx + 1) total = ctx + 1;
  int32_t *seq = cli_alloc((size_t)(total > nids ? total : nids) * sizeof *seq);
  if (!seq) { return die(1, "out of memory"); }
  memcpy(seq, ids, (size_t)nids * sizeof *seq);
  int print_text = !o->print_ids && have_tok;
  VnTokStream ts;
  char obuf[1024];
  Emit em = {o, {0}, 0, 0};
  float *raw = o->json ? cli_alloc((size_t)m->vocab * sizeof *raw) : NULL;
  if (o->json && !raw) { return die(1, "out of memory"); }
  const char *finish = "length";
  if (print_text) {
    vn_tok_stream_init(&ts, tok);
    for (long i = 0; i < nids; i++) vn_tok_stream_next(&ts, ids[i], obuf, sizeof obuf); /* context for the decoder */
    if (o->json || o->no_display_prompt) ;
    else if (o->prompt || o->prompt_file) fwrite(text ? text : o->prompt, 1, tlen, stdout);
    else {
      char *pt = cli_alloc(vn_tok_decode(tok, ids, (size_t)nids, NULL, 0) + 1);
      size_t pl = pt ? vn_tok_decode(tok, ids, (size_t)nids, pt, (size_t)-1) : 0;
      fwrite(pt, 1, pl, stdout);
      cli_free(pt);
    }
    fflush(stdout);
  }
  double t0 = now_s();
  run_tokens(rt, seq, (int)nids, 0, 0, NULL, NULL);
  double t1 = now_s(), t2 = t1;
  int n = (int)nids, gen = 0;
  while (o->n < 0 || gen < o->n) {
    if (raw) memcpy(raw, vn_rt_logits(rt), (size_t)m->vocab * sizeof *raw);
    int32_t next = vn_sample(&s, vn_rt_logits(rt), seq, n);
    seq[n++] = next;
    gen++;
    int eos = !o->ignore_eos && is_eos(have_tok ? tok : NULL, next);
    int stop = 0;
    if (o->print_ids || !have_tok) {
      if (o->json) json_token(NULL, raw, m->vocab, next, "", 0, o->n_probs);
      else printf("%s%d", gen > 1 ? " " : "", next);
    } else {
      size_t k = eos ? 0 : vn_tok_stream_next(&ts, next, obuf, sizeof obuf);  /* an end token prints nothing */
      stop = emit_text(&em, obuf, k, !o->json);
      if (o->json) json_token(tok, raw, m->vocab, next, obuf, k, o->n_probs);
    }
    fflush(stdout);
    if (eos || stop) { finish = "stop"; break; }
    if (gen == o->n) break;
    if (n > ctx) {  /* the token just printed has no position to be fed at */
      if (o->n >= 0 || o->print_ids) fprintf(stderr, "\n%s: context of %d tokens is full (raise --ctx)\n", prog, ctx);
      break;
    }
    vn_rt_begin_step(rt, 1, n - 1);
    vn_model_step(rt, &seq[n - 1], 1, n - 1, 0);
    t2 = now_s();
  }
  if (print_text && !em.stopped) {
    size_t k = vn_tok_stream_flush(&ts, obuf, sizeof obuf);
    if (!emit_text(&em, obuf, k, !o->json)) emit_flush(&em, !o->json);
    else finish = "stop";
  }
  if (o->json) printf("{\"prompt_tokens\": %ld, \"completion_tokens\": %d, \"finish_reason\": \"%s\"}\n", nids, gen, finish);
  else printf("\n");
  fflush(stdout);
  cli_free(raw);
  if (o->stats) {
    fprintf(stderr, "prefill: %ld tokens in %.3f s, %.1f tokens/s\n", nids, t1 - t0, nids / (t1 - t0));
    if (gen > 1) fprintf(stderr, "decode:  %d tokens in %.3f s, %.1f tokens/s\n", gen - 1, t2 - t1, (gen - 1) / (t2 - t1));
    fprintf(stderr, "threads: %d, context: %d\n", rt->nthreads, ctx);
  }
  cli_free(seq);
#ifndef VN_BAREMETAL
  vn_sampler_free(&s);
#endif
  return 0;
}

int vn_main(int argc, char **argv) {
  const VnModel *m = &vn_model;
  if (argc > 0 && argv[0]) {
    const char *s = strrchr(argv[0], '/');
    prog = s ? s + 1 : argv[0];
  }
  Opts o = {0};
  o.n = 128; o.ctx = 0; o.threads = 0; o.chunks = 0; o.normalize = -1;
  set_defaults(&o);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *eqv = NULL;
    char name[64];
    if (a[0] == '-' && a[1] == '-' && strchr(a, '=') && (size_t)(strchr(a, '=') - a) < sizeof name) {  /* --name=value */
      size_t l = (size_t)(strchr(a, '=') - a);
      memcpy(name, a, l);
      name[l] = 0;
      eqv = a + l + 1;
      a = name;
    }
    const char *v = eqv ? eqv : i + 1 < argc ? argv[i + 1] : NULL;
    long long iv;
    static const char *const bare_flags[] = {"--help", "--print-ids", "--ignore-eos", "--stats", "--chat", "--print-prompt",
                                             "--no-display-prompt", "--json", "--embed", "--normalize", "--no-normalize", "--no-thinking", NULL};
    for (const char *const *b = bare_flags; eqv && *b; b++)
      if (!strcmp(a, *b)) return die(2, "option %s takes no value", a);
#define NEED() do { if (!v) return die(2, "option %s needs a value (see --help)", a); if (!eqv) i++; } while (0)
#define INT(dst, lo, hi) do { NEED(); if (parse_int(v, lo, hi, &iv)) return die(2, "option %s: '%s' is not an integer in [%lld, %lld]", a, v, (long long)(lo), (long long)(hi)); dst = (int)iv; } while (0)
#define FLT(dst) do { NEED(); if (parse_float(v, &dst)) return die(2, "option %s: '%s' is not a number", a, v); } while (0)
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
    else if (!strcmp(a, "-p") || !strcmp(a, "--prompt")) { NEED(); o.prompt = v; }
    else if (!strcmp(a, "-f") || !strcmp(a, "--file")) { NEED(); o.prompt_file = v; }
    else if (!strcmp(a, "--ids")) { NEED(); o.ids = v; }
    else if (!strcmp(a, "-n") || !strcmp(a, "--n-predict")) INT(o.n, -1, 1 << 30);
    else if (!strcmp(a, "--temp")) FLT(o.temp);
    else if (!strcmp(a, "--top-k")) INT(o.top_k, 0, 1 << 30);
    else if (!strcmp(a, "--top-p")) FLT(o.top_p);
    else if (!strcmp(a, "--min-p")) FLT(o.min_p);
    else if (!strcmp(a, "--repeat-penalty")) FLT(o.repeat_penalty);
    else if (!strcmp(a, "--repeat-last-n")) INT(o.repeat_last_n, 0, 1 << 30);
    else if (!strcmp(a, "--seed") || !strcmp(a, "-s")) { NEED(); if (parse_int(v, 0, 0x7fffffffffffffffLL, &iv)) return die(2, "option --seed: '%s' is not a non-negative integer", v); o.seed = (unsigned long long)iv; o.seed_set = 1; }
    else if (!strcmp(a, "--print-ids")) o.print_ids = o.ignore_eos = 1;
    else if (!strcmp(a, "--ignore-eos")) o.ignore_eos = 1;
    else if (!strcmp(a, "--logits")) { NEED(); o.logits = v; }
    else if (!strcmp(a, "--pixels")) { NEED(); o.pixels = v; }
    else if (!strcmp(a, "--image-grid")) { NEED(); o.image_grid = v; }
    else if (!strcmp(a, "--perplexity")) { NEED(); o.ppl = v; }
    else if (!strcmp(a, "--chunks")) INT(o.chunks, 1, 1 << 30);
    else if (!strcmp(a, "--ctx") || !strcmp(a, "-c") || !strcmp(a, "--ctx-size")) INT(o.ctx, 2, 1 << 24);
    else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) INT(o.threads, 1, 1024);
    else if (!strcmp(a, "--weights")) { NEED(); o.weights = v; }
    else if (!strcmp(a, "--stats")) o.stats = 1;
    else if (!strcmp(a, "--chat")) o.chat = 1;
    else if (!strcmp(a, "--system")) { NEED(); o.system = v; }
    else if (!strcmp(a, "--chat-format")) { NEED(); o.chat_format = v; }
    else if (!strcmp(a, "--print-prompt")) o.print_prompt = 1;
    else if (!strcmp(a, "--no-thinking")) o.no_think = 1;
    else if (!strcmp(a, "--serve")) { NEED(); o.serve = v; }
    else if (!strcmp(a, "--stop")) {
      NEED();
      if (!*v) return die(2, "option --stop: the string is empty");
      if (strlen(v) > 255) return die(2, "option --stop: at most 255 bytes");
      if (o.nstop == 8) return die(2, "option --stop: at most 8 stop strings");
      o.stop[o.nstop++] = v;
    }
    else if (!strcmp(a, "--no-display-prompt")) o.no_display_prompt = 1;
    else if (!strcmp(a, "--json")) o.json = 1;
    else if (!strcmp(a, "--n-probs")) { INT(o.n_probs, 0, 100); o.json = 1; }
    else if (!strcmp(a, "--verify")) o.verify = 1;
    else if (!strcmp(a, "--embed")) o.embed = 1;
    else if (!strcmp(a, "--normalize")) o.normalize = 1;
    else if (!strcmp(a, "--no-normalize")) o.normalize = 0;
    else if (!strcmp(a, "--pooling")) {
      NEED();
      if (!vn_embed_pooling_parse(v)) return die(2, "option --pooling: '%s' is not mean, cls or last", v);
      o.pooling = v;
    }
    else if (!strcmp(a, "--embed-format")) {
      NEED();
      if (strcmp(v, "json") && strcmp(v, "f32")) return die(2, "option --embed-format: '%s' is not json or f32", v);
      o.embed_format = v;
    }
    else if (!strcmp(a, "--embed-out")) { NEED(); o.embed_out = v; }
    else if (!strcmp(a, "--decoder-ids")) { NEED(); o.decoder_ids = v; }
    else if (!strcmp(a, "--features")) { NEED(); o.features = v; }
    else if (!strcmp(a, "--audio")) { NEED(); o.audio = v; }
    else if (!strcmp(a, "--image")) { NEED(); o.image = v; }
    else return die(2, "unknown option '%s' (see --help)", a);
#undef NEED
#undef INT
#undef FLT
  }
  vn_rt_set_prog(prog);
  if (o.verify && (o.prompt || o.prompt_file || o.ids || o.ppl || o.logits || o.chat))
    return die(2, "--verify checks the weight file and exits: it takes no prompt, --ids, --perplexity or --chat");
  int nmodes = (o.prompt || o.prompt_file || o.ids ? 0 : 0) + (o.ppl != NULL);
  if (o.prompt && o.ids) return die(2, "give either -p or --ids, not both");
  if (o.prompt && o.prompt_file) return die(2, "give either -p or -f, not both");
  if (o.ppl && (o.prompt || o.prompt_file || o.ids || o.logits)) return die(2, "--perplexity takes no prompt, --ids or --logits");
  if (!m->encode && (o.decoder_ids || o.features || o.audio))
    return die(2, "--decoder-ids, --features and --audio go with encoder-decoder models; this %s model is not one", m->arch);
  if (m->encode && (o.chat || o.ppl || o.embed || o.serve))
    return die(2, "--chat, --perplexity, --embed and --serve are not available for an encoder-decoder model");
  if (o.logits && !o.ids && !(m->encode && (o.prompt || o.prompt_file || o.features || o.audio)))
    return die(2, "--logits needs --ids");
  if ((o.nstop || o.json || o.no_display_prompt) && (o.ppl || o.logits || o.chat || o.serve || o.print_ids))
    return die(2, "--stop, --json, --n-probs and --no-display-prompt go with generation (-p, -f or --ids), not --print-ids");
  if (o.serve) {
#ifndef VN_SERVER
    return die(2, "--serve: this binary was built without the server (venusc compile --server)");
#endif
    if (o.prompt || o.prompt_file || o.ids || o.ppl || o.logits || o.chat || o.print_prompt || o.system)
      return die(2, "--serve takes no prompt, --ids, --logits, --perplexity or --chat");
  }
#ifndef VN_BAREMETAL
  /* no prompt, a terminal and a chat format: a conversation */
  if (!o.prompt && !o.prompt_file && !o.ids && !o.ppl && !o.chat && !o.serve && !o.logits && !o.verify && isatty(0) &&
      has_tokenizer() && vn_model.chat_template && (vn_chat_find(o.chat_format) || (vn_model.chat_jinja && !o.chat_format)))
    o.chat = 1;
#endif
  if (!o.prompt && !o.prompt_file && !o.ids && !o.ppl && !o.chat && !o.serve && !o.verify && !o.features && !o.audio) { usage(stderr); return 2; }
  if (o.chat && (o.ids || o.ppl || o.logits)) return die(2, "--chat takes -p, -f or lines on stdin, not --ids, --logits or --perplexity");
  if ((o.system || o.print_prompt) && !o.chat) return die(2, "--system and --print-prompt go with --chat");
  if (o.no_think && !o.chat) return die(2, "--no-thinking goes with --chat");
  if (o.chat_format && !o.chat && !o.serve) return die(2, "--chat-format goes with --chat or --serve");
  (void)nmodes;
  if (o.temp < 0 || o.top_p < 0 || o.top_p > 1 || o.min_p < 0 || o.min_p > 1 || o.repeat_penalty < 0)
    return die(2, "sampling options out of range (--temp >= 0, --top-p and --min-p in [0, 1], --repeat-penalty >= 0)");
  if (o.embed) {
    if (!m->hidden_cols)
      return die(2, "--embed: this model gives no embeddings (its spec marks no hidden states; encoder models have them)");
    if (o.logits || o.ppl || o.chat || o.serve || o.print_ids || o.json || o.nstop || o.no_display_prompt || o.verify)
      return die(2, "--embed takes -p, -f or --ids, not --logits, --perplexity, --chat, --serve or generation output flags");
  } else if ((o.embed_format || o.embed_out) || ((o.pooling || o.normalize >= 0) && !o.serve))
    return die(2, "--pooling, --normalize, --embed-format and --embed-out go with --embed%s",
               o.embed_format || o.embed_out ? "" : " (or --serve)");
  if (m->encoder_only && !o.logits && !o.verify && !o.embed && !o.serve)
    return die(2, "this is an encoder model: it gives logits (--ids ... --logits FILE)%s, it does not generate",
               m->hidden_cols ? " and embeddings (--embed)" : "");

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
  int32_t *enc_ids = NULL;  /* encoder-decoder: the encoder's ids, or its float frames */
  float *enc_feat = NULL;
  long nenc = 0;
  long *eoff = NULL, nin = 1, span = 0;  /* --embed: inputs ids[eoff[k]..eoff[k+1]), the longest span ids */
  long one_off[2] = {0, 0};
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
    fmt = o.chat_format || !m->chat_jinja ? vn_chat_find(o.chat_format) : NULL;  /* NULL: the model's template */
    if (!fmt && (o.chat_format || !m->chat_jinja)) {
      char names[256] = "";
      for (int i = 0; i < m->nchat; i++) { strcat(names, i ? ", " : ""); strncat(names, m->chat[i].name, 40); }
      if (o.chat_format) FAIL(2, "--chat-format %s: not one of %s", o.chat_format, names);
      FAIL(2, "%s; give --chat-format NAME (one of %s)",
                 m->chat_template ? "this model's chat template is one venus cannot evaluate (venusc said why)" : "this model has no chat template", names);
    }
    if (o.prompt_file) {
      size_t fl;
      first_msg = read_file(o.prompt_file, &fl);
      if (!first_msg) FAIL(1, "%s: cannot read the prompt file", o.prompt_file);
    } else if (o.prompt) first_msg = strdup(o.prompt);
    else if (o.print_prompt) {  /* the first turn from stdin */
      static char tl[65536];
      if (read_turn(tl, sizeof tl, isatty(0)) == 0) first_msg = strdup(tl);
    }
    if (o.print_prompt) {
      long n;
      char why[600];
      Chat none = {0};
      int32_t *ci = conv_ids(&tok, fmt, &o, &none, 0, first_msg ? first_msg : "", &n, why, sizeof why);
      if (!ci) FAIL(1, "cannot build the chat prompt: %s", why);
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
  } else if (o.embed && o.prompt_file) {
    text = read_file(o.prompt_file, &tlen);
    if (!text) FAIL(1, "%s: cannot read the input file", o.prompt_file);
    int erc;
    ids = embed_lines(&tok, o.prompt_file, text, tlen, &eoff, &nin, &span, &erc);
    if (!ids) { rc = erc; goto done; }
    nids = eoff[nin];
  } else if (!o.chat && (o.prompt || o.prompt_file)) {
    if (o.prompt_file) {
      text = read_file(o.prompt_file, &tlen);
      if (!text) FAIL(1, "%s: cannot read the prompt file", o.prompt_file);
    } else tlen = strlen(o.prompt);
    ids = tokenize(&tok, text ? text : o.prompt, tlen, 1, &nids);
    if (!ids) FAIL(1, "cannot tokenize the prompt");
    if (nids == 0) FAIL(2, "the prompt gives no tokens");
  }

  /* encoder-decoder: that input is the encoder's (or the audio features);
   * the decoder's prompt is --decoder-ids or its start token */
  if (m->encode && !o.verify) {
    char ferr[600];
    if (m->enc_mels && (o.ids || o.prompt || o.prompt_file)) FAIL(2, "this model's encoder reads audio: give --features FILE.f32 or --audio FILE.wav, not --ids or -p");
    if (!m->enc_mels && (o.features || o.audio)) FAIL(2, "this model's encoder reads token ids (--ids or -p), not --features or --audio");
    if (o.features && o.audio) FAIL(2, "give either --features or --audio, not both");
    if (m->enc_mels && !o.features && !o.audio) FAIL(2, "this model's encoder reads audio: give --features FILE.f32 or --audio FILE.wav");
    if (o.features && !(enc_feat = vn_s2s_read_features(m, o.features, ferr, sizeof ferr))) FAIL(2, "%s", ferr);
    if (o.audio && !(enc_feat = vn_s2s_read_audio(m, o.audio, ferr, sizeof ferr))) FAIL(2, "%s", ferr);
    nenc = enc_feat ? (long)m->enc_rows : nids;
    if (nenc > m->enc_rows) FAIL(2, "the encoder's input has %ld tokens, more than its %lld positions", nenc, (long long)m->enc_rows);
    enc_ids = ids;
    long cap = o.decoder_ids ? (long)strlen(o.decoder_ids) / 2 + 2 : 1;
    ids = cli_alloc((size_t)cap * sizeof *ids);
    if (!ids) FAIL(1, "out of memory");
    if (o.decoder_ids) {
      char bad[64];
      nids = parse_ids(o.decoder_ids, ids, cap, m->vocab, bad, sizeof bad);
      if (nids < 0) FAIL(2, "--decoder-ids: '%s' is not a token id in [0, %lld)", bad, (long long)m->vocab);
      if (nids == 0) FAIL(2, "--decoder-ids: no ids given");
    } else {
      ids[0] = m->dec_start;
      nids = 1;
    }
    o.prompt = o.prompt_file = NULL;  /* what generation prints first is the decoder's prompt */
  }

  if (!eoff) { span = nids; one_off[1] = nids; }
#ifdef VN_BAREMETAL
  int ctx = o.ctx ? o.ctx : (int)m->ctx_max;  /* the state is static, sized for ctx_max */
#else
  int ctx = o.ctx ? o.ctx : default_ctx(1);
  if (!o.ctx && !o.chat && !o.ppl && span > 0) {  /* a prompt and -n that need more get it, with a note */
    long long need = span + (o.logits || o.embed || o.n < 0 ? 0 : (long long)o.n);
    if (need > (1 << 24)) need = 1 << 24;
    if (need > ctx) {
      if (m->max_pos > 0 && need > m->max_pos && !m->encoder_only)
        fprintf(stderr, "%s: note: context %lld for the prompt and -n, past the trained context of %lld tokens; text past it may degrade\n",
                prog, need, (long long)m->max_pos);
      ctx = (int)need;
    }
  }
  if (o.ctx && m->max_pos > 0 && o.ctx > m->max_pos && !m->max_ctx)
    fprintf(stderr, "%s: warning: --ctx %d is past the trained context of %lld tokens; text past it may degrade\n", prog, o.ctx,
            (long long)m->max_pos);
#endif
  if (m->encoder_only && !o.ctx && !o.serve) ctx = (int)(span > 0 ? span : 1);
  if (m->max_ctx > 0 && ctx > m->max_ctx) {  /* no positions past a learned position table */
    if (o.ctx) FAIL(2, "--ctx %d: this model has only %lld positions", ctx, (long long)m->max_ctx);
    ctx = (int)m->max_ctx;
  }
  /* bidirectional attention needs every token in one step: no chunked prefill */
  if (m->encoder_only && span > m->t_max)
    FAIL(2, "this encoder model sees its whole input in one step: %ld ids, more than the %lld it was compiled for (venusc compile --batch N)",
               span, (long long)m->t_max);
  if (o.ids || o.prompt || o.prompt_file) {
    if (span > ctx) FAIL(2, "%s has %ld tokens, more than the context of %d (raise --ctx)", eoff ? "the longest input" : "the prompt", span, ctx);
  }
  int threads = o.threads;
#ifndef VN_NO_THREADS
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  if (!threads) threads = cores > 0 ? (int)cores : 1;
  else if (cores > 0 && threads > cores) {
    fprintf(stderr, "%s: warning: -t %d is more than the %ld cores present; using %ld\n", prog, threads, cores, cores);
    threads = (int)cores;
  }
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
  if (o.verify) {  /* the smallest context: only the weight file matters */
    if (vn_rt_init(&rt, m, wpath, 2, 1, err, sizeof err)) FAIL(1, "%s", err);
    if (vn_rt_verify(&rt, wpath, err, sizeof err)) FAIL(1, "%s", err);
    printf("%s\n", err);
    goto done;
  }
  if (vn_rt_init(&rt, m, wpath, ctx, threads, err, sizeof err)) FAIL(1, "%s", err);
  if ((o.pixels || o.image || m->vision) && (rc = image_input(&rt, &o, ids, nids)) != 0) goto done;
  if (m->encode) {
    double te = now_s();
    vn_rt_encode(&rt, enc_feat ? (const void *)enc_feat : (const void *)enc_ids, (int)nenc);
    if (o.stats) fprintf(stderr, "encode:  %ld positions in %.3f s\n", nenc, now_s() - te);
  }

#ifdef VN_SERVER
  if (o.serve) {
    VnServeOpts so = {prog, o.serve, prog, have_tok ? vn_chat_find(o.chat_format) : NULL, o.n, o.top_k, o.repeat_last_n,
                      o.temp, o.top_p, o.min_p, o.repeat_penalty, 0, 0};
    so.pooling = o.pooling ? vn_embed_pooling_parse(o.pooling) : m->pooling;
    so.normalize = o.normalize >= 0 ? o.normalize : m->normalize;
    so.template_chat = have_tok && m->chat_jinja && !o.chat_format;
    rc = vn_serve(&rt, have_tok ? &tok : NULL, &so);
    goto done;
  }
#endif
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
  } else if (o.embed) {
    rc = run_embed(&rt, &o, ids, eoff ? eoff : one_off, nin);
  } else if (o.ppl) {
    rc = run_perplexity(&rt, &tok, &o, ctx);
  } else {
    rc = run_generate(&rt, &tok, have_tok, &o, ids, nids, text, tlen, ctx);
  }
done:
#undef FAIL
#ifndef VN_BAREMETAL
  free(first_msg);
#endif
  cli_free(ids);
  cli_free(enc_ids);
  cli_free(enc_feat);
  cli_free(eoff);
  cli_free(text);
  vn_rt_free(&rt);
  return rc;
}
