/* embedded.c: the image processor settings venusc compiled into a model
 * (vn_model.image_proc of its model.c) run on an image, so that
 * tests/image/run.sh holds what a binary's --image computes to the fixtures:
 *   embedded IMAGE OUT.f32
 * It is linked with the model's --emit-c tree, model.c's main renamed. */
#include "runtime.h"
#include "image.h"
#include <stdio.h>

int main(int argc, char **argv) {
  char err[600];
  VnImage img;
  VnPixels px;
  if (argc != 3) { fprintf(stderr, "usage: embedded IMAGE OUT.f32\n"); return 2; }
  if (vn_image_load(argv[1], &img, err, sizeof err) || vn_image_preprocess(vn_model.image_proc, &img, argv[1], &px, err, sizeof err)) {
    fprintf(stderr, "embedded: %s\n", err);
    return 1;
  }
  size_t n = 1;
  for (int i = 0; i < px.ndim; i++) n *= (size_t)px.shape[i];
  FILE *f = fopen(argv[2], "wb");
  if (!f || fwrite(px.data, sizeof(float), n, f) != n || fclose(f)) { fprintf(stderr, "embedded: cannot write %s\n", argv[2]); return 1; }
  vn_pixels_free(&px);
  vn_image_free(&img);
  return 0;
}
