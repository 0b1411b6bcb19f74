/* imgcfg.c: a model's preprocessor_config.json as the image processor
 * settings the binary carries (runtime/image.h VnImageProc), with
 * transformers' defaults for what the file leaves out
 * (CLIPImageProcessor.__init__, Qwen2VLImageProcessor.__init__). */
#include "frontend.h"
#include "image.h"
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int getb(json_t *o, const char *k, int def) {
  json_t *v = json_object_get(o, k);
  return json_is_boolean(v) ? json_is_true(v) : def;
}

static double getn(json_t *o, const char *k, double def) {
  json_t *v = json_object_get(o, k);
  return json_is_number(v) ? json_number_value(v) : def;
}

/* image_mean / image_std: a list of 3, or one number for every channel */
static int get3(json_t *o, const char *k, const float def[3], float out[3]) {
  json_t *v = json_object_get(o, k);
  if (!v || json_is_null(v)) { memcpy(out, def, 3 * sizeof *out); return 0; }
  /* float32 values (the binary's C carries them as such: a value past
   * FLT_MAX would be infinite) */
  if (json_is_number(v)) {
    if (!(fabs(json_number_value(v)) <= FLT_MAX)) return -1;
    out[0] = out[1] = out[2] = (float)json_number_value(v);
    return 0;
  }
  if (!json_is_array(v) || json_array_size(v) != 3) return -1;
  for (int i = 0; i < 3; i++) {
    json_t *e = json_array_get(v, i);
    if (!json_is_number(e) || !(fabs(json_number_value(e)) <= FLT_MAX)) return -1;
    out[i] = (float)json_number_value(e);
  }
  return 0;
}

/* an integer (or a real with an integer value) within +-2^40: 1; 0 when
 * absent or not one. A value past that range reads as -1 (not valid for
 * any setting), so that it never wraps into a small one. */
static int integer(json_t *o, const char *k, long long *out) {
  json_t *v = json_object_get(o, k);
  const double lim = 1099511627776.0;
  if (json_is_integer(v)) {
    long long x = json_integer_value(v);
    *out = x >= -(1LL << 40) && x <= (1LL << 40) ? x : -1;
    return 1;
  }
  if (json_is_real(v)) {
    double x = json_real_value(v);
    if (!(x >= -lim && x <= lim)) { *out = -1; return 1; }
    if (x == (double)(long long)x) { *out = (long long)x; return 1; }
  }
  return 0;
}

/* an int setting: its value, or -1 when it does not fit (not valid) */
static int as_int(long long v) { return v >= -2147483647LL && v <= 2147483647LL ? (int)v : -1; }

int vn_imgcfg_load(const char *path, VnImageProc *p, char *why, size_t wn) {
  static const float clip_mean[3] = {0.48145466f, 0.4578275f, 0.40821073f}, clip_std[3] = {0.26862954f, 0.26130258f, 0.27577711f};
  memset(p, 0, sizeof *p);
  json_error_t je;
  json_t *o = json_load_file(path, 0, &je);
  if (!o) {
    snprintf(why, wn, "%s:%d: not valid JSON (%s)", path, je.line, je.text);
    for (char *c = why; *c; c++)  /* jansson quotes the input: one line, as vn_errorf makes it */
      if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
    return -1;
  }
  if (!json_is_object(o)) { json_decref(o); snprintf(why, wn, "%s: not a JSON object", path); return -1; }
  const char *name = json_string_value(json_object_get(o, "image_processor_type"));
  if (!name) name = json_string_value(json_object_get(o, "feature_extractor_type"));
  p->name = strdup(name ? name : "");
  /* the slow processors (PIL and numpy); a *Fast one resizes with torchvision */
  if (name && (!strcmp(name, "CLIPImageProcessor") || !strcmp(name, "CLIPFeatureExtractor"))) p->kind = VN_IMGPROC_CLIP;
  else if (name && !strcmp(name, "Qwen2VLImageProcessor")) p->kind = VN_IMGPROC_QWEN2VL;
  else p->kind = VN_IMGPROC_UNKNOWN;
  p->do_convert_rgb = getb(o, "do_convert_rgb", 1);
  p->do_resize = getb(o, "do_resize", 1);
  p->do_center_crop = getb(o, "do_center_crop", p->kind == VN_IMGPROC_CLIP);
  p->do_rescale = getb(o, "do_rescale", 1);
  p->do_normalize = getb(o, "do_normalize", 1);
  long long v;
  p->resample = integer(o, "resample", &v) ? as_int(v) : 3;
  p->rescale_factor = getn(o, "rescale_factor", 1.0 / 255);
  int bad = 0;
  /* the factor and its inverse as float32 (image.c's torch arithmetic) */
  if (!(fabs(p->rescale_factor) <= FLT_MAX) || (p->do_rescale && !(fabs(p->rescale_factor) >= 1.0 / FLT_MAX))) bad = 1;
  if (get3(o, "image_mean", clip_mean, p->mean) || get3(o, "image_std", clip_std, p->std)) bad = 1;
  for (int c = 0; c < 3; c++) if (p->do_normalize && !(p->std[c] != 0)) bad = 1;
  json_t *size = json_object_get(o, "size"), *crop = json_object_get(o, "crop_size");
  if (p->kind == VN_IMGPROC_CLIP) {
    p->shortest_edge = 224;  /* size: {"shortest_edge": N}, {"height", "width"}, or N (the shortest edge) */
    if (json_is_integer(size)) p->shortest_edge = as_int(json_integer_value(size));
    else if (json_is_object(size)) {
      if (integer(size, "shortest_edge", &v)) p->shortest_edge = as_int(v);
      else if (integer(size, "height", &v)) {
        p->shortest_edge = 0;
        p->size_h = as_int(v);
        if (integer(size, "width", &v)) p->size_w = as_int(v); else bad = 1;
      } else bad = 1;
    } else if (size && !json_is_null(size)) bad = 1;
    p->crop_h = p->crop_w = 224;  /* crop_size: {"height", "width"} or N */
    if (json_is_integer(crop)) p->crop_h = p->crop_w = as_int(json_integer_value(crop));
    else if (json_is_object(crop)) {
      if (integer(crop, "height", &v)) p->crop_h = as_int(v); else bad = 1;
      if (integer(crop, "width", &v)) p->crop_w = as_int(v); else bad = 1;
    } else if (crop && !json_is_null(crop)) bad = 1;
    if (p->shortest_edge < 0 || p->size_h < 0 || p->size_w < 0 || p->crop_h <= 0 || p->crop_w <= 0 || (!p->shortest_edge && (!p->size_h || !p->size_w)))
      bad = 1;
  } else if (p->kind == VN_IMGPROC_QWEN2VL) {
    p->patch_size = integer(o, "patch_size", &v) ? as_int(v) : 14;
    p->merge_size = integer(o, "merge_size", &v) ? as_int(v) : 2;
    p->temporal_patch_size = integer(o, "temporal_patch_size", &v) ? as_int(v) : 2;
    p->min_pixels = 56 * 56;
    p->max_pixels = 28 * 28 * 1280;
    if (json_is_object(size)) {  /* size {"shortest_edge": min_pixels, "longest_edge": max_pixels} */
      if (integer(size, "shortest_edge", &v)) p->min_pixels = v;
      if (integer(size, "longest_edge", &v)) p->max_pixels = v;
    }
    if (integer(o, "min_pixels", &v)) p->min_pixels = v;  /* these override size, as transformers has it */
    if (integer(o, "max_pixels", &v)) p->max_pixels = v;
    if (p->patch_size <= 0 || p->patch_size > 1024 || p->merge_size <= 0 || p->merge_size > 64 || p->temporal_patch_size <= 0 ||
        p->temporal_patch_size > 64 || p->min_pixels < 0 || p->max_pixels <= 0)
      bad = 1;
  }
  json_decref(o);
  if (bad) {
    snprintf(why, wn, "%s: the %s settings are not valid (size, crop_size, image_mean/std, rescale_factor, or the patch sizes)", path, p->name);
    return -1;
  }
  return 0;
}
