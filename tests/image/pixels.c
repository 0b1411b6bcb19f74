/* pixels.c: the image front end of a model binary (runtime/image.c) on its
 * own, without a vision model (tests/image/run.sh builds it):
 *   pixels [--pil] CONFIG.json IMAGE OUT.f32   preprocess IMAGE as
 *                                      preprocessor_config.json says (--pil: as the PIL
 *                                      backend of transformers 4 does); prints
 *                                      "shape ..." and "grid T H W"
 *   pixels --ppm IMAGE OUT P6|P3       the decoded image as PPM
 *   pixels --jpeg IMAGE OUT QUALITY    the decoded image as a 4:4:4 JPEG
 *   pixels --decode IMAGE OUT          the decoded RGB(A) bytes; prints "W H C"
 * Errors: one line on stderr, exit 1. */
#include "frontend.h"
#include "image.h"
#include <jpeglib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int die(const char *m) {
  fprintf(stderr, "pixels: %s\n", m);
  return 1;
}

static int load(const char *path, VnImage *img) {
  char err[600];
  if (vn_image_load(path, img, err, sizeof err)) return die(err);
  return 0;
}

static int put_ppm(const VnImage *img, const char *out, int text) {
  FILE *f = fopen(out, "wb");
  if (!f) return die("cannot write the output");
  fprintf(f, text ? "P3\n# written by tests/image/pixels\n%d %d\n255\n" : "P6\n%d %d\n255\n", img->w, img->h);
  for (size_t i = 0; i < (size_t)img->w * img->h; i++)
    for (int c = 0; c < 3; c++) {
      uint8_t v = img->px[i * img->channels + c];
      if (text) fprintf(f, "%d%c", v, c == 2 ? '\n' : ' ');
      else fputc(v, f);
    }
  return fclose(f) ? die("write failed") : 0;
}

static int put_jpeg(const VnImage *img, const char *out, int q) {
  FILE *f = fopen(out, "wb");
  if (!f) return die("cannot write the output");
  struct jpeg_compress_struct ci;
  struct jpeg_error_mgr je;
  ci.err = jpeg_std_error(&je);
  jpeg_create_compress(&ci);
  jpeg_stdio_dest(&ci, f);
  ci.image_width = (JDIMENSION)img->w;
  ci.image_height = (JDIMENSION)img->h;
  ci.input_components = 3;
  ci.in_color_space = JCS_RGB;
  jpeg_set_defaults(&ci);
  jpeg_set_quality(&ci, q, TRUE);
  for (int i = 0; i < 3; i++) ci.comp_info[i].h_samp_factor = ci.comp_info[i].v_samp_factor = 1;
  jpeg_start_compress(&ci, TRUE);
  unsigned char *row = malloc((size_t)img->w * 3);
  while (ci.next_scanline < ci.image_height) {
    for (int x = 0; x < img->w; x++)
      for (int c = 0; c < 3; c++) row[x * 3 + c] = img->px[((size_t)ci.next_scanline * img->w + x) * img->channels + c];
    JSAMPROW r = row;
    jpeg_write_scanlines(&ci, &r, 1);
  }
  jpeg_finish_compress(&ci);
  jpeg_destroy_compress(&ci);
  free(row);
  return fclose(f) ? die("write failed") : 0;
}

int main(int argc, char **argv) {
  VnImage img;
  if (argc == 5 && !strcmp(argv[1], "--ppm")) {
    if (load(argv[2], &img)) return 1;
    int rc = put_ppm(&img, argv[3], !strcmp(argv[4], "P3"));
    vn_image_free(&img);
    return rc;
  }
  if (argc == 5 && !strcmp(argv[1], "--jpeg")) {
    if (load(argv[2], &img)) return 1;
    int rc = put_jpeg(&img, argv[3], atoi(argv[4]));
    vn_image_free(&img);
    return rc;
  }
  if (argc == 4 && !strcmp(argv[1], "--decode")) {
    if (load(argv[2], &img)) return 1;
    FILE *f = fopen(argv[3], "wb");
    if (!f) return die("cannot write the output");
    fwrite(img.px, 1, (size_t)img.w * img.h * img.channels, f);
    if (fclose(f)) return die("write failed");
    printf("%d %d %d\n", img.w, img.h, img.channels);
    vn_image_free(&img);
    return 0;
  }
  int pil = argc == 5 && !strcmp(argv[1], "--pil");
  if (pil) argv++, argc--;
  if (argc != 4 || argv[1][0] == '-')
    return die("usage: pixels [--pil] CONFIG.json IMAGE OUT.f32 | --ppm IMAGE OUT P6|P3 | --jpeg IMAGE OUT Q | --decode IMAGE OUT");
  VnImageProc p;
  VnPixels px;
  char err[600];
  int rc = vn_imgcfg_load(argv[1], &p, err, sizeof err) ? die(err) : 0;
  if (!rc && pil) p.backend = VN_IMGBACKEND_PIL;
  if (!rc && load(argv[2], &img)) rc = 1;
  else if (!rc && vn_image_preprocess(&p, &img, argv[2], &px, err, sizeof err)) { vn_image_free(&img); rc = die(err); }
  free((char *)p.name);
  if (rc) return rc;
  size_t n = 1;
  printf("shape");
  for (int i = 0; i < px.ndim; i++) { printf(" %lld", (long long)px.shape[i]); n *= (size_t)px.shape[i]; }
  printf("\n");
  if (px.has_grid) printf("grid %d %d %d\n", px.grid_thw[0], px.grid_thw[1], px.grid_thw[2]);
  FILE *f = fopen(argv[3], "wb");
  rc = !f || fwrite(px.data, sizeof(float), n, f) != n || fclose(f) ? die("cannot write the output") : 0;
  vn_pixels_free(&px);
  vn_image_free(&img);
  return rc;
}
