/* threads.c: a fixed pool of worker threads for data-parallel kernels.
 * vn_parallel splits [0, n) into one contiguous range per thread; the
 * caller runs range 0 itself. Workers spin briefly on a generation counter
 * before sleeping, so the many short kernels of a decode step do not each
 * pay a wake-up. Built with VN_NO_THREADS (bare metal, wasm) it runs
 * everything in the calling thread. */
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
#include <sched.h>

typedef struct Worker { VnPool *pool; int id; pthread_t th; } Worker;

struct VnPool {
  int n;                       /* threads including the caller */
  Worker *w;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  atomic_uint gen;             /* bumped for each job */
  atomic_int pending;          /* workers still running the job */
  atomic_int quit;
  VnTask task;
  void *arg;
  int64_t njobs;
};

static void run_range(VnPool *p, int id) {
  int64_t b = p->njobs * id / p->n, e = p->njobs * (id + 1) / p->n;
  if (b < e) p->task(p->arg, b, e, id);
}

static void *worker(void *v) {
  Worker *w = v;
  VnPool *p = w->pool;
  unsigned seen = 0;
  for (;;) {
    unsigned g;
    int spins = 0;
    while ((g = atomic_load_explicit(&p->gen, memory_order_acquire)) == seen && !atomic_load(&p->quit)) {
      if (++spins < 20000) { sched_yield(); continue; }
      pthread_mutex_lock(&p->mu);
      while (atomic_load(&p->gen) == seen && !atomic_load(&p->quit)) pthread_cond_wait(&p->cv, &p->mu);
      pthread_mutex_unlock(&p->mu);
    }
    if (atomic_load(&p->quit)) return NULL;
    seen = g;
    run_range(p, w->id);
    atomic_fetch_sub_explicit(&p->pending, 1, memory_order_release);
  }
}

VnPool *vn_pool_new(int nthreads) {
  if (nthreads < 2) return NULL;
  VnPool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->n = nthreads;
  p->w = calloc((size_t)nthreads, sizeof *p->w);
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
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
  free(p->w);
  free(p);
}

void vn_parallel(VnRt *rt, int64_t n, VnTask task, void *arg) {
  VnPool *p = rt ? rt->pool : NULL;
  if (n <= 0) return;
  if (!p || n == 1) { task(arg, 0, n, 0); return; }
  p->task = task;
  p->arg = arg;
  p->njobs = n;
  atomic_store(&p->pending, p->n - 1);
  pthread_mutex_lock(&p->mu);
  atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  run_range(p, 0);
  while (atomic_load_explicit(&p->pending, memory_order_acquire) > 0) sched_yield();
}
#endif
