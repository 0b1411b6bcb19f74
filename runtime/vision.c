/* vision.c: the image input of vision-language models.
 *
 * venusc compiles the vision tower as a graph of its own (vn_model.vision,
 * a VnModel whose output rows are the image's rows, run by vision_step).
 * vn_cli_set_pixels turns preprocessed pixels into that graph's input rows,
 * runs it once on a runtime of its own (the weights and threads shared) and
 * writes the output rows into the language model's image state, which the
 * image_rows op reads at the prompt's image tokens. For models with M-RoPE,
 * vn_rt_mrope gives the tokens of each step their three position streams
 * (temporal, row, column) as transformers' get_rope_index does: text tokens
 * count on from the last position + 1, the k-th image token takes start +
 * its (t, h, w) in the merged grid, and the text after the image starts at
 * start + max(grid).
 *
 * Layouts (graph.h VN_VIS_*): "image" takes [1, C, H, W] and cuts it into
 * P x P patches (a row per patch: channel, patch row, patch column, as a
 * conv of stride P reads them), after a class row when the spec asks (its
 * last column 1, the patch rows' 0); "patches" takes the processor's rows
 * [N, C*T*P*P] with the grid (T, H, W) and gives the 2-D RoPE streams (row,
 * column) of each patch in merge-window order. Memory here is malloc'ed
 * when an image is given, never in the generation loop; bare-metal targets
 * have no image input. */
#include "runtime.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *image_state(const VnRt *rt) {
  const VnModel *m = rt->m;
  return (float *)(rt->state + (size_t)rt->ctx * (size_t)m->state_row_bytes + (size_t)m->image_state_off);
}

int64_t vn_rt_image_tokens(const VnRt *rt) {
  if (!rt->m->vision || !rt->img.set) return 0;
  return (int64_t)image_state(rt)[rt->m->image_max * rt->m->image_cols];
}

#ifdef VN_BAREMETAL
int vn_cli_set_pixels(VnRt *rt, const float *pixels, const int64_t *shape, int ndim, const int grid_thw[3], char *err,
                      size_t errlen) {
  (void)rt; (void)pixels; (void)shape; (void)ndim; (void)grid_thw;
  snprintf(err, errlen, "this target has no image input");
  return -1;
}
#else
static void shape_str(char *buf, size_t cap, const int64_t *shape, int ndim) {
  size_t n = 0;
  buf[0] = 0;
  for (int i = 0; i < ndim && n + 24 < cap; i++) n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? ", " : "", (long long)shape[i]);
}

int vn_cli_set_pixels(VnRt *rt, const float *pixels, const int64_t *shape, int ndim, const int grid_thw[3], char *err,
                      size_t errlen) {
  const VnModel *m = rt->m, *V = m->vision;
  char got[128];
  if (!V) { snprintf(err, errlen, "this model (%s) takes no image", m->arch); return -1; }
  shape_str(got, sizeof got, shape, ndim);
  int64_t rows, cols = m->vis_in_cols;
  float *in = NULL;
  const float *src = pixels;
  int patches = m->vis_layout == VN_VIS_PATCHES;
  int C = m->vis_channels, P = m->vis_patch, mg = m->vis_merge;
  int gh = 0, gw = 0;
  if (!patches) {
    int H = m->vis_height, W = m->vis_width;
    if (ndim != 4 || shape[0] != 1 || shape[1] != C || shape[2] != H || shape[3] != W) {
      snprintf(err, errlen, "pixel values are [%s], the model takes [1, %d, %d, %d]", got, C, H, W);
      return -1;
    }
    int nx = W / P;
    int64_t np = (int64_t)(H / P) * nx;
    rows = np + m->vis_cls;
    if ((int64_t)C * P * P + m->vis_cls != cols || rows > V->t_max) {
      snprintf(err, errlen, "the model's vision input (%lld columns) does not fit its patches", (long long)cols);
      return -1;
    }
    in = calloc((size_t)(rows * cols), sizeof *in);
    if (!in) { snprintf(err, errlen, "out of memory for the image"); return -1; }
    if (m->vis_cls) in[cols - 1] = 1.0f;  /* the class row */
    for (int64_t p = 0; p < np; p++) {
      float *o = in + (p + m->vis_cls) * cols;
      int py = (int)(p / nx), px = (int)(p % nx);
      for (int c = 0; c < C; c++)
        for (int ky = 0; ky < P; ky++)
          for (int kx = 0; kx < P; kx++)
            o[((int64_t)c * P + ky) * P + kx] = pixels[((int64_t)c * H + py * P + ky) * W + px * P + kx];
    }
    src = in;
  } else {
    if (ndim != 2 || shape[1] != cols) {
      snprintf(err, errlen, "pixel values are [%s], the model takes [patches, %lld]", got, (long long)cols);
      return -1;
    }
    if (!grid_thw) { snprintf(err, errlen, "this model needs the image's grid (--image-grid T,H,W)"); return -1; }
    int gt = grid_thw[0];
    gh = grid_thw[1];
    gw = grid_thw[2];
    if (gt < 1 || gh < 1 || gw < 1 || (int64_t)gt * gh * gw != shape[0]) {
      snprintf(err, errlen, "the grid %d,%d,%d does not give the %lld patches of the pixel values", gt, gh, gw, (long long)shape[0]);
      return -1;
    }
    if (gt != 1) { snprintf(err, errlen, "a grid of %d frames is a video; images have T = 1", gt); return -1; }
    if (gh % mg || gw % mg) {
      snprintf(err, errlen, "grid %d,%d,%d: H and W must be multiples of the merge size %d", gt, gh, gw, mg);
      return -1;
    }
    rows = shape[0];
    if (rows > V->t_max) {
      snprintf(err, errlen, "%lld patches: the binary takes at most %lld (venusc's vision rows)", (long long)rows, (long long)V->t_max);
      return -1;
    }
  }
  VnRt vr;
  if (vn_rt_init_sub(&vr, rt, V, (int)rows)) {  /* a cache of the image's rows alone */
    free(in);
    snprintf(err, errlen, "out of memory for the vision tower");
    return -1;
  }
  if (patches) {  /* the 2-D RoPE streams: each patch's row and column, in merge-window order */
    for (int64_t n = 0; n < rows; n++) {
      int64_t f = n % ((int64_t)gh * gw), bi = f / (mg * mg), j = f % (mg * mg);
      vr.mpos[n] = (int32_t)((bi / (gw / mg)) * mg + j / mg);
      vr.mpos[V->t_max + n] = (int32_t)((bi % (gw / mg)) * mg + j % mg);
      vr.mpos[2 * V->t_max + n] = 0;
    }
    vr.mpos_on = 1;
  }
  vn_rt_begin_step(&vr, (int)rows, 0);
  m->vision_step(&vr, (const int32_t *)(const void *)src, (int)rows, 0, 1);
  free(in);
  /* the output rows after the skipped ones, as rows of the image state */
  const float *out = (const float *)(vr.arena + V->logits_off);
  int64_t nout = (rows - m->vis_skip) * V->out_cols, n = m->image_cols ? nout / m->image_cols : 0;
  int rc = 0;
  if (rows <= m->vis_skip || nout % m->image_cols || n > m->image_max) {
    snprintf(err, errlen, "the vision tower's %lld rows of %lld do not fit the image state (%lld rows of %lld)",
             (long long)(rows - m->vis_skip), (long long)V->out_cols, (long long)m->image_max, (long long)m->image_cols);
    rc = -1;
  } else {
    float *st = image_state(rt);
    memcpy(st, out + m->vis_skip * V->out_cols, (size_t)nout * sizeof *st);
    float *cnt = st + m->image_max * m->image_cols;
    cnt[0] = (float)n;
    cnt[1] = cnt[2] = 0;
    rt->img.set = 1;
    rt->img.grid[0] = 1;
    rt->img.grid[1] = patches ? gh / mg : (int)n;
    rt->img.grid[2] = patches ? gw / mg : 1;
  }
  vn_rt_free_sub(&vr);
  return rc;
}
#endif

void vn_rt_mrope(VnRt *rt, const int32_t *tok, int T, int pos) {
  VnRtImage *im = &rt->img;
  if (!im->set) { rt->mpos_on = 0; return; }  /* text alone: the plain positions are M-RoPE's */
  const VnModel *m = rt->m;
  int64_t total = vn_rt_image_tokens(rt), tm = m->t_max;
  int gh = im->grid[1], gw = im->grid[2];
  int gmax = im->grid[0] > gh ? im->grid[0] : gh;
  if (gw > gmax) gmax = gw;
  if (pos == 0) { im->next = 0; im->k = 0; im->start = 0; }
  for (int t = 0; t < T; t++) {
    if (tok[t] == m->image_token && im->k < total) {
      if (im->k == 0) im->start = im->next;
      int32_t k = im->k++;
      rt->mpos[t] = im->start + k / (gh * gw);
      rt->mpos[tm + t] = im->start + (k / gw) % gh;
      rt->mpos[2 * tm + t] = im->start + k % gw;
      if (im->k == total) im->next = im->start + gmax;
    } else {
      rt->mpos[t] = rt->mpos[tm + t] = rt->mpos[2 * tm + t] = im->next++;
    }
  }
  rt->mpos_on = 1;
  vn_rt_rope_sections(rt, T, pos);
}
