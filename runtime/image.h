/* image.h: images into a vision model's pixel values (--image FILE).
 *
 * Decoding: PPM (P6, P3, and the grey P5, P2; 8-bit) in plain C on every
 * target; PNG (libpng) and JPEG (libjpeg-turbo) when the build defines
 * VN_IMAGE_PNG / VN_IMAGE_JPEG (venusc does for host builds of a model whose
 * directory has a preprocessor_config.json), so that the default runtime
 * stays libc-only. The format is told by the file's first bytes.
 *
 * Preprocessing: transformers' image processors, bit for bit as
 * transformers 5 runs them (its torchvision backend: torch's uint8
 * antialiased resize, torchvision's center crop, the float32 rescale and
 * normalize fused), or as the PIL + numpy processors of transformers 4 do
 * (VN_IMGBACKEND_PIL):
 *  - CLIPImageProcessor: convert to RGB, resize the shortest edge, center
 *    crop, rescale, normalize -> [1][3][crop_h][crop_w];
 *  - Qwen2VLImageProcessor: smart_resize to multiples of patch*merge within
 *    min/max pixels, resize, rescale, normalize, then the patches
 *    [grid_t*grid_h*grid_w][3*temporal*patch*patch] in merge order and the
 *    grid (t, h, w).
 * The settings are preprocessor_config.json's, read by venusc at compile
 * time (frontend/imgcfg.c) and compiled into the binary (vn_model.image_proc).
 *
 * Every error is one line naming the file and the problem in err; nothing
 * here aborts. */
#ifndef VN_IMAGE_H
#define VN_IMAGE_H
#include <stddef.h>
#include <stdint.h>

/* a decoded image: 8-bit RGB, or RGBA when the file has transparency */
typedef struct VnImage {
  int w, h, channels;         /* channels 3 or 4 */
  uint8_t *px;                /* [h][w][channels] */
} VnImage;

/* the largest image decoded, in pixels (about 16k x 16k) */
#define VN_IMAGE_MAX_PIXELS (1LL << 28)

enum { VN_IMGPROC_UNKNOWN = 0, VN_IMGPROC_CLIP = 1, VN_IMGPROC_QWEN2VL = 2 };
/* whose arithmetic: transformers 5's torchvision backend (the default, what
 * the processors run today), or the PIL + numpy one of transformers 4 */
enum { VN_IMGBACKEND_TORCH = 0, VN_IMGBACKEND_PIL = 1 };

/* one image processor's settings (preprocessor_config.json) */
typedef struct VnImageProc {
  int kind;                   /* VN_IMGPROC_*; UNKNOWN: name is one venus does not run */
  int backend;                /* VN_IMGBACKEND_* */
  const char *name;           /* image_processor_type (or feature_extractor_type) as the file says */
  const char *problem;        /* the file could not be read at compile time: why (kind UNKNOWN) */
  int do_convert_rgb, do_resize, do_center_crop, do_rescale, do_normalize;
  int resample;               /* PIL's filter: 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming */
  int shortest_edge;          /* CLIP: resize the shortest edge to this (0: to size_h x size_w) */
  int size_h, size_w;
  int crop_h, crop_w;
  double rescale_factor;
  float mean[3], std[3];
  int patch_size, merge_size, temporal_patch_size;  /* Qwen2VLImageProcessor */
  long long min_pixels, max_pixels;
} VnImageProc;

/* pixel values as the processor gives them (float32, row-major) */
typedef struct VnPixels {
  float *data;
  int64_t shape[4];
  int ndim;
  int grid_thw[3];            /* Qwen2VLImageProcessor's image_grid_thw */
  int has_grid;
} VnPixels;

/* Decode the image file path (PPM everywhere; PNG, JPEG where built in).
 * 0, or -1 with "PATH: problem" in err. */
int vn_image_load(const char *path, VnImage *img, char *err, size_t errlen);
/* the same from bytes in memory; name is what err calls them */
int vn_image_decode(const char *name, const unsigned char *data, size_t len, VnImage *img, char *err, size_t errlen);
void vn_image_free(VnImage *img);

/* An 8-bit image resized to w x h into out [h][w][channels], separable and
 * antialiased, horizontal pass first, each pass rounded to 8 bits:
 * VN_RESIZE_PIL as PIL's Image.resize (22-bit weights; resample 1 lanczos,
 * 2 bilinear, 3 bicubic, 4 box, 5 hamming), VN_RESIZE_TORCH as torch's
 * uint8 interpolate(antialias=True) that torchvision's resize runs (int16
 * weights; 2 bilinear, 3 bicubic). 0, or -1 when out of memory or the filter
 * is not one of them. */
enum { VN_RESIZE_PIL = 0, VN_RESIZE_TORCH = 1 };
int vn_image_resize(const VnImage *in, int w, int h, int resample, int flavor, VnImage *out);

/* Qwen2VLImageProcessor's smart_resize: the (h, w) an image of height x width becomes;
 * -1 when its aspect ratio is over 200 or the settings are not valid */
int vn_image_smart_resize(int height, int width, int factor, long long min_pixels, long long max_pixels, int *h, int *w);

/* The processor p on img: 0, or -1 with the problem in err (name: the file,
 * for the message). px->data is malloc'd (vn_pixels_free). */
int vn_image_preprocess(const VnImageProc *p, const VnImage *img, const char *name, VnPixels *px, char *err, size_t errlen);
void vn_pixels_free(VnPixels *px);

/* the formats this build decodes besides PPM: ", PNG, JPEG" or "" */
const char *vn_image_formats(void);

/* --image FILE: decode and preprocess with the model's processor (p may be
 * NULL: the model has none) into px (vn_pixels_free it), which the CLI gives
 * the vision tower. 0, or the exit status with the problem in err: 1 the
 * file (not an image, truncated, ...), 2 the model (no processor, or one
 * venus does not run). */
int vn_image_pixels(const VnImageProc *p, const char *path, VnPixels *px, char *err, size_t errlen);
#endif
