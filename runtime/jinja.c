/* jinja.c: a sandboxed Jinja2 subset for chat templates (see jinja.h).
 *
 * Three stages over one arena: the lexer cuts the template into text and tag
 * tokens, applying whitespace control as transformers configures Jinja2
 * (trim_blocks, lstrip_blocks, no trailing newline kept); a recursive-descent
 * parser builds a tree (its depth bounded by the depth limit); the evaluator
 * walks it, writing to one output buffer. Values are immutable except a
 * namespace()'s attributes; every allocation comes from the arena, whose
 * total is the memory limit, and every step (and every byte a builtin
 * touches) counts against the step limit. Errors longjmp to the entry point,
 * which frees the arena: nothing leaks, nothing is static. */
#include "jinja.h"
#ifndef VN_BAREMETAL  /* no heap on bare metal: no chat templates */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- values ---- */
enum { JU, JNONE, JBOOL, JINT, JFLT, JSTR, JLIST, JDICT, JFUNC, JMACRO };
typedef struct JList JList;
typedef struct JDict JDict;
typedef struct JN JN;
typedef struct JV {
  int t;
  int fn;                     /* JFUNC: builtin or method id */
  int64_t i;                  /* JBOOL, JINT */
  double f;                   /* JFLT */
  const char *s;              /* JSTR (not NUL terminated), JFUNC method name */
  size_t n;
  JList *l;                   /* JLIST */
  JDict *d;                   /* JDICT */
  const struct JV *self;      /* JFUNC: a bound method's object */
  const JN *mac;              /* JMACRO */
} JV;
struct JList { JV *v; size_t n; int tuple; };  /* tuple: written (a, b) */
struct JDict { JV *k, *v; size_t n, cap; int ns; };

/* ---- syntax ---- */
enum {
  N_TEXT, N_OUT, N_BLOCK, N_IF, N_FOR, N_SET, N_SETBLOCK, N_MACRO, N_BREAK, N_CONTINUE,
  N_LIT, N_NAME, N_ATTR, N_INDEX, N_SLICE, N_CALL, N_KW, N_FILTER, N_TEST, N_NEG, N_POS, N_BIN, N_AND, N_OR,
  N_NOT, N_COND, N_LIST, N_DICT
};
struct JN {
  int k, op, neg, line, col;
  JN *a, *b, *c, *d, *e;
  JN **kids;
  int nk, cap;
  const char *s;
  size_t n;
  JV v;
};

enum { T_TEXT, T_VBEGIN, T_VEND, T_BBEGIN, T_BEND, T_NAME, T_STR, T_INT, T_FLT, T_OP, T_EOF };
typedef struct Tok {
  int k, line, col;
  const char *s;              /* T_TEXT, T_STR: the (unescaped) text; T_NAME, T_OP: the source */
  size_t n;
  int64_t i;
  double f;
} Tok;

typedef struct Chunk { struct Chunk *next; size_t used, cap; } Chunk;
typedef struct Frame { const char **names; size_t *lens; JV *vals; int n, cap; struct Frame *up; int barrier; } Frame;

typedef struct J {
  jmp_buf jb;
  char *err;
  size_t errcap;
  Chunk *chunks;
  size_t mem, mem_max;
  long steps, steps_max;
  size_t out_max;
  int depth, depth_max;
  int nest;                   /* evaluation nesting (eval, render, equal, repr, tojson) */
  time_t t0;
  int seconds;
  const char *src;
  size_t srclen;
  Tok *toks;
  int nt, ct, pos;
  char *out;
  size_t on, ocap;
  Frame *fr, *top;            /* top: the template's top-level variables */
  int brk, cont;              /* a break / continue is unwinding to its loop */
  int line, col;              /* where evaluation is, for errors */
} J;

static void fail(J *j, int line, int col, const char *fmt, ...) __attribute__((format(printf, 4, 5), noreturn));
static void fail(J *j, int line, int col, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  char one[400];  /* one line: a newline in a message (raise_exception's own) is written \n */
  size_t k = 0;
  for (const char *p = msg; *p && k + 3 < sizeof one; p++) {
    if (*p == '\n' || *p == '\r') { one[k++] = '\\'; one[k++] = *p == '\n' ? 'n' : 'r'; }
    else one[k++] = *p;
  }
  one[k] = 0;
  if (line > 0) snprintf(j->err, j->errcap, "line %d, column %d: %s", line, col, one);
  else snprintf(j->err, j->errcap, "%s", one);
  longjmp(j->jb, 1);
}
#define FAILN(nd, ...) fail(j, (nd)->line, (nd)->col, __VA_ARGS__)
#define FAILH(...) fail(j, j->line, j->col, __VA_ARGS__)

static void *jalloc(J *j, size_t n) {
  n = (n + 15) & ~(size_t)15;
  Chunk *c = j->chunks;
  if (!c || c->cap - c->used < n) {
    size_t cap = n > 65536 ? n : 65536;
    if (j->mem + cap + sizeof(Chunk) > j->mem_max)
      fail(j, j->line, j->col, "the template needs more than %zu bytes of memory (the limit)", j->mem_max);
    c = malloc(sizeof(Chunk) + cap + 16);
    if (!c) fail(j, j->line, j->col, "out of memory");
    j->mem += cap + sizeof(Chunk);
    c->cap = cap;
    c->used = 0;
    c->next = j->chunks;
    j->chunks = c;
  }
  char *p = (char *)(((uintptr_t)(c + 1) + 15) & ~(uintptr_t)15) + c->used;
  c->used += n;
  memset(p, 0, n);
  return p;
}

/* count n steps of work; the wall clock backs the count */
static void charge(J *j, long n) {
  j->steps += n;
  if (j->steps > j->steps_max) FAILH("the template ran past %ld steps (the limit)", j->steps_max);
  if ((j->steps & 0xffff) < n && j->seconds > 0 && time(NULL) - j->t0 > j->seconds)
    FAILH("the template ran past %d seconds (the limit)", j->seconds);
}

/* one level deeper in the evaluation: a chain as long as the syntax allows
 * (a + b + c ..., elif after elif) or a value nested by a loop
 * ({% set ns.x = [ns.x] %}) is bounded, not the C stack */
static void nest(J *j) {
  if (++j->nest > 4 * j->depth_max) FAILH("the template nests deeper than %d when it runs (the limit)", 4 * j->depth_max);
}

static char *jstrdup(J *j, const char *s, size_t n) {
  char *p = jalloc(j, n + 1);
  memcpy(p, s, n);
  return p;
}

/* ---- a growable byte buffer in the arena ---- */
typedef struct Buf { char *p; size_t n, cap; } Buf;
static void bput(J *j, Buf *b, const char *s, size_t n) {
  if (!n) return;
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 64;
    while (cap < b->n + n) cap *= 2;
    char *p = jalloc(j, cap);
    if (b->n) memcpy(p, b->p, b->n);
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  charge(j, (long)(n / 64));
}
static void bputs(J *j, Buf *b, const char *s) { bput(j, b, s, strlen(s)); }

static JV mkstr(const char *s, size_t n) { JV v = {0}; v.t = JSTR; v.s = s; v.n = n; return v; }
static JV mkint(int64_t i) { JV v = {0}; v.t = JINT; v.i = i; return v; }
static JV mkbool(int b) { JV v = {0}; v.t = JBOOL; v.i = !!b; return v; }
static JV mkflt(double f) { JV v = {0}; v.t = JFLT; v.f = f; return v; }
static JV mknone(void) { JV v = {0}; v.t = JNONE; return v; }
static JV mkundef(void) { JV v = {0}; v.t = JU; return v; }

/* ---- the lexer ---- */
static int isws(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static int isnm0(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int isdig(int c) { return c >= '0' && c <= '9'; }

static Tok *addtok(J *j, int k, int line, int col) {
  if (j->nt == j->ct) {
    int cap = j->ct ? j->ct * 2 : 256;
    Tok *t = jalloc(j, (size_t)cap * sizeof *t);
    if (j->nt) memcpy(t, j->toks, (size_t)j->nt * sizeof *t);
    j->toks = t;
    j->ct = cap;
  }
  Tok *t = &j->toks[j->nt++];
  memset(t, 0, sizeof *t);
  t->k = k;
  t->line = line;
  t->col = col;
  return t;
}

static void utf8put(J *j, Buf *b, uint32_t c) {
  char u[4];
  int n;
  if (c < 0x80) { u[0] = (char)c; n = 1; }
  else if (c < 0x800) { u[0] = (char)(0xc0 | c >> 6); u[1] = (char)(0x80 | (c & 63)); n = 2; }
  else if (c < 0x10000) { u[0] = (char)(0xe0 | c >> 12); u[1] = (char)(0x80 | (c >> 6 & 63)); u[2] = (char)(0x80 | (c & 63)); n = 3; }
  else { u[0] = (char)(0xf0 | c >> 18); u[1] = (char)(0x80 | (c >> 12 & 63)); u[2] = (char)(0x80 | (c >> 6 & 63)); u[3] = (char)(0x80 | (c & 63)); n = 4; }
  bput(j, b, u, (size_t)n);
}

static int hexv(int c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* the tokens inside one tag, up to its end ("}}" or "%}"); returns the
 * position after the end marker and whether it had a '-' */
static size_t lex_tag(J *j, size_t p, int var, int *line, size_t *lstart, int *minus, int *plus) {
  const char *s = j->src;
  size_t n = j->srclen;
  int depth = 0;
  for (;;) {
    while (p < n && isws(s[p])) { if (s[p] == '\n') { (*line)++; *lstart = p + 1; } p++; }
    int col = (int)(p - *lstart) + 1;
    if (p >= n) fail(j, *line, col, "the %s tag is not closed", var ? "{{" : "{%");
    const char *e = var ? "}}" : "%}";
    if (depth == 0) {
      if ((s[p] == '-' || s[p] == '+') && p + 2 < n + 0 && p + 2 <= n && s[p + 1] == e[0] && s[p + 2] == e[1]) {
        *minus = s[p] == '-';
        *plus = s[p] == '+';
        return p + 3;
      }
      if (p + 1 < n && s[p] == e[0] && s[p + 1] == e[1]) return p + 2;
    }
    char c = s[p];
    if (isnm0((unsigned char)c)) {
      size_t q = p;
      while (q < n && (isnm0((unsigned char)s[q]) || isdig(s[q]))) q++;
      Tok *t = addtok(j, T_NAME, *line, col);
      t->s = s + p;
      t->n = q - p;
      p = q;
    } else if (isdig(c)) {
      size_t q = p;
      int flt = 0;
      while (q < n && (isdig(s[q]) || s[q] == '_')) q++;
      if (q + 1 < n && s[q] == '.' && isdig(s[q + 1])) { flt = 1; q++; while (q < n && (isdig(s[q]) || s[q] == '_')) q++; }
      if (q < n && (s[q] == 'e' || s[q] == 'E')) {
        size_t r = q + 1;
        if (r < n && (s[r] == '+' || s[r] == '-')) r++;
        if (r < n && isdig(s[r])) { flt = 1; q = r; while (q < n && isdig(s[q])) q++; }
      }
      char num[64];
      size_t k = 0;
      for (size_t i = p; i < q && k < sizeof num - 1; i++) if (s[i] != '_') num[k++] = s[i];
      num[k] = 0;
      Tok *t = addtok(j, flt ? T_FLT : T_INT, *line, col);
      if (flt) t->f = strtod(num, NULL);
      else {
        char *end;
        unsigned long long v = strtoull(num, &end, 10);
        if (k > 18 || v > INT64_MAX) fail(j, *line, col, "the integer %s is too large", num);
        t->i = (int64_t)v;
      }
      p = q;
    } else if (c == '\'' || c == '"') {
      Buf b = {0};
      size_t q = p + 1;
      int l0 = *line;
      for (;;) {
        if (q >= n) fail(j, l0, col, "a string is not closed");
        char d = s[q];
        if (d == c) break;
        if (d == '\n') { (*line)++; *lstart = q + 1; }
        if (d == '\\' && q + 1 < n) {
          char x = s[q + 1];
          int ok = 1, len = 0;
          uint32_t cp = 0;
          switch (x) {
          case 'n': bput(j, &b, "\n", 1); break;
          case 't': bput(j, &b, "\t", 1); break;
          case 'r': bput(j, &b, "\r", 1); break;
          case '\\': bput(j, &b, "\\", 1); break;
          case '\'': bput(j, &b, "'", 1); break;
          case '"': bput(j, &b, "\"", 1); break;
          case 'a': bput(j, &b, "\a", 1); break;
          case 'b': bput(j, &b, "\b", 1); break;
          case 'f': bput(j, &b, "\f", 1); break;
          case 'v': bput(j, &b, "\v", 1); break;
          case '\n': (*line)++; *lstart = q + 2; break;
          case 'x': len = 2; break;
          case 'u': len = 4; break;
          case 'U': len = 8; break;
          default:
            if (x >= '0' && x <= '7') {
              int m = 0;
              while (m < 3 && q + 1 + m < n && s[q + 1 + m] >= '0' && s[q + 1 + m] <= '7') cp = cp * 8 + (uint32_t)(s[q + 1 + m++] - '0');
              utf8put(j, &b, cp);
              q += 1 + (size_t)m;
              continue;
            }
            ok = 0;
          }
          if (len) {
            for (int m = 0; m < len; m++) {
              int h = q + 2 + (size_t)m < n ? hexv((unsigned char)s[q + 2 + m]) : -1;
              if (h < 0) fail(j, *line, col, "a bad \\%c escape in a string", x);
              cp = cp * 16 + (uint32_t)h;
            }
            if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) fail(j, *line, col, "a bad \\%c escape in a string", x);
            utf8put(j, &b, cp);
            q += 2 + (size_t)len;
            continue;
          }
          if (!ok) { bput(j, &b, s + q, 2); }
          q += 2;
          continue;
        }
        bput(j, &b, s + q, 1);
        q++;
      }
      Tok *t = addtok(j, T_STR, l0, col);
      t->s = b.p ? b.p : "";
      t->n = b.n;
      p = q + 1;
    } else {
      static const char *const ops2[] = {"**", "//", "==", "!=", "<=", ">=", NULL};
      size_t w = 0;
      for (int i = 0; ops2[i]; i++) if (p + 1 < n && s[p] == ops2[i][0] && s[p + 1] == ops2[i][1]) w = 2;
      if (!w) {
        if (!strchr("+-*/%~<>=()[]{}.,:|!", c) || c == 0) fail(j, *line, col, "unexpected character '%c' in a tag", c);
        if (c == '!') fail(j, *line, col, "unexpected character '!' in a tag");
        w = 1;
      }
      if (c == '(' || c == '[' || c == '{') depth++;
      if ((c == ')' || c == ']' || c == '}') && depth > 0) depth--;
      Tok *t = addtok(j, T_OP, *line, col);
      t->s = s + p;
      t->n = w;
      p += w;
    }
  }
}

static void lex(J *j) {
  const char *s = j->src;
  size_t n = j->srclen, p = 0, lstart = 0;
  int line = 1, line_starting = 1;
  while (p <= n) {
    /* the next tag start */
    size_t q = p;
    int kind = 0;  /* 1 {{, 2 {%, 3 {# */
    while (q + 1 < n) {
      if (s[q] == '{' && (s[q + 1] == '{' || s[q + 1] == '%' || s[q + 1] == '#')) {
        kind = s[q + 1] == '{' ? 1 : s[q + 1] == '%' ? 2 : 3;
        break;
      }
      q++;
    }
    if (!kind) q = n;
    size_t tlen = q - p;
    char mod = kind && q + 2 < n ? s[q + 2] : 0;
    if (kind && mod == '-') {
      while (tlen && isws(s[p + tlen - 1])) tlen--;
    } else if (kind >= 2 && mod != '+') {  /* lstrip_blocks */
      size_t l = tlen;
      while (l && s[p + l - 1] != '\n') l--;
      if (l > 0 || line_starting) {
        size_t r = l;
        while (r < tlen && isws(s[p + r])) r++;
        if (r == tlen) tlen = l;
      }
    }
    int tline = line, tcol = (int)(p - lstart) + 1;
    for (size_t i = p; i < q; i++) if (s[i] == '\n') { line++; lstart = i + 1; }
    if (tlen) {
      Tok *t = addtok(j, T_TEXT, tline, tcol);
      t->s = s + p;
      t->n = tlen;
    }
    if (!kind) break;
    int col = (int)(q - lstart) + 1;
    size_t r = q + 2 + (mod == '-' || mod == '+');
    int minus = 0, plus = 0;
    if (kind == 3) {
      size_t e = r;
      while (e + 1 < n && !(s[e] == '#' && s[e + 1] == '}')) e++;
      if (e + 1 >= n) fail(j, line, col, "a {# comment is not closed");
      minus = e > r && s[e - 1] == '-';
      plus = e > r && s[e - 1] == '+';
      for (size_t i = q; i < e; i++) if (s[i] == '\n') { line++; lstart = i + 1; }
      r = e + 2;
    } else {
      addtok(j, kind == 1 ? T_VBEGIN : T_BBEGIN, line, col);
      r = lex_tag(j, r, kind == 1, &line, &lstart, &minus, &plus);
      addtok(j, kind == 1 ? T_VEND : T_BEND, line, (int)(r - lstart));
    }
    if (minus) {
      while (r < n && isws(s[r])) { if (s[r] == '\n') { line++; lstart = r + 1; } r++; }
    } else if (kind >= 2 && !plus && r < n && s[r] == '\n') {  /* trim_blocks */
      line++;
      lstart = ++r;
    }
    line_starting = r > 0 && s[r - 1] == '\n';
    p = r;
  }
  addtok(j, T_EOF, line, (int)(n - lstart) + 1);
}

/* ---- the parser ---- */
static Tok *peek(J *j) { return &j->toks[j->pos]; }
static Tok *next(J *j) { Tok *t = &j->toks[j->pos]; if (t->k != T_EOF) j->pos++; return t; }
static int isop(const Tok *t, const char *op) { return t->k == T_OP && t->n == strlen(op) && !memcmp(t->s, op, t->n); }
static int isname(const Tok *t, const char *nm) { return t->k == T_NAME && t->n == strlen(nm) && !memcmp(t->s, nm, t->n); }
static const char *tokdesc(J *j, const Tok *t) {
  switch (t->k) {
  case T_EOF: return "the end of the template";
  case T_VEND: return "'}}'";
  case T_BEND: return "'%}'";
  case T_STR: return "a string";
  case T_INT: case T_FLT: return "a number";
  case T_TEXT: return "text";
  default: {
    char *d = jalloc(j, t->n + 3);
    d[0] = '\'';
    memcpy(d + 1, t->s, t->n);
    d[t->n + 1] = '\'';
    return d;
  }
  }
}
static void expect_op(J *j, const char *op) {
  Tok *t = next(j);
  if (!isop(t, op)) fail(j, t->line, t->col, "expected '%s', found %s", op, tokdesc(j, t));
}
static JN *node(J *j, int k, const Tok *at) {
  JN *nd = jalloc(j, sizeof *nd);
  nd->k = k;
  nd->line = at->line;
  nd->col = at->col;
  return nd;
}
static void addkid(J *j, JN *p, JN *k) {
  if (p->nk == p->cap) {
    int cap = p->cap ? p->cap * 2 : 4;
    JN **kk = jalloc(j, (size_t)cap * sizeof *kk);
    if (p->nk) memcpy(kk, p->kids, (size_t)p->nk * sizeof *kk);
    p->kids = kk;
    p->cap = cap;
  }
  p->kids[p->nk++] = k;
}
static void enter(J *j, const Tok *t) {
  if (++j->depth > j->depth_max) fail(j, t->line, t->col, "the template nests deeper than %d (the limit)", j->depth_max);
}

static JN *expr(J *j);
static JN *unary(J *j, int with_filter);

/* the known filters and tests: checked when the template is parsed */
static const char *const filters[] = {"trim", "length", "count", "upper", "lower", "tojson", "string", "default", "d",
  "join", "items", "first", "last", "replace", "selectattr", "rejectattr", "map", "list", "reverse", "capitalize",
  "title", "int", "float", "abs", "safe", "unique", "e", "escape", "indent", "wordcount", "round", "dictsort", "sort",
  "sum", "min", "max", "batch", "center", "format", "striptags", NULL};
static const char *const tests[] = {"defined", "undefined", "none", "string", "mapping", "iterable", "sequence",
  "number", "integer", "float", "boolean", "true", "false", "equalto", "eq", "==", "ne", "!=", "odd", "even",
  "divisibleby", "in", "lower", "upper", "callable", "lt", "gt", "le", "ge", "<", ">", "<=", ">=", NULL};
static int inlist(const char *const *l, const char *s, size_t n) {
  for (int i = 0; l[i]; i++) if (strlen(l[i]) == n && !memcmp(l[i], s, n)) return i;
  return -1;
}

static void call_args(J *j, JN *nd) {
  /* after '(' */
  if (isop(peek(j), ")")) { next(j); return; }
  for (;;) {
    Tok *t = peek(j);
    if (t->k == T_NAME && isop(&j->toks[j->pos + 1], "=")) {
      next(j); next(j);
      JN *kw = node(j, N_KW, t);
      kw->s = t->s;
      kw->n = t->n;
      kw->a = expr(j);
      addkid(j, nd, kw);
    } else addkid(j, nd, expr(j));
    Tok *u = next(j);
    if (isop(u, ")")) return;
    if (!isop(u, ",")) fail(j, u->line, u->col, "expected ',' or ')', found %s", tokdesc(j, u));
    if (isop(peek(j), ")")) { next(j); return; }
  }
}

static JN *primary(J *j) {
  Tok *t = next(j);
  JN *nd;
  enter(j, t);
  if (t->k == T_NAME) {
    nd = node(j, N_LIT, t);
    if (isname(t, "true") || isname(t, "True")) nd->v = mkbool(1);
    else if (isname(t, "false") || isname(t, "False")) nd->v = mkbool(0);
    else if (isname(t, "none") || isname(t, "None")) nd->v = mknone();
    else { nd->k = N_NAME; nd->s = t->s; nd->n = t->n; }
  } else if (t->k == T_STR) {
    Buf b = {0};
    bput(j, &b, t->s, t->n);
    while (peek(j)->k == T_STR) { Tok *u = next(j); bput(j, &b, u->s, u->n); }
    nd = node(j, N_LIT, t);
    nd->v = mkstr(b.p ? b.p : "", b.n);
  } else if (t->k == T_INT) { nd = node(j, N_LIT, t); nd->v = mkint(t->i); }
  else if (t->k == T_FLT) { nd = node(j, N_LIT, t); nd->v = mkflt(t->f); }
  else if (isop(t, "(")) {
    if (isop(peek(j), ")")) { next(j); nd = node(j, N_LIST, t); }
    else {
      JN *e = expr(j);
      if (isop(peek(j), ",")) {
        nd = node(j, N_LIST, t);
        nd->op = 1;  /* a tuple */
        addkid(j, nd, e);
        while (isop(peek(j), ",")) { next(j); if (isop(peek(j), ")")) break; addkid(j, nd, expr(j)); }
      } else nd = e;
      expect_op(j, ")");
    }
  } else if (isop(t, "[")) {
    nd = node(j, N_LIST, t);
    while (!isop(peek(j), "]")) {
      addkid(j, nd, expr(j));
      if (!isop(peek(j), ",")) break;
      next(j);
    }
    expect_op(j, "]");
  } else if (isop(t, "{")) {
    nd = node(j, N_DICT, t);
    while (!isop(peek(j), "}")) {
      addkid(j, nd, expr(j));
      expect_op(j, ":");
      addkid(j, nd, expr(j));
      if (!isop(peek(j), ",")) break;
      next(j);
    }
    expect_op(j, "}");
  } else fail(j, t->line, t->col, "expected a value, found %s", tokdesc(j, t));
  j->depth--;
  return nd;
}

static JN *postfix(J *j, JN *nd) {
  for (;;) {
    Tok *t = peek(j);
    if (isop(t, ".")) {
      next(j);
      Tok *u = next(j);
      JN *a = node(j, N_ATTR, t);
      a->a = nd;
      if (u->k == T_NAME) { a->s = u->s; a->n = u->n; }
      else if (u->k == T_INT) { a->k = N_INDEX; a->b = node(j, N_LIT, u); a->b->v = mkint(u->i); }
      else fail(j, u->line, u->col, "expected an attribute name after '.', found %s", tokdesc(j, u));
      nd = a;
    } else if (isop(t, "[")) {
      next(j);
      JN *parts[3] = {0};
      int colons = 0;
      for (;;) {
        if (isop(peek(j), ":")) { next(j); if (++colons > 2) fail(j, t->line, t->col, "a slice takes at most two ':'"); continue; }
        if (isop(peek(j), "]")) break;
        if (parts[colons]) fail(j, peek(j)->line, peek(j)->col, "expected ']' in a subscript");
        parts[colons] = expr(j);
      }
      next(j);
      JN *a = node(j, colons ? N_SLICE : N_INDEX, t);
      a->a = nd;
      if (colons) { a->b = parts[0]; a->c = parts[1]; a->d = parts[2]; }
      else {
        if (!parts[0]) fail(j, t->line, t->col, "an empty subscript");
        a->b = parts[0];
      }
      nd = a;
    } else if (isop(t, "(")) {
      next(j);
      JN *c = node(j, N_CALL, t);
      c->a = nd;
      enter(j, t);
      call_args(j, c);
      j->depth--;
      nd = c;
    } else return nd;
  }
}

static JN *filter_expr(J *j, JN *nd) {
  for (;;) {
    Tok *t = peek(j);
    if (isop(t, "|")) {
      next(j);
      Tok *u = next(j);
      if (u->k != T_NAME) fail(j, u->line, u->col, "expected a filter name after '|', found %s", tokdesc(j, u));
      if (inlist(filters, u->s, u->n) < 0) fail(j, u->line, u->col, "the filter '%.*s' is not supported", (int)u->n, u->s);
      JN *f = node(j, N_FILTER, u);
      f->a = nd;
      f->s = u->s;
      f->n = u->n;
      if (isop(peek(j), "(")) { next(j); call_args(j, f); }
      nd = postfix(j, f);
    } else if (isname(t, "is")) {
      next(j);
      JN *f = node(j, N_TEST, t);
      if (isname(peek(j), "not")) { next(j); f->neg = 1; }
      Tok *u = next(j);
      if (u->k == T_NAME || isop(u, "==") || isop(u, "!=") || isop(u, "<") || isop(u, ">") || isop(u, "<=") || isop(u, ">=")) {
        if (isname(u, "none") || isname(u, "None")) u->n = 4, u->s = "none";
        if (isname(u, "true") || isname(u, "True")) u->s = "true";
        if (isname(u, "false") || isname(u, "False")) u->s = "false";
      } else fail(j, u->line, u->col, "expected a test name after 'is', found %s", tokdesc(j, u));
      if (inlist(tests, u->s, u->n) < 0) fail(j, u->line, u->col, "the test '%.*s' is not supported", (int)u->n, u->s);
      f->a = nd;
      f->s = u->s;
      f->n = u->n;
      Tok *v = peek(j);
      if (isop(v, "(")) { next(j); call_args(j, f); }
      else if (v->k == T_STR || v->k == T_INT || v->k == T_FLT ||
               (v->k == T_NAME && !isname(v, "and") && !isname(v, "or") && !isname(v, "else") && !isname(v, "if") &&
                !isname(v, "is") && !isname(v, "in") && !isname(v, "not"))) {
        addkid(j, f, postfix(j, primary(j)));
      }
      nd = f;
    } else return nd;
  }
}

static JN *unary(J *j, int with_filter) {
  Tok *t = peek(j);
  JN *nd;
  enter(j, t);
  if (isop(t, "-") || isop(t, "+")) {
    next(j);
    nd = node(j, isop(t, "-") ? N_NEG : N_POS, t);
    nd->a = unary(j, 0);
  } else nd = postfix(j, primary(j));
  if (with_filter) nd = filter_expr(j, nd);
  j->depth--;
  return nd;
}

static JN *binary(J *j, JN *a, const Tok *t, int op, JN *b) {
  JN *nd = node(j, N_BIN, t);
  nd->op = op;
  nd->a = a;
  nd->b = b;
  return nd;
}
static JN *pow_e(J *j) {
  JN *a = unary(j, 1);
  while (isop(peek(j), "**")) { Tok *t = next(j); a = binary(j, a, t, 'P', unary(j, 1)); }
  return a;
}
static JN *math2(J *j) {
  JN *a = pow_e(j);
  for (;;) {
    Tok *t = peek(j);
    int op = isop(t, "*") ? '*' : isop(t, "/") ? '/' : isop(t, "//") ? 'D' : isop(t, "%") ? '%' : 0;
    if (!op) return a;
    next(j);
    a = binary(j, a, t, op, pow_e(j));
  }
}
static JN *concat(J *j) {
  JN *a = math2(j);
  while (isop(peek(j), "~")) { Tok *t = next(j); a = binary(j, a, t, '~', math2(j)); }
  return a;
}
static JN *math1(J *j) {
  JN *a = concat(j);
  for (;;) {
    Tok *t = peek(j);
    int op = isop(t, "+") ? '+' : isop(t, "-") ? '-' : 0;
    if (!op) return a;
    next(j);
    a = binary(j, a, t, op, concat(j));
  }
}
enum { OP_EQ = 256, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE, OP_IN, OP_NOTIN };
static JN *compare(J *j) {
  JN *a = math1(j);
  for (;;) {
    Tok *t = peek(j);
    int op = isop(t, "==") ? OP_EQ : isop(t, "!=") ? OP_NE : isop(t, "<") ? OP_LT : isop(t, ">") ? OP_GT
           : isop(t, "<=") ? OP_LE : isop(t, ">=") ? OP_GE : isname(t, "in") ? OP_IN : 0;
    if (!op && isname(t, "not") && isname(&j->toks[j->pos + 1], "in")) { next(j); op = OP_NOTIN; }
    if (!op) return a;
    next(j);
    a = binary(j, a, t, op, math1(j));
  }
}
static JN *not_e(J *j) {
  Tok *t = peek(j);
  if (isname(t, "not")) {
    next(j);
    enter(j, t);
    JN *nd = node(j, N_NOT, t);
    nd->a = not_e(j);
    j->depth--;
    return nd;
  }
  return compare(j);
}
static JN *and_e(J *j) {
  JN *a = not_e(j);
  while (isname(peek(j), "and")) { Tok *t = next(j); JN *nd = node(j, N_AND, t); nd->a = a; nd->b = not_e(j); a = nd; }
  return a;
}
static JN *or_e(J *j) {
  JN *a = and_e(j);
  while (isname(peek(j), "or")) { Tok *t = next(j); JN *nd = node(j, N_OR, t); nd->a = a; nd->b = and_e(j); a = nd; }
  return a;
}
static JN *expr(J *j) {
  Tok *t0 = peek(j);
  enter(j, t0);
  JN *a = or_e(j);
  while (isname(peek(j), "if")) {
    Tok *t = next(j);
    JN *nd = node(j, N_COND, t);
    nd->b = a;
    nd->a = or_e(j);
    if (isname(peek(j), "else")) { next(j); nd->c = expr(j); }
    a = nd;
  }
  j->depth--;
  return a;
}

static void end_tag(J *j) {
  Tok *t = next(j);
  if (t->k != T_BEND) fail(j, t->line, t->col, "expected '%%}', found %s", tokdesc(j, t));
}

/* a statement body up to one of the names in ends (the tag's name left as the
 * next token) */
static JN *body(J *j, const char *const *ends, const Tok *open);
static JN *statement(J *j, Tok *open) {
  Tok *t = next(j);
  if (t->k != T_NAME) fail(j, t->line, t->col, "expected a tag name after '{%%', found %s", tokdesc(j, t));
  enter(j, t);
  JN *nd;
  if (isname(t, "if")) {
    nd = node(j, N_IF, t);
    nd->a = expr(j);
    end_tag(j);
    static const char *const e[] = {"elif", "else", "endif", NULL};
    nd->b = body(j, e, t);
    JN *cur = nd;
    for (;;) {
      Tok *u = next(j);
      if (isname(u, "elif")) {
        JN *el = node(j, N_IF, u);
        el->a = expr(j);
        end_tag(j);
        el->b = body(j, e, u);
        cur->c = el;
        cur = el;
      } else if (isname(u, "else")) {
        end_tag(j);
        static const char *const e2[] = {"endif", NULL};
        cur->c = body(j, e2, u);
        next(j);
        end_tag(j);
        break;
      } else { end_tag(j); break; }
    }
  } else if (isname(t, "for")) {
    nd = node(j, N_FOR, t);
    JN *tg = node(j, N_LIST, t);
    for (;;) {
      Tok *u = next(j);
      if (u->k != T_NAME) fail(j, u->line, u->col, "expected a loop variable name, found %s", tokdesc(j, u));
      JN *nm = node(j, N_NAME, u);
      nm->s = u->s;
      nm->n = u->n;
      addkid(j, tg, nm);
      if (!isop(peek(j), ",")) break;
      next(j);
    }
    nd->a = tg;
    Tok *u = next(j);
    if (!isname(u, "in")) fail(j, u->line, u->col, "expected 'in' in a for tag, found %s", tokdesc(j, u));
    nd->b = or_e(j);
    if (isname(peek(j), "if")) { next(j); nd->c = expr(j); }
    if (isname(peek(j), "recursive")) fail(j, peek(j)->line, peek(j)->col, "recursive for loops are not supported");
    end_tag(j);
    static const char *const e[] = {"else", "endfor", NULL};
    nd->d = body(j, e, t);
    if (isname(next(j), "else")) {
      end_tag(j);
      static const char *const e2[] = {"endfor", NULL};
      nd->e = body(j, e2, t);
      next(j);
    }
    end_tag(j);
  } else if (isname(t, "set")) {
    Tok *u = next(j);
    if (u->k != T_NAME) fail(j, u->line, u->col, "expected a name after 'set', found %s", tokdesc(j, u));
    JN *tg = node(j, N_NAME, u);
    tg->s = u->s;
    tg->n = u->n;
    if (isop(peek(j), ".")) {
      next(j);
      Tok *w = next(j);
      if (w->k != T_NAME) fail(j, w->line, w->col, "expected an attribute name, found %s", tokdesc(j, w));
      JN *at = node(j, N_ATTR, w);
      at->a = tg;
      at->s = w->s;
      at->n = w->n;
      tg = at;
    } else if (isop(peek(j), ",")) fail(j, peek(j)->line, peek(j)->col, "'set' of several names is not supported");
    if (isop(peek(j), "=")) {
      next(j);
      nd = node(j, N_SET, t);
      nd->a = tg;
      nd->b = expr(j);
      end_tag(j);
    } else {
      if (tg->k != N_NAME) fail(j, t->line, t->col, "a block 'set' takes a plain name");
      if (isop(peek(j), "|")) fail(j, peek(j)->line, peek(j)->col, "a filtered block 'set' is not supported");
      end_tag(j);
      nd = node(j, N_SETBLOCK, t);
      nd->a = tg;
      static const char *const e[] = {"endset", NULL};
      nd->b = body(j, e, t);
      next(j);
      end_tag(j);
    }
  } else if (isname(t, "macro")) {
    Tok *u = next(j);
    if (u->k != T_NAME) fail(j, u->line, u->col, "expected a macro name, found %s", tokdesc(j, u));
    nd = node(j, N_MACRO, t);
    nd->s = u->s;
    nd->n = u->n;
    expect_op(j, "(");
    while (!isop(peek(j), ")")) {
      Tok *w = next(j);
      if (w->k != T_NAME) fail(j, w->line, w->col, "expected a parameter name, found %s", tokdesc(j, w));
      JN *pm = node(j, N_NAME, w);
      pm->s = w->s;
      pm->n = w->n;
      if (isop(peek(j), "=")) { next(j); pm->a = expr(j); }
      addkid(j, nd, pm);
      if (!isop(peek(j), ",")) break;
      next(j);
    }
    expect_op(j, ")");
    end_tag(j);
    static const char *const e[] = {"endmacro", NULL};
    nd->b = body(j, e, t);
    next(j);
    end_tag(j);
  } else if (isname(t, "break") || isname(t, "continue")) {
    nd = node(j, isname(t, "break") ? N_BREAK : N_CONTINUE, t);
    end_tag(j);
  } else {
    fail(j, t->line, t->col, "the tag '%.*s' is not supported", (int)t->n, t->s);
  }
  (void)open;
  j->depth--;
  return nd;
}

static JN *body(J *j, const char *const *ends, const Tok *open) {
  JN *blk = node(j, N_BLOCK, open ? open : peek(j));
  for (;;) {
    Tok *t = peek(j);
    if (t->k == T_EOF) {
      if (ends) {
        int last = 0;
        while (ends[last + 1]) last++;
        fail(j, open->line, open->col, "the '%.*s' tag is not closed (expected '%s')", (int)open->n, open->s, ends[last]);
      }
      return blk;
    }
    if (t->k == T_TEXT) {
      next(j);
      JN *x = node(j, N_TEXT, t);
      x->s = t->s;
      x->n = t->n;
      addkid(j, blk, x);
    } else if (t->k == T_VBEGIN) {
      next(j);
      JN *x = node(j, N_OUT, t);
      x->a = expr(j);
      Tok *u = next(j);
      if (u->k != T_VEND) fail(j, u->line, u->col, "expected '}}', found %s", tokdesc(j, u));
      addkid(j, blk, x);
    } else if (t->k == T_BBEGIN) {
      Tok *nm = &j->toks[j->pos + 1];
      if (ends && nm->k == T_NAME)
        for (int i = 0; ends[i]; i++)
          if (isname(nm, ends[i])) { next(j); return blk; }
      if (nm->k == T_NAME && (isname(nm, "endif") || isname(nm, "endfor") || isname(nm, "elif") || isname(nm, "else") ||
                              isname(nm, "endset") || isname(nm, "endmacro")))
        fail(j, nm->line, nm->col, "unexpected '%.*s'%s", (int)nm->n, nm->s, ends ? "" : " (no tag open)");
      next(j);
      addkid(j, blk, statement(j, t));
    } else fail(j, t->line, t->col, "unexpected %s", tokdesc(j, t));
  }
}

/* ---- scopes ---- */
static void push(J *j, int barrier) {
  Frame *f = jalloc(j, sizeof *f);
  f->up = j->fr;
  f->barrier = barrier;
  j->fr = f;
}
static void pop(J *j) { j->fr = j->fr->up; }
static void setvar(J *j, const char *s, size_t n, JV v) {
  Frame *f = j->fr;
  for (int i = 0; i < f->n; i++)
    if (f->lens[i] == n && !memcmp(f->names[i], s, n)) { f->vals[i] = v; return; }
  if (f->n == f->cap) {
    int cap = f->cap ? f->cap * 2 : 8;
    const char **nm = jalloc(j, (size_t)cap * sizeof *nm);
    size_t *ln = jalloc(j, (size_t)cap * sizeof *ln);
    JV *vl = jalloc(j, (size_t)cap * sizeof *vl);
    if (f->n) {
      memcpy(nm, f->names, (size_t)f->n * sizeof *nm);
      memcpy(ln, f->lens, (size_t)f->n * sizeof *ln);
      memcpy(vl, f->vals, (size_t)f->n * sizeof *vl);
    }
    f->names = nm; f->lens = ln; f->vals = vl; f->cap = cap;
  }
  f->names[f->n] = s;
  f->lens[f->n] = n;
  f->vals[f->n++] = v;
}
static JV *lookup(J *j, const char *s, size_t n) {
  for (Frame *f = j->fr; f; f = f->up) {
    for (int i = f->n - 1; i >= 0; i--)
      if (f->lens[i] == n && !memcmp(f->names[i], s, n)) return &f->vals[i];
    if (f->barrier) {  /* a macro sees its own frame, the template's top level and the globals */
      for (f = j->top; f; f = f->up)
        for (int i = f->n - 1; i >= 0; i--)
          if (f->lens[i] == n && !memcmp(f->names[i], s, n)) return &f->vals[i];
      return NULL;
    }
  }
  return NULL;
}

/* ---- value helpers ---- */
static int truthy(const JV *v) {
  switch (v->t) {
  case JU: case JNONE: return 0;
  case JBOOL: case JINT: return v->i != 0;
  case JFLT: return v->f != 0;
  case JSTR: return v->n != 0;
  case JLIST: return v->l->n != 0;
  case JDICT: return v->d->n != 0;
  default: return 1;
  }
}
static const char *tname(const JV *v) {
  static const char *const n[] = {"undefined", "none", "bool", "int", "float", "str", "list", "dict", "function", "macro"};
  return n[v->t];
}
static int isnum(const JV *v) { return v->t == JINT || v->t == JBOOL || v->t == JFLT; }
static double numf(const JV *v) { return v->t == JFLT ? v->f : (double)v->i; }

static JV mklist(J *j, size_t n) {
  JV v = {0};
  v.t = JLIST;
  v.l = jalloc(j, sizeof *v.l);
  v.l->n = n;
  v.l->v = n ? jalloc(j, n * sizeof(JV)) : NULL;
  return v;
}
static JV mkdict(J *j) {
  JV v = {0};
  v.t = JDICT;
  v.d = jalloc(j, sizeof *v.d);
  return v;
}
static int equal(J *j, const JV *a, const JV *b);
static JV *dget(J *j, JDict *d, const JV *k) {
  for (size_t i = 0; i < d->n; i++) if (equal(j, &d->k[i], k)) return &d->v[i];
  return NULL;
}
static void dset(J *j, JDict *d, JV k, JV v) {
  JV *p = dget(j, d, &k);
  if (p) { *p = v; return; }
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 8;
    JV *kk = jalloc(j, cap * sizeof *kk), *vv = jalloc(j, cap * sizeof *vv);
    if (d->n) { memcpy(kk, d->k, d->n * sizeof *kk); memcpy(vv, d->v, d->n * sizeof *vv); }
    d->k = kk; d->v = vv; d->cap = cap;
  }
  d->k[d->n] = k;
  d->v[d->n++] = v;
}

static int equal_in(J *j, const JV *a, const JV *b);
static int equal(J *j, const JV *a, const JV *b) {
  nest(j);
  int r = equal_in(j, a, b);
  j->nest--;
  return r;
}
static int equal_in(J *j, const JV *a, const JV *b) {
  charge(j, 1);
  if (isnum(a) && isnum(b)) {
    if (a->t != JFLT && b->t != JFLT) return a->i == b->i;
    return numf(a) == numf(b);
  }
  if (a->t != b->t) return 0;
  switch (a->t) {
  case JU: case JNONE: return 1;
  case JSTR: charge(j, (long)(a->n / 64)); return a->n == b->n && !memcmp(a->s, b->s, a->n);
  case JLIST:
    if (a->l->n != b->l->n) return 0;
    for (size_t i = 0; i < a->l->n; i++) if (!equal(j, &a->l->v[i], &b->l->v[i])) return 0;
    return 1;
  case JDICT:
    if (a->d->n != b->d->n) return 0;
    for (size_t i = 0; i < a->d->n; i++) {
      JV *w = dget(j, b->d, &a->d->k[i]);
      if (!w || !equal(j, &a->d->v[i], w)) return 0;
    }
    return 1;
  default: return a == b;
  }
}

/* Python's repr of a float: the shortest form that reads back */
static void fmt_float(char *buf, size_t cap, double f) {
  if (isnan(f)) { snprintf(buf, cap, "nan"); return; }
  if (isinf(f)) { snprintf(buf, cap, f < 0 ? "-inf" : "inf"); return; }
  for (int p = 1; p <= 17; p++) {
    snprintf(buf, cap, "%.*g", p, f);
    if (strtod(buf, NULL) == f) break;
  }
  /* Python writes exponents as e+16 / e-05 and uses them from 1e16 and below 1e-4 */
  char *e = strchr(buf, 'e');
  if (e) {
    int ex = atoi(e + 1);
    char mant[40];
    snprintf(mant, sizeof mant, "%.*s", (int)(e - buf), buf);
    if (ex >= -4 && ex < 16) {  /* %g chose an exponent Python would not */
      for (int p = 1; p <= 17; p++) {
        snprintf(buf, cap, "%.*f", p < 0 ? 0 : (ex < 0 ? p - 1 - ex : (p - 1 - ex > 0 ? p - 1 - ex : 0)), f);
        if (strtod(buf, NULL) == f) break;
      }
    } else snprintf(buf, cap, "%se%c%02d", mant, ex < 0 ? '-' : '+', ex < 0 ? -ex : ex);
  }
  if (!strchr(buf, '.') && !strchr(buf, 'e') && !strchr(buf, 'n') && !strchr(buf, 'i')) {
    size_t l = strlen(buf);
    if (l + 2 < cap) { buf[l] = '.'; buf[l + 1] = '0'; buf[l + 2] = 0; }
  }
}

static void repr(J *j, Buf *b, const JV *v, int top);
static void str_of(J *j, Buf *b, const JV *v) { repr(j, b, v, 1); }
/* str() (top) or repr() of a value, as Python writes them */
static void repr_in(J *j, Buf *b, const JV *v, int top);
static void repr(J *j, Buf *b, const JV *v, int top) {
  nest(j);
  repr_in(j, b, v, top);
  j->nest--;
}
static void repr_in(J *j, Buf *b, const JV *v, int top) {
  char num[64];
  charge(j, 1);
  switch (v->t) {
  case JU: break;
  case JNONE: bputs(j, b, "None"); break;
  case JBOOL: bputs(j, b, v->i ? "True" : "False"); break;
  case JINT: snprintf(num, sizeof num, "%lld", (long long)v->i); bputs(j, b, num); break;
  case JFLT: fmt_float(num, sizeof num, v->f); bputs(j, b, num); break;
  case JSTR:
    if (top) { bput(j, b, v->s, v->n); break; }
    {
      int sq = memchr(v->s, '\'', v->n) != NULL, dq = memchr(v->s, '"', v->n) != NULL;
      char q = sq && !dq ? '"' : '\'';
      bput(j, b, &q, 1);
      for (size_t i = 0; i < v->n; i++) {
        unsigned char c = (unsigned char)v->s[i];
        if (c == (unsigned char)q || c == '\\') { bput(j, b, "\\", 1); bput(j, b, (char *)&c, 1); }
        else if (c == '\n') bputs(j, b, "\\n");
        else if (c == '\r') bputs(j, b, "\\r");
        else if (c == '\t') bputs(j, b, "\\t");
        else if (c < 0x20 || c == 0x7f) { snprintf(num, sizeof num, "\\x%02x", c); bputs(j, b, num); }
        else bput(j, b, (char *)&c, 1);
      }
      bput(j, b, &q, 1);
    }
    break;
  case JLIST:
    bputs(j, b, v->l->tuple ? "(" : "[");
    for (size_t i = 0; i < v->l->n; i++) { if (i) bputs(j, b, ", "); repr(j, b, &v->l->v[i], 0); }
    bputs(j, b, v->l->tuple ? (v->l->n == 1 ? ",)" : ")") : "]");
    break;
  case JDICT:
    if (v->d->ns) { bputs(j, b, "<Namespace>"); break; }
    bputs(j, b, "{");
    for (size_t i = 0; i < v->d->n; i++) {
      if (i) bputs(j, b, ", ");
      repr(j, b, &v->d->k[i], 0);
      bputs(j, b, ": ");
      repr(j, b, &v->d->v[i], 0);
    }
    bputs(j, b, "}");
    break;
  default: bputs(j, b, "<function>"); break;
  }
}
static JV tostr(J *j, const JV *v) {
  if (v->t == JSTR) return *v;
  Buf b = {0};
  str_of(j, &b, v);
  return mkstr(b.p ? b.p : "", b.n);
}

/* json.dumps(v, ensure_ascii=False) with transformers' separators; indent < 0: none */
static void tojson_in(J *j, Buf *b, const JV *v, int indent, int level);
static void tojson(J *j, Buf *b, const JV *v, int indent, int level) {
  nest(j);
  tojson_in(j, b, v, indent, level);
  j->nest--;
}
static void tojson_in(J *j, Buf *b, const JV *v, int indent, int level) {
  char num[64];
  charge(j, 1);
  if (level > j->depth_max) FAILH("tojson: the value nests deeper than %d", j->depth_max);
  switch (v->t) {
  case JU: FAILH("tojson: an undefined value");
  case JNONE: bputs(j, b, "null"); break;
  case JBOOL: bputs(j, b, v->i ? "true" : "false"); break;
  case JINT: case JFLT: {
    if (v->t == JFLT && isnan(v->f)) { bputs(j, b, "NaN"); break; }
    if (v->t == JFLT && isinf(v->f)) { bputs(j, b, v->f < 0 ? "-Infinity" : "Infinity"); break; }
    JV t = *v;
    Buf s = {0};
    str_of(j, &s, &t);
    bput(j, b, s.p, s.n);
    break;
  }
  case JSTR:
    bputs(j, b, "\"");
    for (size_t i = 0; i < v->n; i++) {
      unsigned char c = (unsigned char)v->s[i];
      if (c == '"') bputs(j, b, "\\\"");
      else if (c == '\\') bputs(j, b, "\\\\");
      else if (c == '\n') bputs(j, b, "\\n");
      else if (c == '\r') bputs(j, b, "\\r");
      else if (c == '\t') bputs(j, b, "\\t");
      else if (c == '\b') bputs(j, b, "\\b");
      else if (c == '\f') bputs(j, b, "\\f");
      else if (c < 0x20) { snprintf(num, sizeof num, "\\u%04x", c); bputs(j, b, num); }
      else bput(j, b, (char *)&c, 1);
    }
    bputs(j, b, "\"");
    break;
  case JLIST: case JDICT: {
    int isl = v->t == JLIST;
    size_t n = isl ? v->l->n : v->d->n;
    bputs(j, b, isl ? "[" : "{");
    if (!n) { bputs(j, b, isl ? "]" : "}"); break; }
    for (size_t i = 0; i < n; i++) {
      if (i) bputs(j, b, indent >= 0 ? "," : ", ");
      if (indent >= 0) { bputs(j, b, "\n"); for (int k = 0; k < indent * (level + 1); k++) bputs(j, b, " "); }
      if (isl) tojson(j, b, &v->l->v[i], indent, level + 1);
      else {
        JV k = v->d->k[i];
        if (k.t != JSTR) k = tostr(j, &k);
        tojson(j, b, &k, indent, level + 1);
        bputs(j, b, ": ");
        tojson(j, b, &v->d->v[i], indent, level + 1);
      }
    }
    if (indent >= 0) { bputs(j, b, "\n"); for (int k = 0; k < indent * level; k++) bputs(j, b, " "); }
    bputs(j, b, isl ? "]" : "}");
    break;
  }
  default: FAILH("tojson: a %s cannot be written as JSON", tname(v));
  }
}

/* ---- UTF-8 code points (Python indexes strings by them) ---- */
static size_t cp_count(const char *s, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++) if (((unsigned char)s[i] & 0xc0) != 0x80) c++;
  return c;
}
/* byte offset of code point k (k <= count) */
static size_t cp_off(const char *s, size_t n, size_t k) {
  size_t i = 0;
  while (i < n && k) { i++; while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80) i++; k--; }
  return i;
}
/* Python's str.isspace for the code point at s (its length in *len) */
static int uspace(const char *s, size_t n, size_t *len) {
  unsigned char c = (unsigned char)s[0];
  *len = 1;
  if (c < 0x80) return (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x20);
  uint32_t cp;
  size_t l = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
  if (l > n || l == 1) return 0;
  cp = c & (0x3f >> (l - 1));
  for (size_t i = 1; i < l; i++) cp = cp << 6 | ((unsigned char)s[i] & 63);
  *len = l;
  return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202f || cp == 0x205f || cp == 0x3000;
}
static int in_chars(const char *s, size_t n, const JV *chars, size_t *len) {
  if (!chars) return uspace(s, n, len);
  unsigned char c = (unsigned char)s[0];
  size_t l = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
  if (l > n) l = 1;
  *len = l;
  for (size_t i = 0; i + l <= chars->n; i++)
    if (!memcmp(chars->s + i, s, l)) return 1;
  return 0;
}
/* strip (both 3), lstrip (1), rstrip (2) */
static JV strip(J *j, const JV *v, int how, const JV *chars) {
  const char *s = v->s;
  size_t n = v->n, l;
  charge(j, (long)(n / 64));
  if (how & 1) while (n && in_chars(s, n, chars, &l)) { s += l; n -= l; }
  if (how & 2)
    while (n) {
      size_t k = n - 1;
      while (k && ((unsigned char)s[k] & 0xc0) == 0x80) k--;
      if (!in_chars(s + k, n - k, chars, &l) || l != n - k) break;
      n = k;
    }
  return mkstr(s, n);
}

/* ---- builtins ---- */
enum {
  F_RAISE = 1, F_STRFTIME, F_NAMESPACE, F_RANGE, F_DICT,
  M_STARTSWITH, M_ENDSWITH, M_STRIP, M_LSTRIP, M_RSTRIP, M_SPLIT, M_UPPER, M_LOWER, M_REPLACE, M_TITLE,
  M_CAPITALIZE, M_FIND, M_COUNT, M_ITEMS, M_KEYS, M_VALUES, M_GET
};
static const struct { const char *name; int id, on; } methods[] = {
  {"startswith", M_STARTSWITH, JSTR}, {"endswith", M_ENDSWITH, JSTR}, {"strip", M_STRIP, JSTR},
  {"lstrip", M_LSTRIP, JSTR}, {"rstrip", M_RSTRIP, JSTR}, {"split", M_SPLIT, JSTR}, {"upper", M_UPPER, JSTR},
  {"lower", M_LOWER, JSTR}, {"replace", M_REPLACE, JSTR}, {"title", M_TITLE, JSTR},
  {"capitalize", M_CAPITALIZE, JSTR}, {"find", M_FIND, JSTR}, {"count", M_COUNT, JSTR},
  {"items", M_ITEMS, JDICT}, {"keys", M_KEYS, JDICT}, {"values", M_VALUES, JDICT}, {"get", M_GET, JDICT},
  {NULL, 0, 0}};

static JV str_lower(J *j, const JV *v, int up) {
  char *p = jstrdup(j, v->s, v->n);
  charge(j, (long)(v->n / 64));
  for (size_t i = 0; i < v->n; i++) {
    if (up && p[i] >= 'a' && p[i] <= 'z') p[i] = (char)(p[i] - 32);
    if (!up && p[i] >= 'A' && p[i] <= 'Z') p[i] = (char)(p[i] + 32);
  }
  return mkstr(p, v->n);
}
static JV str_replace(J *j, const JV *s, const JV *a, const JV *b, int64_t count) {
  Buf o = {0};
  size_t i = 0;
  int64_t done = 0;
  if (!a->n) {  /* Python inserts b between every code point */
    for (;;) {
      if (count >= 0 && done >= count) { bput(j, &o, s->s + i, s->n - i); break; }
      bput(j, &o, b->s, b->n);
      done++;
      if (i >= s->n) break;
      size_t k = cp_off(s->s + i, s->n - i, 1);
      bput(j, &o, s->s + i, k);
      i += k;
    }
    return mkstr(o.p ? o.p : "", o.n);
  }
  while (i < s->n) {
    charge(j, 1);
    if ((count < 0 || done < count) && s->n - i >= a->n && !memcmp(s->s + i, a->s, a->n)) {
      bput(j, &o, b->s, b->n);
      i += a->n;
      done++;
    } else {
      const char *nx = NULL;
      if (count < 0 || done < count) {
        for (size_t k = i + 1; k + a->n <= s->n; k++) if (s->s[k] == a->s[0] && !memcmp(s->s + k, a->s, a->n)) { nx = s->s + k; break; }
      }
      size_t e = nx ? (size_t)(nx - s->s) : s->n;
      bput(j, &o, s->s + i, e - i);
      i = e;
    }
  }
  return mkstr(o.p ? o.p : "", o.n);
}
static JV str_split(J *j, const JV *s, const JV *sep, int64_t maxsplit) {
  JV *items = NULL;
  size_t n = 0, cap = 0;
  size_t i = 0;
#define PUSH(p, l) do { \
    if (n == cap) { cap = cap ? cap * 2 : 8; JV *ni = jalloc(j, cap * sizeof *ni); if (n) memcpy(ni, items, n * sizeof *ni); items = ni; } \
    items[n++] = mkstr(p, l); charge(j, 1); } while (0)
  if (sep) {
    if (!sep->n) FAILH("split: an empty separator");
    for (;;) {
      const char *f = NULL;
      if (maxsplit < 0 || (int64_t)n < maxsplit)
        for (size_t k = i; k + sep->n <= s->n; k++) if (!memcmp(s->s + k, sep->s, sep->n)) { f = s->s + k; break; }
      if (!f) { PUSH(s->s + i, s->n - i); break; }
      PUSH(s->s + i, (size_t)(f - s->s) - i);
      i = (size_t)(f - s->s) + sep->n;
    }
  } else {
    size_t l;
    for (;;) {
      while (i < s->n && uspace(s->s + i, s->n - i, &l)) i += l;
      if (i >= s->n) break;
      if (maxsplit >= 0 && (int64_t)n >= maxsplit) {
        JV rest = strip(j, &(JV){.t = JSTR, .s = s->s + i, .n = s->n - i}, 2, NULL);
        PUSH(rest.s, rest.n);
        break;
      }
      size_t st = i;
      while (i < s->n && !uspace(s->s + i, s->n - i, &l)) i += l;
      PUSH(s->s + st, i - st);
    }
  }
#undef PUSH
  JV r = mklist(j, 0);
  r.l->v = items;
  r.l->n = n;
  return r;
}

/* arguments of a call: positional values and keyword values */
typedef struct Args { JV pos[8]; int np; JV kwv[8]; const char *kwn[8]; size_t kwl[8]; int nk; } Args;
static JV eval(J *j, const JN *nd);
static void get_args(J *j, const JN *nd, Args *a) {
  memset(a, 0, sizeof *a);
  for (int i = 0; i < nd->nk; i++) {
    const JN *k = nd->kids[i];
    if (k->k == N_KW) {
      if (a->nk == 8) FAILN(k, "too many keyword arguments");
      a->kwn[a->nk] = k->s;
      a->kwl[a->nk] = k->n;
      a->kwv[a->nk++] = eval(j, k->a);
    } else {
      if (a->np == 8) FAILN(k, "too many arguments");
      a->pos[a->np++] = eval(j, k);
    }
  }
}
/* argument i by position or by name; NULL when absent */
static const JV *arg(const Args *a, int i, const char *name) {
  if (i < a->np) return &a->pos[i];
  for (int k = 0; k < a->nk; k++) if (a->kwl[k] == strlen(name) && !memcmp(a->kwn[k], name, a->kwl[k])) return &a->kwv[k];
  return NULL;
}
static const JV *need_str(J *j, const JN *nd, const JV *v, const char *what) {
  if (!v || v->t != JSTR) FAILN(nd, "%s takes a string, not %s", what, v ? tname(v) : "nothing");
  return v;
}
static int64_t need_int(J *j, const JN *nd, const JV *v, const char *what) {
  if (!v || (v->t != JINT && v->t != JBOOL)) FAILN(nd, "%s takes an integer, not %s", what, v ? tname(v) : "nothing");
  return v->i;
}

static void render(J *j, const JN *nd);

static JV call_macro(J *j, const JN *nd, const JN *mac, Args *a) {
  if (++j->depth > j->depth_max) FAILN(nd, "macro calls nest deeper than %d (the limit)", j->depth_max);
  push(j, 1);
  for (int i = 0; i < mac->nk; i++) {
    const JN *p = mac->kids[i];
    char nm[128];
    snprintf(nm, sizeof nm, "%.*s", (int)p->n, p->s);
    const JV *v = arg(a, i, nm);
    setvar(j, p->s, p->n, v ? *v : p->a ? eval(j, p->a) : mkundef());
  }
  if (a->np > mac->nk) FAILN(nd, "the macro '%.*s' takes %d arguments, given %d", (int)mac->n, mac->s, mac->nk, a->np);
  char *so = j->out;
  size_t son = j->on, scap = j->ocap;
  j->out = NULL; j->on = 0; j->ocap = 0;
  render(j, mac->b);
  JV r = mkstr(j->out ? j->out : "", j->on);
  j->out = so; j->on = son; j->ocap = scap;
  pop(j);
  j->depth--;
  return r;
}

static JV call(J *j, const JN *nd) {
  JV f = eval(j, nd->a);
  Args a;
  get_args(j, nd, &a);
  if (f.t == JMACRO) return call_macro(j, nd, f.mac, &a);
  if (f.t != JFUNC) {
    if (f.t == JU) FAILN(nd, "'%.*s' is undefined and cannot be called", nd->a->k == N_NAME || nd->a->k == N_ATTR ? (int)nd->a->n : 5,
                         nd->a->k == N_NAME || nd->a->k == N_ATTR ? nd->a->s : "value");
    FAILN(nd, "a %s cannot be called", tname(&f));
  }
  const JV *self = f.self;
  switch (f.fn) {
  case F_RAISE: {
    JV m = a.np ? tostr(j, &a.pos[0]) : mkstr("", 0);
    FAILN(nd, "the template refuses this conversation: %.*s", (int)(m.n > 300 ? 300 : m.n), m.s);
  }
  case F_STRFTIME: {
    const JV *fm = need_str(j, nd, arg(&a, 0, "format"), "strftime_now");
    char fmt[256], out[512];
    snprintf(fmt, sizeof fmt, "%.*s", (int)(fm->n > 255 ? 255 : fm->n), fm->s);
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    size_t n = strftime(out, sizeof out, fmt, &tm);
    return mkstr(jstrdup(j, out, n), n);
  }
  case F_NAMESPACE: case F_DICT: {
    JV d = mkdict(j);
    d.d->ns = f.fn == F_NAMESPACE;
    for (int i = 0; i < a.np; i++) {
      if (a.pos[i].t != JDICT) FAILN(nd, "%s() takes keyword arguments or a dict", f.fn == F_NAMESPACE ? "namespace" : "dict");
      for (size_t k = 0; k < a.pos[i].d->n; k++) dset(j, d.d, a.pos[i].d->k[k], a.pos[i].d->v[k]);
    }
    for (int i = 0; i < a.nk; i++) dset(j, d.d, mkstr(a.kwn[i], a.kwl[i]), a.kwv[i]);
    return d;
  }
  case F_RANGE: {
    int64_t lo = 0, hi, st = 1;
    if (a.np == 1) hi = need_int(j, nd, &a.pos[0], "range");
    else if (a.np >= 2) {
      lo = need_int(j, nd, &a.pos[0], "range");
      hi = need_int(j, nd, &a.pos[1], "range");
      if (a.np > 2) st = need_int(j, nd, &a.pos[2], "range");
    } else FAILN(nd, "range takes 1 to 3 integers");
    if (!st) FAILN(nd, "range: a step of 0");
    int64_t n = st > 0 ? (hi > lo ? (hi - lo + st - 1) / st : 0) : (lo > hi ? (lo - hi - st - 1) / -st : 0);
    if (n > 1000000) FAILN(nd, "range of %lld values (more than the limit of 1000000)", (long long)n);
    charge(j, (long)n);
    JV l = mklist(j, (size_t)n);
    for (int64_t i = 0; i < n; i++) l.l->v[i] = mkint(lo + i * st);
    return l;
  }
  case M_STARTSWITH: case M_ENDSWITH: {
    const JV *p = arg(&a, 0, "prefix");
    if (!p) FAILN(nd, "%s takes a string", f.s);
    int n = p->t == JLIST ? (int)p->l->n : 1;
    for (int i = 0; i < n; i++) {
      const JV *q = need_str(j, nd, p->t == JLIST ? &p->l->v[i] : p, f.s);
      if (q->n <= self->n && !memcmp(f.fn == M_STARTSWITH ? self->s : self->s + self->n - q->n, q->s, q->n)) return mkbool(1);
    }
    return mkbool(0);
  }
  case M_STRIP: case M_LSTRIP: case M_RSTRIP: {
    const JV *c = arg(&a, 0, "chars");
    if (c && c->t == JNONE) c = NULL;
    if (c) need_str(j, nd, c, f.s);
    return strip(j, self, f.fn == M_STRIP ? 3 : f.fn == M_LSTRIP ? 1 : 2, c);
  }
  case M_SPLIT: {
    const JV *sep = arg(&a, 0, "sep"), *mx = arg(&a, 1, "maxsplit");
    if (sep && sep->t == JNONE) sep = NULL;
    if (sep) need_str(j, nd, sep, "split");
    return str_split(j, self, sep, mx ? need_int(j, nd, mx, "split") : -1);
  }
  case M_UPPER: case M_LOWER: return str_lower(j, self, f.fn == M_UPPER);
  case M_TITLE: case M_CAPITALIZE: {
    char *p = jstrdup(j, self->s, self->n);
    int start = 1;
    for (size_t i = 0; i < self->n; i++) {
      char c = p[i];
      int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      if (f.fn == M_TITLE) {
        if (alpha) { p[i] = start ? (char)(c >= 'a' && c <= 'z' ? c - 32 : c) : (char)(c >= 'A' && c <= 'Z' ? c + 32 : c); start = 0; }
        else start = 1;
      } else p[i] = i == 0 ? (char)(c >= 'a' && c <= 'z' ? c - 32 : c) : (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    return mkstr(p, self->n);
  }
  case M_REPLACE: {
    const JV *x = need_str(j, nd, arg(&a, 0, "old"), "replace"), *y = need_str(j, nd, arg(&a, 1, "new"), "replace");
    const JV *c = arg(&a, 2, "count");
    return str_replace(j, self, x, y, c ? need_int(j, nd, c, "replace") : -1);
  }
  case M_FIND: case M_COUNT: {
    const JV *x = need_str(j, nd, arg(&a, 0, "sub"), f.s);
    int64_t cnt = 0;
    for (size_t k = 0; k + x->n <= self->n; k++) {
      charge(j, 1);
      if (!memcmp(self->s + k, x->s, x->n)) {
        if (f.fn == M_FIND) return mkint((int64_t)cp_count(self->s, k));
        cnt++;
        if (x->n) k += x->n - 1;
      }
    }
    if (f.fn == M_COUNT && !x->n) return mkint((int64_t)cp_count(self->s, self->n) + 1);
    return mkint(f.fn == M_FIND ? -1 : cnt);
  }
  case M_ITEMS: case M_KEYS: case M_VALUES: {
    JDict *d = self->d;
    JV l = mklist(j, d->n);
    for (size_t i = 0; i < d->n; i++) {
      if (f.fn == M_ITEMS) {
        JV p = mklist(j, 2);
        p.l->tuple = 1;
        p.l->v[0] = d->k[i];
        p.l->v[1] = d->v[i];
        l.l->v[i] = p;
      } else l.l->v[i] = f.fn == M_KEYS ? d->k[i] : d->v[i];
    }
    return l;
  }
  case M_GET: {
    const JV *k = arg(&a, 0, "key"), *dflt = arg(&a, 1, "default");
    if (!k) FAILN(nd, "get takes a key");
    JV *v = dget(j, self->d, k);
    return v ? *v : dflt ? *dflt : mknone();
  }
  }
  FAILN(nd, "this function cannot be called");
}

/* x.name (methods first, as Jinja's getattr) */
static JV getattr_(J *j, const JN *nd, const JV *o, const char *s, size_t n) {
  for (int i = 0; methods[i].name; i++)
    if (methods[i].on == o->t && strlen(methods[i].name) == n && !memcmp(methods[i].name, s, n) && !(o->t == JDICT && o->d->ns)) {
      JV f = {0};
      f.t = JFUNC;
      f.fn = methods[i].id;
      f.s = methods[i].name;
      JV *self = jalloc(j, sizeof *self);
      *self = *o;
      f.self = self;
      return f;
    }
  if (o->t == JDICT) {
    JV k = mkstr(s, n);
    JV *v = dget(j, o->d, &k);
    return v ? *v : mkundef();
  }
  if (o->t == JU) FAILN(nd, "'%.*s': the value it is read from is undefined", (int)n, s);
  return mkundef();
}

static int64_t norm_index(int64_t i, int64_t n) { return i < 0 ? i + n : i; }

static JV index_(J *j, const JN *nd, const JV *o, const JV *k) {
  if (o->t == JDICT) {
    JV *v = dget(j, o->d, k);
    if (v) return *v;
    if (k->t == JSTR) return getattr_(j, nd, o, k->s, k->n);
    return mkundef();
  }
  if (o->t == JLIST || o->t == JSTR) {
    if (k->t == JSTR) return getattr_(j, nd, o, k->s, k->n);
    if (k->t != JINT && k->t != JBOOL) FAILN(nd, "a %s index must be an integer, not %s", tname(o), tname(k));
    if (o->t == JLIST) {
      int64_t i = norm_index(k->i, (int64_t)o->l->n);
      return i >= 0 && i < (int64_t)o->l->n ? o->l->v[i] : mkundef();
    }
    int64_t cn = (int64_t)cp_count(o->s, o->n), i = norm_index(k->i, cn);
    if (i < 0 || i >= cn) return mkundef();
    size_t b0 = cp_off(o->s, o->n, (size_t)i), b1 = cp_off(o->s, o->n, (size_t)i + 1);
    return mkstr(o->s + b0, b1 - b0);
  }
  if (o->t == JU) FAILN(nd, "a subscript of an undefined value");
  return mkundef();
}

static JV slice(J *j, const JN *nd, const JV *o, const JV *lo, const JV *hi, const JV *st) {
  int64_t step = st && st->t != JNONE ? need_int(j, nd, st, "a slice") : 1;
  if (!step) FAILN(nd, "a slice step of 0");
  int64_t n;
  if (o->t == JLIST) n = (int64_t)o->l->n;
  else if (o->t == JSTR) n = (int64_t)cp_count(o->s, o->n);
  else FAILN(nd, "a %s cannot be sliced", tname(o));
  int64_t a, b;
  if (!lo || lo->t == JNONE) a = step > 0 ? 0 : n - 1;
  else { a = norm_index(need_int(j, nd, lo, "a slice"), n); a = step > 0 ? (a < 0 ? 0 : a > n ? n : a) : (a < 0 ? -1 : a >= n ? n - 1 : a); }
  if (!hi || hi->t == JNONE) b = step > 0 ? n : -1;
  else { b = norm_index(need_int(j, nd, hi, "a slice"), n); b = step > 0 ? (b < 0 ? 0 : b > n ? n : b) : (b < -1 ? -1 : b >= n ? n - 1 : b); }
  int64_t cnt = step > 0 ? (b > a ? (b - a + step - 1) / step : 0) : (a > b ? (a - b - step - 1) / -step : 0);
  charge(j, (long)cnt);
  if (o->t == JLIST) {
    JV r = mklist(j, (size_t)cnt);
    for (int64_t i = 0; i < cnt; i++) r.l->v[i] = o->l->v[a + i * step];
    return r;
  }
  if (step == 1) {
    size_t b0 = cp_off(o->s, o->n, (size_t)a), b1 = cp_off(o->s, o->n, (size_t)(a + cnt));
    return mkstr(o->s + b0, b1 - b0);
  }
  size_t *offs = jalloc(j, ((size_t)n + 1) * sizeof *offs);
  for (int64_t i = 0, p = 0; i <= n; i++) { offs[i] = (size_t)p; if (i < n) p += (int64_t)cp_off(o->s + p, o->n - (size_t)p, 1); }
  Buf bf = {0};
  for (int64_t i = 0; i < cnt; i++) { int64_t c = a + i * step; bput(j, &bf, o->s + offs[c], offs[c + 1] - offs[c]); }
  return mkstr(bf.p ? bf.p : "", bf.n);
}

/* the items a for loop or a filter walks */
static JV iterable(J *j, const JN *nd, const JV *v) {
  if (v->t == JLIST) return *v;
  if (v->t == JU || v->t == JNONE) {
    if (v->t == JNONE) FAILN(nd, "a none value cannot be iterated");
    return mklist(j, 0);
  }
  if (v->t == JDICT) {
    JV l = mklist(j, v->d->n);
    for (size_t i = 0; i < v->d->n; i++) l.l->v[i] = v->d->k[i];
    return l;
  }
  if (v->t == JSTR) {
    size_t n = cp_count(v->s, v->n), p = 0;
    JV l = mklist(j, n);
    for (size_t i = 0; i < n; i++) { size_t k = cp_off(v->s + p, v->n - p, 1); l.l->v[i] = mkstr(v->s + p, k); p += k; }
    return l;
  }
  FAILN(nd, "a %s cannot be iterated", tname(v));
}

static int compare_lt(J *j, const JN *nd, const JV *a, const JV *b) {
  if (isnum(a) && isnum(b)) return a->t != JFLT && b->t != JFLT ? a->i < b->i : numf(a) < numf(b);
  if (a->t == JSTR && b->t == JSTR) {
    size_t m = a->n < b->n ? a->n : b->n;
    int c = memcmp(a->s, b->s, m);
    return c < 0 || (c == 0 && a->n < b->n);
  }
  FAILN(nd, "a %s and a %s cannot be ordered", tname(a), tname(b));
}

static int contains(J *j, const JN *nd, const JV *hay, const JV *x) {
  if (hay->t == JSTR) {
    if (x->t != JSTR) FAILN(nd, "'in <string>' needs a string on the left, not %s", tname(x));
    if (!x->n) return 1;
    charge(j, (long)(hay->n / 64));
    for (size_t i = 0; i + x->n <= hay->n; i++) if (!memcmp(hay->s + i, x->s, x->n)) return 1;
    return 0;
  }
  if (hay->t == JLIST) { for (size_t i = 0; i < hay->l->n; i++) if (equal(j, &hay->l->v[i], x)) return 1; return 0; }
  if (hay->t == JDICT) return dget(j, hay->d, x) != NULL;
  if (hay->t == JU) return 0;
  FAILN(nd, "'in' needs a string, list or dict on the right, not %s", tname(hay));
}

static JV arith(J *j, const JN *nd, int op, const JV *a, const JV *b) {
  if (op == '~') {
    JV x = tostr(j, a), y = tostr(j, b);
    Buf o = {0};
    bput(j, &o, x.s, x.n);
    bput(j, &o, y.s, y.n);
    return mkstr(o.p ? o.p : "", o.n);
  }
  if (op == '+' && a->t == JSTR && b->t == JSTR) {
    char *p = jalloc(j, a->n + b->n + 1);
    memcpy(p, a->s, a->n);
    memcpy(p + a->n, b->s, b->n);
    charge(j, (long)((a->n + b->n) / 64));
    return mkstr(p, a->n + b->n);
  }
  if (op == '+' && a->t == JLIST && b->t == JLIST) {
    JV r = mklist(j, a->l->n + b->l->n);
    if (a->l->n) memcpy(r.l->v, a->l->v, a->l->n * sizeof(JV));
    if (b->l->n) memcpy(r.l->v + a->l->n, b->l->v, b->l->n * sizeof(JV));
    return r;
  }
  if (op == '*' && ((a->t == JSTR && (b->t == JINT || b->t == JBOOL)) || (b->t == JSTR && (a->t == JINT || a->t == JBOOL)))) {
    const JV *s = a->t == JSTR ? a : b;
    int64_t k = a->t == JSTR ? b->i : a->i;
    if (k <= 0) return mkstr("", 0);
    if (s->n && (uint64_t)k > (j->mem_max / s->n)) FAILN(nd, "a repeated string larger than the memory limit");
    Buf o = {0};
    for (int64_t i = 0; i < k; i++) bput(j, &o, s->s, s->n);
    return mkstr(o.p ? o.p : "", o.n);
  }
  if (!isnum(a) || !isnum(b)) {
    if (a->t == JU || b->t == JU) FAILN(nd, "'%c' with an undefined value", op == 'D' ? '/' : op == 'P' ? '*' : op);
    FAILN(nd, "'%s' between a %s and a %s is not supported", op == 'D' ? "//" : op == 'P' ? "**" : (char[]){(char)op, 0},
          tname(a), tname(b));
  }
  int fl = a->t == JFLT || b->t == JFLT;
  if (op == '/') {
    if (numf(b) == 0) FAILN(nd, "division by zero");
    return mkflt(numf(a) / numf(b));
  }
  if (fl) {
    double x = numf(a), y = numf(b);
    switch (op) {
    case '+': return mkflt(x + y);
    case '-': return mkflt(x - y);
    case '*': return mkflt(x * y);
    case 'P': return mkflt(pow(x, y));
    case 'D': if (y == 0) FAILN(nd, "division by zero"); return mkflt(floor(x / y));
    case '%': { if (y == 0) FAILN(nd, "division by zero"); double m = fmod(x, y); if (m != 0 && (m < 0) != (y < 0)) m += y; return mkflt(m); }
    }
  }
  int64_t x = a->i, y = b->i, r;
  switch (op) {
  case '+': if (__builtin_add_overflow(x, y, &r)) FAILN(nd, "integer overflow"); return mkint(r);
  case '-': if (__builtin_sub_overflow(x, y, &r)) FAILN(nd, "integer overflow"); return mkint(r);
  case '*': if (__builtin_mul_overflow(x, y, &r)) FAILN(nd, "integer overflow"); return mkint(r);
  case 'D': case '%': {
    if (y == 0) FAILN(nd, "division by zero");
    if (x == INT64_MIN && y == -1) FAILN(nd, "integer overflow");
    int64_t q = x / y, m = x % y;
    if (m != 0 && ((m < 0) != (y < 0))) { q--; m += y; }
    return mkint(op == 'D' ? q : m);
  }
  case 'P': {
    if (y < 0) return mkflt(pow((double)x, (double)y));
    int64_t p = 1;
    for (int64_t i = 0; i < y; i++) { if (__builtin_mul_overflow(p, x, &p)) FAILN(nd, "integer overflow"); charge(j, 1); }
    return mkint(p);
  }
  }
  FAILN(nd, "bad operator");
}

/* ---- tests and filters ---- */
static int run_test(J *j, const JN *nd, const char *name, size_t n, const JV *v, const Args *a) {
#define IS(x) (n == strlen(x) && !memcmp(name, x, n))
  if (IS("defined")) return v->t != JU;
  if (IS("undefined")) return v->t == JU;
  if (IS("none")) return v->t == JNONE;
  if (IS("string")) return v->t == JSTR;
  if (IS("mapping")) return v->t == JDICT;
  if (IS("iterable")) return v->t == JSTR || v->t == JLIST || v->t == JDICT;
  if (IS("sequence")) return v->t == JSTR || v->t == JLIST || v->t == JDICT;
  if (IS("number")) return isnum(v);
  if (IS("integer")) return v->t == JINT;
  if (IS("float")) return v->t == JFLT;
  if (IS("boolean")) return v->t == JBOOL;
  if (IS("true")) return v->t == JBOOL && v->i;
  if (IS("false")) return v->t == JBOOL && !v->i;
  if (IS("callable")) return v->t == JFUNC || v->t == JMACRO;
  if (IS("lower") || IS("upper")) {
    if (v->t != JSTR) return 0;
    int cased = 0;
    for (size_t i = 0; i < v->n; i++) {
      char c = v->s[i];
      if ((IS("lower") && c >= 'A' && c <= 'Z') || (IS("upper") && c >= 'a' && c <= 'z')) return 0;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) cased = 1;
    }
    return cased;
  }
  if (IS("odd") || IS("even")) {
    if (v->t != JINT && v->t != JBOOL) FAILN(nd, "the test '%.*s' takes an integer", (int)n, name);
    return IS("odd") ? (v->i & 1) != 0 : (v->i & 1) == 0;
  }
  if (!a || a->np < 1) FAILN(nd, "the test '%.*s' takes an argument", (int)n, name);
  const JV *x = &a->pos[0];
  if (IS("equalto") || IS("eq") || IS("==")) return equal(j, v, x);
  if (IS("ne") || IS("!=")) return !equal(j, v, x);
  if (IS("in")) return contains(j, nd, x, v);
  if (IS("lt") || IS("<")) return compare_lt(j, nd, v, x);
  if (IS("gt") || IS(">")) return compare_lt(j, nd, x, v);
  if (IS("le") || IS("<=")) return !compare_lt(j, nd, x, v);
  if (IS("ge") || IS(">=")) return !compare_lt(j, nd, v, x);
  if (IS("divisibleby")) {
    int64_t d = need_int(j, nd, x, "divisibleby");
    if (!d) FAILN(nd, "divisibleby 0");
    return need_int(j, nd, v, "divisibleby") % d == 0;
  }
#undef IS
  FAILN(nd, "the test '%.*s' is not supported", (int)n, name);
}

/* an item's attribute by a dotted path (selectattr, map, join, sum) */
static JV attr_path(J *j, const JN *nd, JV v, const JV *path) {
  size_t i = 0;
  while (i <= path->n) {
    size_t e = i;
    while (e < path->n && path->s[e] != '.') e++;
    int isnumk = e > i;
    for (size_t k = i; k < e; k++) if (!isdig(path->s[k])) isnumk = 0;
    if (isnumk && v.t == JLIST) { JV k = mkint(atoll(jstrdup(j, path->s + i, e - i))); v = index_(j, nd, &v, &k); }
    else { JV k = mkstr(path->s + i, e - i); v = v.t == JDICT || v.t == JLIST || v.t == JSTR ? index_(j, nd, &v, &k) : mkundef(); }
    i = e + 1;
  }
  return v;
}

static JV filter(J *j, const JN *nd) {
  JV v = eval(j, nd->a);
  Args a;
  get_args(j, nd, &a);
  const char *name = nd->s;
  size_t n = nd->n;
#define IS(x) (n == strlen(x) && !memcmp(name, x, n))
  j->line = nd->line;
  j->col = nd->col;
  if (IS("safe")) return v;
  if (IS("default") || IS("d")) {
    const JV *b = arg(&a, 1, "boolean");
    if (v.t == JU || (b && truthy(b) && !truthy(&v))) { const JV *d = arg(&a, 0, "default_value"); return d ? *d : mkstr("", 0); }
    return v;
  }
  if (IS("length") || IS("count")) {
    if (v.t == JSTR) return mkint((int64_t)cp_count(v.s, v.n));
    if (v.t == JLIST) return mkint((int64_t)v.l->n);
    if (v.t == JDICT) return mkint((int64_t)v.d->n);
    if (v.t == JU) return mkint(0);
    FAILN(nd, "length of a %s", tname(&v));
  }
  if (IS("string")) return tostr(j, &v);
  if (IS("trim")) {
    JV s = tostr(j, &v);
    const JV *c = arg(&a, 0, "chars");
    return strip(j, &s, 3, c && c->t == JSTR ? c : NULL);
  }
  if (IS("upper") || IS("lower")) { JV s = tostr(j, &v); return str_lower(j, &s, IS("upper")); }
  if (IS("capitalize") || IS("title")) {
    JV s = tostr(j, &v);
    JV f = {0};
    f.t = JFUNC; f.fn = IS("title") ? M_TITLE : M_CAPITALIZE; f.self = &s;
    /* reuse the method: a call node with no arguments */
    char *p = jstrdup(j, s.s, s.n);
    int start = 1;
    for (size_t i = 0; i < s.n; i++) {
      char c = p[i];
      int al = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      if (f.fn == M_TITLE) {
        if (al) { p[i] = start ? (char)(c >= 'a' && c <= 'z' ? c - 32 : c) : (char)(c >= 'A' && c <= 'Z' ? c + 32 : c); start = 0; }
        else start = 1;
      } else p[i] = i == 0 ? (char)(c >= 'a' && c <= 'z' ? c - 32 : c) : (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    return mkstr(p, s.n);
  }
  if (IS("replace")) {
    JV s = tostr(j, &v);
    const JV *x = arg(&a, 0, "old"), *y = arg(&a, 1, "new"), *c = arg(&a, 2, "count");
    JV xs = x ? tostr(j, x) : mkstr("", 0), ys = y ? tostr(j, y) : mkstr("", 0);
    if (!x || !y) FAILN(nd, "replace takes two strings");
    return str_replace(j, &s, &xs, &ys, c && c->t != JNONE ? need_int(j, nd, c, "replace") : -1);
  }
  if (IS("tojson")) {
    const JV *ind = arg(&a, 0, "indent");
    Buf b = {0};
    tojson(j, &b, &v, ind && ind->t != JNONE ? (int)need_int(j, nd, ind, "tojson indent") : -1, 0);
    return mkstr(b.p ? b.p : "", b.n);
  }
  if (IS("int")) {
    if (v.t == JINT) return v;
    if (v.t == JBOOL) return mkint(v.i);
    if (v.t == JFLT) return isfinite(v.f) && fabs(v.f) < 9e18 ? mkint((int64_t)v.f) : mkint(0);
    if (v.t == JSTR) { char *t = jstrdup(j, v.s, v.n), *e; long long x = strtoll(t, &e, 10); return mkint(*e || e == t ? 0 : x); }
    return mkint(0);
  }
  if (IS("float")) {
    if (isnum(&v)) return mkflt(numf(&v));
    if (v.t == JSTR) { char *t = jstrdup(j, v.s, v.n), *e; double x = strtod(t, &e); return mkflt(*e || e == t ? 0 : x); }
    return mkflt(0);
  }
  if (IS("abs")) {
    if (v.t == JFLT) return mkflt(fabs(v.f));
    if (v.t == JINT || v.t == JBOOL) { if (v.i == INT64_MIN) FAILN(nd, "integer overflow"); return mkint(v.i < 0 ? -v.i : v.i); }
    FAILN(nd, "abs of a %s", tname(&v));
  }
  if (IS("items")) {
    if (v.t == JU) return mklist(j, 0);
    if (v.t != JDICT) FAILN(nd, "items of a %s", tname(&v));
    JV l = mklist(j, v.d->n);
    for (size_t i = 0; i < v.d->n; i++) { JV p = mklist(j, 2); p.l->tuple = 1; p.l->v[0] = v.d->k[i]; p.l->v[1] = v.d->v[i]; l.l->v[i] = p; }
    return l;
  }
  if (IS("first") || IS("last")) {
    JV l = iterable(j, nd, &v);
    if (!l.l->n) return mkundef();
    return l.l->v[IS("first") ? 0 : l.l->n - 1];
  }
  if (IS("list")) return iterable(j, nd, &v);
  if (IS("reverse")) {
    if (v.t == JSTR) { JV m1 = mkint(-1); return slice(j, nd, &v, NULL, NULL, &m1); }
    JV l = iterable(j, nd, &v), r = mklist(j, l.l->n);
    for (size_t i = 0; i < l.l->n; i++) r.l->v[i] = l.l->v[l.l->n - 1 - i];
    return r;
  }
  if (IS("join")) {
    JV l = iterable(j, nd, &v);
    const JV *sep = arg(&a, 0, "d"), *at = arg(&a, 1, "attribute");
    JV sp = sep ? tostr(j, sep) : mkstr("", 0);
    Buf b = {0};
    for (size_t i = 0; i < l.l->n; i++) {
      if (i) bput(j, &b, sp.s, sp.n);
      JV it = at ? attr_path(j, nd, l.l->v[i], need_str(j, nd, at, "join attribute")) : l.l->v[i];
      JV s = tostr(j, &it);
      bput(j, &b, s.s, s.n);
    }
    return mkstr(b.p ? b.p : "", b.n);
  }
  if (IS("unique")) {
    JV l = iterable(j, nd, &v), r = mklist(j, l.l->n);
    size_t k = 0;
    for (size_t i = 0; i < l.l->n; i++) {
      int seen = 0;
      for (size_t m = 0; m < k && !seen; m++) seen = equal(j, &r.l->v[m], &l.l->v[i]);
      if (!seen) r.l->v[k++] = l.l->v[i];
    }
    r.l->n = k;
    return r;
  }
  if (IS("selectattr") || IS("rejectattr") || IS("map")) {
    JV l = iterable(j, nd, &v), r = mklist(j, l.l->n);
    size_t k = 0;
    if (IS("map")) {
      const JV *at = arg(&a, 99, "attribute");
      if (!at) FAILN(nd, "map is supported with attribute= only");
      const JV *df = arg(&a, 99, "default");
      for (size_t i = 0; i < l.l->n; i++) {
        JV x = attr_path(j, nd, l.l->v[i], need_str(j, nd, at, "map attribute"));
        r.l->v[k++] = x.t == JU && df ? *df : x;
      }
      r.l->n = k;
      return r;
    }
    if (a.np < 1) FAILN(nd, "%.*s takes an attribute name", (int)n, name);
    const JV *at = need_str(j, nd, &a.pos[0], "selectattr");
    Args ta;
    memset(&ta, 0, sizeof ta);
    for (int i = 2; i < a.np; i++) ta.pos[ta.np++] = a.pos[i];
    const JV *tn = a.np > 1 ? need_str(j, nd, &a.pos[1], "selectattr test") : NULL;
    if (tn && inlist(tests, tn->s, tn->n) < 0) FAILN(nd, "the test '%.*s' is not supported", (int)tn->n, tn->s);
    for (size_t i = 0; i < l.l->n; i++) {
      JV x = attr_path(j, nd, l.l->v[i], at);
      int ok = tn ? run_test(j, nd, tn->s, tn->n, &x, &ta) : truthy(&x);
      if (ok == IS("selectattr")) r.l->v[k++] = l.l->v[i];
    }
    r.l->n = k;
    return r;
  }
  if (IS("e") || IS("escape")) {
    JV s = tostr(j, &v);
    Buf b = {0};
    for (size_t i = 0; i < s.n; i++) {
      char c = s.s[i];
      if (c == '&') bputs(j, &b, "&amp;");
      else if (c == '<') bputs(j, &b, "&lt;");
      else if (c == '>') bputs(j, &b, "&gt;");
      else if (c == '"') bputs(j, &b, "&#34;");
      else if (c == '\'') bputs(j, &b, "&#39;");
      else bput(j, &b, &c, 1);
    }
    return mkstr(b.p ? b.p : "", b.n);
  }
  if (IS("sum")) {
    JV l = iterable(j, nd, &v);
    const JV *at = arg(&a, 99, "attribute");
    JV acc = mkint(0);
    for (size_t i = 0; i < l.l->n; i++) {
      JV x = at ? attr_path(j, nd, l.l->v[i], need_str(j, nd, at, "sum attribute")) : l.l->v[i];
      acc = arith(j, nd, '+', &acc, &x);
    }
    return acc;
  }
  if (IS("min") || IS("max")) {
    JV l = iterable(j, nd, &v);
    if (!l.l->n) return mkundef();
    JV best = l.l->v[0];
    for (size_t i = 1; i < l.l->n; i++) {
      int lt = compare_lt(j, nd, &l.l->v[i], &best);
      if (IS("min") ? lt : compare_lt(j, nd, &best, &l.l->v[i])) best = l.l->v[i];
    }
    return best;
  }
  if (IS("indent")) {
    JV s = tostr(j, &v);
    const JV *w = arg(&a, 0, "width"), *first = arg(&a, 1, "first"), *blank = arg(&a, 2, "blank");
    Buf pad = {0};
    if (w && w->t == JSTR) bput(j, &pad, w->s, w->n);
    else { int64_t k = w ? need_int(j, nd, w, "indent") : 4; if (k > 1000) k = 1000; for (int64_t i = 0; i < k; i++) bputs(j, &pad, " "); }
    Buf b = {0};
    size_t i = 0;
    int firstline = 1;
    while (i <= s.n) {
      size_t e = i;
      while (e < s.n && s.s[e] != '\n') e++;
      int empty = e == i;
      if ((!firstline || (first && truthy(first))) && (!empty || (blank && truthy(blank)))) bput(j, &b, pad.p, pad.n);
      bput(j, &b, s.s + i, e - i);
      if (e < s.n) bputs(j, &b, "\n");
      firstline = 0;
      i = e + 1;
    }
    return mkstr(b.p ? b.p : "", b.n);
  }
#undef IS
  FAILN(nd, "the filter '%.*s' is not supported", (int)n, name);
}

/* ---- evaluation ---- */
static JV eval_in(J *j, const JN *nd);
static JV eval(J *j, const JN *nd) {
  nest(j);
  JV v = eval_in(j, nd);
  j->nest--;
  return v;
}
static JV eval_in(J *j, const JN *nd) {
  charge(j, 1);
  j->line = nd->line;
  j->col = nd->col;
  switch (nd->k) {
  case N_LIT: return nd->v;
  case N_NAME: {
    JV *v = lookup(j, nd->s, nd->n);
    return v ? *v : mkundef();
  }
  case N_ATTR: {
    JV o = eval(j, nd->a);
    return getattr_(j, nd, &o, nd->s, nd->n);
  }
  case N_INDEX: {
    JV o = eval(j, nd->a), k = eval(j, nd->b);
    return index_(j, nd, &o, &k);
  }
  case N_SLICE: {
    JV o = eval(j, nd->a), lo = nd->b ? eval(j, nd->b) : mknone(), hi = nd->c ? eval(j, nd->c) : mknone(),
       st = nd->d ? eval(j, nd->d) : mknone();
    return slice(j, nd, &o, &lo, &hi, &st);
  }
  case N_CALL: return call(j, nd);
  case N_FILTER: return filter(j, nd);
  case N_TEST: {
    JV v = eval(j, nd->a);
    Args a;
    get_args(j, nd, &a);
    return mkbool(run_test(j, nd, nd->s, nd->n, &v, &a) != nd->neg);
  }
  case N_NEG: case N_POS: {
    JV v = eval(j, nd->a);
    if (!isnum(&v)) FAILN(nd, "unary '%c' of a %s", nd->k == N_NEG ? '-' : '+', tname(&v));
    if (nd->k == N_POS) return v.t == JBOOL ? mkint(v.i) : v;
    if (v.t == JFLT) return mkflt(-v.f);
    if (v.i == INT64_MIN) FAILN(nd, "integer overflow");
    return mkint(-v.i);
  }
  case N_NOT: { JV v = eval(j, nd->a); return mkbool(!truthy(&v)); }
  case N_AND: { JV v = eval(j, nd->a); return truthy(&v) ? eval(j, nd->b) : v; }
  case N_OR: { JV v = eval(j, nd->a); return truthy(&v) ? v : eval(j, nd->b); }
  case N_COND: {
    JV c = eval(j, nd->a);
    if (truthy(&c)) return eval(j, nd->b);
    return nd->c ? eval(j, nd->c) : mkundef();
  }
  case N_LIST: {
    JV l = mklist(j, (size_t)nd->nk);
    l.l->tuple = nd->op;
    for (int i = 0; i < nd->nk; i++) l.l->v[i] = eval(j, nd->kids[i]);
    return l;
  }
  case N_DICT: {
    JV d = mkdict(j);
    for (int i = 0; i + 1 < nd->nk; i += 2) {
      JV k = eval(j, nd->kids[i]);
      if (k.t == JLIST || k.t == JDICT || k.t == JU) FAILN(nd->kids[i], "a %s cannot be a dict key", tname(&k));
      dset(j, d.d, k, eval(j, nd->kids[i + 1]));
    }
    return d;
  }
  case N_BIN: {
    JV a = eval(j, nd->a), b = eval(j, nd->b);
    switch (nd->op) {
    case OP_EQ: return mkbool(equal(j, &a, &b));
    case OP_NE: return mkbool(!equal(j, &a, &b));
    case OP_LT: return mkbool(compare_lt(j, nd, &a, &b));
    case OP_GT: return mkbool(compare_lt(j, nd, &b, &a));
    case OP_LE: return mkbool(!compare_lt(j, nd, &b, &a));
    case OP_GE: return mkbool(!compare_lt(j, nd, &a, &b));
    case OP_IN: return mkbool(contains(j, nd, &b, &a));
    case OP_NOTIN: return mkbool(!contains(j, nd, &b, &a));
    default: return arith(j, nd, nd->op, &a, &b);
    }
  }
  }
  FAILN(nd, "this is not an expression");
}

static void emit(J *j, const char *s, size_t n) {
  if (j->on + n > j->out_max) FAILH("the template's output passed %zu bytes (the limit)", j->out_max);
  if (j->on + n + 1 > j->ocap) {
    size_t cap = j->ocap ? j->ocap * 2 : 4096;
    while (cap < j->on + n + 1) cap *= 2;
    char *p = jalloc(j, cap);
    if (j->on) memcpy(p, j->out, j->on);
    j->out = p;
    j->ocap = cap;
  }
  memcpy(j->out + j->on, s, n);
  j->on += n;
  j->out[j->on] = 0;
  charge(j, (long)(n / 64));
}

static void render_in(J *j, const JN *nd);
static void render(J *j, const JN *nd) {
  nest(j);
  render_in(j, nd);
  j->nest--;
}
static void render_in(J *j, const JN *nd) {
  charge(j, 1);
  j->line = nd->line;
  j->col = nd->col;
  switch (nd->k) {
  case N_BLOCK:
    for (int i = 0; i < nd->nk && !j->brk && !j->cont; i++) render(j, nd->kids[i]);
    return;
  case N_TEXT: emit(j, nd->s, nd->n); return;
  case N_OUT: {
    JV v = eval(j, nd->a);
    if (v.t == JSTR) { emit(j, v.s, v.n); return; }
    Buf b = {0};
    str_of(j, &b, &v);
    emit(j, b.p ? b.p : "", b.n);
    return;
  }
  case N_IF: {
    JV c = eval(j, nd->a);
    if (truthy(&c)) render(j, nd->b);
    else if (nd->c) render(j, nd->c);
    return;
  }
  case N_FOR: {
    JV src = eval(j, nd->b);
    JV items = iterable(j, nd, &src);
    JList *l = items.l;
    if (nd->c) {  /* the loop's filter: loop.* count the kept items */
      JV kept = mklist(j, l->n);
      size_t k = 0;
      for (size_t i = 0; i < l->n; i++) {
        push(j, 0);
        /* bind the target to test the condition */
        if (nd->a->nk == 1) setvar(j, nd->a->kids[0]->s, nd->a->kids[0]->n, l->v[i]);
        else {
          JV it = l->v[i];
          for (int t = 0; t < nd->a->nk; t++) {
            JV x = it.t == JLIST && (size_t)t < it.l->n ? it.l->v[t] : mkundef();
            setvar(j, nd->a->kids[t]->s, nd->a->kids[t]->n, x);
          }
        }
        JV c = eval(j, nd->c);
        pop(j);
        if (truthy(&c)) kept.l->v[k++] = l->v[i];
      }
      kept.l->n = k;
      l = kept.l;
    }
    if (!l->n) { if (nd->e) render(j, nd->e); return; }
    push(j, 0);
    Frame *fr = j->fr;
    JV loop = mkdict(j);
    for (size_t i = 0; i < l->n; i++) {
      fr->n = 0;
      int64_t n = (int64_t)l->n, ii = (int64_t)i;
      dset(j, loop.d, mkstr("index0", 6), mkint(ii));
      dset(j, loop.d, mkstr("index", 5), mkint(ii + 1));
      dset(j, loop.d, mkstr("revindex0", 9), mkint(n - ii - 1));
      dset(j, loop.d, mkstr("revindex", 8), mkint(n - ii));
      dset(j, loop.d, mkstr("first", 5), mkbool(i == 0));
      dset(j, loop.d, mkstr("last", 4), mkbool(i + 1 == l->n));
      dset(j, loop.d, mkstr("length", 6), mkint(n));
      dset(j, loop.d, mkstr("depth", 5), mkint(1));
      dset(j, loop.d, mkstr("depth0", 6), mkint(0));
      dset(j, loop.d, mkstr("previtem", 8), i ? l->v[i - 1] : mkundef());
      dset(j, loop.d, mkstr("nextitem", 8), i + 1 < l->n ? l->v[i + 1] : mkundef());
      setvar(j, "loop", 4, loop);
      JV it = l->v[i];
      if (nd->a->nk == 1) setvar(j, nd->a->kids[0]->s, nd->a->kids[0]->n, it);
      else {
        JV t = it.t == JLIST ? it : iterable(j, nd, &it);
        if ((int)t.l->n != nd->a->nk) FAILN(nd, "cannot unpack %zu values into %d loop variables", t.l->n, nd->a->nk);
        for (int k = 0; k < nd->a->nk; k++) setvar(j, nd->a->kids[k]->s, nd->a->kids[k]->n, t.l->v[k]);
      }
      render(j, nd->d);
      j->fr = fr;
      j->cont = 0;
      if (j->brk) { j->brk = 0; break; }
    }
    pop(j);
    return;
  }
  case N_SET: {
    JV v = eval(j, nd->b);
    if (nd->a->k == N_NAME) { setvar(j, nd->a->s, nd->a->n, v); return; }
    JV o = eval(j, nd->a->a);
    if (o.t != JDICT || !o.d->ns) FAILN(nd->a, "'set %.*s.%.*s': only a namespace() takes attributes", (int)nd->a->a->n,
                                       nd->a->a->s, (int)nd->a->n, nd->a->s);
    dset(j, o.d, mkstr(nd->a->s, nd->a->n), v);
    return;
  }
  case N_SETBLOCK: {
    char *so = j->out;
    size_t son = j->on, scap = j->ocap;
    j->out = NULL; j->on = 0; j->ocap = 0;
    render(j, nd->b);
    JV r = mkstr(j->out ? j->out : "", j->on);
    j->out = so; j->on = son; j->ocap = scap;
    setvar(j, nd->a->s, nd->a->n, r);
    return;
  }
  case N_MACRO: {
    JV m = {0};
    m.t = JMACRO;
    m.mac = nd;
    setvar(j, nd->s, nd->n, m);
    return;
  }
  case N_BREAK: j->brk = 1; return;
  case N_CONTINUE: j->cont = 1; return;
  }
  FAILN(nd, "this is not a statement");
}

/* break/continue must be inside a for loop: checked before the render */
static void check_loops(J *j, const JN *nd, int inloop, int depth) {
  if (!nd) return;
  if (depth > 4 * j->depth_max) FAILN(nd, "the template nests deeper than %d (the limit)", 4 * j->depth_max);
  if ((nd->k == N_BREAK || nd->k == N_CONTINUE) && !inloop)
    FAILN(nd, "'%s' outside a for loop", nd->k == N_BREAK ? "break" : "continue");
  if (nd->k == N_MACRO) inloop = 0;
  if (nd->k == N_BLOCK || nd->k == N_IF || nd->k == N_FOR || nd->k == N_SETBLOCK || nd->k == N_MACRO) {
    for (int i = 0; i < nd->nk; i++) check_loops(j, nd->kids[i], inloop, depth + 1);
    check_loops(j, nd->b, inloop, depth + 1);
    check_loops(j, nd->c, inloop, depth + 1);
    check_loops(j, nd->d, inloop || nd->k == N_FOR, depth + 1);
    check_loops(j, nd->e, inloop, depth + 1);
  }
}

static void free_chunks(J *j) {
  for (Chunk *c = j->chunks, *nx; c; c = nx) { nx = c->next; free(c); }
  j->chunks = NULL;
}

/* parse and render (errors longjmp to vn_jinja_render) */
static char *run(J *j, const char *tmpl, size_t len, const VnJinjaIn *in) {
  /* as Jinja reads a template: newlines normalized to \n, one trailing newline dropped */
  if (len > j->mem_max / 4) fail(j, 0, 0, "the template is larger than the memory limit allows");
  char *src = jalloc(j, len + 1);
  size_t n = 0;
  for (size_t i = 0; i < len; i++) {
    if (tmpl[i] == '\r') { src[n++] = '\n'; if (i + 1 < len && tmpl[i + 1] == '\n') i++; }
    else src[n++] = tmpl[i];
  }
  if (n && src[n - 1] == '\n') n--;
  j->src = src;
  j->srclen = n;
  for (size_t i = 0; i < n; i++) if (!src[i]) fail(j, 0, 0, "the template holds a NUL byte");
  lex(j);
  j->pos = 0;
  JN *root = body(j, NULL, NULL);
  check_loops(j, root, 0, 0);
  /* the globals */
  push(j, 0);
  JV msgs = mklist(j, in ? (size_t)in->nmsgs : 0);
  for (int i = 0; in && i < in->nmsgs; i++) {
    JV m = mkdict(j);
    const char *r = in->msgs[i].role ? in->msgs[i].role : "", *c = in->msgs[i].content ? in->msgs[i].content : "";
    dset(j, m.d, mkstr("role", 4), mkstr(r, strlen(r)));
    dset(j, m.d, mkstr("content", 7), mkstr(c, strlen(c)));
    msgs.l->v[i] = m;
  }
  setvar(j, "messages", 8, msgs);
  setvar(j, "add_generation_prompt", 21, mkbool(in && in->add_generation_prompt));
  setvar(j, "tools", 5, mknone());
  setvar(j, "documents", 9, mknone());
  if (in && in->enable_thinking >= 0) setvar(j, "enable_thinking", 15, mkbool(in->enable_thinking));
  if (in && in->bos_token) setvar(j, "bos_token", 9, mkstr(in->bos_token, strlen(in->bos_token)));
  if (in && in->eos_token) setvar(j, "eos_token", 9, mkstr(in->eos_token, strlen(in->eos_token)));
  static const struct { const char *n; int id; } fns[] = {
    {"raise_exception", F_RAISE}, {"strftime_now", F_STRFTIME}, {"namespace", F_NAMESPACE}, {"range", F_RANGE},
    {"dict", F_DICT}, {NULL, 0}};
  for (int i = 0; fns[i].n; i++) {
    JV f = {0};
    f.t = JFUNC;
    f.fn = fns[i].id;
    f.s = fns[i].n;
    setvar(j, fns[i].n, strlen(fns[i].n), f);
  }
  push(j, 0);  /* the template's own variables */
  j->top = j->fr;
  j->depth = 0;
  render(j, root);
  char *result = malloc(j->on + 1);
  if (!result) fail(j, 0, 0, "out of memory");
  if (j->on) memcpy(result, j->out, j->on);
  result[j->on] = 0;
  return result;
}

char *vn_jinja_render(const char *tmpl, size_t len, const VnJinjaIn *in, const VnJinjaLimits *lim, char *err,
                      size_t errcap) {
  char dummy[8];
  if (!err || !errcap) { err = dummy; errcap = sizeof dummy; }
  err[0] = 0;
  J *volatile jp = calloc(1, sizeof(J));
  if (!jp) { snprintf(err, errcap, "out of memory"); return NULL; }
  J *j = jp;
  j->err = err;
  j->errcap = errcap;
  j->steps_max = lim && lim->steps > 0 ? lim->steps : 50000000;
  j->mem_max = lim && lim->mem ? lim->mem : (size_t)256 << 20;
  j->out_max = lim && lim->out ? lim->out : (size_t)64 << 20;
  j->depth_max = lim && lim->depth > 0 ? lim->depth : 128;
  j->seconds = lim && lim->seconds > 0 ? lim->seconds : 30;
  j->t0 = time(NULL);
  char *result = NULL;
  if (!setjmp(jp->jb)) result = run(jp, tmpl, len, in);
  free_chunks(jp);
  free(jp);
  return result;
}
#endif
