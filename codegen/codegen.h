/* codegen.h: lowering a planned graph to C (emit.c), packing the weight
 * file (pack.c), writing the build tree and running the target's compiler
 * (build.c), the files embedded into venusc (embedded.c), and the record of
 * what a compile made, removed on failure or signal (made.c). */
#ifndef VN_CODEGEN_H
#define VN_CODEGEN_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "graph.h"
#include "frontend.h"
#include "spec.h"
#include "target.h"

#define VN_MAX_HEAD_DIM_C 1024  /* = VN_MAX_HEAD_DIM of runtime.h */

/* ---- embedded files (archspecs, runtime and target sources; build/embedded.c) ---- */
typedef struct VnEmbedded {
  const char *name;  /* path in the source tree, e.g. "archspecs/lib/decoder.lua" */
  const char *data;
  size_t len;
} VnEmbedded;
extern const VnEmbedded vn_embedded[];
const VnEmbedded *vn_embedded_find(const char *name);

/* ---- pack.c: weights into the weight file ---- */
/* Write the weight file of g (offsets and dtypes from plan) to path;
 * returns its id (a hash of the content) in *id. */
VnStatus vn_pack_weights(VnCtx *ctx, const VnGraph *g, const VnSource *src, const VnTarget *t,
                         const char *path, uint64_t *id);

/* qr plain q8_0/q4_0 (or K-quant: vn_kq_repack) rows of n values as the
 * target's VN_QR kernels read them (vn_target_qrows; q8u: q8_0 values +
 * 128); out holds qr rows' bytes. */
void vn_repack_rows(int dt, int qr, int q8u, int64_t n, const uint8_t *plain, uint8_t *out);
/* Pack one row of n floats as dtype dt (target byte order be) into out. */
void vn_pack_row(int dt, const float *x, int64_t n, int be, uint8_t *out);
/* kqpack.c: GGUF block formats the kernels read as stored (runtime/kquants.h) */
void vn_kq_swap(int dt, uint8_t *blk);     /* its f16 fields byte-swapped */
int vn_kq_check(int dt, const uint8_t *blk);  /* 0, or -1: a scale is not finite */
void vn_kq_quantize(int dt, const float *x, int64_t n, uint8_t *out);  /* little-endian blocks */
/* the K-quants (Q2_K..Q6_K) a VN_QR target streams repacked: qr plain rows
 * of n values (little-endian) as its kernels read them (same bytes) */
int vn_kq_repacked(int dt);
void vn_kq_repack(int dt, int qr, int64_t n, const uint8_t *plain, uint8_t *out);

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
  const char *jinja;              /* the chat template the binary renders (checked by venusc), or NULL */
  const char *jinja_bos, *jinja_eos; /* its bos_token / eos_token, or NULL */
  const struct VnImageProc *image; /* the image processor (preprocessor_config.json), or NULL */
} VnEmitOpts;
VnStatus vn_emit_model(VnCtx *ctx, const VnGraph *g, const VnEmitOpts *o, VnBuf *out);
/* One node as an exported function `name` (the libffi kernel harness). */
VnStatus vn_emit_node_fn(VnCtx *ctx, const VnGraph *g, uint32_t i, const char *name, int exported, VnBuf *out);

/* ---- build.c: write the source tree and run the target's compiler ---- */
/* Write runtime sources, vn_target.h and a Makefile into dir. */
/* feat: VN_BUILD_* bits (what the host build links besides libc) */
enum { VN_BUILD_BLAS = 1, VN_BUILD_SERVER = 2, VN_BUILD_EDIT = 4, VN_BUILD_IMAGE = 8 /* libpng, libjpeg */ };
VnStatus vn_build_tree(VnCtx *ctx, const char *dir, const VnTarget *t, const char *out_name, int feat);
/* Bare metal: write the packed weight file wfile into dir as model_weights.c
 * (const data in the .vn_weights section). */
/* --lib: NAME.h (runtime/vnapi.h under the prefix NAME; about: a line on
 * the model), and libNAME.a and libNAME.so from the tree at a_out, so_out */
char *vn_lib_header(VnCtx *ctx, const char *name, const char *about);
VnStatus vn_build_lib(VnCtx *ctx, const char *dir, const VnTarget *t, const char *name, const char *header, int feat,
                      const char *a_out, const char *so_out);
VnStatus vn_build_weights_c(VnCtx *ctx, const char *dir, const char *wfile);
/* Compile dir's sources into out (an executable, or a shared object when
 * shared is set, for the kernel harness). */
VnStatus vn_build_run(VnCtx *ctx, const char *dir, const VnTarget *t, const char *out, int shared, int feat,
                      const char *const *extra_src);

/* ---- made.c: what this run made, removed on failure or a caught signal ---- */
enum { VN_MADE_FILE, VN_MADE_DIR, VN_MADE_SCRATCH /* a directory whose files are all ours */ };
#define VN_MADE_SCRATCH_NAME "cc.tmp"  /* the compiler's TMPDIR in a work tree */
/* Record a file or directory (kind VN_MADE_*) this run created. */
void vn_made_add(const char *path, int kind);
/* Record path if nothing is there yet (a file about to be written); 1 if recorded. */
int vn_made_add_new(const char *path);
/* path and everything recorded under it stay (an output, a kept tree). */
void vn_made_keep(const char *path);
/* The running compiler's process group (0: none), killed before removing. */
void vn_made_child(pid_t pgid);
/* Remove a recorded path now (a scratch directory once its user is done). */
void vn_made_remove_path(const char *path);
/* Remove every recorded path not kept, newest first; async-signal-safe. */
void vn_made_remove(void);
/* $TMPDIR, or /tmp */
const char *vn_made_tmpdir(void);
/* Remove the leftovers of venusc runs killed by kill -9 (their pid no longer
 * runs): OUT.tmpPID and OUT.vnw.tmpPID beside out, $TMPDIR/venusc.PID.XXXXXX. */
void vn_made_sweep(const char *out);

/* ---- chattmpl.c: chat templates (runtime/jinja.c) at compile time ---- */
struct VnModelDir;
/* the model's bos_token / eos_token text (malloc'ed, NULL when none) */
void vn_chat_tokens(const struct VnModelDir *md, char **bos, char **eos);
/* 0 when tmpl evaluates the conversations a chat builds; else 1 and why.
 * *no_system: it evaluates them but refuses a system turn (why says how). */
int vn_chat_check(const char *tmpl, const char *bos, const char *eos, char *why, size_t cap, int *no_system);
int vn_cmd_chat_template(int argc, char **argv);

#endif
