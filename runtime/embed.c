/* embed.c: sentence embeddings. After a step over T tokens with every
 * row kept (all_logits), the model's final hidden states are rows of the
 * arena (vn_model.hidden_off, [T][hidden_cols], hidden_ld floats apart);
 * this pools them into one vector -- the mean of the rows, the first
 * (CLS) or the last -- as sentence-transformers' Pooling module does for
 * one unpadded input, then L2-normalizes it when asked (its Normalize
 * module). No allocation; the sums are double. */
#include "runtime.h"
#include <math.h>
#include <string.h>

void vn_embed_pool(const VnRt *rt, int T, int pooling, int normalize, float *out) {
  const VnModel *m = rt->m;
  int64_t C = m->hidden_cols, ld = m->hidden_ld;
  const float *h = (const float *)(rt->arena + m->hidden_off);  /* [T][ld] */
  if (pooling == VN_POOL_CLS || pooling == VN_POOL_LAST) {
    memcpy(out, h + (pooling == VN_POOL_CLS ? 0 : (int64_t)(T - 1) * ld), (size_t)C * sizeof *out);
  } else {
    for (int64_t c = 0; c < C; c++) {
      double s = 0;
      for (int t = 0; t < T; t++) s += h[(int64_t)t * ld + c];
      out[c] = (float)(s / T);
    }
  }
  if (normalize) {  /* x / max(|x|, 1e-12), torch.nn.functional.normalize */
    double n = 0;
    for (int64_t c = 0; c < C; c++) n += (double)out[c] * out[c];
    n = sqrt(n);
    if (n < 1e-12) n = 1e-12;
    for (int64_t c = 0; c < C; c++) out[c] = (float)(out[c] / n);
  }
}

int vn_embed_pooling_parse(const char *s) {
  if (!strcmp(s, "mean")) return VN_POOL_MEAN;
  if (!strcmp(s, "cls")) return VN_POOL_CLS;
  if (!strcmp(s, "last")) return VN_POOL_LAST;
  return 0;
}

const char *vn_embed_pooling_name(int pooling) {
  return pooling == VN_POOL_CLS ? "cls" : pooling == VN_POOL_LAST ? "last" : "mean";
}
