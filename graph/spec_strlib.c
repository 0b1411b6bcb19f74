/* spec_strlib.c: the string and table functions of the spec sandbox whose
 * work is not bounded by their arguments' size, rewritten so that every step
 * is charged to the sandbox budget (vn_spec_charge): a C loop cannot outrun
 * the instruction limit or the wall clock.
 *
 *   string.find, match, gmatch, gsub  Lua patterns, by a matcher that counts
 *                                     its steps (backtracking included)
 *   string.rep                        O(result) whatever the count
 *   table.insert, remove, move        charged per element they shift
 *                                     (a __len may claim any length)
 *
 * Patterns follow the Lua 5.4 manual (section 6.4.1): classes . %a %c %d %g
 * %l %p %s %u %w %x (upper case: complement), sets [...] and [^...], items
 * with * + - ?, %n back-references, %bxy, %f[set], captures and position
 * captures, ^ and $ anchors. Errors read as Lua's. */
#include "spec_lua.h"
#include <ctype.h>
#include <lualib.h>
#include <string.h>

#define MAX_CAPS 32
#define MAX_DEPTH 200
#define CAP_OPEN (-1)
#define CAP_POS  (-2)
#define CHARGE_EVERY 4096

typedef struct Match {
  lua_State *L;
  const char *s0, *se;     /* the subject */
  const char *pe;          /* the pattern's end */
  int depth, ncap;
  long steps;
  struct { const char *at; ptrdiff_t len; } cap[MAX_CAPS];
} Match;

static void tick(Match *m, long n) {
  m->steps += n;
  if (m->steps >= CHARGE_EVERY) {
    long k = m->steps;
    m->steps = 0;
    vn_spec_charge(m->L, k);
  }
}

/* does c belong to class letter cl (%a ...)? other letters stand for themselves */
static int in_class(int c, int cl) {
  int r;
  switch (tolower(cl)) {
  case 'a': r = isalpha(c); break;
  case 'c': r = iscntrl(c); break;
  case 'd': r = isdigit(c); break;
  case 'g': r = isgraph(c); break;
  case 'l': r = islower(c); break;
  case 'p': r = ispunct(c); break;
  case 's': r = isspace(c); break;
  case 'u': r = isupper(c); break;
  case 'w': r = isalnum(c); break;
  case 'x': r = isxdigit(c); break;
  case 'z': r = c == 0; break;  /* deprecated in Lua, still accepted */
  default: return cl == c;
  }
  return isupper(cl) ? !r : r != 0;
}

/* p at '[', close at its ']' */
static int in_set(int c, const char *p, const char *close) {
  int want = 1;
  p++;
  if (*p == '^') { want = 0; p++; }
  while (p < close) {
    if (*p == '%' && p + 1 < close) {
      if (in_class(c, (unsigned char)p[1])) return want;
      p += 2;
    } else if (p[1] == '-' && p + 2 < close) {
      if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2]) return want;
      p += 3;
    } else {
      if ((unsigned char)*p == c) return want;
      p++;
    }
  }
  return !want;
}

/* The end of the single-character class at p. */
static const char *class_end(Match *m, const char *p) {
  char c = *p++;
  if (c == '%') {
    if (p >= m->pe) luaL_error(m->L, "malformed pattern (ends with '%%')");
    return p + 1;
  }
  if (c == '[') {
    if (*p == '^') p++;
    do {
      if (p >= m->pe) luaL_error(m->L, "malformed pattern (missing ']')");
      c = *p++;
      if (c == '%' && p < m->pe) p++;
    } while (p >= m->pe || *p != ']');
    return p + 1;
  }
  return p;
}

static int single(const Match *m, const char *s, const char *p, const char *ep) {
  if (s >= m->se) return 0;
  int c = (unsigned char)*s;
  switch (*p) {
  case '.': return 1;
  case '%': return in_class(c, (unsigned char)p[1]);
  case '[': return in_set(c, p, ep - 1);
  default: return (unsigned char)*p == c;
  }
}

static const char *match(Match *m, const char *s, const char *p);

static const char *max_expand(Match *m, const char *s, const char *p, const char *ep) {
  ptrdiff_t i = 0;
  while (single(m, s + i, p, ep)) i++;
  tick(m, i);
  for (; i >= 0; i--) {
    const char *r = match(m, s + i, ep + 1);
    if (r) return r;
  }
  return NULL;
}

static const char *min_expand(Match *m, const char *s, const char *p, const char *ep) {
  for (;;) {
    const char *r = match(m, s, ep + 1);
    if (r) return r;
    if (!single(m, s, p, ep)) return NULL;
    s++;
    tick(m, 1);
  }
}

static const char *open_capture(Match *m, const char *s, const char *p, ptrdiff_t what) {
  if (m->ncap >= MAX_CAPS) luaL_error(m->L, "too many captures");
  m->cap[m->ncap].at = s;
  m->cap[m->ncap].len = what;
  m->ncap++;
  const char *r = match(m, s, p);
  if (!r) m->ncap--;
  return r;
}

static const char *close_capture(Match *m, const char *s, const char *p) {
  int l = m->ncap - 1;
  while (l >= 0 && m->cap[l].len != CAP_OPEN) l--;
  if (l < 0) luaL_error(m->L, "invalid pattern capture");
  m->cap[l].len = s - m->cap[l].at;
  const char *r = match(m, s, p);
  if (!r) m->cap[l].len = CAP_OPEN;
  return r;
}

/* %bxy at p: a balanced run from x to y */
static const char *balance(Match *m, const char *s, const char *p) {
  if (m->pe - p < 4) luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
  if (s >= m->se || *s != p[2]) return NULL;
  int open = p[2], close = p[3], n = 1;
  for (const char *q = s + 1; q < m->se; q++) {
    if (*q == close) { if (--n == 0) { tick(m, q - s); return q + 1; } }
    else if (*q == open) n++;
  }
  tick(m, m->se - s);
  return NULL;
}

static const char *backref(Match *m, const char *s, int d) {
  int l = d - '1';
  if (l < 0 || l >= m->ncap || m->cap[l].len == CAP_OPEN) luaL_error(m->L, "invalid capture index %%%d", l + 1);
  if (m->cap[l].len == CAP_POS) return NULL;
  size_t n = (size_t)m->cap[l].len;
  tick(m, (long)n);
  if ((size_t)(m->se - s) >= n && !memcmp(m->cap[l].at, s, n)) return s + n;
  return NULL;
}

static const char *match_items(Match *m, const char *s, const char *p) {
  while (p < m->pe) {
    tick(m, 1);
    if (*p == '(') return p[1] == ')' ? open_capture(m, s, p + 2, CAP_POS) : open_capture(m, s, p + 1, CAP_OPEN);
    if (*p == ')') return close_capture(m, s, p + 1);
    if (*p == '$' && p + 1 == m->pe) return s == m->se ? s : NULL;
    if (*p == '%' && p + 1 < m->pe && p[1] == 'b') {
      s = balance(m, s, p);
      if (!s) return NULL;
      p += 4;
      continue;
    }
    if (*p == '%' && p + 1 < m->pe && p[1] == 'f') {
      p += 2;
      if (p >= m->pe || *p != '[') luaL_error(m->L, "missing '[' after '%%f' in pattern");
      const char *ep = class_end(m, p);
      int prev = s == m->s0 ? 0 : (unsigned char)s[-1], cur = s < m->se ? (unsigned char)*s : 0;
      if (in_set(prev, p, ep - 1) || !in_set(cur, p, ep - 1)) return NULL;
      p = ep;
      continue;
    }
    if (*p == '%' && p + 1 < m->pe && isdigit((unsigned char)p[1])) {
      s = backref(m, s, (unsigned char)p[1]);
      if (!s) return NULL;
      p += 2;
      continue;
    }
    const char *ep = class_end(m, p);
    char q = ep < m->pe ? *ep : 0;
    if (q == '?') {
      const char *r;
      if (single(m, s, p, ep) && (r = match(m, s + 1, ep + 1))) return r;
      p = ep + 1;
      continue;
    }
    if (q == '+') return single(m, s, p, ep) ? max_expand(m, s + 1, p, ep) : NULL;
    if (q == '*') return max_expand(m, s, p, ep);
    if (q == '-') return min_expand(m, s, p, ep);
    if (!single(m, s, p, ep)) return NULL;
    s++;
    p = ep;
  }
  return s;
}

/* The end of a match of p at s, or NULL. */
static const char *match(Match *m, const char *s, const char *p) {
  if (++m->depth > MAX_DEPTH) luaL_error(m->L, "pattern too complex");
  const char *r = match_items(m, s, p);
  m->depth--;
  return r;
}

static void push_capture(Match *m, int i, const char *s, const char *e) {
  if (i >= m->ncap) {
    if (i != 0) luaL_error(m->L, "invalid capture index %%%d", i + 1);
    lua_pushlstring(m->L, s, (size_t)(e - s));
    return;
  }
  ptrdiff_t l = m->cap[i].len;
  if (l == CAP_OPEN) luaL_error(m->L, "unfinished capture");
  if (l == CAP_POS) lua_pushinteger(m->L, m->cap[i].at - m->s0 + 1);
  else lua_pushlstring(m->L, m->cap[i].at, (size_t)l);
}

/* Push the captures (the whole match when there are none and s is given). */
static int push_captures(Match *m, const char *s, const char *e) {
  int n = m->ncap == 0 && s ? 1 : m->ncap;
  luaL_checkstack(m->L, n, "too many captures");
  for (int i = 0; i < n; i++) push_capture(m, i, s, e);
  return n;
}

static void match_init(Match *m, lua_State *L, const char *s, size_t ls, const char *p, size_t lp) {
  m->L = L;
  m->s0 = s;
  m->se = s + ls;
  m->pe = p + lp;
  m->depth = 0;
  m->ncap = 0;
  m->steps = 0;
}

static size_t start_index(lua_Integer pos, size_t len) {  /* 1-based, clipped below */
  if (pos > 0) return (size_t)pos;
  if (pos == 0 || pos < -(lua_Integer)len) return 1;
  return len + (size_t)pos + 1;
}

static int has_specials(const char *p, size_t lp) {
  for (size_t i = 0; i < lp; i++)
    if (strchr("^$*+?.([%-", p[i]) && p[i]) return 1;
  return 0;
}

static int find_aux(lua_State *L, int find) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
  if (init > ls) { luaL_pushfail(L); return 1; }
  if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
    vn_spec_charge(L, (long long)((ls - init) / 16));
    const char *r = lp == 0 ? s + init : memmem(s + init, ls - init, p, lp);
    if (!r) { luaL_pushfail(L); return 1; }
    lua_pushinteger(L, (lua_Integer)(r - s) + 1);
    lua_pushinteger(L, (lua_Integer)(r - s + lp));
    return 2;
  }
  Match m;
  int anchor = lp > 0 && *p == '^';
  if (anchor) { p++; lp--; }
  match_init(&m, L, s, ls, p, lp);
  const char *at = s + init;
  do {
    m.depth = 0;
    m.ncap = 0;
    tick(&m, 1);
    const char *e = match(&m, at, p);
    if (e) {
      vn_spec_charge(L, m.steps);
      if (!find) return push_captures(&m, at, e);
      lua_pushinteger(L, (lua_Integer)(at - s) + 1);
      lua_pushinteger(L, (lua_Integer)(e - s));
      return push_captures(&m, NULL, NULL) + 2;
    }
  } while (at++ < m.se && !anchor);
  vn_spec_charge(L, m.steps);
  luaL_pushfail(L);
  return 1;
}

static int str_find(lua_State *L) { return find_aux(L, 1); }
static int str_match(lua_State *L) { return find_aux(L, 0); }

/* gmatch's iterator; upvalues: subject, pattern, next position, last match end (-1: none) */
static int gmatch_next(lua_State *L) {
  size_t ls, lp;
  const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
  const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
  lua_Integer pos = lua_tointeger(L, lua_upvalueindex(3)), last = lua_tointeger(L, lua_upvalueindex(4));
  Match m;
  match_init(&m, L, s, ls, p, lp);
  for (const char *at = s + pos; at <= m.se; at++) {
    m.depth = 0;
    m.ncap = 0;
    tick(&m, 1);
    const char *e = match(&m, at, p);
    if (e && e - s != last) {
      vn_spec_charge(L, m.steps);
      lua_pushinteger(L, e - s);
      lua_pushvalue(L, -1);
      lua_replace(L, lua_upvalueindex(3));
      lua_replace(L, lua_upvalueindex(4));
      return push_captures(&m, at, e);
    }
  }
  vn_spec_charge(L, m.steps);
  lua_pushinteger(L, (lua_Integer)ls + 1);
  lua_replace(L, lua_upvalueindex(3));
  return 0;
}

static int str_gmatch(lua_State *L) {
  size_t ls;
  luaL_checklstring(L, 1, &ls);
  luaL_checkstring(L, 2);
  size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
  if (init > ls) init = ls + 1;
  lua_settop(L, 2);
  lua_pushinteger(L, (lua_Integer)init);
  lua_pushinteger(L, -1);
  lua_pushcclosure(L, gmatch_next, 4);
  return 1;
}

/* gsub: append the replacement of the match s..e to b */
static void add_string(Match *m, luaL_Buffer *b, const char *s, const char *e) {
  size_t l;
  const char *r = lua_tolstring(m->L, 3, &l);
  tick(m, (long)l);
  for (size_t i = 0; i < l; i++) {
    if (r[i] != '%') { luaL_addchar(b, r[i]); continue; }
    i++;
    if (i < l && r[i] == '%') luaL_addchar(b, '%');
    else if (i < l && isdigit((unsigned char)r[i])) {
      if (r[i] == '0') luaL_addlstring(b, s, (size_t)(e - s));
      else {
        push_capture(m, r[i] - '1', s, e);
        luaL_tolstring(m->L, -1, NULL);
        lua_remove(m->L, -2);
        luaL_addvalue(b);
      }
    } else luaL_error(m->L, "invalid use of '%%' in replacement string");
  }
}

static void add_value(Match *m, luaL_Buffer *b, const char *s, const char *e, int tr) {
  lua_State *L = m->L;
  if (tr == LUA_TFUNCTION) {
    lua_pushvalue(L, 3);
    int n = push_captures(m, s, e);
    lua_call(L, n, 1);
  } else if (tr == LUA_TTABLE) {
    push_capture(m, 0, s, e);
    lua_gettable(L, 3);
  } else {
    add_string(m, b, s, e);
    return;
  }
  if (!lua_toboolean(L, -1)) {
    lua_pop(L, 1);
    luaL_addlstring(b, s, (size_t)(e - s));
  } else if (!lua_isstring(L, -1)) luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  else luaL_addvalue(b);
}

static int str_gsub(lua_State *L) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  int tr = lua_type(L, 3);
  luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                   "string/function/table");
  lua_Integer max = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
  int anchor = lp > 0 && *p == '^';
  if (anchor) { p++; lp--; }
  Match m;
  match_init(&m, L, s, ls, p, lp);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  const char *at = s, *last = NULL;
  lua_Integer n = 0;
  while (n < max) {
    m.depth = 0;
    m.ncap = 0;
    tick(&m, 1);
    const char *e = match(&m, at, p);
    if (e && e != last) {
      n++;
      add_value(&m, &b, at, e, tr);
      at = last = e;
    } else if (at < m.se) luaL_addchar(&b, *at++);
    else break;
    if (anchor) break;
  }
  vn_spec_charge(L, m.steps);
  luaL_addlstring(&b, at, (size_t)(m.se - at));
  luaL_pushresult(&b);
  lua_pushinteger(L, n);
  return 2;
}

/* string.rep(s, n [, sep]) in O(result) steps, whatever n: the first
 * repetition is written once and the result doubles by copying itself (the
 * library's loops once per repetition, so rep("", 1e15) never ends). Its
 * bytes are charged as allocated. */
static int str_rep(lua_State *L) {
  size_t l, lsep;
  const char *s = luaL_checklstring(L, 1, &l);
  lua_Integer n = luaL_checkinteger(L, 2);
  const char *sep = luaL_optlstring(L, 3, "", &lsep);
  if (n <= 0 || (l == 0 && (lsep == 0 || n == 1))) { lua_pushliteral(L, ""); return 1; }
  if (l + lsep < l || l + lsep > (size_t)VN_SPEC_MEM_LIMIT / (size_t)n)
    return luaL_error(L, "resulting string too large");
  size_t unit = l + lsep, total = (size_t)n * unit - lsep;
  luaL_Buffer b;
  char *d = luaL_buffinitsize(L, &b, total + lsep);
  memcpy(d, s, l);
  memcpy(d + l, sep, lsep);
  for (size_t done = unit; done < (size_t)n * unit;) {  /* [0, done) holds done / unit units */
    size_t k = done <= (size_t)n * unit - done ? done : (size_t)n * unit - done;
    memcpy(d + done, d, k);
    done += k;
  }
  luaL_pushresultsize(&b, total);
  return 1;
}

/* table.insert, remove and move as the manual gives them, charging each
 * element they shift (a __len can claim any length) */
static void charge_every(lua_State *L, lua_Integer i) {
  if ((i & (CHARGE_EVERY - 1)) == 0) vn_spec_charge(L, CHARGE_EVERY);
}

static int tab_insert(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer e = luaL_len(L, 1) + 1, pos = e;  /* e: the first empty slot */
  switch (lua_gettop(L)) {
  case 2: break;
  case 3:
    pos = luaL_checkinteger(L, 2);
    luaL_argcheck(L, (lua_Unsigned)pos - 1u < (lua_Unsigned)e, 2, "position out of bounds");
    for (lua_Integer i = e; i > pos; i--) {
      charge_every(L, i);
      lua_geti(L, 1, i - 1);
      lua_seti(L, 1, i);
    }
    break;
  default: return luaL_error(L, "wrong number of arguments to 'insert'");
  }
  lua_seti(L, 1, pos);
  return 0;
}

static int tab_remove(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer size = luaL_len(L, 1), pos = luaL_optinteger(L, 2, size);
  /* argument 1, as Lua 5.4.4 says */
  if (pos != size) luaL_argcheck(L, (lua_Unsigned)pos - 1u <= (lua_Unsigned)size, 1, "position out of bounds");
  lua_geti(L, 1, pos);
  for (; pos < size; pos++) {
    charge_every(L, pos);
    lua_geti(L, 1, pos + 1);
    lua_seti(L, 1, pos);
  }
  lua_pushnil(L);
  lua_seti(L, 1, pos);
  return 1;
}

static int tab_move(lua_State *L) {
  lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3), t = luaL_checkinteger(L, 4);
  int tt = !lua_isnoneornil(L, 5) ? 5 : 1;
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, tt, LUA_TTABLE);
  if (e >= f) {
    luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
    lua_Integer n = e - f;
    luaL_argcheck(L, t <= LUA_MAXINTEGER - n, 4, "destination wrap around");
    if (t > e || t <= f || (tt != 1 && !lua_compare(L, 1, tt, LUA_OPEQ))) {
      for (lua_Integer i = 0; i <= n; i++) {
        charge_every(L, i + 1);
        lua_geti(L, 1, f + i);
        lua_seti(L, tt, t + i);
      }
    } else {
      for (lua_Integer i = n; i >= 0; i--) {
        charge_every(L, i + 1);
        lua_geti(L, 1, f + i);
        lua_seti(L, tt, t + i);
      }
    }
  }
  lua_pushvalue(L, tt);
  return 1;
}

void vn_spec_open_strlib(lua_State *L) {
  static const luaL_Reg str[] = {
    {"find", str_find}, {"match", str_match}, {"gmatch", str_gmatch}, {"gsub", str_gsub}, {"rep", str_rep}, {NULL, NULL},
  };
  lua_getglobal(L, LUA_STRLIBNAME);
  luaL_setfuncs(L, str, 0);
  lua_pop(L, 1);
  static const luaL_Reg tab[] = {{"insert", tab_insert}, {"remove", tab_remove}, {"move", tab_move}, {NULL, NULL}};
  lua_getglobal(L, LUA_TABLIBNAME);
  luaL_setfuncs(L, tab, 0);
  lua_pop(L, 1);
}
