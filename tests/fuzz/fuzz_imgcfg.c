/* fuzz_imgcfg.c: libFuzzer target for venusc's reader of a model's
 * preprocessor_config.json (frontend/imgcfg.c vn_imgcfg_load, what venusc
 * compile runs to put the image processor's settings into the binary).
 * The input is the file. A refusal must be one line naming it; settings it
 * accepts must be ones the runtime can run: they preprocess a 23x17 RGB and
 * a 9x30 RGBA image (runtime/image.c vn_image_preprocess), which gives pixel
 * values or a one-line refusal. Harness bound: settings whose output would
 * exceed 2^20 pixels are read but not run (a resize to one takes seconds). */
#include "frontend.h"
#include "image.h"
#include "fuzz.h"
#include <math.h>

static int too_big(const VnImageProc *p) {
  if (p->kind == VN_IMGPROC_CLIP)
    return (long long)p->crop_h * p->crop_w > (1 << 20) || (long long)p->size_h * p->size_w > (1 << 20) ||
           (long long)p->shortest_edge * p->shortest_edge * 200 > (1 << 20);
  if (p->kind == VN_IMGPROC_QWEN2VL)
    return p->min_pixels > (1 << 20) || (long long)p->patch_size * p->merge_size * p->patch_size * p->merge_size * 64 > (1 << 20);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  const char *path = fz_write(0, "preprocessor_config.json", d, n);
  char why[1024] = "";
  VnImageProc p;
  int rc = vn_imgcfg_load(path, &p, why, sizeof why);
  if (rc) {
    if (strncmp(why, path, strlen(path)) || strchr(why, '\n')) {
      fprintf(stderr, "fuzz: a refusal must be one line naming the file, said: '%s'\n", why);
      abort();
    }
  } else if (p.kind != VN_IMGPROC_UNKNOWN && !too_big(&p)) {
    static uint8_t rgb[23 * 17 * 3], rgba[9 * 30 * 4];
    for (size_t i = 0; i < sizeof rgb; i++) rgb[i] = (uint8_t)(i * 37 + 11);
    for (size_t i = 0; i < sizeof rgba; i++) rgba[i] = (uint8_t)(i * 53 + 7);
    VnImage im[2] = {{23, 17, 3, rgb}, {9, 30, 4, rgba}};
    for (int b = 0; b < 2; b++) {
      p.backend = b;
      for (int i = 0; i < 2; i++) {
        VnPixels px;
        char err[512] = "";
        if (vn_image_preprocess(&p, &im[i], "in.img", &px, err, sizeof err)) {
          if (!err[0] || strchr(err, '\n')) { fprintf(stderr, "fuzz: preprocess refused with '%s'\n", err); abort(); }
          continue;
        }
        int64_t cnt = 1;
        for (int k = 0; k < px.ndim; k++) cnt *= px.shape[k];
        volatile float sum = 0;
        for (int64_t k = 0; k < cnt; k++) sum += px.data[k];  /* every value is read (ASan) */
        (void)sum;
        vn_pixels_free(&px);
      }
    }
  }
  free((char *)p.name);
  return 0;
}
