/* fuzz_image.c: libFuzzer target for --image's decoders and processors
 * (runtime/image.c, built as a host model binary builds it: PPM, and PNG
 * and JPEG through libpng and libjpeg-turbo). The input is an image file's
 * bytes, decoded by vn_image_decode (what vn_image_load runs on the file);
 * an image it gives is preprocessed with the settings of the vlm
 * fixtures' processors: CLIPImageProcessor (shortest edge 32, crop 32x32,
 * bicubic) with the torch and the PIL arithmetic, and a crop larger than
 * the image; Qwen2VLImageProcessor (patch 4, merge 2, temporal 2, 384
 * pixels). Harness bound: images over 2^16 pixels, or over 4096 on a
 * side, are decoded but not preprocessed (a 1 KB JPEG can be 16x65047, and
 * resizing that under the sanitizers takes seconds). Every refusal is one line
 * naming the file; every pixel value must be finite and the shapes those
 * the settings give. */
#include "image.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void one_line(const char *err, const char *what) {
  if (!err[0] || strchr(err, '\n') || (strncmp(err, "in.img: ", 8) && strncmp(err, "--image: ", 9))) {
    fprintf(stderr, "fuzz: %s must fail in one line naming the file, said: '%s'\n", what, err);
    abort();
  }
}

static void check(const VnPixels *px, int64_t rows, int64_t cols) {
  int64_t cnt = 1;
  for (int i = 0; i < px->ndim; i++) cnt *= px->shape[i];
  if (rows && (px->shape[px->ndim - 2] != rows || px->shape[px->ndim - 1] != cols)) {
    fprintf(stderr, "fuzz: pixel values of shape ..x%lldx%lld, want %lldx%lld\n", (long long)px->shape[px->ndim - 2],
            (long long)px->shape[px->ndim - 1], (long long)rows, (long long)cols);
    abort();
  }
  for (int64_t i = 0; i < cnt; i++)
    if (!isfinite(px->data[i])) { fprintf(stderr, "fuzz: pixel value %lld is %g\n", (long long)i, px->data[i]); abort(); }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  char err[512] = "";
  VnImage img;
  if (vn_image_decode("in.img", d, n, &img, err, sizeof err)) {
    one_line(err, "a refused image");
    if (img.px) { fprintf(stderr, "fuzz: a refused image left pixels\n"); abort(); }
    return 0;
  }
  if (img.w <= 0 || img.h <= 0 || (img.channels != 3 && img.channels != 4) || !img.px) {
    fprintf(stderr, "fuzz: decoded %dx%dx%d\n", img.w, img.h, img.channels);
    abort();
  }
  if ((long long)img.w * img.h <= (1 << 16) && img.w <= 4096 && img.h <= 4096) {
    VnImageProc clip = {VN_IMGPROC_CLIP, VN_IMGBACKEND_TORCH, "CLIPImageProcessor", NULL, 1, 1, 1, 1, 1, 3, 32, 0, 0, 32, 32,
                        1.0 / 255, {0.48145466f, 0.4578275f, 0.40821073f}, {0.26862954f, 0.26130258f, 0.27577711f}};
    VnImageProc qwen = clip;
    qwen.kind = VN_IMGPROC_QWEN2VL;
    qwen.name = "Qwen2VLImageProcessor";
    qwen.do_center_crop = 0;
    qwen.patch_size = 4; qwen.merge_size = 2; qwen.temporal_patch_size = 2;
    qwen.min_pixels = qwen.max_pixels = 384;
    VnImageProc clip_pil = clip, clip_big = clip;
    clip_pil.backend = VN_IMGBACKEND_PIL;
    clip_pil.resample = 1 + (int)(n % 5);  /* each of PIL's filters */
    clip_big.do_resize = 0;
    clip_big.crop_h = 40; clip_big.crop_w = 36;
    const VnImageProc *ps[4] = {&clip, &clip_pil, &clip_big, &qwen};
    for (int i = 0; i < 4; i++) {
      VnPixels px;
      err[0] = 0;
      if (vn_image_preprocess(ps[i], &img, "in.img", &px, err, sizeof err)) {
        one_line(err, "a refused preprocess");
        if (px.data) { fprintf(stderr, "fuzz: a refused preprocess left pixel values\n"); abort(); }
        continue;
      }
      if (ps[i]->kind == VN_IMGPROC_CLIP) check(&px, ps[i]->crop_h, ps[i]->crop_w);
      else {
        int64_t g = px.grid_thw[1] * (int64_t)px.grid_thw[2];
        if (!px.has_grid || px.grid_thw[0] != 1 || px.grid_thw[1] % 2 || px.grid_thw[2] % 2) {
          fprintf(stderr, "fuzz: grid %d %d %d\n", px.grid_thw[0], px.grid_thw[1], px.grid_thw[2]);
          abort();
        }
        check(&px, g, 3 * 2 * 4 * 4);
      }
      vn_pixels_free(&px);
    }
  }
  vn_image_free(&img);
  return 0;
}
