/* codegen.h: venusc's driver-side interfaces (frontend, codegen, packing,
 * tokenizer compiler, subcommands). */
#ifndef VN_CODEGEN_H
#define VN_CODEGEN_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "graph.h"
#include "target.h"

#define VN_MAX_HEAD_DIM_C 1024  /* = VN_MAX_HEAD_DIM of runtime.h */

/* ---- cbuf.c: growable text/byte buffer (arena-free: malloc, freed by owner) ---- */
typedef struct VnBuf {
  char *p;
  size_t len, cap;
} VnBuf;
void vn_buf_put(VnBuf *b, const void *s, size_t n);
void vn_buf_puts(VnBuf *b, const char *s);
void vn_buf_printf(VnBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The one escaping function: s as a C string literal, every byte outside
 * printable ASCII (and quote, backslash, '?') as an octal escape. Strings
 * from model files reach generated C only through it (or as byte tables). */
void vn_buf_cstr(VnBuf *b, const char *s);
/* bytes as a C array initializer body, 16 per line */
void vn_buf_bytes(VnBuf *b, const unsigned char *p, size_t n);
void vn_buf_free(VnBuf *b);
int vn_write_file(const char *path, const void *p, size_t n);
char *vn_read_file(const char *path, size_t *len);  /* malloc'ed, NUL-terminated */

/* ---- embedded files (archspecs, runtime and target sources; build/embedded.c) ---- */
typedef struct VnEmbedded {
  const char *name;  /* path in the source tree, e.g. "archspecs/lib/decoder.lua" */
  const char *data;
  size_t len;
} VnEmbedded;
extern const VnEmbedded vn_embedded[];
const VnEmbedded *vn_embedded_find(const char *name);

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
  VnSource src;               /* every tensor of the checkpoint */
  struct VnGguf *gguf;        /* when the model is a GGUF file */
  char *gguf_tok;             /* its tokenizer kind (JSON), from archspecs/lib/gguf.lua */
} VnModelDir;
VnStatus vn_hf_open(VnCtx *ctx, const char *dir, VnModelDir *md);
void vn_hf_close(VnModelDir *md);
/* Parse one safetensors file into the source (exposed for tests/fuzzing). */
VnStatus vn_safetensors_load(VnCtx *ctx, const char *path, VnSource *src);

/* ---- gguf.c: the GGUF frontend ---- */
#include <jansson.h>
#define VN_GGUF_MAX_ARRAYS 64
typedef struct VnGguf {
  const char *path;
  void *map;
  size_t len;
  uint32_t version;
  json_t *meta;               /* metadata; arrays longer than 1024 are left out */
  VnSource src;               /* tensors under their GGUF names */
  struct { const char *key; uint64_t off; } arrays[VN_GGUF_MAX_ARRAYS];
  int narrays;
} VnGguf;
typedef struct VnGgufIter { const uint8_t *p; uint64_t off, len; } VnGgufIter;
VnStatus vn_gguf_open(VnCtx *ctx, const char *path, VnGguf *g);
void vn_gguf_close(VnGguf *g);
int vn_gguf_array(const VnGguf *g, const char *key, uint32_t *type, uint64_t *count, VnGgufIter *it);
const char *vn_gguf_next_str(VnGgufIter *it, uint64_t *n);
double vn_gguf_next_num(VnGgufIter *it, uint32_t type);

/* ---- gguf_tok.c: the GGUF tokenizer, compiled into a tokenizer blob ---- */
/* tok_json: the kind archspecs/lib/gguf.lua named ({"model": "byte_bpe" |
 * "spm_bpe", "split": "bytelevel" | "cl100k" | "cl100k_n1", "nfc": bool}) */
unsigned char *vn_gguf_tokenizer(const VnGguf *g, const char *tok_json, size_t *len, char *err, size_t errcap);

/* ---- quants.c: block formats -> float32 ---- */
/* n values (whole blocks) of dtype t, stored little-endian at src; 0 or -1 */
int vn_dequant_row(int t, const uint8_t *src, int64_t n, float *y);

/* ---- pack.c: weights into the weight file ---- */
/* Write the weight file of g (offsets and dtypes from plan) to path;
 * returns its id (a hash of the content) in *id. */
VnStatus vn_pack_weights(VnCtx *ctx, const VnGraph *g, const VnSource *src, const VnTarget *t,
                         const char *path, uint64_t *id);

/* Pack one row of n floats as dtype dt (target byte order be) into out. */
void vn_pack_row(int dt, const float *x, int64_t n, int be, uint8_t *out);

/* ---- emit.c: graph -> C ---- */
typedef struct VnEmitOpts {
  const VnTarget *target;
  uint64_t weights_id;
  const unsigned char *tok_blob;  /* may be NULL */
  size_t tok_len;
  int blas;                       /* float32 prefill products through OpenBLAS */
  int ctx_max;                    /* bare metal: positions the static state holds */
  const VnChatFormats *chat;      /* chat formats for --chat (with a tokenizer), or NULL */
  int chat_template;              /* the model has a chat template (recognized or not) */
} VnEmitOpts;
/* The model's chat template text: tokenizer_config.json chat_template (a
 * string, or the "default" of a list) or GGUF tokenizer.chat_template;
 * malloc'ed, NULL when there is none. */
char *vn_chat_template(const VnModelDir *md);
VnStatus vn_emit_model(VnCtx *ctx, const VnGraph *g, const VnEmitOpts *o, VnBuf *out);
/* One node as an exported function `name` (the libffi kernel harness). */
VnStatus vn_emit_node_fn(VnCtx *ctx, const VnGraph *g, uint32_t i, const char *name, int exported, VnBuf *out);

/* ---- build.c: write the source tree and run the target's compiler ---- */
/* Write runtime sources, vn_target.h and a Makefile into dir. */
VnStatus vn_build_tree(VnCtx *ctx, const char *dir, const VnTarget *t, const char *out_name, int blas);
/* Bare metal: write the packed weight file wfile into dir as model_weights.c
 * (const data in the .vn_weights section). */
VnStatus vn_build_weights_c(VnCtx *ctx, const char *dir, const char *wfile);
/* Compile dir's sources into out (an executable, or a shared object when
 * shared is set, for the kernel harness). */
VnStatus vn_build_run(VnCtx *ctx, const char *dir, const VnTarget *t, const char *out, int shared, int blas,
                      const char *const *extra_src);

/* ---- tokenizer compiler (codegen/tokc.c) ----
 * Compiles a tokenizer.json (plus, when given, tokenizer_config.json) into the
 * blob runtime/tokenizer.c reads. Returns a malloc'ed blob and its length, or
 * NULL with a one-line message naming the file and the problem in err. */
unsigned char *vn_tokc_compile_json(const char *tokenizer_json, const char *tokenizer_config,
                                    size_t *len, char *err, size_t errcap);

/* The tokenizer as the blob writer sees it, whatever the source: tokc.c fills
 * it from tokenizer.json; a GGUF reader (tokenizer.ggml.*) can fill the same
 * struct and call vn_tokc_compile_desc. Strings are UTF-8 as the source spells
 * them: a byte-level vocabulary stays in GPT-2's byte-to-unicode alphabet (the
 * writer maps it back to raw bytes). Step kinds and flags are the VN_TOK*
 * constants of runtime/tokenizer.h. All memory belongs to the front end. */
typedef struct VnTokcStr {
  const char *s;              /* NULL: absent */
  size_t len;
} VnTokcStr;

typedef struct VnTokcStep {
  int kind;                   /* VN_TOKNORM_* / VN_TOKPRE_* / VN_TOKDEC_* */
  int a, b, c;                /* as the blob's step record (runtime/tokenizer.h) */
  VnTokcStr s1, s2;
} VnTokcStep;

typedef struct VnTokcAdded {  /* an added token (HF added_tokens) */
  int32_t id;
  VnTokcStr content;
  unsigned flags;             /* VN_TOKADD_* */
} VnTokcAdded;

enum { VN_TOKC_MAXSTEPS = 16, VN_TOKC_MAXIDS = 16 };

typedef struct VnTokDesc {
  const char *file;           /* named in error messages */
  int byte_level;             /* GPT-2 ByteLevel: symbols are bytes, vocab in its alphabet */
  int32_t n_vocab;            /* model vocabulary: vocab[id], .s NULL for unused ids */
  VnTokcStr *vocab;           /* (GGUF: tokenizer.ggml.tokens) */
  int32_t n_merges;           /* merges[2r], merges[2r+1]: left, right id of rank r */
  int32_t *merges;            /* (GGUF: tokenizer.ggml.merges, mapped to ids) */
  int32_t unk_id;             /* -1: none */
  int byte_fallback, fuse_unk, ignore_merges;
  int32_t n_added;            /* in HF order; ids may lie beyond n_vocab */
  VnTokcAdded *added;
  int n_norm, n_pre, n_dec;   /* pipeline steps, in order */
  VnTokcStep norm[VN_TOKC_MAXSTEPS], pre[VN_TOKC_MAXSTEPS], dec[VN_TOKC_MAXSTEPS];
  int n_prefix, n_suffix;     /* post-processor: ids around one sequence (add_special) */
  int32_t prefix[VN_TOKC_MAXIDS], suffix[VN_TOKC_MAXIDS];
  int32_t bos_id, eos_id;     /* -1: none */
  int n_eog;                  /* end-of-generation ids besides eos */
  int32_t eog[VN_TOKC_MAXIDS];
} VnTokDesc;

/* Writes the blob for d: malloc'ed, or NULL with "FILE: problem" in err. */
unsigned char *vn_tokc_compile_desc(const VnTokDesc *d, size_t *len, char *err, size_t errcap);

/* ---- subcommands (codegen/tokcmd.c) ----
 * argv[0] is the subcommand name; return the process exit status. */
int vn_cmd_tokenize(int argc, char **argv);
int vn_cmd_detokenize(int argc, char **argv);

#endif
