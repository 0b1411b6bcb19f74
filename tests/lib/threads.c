/* threads.c: contexts of one model in two threads at once give what they
 * give one after the other. Each job generates from its own prompt with
 * its own sampling (greedy, and sampled with a seed); the jobs run
 * sequentially, then two at a time in two threads, three rounds.
 *   threads MA.vnw */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "ma.h"

typedef struct Job {
  const char *weights, *prompt;
  float temp;
  unsigned long long seed;
  char out[8192];
  size_t len;
  int rc;
} Job;

static int put(void *u, int32_t id, const char *t, size_t n) {
  Job *j = u;
  (void)id;
  if (j->len + n < sizeof j->out) { memcpy(j->out + j->len, t, n); j->len += n; }
  return 0;
}

static void *run(void *arg) {
  Job *j = arg;
  ma_params p;
  ma_default_params(&p);
  p.threads = 1;
  ma_ctx *c;
  j->len = 0;
  j->rc = ma_open(j->weights, &p, &c);
  if (!j->rc) {
    ma_sampling s;
    ma_default_sampling(&s);
    s.temperature = j->temp;
    s.top_k = 40;
    s.top_p = 0.95f;
    s.seed = j->seed;
    j->rc = ma_generate_text(c, j->prompt, &s, 40, put, j);
  }
  ma_close(c);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: threads MA.vnw\n"); return 2; }
  Job ref[2] = {{argv[1], "In the beginning", 0, 0, {0}, 0, 0}, {argv[1], "And the LORD said", 0.9f, 7, {0}, 0, 0}};
  for (int i = 0; i < 2; i++) {
    run(&ref[i]);
    if (ref[i].rc) { fprintf(stderr, "threads: job %d failed: %d\n", i, ref[i].rc); return 1; }
  }
  for (int round = 0; round < 3; round++) {
    Job j[2] = {ref[0], ref[1]};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
      if (pthread_create(&t[i], NULL, run, &j[i])) { fprintf(stderr, "threads: cannot start a thread\n"); return 1; }
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++)
      if (j[i].rc || j[i].len != ref[i].len || memcmp(j[i].out, ref[i].out, ref[i].len)) {
        fprintf(stderr, "threads: round %d, job %d differs from its sequential run:\n%.*s\n--- vs ---\n%.*s\n", round, i,
                (int)j[i].len, j[i].out, (int)ref[i].len, ref[i].out);
        return 1;
      }
  }
  printf("threads: 2 contexts x 3 rounds agree with the sequential runs (%zu and %zu bytes)\n", ref[0].len, ref[1].len);
  return 0;
}
