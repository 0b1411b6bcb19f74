/* probe.c: the machine's ceilings for the bench (bench/run.sh).
 *   probe bw THREADS        streaming read bandwidth in GB/s: a 1 GiB buffer
 *                           read by THREADS threads, each its own slice, by
 *                           three loops (wide vector sums in 4 and 8
 *                           accumulators, and 64-bit integer xors), best of
 *                           5 passes of each; prints the best
 *   probe sgemm THREADS T K N [K N ...]   GFLOP/s of OpenBLAS sgemm for
 *                           x[T][K] . W[N][K]^T (the model's shapes; best
 *                           of 3), weighted by flops over all shapes given
 * Built with -DVN_PROBE_BLAS (and -lopenblas) for sgemm. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef VN_PROBE_BLAS
#include <cblas.h>
extern void openblas_set_num_threads(int);
#endif

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef float v8 __attribute__((vector_size(32)));
typedef struct { const char *p; size_t n; int method; double sink; } Slice;

static void *reader(void *arg) {
  Slice *s = arg;
  double r = 0;
  if (s->method == 0 || s->method == 1) {
    const v8 *v = (const v8 *)s->p;
    size_t m = s->n / 32;
    v8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
    if (s->method == 0)
      for (size_t i = 0; i + 4 <= m; i += 4) { a0 += v[i]; a1 += v[i + 1]; a2 += v[i + 2]; a3 += v[i + 3]; }
    else
      for (size_t i = 0; i + 8 <= m; i += 8) {
        a0 += v[i]; a1 += v[i + 1]; a2 += v[i + 2]; a3 += v[i + 3];
        a4 += v[i + 4]; a5 += v[i + 5]; a6 += v[i + 6]; a7 += v[i + 7];
      }
    v8 a = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
    for (int j = 0; j < 8; j++) r += a[j];
  } else {
    const uint64_t *u = (const uint64_t *)s->p;
    uint64_t x0 = 0, x1 = 0, x2 = 0, x3 = 0;
    for (size_t i = 0; i + 4 <= s->n / 8; i += 4) { x0 ^= u[i]; x1 ^= u[i + 1]; x2 ^= u[i + 2]; x3 ^= u[i + 3]; }
    r = (double)(x0 ^ x1 ^ x2 ^ x3);
  }
  s->sink = r;
  return NULL;
}

static int bw(int nt) {
  size_t n = (size_t)1 << 30;
  char *buf = malloc(n);
  if (!buf) { fprintf(stderr, "probe: no memory for the bandwidth buffer\n"); return 1; }
  for (size_t i = 0; i < n; i += 4096) memset(buf + i, (int)(i >> 12) & 0x3f, 4096);
  double best = 0, sink = 0;
  for (int method = 0; method < 3; method++)
    for (int pass = 0; pass < 5; pass++) {
      pthread_t th[64];
      Slice s[64];
      double t0 = now();
      for (int i = 0; i < nt; i++) {
        s[i].p = buf + n / nt * i; s[i].n = n / nt; s[i].method = method;
        pthread_create(&th[i], NULL, reader, &s[i]);
      }
      for (int i = 0; i < nt; i++) { pthread_join(th[i], NULL); sink += s[i].sink; }
      double g = (double)n / (now() - t0) / 1e9;
      if (g > best) best = g;
    }
  printf("%.2f\n", best);
  if (sink == 1.2345) printf("\n");  /* keep the sums alive */
  free(buf);
  return 0;
}

static int sgemm(int nt, int argc, char **argv) {
#ifdef VN_PROBE_BLAS
  openblas_set_num_threads(nt);
  int T = atoi(argv[0]);
  double flops = 0, secs = 0;
  for (int a = 1; a + 1 < argc; a += 2) {
    int K = atoi(argv[a]), N = atoi(argv[a + 1]);
    float *x = malloc(sizeof(float) * (size_t)T * K), *w = malloc(sizeof(float) * (size_t)N * K),
          *y = malloc(sizeof(float) * (size_t)T * N);
    if (!x || !w || !y) { fprintf(stderr, "probe: no memory for sgemm\n"); return 1; }
    for (size_t i = 0; i < (size_t)T * K; i++) x[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < (size_t)N * K; i++) w[i] = (float)(i % 5) * 0.1f;
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
      double t0 = now();
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, N, K, 1.0f, x, K, w, K, 0.0f, y, N);
      double t = now() - t0;
      if (t < best) best = t;
    }
    flops += 2.0 * T * K * N;
    secs += best;
    free(x); free(w); free(y);
  }
  printf("%.1f\n", flops / secs / 1e9);
  return 0;
#else
  (void)nt; (void)argc; (void)argv;
  printf("-\n");
  return 0;
#endif
}

int main(int argc, char **argv) {
  if (argc >= 3 && !strcmp(argv[1], "bw")) return bw(atoi(argv[2]) < 1 ? 1 : atoi(argv[2]) > 64 ? 64 : atoi(argv[2]));
  if (argc >= 6 && !strcmp(argv[1], "sgemm")) return sgemm(atoi(argv[2]), argc - 3, argv + 3);
  fprintf(stderr, "usage: probe bw THREADS | probe sgemm THREADS T K N [K N ...]\n");
  return 2;
}
