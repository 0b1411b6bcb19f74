/* frontend.h: the model readers. A Hugging Face directory (config.json,
 * single or sharded safetensors; hf.c), a GGUF file (gguf.c) and the block
 * formats they store (quants.c) become one VnSource: every tensor under its
 * name, pointing into a read-only file mapping. jansson stays behind this wall. */
#ifndef VN_FRONTEND_H
#define VN_FRONTEND_H
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "graph.h"

/* The tensors of a model file, as the frontend indexes them. data points
 * into a read-only mapping owned by the source. */
typedef struct VnTensorInfo {
  const char *name;
  const char *file;     /* the file it lives in (for messages) */
  VnDType dtype;        /* as stored (VN_DTYPE_COUNT: a type venus cannot read) */
  int32_t pair_heads;   /* >0: rows stored per head as interleaved pairs (i, j) of the
                           halves (j, i) layout; the builder regroups them */
  int nd;
  int64_t dim[VN_MAXDIM];
  const uint8_t *data;
  uint64_t nbytes;
} VnTensorInfo;

struct VnSource {
  const char *path;     /* model directory or file */
  int ntensors;
  VnTensorInfo *tensors;
  void *priv;           /* frontend's own */
};
const VnTensorInfo *vn_source_find(const VnSource *s, const char *name);
/* The pages of n bytes of tensor data at p leave the process's memory (the
 * mapping stays valid: touched again, they are read back). */
void vn_source_release(const uint8_t *p, uint64_t n);

/* ---- hf.c: the Hugging Face model directory frontend ---- */
typedef struct VnModelDir {
  const char *dir;
  const char *config_file;    /* path of config.json */
  char *config_json;          /* its text (malloc'ed) */
  const char *arch_class;     /* architectures[0], or NULL */
  const char *model_type;     /* or NULL */
  const char *tokenizer_json; /* path, or NULL when absent */
  const char *tokenizer_config; /* path, or NULL */
  int32_t gen_eos[8];         /* generation_config.json eos ids */
  int ngen_eos;
  VnGenDefaults gen;          /* generation_config.json's sampling defaults */
  VnPooling pool;             /* sentence-transformers pooling (modules.json), or GGUF pooling_type */
  VnSource src;               /* every tensor of the checkpoint */
  struct VnGguf *gguf;        /* when the model is a GGUF file */
  char *gguf_tok;             /* its tokenizer kind (JSON), from archspecs/lib/gguf.lua */
} VnModelDir;
VnStatus vn_hf_open(VnCtx *ctx, const char *dir, VnModelDir *md);
void vn_hf_close(VnModelDir *md);
/* The pooling a GGUF file states (the config's gguf_pooling_type); 0 or an error naming the file. */
VnStatus vn_gguf_pooling(VnCtx *ctx, VnModelDir *md);
/* Parse one safetensors file into the source (exposed for tests/fuzzing). */
VnStatus vn_safetensors_load(VnCtx *ctx, const char *path, VnSource *src);

/* ---- gguf.c: the GGUF frontend ---- */
#define VN_GGUF_MAX_ARRAYS 64
typedef struct VnGguf {
  const char *path;
  void *map;
  size_t len;
  uint32_t version;
  json_t *meta;               /* metadata; arrays longer than 1024 are left out */
  VnSource src;               /* tensors under their GGUF names (until mapped to HF names) */
  const char **file_names;    /* each tensor's name in the file, kept when src is renamed */
  struct { const char *key; uint64_t off; } arrays[VN_GGUF_MAX_ARRAYS];
  int narrays;
} VnGguf;
typedef struct VnGgufIter { const uint8_t *p; uint64_t off, len; } VnGgufIter;
VnStatus vn_gguf_open(VnCtx *ctx, const char *path, VnGguf *g);
void vn_gguf_close(VnGguf *g);
int vn_gguf_array(const VnGguf *g, const char *key, uint32_t *type, uint64_t *count, VnGgufIter *it);
const char *vn_gguf_next_str(VnGgufIter *it, uint64_t *n);
double vn_gguf_next_num(VnGgufIter *it, uint32_t type);

/* The model's chat template text: tokenizer_config.json chat_template (a
 * string, or the "default" of a list) or GGUF tokenizer.chat_template;
 * malloc'ed, NULL when there is none. */
char *vn_chat_template(const VnModelDir *md);

/* ---- imgcfg.c: preprocessor_config.json -> the image processor's settings ---- */
/* 0, or -1 with "PATH: problem" in why (not JSON, settings not valid). An
 * image_processor_type venus does not run reads as VN_IMGPROC_UNKNOWN (the
 * binary refuses --image with its name). p->name is malloc'ed. */
struct VnImageProc;
int vn_imgcfg_load(const char *path, struct VnImageProc *p, char *why, size_t wn);

/* ---- quants.c: block formats -> float32 ---- */
/* n values (whole blocks) of dtype t, stored little-endian at src; 0 or -1 */
int vn_dequant_row(int t, const uint8_t *src, int64_t n, float *y);

#endif
