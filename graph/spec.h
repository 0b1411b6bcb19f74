/* spec.h: running archspecs (graph/spec_lua.c, spec_builder.c, spec_map.c,
 * spec_strlib.c): a spec's declared header, its build function over a
 * model's config and tensors, the GGUF mapping and the chat formats of
 * archspecs/lib. */
#ifndef VN_SPEC_H
#define VN_SPEC_H
#include "graph.h"
#include "frontend.h"

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

/* The specs of one compile, in one sandboxed Lua state (graph/spec_lua.c):
 * archspecs/lib loads once, each spec added runs once to declare its
 * header, and the GGUF mapping, the chosen spec's build and the chat-format
 * match run in the same state. One budget of instructions, memory and time
 * covers everything the state runs (docs/writing-a-spec.md, "The sandbox"). */
typedef struct VnSpecs VnSpecs;
VnStatus vn_spec_open(VnCtx *ctx, const VnSpecSrc *libs, int nlibs, VnSpecs **out);
/* Run a spec's chunk and record its declared header; *idx: its index. */
VnStatus vn_spec_add(VnSpecs *s, const VnSpecSrc *spec, int *idx);
int vn_spec_count(const VnSpecs *s);
const VnSpecInfo *vn_spec_info(const VnSpecs *s, int idx);
/* The spec declaring this HF class, else the first declaring this
 * model_type; -1 when none does (either may be NULL). */
int vn_spec_find(const VnSpecs *s, const char *arch_class, const char *model_type);
/* Run spec idx's build(cfg) with the builder bound to g and src. config_json
 * is the model's config as JSON text (config.json, or one made from GGUF). */
VnStatus vn_spec_build(VnSpecs *s, int idx, const char *config_json, const char *config_file,
                       const VnSource *src, VnGraph *g);
/* GGUF: run archspecs/lib's gguf_config(meta, tensor shapes), which maps
 * metadata to an HF config (returned as JSON text, malloc'ed), renames src's
 * tensors to HF names and says what kind of tokenizer it holds (JSON text,
 * malloc'ed, or NULL). meta is a jansson object. */
VnStatus vn_spec_gguf(VnSpecs *s, json_t *meta, const char *file, VnSource *src, char **config_json,
                      char **tok_json);
void vn_spec_close(VnSpecs *s);
/* Lua states this process has opened (one per compile; -v prints it). */
int vn_spec_states(void);

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
VnStatus vn_spec_chat(VnSpecs *s, const char *template_text, VnChatFormats *out);

#endif
