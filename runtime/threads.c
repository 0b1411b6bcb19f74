/* threads.c: a fixed pool of worker threads for data-parallel kernels.
 * vn_parallel cuts [0, n) into a few contiguous chunks per thread; the
 * caller and the workers claim chunks from one atomic ticket until none are
 * left, so a thread the OS has descheduled (a busy machine) holds up only
 * the chunk it is running, never a fixed share of the job. The ticket packs
 * the job's generation, its chunk count and the next chunk, so a worker
 * that wakes late can never claim a chunk of a job it has not seen.
 * Between jobs a worker spins on the generation with a CPU pause for a few
 * tens of microseconds (the short kernels of a decode step follow each
 * other closely), then sleeps on a condition variable; the caller, done
 * with its own chunks, waits for the others' the same way (pause, then
 * sleep until the last chunk's thread wakes it), so nothing spins against
 * a descheduled thread it waits for on a busy machine. Built with VN_NO_THREADS
 * (bare metal, wasm) it runs everything in the calling thread. */
#include "runtime.h"
#include <stdlib.h>

#ifdef VN_NO_THREADS
struct VnPool { int n; };
VnPool *vn_pool_new(int nthreads) { (void)nthreads; return NULL; }
void vn_pool_free(VnPool *p) { (void)p; }
void vn_parallel(VnRt *rt, int64_t n, VnTask task, void *arg) { (void)rt; if (n > 0) task(arg, 0, n, 0); }
#else
#include <pthread.h>
#include <stdatomic.h>

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
#else
#define cpu_relax() ((void)0)
#endif

enum { SPINS = 4000 };          /* pauses a worker waits for the next job before it sleeps */
/* ticket: generation (bits 24..31), chunk count (12..23), next chunk (0..11).
 * 32 bits, so that every target has it lock-free (32-bit powerpc and mipsel
 * have no 8-byte atomics, and their static links no libatomic). A worker
 * that misses a whole generation only sits that job out. */
#define T_GEN(t) ((t) >> 24)
#define T_COUNT(t) (((t) >> 12) & 0xfff)
#define T_NEXT(t) ((t) & 0xfff)
#define T_MAX_CHUNKS 0xfff

typedef struct Worker { VnPool *pool; int id; pthread_t th; } Worker;

struct VnPool {
  int n;                       /* threads including the caller */
  Worker *w;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_cond_t done_cv;      /* the caller sleeps here for the job's last chunks */
  atomic_int waiting;          /* the caller sleeps on done_cv */
  _Atomic uint32_t ticket;
  atomic_int done;             /* chunks finished in this job */
  atomic_int sleepers;         /* workers waiting on cv */
  atomic_int quit;
  VnTask task;                 /* the job: written before its ticket is published */
  void *arg;
  int64_t njobs;
};

/* claim and run chunks of the job of generation gen until none are left */
static void run_chunks(VnPool *p, uint32_t gen, int id) {
  uint32_t t = atomic_load_explicit(&p->ticket, memory_order_acquire);
  for (;;) {
    if (T_GEN(t) != gen || T_NEXT(t) >= T_COUNT(t)) return;
    if (!atomic_compare_exchange_weak_explicit(&p->ticket, &t, t + 1, memory_order_acq_rel, memory_order_acquire)) continue;
    int64_t c = (int64_t)T_NEXT(t), k = (int64_t)T_COUNT(t);
    int64_t b = p->njobs * c / k, e = p->njobs * (c + 1) / k;
    if (b < e) p->task(p->arg, b, e, id);
    /* seq_cst, as the caller's store to waiting: one of the two sees the other */
    if (atomic_fetch_add(&p->done, 1) + 1 == (int)k && atomic_load(&p->waiting)) {
      pthread_mutex_lock(&p->mu);
      pthread_cond_broadcast(&p->done_cv);
      pthread_mutex_unlock(&p->mu);
    }
    t = atomic_load_explicit(&p->ticket, memory_order_acquire);
  }
}

static void *worker(void *v) {
  Worker *w = v;
  VnPool *p = w->pool;
  uint32_t seen = T_GEN(atomic_load(&p->ticket));
  for (;;) {
    uint32_t g;
    int spins = 0;
    while ((g = T_GEN(atomic_load_explicit(&p->ticket, memory_order_acquire))) == seen && !atomic_load(&p->quit)) {
      if (++spins < SPINS) { cpu_relax(); continue; }
      pthread_mutex_lock(&p->mu);
      atomic_fetch_add(&p->sleepers, 1);
      while (T_GEN(atomic_load(&p->ticket)) == seen && !atomic_load(&p->quit)) pthread_cond_wait(&p->cv, &p->mu);
      atomic_fetch_sub(&p->sleepers, 1);
      pthread_mutex_unlock(&p->mu);
    }
    if (atomic_load(&p->quit)) return NULL;
    seen = g;
    run_chunks(p, g, w->id);
  }
}

VnPool *vn_pool_new(int nthreads) {
  if (nthreads < 2) return NULL;
  VnPool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->n = nthreads;
  p->w = calloc((size_t)nthreads, sizeof *p->w);
  if (!p->w) { free(p); return NULL; }
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  pthread_cond_init(&p->done_cv, NULL);
  for (int i = 1; i < nthreads; i++) {
    p->w[i].pool = p;
    p->w[i].id = i;
    if (pthread_create(&p->w[i].th, NULL, worker, &p->w[i])) { p->n = i; break; }
  }
  return p;
}

void vn_pool_free(VnPool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  atomic_store(&p->quit, 1);
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  for (int i = 1; i < p->n; i++) pthread_join(p->w[i].th, NULL);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  pthread_cond_destroy(&p->done_cv);
  free(p->w);
  free(p);
}

void vn_parallel(VnRt *rt, int64_t n, VnTask task, void *arg) {
  VnPool *p = rt ? rt->pool : NULL;
  if (n <= 0) return;
  if (!p || n == 1) { task(arg, 0, n, 0); return; }
  int64_t k = (int64_t)p->n * 4;  /* a few chunks per thread: late threads take less */
  if (k > n) k = n;
  if (k > T_MAX_CHUNKS) k = T_MAX_CHUNKS;
  p->task = task;
  p->arg = arg;
  p->njobs = n;
  atomic_store_explicit(&p->done, 0, memory_order_relaxed);
  uint32_t gen = (T_GEN(atomic_load(&p->ticket)) + 1) & 0xff;
  atomic_store(&p->ticket, gen << 24 | (uint32_t)k << 12);  /* publishes the job (seq_cst) */
  if (atomic_load(&p->sleepers) > 0) {
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
  }
  run_chunks(p, gen, 0);
  /* wait only for chunks other threads are running: a short pause-spin,
   * then sleep until the thread that finishes the last one wakes us */
  for (int spins = 0; spins < SPINS; spins++) {
    if (atomic_load_explicit(&p->done, memory_order_acquire) >= k) return;
    cpu_relax();
  }
  pthread_mutex_lock(&p->mu);
  atomic_store(&p->waiting, 1);
  while (atomic_load(&p->done) < k) pthread_cond_wait(&p->done_cv, &p->mu);
  atomic_store(&p->waiting, 0);
  pthread_mutex_unlock(&p->mu);
}
#endif
