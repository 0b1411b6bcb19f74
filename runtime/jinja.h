/* jinja.h: the chat-template interpreter (jinja.c), a sandboxed subset of
 * Jinja2 as Hugging Face renders chat templates (trim_blocks, lstrip_blocks,
 * loop controls, an immutable sandbox). Linked into venusc (which checks a
 * model's template at compile time) and into every hosted model binary
 * (which renders each conversation with it). libc only; no static state. */
#ifndef VN_JINJA_H
#define VN_JINJA_H
#include <stddef.h>

/* one message of a conversation */
typedef struct VnChatMsg { const char *role, *content; } VnChatMsg;

/* the variables a template sees; NULL strings are undefined */
typedef struct VnJinjaIn {
  const VnChatMsg *msgs;
  int nmsgs;
  int add_generation_prompt;
  int enable_thinking;        /* -1: undefined (the template's default), 0 false, 1 true */
  const char *bos_token, *eos_token;
} VnJinjaIn;

/* The limits every render runs under; 0 takes the default. A limit that is
 * hit ends the render with an error naming it. */
typedef struct VnJinjaLimits {
  long steps;                 /* evaluation steps, builtins charged per byte they touch (default 50M) */
  size_t mem;                 /* bytes of values and syntax tree (default 256 MiB) */
  size_t out;                 /* bytes of output (default 64 MiB) */
  int depth;                  /* nesting of the syntax and of macro calls (default 128) */
  int seconds;                /* wall clock (default 30) */
} VnJinjaLimits;

/* Render template text tmpl (len bytes) over in: the malloc'd text (NUL
 * terminated), or NULL with one line in err: "line L, column C: what" naming
 * the construct it cannot evaluate, a limit, or the template's own
 * raise_exception message. lim may be NULL. */
char *vn_jinja_render(const char *tmpl, size_t len, const VnJinjaIn *in, const VnJinjaLimits *lim, char *err,
                      size_t errcap);
#endif
