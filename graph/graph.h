/* graph.h: the one IR of venus, and the compile context it lives in.
 *
 * A VnGraph is a flat array of VnNode in topological order; operands are
 * uint32 indices into that array (VN_NONE when an optional operand is absent).
 * Leaves are WEIGHT (a weight expression over the model file's tensors),
 * INPUT (token ids of one step) and STATE (values that live across steps:
 * KV cache, SSM state). Every shape is static except two symbols: VN_T, the
 * token count of a step, and VN_CTX, the context length chosen when the model
 * binary starts. Passes are `VnStatus vn_pass_x(VnCtx *, VnGraph *)`, listed
 * in graph/pipeline.c.
 *
 * Nothing here knows a model: no architecture name appears in the C core. */
#ifndef VN_GRAPH_H
#define VN_GRAPH_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- status and errors (graph/ctx.c) ---- */
typedef enum {
  VN_OK = 0,
  VN_ERR_SPEC,     /* an archspec is wrong (Lua error, bad builder call) */
  VN_ERR_SHAPE,    /* operand shapes do not fit */
  VN_ERR_IO,       /* a file cannot be read or written */
  VN_ERR_INPUT,    /* a model file is malformed (config, safetensors, GGUF) */
  VN_ERR_USAGE,    /* bad command line */
  VN_ERR_NOMEM,
  VN_ERR_TARGET,   /* the target cannot do it (no toolchain, compile failed) */
  VN_ERR_INTERNAL  /* a broken invariant: a venus bug */
} VnStatus;

/* Where a node came from: the spec file and line that built it. */
typedef struct VnLoc {
  const char *file;
  int line;
} VnLoc;

/* Bump allocator, freed all at once (VnArena in STYLE.md). */
typedef struct VnArenaChunk VnArenaChunk;
typedef struct VnArena {
  VnArenaChunk *head;
  size_t used_total;
} VnArena;

void *vn_arena_alloc(VnArena *a, size_t n);          /* zeroed, 16-byte aligned */
char *vn_arena_strdup(VnArena *a, const char *s);
char *vn_arena_printf(VnArena *a, const char *fmt, ...);
void vn_arena_free(VnArena *a);

typedef struct VnCtx {
  VnArena arena;     /* long-lived: graph, strings, tensor index */
  VnArena scratch;   /* reset after each pass */
  VnStatus status;   /* first error */
  int nerr;          /* errors seen (only the first message is kept) */
  char msg[2048];
  int verbose;
} VnCtx;

/* Record an error (the first one wins) and return its status, so callers
 * write `return vn_errorf(ctx, st, loc, ...)`. loc.file may be NULL. */
VnStatus vn_errorf(VnCtx *ctx, VnStatus st, VnLoc loc, const char *fmt, ...);
#define VN_NOLOC ((VnLoc){NULL, 0})
/* Internal error: names the C file and line. */
#define vn_internal(ctx, ...) vn_errorf((ctx), VN_ERR_INTERNAL, (VnLoc){__FILE__, __LINE__}, __VA_ARGS__)
#define VN_TRY(x) do { VnStatus st_ = (x); if (st_ != VN_OK) return st_; } while (0)

/* ---- buffers and files (graph/buf.c; malloc, freed by the owner) ---- */
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
/* the same bytes as C string literals (64 a line, octal escapes as
 * vn_buf_cstr): an initializer of a char array of exactly n elements, which
 * compilers read many times faster than n integer constants */
void vn_buf_bytes_str(VnBuf *b, const unsigned char *p, size_t n);
void vn_buf_free(VnBuf *b);
int vn_write_file(const char *path, const void *p, size_t n);
char *vn_read_file(const char *path, size_t *len);  /* malloc'ed, NUL-terminated */

/* ---- element types ---- */
/* The first five are what kernels compute with (runtime.h VN_DT_*); of
 * the formats model files store, those vn_dtype_kept names are kernel
 * dtypes too (same numbers), the rest are converted at pack time. */
typedef enum {
  VN_F32, VN_F16, VN_BF16, VN_Q8_0, VN_Q4_0, VN_I32,
  VN_Q4_1, VN_Q5_0, VN_Q5_1, VN_IQ4_NL, VN_Q2_K, VN_Q3_K, VN_Q4_K, VN_Q5_K, VN_Q6_K, VN_IQ4_XS,
  VN_DTYPE_COUNT
} VnDType;
#define VN_KERNEL_DTYPES 5  /* dtypes below this the kernels read */
/* GGUF's other block formats the kernels read as stored (runtime/kquants.h) */
int vn_dtype_kept(VnDType t);
const char *vn_dtype_name(VnDType t);
int vn_dtype_parse(const char *s, VnDType *out);
/* Bytes of `n` elements of a row (n a multiple of the block size for blocks). */
size_t vn_dtype_row_bytes(VnDType t, int64_t n);
int vn_dtype_block(VnDType t);  /* elements per block: 1, 32, or 256 for k-quants */
int vn_dtype_block_bytes(VnDType t);

/* ---- activations (unary functions and matmul epilogues) ---- */
#define VN_ACTS(X) X(NONE, "none") X(SILU, "silu") X(GELU, "gelu") X(GELU_TANH, "gelu_tanh") \
  X(RELU, "relu") X(SIGMOID, "sigmoid") X(TANH, "tanh") X(SOFTPLUS, "softplus") X(RELU2, "relu2") \
  X(QUICK_GELU, "quick_gelu")
typedef enum {
#define X(n, s) VN_ACT_##n,
  VN_ACTS(X)
#undef X
  VN_ACT_COUNT
} VnAct;
const char *vn_act_name(int a);
int vn_act_parse(const char *s);  /* -1 if unknown */

/* ---- ops: ops/ops.def is the one list ---- */
typedef enum {
#define OP(NAME, name, nin, flags, sig, doc) VN_OP_##NAME,
#include "ops.def"
#undef OP
  VN_OP_COUNT
} VnOp;

/* ---- shapes ----
 * dim[0] of an activation is VN_T (the step's token count) or VN_TOUT (T
 * when every position's logits are wanted, else 1); of a state tensor VN_CTX.
 * Row-major: dim[nd-1] is contiguous. */
#define VN_T    (-1)
#define VN_TOUT (-2)
#define VN_CTX  (-3)
#define VN_MAXDIM 4
#define VN_MAXSRC 8
#define VN_NONE UINT32_MAX
#define VN_MAX_LATENT 1024  /* widest MLA latent (runtime scratch) */

/* RoPE: one table per distinct configuration, referenced by index. The
 * rotation of pair i at position p is by angle p * inv_freq[i] (float32, as
 * the reference computes it), cos/sin scaled by attn_factor. With `dynamic`
 * set, inv_freq is recomputed each step from the length seen so far
 * (NTK-aware: base grows once that length passes dyn_max_pos). */
typedef struct VnRope {
  int32_t head_dim;     /* width of one head */
  int32_t rot_dim;      /* rotated leading part of a head (partial rotary) */
  int32_t interleaved;  /* pairs (2i, 2i+1) instead of (i, i + rot_dim/2) */
  float attn_factor;    /* cos and sin are multiplied by this */
  const float *inv_freq;/* [rot_dim/2] */
  int32_t dynamic;      /* NTK dynamic: recompute from base each step */
  double dyn_base, dyn_factor;
  int32_t dyn_max_pos;
  const float *long_inv_freq; /* LongRoPE: [rot_dim/2] used instead of inv_freq */
  int32_t long_after;   /* ... in a step whose length seen so far passes this (0: never) */
  int32_t sections[3];  /* multi-axis RoPE (M-RoPE, 2-D vision RoPE): pairs [0, s0) turn by position
                           stream 0, the next s1 by stream 1, the next s2 by stream 2 (the streams the
                           runtime computes for an image's tokens; plain positions otherwise); all 0: one stream */
} VnRope;

enum { VN_ROUTE_SOFTMAX, VN_ROUTE_SIGMOID, VN_ROUTE_SPARSEMIXER };

/* Op parameters: one struct for all ops, zero means "not used". The dumper
 * prints the non-zero fields. */
typedef struct VnParams {
  int32_t act;        /* VnAct: ACT, GLU, MATMUL epilogue */
  int32_t glu;        /* MATMUL: W rows are (gate, up) pairs; out = act(gate) * up */
  int32_t group;      /* norms: normalize each group of this many cols; 0 = the whole row */
  int32_t heads, kv_heads, head_dim, v_head_dim;
  int32_t causal;     /* ATTENTION: 1 causal, 0 bidirectional */
  int32_t window;     /* ATTENTION: causal: keys at distance >= window are masked;
                         bidirectional: keys at distance > window; 0 = none */
  int32_t rope;       /* ROPE: rope index; ATTENTION: rope index + 1 fused on q and k (0 = none) */
  int32_t col0;       /* VIEW: first column; POSITIONS: offset added to positions */
  int32_t alibi;      /* ATTENTION: 1: add slope[h] * (key position) to the scaled scores; 2: add it rounded
                         to bfloat16 to q.k before the scale; slopes in node->table */
  int32_t top_k;      /* ROUTE, MOE: experts per token */
  int32_t route;      /* ROUTE: VN_ROUTE_* */
  int32_t renorm;     /* ROUTE: chosen weights divided by their sum */
  int32_t groups;     /* ROUTE: expert groups (group-limited top-k); SSM_SCAN: B/C groups */
  int32_t top_groups; /* ROUTE: groups kept */
  int32_t softplus;   /* SSM_SCAN: dt = softplus(dt + dt_bias) */
  int32_t chunk;      /* SSM_SCAN: prefill in chunks of this many tokens (scalar A per head) */
  int32_t rope_dim;   /* MLA: rotated part of each q head and of the shared key */
  int32_t token;      /* IMAGE_ROWS, IMAGE_MERGE: the image token id */
  int32_t cross;      /* ATTENTION without caches: the keys are the encoder's rows (the run's
                         encoder length), not the step's */
  int32_t rel_buckets, rel_max; /* ATTENTION: bucketed relative position bias: buckets and max distance
                         (bias table [buckets, heads] is operand 6) */
  int32_t stride;     /* CONV: frames of input per frame of output */
  float lo, hi;       /* SSM_SCAN: dt clamped to [lo, hi] (hi 0: no upper bound) */
  float eps;          /* norms; ROUTE sparsemixer: the jitter eps of its masks */
  float scale;        /* ATTENTION score scale; SCALE factor; MATMUL output multiplier (0 = 1) */
  float cap;          /* SOFTCAP / ATTENTION score soft-cap: cap * tanh(x / cap) */
  float limit, alpha; /* MOE: clamped SwiGLU when limit > 0: g = min(gate, limit),
                         h = (clamp(up, -limit, limit) + 1) * g * sigmoid(alpha * g) */
} VnParams;

/* Weight expression: how venusc produces a weight from the model file at
 * pack time (codegen/pack.c evaluates it). */
typedef enum {
  VN_WX_TENSOR,     /* a tensor of the model file, by name */
  VN_WX_CAT,        /* rows of args[0], args[1], ... stacked (same cols) */
  VN_WX_PAIRS,      /* rows of args[0] and args[1] interleaved: a0, b0, a1, b1, ... */
  VN_WX_ROWS,       /* rows [a, a + b) of args[0] */
  VN_WX_T,          /* 2-D transpose of args[0] */
  VN_WX_ADD,        /* args[0] + scalar c (e.g. norm weights stored as w - 1) */
  VN_WX_SCALE,      /* args[0] * scalar c */
  VN_WX_ZEROS,      /* zeros of the given shape (e.g. a missing bias in a concatenation) */
  VN_WX_RESHAPE,    /* args[0] with another shape of the same size */
  VN_WX_PERMUTE,    /* args[0] with its dims reordered: result dim i is arg dim perm[i] */
  VN_WX_UNPAIR,     /* rows of args[0] regrouped per head (a heads): stored row h*hd + 2i + j
                       becomes row h*hd + j*hd/2 + i */
  VN_WX_EXP,        /* exp(args[0]) elementwise (e.g. A = -exp(A_log)) */
} VnWxKind;

typedef struct VnWx {
  VnWxKind kind;
  int nargs;
  struct VnWx **args;
  const char *tensor;  /* VN_WX_TENSOR */
  int dtype;           /* VN_WX_TENSOR: its dtype as stored (plan's default) */
  int64_t a, b;
  double c;
  int perm[VN_MAXDIM];      /* VN_WX_PERMUTE */
  int nd;
  int64_t dim[VN_MAXDIM];  /* result shape */
} VnWx;

/* Encoder-decoder models run two entry points over one graph: the encoder
 * (vn_model_encode, once per input, T = encoder positions) and the step
 * (vn_model_step, the decoder). An encoder activation a step reads (the
 * cross-attention keys and values) keeps its buffer for good; nothing of
 * the encoder reads a step's activation. */
enum { VN_PHASE_STEP = 0, VN_PHASE_ENCODER = 1 };

typedef struct VnNode {
  VnOp op;
  VnDType dtype;            /* element type of the result (weights: as packed) */
  int nd;
  int64_t dim[VN_MAXDIM];
  int nsrc;
  uint32_t src[VN_MAXSRC];  /* operands; VN_NONE when an optional one is absent */
  VnParams p;
  const VnWx *wx;           /* WEIGHT: what to pack */
  const float *table;       /* op constants (ATTENTION: ALiBi slopes [heads]) */
  int ntable;
  const char *name;         /* for dumps: weight tensor name or a short label */
  int32_t layer;            /* block index, -1 outside blocks */
  VnLoc loc;                /* spec line that built it */
  int32_t phase;            /* VN_PHASE_*: which entry point runs it */
  /* set by passes */
  int64_t key;              /* fuse: sort key that places new nodes (see vn_graph_reorder) */
  uint32_t nuse;            /* consumers (verify/dce) */
  int64_t offset;           /* plan: arena offset (activations), weights-file offset (weights) */
  int64_t state_off;        /* plan: STATE byte offset per context position */
  uint32_t last_use;        /* plan: index of the last consumer */
  int dead;
} VnNode;

/* The tensors of a model file (frontend/frontend.h) */
typedef struct VnSource VnSource;

/* Sampling defaults from generation_config.json, as transformers reads them
 * (set = 0: the file is absent and the binary keeps its own defaults). */
typedef struct VnGenDefaults {
  int set, sample;          /* sample: do_sample (false: greedy) */
  int top_k, max_new;       /* max_new: max_new_tokens, 0 when absent */
  float temp, top_p, min_p, rep;
} VnGenDefaults;

/* Sentence-embedding pooling of the hidden states (runtime.h VN_POOL_*, the
 * same numbering as GGUF's pooling_type): from a sentence-transformers
 * config (modules.json + its Pooling module's config.json) or a GGUF file's
 * pooling_type; mean when the model states none. */
#ifndef VN_POOL_MEAN
#define VN_POOL_MEAN 1
#define VN_POOL_CLS 2
#define VN_POOL_LAST 3
#endif
typedef struct VnPooling {
  int mode;                 /* VN_POOL_*; 0: not read (mean) */
  int normalize;            /* a Normalize module follows: L2-normalize by default */
  const char *from;         /* the file it came from, or NULL: the default */
} VnPooling;

/* Model facts the spec declares beside the graph (what the runtime needs). */
typedef struct VnModelInfo {
  const char *arch;         /* spec name */
  const char *spec_file;
  int64_t vocab;
  int64_t max_pos;          /* trained context length (default --ctx bound) */
  int64_t max_ctx;          /* hard bound on the context (a learned position table's rows); 0: none */
  int32_t bos, eos[8];
  int neos;
  int encoder_only;         /* no generation; logits at every position */
  VnGenDefaults gen;        /* the frontend's, copied by the driver */
  VnPooling pool;           /* how OUT --embed pools the hidden states (the frontend's) */
  /* an image input (vision-language models): the vision graph's input, and
   * the fixed state its output rows go to, which image_rows reads at the
   * prompt's image tokens (the image_rows node's state operand); image_token
   * 0: none */
  int32_t image_token;
  int32_t vis_layout;       /* VN_VIS_*: what --pixels holds and how it becomes the vision graph's rows */
  int32_t vis_channels, vis_patch, vis_height, vis_width, vis_temporal, vis_merge;
  int32_t vis_cls;          /* a class-embedding row first: input rows get an indicator column */
  int32_t vis_skip;         /* leading output rows that are not image rows (CLS) */
  /* encoder-decoder (enc_rows > 0): the encoder takes at most enc_rows
   * positions; its input is token ids, or with enc_mels > 0 float frames of
   * enc_mels values, enc_per_row frames to an encoder position, exactly
   * enc_rows positions; the decoder starts from dec_start */
  int64_t enc_rows;
  int32_t enc_mels, enc_per_row, dec_start;
} VnModelInfo;
/* VN_VIS_IMAGE: [1, C, H, W] pixels, cut into PxP patches (row: c, ky, kx);
 * VN_VIS_PATCHES: [N, C*T*P*P] rows as the processor gives, with a (T, H, W)
 * grid; 2-D RoPE streams (row, column) in merge-window order */
enum { VN_VIS_NONE, VN_VIS_IMAGE, VN_VIS_PATCHES };

typedef struct VnGraph {
  VnNode *nodes;
  uint32_t n, cap;
  VnRope *ropes;
  int nropes, rope_cap;
  VnModelInfo info;
  uint32_t output;          /* the logits node */
  uint32_t hidden;          /* the final hidden states [T, hidden] sentence embeddings pool; VN_NONE: none */
  int build_phase;          /* VN_PHASE_* vn_graph_add gives new nodes */
  /* plan results */
  int64_t t_max;            /* rows of a prefill step (compile option --batch) */
  int64_t arena_bytes;      /* activations for one step of t_max tokens */
  int64_t state_row_bytes;  /* state bytes per context position */
  int64_t state_fixed_bytes;/* state of fixed size (recurrent, conv), after ctx rows */
  int64_t weight_bytes;     /* packed weights, with alignment */
  int wdtype;               /* dtype for 2-D weights, or -1: as the model file stores them */
  int kv_dtype;             /* dtype of the attention KV cache: VN_F32 (default) or VN_F16 (--kv-dtype) */
  int blas;                 /* --blas: float32 prefill products go to OpenBLAS, float weights stay plain rows */
  int nfused[8];            /* fusion counters for inspect (VN_FUSE_*) */
  /* vision-language models: the vision tower, a graph of its own over the
   * image's rows (its step runs once per image; T = its rows), whose weights
   * follow this graph's in the weight file (weight_base: where they start) */
  struct VnGraph *vision;
  int64_t weight_base;
} VnGraph;

/* ---- graph/build.c ---- */
VnGraph *vn_graph_new(VnCtx *ctx);
/* Append a node; its operands must exist. Returns the index. */
uint32_t vn_graph_add(VnCtx *ctx, VnGraph *g, VnOp op, const uint32_t *src, int nsrc);
VnNode *vn_node(VnGraph *g, uint32_t i);
int vn_graph_add_rope(VnCtx *ctx, VnGraph *g, const VnRope *r);  /* deduplicates */
/* Per-row element count of an activation (product of dims after the first). */
int64_t vn_node_cols(const VnNode *n);
int vn_node_is_act(const VnNode *n);   /* rows are VN_T / VN_TOUT */

/* ---- ops/ops.c: infer the result shape of a node from its operands (its row's rule) ---- */
VnStatus vn_op_shape(VnCtx *ctx, VnGraph *g, uint32_t i);

/* Fusion counters (g->nfused) */
enum { VN_FUSE_GLU, VN_FUSE_SIBLINGS, VN_FUSE_ROPE, VN_FUSE_RESIDUAL, VN_FUSE_COUNT };
extern const char *const vn_fuse_names[VN_FUSE_COUNT];

/* Sort nodes by key (stable), drop dead and unreachable ones, remap operands,
 * recount uses. Passes that add or retire nodes end with it. */
VnStatus vn_graph_reorder(VnCtx *ctx, VnGraph *g);
/* Replace every use of node `from` by `to` (operands and the output). */
void vn_graph_replace_uses(VnGraph *g, uint32_t from, uint32_t to, uint32_t except);

/* The weight file's header page: planned weights start after it
 * (= VN_WEIGHT_HEADER of runtime/runtime.h; codegen/emit.c asserts it). */
#define VN_PLAN_WEIGHT_HEADER 4096

/* ---- passes (graph/pipeline.c lists them) ---- */
VnStatus vn_pass_verify(VnCtx *ctx, VnGraph *g);
VnStatus vn_pass_fuse(VnCtx *ctx, VnGraph *g);
VnStatus vn_pass_dce(VnCtx *ctx, VnGraph *g);
VnStatus vn_pass_plan(VnCtx *ctx, VnGraph *g);

typedef struct VnPipeOpts {
  const char *dump_after;   /* pass name for -d, or NULL */
  FILE *dump_to;
  int no_fuse;
} VnPipeOpts;
VnStatus vn_pipeline(VnCtx *ctx, VnGraph *g, const VnPipeOpts *o);
const char *vn_pass_names(void);  /* "verify, fuse, dce, plan" for help text */

/* ---- graph/dump.c ---- */
void vn_graph_dump(const VnGraph *g, FILE *f);
void vn_graph_dot(const VnGraph *g, FILE *f);
void vn_wx_print(const VnWx *w, FILE *f);

#endif
