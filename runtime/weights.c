/* weights.c: start-up of a model binary. Maps the weight file read-only and
 * checks that it is the one written for this binary (magic, byte order,
 * the id venusc stamped into both, and its length), then allocates, once,
 * every buffer a step uses: the activation arena, the state (KV cache) for
 * ctx positions, the RoPE tables and per-thread scratch.
 *
 * The weight file's layout and checksums are wfile.c's: start-up checks the
 * header, the tensor table and the file's size (never the data: --verify
 * does). A mapped file that is truncated while the binary runs raises
 * SIGBUS on its pages; the handler says so in one line. Targets without
 * mmap (VN_NO_MMAP) read the file into memory; bare-metal binaries
 * (VN_BAREMETAL) carry the weights linked in and take every buffer from
 * the static pool venusc sized (no malloc, no file). */
#include "runtime.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if !defined(VN_NO_MMAP) && !defined(VN_BAREMETAL)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#ifdef VN_BAREMETAL
static size_t pool_used;
void *vn_static_alloc(size_t n) {
  n = (n + 63) & ~(size_t)63;
  uintptr_t base = ((uintptr_t)vn_model.pool + 63) & ~(uintptr_t)63;
  size_t skip = (size_t)(base - (uintptr_t)vn_model.pool);
  if (!vn_model.pool || skip + pool_used + n > (size_t)vn_model.pool_bytes) return NULL;
  void *p = (void *)(base + pool_used);
  pool_used += n;
  return p;
}
#else
void *vn_static_alloc(size_t n) { (void)n; return NULL; }
#endif

static void *alloc64(size_t n) {
  if (n == 0) n = 64;
  n = (n + 63) & ~(size_t)63;
#if defined(VN_BAREMETAL)
  return vn_static_alloc(n);
#elif defined(VN_NO_MMAP)
  void *p = malloc(n + 64);
  if (!p) return NULL;
  uintptr_t a = ((uintptr_t)p + 64) & ~(uintptr_t)63;
  ((void **)a)[-1] = p;
  return (void *)a;
#else
  void *p = NULL;
  if (posix_memalign(&p, 64, n)) return NULL;
  return p;
#endif
}

static void free64(void *p);

/* n zero bytes, 64-byte aligned. Hosted, a large block comes fresh from
 * the kernel (calloc of an mmapped chunk writes nothing), so a KV cache
 * sized for --ctx costs memory only as positions are written, and start-up
 * touches none of it; elsewhere it is cleared here. Freed with zfree64. */
static void *zalloc64(size_t n) {
#if defined(VN_BAREMETAL) || defined(VN_NO_MMAP)
  void *p = alloc64(n);
  if (p) memset(p, 0, n ? n : 64);
  return p;
#else
  void *p = calloc(1, n + 64);
  if (!p) return NULL;
  uintptr_t a = ((uintptr_t)p + 64) & ~(uintptr_t)63;
  ((void **)a)[-1] = p;
  return (void *)a;
#endif
}

static void zfree64(void *p) {
#if defined(VN_BAREMETAL) || defined(VN_NO_MMAP)
  free64(p);
#else
  if (p) free(((void **)p)[-1]);
#endif
}

static void free64(void *p) {
  if (!p) return;
#if defined(VN_BAREMETAL)
  (void)p;  /* the static pool is never given back */
#elif defined(VN_NO_MMAP)
  free(((void **)p)[-1]);
#else
  free(p);
#endif
}

/* the start-up check (wfile.c), then: this machine's byte order, and the
 * id and size venusc stamped into this binary */
static int check_header(const VnModel *m, const uint8_t *h, uint64_t len, const char *path, char *err, size_t cap) {
  VnWInfo wi;
  if (vn_wfile_open(&wi, h, len, path, err, cap)) return -1;
  if (wi.big_endian != (m->big_endian ? 1 : 0)) {
    snprintf(err, cap, "%s: packed for a target of the other byte order", path);
    return -1;
  }
  if (wi.id != m->weights_id || wi.data_end != (uint64_t)m->weight_bytes) {
    snprintf(err, cap, "%s: this weight file belongs to another model binary (id %016llx, expected %016llx); "
                       "use the .vnw written beside this binary by the same venusc compile",
             path, (unsigned long long)wi.id, (unsigned long long)m->weights_id);
    return -1;
  }
  return 0;
}

#if !defined(VN_NO_MMAP) && !defined(VN_BAREMETAL) && !defined(VN_LIB)
#include <signal.h>
/* A mapped file that shrinks raises SIGBUS on the pages past its new end.
 * The handler names the weight file in one line and exits 1; a SIGBUS
 * elsewhere gets the default action. Only async-signal-safe calls. */
static const char *bus_prog = "model";
static char bus_msg[1200];
static size_t bus_len;
static const uint8_t *bus_lo, *bus_hi;
static struct sigaction bus_old;
static int bus_set;
static int bus_fired;

static void on_sigbus(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  const uint8_t *a = si ? (const uint8_t *)si->si_addr : NULL;
  if (a >= bus_lo && a < bus_hi) {
    /* threads that fault at once: the first says it, the others wait for its exit */
    if (__atomic_exchange_n(&bus_fired, 1, __ATOMIC_SEQ_CST))
      for (;;) pause();
    ssize_t w = write(2, bus_msg, bus_len);
    (void)w;
    _exit(1);
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

static void bus_watch(const void *p, size_t len, const char *path) {
  snprintf(bus_msg, sizeof bus_msg, "%s: %s: the weight file was truncated or became unreadable while the model ran\n",
           bus_prog, path);
  bus_len = strlen(bus_msg);
  bus_lo = p;
  bus_hi = (const uint8_t *)p + len;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  bus_set = sigaction(SIGBUS, &sa, &bus_old) == 0;
}

static void bus_unwatch(void) {
  if (bus_set) sigaction(SIGBUS, &bus_old, NULL);
  bus_set = 0;
  bus_lo = bus_hi = NULL;
}

void vn_rt_set_prog(const char *prog) { bus_prog = prog; }
#else
/* a library (VN_LIB) leaves the program's signals to the program */
#define bus_watch(p, len, path) ((void)(p), (void)(len), (void)(path))
#define bus_unwatch() ((void)0)
void vn_rt_set_prog(const char *prog) { (void)prog; }
#endif

int vn_rt_verify(const VnRt *rt, const char *path, char *msg, size_t cap) {
  VnWInfo wi;
  if (rt->m->weights_data) path = "the linked-in weights";
  if (vn_wfile_open(&wi, rt->w, rt->wfile_bytes, path, msg, cap)) return 1;
  return vn_wfile_verify(&wi, rt->w, path, msg, cap);
}

int vn_rt_init(VnRt *rt, const VnModel *m, const char *path, int ctx, int nthreads, char *err, size_t cap) {
  memset(rt, 0, sizeof *rt);
  rt->m = m;
  rt->ctx = ctx;
  rt->sc_rows = m->enc_rows > ctx ? (int)m->enc_rows : ctx;
  rt->nthreads = nthreads < 1 ? 1 : nthreads;
  {  /* the byte order it was compiled for must be this machine's */
    const uint16_t one = 1;
    if (*(const uint8_t *)&one == (m->big_endian ? 1 : 0)) {
      snprintf(err, cap, "this binary was generated for a %s-endian target but built for a %s-endian one",
               m->big_endian ? "big" : "little", m->big_endian ? "little" : "big");
      return -1;
    }
  }
#ifdef VN_BAREMETAL
  if (ctx > m->ctx_max) {
    snprintf(err, cap, "a context of %d positions: this build holds at most %d (venusc compile --ctx N)", ctx, (int)m->ctx_max);
    return -1;
  }
#endif
  if (m->weights_data) {
    if (check_header(m, m->weights_data, VN_WFILE_LEN_UNKNOWN, "the linked-in weights", err, cap)) return -1;
    rt->w = m->weights_data;
    rt->wfile_bytes = VN_WFILE_LEN_UNKNOWN;
  } else {
#if defined(VN_BAREMETAL)
    snprintf(err, cap, "%s: a bare-metal build reads no weight file; its weights are linked in", path);
    return -1;
#elif defined(VN_NO_MMAP)
    FILE *f = fopen(path, "rb");
    if (!f) { snprintf(err, cap, "%s: cannot open the weight file", path); return -1; }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = len > 0 ? alloc64((size_t)len) : NULL;
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
      fclose(f);
      free64(buf);
      snprintf(err, cap, "%s: cannot read the weight file", path);
      return -1;
    }
    fclose(f);
    if (check_header(m, buf, (uint64_t)len, path, err, cap)) { free64(buf); return -1; }
    rt->w = buf;
    rt->wmap = buf;
    rt->wmap_len = 0;
    rt->wfile_bytes = (uint64_t)len;
#else
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
      snprintf(err, cap, "%s: cannot open the weight file (it is written beside the binary by venusc compile; --weights FILE names another)", path);
      return -1;
    }
    struct stat st;
    if (fstat(fd, &st) || st.st_size < VN_WEIGHT_HEADER) {
      close(fd);
      snprintf(err, cap, "%s: not a venus weight file (too short)", path);
      return -1;
    }
    int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
    flags |= MAP_POPULATE;  /* the page tables at once: no page fault per 4 KiB inside the first step */
#endif
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, flags, fd, 0);
    close(fd);
    if (p == MAP_FAILED) { snprintf(err, cap, "%s: cannot map the weight file", path); return -1; }
    if (check_header(m, p, (uint64_t)st.st_size, path, err, cap)) { munmap(p, (size_t)st.st_size); return -1; }
    rt->w = p;
    rt->wmap = p;
    rt->wmap_len = (size_t)st.st_size;
    rt->wfile_bytes = (uint64_t)st.st_size;
    bus_watch(p, (size_t)st.st_size, path);
#endif
  }
  size_t rope_floats = 0;
  for (int i = 0; i < m->nropes; i++) rope_floats += (size_t)m->t_max * (size_t)m->ropes[i].rot_dim;
  rt->arena = alloc64((size_t)m->arena_bytes);
  size_t state_bytes = (size_t)ctx * (size_t)m->state_row_bytes + (size_t)m->state_fixed_bytes;
  rt->state = zalloc64(state_bytes);
  rt->rope_cs = alloc64(rope_floats * 4);
  rt->scratch = alloc64((size_t)rt->nthreads * (size_t)(rt->sc_rows + 3 * VN_MAX_HEAD_DIM) * 4);
  rt->qbuf = alloc64((size_t)m->qbuf_bytes);
  rt->opbuf = alloc64((size_t)m->op_scratch_bytes);
  if (m->vision) rt->mpos = alloc64((size_t)(3 * m->t_max) * sizeof *rt->mpos);  /* M-RoPE streams */
  if (!rt->arena || !rt->state || !rt->rope_cs || !rt->scratch || !rt->qbuf || !rt->opbuf || (m->vision && !rt->mpos)) {
    vn_rt_free(rt);
#ifdef VN_BAREMETAL
    snprintf(err, cap, "the static pool (%lld bytes) is too small for the activations and a context of %d positions",
             (long long)m->pool_bytes, ctx);
#else
    snprintf(err, cap, "out of memory for the activations and a context of %d positions (try a smaller --ctx)", ctx);
#endif
    return -1;
  }
  rt->pool = vn_pool_new(rt->nthreads);
  if (!rt->pool) rt->nthreads = 1;
  return 0;
}

/* A runtime for another graph of the same binary (the vision graph of m):
 * the parent's weights and thread pool, buffers of its own for ctx rows. */
int vn_rt_init_sub(VnRt *sub, const VnRt *parent, const VnModel *m, int ctx) {
  memset(sub, 0, sizeof *sub);
  sub->m = m;
  sub->w = parent->w;
  sub->ctx = ctx;
  sub->sc_rows = ctx;  /* the most keys one of its attentions sees */
  sub->nthreads = parent->nthreads;
  sub->pool = parent->pool;
  size_t rope_floats = 0;
  for (int i = 0; i < m->nropes; i++) rope_floats += (size_t)m->t_max * (size_t)m->ropes[i].rot_dim;
  size_t state_bytes = (size_t)ctx * (size_t)m->state_row_bytes + (size_t)m->state_fixed_bytes;
  sub->arena = alloc64((size_t)m->arena_bytes);
  sub->state = alloc64(state_bytes);
  sub->rope_cs = alloc64(rope_floats * 4);
  sub->scratch = alloc64((size_t)sub->nthreads * (size_t)(sub->sc_rows + 3 * VN_MAX_HEAD_DIM) * 4);
  sub->qbuf = alloc64((size_t)m->qbuf_bytes);
  sub->opbuf = alloc64((size_t)m->op_scratch_bytes);
  sub->mpos = alloc64((size_t)(3 * m->t_max) * sizeof *sub->mpos);
  if (!sub->arena || !sub->state || !sub->rope_cs || !sub->scratch || !sub->qbuf || !sub->opbuf || !sub->mpos) {
    vn_rt_free_sub(sub);
    return -1;
  }
  memset(sub->state, 0, state_bytes);
  return 0;
}

void vn_rt_free_sub(VnRt *sub) {
  free64(sub->arena);
  free64(sub->state);
  free64(sub->rope_cs);
  free64(sub->scratch);
  free64(sub->qbuf);
  free64(sub->opbuf);
  free64(sub->mpos);
  memset(sub, 0, sizeof *sub);
}

void vn_rt_free(VnRt *rt) {
  vn_pool_free(rt->pool);
  free64(rt->arena);
  zfree64(rt->state);
  free64(rt->rope_cs);
  free64(rt->scratch);
  free64(rt->qbuf);
  free64(rt->opbuf);
  free64(rt->mpos);
#if defined(VN_BAREMETAL)
#elif defined(VN_NO_MMAP)
  if (rt->wmap) free64(rt->wmap);
#else
  if (rt->wmap && rt->wmap_len) { munmap(rt->wmap, rt->wmap_len); bus_unwatch(); }
#endif
  memset(rt, 0, sizeof *rt);
}

#ifdef VN_OWN_SINCOS
/* sin and cos without the C library (targets whose libm cannot run under
 * their emulator: targets/ppc/altivec.h): x reduced by a multiple of pi/2
 * with three-part constants (each product k * P exact for |k| < 2^20), then
 * Taylor series on [-pi/4, pi/4] to the x^23 / x^22 terms, all in double.
 * Rounded to float it equals glibc's sin/cos on every RoPE angle checked
 * (8.3M: p < 16384, rotary dims 8..256, theta 1e4..1e6). */
static void own_sincos(double x, double *s, double *c) {
  static const double P1 = 1.57079632673412561417e+00, P2 = 6.07710050630396597660e-11, P3 = 2.02226624879595063154e-21;
  double q = x * 0.63661977236758134308;
  int64_t k = (int64_t)(q >= 0 ? q + 0.5 : q - 0.5);
  double r = ((x - (double)k * P1) - (double)k * P2) - (double)k * P3;
  double r2 = r * r, ts = r, tc = 1, sn = r, cs = 1;
  for (int i = 1; i <= 11; i++) {
    ts *= -r2 / ((2 * i) * (2 * i + 1));
    sn += ts;
    tc *= -r2 / ((2 * i - 1) * (2 * i));
    cs += tc;
  }
  switch (k & 3) {
  case 0: *s = sn; *c = cs; break;
  case 1: *s = cs; *c = -sn; break;
  case 2: *s = -sn; *c = -cs; break;
  default: *s = -cs; *c = sn; break;
  }
}
#endif

/* cos/sin of every rotated pair for positions pos..pos+T-1. Angles are
 * float32 products pos * inv_freq, as the reference computes them; dynamic
 * NTK tables recompute inv_freq for the length seen so far (pos + T). */
static void rope_fill(VnRt *rt, const VnRtRope *ro, float *cs, int T, int pos);

void vn_rt_begin_step(VnRt *rt, int T, int pos) {
  const VnModel *m = rt->m;
  float *cs = rt->rope_cs;
  for (int r = 0; r < m->nropes; r++) {
    rope_fill(rt, &m->ropes[r], cs, T, pos);
    cs += (size_t)m->t_max * m->ropes[r].rot_dim;
  }
}

/* The sectioned (multi-axis) tables again, by the streams in rt->mpos. */
void vn_rt_rope_sections(VnRt *rt, int T, int pos) {
  const VnModel *m = rt->m;
  float *cs = rt->rope_cs;
  for (int r = 0; r < m->nropes; r++) {
    if (m->ropes[r].sections[0]) rope_fill(rt, &m->ropes[r], cs, T, pos);
    cs += (size_t)m->t_max * m->ropes[r].rot_dim;
  }
}

/* one table's cos/sin for the step: pair i of row t turns by the position
 * of its stream (multi-axis tables while rt->mpos_on) or by pos + t */
static void rope_fill(VnRt *rt, const VnRtRope *ro, float *cs, int T, int pos) {
  const VnModel *m = rt->m;
  int half = ro->rot_dim / 2;
  float invbuf[VN_MAX_HEAD_DIM / 2];
  const float *inv = ro->inv_freq;
  if (ro->dynamic) {
    double L = (double)(pos + T > rt->seq_len ? pos + T : rt->seq_len);
    if (L < ro->dyn_max_pos) L = ro->dyn_max_pos;
    float base = (float)(ro->dyn_base * pow(ro->dyn_factor * L / ro->dyn_max_pos - (ro->dyn_factor - 1),
                                             (double)ro->rot_dim / (ro->rot_dim - 2)));
    for (int i = 0; i < half; i++) invbuf[i] = (float)(1.0 / pow((double)base, (double)(float)(2.0 * i / ro->rot_dim)));
    inv = invbuf;
  }
  if (ro->long_after && (pos + T > ro->long_after || rt->seq_len > ro->long_after)) inv = ro->long_inv_freq;  /* LongRoPE */
  int multi = ro->sections[0] && rt->mpos_on;
  for (int t = 0; t < T; t++) {
    float p = (float)(pos + t);
    float *o = cs + (size_t)t * ro->rot_dim;
    int s = 0, send = ro->sections[0];
    for (int i = 0; i < half; i++) {
      if (multi) {
        while (i >= send && s < 2) send += ro->sections[++s];
        p = (float)rt->mpos[(size_t)s * m->t_max + t];
      }
      float ang = p * inv[i];
#ifdef VN_OWN_SINCOS
      double sv, cv;
      own_sincos((double)ang, &sv, &cv);
      o[2 * i] = (float)cv * ro->attn_factor;
      o[2 * i + 1] = (float)sv * ro->attn_factor;
#else
      o[2 * i] = (float)cos((double)ang) * ro->attn_factor;
      o[2 * i + 1] = (float)sin((double)ang) * ro->attn_factor;
#endif
    }
  }
}

float *vn_rt_logits(VnRt *rt) { return (float *)(rt->arena + rt->m->logits_off); }
