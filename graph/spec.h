/* spec.h: running archspecs (graph/spec_lua.c): a spec's declared header,
 * its build function over a model's config and tensors, the GGUF mapping
 * and the chat formats of archspecs/lib. */
#ifndef VN_SPEC_H
#define VN_SPEC_H
#include "graph.h"
#include "frontend.h"

/* ---- graph/spec_lua.c: run an archspec, build the graph ---- */
typedef struct VnSpecInfo {
  const char *name;         /* arch name */
  const char *file;         /* chunk name, e.g. archspecs/<family>.lua */
  const char *about;
  const char **hf;  int nhf;         /* HF architecture classes */
  const char **types; int ntypes;    /* model_type values */
  const char *options;      /* one line on the options it reads */
  const char **gguf; int ngguf;      /* GGUF architectures read into it (archspecs/lib/gguf.lua) */
} VnSpecInfo;

/* A spec source: the file name used in messages and its text. */
typedef struct VnSpecSrc {
  const char *file;
  const char *text;
  size_t len;
} VnSpecSrc;

/* Read the declarative header (name, hf classes, model types) of a spec. */
VnStatus vn_spec_info(VnCtx *ctx, const VnSpecSrc *spec, const VnSpecSrc *libs, int nlibs,
                      VnSpecInfo *out);
/* Run spec.build(cfg) with the builder bound to g and src. config_json is the
 * model's config as JSON text (config.json, or one synthesized from GGUF). */
VnStatus vn_spec_build(VnCtx *ctx, const VnSpecSrc *spec, const VnSpecSrc *libs, int nlibs,
                       const char *config_json, const char *config_file,
                       const VnSource *src, VnGraph *g);

/* GGUF: run archspecs/lib's gguf_config(meta, tensor shapes), which maps
 * metadata to an HF config (returned as JSON text, malloc'ed), renames src's
 * tensors to HF names and says what kind of tokenizer it holds (JSON text,
 * malloc'ed, or NULL). meta is a jansson object. */
VnStatus vn_spec_gguf(VnCtx *ctx, const VnSpecSrc *libs, int nlibs, json_t *meta, const char *file,
                      VnSource *src, char **config_json, char **tok_json);

/* Chat formats: the list archspecs/lib/chat.lua defines and the one that
 * matches a chat template (chosen = -1: none matches or no template). */
#define VN_MAX_CHAT_FORMATS 16
typedef struct VnChatFormat {
  const char *name, *system, *system_prefix, *user, *assistant, *assistant_end;  /* NULL: absent */
  int bos, trim;
} VnChatFormat;
typedef struct VnChatFormats {
  VnChatFormat f[VN_MAX_CHAT_FORMATS];
  int n, chosen;
} VnChatFormats;
VnStatus vn_spec_chat(VnCtx *ctx, const VnSpecSrc *libs, int nlibs, const char *template_text, VnChatFormats *out);

#endif
