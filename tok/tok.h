/* tok.h: the tokenizer compiler. tokenizer.json (plus tokenizer_config.json)
 * and GGUF tokenizer.ggml.* metadata become the blob runtime/tokenizer.c
 * reads (tokc.c, gguf_tok.c); `venusc tokenize` and `detokenize` (tokcmd.c)
 * run that runtime code. Errors follow the compiler's convention: a VnStatus,
 * the message in the VnCtx (graph/graph.h). */
#ifndef VN_TOK_H
#define VN_TOK_H
#include <stddef.h>
#include <stdint.h>
#include "frontend.h"

/* ---- gguf_tok.c: the GGUF tokenizer, compiled into a tokenizer blob ---- */
/* tok_json: the kind archspecs/lib/gguf.lua named ({"model": "byte_bpe" |
 * "spm_bpe", "split": "bytelevel" | "cl100k" | "cl100k_n1", "nfc": bool}) */
VnStatus vn_gguf_tokenizer(VnCtx *ctx, const VnGguf *g, const char *tok_json, unsigned char **blob, size_t *len);

/* ---- tokenizer compiler (tok/tokc.c) ----
 * Compiles a tokenizer.json (plus, when given, tokenizer_config.json) into the
 * blob runtime/tokenizer.c reads: *blob malloc'ed (the caller frees it), or
 * an error in ctx naming the file and the problem (VN_ERR_IO, _INPUT, _NOMEM). */
VnStatus vn_tokc_compile_json(VnCtx *ctx, const char *tokenizer_json, const char *tokenizer_config,
                              unsigned char **blob, size_t *len);

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
  int model;                  /* VN_TOKMODEL_* (0: BPE) */
  VnTokcStr word_prefix, cont_prefix;   /* WordPiece: before a word's first piece, before the others */
  int32_t max_chars;          /* WordPiece: longer words become unk */
  const double *scores;       /* Unigram: [n_vocab] piece scores */
  int32_t n_pcmap;            /* Precompiled normalizer: its keys and their replacements */
  const VnTokcStr *pc_key, *pc_val;
} VnTokDesc;

/* Writes the blob for d into *blob (malloc'ed), or records "FILE: problem" in
 * ctx. One writer per section of the blob (tokc.c, w_*). */
VnStatus vn_tokc_compile_desc(VnCtx *ctx, const VnTokDesc *d, unsigned char **blob, size_t *len);

/* ---- tok/regex.c: split regexes -> programs for the runtime's matcher ----
 * prog->s is malloc'ed (the caller frees it); errors name file and pattern. */
VnStatus vn_tokc_regex(VnCtx *ctx, const char *file, const char *re, size_t len, VnTokcStr *prog);

/* ---- subcommands (tok/tokcmd.c) ----
 * argv[0] is the subcommand name; return the process exit status. */
int vn_cmd_tokenize(int argc, char **argv);
int vn_cmd_detokenize(int argc, char **argv);

#endif
