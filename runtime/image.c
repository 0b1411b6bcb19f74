/* image.c: image files into a vision model's pixel values (image.h).
 * Decoders (PPM here; PNG and JPEG through libpng and libjpeg-turbo when
 * built with VN_IMAGE_PNG / VN_IMAGE_JPEG), PIL's resampling, and the image
 * processors of transformers that venus runs. */
#include "image.h"
#include <errno.h>
/* PIL's and torch's arithmetic is that of builds without fused multiply-add
 * (the resampling weights are doubles rounded to 22-bit fixed point): none
 * here either, whatever the target's -mfma */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef VN_IMAGE_PNG
#include <png.h>
#endif
#ifdef VN_IMAGE_JPEG
#include <jpeglib.h>
#include <jerror.h>
#include <setjmp.h>
#endif
#if defined(VN_IMAGE_PNG) && !defined(VN_IMAGE_JPEG)
#include <setjmp.h>
#endif

static int fail(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (err && n) vsnprintf(err, n, fmt, ap);
  va_end(ap);
  return -1;
}

void vn_image_free(VnImage *img) {
  if (!img) return;
  free(img->px);
  img->px = NULL;
}

void vn_pixels_free(VnPixels *px) {
  if (!px) return;
  free(px->data);
  px->data = NULL;
}

static int size_ok(const char *name, long long w, long long h, char *err, size_t n) {
  if (w <= 0 || h <= 0) return fail(err, n, "%s: the image is empty (%lldx%lld)", name, w, h);
  if (w > (1 << 24) || h > (1 << 24) || w * h > VN_IMAGE_MAX_PIXELS)
    return fail(err, n, "%s: too large: %lldx%lld pixels (at most %lld)", name, w, h, (long long)VN_IMAGE_MAX_PIXELS);
  return 0;
}

static int alloc_image(VnImage *img, int w, int h, int c) {
  img->w = w; img->h = h; img->channels = c;
  img->px = malloc((size_t)w * (size_t)h * (size_t)c);
  return img->px ? 0 : -1;
}

/* ---- PPM (netpbm): P6 / P5 binary, P3 / P2 text, maxval 255 ---- */
typedef struct Rd { const unsigned char *p; size_t n, i; } Rd;

static void pnm_space(Rd *r) {  /* whitespace and # comments to the end of their line */
  while (r->i < r->n) {
    unsigned char c = r->p[r->i];
    if (c == '#') { while (r->i < r->n && r->p[r->i] != '\n' && r->p[r->i] != '\r') r->i++; }
    else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') r->i++;
    else break;
  }
}

/* a decimal number: its value, -1 when there is none, -2 at the end of the data */
static long long pnm_num(Rd *r) {
  pnm_space(r);
  if (r->i >= r->n) return -2;
  if (r->p[r->i] < '0' || r->p[r->i] > '9') return -1;
  long long v = 0;
  while (r->i < r->n && r->p[r->i] >= '0' && r->p[r->i] <= '9') {
    v = v * 10 + (r->p[r->i++] - '0');
    if (v > (1LL << 40)) return -1;
  }
  return v;
}

static int decode_pnm(const char *name, const unsigned char *d, size_t len, VnImage *img, char *err, size_t en) {
  int kind = d[1] - '0';  /* 2 P2 grey text, 3 P3 RGB text, 5 P5 grey, 6 P6 RGB */
  int ch = kind == 3 || kind == 6 ? 3 : 1;
  Rd r = {d, len, 2};
  long long hd[3];
  static const char *const what[3] = {"width", "height", "maxval"};
  for (int k = 0; k < 3; k++) {
    hd[k] = pnm_num(&r);
    if (hd[k] == -2) return fail(err, en, "%s: truncated PPM header (no %s)", name, what[k]);
    if (hd[k] < 0) return fail(err, en, "%s: not a valid PPM header (the %s is not a number)", name, what[k]);
  }
  if (size_ok(name, hd[0], hd[1], err, en)) return -1;
  if (hd[2] < 1 || hd[2] > 65535) return fail(err, en, "%s: not a valid PPM (maxval %lld)", name, hd[2]);
  if (hd[2] != 255)
    return fail(err, en, "%s: unsupported bit depth: maxval %lld (8-bit images, maxval 255, are read)", name, hd[2]);
  int w = (int)hd[0], h = (int)hd[1];
  size_t need = (size_t)w * (size_t)h * (size_t)ch;
  if (kind >= 5) {
    if (r.i >= len) return fail(err, en, "%s: truncated PPM (no pixel data)", name);
    r.i++;  /* the one whitespace byte after maxval */
    if (len - r.i < need)
      return fail(err, en, "%s: truncated PPM: %zu bytes of pixel data, %zux%d needs %zu", name, len - r.i, (size_t)w, h, need);
  }
  if (alloc_image(img, w, h, 3)) return fail(err, en, "%s: out of memory for %dx%d pixels", name, w, h);
  for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
    unsigned char v[3];
    for (int c = 0; c < ch; c++) {
      if (kind >= 5) v[c] = d[r.i++];
      else {
        long long x = pnm_num(&r);
        if (x == -2 || x < 0 || x > 255) {
          vn_image_free(img);
          if (x == -2) return fail(err, en, "%s: truncated PPM: %zu of %zu samples", name, i * ch + c, need);
          return fail(err, en, "%s: not a valid PPM: sample %zu is not a number in 0..255", name, i * ch + c);
        }
        v[c] = (unsigned char)x;
      }
    }
    for (int c = 0; c < 3; c++) img->px[i * 3 + c] = v[ch == 3 ? c : 0];
  }
  return 0;
}

/* ---- PNG (libpng) ---- */
#ifdef VN_IMAGE_PNG
typedef struct PngIo { Rd r; char msg[200]; jmp_buf jb; } PngIo;

static void png_err(png_structp ps, png_const_charp msg) {
  PngIo *io = png_get_error_ptr(ps);
  snprintf(io->msg, sizeof io->msg, "%s", msg);
  longjmp(io->jb, 1);
}
static void png_warn(png_structp ps, png_const_charp msg) { (void)ps; (void)msg; }

static void png_rd(png_structp ps, png_bytep out, size_t n) {
  PngIo *io = png_get_io_ptr(ps);
  if (io->r.n - io->r.i < n) {
    snprintf(io->msg, sizeof io->msg, "truncated");
    longjmp(io->jb, 1);
  }
  memcpy(out, io->r.p + io->r.i, n);
  io->r.i += n;
}

/* As PIL opens it: 16-bit samples keep their high byte, 1/2/4-bit grey is
 * scaled to 8 bits, a palette becomes RGB; tRNS becomes alpha but for RGB
 * (transformers' convert_to_rgb keeps an RGB image as it is). */
static int decode_png(const char *name, const unsigned char *d, size_t len, VnImage *img, char *err, size_t en) {
  PngIo *io = calloc(1, sizeof *io);
  if (!io) return fail(err, en, "%s: out of memory", name);
  io->r = (Rd){d, len, 0};
  png_structp ps = png_create_read_struct(PNG_LIBPNG_VER_STRING, io, png_err, png_warn);
  png_infop pi = ps ? png_create_info_struct(ps) : NULL;
  png_bytep *volatile rows = NULL;
  volatile int rc = -1;
  img->px = NULL;
  if (!pi) { fail(err, en, "%s: out of memory", name); goto out; }
  if (setjmp(io->jb)) {
    if (!strcmp(io->msg, "truncated")) fail(err, en, "%s: truncated PNG", name);
    else fail(err, en, "%s: not a valid PNG (%s)", name, io->msg);
    vn_image_free(img);
    goto out;
  }
  png_set_read_fn(ps, io, png_rd);
  png_set_user_limits(ps, 1 << 24, 1 << 24);
  png_read_info(ps, pi);
  png_uint_32 w = png_get_image_width(ps, pi), h = png_get_image_height(ps, pi);
  int depth = png_get_bit_depth(ps, pi), ct = png_get_color_type(ps, pi);
  if (size_ok(name, w, h, err, en)) goto out;
  if (depth == 16 && !(ct & PNG_COLOR_MASK_COLOR)) {
    fail(err, en, "%s: unsupported bit depth: 16-bit grey PNG (8-bit grey, and 8- or 16-bit colour, are read)", name);
    goto out;
  }
  int trns = png_get_valid(ps, pi, PNG_INFO_tRNS) != 0;
  if (depth == 16) png_set_strip_16(ps);
  if (ct == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(ps);
  if (ct == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(ps);
  if (trns && ct != PNG_COLOR_TYPE_RGB) png_set_tRNS_to_alpha(ps);
  if (!(ct & PNG_COLOR_MASK_COLOR)) png_set_gray_to_rgb(ps);
  png_set_interlace_handling(ps);
  png_read_update_info(ps, pi);
  int ch = png_get_channels(ps, pi);
  if (ch != 3 && ch != 4) { fail(err, en, "%s: unsupported PNG (%d channels after expansion)", name, ch); goto out; }
  if (alloc_image(img, (int)w, (int)h, ch) || !(rows = malloc(h * sizeof *rows))) {
    fail(err, en, "%s: out of memory for %ux%u pixels", name, (unsigned)w, (unsigned)h);
    vn_image_free(img);
    goto out;
  }
  for (png_uint_32 y = 0; y < h; y++) rows[y] = img->px + (size_t)y * w * ch;
  png_read_image(ps, rows);
  png_read_end(ps, NULL);
  rc = 0;
out:
  free(rows);
  png_destroy_read_struct(ps ? &ps : NULL, pi ? &pi : NULL, NULL);
  free(io);
  return rc;
}
#endif

/* ---- JPEG (libjpeg-turbo, with PIL's settings: its defaults) ---- */
#ifdef VN_IMAGE_JPEG
typedef struct JpgErr { struct jpeg_error_mgr pub; jmp_buf jb; char msg[JMSG_LENGTH_MAX]; } JpgErr;

static void jpg_exit(j_common_ptr ci) {
  JpgErr *e = (JpgErr *)ci->err;
  ci->err->format_message(ci, e->msg);
  longjmp(e->jb, 1);
}
/* warnings pass but the end of the data (PIL: "image file is truncated") */
static void jpg_emit(j_common_ptr ci, int level) {
  JpgErr *e = (JpgErr *)ci->err;
  if (level < 0 && ci->err->msg_code == JWRN_JPEG_EOF) {
    snprintf(e->msg, sizeof e->msg, "truncated");
    longjmp(e->jb, 1);
  }
}

static int decode_jpeg(const char *name, const unsigned char *d, size_t len, VnImage *img, char *err, size_t en) {
  struct jpeg_decompress_struct ci;
  JpgErr je;
  memset(&je, 0, sizeof je);
  ci.err = jpeg_std_error(&je.pub);
  je.pub.error_exit = jpg_exit;
  je.pub.emit_message = jpg_emit;
  img->px = NULL;
  if (setjmp(je.jb)) {
    if (!strcmp(je.msg, "truncated")) fail(err, en, "%s: truncated JPEG", name);
    else fail(err, en, "%s: not a valid JPEG (%s)", name, je.msg);
    jpeg_destroy_decompress(&ci);
    vn_image_free(img);
    return -1;
  }
  jpeg_create_decompress(&ci);
  jpeg_mem_src(&ci, d, (unsigned long)len);
  jpeg_read_header(&ci, TRUE);
  if (ci.jpeg_color_space == JCS_CMYK || ci.jpeg_color_space == JCS_YCCK) {
    jpeg_destroy_decompress(&ci);
    return fail(err, en, "%s: unsupported JPEG: CMYK colour", name);
  }
  if (size_ok(name, ci.image_width, ci.image_height, err, en)) { jpeg_destroy_decompress(&ci); return -1; }
  ci.out_color_space = JCS_RGB;
  jpeg_start_decompress(&ci);
  if (ci.output_components != 3) { jpeg_destroy_decompress(&ci); return fail(err, en, "%s: unsupported JPEG colour space", name); }
  if (alloc_image(img, (int)ci.output_width, (int)ci.output_height, 3)) {
    jpeg_destroy_decompress(&ci);
    return fail(err, en, "%s: out of memory for %ux%u pixels", name, ci.output_width, ci.output_height);
  }
  while (ci.output_scanline < ci.output_height) {
    JSAMPROW row = img->px + (size_t)ci.output_scanline * ci.output_width * 3;
    jpeg_read_scanlines(&ci, &row, 1);
  }
  jpeg_finish_decompress(&ci);
  jpeg_destroy_decompress(&ci);
  return 0;
}
#endif

int vn_image_decode(const char *name, const unsigned char *d, size_t len, VnImage *img, char *err, size_t en) {
  img->px = NULL;
  img->w = img->h = img->channels = 0;
  int png = len >= 8 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8), jpg = len >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff;
  if (len >= 2 && d[0] == 'P' && (d[1] == '2' || d[1] == '3' || d[1] == '5' || d[1] == '6')) return decode_pnm(name, d, len, img, err, en);
  if (png) {
#ifdef VN_IMAGE_PNG
    return decode_png(name, d, len, img, err, en);
#else
    return fail(err, en, "%s: a PNG, and this binary reads PPM only (PNG is built in for host targets); convert it to PPM", name);
#endif
  }
  if (jpg) {
#ifdef VN_IMAGE_JPEG
    return decode_jpeg(name, d, len, img, err, en);
#else
    return fail(err, en, "%s: a JPEG, and this binary reads PPM only (JPEG is built in for host targets); convert it to PPM", name);
#endif
  }
  if (len >= 2 && d[0] == 'P' && d[1] >= '1' && d[1] <= '7')
    return fail(err, en, "%s: unsupported netpbm format P%c (P6, P3, P5 and P2 are read)", name, d[1]);
  if (len == 0) return fail(err, en, "%s: not an image (the file is empty)", name);
  return fail(err, en, "%s: not an image (not PPM%s%s)", name,
#ifdef VN_IMAGE_PNG
              ", PNG",
#else
              "",
#endif
#ifdef VN_IMAGE_JPEG
              " or JPEG"
#else
              ""
#endif
  );
}

const char *vn_image_formats(void) {
  return ""
#ifdef VN_IMAGE_PNG
         ", PNG"
#endif
#ifdef VN_IMAGE_JPEG
         ", JPEG"
#endif
      ;
}

#define VN_IMAGE_MAX_FILE (1LL << 30)

int vn_image_load(const char *path, VnImage *img, char *err, size_t en) {
  img->px = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return fail(err, en, "%s: cannot open the image: %s", path, strerror(errno));
  size_t cap = 1 << 16, n = 0;
  unsigned char *d = malloc(cap);
  while (d) {
    if (n == cap) {
      if ((long long)cap * 2 > VN_IMAGE_MAX_FILE) {
        free(d);
        fclose(f);
        return fail(err, en, "%s: too large: over %lld bytes", path, VN_IMAGE_MAX_FILE);
      }
      unsigned char *nd = realloc(d, cap * 2);
      if (!nd) { free(d); d = NULL; break; }
      d = nd;
      cap *= 2;
    }
    size_t k = fread(d + n, 1, cap - n, f);
    n += k;
    if (k == 0) break;
  }
  int rerr = ferror(f);
  fclose(f);
  if (!d) return fail(err, en, "%s: out of memory reading the image", path);
  if (rerr) { free(d); return fail(err, en, "%s: cannot read the image", path); }
  int rc = vn_image_decode(path, d, n, img, err, en);
  free(d);
  return rc;
}

/* ---- PIL's resampling (libImaging/Resample.c): separable convolution,
 * horizontal pass first, each pass rounded to 8 bits with 22-bit fixed
 * point coefficients ---- */
#define PREC_BITS (32 - 8 - 2)

static double f_box(double x) { return x > -0.5 && x <= 0.5 ? 1.0 : 0.0; }
static double f_bilinear(double x) { if (x < 0) x = -x; return x < 1.0 ? 1.0 - x : 0.0; }
static double f_hamming(double x) {
  if (x < 0) x = -x;
  if (x == 0.0) return 1.0;
  if (x >= 1.0) return 0.0;
  x = x * 3.14159265358979323846;
  return sin(x) / x * (0.54 + 0.46 * cos(x));
}
static double f_bicubic(double x) {
  const double a = -0.5;
  if (x < 0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}
/* torch's antialiased bicubic (HelperInterpCubic::aa_filter, a = -0.5): the
 * same polynomial in another evaluation order */
static double f_bicubic_torch(double x) {
  const double a = -0.5;
  if (x < 0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0.0;
}
static double sinc(double x) {
  if (x == 0.0) return 1.0;
  x = x * 3.14159265358979323846;
  return sin(x) / x;
}
static double f_lanczos(double x) { return x > -3.0 && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0; }

typedef struct Filter { double (*f)(double); double support; } Filter;

static const Filter *filter_of(int resample, int flavor) {
  static const Filter box = {f_box, 0.5}, bil = {f_bilinear, 1.0}, ham = {f_hamming, 1.0}, bic = {f_bicubic, 2.0},
                      lan = {f_lanczos, 3.0}, tbic = {f_bicubic_torch, 2.0};
  if (flavor == VN_RESIZE_TORCH) return resample == 2 ? &bil : resample == 3 ? &tbic : NULL;  /* torchvision's tensor modes */
  switch (resample) {
    case 1: return &lan;
    case 2: return &bil;
    case 3: return &bic;
    case 4: return &box;
    case 5: return &ham;
    default: return NULL;
  }
}

/* per output pixel: its first input pixel, their count, and ksize fixed-point
 * weights: PIL's at 22 bits; torch's int16 at the most bits the axis's
 * largest weight allows (_compute_index_ranges_int16_weights) */
static int coeffs(int in_size, int out_size, const Filter *fl, int flavor, int **bounds_out, int32_t **kk_out, int *prec) {
  double scale = (double)in_size / out_size, fscale = scale < 1.0 ? 1.0 : scale;
  double support = fl->support * fscale;
  int ksize = (int)ceil(support) * 2 + 1;
  double *k = malloc((size_t)out_size * ksize * sizeof *k);
  int *bounds = malloc((size_t)out_size * 2 * sizeof *bounds);
  int32_t *kk = malloc((size_t)out_size * ksize * sizeof *kk);
  if (!k || !bounds || !kk) { free(k); free(bounds); free(kk); return -1; }
  for (int xx = 0; xx < out_size; xx++) {
    double center = (xx + 0.5) * scale, ww = 0.0, ss = 1.0 / fscale;
    int xmin = (int)(center - support + 0.5), xmax = (int)(center + support + 0.5);
    if (xmin < 0) xmin = 0;
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    if (xmax > ksize) xmax = ksize;  /* torch clamps; PIL's never exceeds it */
    double *kx = k + (size_t)xx * ksize;
    int x;
    for (x = 0; x < xmax; x++) {
      double w = fl->f((x + xmin - center + 0.5) * ss);
      kx[x] = w;
      ww += w;
    }
    for (x = 0; x < xmax; x++) if (ww != 0.0) kx[x] /= ww;
    for (; x < ksize; x++) kx[x] = 0;
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  int p = PREC_BITS;
  if (flavor == VN_RESIZE_TORCH) {
    double wmax = 0;
    for (size_t i = 0; i < (size_t)out_size * ksize; i++) if (k[i] > wmax) wmax = k[i];
    for (p = 0; p < 22; p++) if ((int)(0.5 + wmax * (1 << (p + 1))) >= (1 << 15)) break;
    if (p < 1) p = 1;
  }
  for (size_t i = 0; i < (size_t)out_size * ksize; i++)
    kk[i] = k[i] < 0 ? (int32_t)(-0.5 + k[i] * (1 << p)) : (int32_t)(0.5 + k[i] * (1 << p));
  *prec = p;
  free(k);
  *bounds_out = bounds;
  *kk_out = kk;
  return ksize;
}

static uint8_t clip8(int32_t v, int prec) {
  v >>= prec;
  return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

int vn_image_resize(const VnImage *in, int w, int h, int resample, int flavor, VnImage *out) {
  const Filter *fl = filter_of(resample, flavor);
  int c = in->channels;
  out->px = NULL;
  if (!fl || w <= 0 || h <= 0) return -1;
  if (w == in->w && h == in->h) {  /* PIL: the same size is a copy */
    if (alloc_image(out, w, h, c)) return -1;
    memcpy(out->px, in->px, (size_t)w * h * c);
    return 0;
  }
  int *bh = NULL, *bv = NULL;
  int32_t *kh = NULL, *kv = NULL;
  int ph = 0, pv = 0, ksh = coeffs(in->w, w, fl, flavor, &bh, &kh, &ph), ksv = coeffs(in->h, h, fl, flavor, &bv, &kv, &pv);
  VnImage tmp = {0};
  int rc = -1;
  if (ksh < 0 || ksv < 0) goto out;
  int need_h = w != in->w, need_v = h != in->h;
  const VnImage *src = in;
  if (need_h) {  /* only the rows the vertical pass reads */
    int y0 = bv[0], y1 = bv[h * 2 - 2] + bv[h * 2 - 1];
    if (!need_v) { y0 = 0; y1 = in->h; }
    if (alloc_image(&tmp, w, y1 - y0, c)) goto out;
    for (int i = 0; i < h; i++) if (need_v) bv[i * 2] -= y0;
    for (int y = 0; y < tmp.h; y++)
      for (int xx = 0; xx < w; xx++) {
        const int32_t *k = kh + (size_t)xx * ksh;
        int xmin = bh[xx * 2], xmax = bh[xx * 2 + 1];
        const uint8_t *row = in->px + ((size_t)(y + y0) * in->w + xmin) * c;
        for (int ch = 0; ch < c; ch++) {
          int32_t ss = 1 << (ph - 1);
          for (int x = 0; x < xmax; x++) ss += row[x * c + ch] * k[x];
          tmp.px[((size_t)y * w + xx) * c + ch] = clip8(ss, ph);
        }
      }
    src = &tmp;
  }
  if (need_v) {
    if (alloc_image(out, w, h, c)) goto out;
    for (int yy = 0; yy < h; yy++) {
      const int32_t *k = kv + (size_t)yy * ksv;
      int ymin = bv[yy * 2], ymax = bv[yy * 2 + 1];
      for (int xx = 0; xx < w; xx++)
        for (int ch = 0; ch < c; ch++) {
          int32_t ss = 1 << (pv - 1);
          for (int y = 0; y < ymax; y++) ss += src->px[((size_t)(y + ymin) * w + xx) * c + ch] * k[y];
          out->px[((size_t)yy * w + xx) * c + ch] = clip8(ss, pv);
        }
    }
    vn_image_free(&tmp);
  } else {
    *out = tmp;
    tmp.px = NULL;
  }
  rc = 0;
out:
  vn_image_free(&tmp);
  free(bh); free(bv); free(kh); free(kv);
  return rc;
}

/* transformers' convert_to_rgb of an image with alpha: PIL's alpha_composite
 * over opaque white, then RGB (AlphaComposite.c's integer arithmetic) */
static void over_white(const VnImage *in, VnImage *out) {
  for (size_t i = 0; i < (size_t)in->w * in->h; i++) {
    const uint8_t *s = in->px + i * 4;
    uint8_t *o = out->px + i * 3;
    if (s[3] == 0) { o[0] = o[1] = o[2] = 255; continue; }
    uint32_t outa255 = s[3] * 255u + 255u * (255u - s[3]);
    uint32_t coef1 = s[3] * 255u * 255u * (1u << 7) / outa255, coef2 = 255u * (1u << 7) - coef1;
    for (int c = 0; c < 3; c++) {
      uint32_t t = s[c] * coef1 + 255u * coef2 + (0x80u << 7);
      o[c] = (uint8_t)((((t >> 8) + t) >> 8) >> 7);
    }
  }
}

int vn_image_smart_resize(int height, int width, int factor, long long min_pixels, long long max_pixels, int *h, int *w) {
  if (height <= 0 || width <= 0 || factor <= 0) return -1;
  double hi = height > width ? height : width, lo = height > width ? width : height;
  if (hi / lo > 200) return -1;
  double hb = nearbyint((double)height / factor) * factor, wb = nearbyint((double)width / factor) * factor;  /* Python's round */
  if (hb * wb > (double)max_pixels) {
    double beta = sqrt((double)height * width / (double)max_pixels);
    hb = floor(height / beta / factor) * factor;
    wb = floor(width / beta / factor) * factor;
    if (hb < factor) hb = factor;
    if (wb < factor) wb = factor;
  } else if (hb * wb < (double)min_pixels) {
    double beta = sqrt((double)min_pixels / ((double)height * width));
    hb = ceil(height * beta / factor) * factor;
    wb = ceil(width * beta / factor) * factor;
  }
  if (hb < factor || wb < factor || hb > (1 << 24) || wb > (1 << 24)) return -1;
  *h = (int)hb;
  *w = (int)wb;
  return 0;
}

/* Rescale and normalize. transformers 5 (torch, float32): both at once are
 * one subtraction and one division by mean and std over the rescale factor,
 * (x - mean * (1/f)) / (std * (1/f)); alone, x * f or (x - mean) / std.
 * The PIL backend (numpy): x * f in double stored as float32, then
 * (x - mean) / std in float32. */
typedef struct Norm { float mul, sub[3], div[3]; double mul64; int rescale, normalize, pil; } Norm;

static void norm_init(const VnImageProc *p, Norm *n) {
  n->rescale = p->do_rescale;
  n->normalize = p->do_normalize;
  n->pil = p->backend == VN_IMGBACKEND_PIL;
  n->mul = (float)p->rescale_factor;
  n->mul64 = p->rescale_factor;
  float inv = (float)(1.0 / p->rescale_factor);
  int fuse = p->do_rescale && !n->pil;
  for (int c = 0; c < 3; c++) {
    n->sub[c] = fuse ? p->mean[c] * inv : p->mean[c];
    n->div[c] = fuse ? p->std[c] * inv : p->std[c];
  }
}

static float pixel_value(const Norm *n, uint8_t v, int c) {
  float x = (float)v;
  if (n->pil) {
    if (n->rescale) x = (float)((double)v * n->mul64);
    return n->normalize ? (x - n->sub[c]) / n->div[c] : x;
  }
  if (n->normalize) return (x - n->sub[c]) / n->div[c];
  return n->rescale ? x * n->mul : x;
}

/* center crop: the source index of the crop's first row (or column), per
 * axis; a crop larger than the image pads with zeros. torchvision:
 * round((n - c) / 2) (half to even), padding floor((c - n) / 2) before;
 * transformers' numpy center_crop: floor, padding ceil before. */
static int crop_offset(int n, int c, int pil) {
  if (c > n) return pil ? -((c - n + 1) / 2) : -((c - n) / 2);
  return pil ? (n - c) / 2 : (int)nearbyint((n - c) / 2.0);
}

static int proc_problem(const VnImageProc *p, char *err, size_t en);

int vn_image_preprocess(const VnImageProc *p, const VnImage *img, const char *name, VnPixels *px, char *err, size_t en) {
  memset(px, 0, sizeof *px);
  if (proc_problem(p, err, en)) return -1;
  VnImage rgb = {0}, rs = {0};
  const VnImage *cur = img;
  if (img->channels == 4) {
    if (!p->do_convert_rgb) return fail(err, en, "%s: the image has transparency and the processor does not convert to RGB", name);
    if (alloc_image(&rgb, img->w, img->h, 3)) return fail(err, en, "%s: out of memory", name);
    over_white(img, &rgb);
    cur = &rgb;
  }
  Norm nm;
  norm_init(p, &nm);
  int rw = cur->w, rh = cur->h, rc = -1;
  if (p->kind == VN_IMGPROC_CLIP && p->do_resize) {
    if (p->shortest_edge > 0) {  /* get_resize_output_image_size, default_to_square False */
      int s = p->shortest_edge, shrt = cur->w <= cur->h ? cur->w : cur->h, lng = cur->w <= cur->h ? cur->h : cur->w;
      double nld = (double)s * lng / shrt;
      int nl = nld < (double)(1 << 30) ? (int)nld : 1 << 30;  /* past any size: refused below */
      if (cur->w <= cur->h) { rw = s; rh = nl; } else { rh = s; rw = nl; }
    } else { rh = p->size_h; rw = p->size_w; }
  } else if (p->kind == VN_IMGPROC_QWEN2VL) {
    if (p->patch_size <= 0 || p->merge_size <= 0 || p->temporal_patch_size <= 0) {
      fail(err, en, "%s: the model's Qwen2VLImageProcessor settings are not valid (patch %d, merge %d, temporal %d)", name,
           p->patch_size, p->merge_size, p->temporal_patch_size);
      goto out;
    }
    if (p->do_resize &&
        vn_image_smart_resize(cur->h, cur->w, p->patch_size * p->merge_size, p->min_pixels, p->max_pixels, &rh, &rw)) {
      fail(err, en, "%s: cannot resize a %dx%d image for the model (aspect ratio over 200, or out of range)", name, cur->w, cur->h);
      goto out;
    }
    if (rh % (p->patch_size * p->merge_size) || rw % (p->patch_size * p->merge_size)) {
      fail(err, en, "%s: a %dx%d image is not made of whole %dx%d patches (the processor does not resize)", name, rw, rh,
           p->patch_size * p->merge_size, p->patch_size * p->merge_size);
      goto out;
    }
  }
  if (rw <= 0 || rh <= 0 || (long long)rw * rh > VN_IMAGE_MAX_PIXELS) {
    fail(err, en, "%s: the processor would make a %dx%d image", name, rw, rh);
    goto out;
  }
  if ((p->kind == VN_IMGPROC_QWEN2VL || p->do_resize) && (rw != cur->w || rh != cur->h)) {
    int flavor = p->backend == VN_IMGBACKEND_PIL ? VN_RESIZE_PIL : VN_RESIZE_TORCH;
    if (!filter_of(p->resample, flavor)) {
      fail(err, en, "%s: the processor's resample %d is not supported (%s)", name, p->resample,
           flavor == VN_RESIZE_PIL ? "1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming are" : "2 bilinear and 3 bicubic are");
      goto out;
    }
    if (vn_image_resize(cur, rw, rh, p->resample, flavor, &rs)) { fail(err, en, "%s: out of memory resizing the image", name); goto out; }
    cur = &rs;
  }
  if (p->kind == VN_IMGPROC_CLIP) {
    int W = cur->w, H = cur->h, ch = p->do_center_crop ? p->crop_h : H, cw = p->do_center_crop ? p->crop_w : W;
    if (ch <= 0 || cw <= 0 || (long long)ch * cw > VN_IMAGE_MAX_PIXELS) { fail(err, en, "%s: crop %dx%d is not valid", name, cw, ch); goto out; }
    int pil = p->backend == VN_IMGBACKEND_PIL, top = crop_offset(H, ch, pil), left = crop_offset(W, cw, pil);
    px->data = malloc((size_t)3 * ch * cw * sizeof(float));
    if (!px->data) { fail(err, en, "%s: out of memory", name); goto out; }
    for (int c = 0; c < 3; c++)
      for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++) {
          int sy = top + y, sx = left + x;
          uint8_t v = sy >= 0 && sy < H && sx >= 0 && sx < W ? cur->px[((size_t)sy * W + sx) * 3 + c] : 0;
          px->data[((size_t)c * ch + y) * cw + x] = pixel_value(&nm, v, c);
        }
    px->ndim = 4;
    px->shape[0] = 1; px->shape[1] = 3; px->shape[2] = ch; px->shape[3] = cw;
  } else {
    /* patches [gt][tp][c][gh/m][m][ps][gw/m][m][ps] transposed to
     * [gt][gh/m][gw/m][m][m][c][tp][ps][ps]; one image is tp frames of it */
    int ps = p->patch_size, m = p->merge_size, tp = p->temporal_patch_size, W = cur->w;
    int gh = cur->h / ps, gw = cur->w / ps;
    int64_t rows = (int64_t)gh * gw, cols = (int64_t)3 * tp * ps * ps;
    px->data = malloc((size_t)(rows * cols) * sizeof(float));
    if (!px->data) { fail(err, en, "%s: out of memory", name); goto out; }
    float *o = px->data;
    for (int bh = 0; bh < gh / m; bh++)
      for (int bw = 0; bw < gw / m; bw++)
        for (int mh = 0; mh < m; mh++)
          for (int mw = 0; mw < m; mw++)
            for (int c = 0; c < 3; c++)
              for (int t = 0; t < tp; t++)
                for (int py = 0; py < ps; py++)
                  for (int pxx = 0; pxx < ps; pxx++) {
                    int y = (bh * m + mh) * ps + py, x = (bw * m + mw) * ps + pxx;
                    *o++ = pixel_value(&nm, cur->px[((size_t)y * W + x) * 3 + c], c);
                  }
    px->ndim = 2;
    px->shape[0] = rows; px->shape[1] = cols;
    px->grid_thw[0] = 1; px->grid_thw[1] = gh; px->grid_thw[2] = gw;
    px->has_grid = 1;
  }
  rc = 0;
out:
  vn_image_free(&rgb);
  vn_image_free(&rs);
  return rc;
}

/* 0, or 2 with why the model's processor cannot run (usage, not the file) */
static int proc_problem(const VnImageProc *p, char *err, size_t en) {
  if (!p) fail(err, en, "--image: this model has no image processor (its directory had no preprocessor_config.json)");
  else if (p->problem) fail(err, en, "--image: this model's image processor could not be read when it was compiled (%s)", p->problem);
  else if (p->kind != VN_IMGPROC_CLIP && p->kind != VN_IMGPROC_QWEN2VL)
    fail(err, en, "--image: this model's image processor %s is not one venus runs (CLIPImageProcessor, Qwen2VLImageProcessor are)",
         p->name && *p->name ? p->name : "(unnamed)");
  else return 0;
  return 2;
}

int vn_image_pixels(const VnImageProc *p, const char *path, VnPixels *px, char *err, size_t en) {
  memset(px, 0, sizeof *px);
  if (proc_problem(p, err, en)) return 2;
  VnImage img;
  if (vn_image_load(path, &img, err, en)) return 1;
  int rc = vn_image_preprocess(p, &img, path, px, err, en);
  vn_image_free(&img);
  return rc ? 1 : 0;
}
