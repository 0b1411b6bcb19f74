/* regex.c: the split regexes of pre-tokenizers, compiled into programs for
 * the runtime's matcher (runtime/tokenizer.c, a Pike VM: every text position
 * is visited once per program instruction at most, so no pattern can make
 * matching exponential). The program layout is VN_TOKRX_* in
 * runtime/tokenizer.h; it goes into the blob as a step's first string.
 *
 * Syntax (the subset of Oniguruma's that tokenizers use): literals (UTF-8),
 * . ^ $, [...] classes with ranges and negation, \s \S \d \D \w \W \h \p{X}
 * \P{X} (X one of L N P S M C Z and their two-letter categories), \r \n \t \f
 * \v \xHH \x{H..} \uHHHH, escaped metacharacters, groups ( ) (?: ) (?i: ) and
 * (?i), alternation, * + ? {n} {n,} {n,m} and their lazy forms, and
 * lookaheads (?!X) (?=X) of one character X. Unicode properties come from
 * utf8proc here: letters, numbers, punctuation, symbols, controls and white
 * space as the blob's class bits (VN_TOKU_*), every other category as ranges. Anything else (backreferences, lookbehind, \b, possessive
 * quantifiers) is refused with a message naming it; so are programs larger
 * than VN_TOKRX_MAXPROG words and groups nested deeper than MAXNEST, which
 * bounds the parser's recursion. */
#include "tok.h"
#include "tokenizer.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

enum { MAXNEST = 16, MAXREP = 1000, MAXITEMS = 4096 };

typedef struct Rx {
  VnCtx *ctx;
  const char *file;
  const unsigned char *s;     /* the pattern */
  size_t n, i;
  uint32_t *p;                /* code: np instructions of 3 words {op, a, b} */
  size_t np, cap;
  uint32_t *dat;              /* data (the sets), nd words */
  size_t nd, dcap;
  int icase, depth, bad;
} Rx;

static VnStatus rx_err(Rx *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static VnStatus rx_err(Rx *r, const char *fmt, ...) {
  char msg[256], pat[48];
  va_list ap;
  size_t k, m = r->n < 40 ? r->n : 40;
  if (r->bad) return r->ctx->status;
  r->bad = 1;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  for (k = 0; k < m; k++) pat[k] = (char)r->s[k];
  pat[m] = 0;
  return vn_errorf(r->ctx, VN_ERR_INPUT, (VnLoc){r->file, 0}, "split regex \"%s%s\": %s (at offset %zu)", pat,
                   r->n > m ? "..." : "", msg, r->i);
}

static int grow(Rx *r, uint32_t **p, size_t *cap, size_t need) {
  uint32_t *q;
  if (need <= *cap) return 0;
  if (!(q = realloc(*p, (*cap = need > 2 * *cap ? need : 2 * *cap) * sizeof *q))) {
    r->bad = 1;
    vn_errorf(r->ctx, VN_ERR_NOMEM, (VnLoc){r->file, 0}, "out of memory");
    return -1;
  }
  *p = q;
  return 0;
}

static int too_big(Rx *r, size_t more) {
  if (1 + 3 * r->np + r->nd + more <= VN_TOKRX_MAXPROG) return 0;
  rx_err(r, "the compiled program exceeds %d words", VN_TOKRX_MAXPROG);
  return 1;
}

/* One instruction {op, a, b}. */
static int put(Rx *r, uint32_t op, uint32_t a, uint32_t b) {
  if (r->bad || too_big(r, 3) || grow(r, &r->p, &r->cap, 3 * (r->np + 1) + 3)) return -1;
  r->p[3 * r->np] = op; r->p[3 * r->np + 1] = a; r->p[3 * r->np + 2] = b;
  r->np++;
  return 0;
}

/* Opens room for k instructions at `at` (the block after it moves; its jumps
 * are relative, so it stays valid). */
static int insert(Rx *r, size_t at, size_t k) {
  size_t i;
  for (i = 0; i < k; i++) if (put(r, 0, 0, 0)) return -1;
  memmove(r->p + 3 * (at + k), r->p + 3 * at, 3 * (r->np - k - at) * sizeof *r->p);
  return 0;
}

static int put_block(Rx *r, const uint32_t *b, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) if (put(r, b[3 * i], b[3 * i + 1], b[3 * i + 2])) return -1;
  return 0;
}

/* ---- character sets ---- */

typedef struct Set {
  int neg, n;
  uint32_t item[MAXITEMS][3];  /* VN_TOKRX_ITEM_*, a, b */
} Set;

static int set_add(Rx *r, Set *s, uint32_t kind, uint32_t a, uint32_t b) {
  if (s->n == MAXITEMS) { rx_err(r, "a character class with more than %d items", MAXITEMS); return -1; }
  s->item[s->n][0] = kind; s->item[s->n][1] = a; s->item[s->n][2] = b;
  s->n++;
  return 0;
}

/* Ranges of the code points whose general category is in cats (a mask of
 * 1 << UTF8PROC_CATEGORY_*). */
static int set_cats(Rx *r, Set *s, uint32_t cats) {
  uint32_t cp, lo = 0;
  int in = 0;
  for (cp = 0; cp <= 0x110000; cp++) {
    int c = cp < 0x110000 && !(cp >= 0xD800 && cp <= 0xDFFF) &&
            (cats >> utf8proc_get_property((utf8proc_int32_t)cp)->category & 1);
    if (c && !in) { lo = cp; in = 1; }
    else if (!c && in) { if (set_add(r, s, VN_TOKRX_ITEM_RANGE, lo, cp - 1)) return -1; in = 0; }
  }
  return 0;
}

/* The case variants of cp (?i), as Oniguruma folds them: every code point
 * with the same lower or upper case. */
static int set_fold(Rx *r, Set *s, uint32_t cp) {
  utf8proc_int32_t lo = utf8proc_tolower((utf8proc_int32_t)cp), up = utf8proc_toupper((utf8proc_int32_t)cp);
  uint32_t x;
  if (set_add(r, s, VN_TOKRX_ITEM_RANGE, cp, cp)) return -1;
  if (lo == (utf8proc_int32_t)cp && up == (utf8proc_int32_t)cp) return 0;
  for (x = 0; x < 0x110000; x++) {
    if (x == cp || (x >= 0xD800 && x <= 0xDFFF)) continue;
    if (utf8proc_tolower((utf8proc_int32_t)x) == lo || utf8proc_toupper((utf8proc_int32_t)x) == up)
      if (set_add(r, s, VN_TOKRX_ITEM_RANGE, x, x)) return -1;
  }
  return 0;
}

#define CAT(c) (1u << UTF8PROC_CATEGORY_##c)

/* A property name: a class bit (item CLS) or categories as ranges. */
static int set_prop(Rx *r, Set *s, const char *name, int neg) {
  static const struct { const char *name; uint32_t bit, cats; } props[] = {
    {"L", VN_TOKU_L, 0}, {"N", VN_TOKU_N, 0}, {"P", VN_TOKU_P, 0}, {"S", VN_TOKU_S, 0},
    {"M", 0, CAT(MN) | CAT(MC) | CAT(ME)}, {"Mark", 0, CAT(MN) | CAT(MC) | CAT(ME)}, {"C", VN_TOKU_C, 0},
    {"Letter", VN_TOKU_L, 0}, {"Number", VN_TOKU_N, 0}, {"Punctuation", VN_TOKU_P, 0},
    {"Lu", 0, CAT(LU)}, {"Ll", 0, CAT(LL)}, {"Lt", 0, CAT(LT)}, {"Lm", 0, CAT(LM)}, {"Lo", 0, CAT(LO)},
    {"Mn", 0, CAT(MN)}, {"Mc", 0, CAT(MC)}, {"Me", 0, CAT(ME)},
    {"Nd", 0, CAT(ND)}, {"Nl", 0, CAT(NL)}, {"No", 0, CAT(NO)},
    {"Pc", 0, CAT(PC)}, {"Pd", 0, CAT(PD)}, {"Ps", 0, CAT(PS)}, {"Pe", 0, CAT(PE)}, {"Pi", 0, CAT(PI)},
    {"Pf", 0, CAT(PF)}, {"Po", 0, CAT(PO)},
    {"Sm", 0, CAT(SM)}, {"Sc", 0, CAT(SC)}, {"Sk", 0, CAT(SK)}, {"So", 0, CAT(SO)},
    {"Z", 0, CAT(ZS) | CAT(ZL) | CAT(ZP)}, {"Zs", 0, CAT(ZS)}, {"Zl", 0, CAT(ZL)}, {"Zp", 0, CAT(ZP)},
    {"Cc", 0, CAT(CC)}, {"Cf", 0, CAT(CF)}, {"Co", 0, CAT(CO)}, {"Cn", 0, CAT(CN)},
    {"Han", 0, 0},
  };
  size_t k;
  for (k = 0; k < sizeof props / sizeof *props; k++) {
    if (strcmp(props[k].name, name)) continue;
    if (props[k].bit) return set_add(r, s, neg ? VN_TOKRX_ITEM_NOTCLS : VN_TOKRX_ITEM_CLS, props[k].bit, 0);
    if (!props[k].cats) break;
    if (neg) {                             /* \P{Xx} alone: a negated set of its ranges */
      if (s->n || s->neg) { rx_err(r, "\\P{%s} inside a class is not supported", name); return -1; }
      s->neg = 1;
    }
    return set_cats(r, s, props[k].cats);
  }
  rx_err(r, "unknown or unsupported property \\p{%s}", name);
  return -1;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c |= 0x20;
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One UTF-8 character of the pattern at r->i. */
static int next_char(Rx *r, uint32_t *cp) {
  utf8proc_int32_t c;
  utf8proc_ssize_t k;
  if (r->i >= r->n) { rx_err(r, "unexpected end of the pattern"); return -1; }
  k = utf8proc_iterate(r->s + r->i, (utf8proc_ssize_t)(r->n - r->i), &c);
  if (k <= 0) { rx_err(r, "the pattern is not valid UTF-8"); return -1; }
  r->i += (size_t)k;
  *cp = (uint32_t)c;
  return 0;
}

/* After a backslash: a set (returns 1, filled s) or one character (returns
 * 0, *cp); -1 on error. */
static int escape(Rx *r, Set *s, uint32_t *cp, int in_class) {
  uint32_t c;
  if (next_char(r, &c)) return -1;
  switch (c) {
  case 'n': *cp = '\n'; return 0;
  case 'r': *cp = '\r'; return 0;
  case 't': *cp = '\t'; return 0;
  case 'f': *cp = '\f'; return 0;
  case 'v': *cp = '\v'; return 0;
  case 'a': *cp = 7; return 0;
  case 'e': *cp = 27; return 0;
  case '0': *cp = 0; return 0;
  case 'x': case 'u': {
    uint32_t v = 0;
    int k, h, brace = c == 'x' && r->i < r->n && r->s[r->i] == '{', want = c == 'u' ? 4 : 2;
    if (brace) r->i++;
    for (k = 0; r->i < r->n && (brace ? r->s[r->i] != '}' : k < want); k++) {
      if ((h = hexval(r->s[r->i])) < 0 || k >= 6) { rx_err(r, "bad \\%c escape", (int)c); return -1; }
      v = v << 4 | (uint32_t)h;
      r->i++;
    }
    if (brace) { if (r->i >= r->n) { rx_err(r, "unterminated \\x{"); return -1; } r->i++; }
    if (!k || (!brace && k != want) || v > 0x10FFFF) { rx_err(r, "bad \\%c escape", (int)c); return -1; }
    *cp = v;
    return 0;
  }
  case 's': case 'S':
    return set_add(r, s, c == 's' ? VN_TOKRX_ITEM_CLS : VN_TOKRX_ITEM_NOTCLS, VN_TOKU_WS, 0) ? -1 : 1;
  case 'w': case 'W':
    return set_add(r, s, c == 'w' ? VN_TOKRX_ITEM_CLS : VN_TOKRX_ITEM_NOTCLS, VN_TOKU_W, 0) ? -1 : 1;
  case 'd': case 'D':
    if (c == 'D' && in_class) { rx_err(r, "\\D inside a class is not supported"); return -1; }
    return set_prop(r, s, "Nd", c == 'D') ? -1 : 1;
  case 'h':                                  /* Oniguruma: hexadecimal digit */
    if (set_add(r, s, VN_TOKRX_ITEM_RANGE, '0', '9') || set_add(r, s, VN_TOKRX_ITEM_RANGE, 'a', 'f') ||
        set_add(r, s, VN_TOKRX_ITEM_RANGE, 'A', 'F'))
      return -1;
    return 1;
  case 'p': case 'P': {
    char name[24];
    size_t k = 0;
    int neg = c == 'P';
    if (r->i < r->n && r->s[r->i] == '{') {
      r->i++;
      if (r->i < r->n && r->s[r->i] == '^') { neg = !neg; r->i++; }
      while (r->i < r->n && r->s[r->i] != '}' && k + 1 < sizeof name) name[k++] = (char)r->s[r->i++];
      if (r->i >= r->n || r->s[r->i] != '}') { rx_err(r, "unterminated \\p{"); return -1; }
      r->i++;
    } else if (r->i < r->n) {
      name[k++] = (char)r->s[r->i++];
    }
    name[k] = 0;
    if (neg && in_class && strlen(name) > 1) { rx_err(r, "\\P{%s} inside a class is not supported", name); return -1; }
    return set_prop(r, s, name, neg) ? -1 : 1;
  }
  default:
    if ((c >= '1' && c <= '9') || c == 'k' || c == 'g') { rx_err(r, "backreferences are not supported"); return -1; }
    if (c == 'b' || c == 'B' || c == 'A' || c == 'z' || c == 'Z' || c == 'G' || c == 'K' || c == 'R' ||
        c == 'X' || c == 'N' || c == 'O' || c == 'H') {
      rx_err(r, "\\%c is not supported", (int)c);
      return -1;
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) { rx_err(r, "unknown escape \\%c", (int)c); return -1; }
    *cp = c;                                 /* an escaped metacharacter */
    return 0;
  }
}

static int emit_set(Rx *r, const Set *s) {
  size_t need = 2 + 3 * (size_t)s->n, at = r->nd;
  int k;
  if (r->bad || too_big(r, need) || grow(r, &r->dat, &r->dcap, r->nd + need)) return -1;
  r->dat[r->nd++] = (uint32_t)s->neg;
  r->dat[r->nd++] = (uint32_t)s->n;
  for (k = 0; k < s->n; k++) {
    r->dat[r->nd++] = s->item[k][0]; r->dat[r->nd++] = s->item[k][1]; r->dat[r->nd++] = s->item[k][2];
  }
  return put(r, VN_TOKRX_SET, (uint32_t)at, 0);
}

static int emit_char(Rx *r, uint32_t cp) {
  if (r->icase && (utf8proc_tolower((utf8proc_int32_t)cp) != (utf8proc_int32_t)cp ||
                   utf8proc_toupper((utf8proc_int32_t)cp) != (utf8proc_int32_t)cp)) {
    Set *s = calloc(1, sizeof *s);
    int rc;
    if (!s) { rx_err(r, "out of memory"); return -1; }
    rc = set_fold(r, s, cp) || emit_set(r, s);
    free(s);
    return rc ? -1 : 0;
  }
  return put(r, VN_TOKRX_CHAR, cp, 0);
}

/* [...] at r->i (after '['). */
static int parse_class(Rx *r) {
  Set *s = calloc(1, sizeof *s);
  int first = 1, rc = -1;
  if (!s) { rx_err(r, "out of memory"); return -1; }
  if (r->i < r->n && r->s[r->i] == '^') { s->neg = 1; r->i++; }
  for (;;) {
    uint32_t lo, hi;
    int k;
    Set tmp;
    if (r->i >= r->n) { rx_err(r, "unterminated character class"); goto out; }
    if (r->s[r->i] == ']' && !first) { r->i++; break; }
    first = 0;
    if (r->s[r->i] == '[') { rx_err(r, "nested classes and POSIX [:name:] are not supported"); goto out; }
    if (r->s[r->i] == '&' && r->i + 1 < r->n && r->s[r->i + 1] == '&') { rx_err(r, "class intersection && is not supported"); goto out; }
    if (r->s[r->i] == '\\') {
      r->i++;
      tmp.n = 0; tmp.neg = 0;
      if ((k = escape(r, &tmp, &lo, 1)) < 0) goto out;
      if (k == 1) {
        int j;
        if (tmp.neg) { rx_err(r, "a negated property inside a class is not supported"); goto out; }
        for (j = 0; j < tmp.n; j++)
          if (set_add(r, s, tmp.item[j][0], tmp.item[j][1], tmp.item[j][2])) goto out;
        continue;
      }
    } else if (next_char(r, &lo)) {
      goto out;
    }
    hi = lo;
    if (r->i + 1 < r->n && r->s[r->i] == '-' && r->s[r->i + 1] != ']') {
      r->i++;
      if (r->s[r->i] == '\\') {
        r->i++;
        tmp.n = 0; tmp.neg = 0;
        if ((k = escape(r, &tmp, &hi, 1)) < 0) goto out;
        if (k == 1) { rx_err(r, "a class cannot end a range"); goto out; }
      } else if (next_char(r, &hi)) {
        goto out;
      }
      if (hi < lo) { rx_err(r, "range out of order"); goto out; }
    }
    if (r->icase && lo == hi) {
      if (set_fold(r, s, lo)) goto out;
    } else if (r->icase) {                 /* a range: its simple case mappings */
      uint32_t c;
      if (set_add(r, s, VN_TOKRX_ITEM_RANGE, lo, hi)) goto out;
      if (hi - lo > 0x3000) { rx_err(r, "a case-insensitive range this large is not supported"); goto out; }
      for (c = lo; c <= hi; c++) {
        uint32_t l = (uint32_t)utf8proc_tolower((utf8proc_int32_t)c), u = (uint32_t)utf8proc_toupper((utf8proc_int32_t)c);
        if ((l != c && set_add(r, s, VN_TOKRX_ITEM_RANGE, l, l)) || (u != c && set_add(r, s, VN_TOKRX_ITEM_RANGE, u, u)))
          goto out;
      }
    } else if (set_add(r, s, VN_TOKRX_ITEM_RANGE, lo, hi)) {
      goto out;
    }
  }
  rc = emit_set(r, s);
out:
  free(s);
  return rc;
}

static int parse_alt(Rx *r);

/* One atom; *consumes: it matches exactly one character (for lookaheads). */
static int parse_atom(Rx *r, int *consumes) {
  unsigned char c = r->s[r->i];
  uint32_t cp;
  *consumes = 0;
  if (c == '(') {
    int saved = r->icase, look = 0, rc;
    size_t at;
    r->i++;
    if (r->i < r->n && r->s[r->i] == '?') {
      r->i++;
      if (r->i + 1 < r->n && r->s[r->i] == 'i' && r->s[r->i + 1] == ')') { r->i += 2; r->icase = 1; return 0; }
      if (r->i < r->n && r->s[r->i] == ':') r->i++;
      else if (r->i + 1 < r->n && r->s[r->i] == 'i' && r->s[r->i + 1] == ':') { r->i += 2; r->icase = 1; }
      else if (r->i < r->n && (r->s[r->i] == '!' || r->s[r->i] == '=')) { look = r->s[r->i] == '!' ? 1 : 2; r->i++; }
      else if (r->i < r->n && r->s[r->i] == '<') { rx_err(r, "lookbehind and named groups are not supported"); return -1; }
      else if (r->i < r->n && r->s[r->i] == '>') { rx_err(r, "atomic groups are not supported"); return -1; }
      else { rx_err(r, "unsupported group (?%c", r->i < r->n ? r->s[r->i] : '?'); return -1; }
    }
    if (++r->depth > MAXNEST) { rx_err(r, "groups nested more than %d deep", MAXNEST); return -1; }
    at = r->np;
    if (look) {
      int one;
      if (put(r, look == 1 ? VN_TOKRX_NOTAHEAD : VN_TOKRX_AHEAD, 0, 0)) return -1;
      if (r->i >= r->n || r->s[r->i] == ')') { rx_err(r, "empty lookahead"); return -1; }
      if (parse_atom(r, &one)) return -1;
      if (!one || r->np != at + 2 || r->i >= r->n || r->s[r->i] != ')') {
        rx_err(r, "a lookahead must hold one character or class");
        return -1;
      }
      rc = 0;
    } else {
      rc = parse_alt(r);
    }
    r->depth--;
    r->icase = saved;
    if (rc) return -1;
    if (r->i >= r->n || r->s[r->i] != ')') { rx_err(r, "missing )"); return -1; }
    r->i++;
    return 0;
  }
  r->i++;
  *consumes = 1;
  switch (c) {
  case '[': return parse_class(r);
  case '.': return put(r, VN_TOKRX_ANY, 0, 0);
  case '^': *consumes = 0; return put(r, VN_TOKRX_BOL, 0, 0);
  case '$': *consumes = 0; return put(r, VN_TOKRX_EOL, 0, 0);
  case '\\': {
    Set *s = calloc(1, sizeof *s);
    int k, rc;
    if (!s) { rx_err(r, "out of memory"); return -1; }
    k = escape(r, s, &cp, 0);
    rc = k < 0 ? -1 : k == 1 ? emit_set(r, s) : emit_char(r, cp);
    free(s);
    return rc;
  }
  case ')': case '|': case '*': case '+': case '?': case '{':
    rx_err(r, "'%c' has nothing to apply to", c);
    return -1;
  default:
    r->i--;
    if (next_char(r, &cp)) return -1;
    return emit_char(r, cp);
  }
}

/* A quantifier after the block [at, r->np), if any. */
static int quantify(Rx *r, size_t at) {
  unsigned long lo, hi;
  int lazy = 0;
  size_t len = r->np - at, k;
  uint32_t *copy;
  unsigned char c;
  if (r->i >= r->n) return 0;
  c = r->s[r->i];
  if (c == '*') { lo = 0; hi = (unsigned long)-1; r->i++; }
  else if (c == '+') { lo = 1; hi = (unsigned long)-1; r->i++; }
  else if (c == '?') { lo = 0; hi = 1; r->i++; }
  else if (c == '{' && r->i + 1 < r->n && r->s[r->i + 1] >= '0' && r->s[r->i + 1] <= '9') {
    char *end;
    r->i++;
    lo = strtoul((const char *)r->s + r->i, &end, 10);
    r->i = (size_t)((const unsigned char *)end - r->s);
    hi = lo;
    if (r->i < r->n && r->s[r->i] == ',') {
      r->i++;
      hi = (unsigned long)-1;
      if (r->i < r->n && r->s[r->i] >= '0' && r->s[r->i] <= '9') {
        hi = strtoul((const char *)r->s + r->i, &end, 10);
        r->i = (size_t)((const unsigned char *)end - r->s);
      }
    }
    if (r->i >= r->n || r->s[r->i] != '}') return rx_err(r, "bad {n,m} repetition"), -1;
    r->i++;
    if (lo > MAXREP || (hi != (unsigned long)-1 && (hi > MAXREP || hi < lo)))
      return rx_err(r, "repetition {%lu,%lu} out of range (at most %d)", lo, hi, MAXREP), -1;
  } else {
    return 0;
  }
  if (r->i < r->n && r->s[r->i] == '?') { lazy = 1; r->i++; }
  else if (r->i < r->n && r->s[r->i] == '+') return rx_err(r, "possessive quantifiers are not supported"), -1;
  if (r->i < r->n && strchr("*+?", r->s[r->i]) && r->s[r->i]) return rx_err(r, "nested quantifier"), -1;
  if (!len) return rx_err(r, "a quantifier after an empty group"), -1;
  if (!(copy = malloc(3 * len * sizeof *copy))) return rx_err(r, "out of memory"), -1;
  memcpy(copy, r->p + 3 * at, 3 * len * sizeof *copy);
  r->np = at;
#define SPLIT(a, b) put(r, VN_TOKRX_SPLIT, (uint32_t)(lazy ? (b) : (a)), (uint32_t)(lazy ? (a) : (b)))
  for (k = 0; k < lo; k++)                  /* the required copies */
    if (put_block(r, copy, len)) goto bad;
  if (hi == (unsigned long)-1) {
    if (lo > 0) {                           /* x+: loop back over the last copy */
      if (SPLIT(-(int32_t)len, 1)) goto bad;
    } else {                                /* x*: SPLIT body, JMP back */
      if (SPLIT(1, (int32_t)len + 2) || put_block(r, copy, len) || put(r, VN_TOKRX_JMP, (uint32_t)-(int32_t)(len + 1), 0))
        goto bad;
    }
  } else {
    for (k = lo; k < hi; k++)               /* optional copies: x? each */
      if (SPLIT(1, (int32_t)len + 1) || put_block(r, copy, len)) goto bad;
  }
#undef SPLIT
  free(copy);
  return 0;
bad:
  free(copy);
  return -1;
}

static int parse_concat(Rx *r) {
  while (r->i < r->n && r->s[r->i] != '|' && r->s[r->i] != ')') {
    size_t at = r->np;
    int one;
    if (parse_atom(r, &one) || quantify(r, at)) return -1;
  }
  return 0;
}

/* a|b|c: SPLIT +1 next; a; JMP end; next: SPLIT ...; c; end: */
static int parse_alt(Rx *r) {
  size_t jumps[256], nj = 0, start = r->np, k;
  if (parse_concat(r)) return -1;
  while (r->i < r->n && r->s[r->i] == '|') {
    r->i++;
    if (nj == sizeof jumps / sizeof *jumps) return rx_err(r, "more than 256 alternatives in one group"), -1;
    if (insert(r, start, 1)) return -1;
    jumps[nj++] = r->np;
    r->p[3 * start] = VN_TOKRX_SPLIT;
    r->p[3 * start + 1] = 1;
    r->p[3 * start + 2] = (uint32_t)(r->np + 1 - start);
    if (put(r, VN_TOKRX_JMP, 0, 0)) return -1;
    start = r->np;
    if (parse_concat(r)) return -1;
  }
  for (k = 0; k < nj; k++) r->p[3 * jumps[k] + 1] = (uint32_t)(r->np - jumps[k]);
  return 0;
}

VnStatus vn_tokc_regex(VnCtx *ctx, const char *file, const char *re, size_t len, VnTokcStr *prog) {
  Rx r;
  unsigned char *out;
  size_t k, nw;
  memset(&r, 0, sizeof r);
  r.ctx = ctx;
  r.file = file;
  r.s = (const unsigned char *)re;
  r.n = len;
  prog->s = NULL;
  prog->len = 0;
  if (!len) return rx_err(&r, "empty pattern");
  if (!parse_alt(&r) && r.i < r.n) rx_err(&r, "unbalanced )");
  if (!r.bad) put(&r, VN_TOKRX_MATCH, 0, 0);
  if (r.bad) { free(r.p); free(r.dat); return ctx->status ? ctx->status : VN_ERR_INPUT; }
  nw = 1 + 3 * r.np + r.nd;
  if (!(out = malloc(4 * nw))) {
    free(r.p); free(r.dat);
    return vn_errorf(ctx, VN_ERR_NOMEM, (VnLoc){file, 0}, "out of memory");
  }
  for (k = 0; k < nw; k++) {
    uint32_t w = k == 0 ? (uint32_t)r.np : k <= 3 * r.np ? r.p[k - 1] : r.dat[k - 1 - 3 * r.np];
    out[4 * k] = (unsigned char)w; out[4 * k + 1] = (unsigned char)(w >> 8);
    out[4 * k + 2] = (unsigned char)(w >> 16); out[4 * k + 3] = (unsigned char)(w >> 24);
  }
  free(r.p); free(r.dat);
  prog->s = (const char *)out;
  prog->len = 4 * nw;
  return VN_OK;
}
