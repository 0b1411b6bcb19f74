/* spec_lua.c: the sandboxed Lua 5.4 state that runs archspecs, one per
 * compile (VnSpecs). archspecs/lib loads once into an environment; each spec
 * added runs once, in an environment of its own whose missing names come
 * from the libraries', to declare its header; the GGUF mapping, the chosen
 * spec's build and the chat-format match run in the same state, which closes
 * with the compile. No pass calls Lua.
 *
 * Sandbox: chunks see the builder plus string (without dump), math, table,
 * utf8 and the harmless base functions; no io, os, require, load, debug or
 * coroutine. Chunks load as text only. One budget covers everything the
 * state runs (VN_SPEC_* in spec_lua.h):
 *   work    VM instructions (a count hook), calls and caught errors, plus
 *           what C functions charge:
 *           allocated bytes / 4, pattern-matching steps, the loops of the
 *           string and table functions (spec_strlib.c), builder searches;
 *   memory  the Lua heap plus the bytes the builder adds to the arena
 *           (going over is judged at the next hook or charge, by the live
 *           data after a full collection, which must stay under 7/8 of the
 *           limit; an allocation past a reserve fails at once);
 *   time    wall clock, checked by the hook (which also fires on every
 *           call) and every 64 allocations.
 * A limit once hit stays hit: the hook raises it again on every event,
 * pcall and xpcall rethrow it (an xpcall handler is not run), and __gc
 * metamethods are refused (finalizers run with hooks off), so the spec ends
 * with the limit's error whatever it catches. */
#include "spec_lua.h"
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOOK_EVERY 1000   /* instructions between count hooks */
#define CALL_WORK 32      /* a call costs this many instructions */
#define ERROR_WORK 256    /* and an error caught by pcall this many */

static int nstates;
int vn_spec_states(void) { return nstates; }

VnSpecs *vn_spec_state(lua_State *L) {
  void *ud;
  lua_getallocf(L, &ud);
  return ud;
}

VnSpecBuilder *vn_spec_builder(lua_State *L) { return vn_spec_state(L)->b; }

/* ---- the budget ---- */
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static size_t arena_bytes(const VnSpecs *s) {
  return s->arena_used + (s->running ? s->ctx->arena.used_total - s->arena_mark : 0);
}

static void trip(VnSpecs *s, const char *what) {
  if (s->tripped) return;
  s->tripped = 1;
  snprintf(s->why, sizeof s->why, "spec exceeded the %s", what);
}
#define TRIP_WORK(s)  trip(s, "instruction limit (200 million, counting the work of library calls)")
#define TRIP_MEM(s)   trip(s, "memory limit (256 MiB of Lua heap and graph)")
#define TRIP_TIME(s)  trip(s, "time limit (30 s)")

/* Where the spec is: the innermost frame of a chunk, from stack level lv. */
static void locate(lua_State *L, VnSpecs *s, int lv) {
  if (s->why_file) return;
  lua_Debug ar;
  for (; lua_getstack(L, lv, &ar); lv++) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline > 0 && ar.source[0] == '@') {
      s->why_file = vn_arena_strdup(&s->ctx->arena, ar.source + 1);
      s->why_line = ar.currentline;
      return;
    }
  }
}

static void push_why(lua_State *L, VnSpecs *s) {
  if (s->why_file) lua_pushfstring(L, "%s:%d: %s", s->why_file, s->why_line, s->why);
  else lua_pushstring(L, s->why);
}

static int raise_trip(lua_State *L, VnSpecs *s) {
  locate(L, s, 0);
  push_why(L, s);
  return lua_error(L);
}

static void check(lua_State *L, VnSpecs *s) {
  if (!s->tripped && s->over) {  /* past the limit: over it still after a full collection? */
    s->over = 0;
    lua_gc(L, LUA_GCCOLLECT);
    /* live data this close to the limit would collect again and again */
    if (s->mem + arena_bytes(s) > VN_SPEC_MEM_LIMIT / 8 * 7) TRIP_MEM(s);
  }
  if (!s->tripped) {
    if (s->work > VN_SPEC_WORK_LIMIT) TRIP_WORK(s);
    else if (arena_bytes(s) > VN_SPEC_MEM_LIMIT) TRIP_MEM(s);
    else if (now() > s->deadline) TRIP_TIME(s);
  }
  if (s->tripped) raise_trip(L, s);
}

void vn_spec_charge(lua_State *L, long long work) {
  VnSpecs *s = vn_spec_state(L);
  s->work += work;
  check(L, s);
}

static void hook(lua_State *L, lua_Debug *ar) {
  VnSpecs *s = vn_spec_state(L);
  s->work += ar->event == LUA_HOOKCOUNT ? HOOK_EVERY : CALL_WORK;
  check(L, s);
}

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  VnSpecs *s = ud;
  if (!ptr) osize = 0;
  if (nsize == 0) { free(ptr); s->mem -= osize; return NULL; }
  if (nsize > osize) {
    size_t grow = nsize - osize;
    s->work += (long long)(grow / 4);
    size_t arena = arena_bytes(s);
    if (arena > VN_SPEC_MEM_LIMIT) { TRIP_MEM(s); return NULL; }  /* no collection frees the arena */
    /* past the limit: the next hook or charge collects and decides (and
     * can name the spec line); past the reserve: refused at once */
    if (s->mem + grow + arena > VN_SPEC_MEM_LIMIT + VN_SPEC_MEM_RESERVE) return NULL;
    if (s->mem + grow + arena > VN_SPEC_MEM_LIMIT) s->over = 1;
    if ((++s->allocs & 63) == 0 && now() > s->deadline) { TRIP_TIME(s); return NULL; }
  }
  void *p = realloc(ptr, nsize);
  if (p) s->mem = s->mem - osize + nsize;
  return p;
}

/* ---- protected calls inside the spec ---- */
/* The spec's own line under level lv: the innermost frame of a chunk that
 * is not a library (archspecs/lib/), so that an error a library raises on a
 * spec's behalf names the line its author wrote. */
VnLoc vn_spec_spec_loc(lua_State *L, int lv) {
  lua_Debug ar;
  for (; lua_getstack(L, lv, &ar); lv++) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline > 0 && ar.source[0] == '@' && strncmp(ar.source + 1, "archspecs/lib/", 14))
      return (VnLoc){vn_arena_strdup(&vn_spec_state(L)->ctx->arena, ar.source + 1), ar.currentline};
  }
  return (VnLoc){NULL, 0};
}

/* length of a leading "archspecs/lib/NAME.lua:LINE" of m (0: none) */
static size_t lib_where(const char *m) {
  if (strncmp(m, "archspecs/lib/", 14)) return 0;
  const char *c = strstr(m, ".lua:");
  if (!c || memchr(m, ' ', (size_t)(c - m))) return 0;
  size_t n = (size_t)(c - m) + 5, d = strspn(m + n, "0123456789");
  return d && !strncmp(m + n + d, ": ", 2) ? n + d : 0;
}

static int msghandler(lua_State *L) {
  VnSpecs *s = vn_spec_state(L);
  if (s->tripped) {
    locate(L, s, 1);
    push_why(L, s);
    return 1;
  }
  if (!lua_isstring(L, 1)) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    return 1;
  }
  /* "archspecs/lib/x.lua:N: what" raised under a spec's call: the spec's
   * line first, the library's after it */
  const char *m = lua_tostring(L, 1);
  size_t w = lib_where(m);
  VnLoc spec = w ? vn_spec_spec_loc(L, 1) : (VnLoc){NULL, 0};
  if (spec.file) {
    const char *nl = strchr(m + w + 2, '\n');
    int rest = nl ? (int)(nl - (m + w + 2)) : (int)strlen(m + w + 2);
    lua_pushfstring(L, "%s:%d: %s (in %s)", spec.file, spec.line, lua_pushlstring(L, m + w + 2, (size_t)rest),
                    lua_pushlstring(L, m, w));
  }
  return 1;
}

/* pcall's handler: the error as it is, after noting where a limit was hit */
static int mark_handler(lua_State *L) {
  VnSpecs *s = vn_spec_state(L);
  if (s->tripped) locate(L, s, 1);
  return 1;
}

/* xpcall's handler: the spec's own, unless a limit was hit */
static int xp_handler(lua_State *L) {
  VnSpecs *s = vn_spec_state(L);
  if (s->tripped) { locate(L, s, 1); return 1; }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

/* After a protected call at stack index 1 (handler) returned rc: a limit's
 * error goes on up; anything else returns as pcall does. */
static int pcall_result(lua_State *L, int rc) {
  VnSpecs *s = vn_spec_state(L);
  if (rc == LUA_ERRMEM) TRIP_MEM(s);
  if (s->tripped) return raise_trip(L, s);
  if (rc != LUA_OK) vn_spec_charge(L, ERROR_WORK);
  lua_pushboolean(L, rc == LUA_OK);
  lua_replace(L, 1);
  return lua_gettop(L);
}

static int sb_pcall(lua_State *L) {
  luaL_checkany(L, 1);
  lua_pushcfunction(L, mark_handler);
  lua_insert(L, 1);
  return pcall_result(L, lua_pcall(L, lua_gettop(L) - 2, LUA_MULTRET, 1));
}

static int sb_xpcall(lua_State *L) {
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 2);
  lua_pushcclosure(L, xp_handler, 1);
  lua_replace(L, 2);   /* f, handler, args */
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_replace(L, 1);
  lua_replace(L, 2);   /* handler, f, args */
  return pcall_result(L, lua_pcall(L, lua_gettop(L) - 2, LUA_MULTRET, 1));
}

/* setmetatable without finalizers: Lua runs __gc with hooks off, outside
 * any limit, so a spec may not set one */
static int sb_setmetatable(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int t = lua_type(L, 2);
  luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
  if (t == LUA_TTABLE && lua_getfield(L, 2, "__gc") != LUA_TNIL)
    return luaL_error(L, "setmetatable: a spec may not set __gc (finalizers run outside the sandbox's limits)");
  if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) return luaL_error(L, "cannot change a protected metatable");
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

/* print() writes to stderr so specs can debug without touching stdout. */
static int sb_print(lua_State *L) {
  int n = lua_gettop(L);
  for (int i = 1; i <= n; i++) {
    size_t len;
    const char *t = luaL_tolstring(L, i, &len);
    vn_spec_charge(L, (long long)(len / 4));  /* output costs as allocation does */
    fprintf(stderr, "%s%s", i > 1 ? "\t" : "", t);
    lua_pop(L, 1);
  }
  fputc('\n', stderr);
  return 0;
}

/* ---- the environment ---- */
/* Push the libraries' environment: the builder and the safe libraries. */
static void push_env(lua_State *L) {
  lua_newtable(L);
  int env = lua_gettop(L);
  static const char *const base[] = {"assert", "error", "ipairs", "next", "pairs", "rawequal", "rawget", "rawlen",
                                     "rawset", "select", "getmetatable", "tonumber", "tostring", "type", NULL};
  lua_pushglobaltable(L);
  for (const char *const *k = base; *k; k++) {
    lua_getfield(L, -1, *k);
    lua_setfield(L, env, *k);
  }
  lua_pop(L, 1);
  static const luaL_Reg wrapped[] = {
    {"pcall", sb_pcall}, {"xpcall", sb_xpcall}, {"setmetatable", sb_setmetatable}, {"print", sb_print}, {NULL, NULL},
  };
  luaL_setfuncs(L, wrapped, 0);
  static const char *const libs[] = {LUA_STRLIBNAME, LUA_MATHLIBNAME, LUA_TABLIBNAME, LUA_UTF8LIBNAME, NULL};
  for (const char *const *l = libs; *l; l++) {
    lua_getglobal(L, *l);
    lua_setfield(L, env, *l);
  }
  vn_spec_open_builder(L);
  lua_pushvalue(L, env);
  lua_setfield(L, env, "_G");
  lua_pushliteral(L, "config.json");
  lua_setfield(L, env, "config_file");
}

void vn_spec_getenv(VnSpecs *s, const char *k) {
  lua_rawgeti(s->L, LUA_REGISTRYINDEX, s->env);
  lua_getfield(s->L, -1, k);
  lua_remove(s->L, -2);
}

/* ---- running chunks ---- */
static VnStatus lua_fail(VnSpecs *s, const char *file) {
  VnCtx *ctx = s->ctx;
  const char *m = lua_tostring(s->L, -1);
  /* Lua prefixes "file:line:"; keep its text as the one-line message */
  if (m) {
    char *c = vn_arena_strdup(&ctx->arena, m);
    if (strchr(c, '\n')) *strchr(c, '\n') = 0;
    m = c;
  }
  lua_pop(s->L, 1);
  /* a message that already starts with "some/file:" stands as it is */
  int located = 0;
  if (m) {
    const char *c = strstr(m, ": ");
    located = c && c > m && memchr(m, ' ', (size_t)(c - m)) == NULL && (memchr(m, '/', (size_t)(c - m)) || memchr(m, '.', (size_t)(c - m)));
  }
  if (m && !located) return vn_errorf(ctx, VN_ERR_SPEC, (VnLoc){file, 0}, "%s", m);
  return vn_errorf(ctx, VN_ERR_SPEC, VN_NOLOC, "%s", m ? m : "spec failed");
}

static VnStatus trip_error(VnSpecs *s, const char *file) {
  if (s->why_file) return vn_errorf(s->ctx, VN_ERR_SPEC, (VnLoc){s->why_file, s->why_line}, "%s", s->why);
  return vn_errorf(s->ctx, VN_ERR_SPEC, (VnLoc){file, 0}, "%s", s->why);
}

VnStatus vn_spec_pcall(VnSpecs *s, int nargs, int nres, const char *file) {
  lua_State *L = s->L;
  int base = lua_gettop(L) - nargs;
  if (s->tripped) { lua_settop(L, base - 1); return trip_error(s, file); }
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  s->arena_mark = s->ctx->arena.used_total;
  s->running = 1;
  int rc = lua_pcall(L, nargs, nres, base);
  s->arena_used += s->ctx->arena.used_total - s->arena_mark;
  s->running = 0;
  lua_remove(L, base);
  if (rc == LUA_OK) return VN_OK;
  if (rc == LUA_ERRMEM) TRIP_MEM(s);
  if (s->tripped) { lua_pop(L, 1); return trip_error(s, file); }
  return lua_fail(s, file);
}

/* Load a chunk as text with env (a stack index) as its _ENV and run it;
 * leaves its first result. */
static VnStatus run_chunk(VnSpecs *s, const VnSpecSrc *c, int env) {
  lua_State *L = s->L;
  const char *cname = lua_pushfstring(L, "@%s", c->file);
  int rc = luaL_loadbufferx(L, c->text, c->len, cname, "t");
  lua_remove(L, -2);
  if (rc == LUA_ERRMEM) { lua_pop(L, 1); TRIP_MEM(s); return trip_error(s, c->file); }
  if (rc != LUA_OK) return lua_fail(s, c->file);
  lua_pushvalue(L, env);
  lua_setupvalue(L, -2, 1);
  return vn_spec_pcall(s, 0, 1, c->file);
}

/* Run archspecs/lib in the environment at env: each library's returned
 * table is merged into it. */
static VnStatus load_libs(VnSpecs *s, const VnSpecSrc *libs, int nlibs, int env) {
  lua_State *L = s->L;
  for (int i = 0; i < nlibs; i++) {
    VN_TRY(run_chunk(s, &libs[i], env));
    if (lua_istable(L, -1)) {
      lua_pushnil(L);
      while (lua_next(L, -2)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_settable(L, env);
      }
    }
    lua_pop(L, 1);
  }
  return VN_OK;
}

/* ---- the state ---- */
VnStatus vn_spec_open(VnCtx *ctx, const VnSpecSrc *libs, int nlibs, VnSpecs **out) {
  *out = NULL;
  VnSpecs *s = calloc(1, sizeof *s);
  if (!s) return vn_errorf(ctx, VN_ERR_NOMEM, VN_NOLOC, "out of memory");
  s->ctx = ctx;
  s->idle.ctx = ctx;
  s->idle.g = &s->scratch;
  s->idle.layer = -1;
  s->idle.image_state = VN_NONE;
  s->scratch.output = VN_NONE;
  s->scratch.hidden = VN_NONE;
  s->b = &s->idle;
  s->deadline = now() + VN_SPEC_TIME_LIMIT;
  lua_State *L = s->L = lua_newstate(limited_alloc, s);
  if (!L) { free(s); return vn_errorf(ctx, VN_ERR_NOMEM, VN_NOLOC, "cannot create a Lua state"); }
  nstates++;
  *out = s;
  luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
  luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
  lua_settop(L, 0);
  /* string.dump would expose bytecode; strings share this table as metatable */
  lua_getglobal(L, LUA_STRLIBNAME);
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  lua_pop(L, 1);
  vn_spec_open_strlib(L);
  lua_sethook(L, hook, LUA_MASKCOUNT | LUA_MASKCALL, HOOK_EVERY);
  push_env(L);
  lua_pushvalue(L, 1);
  s->env = luaL_ref(L, LUA_REGISTRYINDEX);
  VnStatus st = load_libs(s, libs, nlibs, 1);
  lua_settop(L, 0);
  return st;
}

static const char **str_list(VnCtx *ctx, lua_State *L, int t, const char *k, int *n) {
  *n = 0;
  lua_getfield(L, t, k);
  if (lua_type(L, -1) == LUA_TSTRING) {
    const char **v = vn_arena_alloc(&ctx->arena, sizeof *v);
    v[0] = vn_arena_strdup(&ctx->arena, lua_tostring(L, -1));
    *n = 1;
    lua_pop(L, 1);
    return v;
  }
  if (!lua_istable(L, -1)) { lua_pop(L, 1); return NULL; }
  int len = (int)lua_rawlen(L, -1);
  const char **v = vn_arena_alloc(&ctx->arena, (size_t)(len + 1) * sizeof *v);
  for (int i = 1; i <= len; i++) {
    lua_rawgeti(L, -1, i);
    if (lua_type(L, -1) == LUA_TSTRING) v[(*n)++] = vn_arena_strdup(&ctx->arena, lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return v;
}

const char *vn_spec_str_field(VnCtx *ctx, lua_State *L, int t, const char *k) {
  lua_getfield(L, t, k);
  const char *v = lua_type(L, -1) == LUA_TSTRING ? vn_arena_strdup(&ctx->arena, lua_tostring(L, -1)) : NULL;
  lua_pop(L, 1);
  return v;
}

/* The declared header of the arch table at t. */
static VnStatus read_info(VnSpecs *s, int t, const VnSpecSrc *spec, VnSpecInfo *in) {
  VnCtx *ctx = s->ctx;
  memset(in, 0, sizeof *in);
  in->name = vn_spec_str_field(ctx, s->L, t, "name");
  in->about = vn_spec_str_field(ctx, s->L, t, "about");
  in->options = vn_spec_str_field(ctx, s->L, t, "options");
  in->file = vn_arena_strdup(&ctx->arena, spec->file);
  in->hf = str_list(ctx, s->L, t, "hf", &in->nhf);
  in->types = str_list(ctx, s->L, t, "model_type", &in->ntypes);
  /* gguf_archs (lib/gguf.lua): GGUF architecture -> the HF classes it becomes */
  lua_State *L = s->L;
  int top = lua_gettop(L);
  vn_spec_getenv(s, "gguf_archs");
  if (lua_istable(L, -1) && in->nhf) {
    int ga = lua_gettop(L), cap = 0;
    lua_pushnil(L);
    while (lua_next(L, ga)) cap++, lua_pop(L, 1);
    in->gguf = vn_arena_alloc(&ctx->arena, (size_t)(cap + 1) * sizeof *in->gguf);
    lua_pushnil(L);
    while (lua_next(L, ga)) {
      int hit = 0;
      if (lua_type(L, -2) == LUA_TSTRING && lua_istable(L, -1))
        for (int i = 1; i <= (int)lua_rawlen(L, -1) && !hit; i++) {
          lua_rawgeti(L, -1, i);
          for (int k = 0; k < in->nhf && lua_type(L, -1) == LUA_TSTRING; k++) hit |= !strcmp(in->hf[k], lua_tostring(L, -1));
          lua_pop(L, 1);
        }
      if (hit) {  /* kept sorted */
        const char *a = vn_arena_strdup(&ctx->arena, lua_tostring(L, -2));
        int j = in->ngguf++;
        while (j > 0 && strcmp(in->gguf[j - 1], a) > 0) { in->gguf[j] = in->gguf[j - 1]; j--; }
        in->gguf[j] = a;
      }
      lua_pop(L, 1);
    }
  }
  lua_settop(L, top);
  if (!in->name) return vn_errorf(ctx, VN_ERR_SPEC, (VnLoc){spec->file, 0}, "the spec has no name");
  return VN_OK;
}

VnStatus vn_spec_add(VnSpecs *s, const VnSpecSrc *spec, int *idx) {
  lua_State *L = s->L;
  int top = lua_gettop(L);
  if (s->n == s->cap) {
    int cap = s->cap ? s->cap * 2 : 64;
    VnSpecSrc *ns = realloc(s->src, (size_t)cap * sizeof *ns);
    if (ns) s->src = ns;
    VnSpecInfo *ni = realloc(s->info, (size_t)cap * sizeof *ni);
    if (ni) s->info = ni;
    int *nr = realloc(s->ref, (size_t)cap * sizeof *nr);
    if (nr) s->ref = nr;
    if (!ns || !ni || !nr) return vn_errorf(s->ctx, VN_ERR_NOMEM, VN_NOLOC, "out of memory");
    s->cap = cap;
  }
  /* the spec's environment: its own globals over the libraries' */
  lua_newtable(L);
  lua_createtable(L, 0, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->env);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  VnStatus st = run_chunk(s, spec, lua_gettop(L));
  if (st == VN_OK && !lua_istable(L, -1))
    st = vn_errorf(s->ctx, VN_ERR_SPEC, (VnLoc){spec->file, 0}, "the spec must return arch{...}");
  if (st == VN_OK) st = read_info(s, lua_gettop(L), spec, &s->info[s->n]);
  if (st == VN_OK) {
    s->src[s->n] = *spec;
    s->ref[s->n] = luaL_ref(L, LUA_REGISTRYINDEX);
    *idx = s->n++;
  }
  lua_settop(L, top);
  return st;
}

int vn_spec_count(const VnSpecs *s) { return s->n; }
const VnSpecInfo *vn_spec_info(const VnSpecs *s, int idx) { return &s->info[idx]; }

int vn_spec_find(const VnSpecs *s, const char *arch_class, const char *model_type) {
  int by_type = -1;
  for (int i = 0; i < s->n; i++) {
    const VnSpecInfo *in = &s->info[i];
    for (int k = 0; k < in->nhf; k++)
      if (arch_class && !strcmp(in->hf[k], arch_class)) return i;
    for (int k = 0; k < in->ntypes && by_type < 0; k++)
      if (model_type && !strcmp(in->types[k], model_type)) by_type = i;
  }
  return by_type;
}

void vn_spec_close(VnSpecs *s) {
  if (!s) return;
  if (s->L) lua_close(s->L);
  free(s->src);
  free(s->info);
  free(s->ref);
  free(s);
}
