/* sampler.c: picking the next token from logits. The chain follows the
 * usual order of CPU inference tools: repetition penalty, top-k, top-p and
 * min-p (on probabilities at temperature 1), then temperature, then a draw
 * from a seeded generator. Temperature 0 is greedy (argmax, first index on ties).
 * All scratch is allocated once in vn_sampler_init; a sampler has no state
 * outside its struct, so samplers in different threads are independent. */
#include "runtime.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int vn_sampler_init(VnSampler *s, int64_t vocab, uint64_t seed) {
  s->vocab = vocab;
  s->idx = malloc((size_t)vocab * sizeof *s->idx);
  s->prob = malloc((size_t)vocab * sizeof *s->prob);
  s->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
  return s->idx && s->prob ? 0 : -1;
}

void vn_sampler_free(VnSampler *s) {
  free(s->idx);
  free(s->prob);
  s->idx = NULL;
  s->prob = NULL;
}

/* xorshift64*: uniform in [0, 1) */
static float rand01(uint64_t *st) {
  uint64_t x = *st;
  x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
  *st = x;
  return (float)((x * 0x2545F4914F6CDD1Dull) >> 40) / 16777216.0f;
}

/* the order of the candidates: larger logit first, the smaller index on
 * ties (a total order, so any correct sort gives the same result); the
 * logits come as an argument: no state outside the sampler */
static int before(const float *l, int32_t a, int32_t b) {
  if (l[a] != l[b]) return l[a] > l[b];
  return a < b;
}

/* heapsort of idx[0..n) by `before` (in place, no allocation) */
static void sift(int32_t *idx, int64_t i, int64_t n, const float *l) {
  for (;;) {
    int64_t c = 2 * i + 1;
    if (c >= n) return;
    if (c + 1 < n && before(l, idx[c], idx[c + 1])) c++;  /* the later of the two children */
    if (!before(l, idx[i], idx[c])) return;
    int32_t t = idx[i]; idx[i] = idx[c]; idx[c] = t;
    i = c;
  }
}

static void sort_desc(int32_t *idx, int64_t n, const float *l) {
  for (int64_t i = n / 2; i-- > 0;) sift(idx, i, n, l);
  for (int64_t e = n - 1; e > 0; e--) {
    int32_t t = idx[0]; idx[0] = idx[e]; idx[e] = t;
    sift(idx, 0, e, l);
  }
}

/* partial selection: move the k largest to the front, sorted */
static void top_k_sort(int32_t *idx, int64_t n, int64_t k, const float *l) {
  if (k >= n) { sort_desc(idx, n, l); return; }
  /* keep a sorted prefix of size k; insert when larger than its last */
  sort_desc(idx, k, l);
  for (int64_t i = k; i < n; i++) {
    int32_t c = idx[i];
    if (!before(l, c, idx[k - 1])) continue;
    int64_t j = k - 1;
    while (j > 0 && before(l, c, idx[j - 1])) { idx[j] = idx[j - 1]; j--; }
    idx[i] = idx[k - 1];
    idx[j] = c;
  }
}

int32_t vn_sample(VnSampler *s, float *l, const int32_t *recent, int nrecent) {
  int64_t V = s->vocab;
  if (s->repeat_penalty > 0 && s->repeat_penalty != 1.0f) {
    int n0 = s->repeat_last_n > 0 && nrecent > s->repeat_last_n ? nrecent - s->repeat_last_n : 0;
    for (int i = n0; i < nrecent; i++) {
      int32_t t = recent[i];
      if (t < 0 || t >= V) continue;
      /* each distinct token once */
      int seen = 0;
      for (int j = n0; j < i; j++) if (recent[j] == t) { seen = 1; break; }
      if (seen) continue;
      l[t] = l[t] > 0 ? l[t] / s->repeat_penalty : l[t] * s->repeat_penalty;
    }
  }
  if (s->temp <= 0) {
    int32_t best = 0;
    for (int64_t i = 1; i < V; i++) if (l[i] > l[best]) best = (int32_t)i;
    return best;
  }
  int64_t n = V;
  for (int64_t i = 0; i < V; i++) s->idx[i] = (int32_t)i;
  int64_t k = s->top_k > 0 && s->top_k < V ? s->top_k : V;
  top_k_sort(s->idx, V, k, l);
  n = k;
  /* probabilities at temperature 1 for top-p / min-p */
  float mx = l[s->idx[0]], sum = 0;
  for (int64_t i = 0; i < n; i++) { s->prob[i] = expf(l[s->idx[i]] - mx); sum += s->prob[i]; }
  if (s->top_p > 0 && s->top_p < 1) {
    float c = 0;
    for (int64_t i = 0; i < n; i++) {
      c += s->prob[i] / sum;
      if (c >= s->top_p) { n = i + 1; break; }
    }
  }
  if (s->min_p > 0) {
    float lim = s->min_p * s->prob[0];
    int64_t m = 1;
    while (m < n && s->prob[m] >= lim) m++;
    n = m;
  }
  /* temperature on the survivors, then draw */
  sum = 0;
  for (int64_t i = 0; i < n; i++) { s->prob[i] = expf((l[s->idx[i]] - mx) / s->temp); sum += s->prob[i]; }
  float r = rand01(&s->rng) * sum, c = 0;
  for (int64_t i = 0; i < n; i++) {
    c += s->prob[i];
    if (r < c) return s->idx[i];
  }
  return s->idx[n - 1];
}
