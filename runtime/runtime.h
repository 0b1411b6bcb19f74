/* runtime.h: the only header generated model code includes.
 *
 * The runtime is linked into every model binary: weight file loading
 * (weights.c), kernels (kernels.c, over the target's micro-kernels in
 * vn_target.h), the thread pool (threads.c), the sampler (sampler.c), the
 * tokenizer (tokenizer.c), the command line (cli.c), what it shares with
 * the library of venusc compile --lib (api.c; the API itself, vnapi.h, is
 * compiled into libraries alone), the weight file's
 * format and checksums (wfile.c, also linked into venusc) and the CPU
 * feature check (cpu.c, compiled without the target's vector flags). It
 * depends on libc alone. No allocation happens in the generation loop: the arena, the state
 * (KV cache) and every scratch buffer are allocated once at start.
 *
 * The generated model.c defines vn_model (sizes, tables) and vn_model_step
 * (one forward step over T tokens at positions pos..pos+T-1). */
#ifndef VN_RUNTIME_H
#define VN_RUNTIME_H
#include <stddef.h>
#include <stdint.h>
#include "tokenizer.h"

/* element types of packed weights (same numbering as venusc's VnDType) */
enum { VN_DT_F32 = 0, VN_DT_F16 = 1, VN_DT_BF16 = 2, VN_DT_Q8_0 = 3, VN_DT_Q4_0 = 4 };
/* or'ed into a q8_0/q4_0 matmul's dtype: the weight is stored repacked as the
 * target's kernels stream it (codegen/pack.c vn_repack_rows; plain on a
 * target without a repacked layout) */
enum { VN_DT_RP = 0x100 };
/* GGUF's other block formats, kept as the file stores them (kquants.h) */
enum {
  VN_DT_Q4_1 = 6, VN_DT_Q5_0 = 7, VN_DT_Q5_1 = 8, VN_DT_IQ4_NL = 9, VN_DT_Q2_K = 10, VN_DT_Q3_K = 11,
  VN_DT_Q4_K = 12, VN_DT_Q5_K = 13, VN_DT_Q6_K = 14, VN_DT_IQ4_XS = 15
};
/* activations (same numbering as venusc's VnAct) */
enum {
  VN_A_NONE, VN_A_SILU, VN_A_GELU, VN_A_GELU_TANH, VN_A_RELU, VN_A_SIGMOID, VN_A_TANH, VN_A_SOFTPLUS, VN_A_RELU2,
  VN_A_QUICK_GELU
};

#define VN_WEIGHT_HEADER 4096   /* bytes before the first weight in the weight file */
#define VN_WEIGHT_MAGIC "VENUSWT1"
#define VN_MAX_HEAD_DIM 1024    /* widest attention head the kernels take */

/* Quantized blocks of 32 values with an f16 scale d: q8_0 holds d * qs[i];
 * q4_0 holds d * (nibble - 8), low nibbles are values 0..15, high 16..31. */
typedef struct { uint16_t d; int8_t qs[32]; } VnBlockQ8;
typedef struct { uint16_t d; uint8_t qs[16]; } VnBlockQ4;
/* A block of activations quantized for a matmul: as q8_0 (its scale an f16
 * value), the scale held as a float so kernels need not convert it; 36
 * bytes, as venusc sizes qbuf. */
typedef struct { float d; int8_t qs[32]; } VnBlockQ8x;
/* Activations for the kept GGUF formats: the same q8_0 block, with the
 * sums of its two halves of 16 (for formats with a min or an offset per
 * sub-block); 40 bytes, as venusc sizes qbuf. */
typedef struct { float d; int16_t s[2]; int8_t qs[32]; } VnBlockQ8s;

/* A RoPE table: see graph.h VnRope. */
typedef struct VnRtRope {
  int32_t head_dim, rot_dim, interleaved;
  float attn_factor;
  const float *inv_freq;      /* [rot_dim/2] */
  int32_t dynamic;
  double dyn_base, dyn_factor;
  int32_t dyn_max_pos;
  const float *long_inv_freq; /* LongRoPE: used once pos + T > long_after (0: never) */
  int32_t long_after;
  int32_t sections[3];        /* multi-axis: pairs per position stream (rt->mpos), all 0: one stream */
} VnRtRope;

/* Attention parameters of one ATTENTION node. */
typedef struct VnAttn {
  int32_t heads, kv_heads, head_dim, v_head_dim;
  int32_t causal, window;
  float scale, cap;
  int32_t rope;               /* rope table index, -1 none */
  const float *alibi;         /* [heads] slopes: score += slope * key position; NULL none */
  int32_t alibi_bf16;         /* instead score = (q.k + bf16(slope * key position)) * scale */
  const float *sinks;         /* [heads] a logit per head that joins the softmax and drops out; NULL none */
  int32_t cross;              /* no caches: keys are k's rows, the encoder's rt->enc_len (else the step's T) */
  int32_t rel_buckets, rel_max; /* bucketed relative position bias: buckets, max distance */
  const float *relb;          /* [rel_buckets][heads] bias table; NULL none */
  int32_t kv_f16;             /* the caches hold f16 (venusc compile --kv-dtype f16), else float32 */
} VnAttn;

/* A chat format (archspecs/lib/chat.lua): "{}" marks the message; NULL absent */
typedef struct VnChatFmt {
  const char *name;
  int32_t bos, trim;
  const char *system, *system_prefix, *user, *assistant, *assistant_end;
} VnChatFmt;

/* generation_config.json's sampling defaults (set 0: none; the binary's own) */
typedef struct VnGenCfg {
  int32_t set, sample, top_k, max_new;
  float temp, top_p, min_p, rep;
} VnGenCfg;

typedef struct VnRt VnRt;

typedef struct VnModel {
  const char *arch;           /* spec name */
  const char *target;         /* target name it was compiled for */
  int64_t vocab;
  int64_t t_max;              /* most tokens in one step (prefill batch) */
  int64_t arena_bytes;        /* activations of a t_max step */
  int64_t state_row_bytes;    /* state bytes per context position */
  int64_t weight_bytes;       /* end of the packed weights in the weight file (its tensor table follows) */
  uint64_t weights_id;        /* must equal the weight file's header */
  int64_t max_pos;            /* trained context length */
  int64_t max_ctx;            /* positions the model has at all (learned position table); 0: no bound */
  int32_t bos, eos[8], neos;
  int32_t encoder_only;
  VnGenCfg gen;
  int32_t big_endian;         /* weights packed big-endian */
  int64_t logits_off;         /* arena offset of the logits [Tout][vocab] */
  int64_t out_cols;           /* width of an output row: vocab, or what a debug spec outputs */
  /* sentence embeddings (embed.c): the final hidden states [T][hidden_cols]
   * at arena offset hidden_off, rows hidden_ld floats apart, after a step
   * with all_logits; hidden_cols 0: the model has none */
  int64_t hidden_off, hidden_cols, hidden_ld;
  int32_t pooling, normalize; /* the compiled-in defaults: VN_POOL_*, L2-normalize */
  int64_t qbuf_bytes;         /* scratch for activations quantized to q8_0 */
  int64_t state_fixed_bytes;  /* recurrent state of fixed size, after the ctx rows */
  int64_t op_scratch_bytes;   /* scratch of ops that gather rows (moe) */
  int32_t nropes;
  const VnRtRope *ropes;
  const unsigned char *tok_blob; /* NULL: compiled without a tokenizer */
  const VnChatFmt *chat;      /* the chat formats venusc knows */
  int32_t nchat, chat_default;/* chat_default: the one the model's template matches, or -1 */
  int32_t chat_template;      /* the model has a chat template at all */
  const char *chat_jinja;     /* the chat template --chat renders (jinja.c), checked by venusc; or NULL */
  const char *chat_bos, *chat_eos; /* its bos_token / eos_token, or NULL */
  const struct VnImageProc *image_proc; /* preprocessor_config.json's settings (image.h), or NULL */
  size_t tok_len;
  const unsigned char *weights_data; /* bare metal: weights linked in; else NULL */
  /* bare metal (VN_BAREMETAL): one static pool, sized by venusc, from which
   * every buffer is carved at start (no malloc); ctx_max: the context it
   * holds (venusc compile --ctx) */
  uint8_t *pool;
  int64_t pool_bytes;
  int32_t ctx_max;
  /* vision-language models (vision.c): the vision graph, a model of its own
   * whose output rows (after vis_skip) fill the image state [image_max + 1]
   * [image_cols] at image_state_off of the fixed state; NULL: none */
  const struct VnModel *vision;
  void (*vision_step)(VnRt *rt, const int32_t *rows, int T, int pos, int all_logits);
  int32_t image_token;
  int64_t image_state_off, image_max, image_cols, vis_in_cols;
  int32_t vis_layout, vis_channels, vis_patch, vis_height, vis_width, vis_temporal, vis_merge, vis_cls, vis_skip;
  /* encoder-decoder (graph.h VnModelInfo): encode runs the encoder over
   * T <= enc_rows positions of ids (or with enc_mels, float frames
   * [T * enc_per_row][enc_mels], T = enc_rows exactly) before the steps;
   * NULL: a decoder-only or encoder model */
  void (*encode)(struct VnRt *rt, const void *in, int T);
  int64_t enc_rows;
  int32_t enc_mels, enc_per_row, dec_start;
} VnModel;
#ifndef VN_GRAPH_H
enum { VN_VIS_IMAGE = 1, VN_VIS_PATCHES = 2 };  /* graph.h's numbering */
#endif

typedef struct VnPool VnPool;

/* An image given to a vision-language model (vision.c): the language
 * model's M-RoPE walk over the prompt (grid in merged patches). */
typedef struct VnRtImage {
  int set;                    /* the image state holds an image */
  int grid[3];                /* (T, H, W) of the language model's image tokens */
  int32_t next, start, k;     /* M-RoPE: next text position, the image's start, its token index */
} VnRtImage;

/* Everything a step needs, allocated once. */
struct VnRt {
  const VnModel *m;
  const uint8_t *w;           /* weight file (mapped) */
  uint8_t *arena;             /* [arena_bytes] */
  uint8_t *state;             /* [ctx][state_row_bytes], then state_fixed_bytes */
  int ctx;                    /* context length (positions the state holds) */
  int seq_len;                /* the length a prefill split into steps reaches (0: each step's
                                 own end): length-dependent RoPE sees the whole prompt */
  int nthreads;
  VnPool *pool;
  float *rope_cs;             /* per rope table: [t_max][rot_dim/2][2] cos, sin of this step */
  float *scratch;             /* per thread: attention scores [sc_rows] */
  int sc_rows;                /* the most keys one attention sees: ctx, or the encoder's rows */
  int enc_len;                /* rows of the last encoder run (cross attention reads them) */
  void *wmap; size_t wmap_len;/* for unmapping */
  uint64_t wfile_bytes;       /* length of the weight file (header, weights, tensor table) */
  void *qbuf;                 /* per step: x quantized for q8_0/q4_0 matmuls */
  void *opbuf;                /* [op_scratch_bytes] */
  size_t qbuf_len;
  /* multi-axis RoPE: the step's positions per stream [3][t_max] (sectioned
   * tables turn by them while mpos_on, else by plain positions) */
  int32_t *mpos;
  int mpos_on;
  VnRtImage img;
};

extern const VnModel vn_model;
void vn_model_step(VnRt *rt, const int32_t *tok, int T, int pos, int all_logits);
/* encoder-decoder: vn_model.encode, then rt->enc_len = T (vn_rt_encode) */
void vn_rt_encode(VnRt *rt, const void *in, int T);

/* ---- wfile.c: the weight file's format (shared with venusc) ---- */
/* a 64-bit hash of bytes, the same on every host (streamed or at once) */
typedef struct VnHash { uint64_t v[4], len; uint8_t buf[32]; unsigned nbuf; } VnHash;
void vn_hash_init(VnHash *h);
void vn_hash_update(VnHash *h, const void *p, size_t n);
uint64_t vn_hash_final(const VnHash *h);
uint64_t vn_hash(const void *p, size_t n);

#define VN_WFILE_VERSION 2
#define VN_WFILE_ENTRY 32                 /* bytes of one tensor table entry */
#define VN_WFILE_LEN_UNKNOWN UINT64_MAX   /* weights linked in: no file length to check */
typedef struct VnWInfo {
  int big_endian;
  uint64_t id, data_end, table_off, table_bytes, file_bytes;
  uint32_t ntensors;
  const uint8_t *table;       /* [ntensors] entries, then the names */
  char arch[32];
} VnWInfo;
typedef struct VnWPart {      /* one tensor's part of the data: [off, end) */
  uint64_t off, bytes, end, hash;
  const char *name;           /* name_len bytes, not terminated */
  uint32_t name_off, name_len;
} VnWPart;
/* Write the header page (VN_WEIGHT_HEADER bytes) and one table entry. */
void vn_wfile_header(uint8_t *hdr, int be, uint64_t id, uint64_t data_end, const char *arch, uint64_t table_bytes,
                     uint32_t ntensors, uint64_t table_hash);
void vn_wfile_entry(uint8_t *e, int be, uint64_t off, uint64_t bytes, uint64_t hash, uint32_t name_off, uint32_t name_len);
/* The start-up check of the len bytes at p: header, its checksum, the file's
 * size, the table's checksum and layout. 0, or -1 with "path: ..." in err. */
int vn_wfile_open(VnWInfo *wi, const uint8_t *p, uint64_t len, const char *path, char *err, size_t cap);
void vn_wfile_part(const VnWInfo *wi, uint32_t i, VnWPart *part);
/* The full check: every tensor's data against its checksum. 0 ok, 1
 * damaged; msg gets the one line to print either way. */
int vn_wfile_verify(const VnWInfo *wi, const uint8_t *p, const char *path, char *msg, size_t cap);

/* ---- weights.c ---- */
/* Open the weight file, check it belongs to this binary; 0 or -1 with a
 * message in err. A weight file that shrinks under the running binary
 * (SIGBUS on its mapping) ends it with one line naming the file. */
int vn_rt_init(VnRt *rt, const VnModel *m, const char *weights_path, int ctx, int nthreads, char *err, size_t errcap);
void vn_rt_free(VnRt *rt);
/* A runtime for another graph m of this binary (the vision graph) over ctx
 * rows: the parent's weights and threads, its own buffers; 0 or -1 (memory). */
int vn_rt_init_sub(VnRt *sub, const VnRt *parent, const VnModel *m, int ctx);
void vn_rt_free_sub(VnRt *sub);
/* --verify: hash every tensor of the weight file; 0 ok, 1 damaged; msg gets one line. */
int vn_rt_verify(const VnRt *rt, const char *weights_path, char *msg, size_t cap);
/* the program name the SIGBUS message starts with (cli.c sets it) */
void vn_rt_set_prog(const char *prog);
/* Bare metal: n bytes, 64-byte aligned, from vn_model's static pool (NULL
 * when it is used up); nothing is ever given back. */
void *vn_static_alloc(size_t n);
/* Prepare per-step tables (RoPE cos/sin) for T tokens from pos. */
void vn_rt_begin_step(VnRt *rt, int T, int pos);

/* The multi-axis tables' cos/sin again, by the streams in rt->mpos. */
void vn_rt_rope_sections(VnRt *rt, int T, int pos);

/* ---- vision.c: the image input of vision-language models ---- */
/* Run the vision graph on preprocessed pixels and keep its rows for the
 * prompt's image tokens. shape[ndim]: [1, C, H, W] (layout image) or [N,
 * C*T*P*P] with grid_thw (layout patches; NULL otherwise). 0, or -1 with
 * one line in err (what is wrong with the pixels; the caller names the file). */
int vn_cli_set_pixels(VnRt *rt, const float *pixels, const int64_t *shape, int ndim, const int grid_thw[3], char *err,
                      size_t errlen);
/* The image tokens the image set by vn_cli_set_pixels fills (0: none set). */
int64_t vn_rt_image_tokens(const VnRt *rt);
/* M-RoPE (called by the generated step): the position streams of tokens
 * tok[0..T) from pos, and the sectioned tables' cos/sin by them. */
void vn_rt_mrope(VnRt *rt, const int32_t *tok, int T, int pos);
float *vn_rt_logits(VnRt *rt);

/* ---- threads.c ---- */
typedef void (*VnTask)(void *arg, int64_t begin, int64_t end, int thread);
VnPool *vn_pool_new(int nthreads);
void vn_pool_free(VnPool *p);
/* Run task over [0, n) split in contiguous ranges, one per thread (in the
 * calling thread too); returns when all are done. */
void vn_parallel(VnRt *rt, int64_t n, VnTask task, void *arg);

/* ---- kernels.c (the micro-kernels they use are in vn_target.h) ---- */
void vn_k_positions(VnRt *rt, int32_t *out, int T, int pos, int offset);
void vn_k_embed(VnRt *rt, float *out, const void *table, int dt, const int32_t *ids, int T, int64_t H, int64_t V, float scale);
void vn_k_rmsnorm(VnRt *rt, float *out, const float *x, int64_t ldx, const float *w, int T, int64_t C, int64_t group, float eps);
void vn_k_layernorm(VnRt *rt, float *out, const float *x, int64_t ldx, const float *w, const float *b, int T, int64_t C, int64_t group, float eps);
void vn_k_matmul(VnRt *rt, float *out, const float *x, int64_t ldx, const void *W, int dt, const float *bias,
                 const float *res, int64_t ldres, int T, int64_t K, int64_t N, int act, int glu, float scale);
void vn_k_rope(VnRt *rt, float *out, const float *x, int64_t ldx, int T, int64_t C, int rope);
/* kc, vc: the caches, float32 or (p->kv_f16) f16 values */
void vn_k_attention(VnRt *rt, float *out, const float *q, int64_t ldq, const float *k, int64_t ldk, const float *v,
                    int64_t ldv, void *kc, void *vc, int T, int pos, const VnAttn *p);
void vn_k_act(VnRt *rt, float *out, const float *x, int64_t ldx, int T, int64_t C, int act);
/* b: rows of C (ldb 0: one row for all), or with bcol one value per row for every column */
void vn_k_add(VnRt *rt, float *out, const float *a, int64_t lda, const float *b, int64_t ldb, int T, int64_t C, int bcol);
void vn_k_mul(VnRt *rt, float *out, const float *a, int64_t lda, const float *b, int64_t ldb, int T, int64_t C, int bcol);
void vn_k_glu(VnRt *rt, float *out, const float *x, int64_t ldx, int T, int64_t C, int act);
void vn_k_scale(VnRt *rt, float *out, const float *x, int64_t ldx, int T, int64_t C, float s);
void vn_k_xielu(VnRt *rt, float *out, const float *x, int64_t ldx, const float *w, int T, int64_t C);
void vn_k_softcap(VnRt *rt, float *out, const float *x, int64_t ldx, int T, int64_t C, float cap);
void vn_k_last(VnRt *rt, float *out, const float *x, int64_t ldx, int T, int Tout, int64_t C);
void vn_k_route(VnRt *rt, float *out, const float *logits, int64_t ld, const float *bias, int T, int64_t E, int k,
                int kind, int renorm, float scale, int groups, int top_groups, float eps);
void vn_k_moe(VnRt *rt, float *out, const float *x, int64_t ldx, const float *routes, int64_t ldr, const void *Wgu,
              int dt_gu, const void *Wdn, int dt_dn, int T, int64_t H, int64_t F, int64_t E, int k, int act,
              const float *bgu, const float *bdn, float limit, float alpha);
void vn_k_conv1d(VnRt *rt, float *out, const float *x, int64_t ldx, const float *w, const float *b, float *state, int T,
                 int pos, int64_t C, int K, int act);
/* x [T][cols] of frames of Cin, w [Cout][K][Cin]: see ops/recurrent.c conv */
void vn_k_conv(VnRt *rt, float *out, const float *x, int64_t ldx, const float *w, const float *b, int T, int64_t cols,
               int64_t cout, int64_t K, int64_t cin, int stride, int act);
void vn_k_ssm_scan(VnRt *rt, float *out, const float *x, int64_t ldx, const float *dt, int64_t lddt, const float *A,
                   int a_per_state, const float *B, int64_t ldb, const float *Cm, int64_t ldc, const float *Dskip,
                   const float *dt_bias, float *state, int T, int pos, int64_t D, int H, int G, int N, int softplus,
                   int chunk, float lo, float hi);
void vn_k_shift(VnRt *rt, float *out, const float *x, int64_t ldx, float *state, int T, int pos, int64_t C);
void vn_k_wkv(VnRt *rt, float *out, const float *k, int64_t ldk, const float *v, int64_t ldv, const float *decay,
              const float *first, float *state, int T, int pos, int64_t C);
void vn_k_delta_rule(VnRt *rt, float *out, const float *q, int64_t ldq, const float *k, int64_t ldk, const float *v,
                     int64_t ldv, const float *g, int64_t ldg, const float *beta, int64_t ldb, float *state, int T, int pos,
                     int Hv, int Hk, int dk, int dv, float eps, float scale);
typedef struct VnMla {
  int32_t heads, head_dim, rope_dim, v_head_dim, rank;
  float scale;
  int32_t rope;               /* rope table index for q's and the key's rotated part, -1 none */
} VnMla;
void vn_k_mla(VnRt *rt, float *out, const float *q, int64_t ldq, const float *lat, int64_t ldl, const float *kpe,
              int64_t ldk, const float *W, float *lat_cache, float *pe_cache, int T, int pos, const VnMla *p);
/* image state [R + 1][C] (ops/data.c): rows, then counters (given, first of the step, next) */
void vn_k_image_rows(VnRt *rt, float *out, const int32_t *ids, float *state, int T, int pos, int token, int64_t R, int64_t C);
void vn_k_image_merge(VnRt *rt, float *out, const float *a, int64_t lda, const float *b, int64_t ldb, const int32_t *ids,
                      const float *state, int T, int token, int64_t R, int64_t Cs, int64_t C);
size_t vn_row_bytes(int dt, int64_t n);
float vn_act_f(int act, float x);

/* dtype helpers shared with the kernels */
float vn_f16_to_f32(uint16_t h);
float vn_bf16_to_f32(uint16_t h);

/* ---- embed.c: sentence embeddings from the hidden states ---- */
#ifndef VN_POOL_MEAN                /* graph.h's numbering */
#define VN_POOL_MEAN 1
#define VN_POOL_CLS 2
#define VN_POOL_LAST 3
#endif
/* Pool the hidden states of the step just run over T tokens (all_logits)
 * into out[hidden_cols]; L2-normalized when normalize is set. */
void vn_embed_pool(const VnRt *rt, int T, int pooling, int normalize, float *out);
/* "mean", "cls", "last" -> VN_POOL_*, or 0 */
int vn_embed_pooling_parse(const char *s);
const char *vn_embed_pooling_name(int pooling);

/* ---- sampler.c ---- */
typedef struct VnSampler {
  float temp, top_p, min_p, repeat_penalty;
  int top_k, repeat_last_n;
  uint64_t rng;
  int64_t vocab;
  int32_t *idx;               /* [vocab] scratch */
  float *prob;                /* [vocab] scratch */
} VnSampler;
int vn_sampler_init(VnSampler *s, int64_t vocab, uint64_t seed);
void vn_sampler_free(VnSampler *s);
/* Pick the next token from logits (modified in place by penalties);
 * recent: the last n tokens for the repetition penalty. */
int32_t vn_sample(VnSampler *s, float *logits, const int32_t *recent, int nrecent);

/* ---- chat.c ---- */
#include "jinja.h"
/* The conversation m[0..n) as the model's own chat template (vn_model.chat_jinja,
 * run by jinja.c) renders it, add_gen: with the reply's header; think: the
 * template's enable_thinking (-1 undefined, 0, 1); malloc'ed, or NULL with one
 * line in err (e.g. the template refuses a system message). */
char *vn_chat_render(const VnChatMsg *m, int n, int add_gen, int think, char *err, size_t errcap);
const VnChatFmt *vn_chat_find(const char *name);  /* NULL name: the model's own format */
/* one turn's text (malloc'ed): end of the previous reply unless first, the
 * user message (with the system text where the format puts it), the reply header */
char *vn_chat_turn(const VnChatFmt *f, int first, const char *system, const char *msg);

/* ---- server.c: --serve (binaries built with venusc compile --server) ---- */
typedef struct VnServeOpts {
  const char *prog;           /* for messages */
  const char *addr;           /* HOST:PORT, [V6ADDR]:PORT; port 0 picks a free one */
  const char *model_name;     /* the one id /v1/models lists */
  const VnChatFmt *fmt;       /* for /v1/chat/completions, or NULL */
  int n_predict, top_k, repeat_last_n;  /* defaults of a request */
  float temp, top_p, min_p, repeat_penalty;
  int pooling, normalize;     /* /v1/embeddings: VN_POOL_*, L2-normalize (the binary's --pooling, --normalize) */
  int template_chat;          /* /v1/chat/completions renders the model's chat template (not fmt) */
} VnServeOpts;
struct VnTok;
/* Serve until SIGINT or SIGTERM; the process exit status. */
int vn_serve(VnRt *rt, const struct VnTok *tok, const VnServeOpts *o);

/* ---- cpu.c ---- */
/* Does this CPU have every feature the target's flags need? Runs from a
 * constructor before main; 0, or -1 with the missing features named in err. */
int vn_cpu_check(char *err, size_t cap);

/* ---- api.c: what the command line and the library (VN_LIB) share ---- */
/* Run ids[0..n) from position pos in steps of at most t_max tokens. With
 * all_logits, cb gets each step's output rows [T][out_cols]; otherwise only
 * the last step's last row is left in the logits buffer. */
typedef void (*VnStepCb)(void *u, const float *logits, int T, int pos);
void vn_rt_run(VnRt *rt, const int32_t *ids, int n, int pos, int all_logits, VnStepCb cb, void *u);
/* The default context: the trained one (4096 when the model states none;
 * *trained gets it), or, when its cache would take more than a quarter of
 * physical memory, the largest power of two that fits. */
int vn_rt_default_ctx(const VnModel *m, long long *trained);
/* The sampling defaults: generation_config.json's as transformers reads
 * them (do_sample false: greedy), else the binary's; *max_new its
 * max_new_tokens or 0. Sets the parameters of s, not its scratch. */
void vn_sampler_defaults(const VnModel *m, VnSampler *s, int *max_new);
/* an end-of-sequence id: the model's eos ids or one the tokenizer (or NULL) marks */
int vn_is_eos(const VnModel *m, const VnTok *tok, int32_t id);

/* ---- cli.c ---- */
int vn_main(int argc, char **argv);

#endif
