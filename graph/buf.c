/* buf.c: a growable buffer for generated text and bytes, the one escaping
 * function for strings that come from model files, and small file helpers.
 * Every stage uses them (frontends, the tokenizer compiler, codegen). */
#include "graph.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void grow(VnBuf *b, size_t need) {
  if (b->len + need + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + need + 1) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) { fprintf(stderr, "venusc: out of memory\n"); exit(3); }
  b->p = p;
  b->cap = cap;
}

void vn_buf_put(VnBuf *b, const void *s, size_t n) {
  grow(b, n);
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

void vn_buf_puts(VnBuf *b, const char *s) { vn_buf_put(b, s, strlen(s)); }

void vn_buf_printf(VnBuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  grow(b, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void vn_buf_cstr(VnBuf *b, const char *s) {
  vn_buf_put(b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\' && *p != '?') vn_buf_put(b, p, 1);
    else vn_buf_printf(b, "\\%03o", *p);
  }
  vn_buf_put(b, "\"", 1);
}

void vn_buf_bytes(VnBuf *b, const unsigned char *p, size_t n) {
  static const char hex[] = "0123456789abcdef";
  grow(b, n * 5 + n / 16 + 2);
  char *o = b->p + b->len;
  for (size_t i = 0; i < n; i++) {
    *o++ = '0'; *o++ = 'x'; *o++ = hex[p[i] >> 4]; *o++ = hex[p[i] & 15]; *o++ = ',';
    if (i % 16 == 15) *o++ = '\n';
  }
  b->len = (size_t)(o - b->p);
  b->p[b->len] = 0;
}

void vn_buf_bytes_str(VnBuf *b, const unsigned char *p, size_t n) {
  grow(b, n * 4 + (n / 64 + 1) * 4 + 2);
  char *o = b->p + b->len;
  for (size_t i = 0; i < n; i++) {
    if (i % 64 == 0) { if (i) { *o++ = '"'; *o++ = '\n'; } *o++ = '"'; }
    unsigned c = p[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') *o++ = (char)c;
    else { *o++ = '\\'; *o++ = (char)('0' + (c >> 6)); *o++ = (char)('0' + ((c >> 3) & 7)); *o++ = (char)('0' + (c & 7)); }
  }
  *o++ = '"';
  if (!n) *o++ = '"';
  b->len = (size_t)(o - b->p);
  b->p[b->len] = 0;
}

void vn_buf_free(VnBuf *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

int vn_write_file(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = fwrite(p, 1, n, f);
  if (fclose(f) || w != n) return -1;
  return 0;
}

char *vn_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END)) { fclose(f); return NULL; }
  long n = ftell(f);
  if (n < 0 || fseek(f, 0, SEEK_SET)) { fclose(f); return NULL; }
  char *p = malloc((size_t)n + 1);
  if (!p || fread(p, 1, (size_t)n, f) != (size_t)n) { free(p); fclose(f); return NULL; }
  fclose(f);
  p[n] = 0;
  if (len) *len = (size_t)n;
  return p;
}

