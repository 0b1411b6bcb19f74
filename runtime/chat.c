/* chat.c: the model binary's conversations. A conversation is rendered by the
 * model's own chat template (VnModel.chat_jinja, which venusc checked; jinja.c
 * evaluates it exactly as transformers' apply_chat_template does), or, with
 * --chat-format NAME or a template venus cannot evaluate, formatted with one
 * of the chat formats venusc compiled in (VnModel.chat, from
 * archspecs/lib/chat.lua: "{}" marks the message) turn by turn: the user
 * message, the reply's header, and the format's end-of-reply text before the
 * next turn. */
#include "runtime.h"
#ifndef VN_BAREMETAL  /* no heap and no stdin on bare metal: no --chat */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *vn_chat_render(const VnChatMsg *m, int n, int add_gen, int think, char *err, size_t errcap) {
  const VnModel *md = &vn_model;
  if (!md->chat_jinja) { snprintf(err, errcap, "this model has no chat template venus evaluates"); return NULL; }
  VnJinjaIn in = {m, n, add_gen, think, md->chat_bos, md->chat_eos};
  return vn_jinja_render(md->chat_jinja, strlen(md->chat_jinja), &in, NULL, err, errcap);
}

const VnChatFmt *vn_chat_find(const char *name) {
  const VnModel *m = &vn_model;
  if (!name) return m->chat_default >= 0 && m->chat_default < m->nchat ? &m->chat[m->chat_default] : NULL;
  for (int i = 0; i < m->nchat; i++)
    if (!strcmp(m->chat[i].name, name)) return &m->chat[i];
  return NULL;
}

/* append s to buf (grown as needed) with "{}" replaced by msg */
static int put(char **buf, size_t *len, size_t *cap, const char *s, const char *msg, size_t mlen) {
  if (!s) return 0;
  const char *hole = msg ? strstr(s, "{}") : NULL;
  size_t need = *len + strlen(s) + (hole ? mlen : 0) + 1;
  if (need > *cap) {
    size_t nc = *cap ? *cap : 256;
    while (nc < need) nc *= 2;
    char *nb = realloc(*buf, nc);
    if (!nb) return -1;
    *buf = nb;
    *cap = nc;
  }
  if (hole) {
    memcpy(*buf + *len, s, (size_t)(hole - s));
    *len += (size_t)(hole - s);
    memcpy(*buf + *len, msg, mlen);
    *len += mlen;
    strcpy(*buf + *len, hole + 2);
    *len += strlen(hole + 2);
  } else {
    strcpy(*buf + *len, s);
    *len += strlen(s);
  }
  return 0;
}

static void trim(const char **s, size_t *n) {
  while (*n && strchr(" \t\r\n", (*s)[0])) { (*s)++; (*n)--; }
  while (*n && strchr(" \t\r\n", (*s)[*n - 1])) (*n)--;
}

/* The text of one turn: (end of the previous reply,) the user message with
 * the system text where the format puts it, and the reply header. */
char *vn_chat_turn(const VnChatFmt *f, int first, const char *system, const char *msg) {
  char *buf = NULL;
  size_t len = 0, cap = 0;
  size_t mlen = strlen(msg), slen = system ? strlen(system) : 0;
  if (f->trim) { trim(&msg, &mlen); if (system) trim(&system, &slen); }
  char *m = malloc(mlen + 1), *sy = malloc(slen + 1);
  if (!m || !sy) { free(m); free(sy); return NULL; }
  memcpy(m, msg, mlen); m[mlen] = 0;
  if (system) memcpy(sy, system, slen);
  sy[slen] = 0;
  int rc = 0;
  if (!first) rc |= put(&buf, &len, &cap, f->assistant_end, NULL, 0);
  if (first && system && f->system) rc |= put(&buf, &len, &cap, f->system, sy, slen);
  if (first && system && !f->system && f->system_prefix) {
    /* the system text goes in front of the first user message */
    char *pre = NULL;
    size_t pl = 0, pc = 0;
    rc |= put(&pre, &pl, &pc, f->system_prefix, sy, slen);
    rc |= put(&pre, &pl, &pc, "{}", m, mlen);
    rc |= put(&buf, &len, &cap, f->user, pre ? pre : "", pl);
    free(pre);
  } else {
    rc |= put(&buf, &len, &cap, f->user, m, mlen);
  }
  rc |= put(&buf, &len, &cap, f->assistant, NULL, 0);
  free(m);
  free(sy);
  if (rc) { free(buf); return NULL; }
  if (!buf) buf = calloc(1, 1);
  return buf;
}
#endif
