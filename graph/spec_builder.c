/* spec_builder.c: the builder API a spec's build(cfg) calls (one luaL_Reg
 * array, `builder` below) and vn_spec_build, which runs it.
 *
 * luaL_error longjmps out of builder functions, so everything they allocate
 * comes from the compile arena (never malloc); the sandbox charges the
 * arena's growth to the memory budget and their searches to the work budget.
 * Tensors are userdata typed by metatable name: "venus.Tensor" (a graph
 * node) and "venus.Weight" (a weight expression, made a WEIGHT node when an
 * op first uses it). */
#include "spec_lua.h"
#include "ops.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef VnSpecBuilder Builder;
typedef struct { uint32_t node; VnGraph *g; } LTensor;  /* g: the graph it is a node of */
typedef struct { VnWx *wx; } LWeight;

static Builder *B(lua_State *L) { return vn_spec_builder(L); }

/* ---- locations ----
 * The Lua line that called a builder function: the innermost frame with a
 * source, past lib/gguf.lua's weight mapping (plumbing between every spec
 * and weight(), never the line to look at). */
static VnLoc caller_loc(lua_State *L) {
  lua_Debug ar;
  VnLoc loc = {NULL, 0};
  for (int lv = 1; lua_getstack(L, lv, &ar); lv++) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline > 0 && ar.source[0] == '@' && strcmp(ar.source + 1, "archspecs/lib/gguf.lua")) {
      loc.file = vn_arena_strdup(&B(L)->ctx->arena, ar.source + 1);
      loc.line = ar.currentline;
      break;
    }
  }
  return loc;
}

/* where a weight was wanted, for a message: "SPEC:LINE" of the spec's own
 * line (vn_spec_spec_loc), then the library line under it when it differs */
static const char *wanted_by(lua_State *L) {
  VnLoc lib = caller_loc(L), spec = vn_spec_spec_loc(L, 1);
  if (!lib.file) return "?";
  if (!spec.file || (!strcmp(spec.file, lib.file) && spec.line == lib.line))
    return lua_pushfstring(L, "%s:%d", lib.file, lib.line);
  return lua_pushfstring(L, "%s:%d, in %s:%d", spec.file, spec.line, lib.file, lib.line);
}

/* Raise the context's first error as a Lua error (its text already carries
 * the location), leaving the context clean for the final report. */
static int raise_ctx(lua_State *L) {
  Builder *b = B(L);
  lua_pushstring(L, b->ctx->msg);
  b->ctx->status = VN_OK;
  b->ctx->nerr = 0;
  b->ctx->msg[0] = 0;
  return lua_error(L);
}

/* ---- option tables ---- */
/* Check that table at idx has only keys from `allowed` (space separated). */
static void opts_check(lua_State *L, int idx, const char *fn, const char *allowed) {
  if (lua_isnoneornil(L, idx)) return;
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s: option keys must be names", fn);
    const char *k = lua_tostring(L, -1);
    size_t kl = strlen(k);
    int ok = 0;
    for (const char *p = allowed; *p;) {
      const char *e = strchr(p, ' ');
      size_t l = e ? (size_t)(e - p) : strlen(p);
      if (l == kl && !strncmp(p, k, l)) { ok = 1; break; }
      p += l + (e ? 1 : 0);
    }
    if (!ok) luaL_error(L, "%s: unknown option '%s' (known: %s)", fn, k, allowed);
  }
}

static int opt_field(lua_State *L, int idx, const char *k) {
  if (lua_isnoneornil(L, idx)) return 0;
  lua_getfield(L, idx, k);
  if (lua_isnil(L, -1)) { lua_pop(L, 1); return 0; }
  return 1;
}

static lua_Integer opt_int(lua_State *L, int idx, const char *k, lua_Integer def) {
  if (!opt_field(L, idx, k)) return def;
  int isnum;
  lua_Integer v = lua_tointegerx(L, -1, &isnum);
  if (!isnum) luaL_error(L, "option '%s' must be an integer", k);
  lua_pop(L, 1);
  return v;
}

static double opt_num(lua_State *L, int idx, const char *k, double def) {
  if (!opt_field(L, idx, k)) return def;
  int isnum;
  double v = lua_tonumberx(L, -1, &isnum);
  if (!isnum) luaL_error(L, "option '%s' must be a number", k);
  lua_pop(L, 1);
  return v;
}

static int opt_bool(lua_State *L, int idx, const char *k, int def) {
  if (!opt_field(L, idx, k)) return def;
  int v = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

static const char *opt_str(lua_State *L, int idx, const char *k, const char *def) {
  if (!opt_field(L, idx, k)) return def;
  if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "option '%s' must be a string", k);
  const char *s = vn_arena_strdup(&B(L)->ctx->arena, lua_tostring(L, -1));
  lua_pop(L, 1);
  return s;
}

static int act_arg(lua_State *L, const char *s) {
  if (!s) return VN_ACT_NONE;
  int a = vn_act_parse(s);
  if (a < 0) {
    char known[256] = "";
    for (int i = 0; i < VN_ACT_COUNT; i++) {
      strcat(known, i ? ", " : "");
      strcat(known, vn_act_name(i));
    }
    luaL_error(L, "unknown activation '%s' (known: %s)", s, known);
  }
  return a;
}

/* ---- tensors and weights ---- */
static void push_tensor(lua_State *L, uint32_t node) {
  LTensor *t = lua_newuserdatauv(L, sizeof *t, 0);
  t->node = node;
  t->g = B(L)->g;
  luaL_setmetatable(L, "venus.Tensor");
}

static void push_weight(lua_State *L, VnWx *wx) {
  LWeight *w = lua_newuserdatauv(L, sizeof *w, 0);
  w->wx = wx;
  luaL_setmetatable(L, "venus.Weight");
}

static VnWx *check_weight(lua_State *L, int idx) {
  return ((LWeight *)luaL_checkudata(L, idx, "venus.Weight"))->wx;
}

static uint32_t weight_node(lua_State *L, VnWx *wx) {
  Builder *b = B(L);
  vn_spec_charge(L, b->nwnodes / 8);
  for (int i = 0; i < b->nwnodes; i++)
    if (b->wnodes[i].wx == wx) return b->wnodes[i].node;
  uint32_t n = vn_graph_add(b->ctx, b->g, VN_OP_WEIGHT, NULL, 0);
  VnNode *nd = vn_node(b->g, n);
  nd->wx = wx;
  nd->nd = wx->nd;
  memcpy(nd->dim, wx->dim, sizeof nd->dim);
  nd->dtype = VN_F32;
  nd->loc = caller_loc(L);
  nd->layer = b->layer;
  if (wx->kind == VN_WX_TENSOR) nd->name = wx->tensor;
  else {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    vn_wx_print(wx, f);
    fclose(f);
    nd->name = vn_arena_strdup(&b->ctx->arena, buf);
    free(buf);
  }
  if (b->nwnodes == b->wncap) {
    int cap = b->wncap ? b->wncap * 2 : 64;
    struct WNode *nw = vn_arena_alloc(&b->ctx->arena, (size_t)cap * sizeof *nw);
    if (b->nwnodes) memcpy(nw, b->wnodes, (size_t)b->nwnodes * sizeof *nw);
    b->wnodes = nw;
    b->wncap = cap;
  }
  b->wnodes[b->nwnodes].wx = wx;
  b->wnodes[b->nwnodes++].node = n;
  return n;
}

/* An operand: a Tensor, a Weight (made a node), or nil when optional. */
static uint32_t operand(lua_State *L, int idx, int optional) {
  if (optional && lua_isnoneornil(L, idx)) return VN_NONE;
  void *p = luaL_testudata(L, idx, "venus.Tensor");
  if (p) {
    if (((LTensor *)p)->g != B(L)->g)
      return (uint32_t)luaL_argerror(L, idx, "a tensor of another graph (the vision graph's tensors stay inside vision())");
    return ((LTensor *)p)->node;
  }
  p = luaL_testudata(L, idx, "venus.Weight");
  if (p) return weight_node(L, ((LWeight *)p)->wx);
  return (uint32_t)luaL_argerror(L, idx, optional ? "tensor, weight or nil expected" : "tensor or weight expected");
}

/* Add a node with operands, then infer its shape; a shape error becomes a
 * Lua error at the calling line. */
static uint32_t add_node(lua_State *L, VnOp op, const uint32_t *src, int nsrc, const VnParams *p, int rows, int cols) {
  Builder *b = B(L);
  uint32_t i = vn_graph_add(b->ctx, b->g, op, src, nsrc);
  VnNode *n = vn_node(b->g, i);
  if (p) n->p = *p;
  n->loc = caller_loc(L);
  n->layer = b->layer;
  if (cols) { n->nd = 2; n->dim[0] = rows; n->dim[1] = cols; }
  if (vn_op_shape(b->ctx, b->g, i) != VN_OK) raise_ctx(L);
  return i;
}

static VnWx *new_wx(lua_State *L, VnWxKind k, int nargs) {
  Builder *b = B(L);
  VnWx *w = vn_arena_alloc(&b->ctx->arena, sizeof *w);
  w->kind = k;
  w->nargs = nargs;
  if (nargs) w->args = vn_arena_alloc(&b->ctx->arena, (size_t)nargs * sizeof *w->args);
  return w;
}

static const char *source_name(Builder *b) { return b->src && b->src->path ? b->src->path : "model"; }

/* The model tensor of this name, or NULL (a linear search: charged). */
static const VnTensorInfo *find_tensor(lua_State *L, const char *name) {
  Builder *b = B(L);
  if (!b->src) return NULL;
  vn_spec_charge(L, b->src->ntensors / 8);
  return vn_source_find(b->src, name);
}

static void dims_text(char *buf, size_t cap, int nd, const lua_Integer *dim, const int *given) {
  size_t k = (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < nd && k < cap; i++)
    k += (size_t)(given && !given[i] ? snprintf(buf + k, cap - k, "%s?", i ? ", " : "")
                                     : snprintf(buf + k, cap - k, "%s%lld", i ? ", " : "", (long long)dim[i]));
  if (k < cap) snprintf(buf + k, cap - k, "]");
}

/* weight's shape = {d0, d1, ...}: the dims the config implies (an entry that
 * is not an integer is not checked) must be the tensor's. The message names
 * the model file, the tensor, both shapes and the config file. */
static void check_shape(lua_State *L, int opts, const VnTensorInfo *ti) {
  if (!opt_field(L, opts, "shape")) return;
  if (!lua_istable(L, -1)) luaL_error(L, "weight: shape must be a list of dims");
  int n = (int)lua_rawlen(L, -1), bad = n > ti->nd, given[VN_MAXDIM + 1] = {0};
  lua_Integer want[VN_MAXDIM + 1] = {0}, have[VN_MAXDIM] = {0};
  if (n > VN_MAXDIM) n = VN_MAXDIM;
  for (int i = 0; i < n; i++) {
    lua_rawgeti(L, -1, i + 1);
    int isint;
    want[i] = lua_tointegerx(L, -1, &isint);
    given[i] = isint;
    if (isint && (i >= ti->nd || want[i] != ti->dim[i])) bad = 1;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  if (!bad) return;
  for (int i = 0; i < ti->nd; i++) have[i] = ti->dim[i];
  char hs[128], ws[128];
  dims_text(hs, sizeof hs, ti->nd, have, NULL);
  dims_text(ws, sizeof ws, n > ti->nd ? n : ti->nd, want, given);
  lua_rawgeti(L, LUA_REGISTRYINDEX, vn_spec_state(L)->env);
  lua_getfield(L, -1, "config_file");
  const char *cf = lua_tostring(L, -1);
  const char *by = wanted_by(L);
  lua_pushfstring(L, "%s: tensor '%s' is %s, but %s implies %s (wanted by %s)", source_name(B(L)), ti->name, hs,
                  cf ? cf : "the config", ws, by);
  lua_error(L);
}

/* weight(name [, {optional = true, shape = {...}}]) */
static int l_weight(lua_State *L) {
  Builder *b = B(L);
  const char *name = luaL_checkstring(L, 1);
  opts_check(L, 2, "weight", "optional shape");
  int optional = opt_bool(L, 2, "optional", 0);
  const VnTensorInfo *ti = find_tensor(L, name);
  if (ti) check_shape(L, 2, ti);
  vn_spec_charge(L, b->nwcache / 8);
  for (int i = 0; i < b->nwcache; i++)
    if (!strcmp(b->wcache[i].name, name)) { push_weight(L, b->wcache[i].wx); return 1; }
  if (!ti) {
    if (optional) { lua_pushnil(L); return 1; }
    /* the message names the model file; the spec line goes in parentheses */
    lua_pushfstring(L, "%s: missing tensor '%s' (wanted by %s)", source_name(b), name, wanted_by(L));
    return lua_error(L);
  }
  VnWx *w = new_wx(L, VN_WX_TENSOR, 0);
  w->tensor = ti->name;
  w->dtype = (int)ti->dtype;
  w->nd = ti->nd;
  memcpy(w->dim, ti->dim, sizeof w->dim);
  if (b->nwcache == b->wcap) {
    int cap = b->wcap ? b->wcap * 2 : 64;
    struct WCache *nc = vn_arena_alloc(&b->ctx->arena, (size_t)cap * sizeof *nc);
    if (b->nwcache) memcpy(nc, b->wcache, (size_t)b->nwcache * sizeof *nc);
    b->wcache = nc;
    b->wcap = cap;
  }
  if (ti->pair_heads > 0) {  /* rows stored as per-head interleaved pairs: regroup to halves */
    VnWx *u = new_wx(L, VN_WX_UNPAIR, 1);
    u->args[0] = w;
    u->a = ti->pair_heads;
    u->nd = w->nd;
    memcpy(u->dim, w->dim, sizeof u->dim);
    if (w->nd > 2 || w->dim[0] % (2 * ti->pair_heads))
      return luaL_error(L, "%s: tensor '%s' cannot be regrouped into %d heads", source_name(b), name, ti->pair_heads);
    w = u;
  }
  b->wcache[b->nwcache].name = ti->name;
  b->wcache[b->nwcache++].wx = w;
  push_weight(L, w);
  return 1;
}

/* has(name): does the model file hold this tensor? */
static int l_has(lua_State *L) {
  lua_pushboolean(L, find_tensor(L, luaL_checkstring(L, 1)) != NULL);
  return 1;
}

void vn_spec_push_dims(lua_State *L, int nd, const int64_t *dim) {
  lua_createtable(L, nd, 0);
  for (int i = 0; i < nd; i++) {
    lua_pushinteger(L, dim[i]);
    lua_rawseti(L, -2, i + 1);
  }
}

/* shape(name): dims of a model tensor, or nil */
static int l_shape(lua_State *L) {
  const VnTensorInfo *ti = find_tensor(L, luaL_checkstring(L, 1));
  if (!ti) { lua_pushnil(L); return 1; }
  vn_spec_push_dims(L, ti->nd, ti->dim);
  return 1;
}

/* cat(w1, w2, ...): rows stacked */
static int l_cat(lua_State *L) {
  int n = lua_gettop(L);
  if (n < 1) return luaL_error(L, "cat: needs at least one weight");
  VnWx *w = new_wx(L, VN_WX_CAT, n);
  int64_t rows = 0;
  for (int i = 0; i < n; i++) {
    VnWx *a = check_weight(L, i + 1);
    if (i && (a->nd != w->args[0]->nd || (a->nd == 2 && a->dim[1] != w->args[0]->dim[1])))
      return luaL_error(L, "cat: weight %d has other columns than weight 1", i + 1);
    w->args[i] = a;
    rows += a->dim[0];
  }
  w->nd = w->args[0]->nd;
  memcpy(w->dim, w->args[0]->dim, sizeof w->dim);
  w->dim[0] = rows;
  push_weight(L, w);
  return 1;
}

/* zeros{d0, d1, ...} */
static int l_zeros(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  VnWx *w = new_wx(L, VN_WX_ZEROS, 0);
  w->nd = (int)luaL_len(L, 1);
  if (w->nd < 1 || w->nd > VN_MAXDIM) return luaL_error(L, "zeros: 1 to %d dims", VN_MAXDIM);
  for (int i = 0; i < w->nd; i++) {
    lua_rawgeti(L, 1, i + 1);
    w->dim[i] = luaL_checkinteger(L, -1);
    if (w->dim[i] <= 0) return luaL_error(L, "zeros: dims must be positive");
    lua_pop(L, 1);
  }
  push_weight(L, w);
  return 1;
}

/* w:t() */
static int lw_t(lua_State *L) {
  VnWx *a = check_weight(L, 1);
  if (a->nd != 2) return luaL_error(L, "t: needs a 2-D weight, got %d-D", a->nd);
  VnWx *w = new_wx(L, VN_WX_T, 1);
  w->args[0] = a;
  w->nd = 2; w->dim[0] = a->dim[1]; w->dim[1] = a->dim[0];
  push_weight(L, w);
  return 1;
}

/* w:rows(first, count) — first is 0-based */
static int lw_rows(lua_State *L) {
  VnWx *a = check_weight(L, 1);
  lua_Integer first = luaL_checkinteger(L, 2), count = luaL_checkinteger(L, 3);
  if (first < 0 || count <= 0 || first + count > a->dim[0])
    return luaL_error(L, "rows: [%I, %I) outside %I rows", (lua_Integer)first, (lua_Integer)(first + count), (lua_Integer)a->dim[0]);
  VnWx *w = new_wx(L, VN_WX_ROWS, 1);
  w->args[0] = a; w->a = first; w->b = count;
  w->nd = a->nd; memcpy(w->dim, a->dim, sizeof w->dim); w->dim[0] = count;
  push_weight(L, w);
  return 1;
}

static int lw_scalar(lua_State *L, VnWxKind k) {
  VnWx *a = check_weight(L, 1);
  VnWx *w = new_wx(L, k, 1);
  w->args[0] = a; w->c = luaL_checknumber(L, 2);
  w->nd = a->nd; memcpy(w->dim, a->dim, sizeof w->dim);
  push_weight(L, w);
  return 1;
}
static int lw_add(lua_State *L) { return lw_scalar(L, VN_WX_ADD); }
/* w:exp(): exp of every element (e.g. A = w:exp():scale(-1) from A_log) */
static int lw_exp(lua_State *L) {
  VnWx *a = check_weight(L, 1);
  VnWx *w = new_wx(L, VN_WX_EXP, 1);
  w->args[0] = a;
  w->nd = a->nd;
  memcpy(w->dim, a->dim, sizeof w->dim);
  push_weight(L, w);
  return 1;
}
static int lw_scale(lua_State *L) { return lw_scalar(L, VN_WX_SCALE); }

/* w:reshape{d0, d1, ...} */
static int lw_reshape(lua_State *L) {
  VnWx *a = check_weight(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  VnWx *w = new_wx(L, VN_WX_RESHAPE, 1);
  w->args[0] = a;
  w->nd = (int)luaL_len(L, 2);
  if (w->nd < 1 || w->nd > VN_MAXDIM) return luaL_error(L, "reshape: 1 to %d dims", VN_MAXDIM);
  int64_t na = 1, nw = 1;
  for (int i = 0; i < a->nd; i++) na *= a->dim[i];
  for (int i = 0; i < w->nd; i++) {
    lua_rawgeti(L, 2, i + 1);
    w->dim[i] = luaL_checkinteger(L, -1);
    lua_pop(L, 1);
    nw *= w->dim[i];
  }
  if (na != nw) return luaL_error(L, "reshape: %I elements cannot become %I", (lua_Integer)na, (lua_Integer)nw);
  push_weight(L, w);
  return 1;
}

/* w:permute{d1, d2, ...}: dims reordered; result dim i is input dim d_i (1-based) */
static int lw_permute(lua_State *L) {
  VnWx *a = check_weight(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  if ((int)luaL_len(L, 2) != a->nd) return luaL_error(L, "permute: give %d dims", a->nd);
  VnWx *w = new_wx(L, VN_WX_PERMUTE, 1);
  w->args[0] = a;
  w->nd = a->nd;
  int seen[VN_MAXDIM] = {0};
  for (int i = 0; i < a->nd; i++) {
    lua_rawgeti(L, 2, i + 1);
    lua_Integer d = luaL_checkinteger(L, -1);
    lua_pop(L, 1);
    if (d < 1 || d > a->nd || seen[d - 1]++) return luaL_error(L, "permute: {...} must order the dims 1..%d", a->nd);
    w->perm[i] = (int)d - 1;
    w->dim[i] = a->dim[d - 1];
  }
  push_weight(L, w);
  return 1;
}

/* interleave(a, b): rows interleaved a0, b0, a1, b1 ... (gate/up for a fused GLU) */
static int l_pairs(lua_State *L) {
  VnWx *a = check_weight(L, 1), *c = check_weight(L, 2);
  if (a->nd != c->nd || a->dim[0] != c->dim[0] || (a->nd == 2 && a->dim[1] != c->dim[1]))
    return luaL_error(L, "interleave: weights must have the same shape");
  VnWx *w = new_wx(L, VN_WX_PAIRS, 2);
  w->args[0] = a; w->args[1] = c;
  w->nd = a->nd; memcpy(w->dim, a->dim, sizeof w->dim); w->dim[0] *= 2;
  push_weight(L, w);
  return 1;
}

static int lw_index(lua_State *L) {
  VnWx *w = check_weight(L, 1);
  const char *k = luaL_checkstring(L, 2);
  if (!strcmp(k, "shape")) { vn_spec_push_dims(L, w->nd, w->dim); return 1; }
  if (!strcmp(k, "cols")) { lua_pushinteger(L, w->nd >= 2 ? w->dim[w->nd - 1] : 1); return 1; }
  luaL_getmetafield(L, 1, "methods");
  lua_getfield(L, -1, k);
  return 1;
}

static int lt_index(lua_State *L) {
  LTensor *t = luaL_checkudata(L, 1, "venus.Tensor");
  const char *k = luaL_checkstring(L, 2);
  const VnNode *n = vn_node(t->g, t->node);
  if (!strcmp(k, "cols")) { lua_pushinteger(L, vn_node_cols(n)); return 1; }
  if (!strcmp(k, "shape")) { vn_spec_push_dims(L, n->nd, n->dim); return 1; }
  lua_pushnil(L);
  return 1;
}

static int lt_tostring(lua_State *L) {
  LTensor *t = luaL_checkudata(L, 1, "venus.Tensor");
  const VnNode *n = vn_node(t->g, t->node);
  lua_pushfstring(L, "tensor %%%d (%s)", (int)t->node, vn_ops[n->op].name);
  return 1;
}

/* ---- ops ---- */
static int l_tokens(lua_State *L) {
  push_tensor(L, add_node(L, VN_OP_INPUT, NULL, 0, NULL, 0, 0));
  return 1;
}

/* positions([{offset=}]): the step's positions as ids, for learned
 * position embeddings (embed(wpe, positions())) */
static int l_positions(lua_State *L) {
  opts_check(L, 1, "positions", "offset");
  VnParams p = {0};
  p.col0 = (int32_t)opt_int(L, 1, "offset", 0);
  push_tensor(L, add_node(L, VN_OP_POSITIONS, NULL, 0, &p, 0, 0));
  return 1;
}

/* embed(table, ids [, {scale=}]) */
static int l_embed(lua_State *L) {
  opts_check(L, 3, "embed", "scale");
  VnParams p = {0};
  p.scale = (float)opt_num(L, 3, "scale", 1.0);
  uint32_t s[2] = {operand(L, 1, 0), operand(L, 2, 0)};
  push_tensor(L, add_node(L, VN_OP_EMBED, s, 2, &p, 0, 0));
  return 1;
}

static int norm(lua_State *L, VnOp op) {
  int nw = op == VN_OP_RMSNORM ? 1 : 2;
  int oi = 2 + nw;
  opts_check(L, oi, op == VN_OP_RMSNORM ? "rmsnorm" : "layernorm", "eps group");
  VnParams p = {0};
  p.eps = (float)opt_num(L, oi, "eps", 1e-5);
  p.group = (int32_t)opt_int(L, oi, "group", 0);
  uint32_t s[3] = {operand(L, 1, 0), operand(L, 2, 1), nw > 1 ? operand(L, 3, 1) : VN_NONE};
  push_tensor(L, add_node(L, op, s, 1 + nw, &p, 0, 0));
  return 1;
}
/* rmsnorm(x, w|nil [, {eps=, group=}]) */
static int l_rmsnorm(lua_State *L) { return norm(L, VN_OP_RMSNORM); }
/* layernorm(x, w|nil, b|nil [, {eps=, group=}]) */
static int l_layernorm(lua_State *L) { return norm(L, VN_OP_LAYERNORM); }

/* linear(x, w [, b [, {act=, scale=, residual=}]]): x w^T + b */
static int l_linear(lua_State *L) {
  opts_check(L, 4, "linear", "act scale residual");
  VnParams p = {0};
  p.act = act_arg(L, opt_str(L, 4, "act", NULL));
  p.scale = (float)opt_num(L, 4, "scale", 0);
  uint32_t res = VN_NONE;
  if (opt_field(L, 4, "residual")) { res = operand(L, lua_gettop(L), 0); lua_pop(L, 1); }
  uint32_t s[4] = {operand(L, 1, 0), operand(L, 2, 0), operand(L, 3, 1), res};
  push_tensor(L, add_node(L, VN_OP_MATMUL, s, 4, &p, 0, 0));
  return 1;
}

static int binop(lua_State *L, VnOp op) {
  uint32_t s[2] = {operand(L, 1, 0), operand(L, 2, 0)};
  push_tensor(L, add_node(L, op, s, 2, NULL, 0, 0));
  return 1;
}
static int l_add(lua_State *L) { return binop(L, VN_OP_ADD); }
static int l_mul(lua_State *L) { return binop(L, VN_OP_MUL); }

/* a one-operand op with its params */
static int unary(lua_State *L, VnOp op, const VnParams *p) {
  uint32_t s[1] = {operand(L, 1, 0)};
  push_tensor(L, add_node(L, op, s, 1, p, 0, 0));
  return 1;
}

/* act(x, "silu") */
static int l_act(lua_State *L) {
  VnParams p = {0};
  p.act = act_arg(L, luaL_checkstring(L, 2));
  return unary(L, VN_OP_ACT, &p);
}

/* glu(x, "silu"): act(first half) * second half */
static int l_glu(lua_State *L) {
  VnParams p = {0};
  p.act = act_arg(L, luaL_checkstring(L, 2));
  return unary(L, VN_OP_GLU, &p);
}

/* scale(x, s) */
static int l_scale(lua_State *L) {
  VnParams p = {0};
  p.scale = (float)luaL_checknumber(L, 2);
  return unary(L, VN_OP_SCALE, &p);
}

/* softcap(x, cap) */
static int l_softcap(lua_State *L) {
  VnParams p = {0};
  p.cap = (float)luaL_checknumber(L, 2);
  return unary(L, VN_OP_SOFTCAP, &p);
}

/* xielu(x, params): xIELU with its learned parameters, a weight [4] of
 * (alpha_p, alpha_n, beta, eps) as stored (softplus is applied to alphas) */
static int l_xielu(lua_State *L) {
  uint32_t s2[2] = {operand(L, 1, 0), operand(L, 2, 0)};
  push_tensor(L, add_node(L, VN_OP_XIELU, s2, 2, NULL, 0, 0));
  return 1;
}

/* view(x, first_col, ncols) — first_col 0-based */
static int l_view(lua_State *L) {
  VnParams p = {0};
  p.col0 = (int32_t)luaL_checkinteger(L, 2);
  lua_Integer nc = luaL_checkinteger(L, 3);
  uint32_t s[1] = {operand(L, 1, 0)};
  push_tensor(L, add_node(L, VN_OP_VIEW, s, 1, &p, VN_T, (int)nc));
  return 1;
}

/* The list of numbers at stack index idx as arena floats; want >= 0 demands
 * that many. NULL (with *n = 0) when the value is not a table. */
static float *number_list(lua_State *L, int idx, int want, const char *what, int *n) {
  *n = 0;
  if (!lua_istable(L, idx)) return NULL;
  int len = (int)luaL_len(L, idx);
  if (want >= 0 && len != want) luaL_error(L, "%s must be a list of %d numbers, got %d", what, want, len);
  float *f = vn_arena_alloc(&B(L)->ctx->arena, (size_t)(len ? len : 1) * sizeof *f);
  for (int i = 0; i < len; i++) {
    lua_rawgeti(L, idx, i + 1);
    f[i] = (float)luaL_checknumber(L, -1);
    lua_pop(L, 1);
  }
  *n = len;
  return f;
}

/* rope_table{head_dim=, rot_dim=, inv_freq={...}, attn_factor=, interleaved=,
 *            dynamic={base=, factor=, max_pos=}, long={inv_freq={...}, after=}}
 * -> rope id. long (LongRoPE): a step whose length seen so far passes
 * `after` turns by long.inv_freq instead. */
static int l_rope_table(lua_State *L) {
  Builder *b = B(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  opts_check(L, 1, "rope_table", "head_dim rot_dim inv_freq attn_factor interleaved dynamic long sections");
  VnRope r = {0};
  r.head_dim = (int32_t)opt_int(L, 1, "head_dim", 0);
  r.rot_dim = (int32_t)opt_int(L, 1, "rot_dim", r.head_dim);
  r.attn_factor = (float)opt_num(L, 1, "attn_factor", 1.0);
  r.interleaved = opt_bool(L, 1, "interleaved", 0);
  if (r.head_dim <= 0 || r.rot_dim <= 0 || r.rot_dim > r.head_dim || r.rot_dim % 2)
    return luaL_error(L, "rope_table: need 0 < rot_dim (%d) <= head_dim (%d), rot_dim even", r.rot_dim, r.head_dim);
  int nf = r.rot_dim / 2;
  int got;
  lua_getfield(L, 1, "inv_freq");
  r.inv_freq = number_list(L, -1, nf, "rope_table: inv_freq (rot_dim/2 values)", &got);
  if (!r.inv_freq) return luaL_error(L, "rope_table: inv_freq must be a list of rot_dim/2 = %d numbers", nf);
  lua_pop(L, 1);
  lua_getfield(L, 1, "sections");  /* multi-axis RoPE: pairs per position stream */
  if (lua_istable(L, -1)) {
    int ns = (int)luaL_len(L, -1), sum = 0;
    if (ns < 1 || ns > 3) return luaL_error(L, "rope_table: sections must list 1 to 3 pair counts");
    for (int i = 0; i < ns; i++) {
      lua_rawgeti(L, -1, i + 1);
      lua_Integer v = luaL_checkinteger(L, -1);
      lua_pop(L, 1);
      if (v < 0) return luaL_error(L, "rope_table: sections must not be negative");
      r.sections[i] = (int32_t)v;
      sum += (int)v;
    }
    if (sum != nf) return luaL_error(L, "rope_table: sections add up to %d pairs, rot_dim/2 is %d", sum, nf);
  } else if (!lua_isnil(L, -1)) return luaL_error(L, "rope_table: sections must be a list of pair counts");
  lua_pop(L, 1);
  lua_getfield(L, 1, "dynamic");
  if (lua_istable(L, -1)) {
    int t = lua_gettop(L);
    opts_check(L, t, "rope_table.dynamic", "base factor max_pos");
    r.dynamic = 1;
    r.dyn_base = opt_num(L, t, "base", 10000);
    r.dyn_factor = opt_num(L, t, "factor", 1);
    r.dyn_max_pos = (int32_t)opt_int(L, t, "max_pos", 0);
    if (r.dyn_max_pos <= 0 || r.dyn_factor <= 0) return luaL_error(L, "rope_table: dynamic needs factor > 0 and max_pos > 0");
  }
  lua_pop(L, 1);
  lua_getfield(L, 1, "long");
  if (lua_istable(L, -1)) {
    int t = lua_gettop(L);
    opts_check(L, t, "rope_table.long", "inv_freq after");
    r.long_after = (int32_t)opt_int(L, t, "after", 0);
    if (r.long_after <= 0) return luaL_error(L, "rope_table: long needs after > 0");
    lua_getfield(L, t, "inv_freq");
    r.long_inv_freq = number_list(L, -1, nf, "rope_table: long.inv_freq (rot_dim/2 values)", &got);
    if (!r.long_inv_freq) return luaL_error(L, "rope_table: long.inv_freq must be a list of rot_dim/2 = %d numbers", nf);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  vn_spec_charge(L, (long long)b->g->nropes * nf / 8);  /* the search for an equal table */
  lua_pushinteger(L, vn_graph_add_rope(b->ctx, b->g, &r));
  return 1;
}

/* rope(x, id) */
static int l_rope(lua_State *L) {
  VnParams p = {0};
  p.rope = (int32_t)luaL_checkinteger(L, 2);
  uint32_t s[1] = {operand(L, 1, 0)};
  push_tensor(L, add_node(L, VN_OP_ROPE, s, 1, &p, 0, 0));
  return 1;
}

static uint32_t new_state(lua_State *L, int64_t cols, const char *name) {
  Builder *b = B(L);
  uint32_t i = vn_graph_add(b->ctx, b->g, VN_OP_STATE, NULL, 0);
  VnNode *n = vn_node(b->g, i);
  n->nd = 2; n->dim[0] = VN_CTX; n->dim[1] = cols;
  n->loc = caller_loc(L);
  n->layer = b->layer;
  n->name = name;
  return i;
}

/* state of fixed size [rows, cols] (recurrent and conv state) */
static uint32_t new_fixed_state(lua_State *L, int64_t rows, int64_t cols, const char *what) {
  Builder *b = B(L);
  uint32_t i = new_state(L, cols, NULL);
  VnNode *n = vn_node(b->g, i);
  n->dim[0] = rows;
  n->name = b->layer >= 0 ? vn_arena_printf(&b->ctx->arena, "%s%d", what, b->layer) : what;
  return i;
}

/* route(logits, bias|nil, {top_k=, kind="softmax"|"sigmoid"|"sparsemixer", renorm=, scale=,
 *       groups=, top_groups=, jitter=}) -> [T, 2k]: k expert ids, then k weights */
static int l_route(lua_State *L) {
  opts_check(L, 3, "route", "top_k kind renorm scale groups top_groups jitter");
  VnParams p = {0};
  p.top_k = (int32_t)opt_int(L, 3, "top_k", 0);
  const char *k = opt_str(L, 3, "kind", "softmax");
  if (!strcmp(k, "softmax")) p.route = VN_ROUTE_SOFTMAX;
  else if (!strcmp(k, "sigmoid")) p.route = VN_ROUTE_SIGMOID;
  else if (!strcmp(k, "sparsemixer")) p.route = VN_ROUTE_SPARSEMIXER;
  else return luaL_error(L, "route: kind must be softmax, sigmoid or sparsemixer, not '%s'", k);
  p.eps = (float)opt_num(L, 3, "jitter", 0);
  p.renorm = opt_bool(L, 3, "renorm", 0);
  p.scale = (float)opt_num(L, 3, "scale", 0);
  p.groups = (int32_t)opt_int(L, 3, "groups", 0);
  p.top_groups = (int32_t)opt_int(L, 3, "top_groups", p.groups);
  uint32_t s2[2] = {operand(L, 1, 0), operand(L, 2, 1)};
  push_tensor(L, add_node(L, VN_OP_ROUTE, s2, 2, &p, 0, 0));
  return 1;
}

/* moe(x, routes, gate_up [E, 2F, H] (rows in (gate, up) pairs), down [E, H, F], {act=, top_k=,
 *     gate_up_bias = [E, 2F], down_bias = [E, H], limit=, alpha=}); limit > 0: clamped SwiGLU
 *     (g = min(gate, limit), h = (clamp(up, +-limit) + 1) * g * sigmoid(alpha g)) */
static int l_moe(lua_State *L) {
  opts_check(L, 5, "moe", "act top_k gate_up_bias down_bias limit alpha");
  VnParams p = {0};
  p.act = act_arg(L, opt_str(L, 5, "act", "silu"));
  p.top_k = (int32_t)opt_int(L, 5, "top_k", 0);
  p.limit = (float)opt_num(L, 5, "limit", 0);
  p.alpha = (float)opt_num(L, 5, "alpha", 1.0);
  if (p.limit < 0) return luaL_error(L, "moe: limit must be >= 0");
  uint32_t s6[6] = {operand(L, 1, 0), operand(L, 2, 0), operand(L, 3, 0), operand(L, 4, 0), VN_NONE, VN_NONE};
  if (lua_istable(L, 5)) {
    lua_getfield(L, 5, "gate_up_bias");
    if (!lua_isnil(L, -1)) s6[4] = operand(L, lua_gettop(L), 0);
    lua_pop(L, 1);
    lua_getfield(L, 5, "down_bias");
    if (!lua_isnil(L, -1)) s6[5] = operand(L, lua_gettop(L), 0);
    lua_pop(L, 1);
  }
  if (!p.top_k) p.top_k = (int32_t)(vn_node_cols(vn_node(B(L)->g, s6[1])) / 2);
  push_tensor(L, add_node(L, VN_OP_MOE, s6, 6, &p, 0, 0));
  return 1;
}

/* conv1d(x, w [cols, kernel], b|nil [, {act=}]): causal, per column; owns its state */
static int l_conv1d(lua_State *L) {
  opts_check(L, 4, "conv1d", "act");
  VnParams p = {0};
  p.act = act_arg(L, opt_str(L, 4, "act", NULL));
  uint32_t x = operand(L, 1, 0), w = operand(L, 2, 0), bb = operand(L, 3, 1);
  const VnNode *wn = vn_node(B(L)->g, w);
  if (wn->nd != 2 || wn->dim[1] < 1) return luaL_error(L, "conv1d: weight must be [cols, kernel]");
  uint32_t st = new_fixed_state(L, wn->dim[1] - 1 > 0 ? wn->dim[1] - 1 : 1, vn_node_cols(vn_node(B(L)->g, x)), "conv_state");
  uint32_t s4[4] = {x, w, bb, st};
  push_tensor(L, add_node(L, VN_OP_CONV1D, s4, 4, &p, 0, 0));
  return 1;
}

/* ssm_scan(x, dt, A, B, C, D|nil, dt_bias|nil, {heads=, groups=, softplus=, dt_min=, dt_max=, chunk=})
 * chunk: with one A per head, prefill uses the chunked (SSD) form over
 * blocks of this many tokens; decode and per-state A use the recurrence */
static int l_ssm_scan(lua_State *L) {
  opts_check(L, 8, "ssm_scan", "heads groups softplus dt_min dt_max chunk");
  VnParams p = {0};
  p.heads = (int32_t)opt_int(L, 8, "heads", 0);
  p.groups = (int32_t)opt_int(L, 8, "groups", 1);
  p.softplus = opt_bool(L, 8, "softplus", 1);
  p.chunk = (int32_t)opt_int(L, 8, "chunk", 0);
  if (p.chunk < 0 || p.chunk > 4096) return luaL_error(L, "ssm_scan: chunk must be in [0, 4096]");
  p.lo = (float)opt_num(L, 8, "dt_min", 0);
  double hi = opt_num(L, 8, "dt_max", 0);
  p.hi = isfinite(hi) ? (float)hi : 0;
  uint32_t x = operand(L, 1, 0), Bm = operand(L, 4, 0);
  int64_t D = vn_node_cols(vn_node(B(L)->g, x)), G = p.groups > 0 ? p.groups : 1;
  int64_t N = vn_node_cols(vn_node(B(L)->g, Bm)) / G;
  uint32_t st = new_fixed_state(L, D, N > 0 ? N : 1, "ssm_state");
  uint32_t s8[8] = {x, operand(L, 2, 0), operand(L, 3, 0), Bm, operand(L, 5, 0), operand(L, 6, 1), operand(L, 7, 1), st};
  push_tensor(L, add_node(L, VN_OP_SSM_SCAN, s8, 8, &p, 0, 0));
  return 1;
}

/* shift(x): each row's previous row (token shift); owns its state */
static int l_shift(lua_State *L) {
  uint32_t x = operand(L, 1, 0);
  uint32_t st = new_fixed_state(L, 1, vn_node_cols(vn_node(B(L)->g, x)), "shift_state");
  uint32_t s2[2] = {x, st};
  push_tensor(L, add_node(L, VN_OP_SHIFT, s2, 2, NULL, 0, 0));
  return 1;
}

/* wkv(k, v, decay, first): weighted key-value time mixing; decay is used as stored (-exp(w)) */
static int l_wkv(lua_State *L) {
  uint32_t k = operand(L, 1, 0);
  uint32_t st = new_fixed_state(L, 3, vn_node_cols(vn_node(B(L)->g, k)), "wkv_state");
  uint32_t s5[5] = {k, operand(L, 2, 0), operand(L, 3, 0), operand(L, 4, 0), st};
  push_tensor(L, add_node(L, VN_OP_WKV, s5, 5, NULL, 0, 0));
  return 1;
}

/* delta_rule(q, k, v, g, beta, {heads=, kv_heads=, head_dim=, v_head_dim=, l2norm=, eps=, scale=}):
 * the gated delta rule (linear attention) over value heads; owns its state.
 * l2norm (default true): q and k l2-normalized per head with eps (1e-6);
 * scale: of q (default head_dim^-0.5) */
static int l_delta_rule(lua_State *L) {
  opts_check(L, 6, "delta_rule", "heads kv_heads head_dim v_head_dim l2norm eps scale");
  VnParams p = {0};
  p.heads = (int32_t)opt_int(L, 6, "heads", 0);
  p.kv_heads = (int32_t)opt_int(L, 6, "kv_heads", p.heads);
  p.head_dim = (int32_t)opt_int(L, 6, "head_dim", 0);
  p.v_head_dim = (int32_t)opt_int(L, 6, "v_head_dim", p.head_dim);
  if (p.heads < 1 || p.kv_heads < 1 || p.heads % p.kv_heads || p.head_dim < 1 || p.head_dim > 1024 || p.v_head_dim < 1 ||
      p.v_head_dim > 1024)
    return luaL_error(L, "delta_rule: heads must be a multiple of kv_heads, head dims in [1, 1024]");
  p.eps = opt_bool(L, 6, "l2norm", 1) ? (float)opt_num(L, 6, "eps", 1e-6) : 0;
  p.scale = (float)opt_num(L, 6, "scale", 1.0 / sqrt((double)p.head_dim));
  uint32_t st = new_fixed_state(L, (int64_t)p.heads * p.head_dim, p.v_head_dim, "delta_state");
  uint32_t s6[6] = {operand(L, 1, 0), operand(L, 2, 0), operand(L, 3, 0), operand(L, 4, 0), operand(L, 5, 0), st};
  push_tensor(L, add_node(L, VN_OP_DELTA_RULE, s6, 6, &p, 0, 0));
  return 1;
}

/* mla(q, latent, rope_key, w_kv, {heads=, head_dim=, rope_dim=, v_head_dim=, scale=, rope=}):
 * attention whose cache holds the latent and the shared rope key */
static int l_mla(lua_State *L) {
  Builder *b = B(L);
  luaL_checktype(L, 5, LUA_TTABLE);
  opts_check(L, 5, "mla", "heads head_dim rope_dim v_head_dim scale rope");
  VnParams p = {0};
  p.heads = (int32_t)opt_int(L, 5, "heads", 0);
  p.head_dim = (int32_t)opt_int(L, 5, "head_dim", 0);
  p.rope_dim = (int32_t)opt_int(L, 5, "rope_dim", 0);
  p.v_head_dim = (int32_t)opt_int(L, 5, "v_head_dim", p.head_dim);
  p.scale = (float)opt_num(L, 5, "scale", 1.0 / sqrt((double)(p.head_dim + p.rope_dim > 0 ? p.head_dim + p.rope_dim : 1)));
  lua_Integer r = opt_int(L, 5, "rope", -1);
  p.rope = r >= 0 ? (int32_t)r + 1 : 0;
  p.causal = 1;
  uint32_t q = operand(L, 1, 0), lat = operand(L, 2, 0), kpe = operand(L, 3, 0), w = operand(L, 4, 0);
  const char *ln = b->layer >= 0 ? vn_arena_printf(&b->ctx->arena, "%d", b->layer) : "";
  uint32_t c1 = new_state(L, vn_node_cols(vn_node(b->g, lat)), vn_arena_printf(&b->ctx->arena, "latent_cache%s", ln));
  uint32_t c2 = new_state(L, vn_node_cols(vn_node(b->g, kpe)), vn_arena_printf(&b->ctx->arena, "rope_key_cache%s", ln));
  if (p.rope && (p.rope - 1 >= b->g->nropes || b->g->ropes[p.rope - 1].head_dim != p.rope_dim))
    return luaL_error(L, "mla: rope table must have head_dim = rope_dim (%d)", p.rope_dim);
  uint32_t s6[6] = {q, lat, kpe, w, c1, c2};
  push_tensor(L, add_node(L, VN_OP_MLA, s6, 6, &p, 0, 0));
  return 1;
}

/* attention(q, k, v, {heads=, kv_heads=, head_dim=, v_head_dim=, scale=,
 *            window=, causal=, cap=, alibi=, alibi_bf16=, sinks=}) — owns its K and V cache;
 * sinks: a weight [heads], one more logit per head in the softmax */
static int l_attention(lua_State *L) {
  Builder *b = B(L);
  luaL_checktype(L, 4, LUA_TTABLE);
  opts_check(L, 4, "attention", "heads kv_heads head_dim v_head_dim scale window causal cap alibi alibi_bf16 sinks "
                                "cache cross relative_bias buckets max_distance");
  VnParams p = {0};
  p.heads = (int32_t)opt_int(L, 4, "heads", 0);
  p.kv_heads = (int32_t)opt_int(L, 4, "kv_heads", p.heads);
  p.head_dim = (int32_t)opt_int(L, 4, "head_dim", 0);
  p.v_head_dim = (int32_t)opt_int(L, 4, "v_head_dim", 0);
  if (p.head_dim <= 0) return luaL_error(L, "attention: head_dim must be positive");
  p.scale = (float)opt_num(L, 4, "scale", 1.0 / sqrt((double)p.head_dim));
  p.window = (int32_t)opt_int(L, 4, "window", 0);
  p.causal = opt_bool(L, 4, "causal", 1);
  p.cap = (float)opt_num(L, 4, "cap", 0);
  if (p.window < 0) return luaL_error(L, "attention: window must be >= 0");
  uint32_t q = operand(L, 1, 0), k = operand(L, 2, 0), v = operand(L, 3, 0);
  int vd = p.v_head_dim ? p.v_head_dim : p.head_dim;
  const char *ln = b->layer >= 0 ? vn_arena_printf(&b->ctx->arena, "%d", b->layer) : "";
  /* cache = false: no cache, the keys are k's rows (cross = true: the
   * encoder's, for a decoder's cross attention) */
  p.cross = opt_bool(L, 4, "cross", 0);
  uint32_t kc = VN_NONE, vc = VN_NONE;
  if (opt_bool(L, 4, "cache", !p.cross)) {
    kc = new_state(L, (int64_t)p.kv_heads * p.head_dim, vn_arena_printf(&b->ctx->arena, "k_cache%s", ln));
    vc = new_state(L, (int64_t)p.kv_heads * vd, vn_arena_printf(&b->ctx->arena, "v_cache%s", ln));
  }
  lua_getfield(L, 4, "sinks");
  uint32_t sk = lua_isnil(L, -1) ? VN_NONE : operand(L, lua_gettop(L), 0);
  lua_pop(L, 1);
  /* relative_bias = weight [buckets, heads] (bucketed relative positions), with max_distance */
  lua_getfield(L, 4, "relative_bias");
  uint32_t rb = lua_isnil(L, -1) ? VN_NONE : operand(L, lua_gettop(L), 0);
  lua_pop(L, 1);
  if (rb != VN_NONE) {
    p.rel_buckets = (int32_t)vn_node(b->g, rb)->dim[0];
    p.rel_max = (int32_t)opt_int(L, 4, "max_distance", 128);
  }
  uint32_t s[7] = {q, k, v, kc, vc, sk, rb};
  /* alibi = {slope per head}: scores get slope[h] * key position; alibi_bf16:
   * that bias rounded to bfloat16 and added to q.k before the scale (as some models compute ALiBi) */
  float *slopes = NULL;
  int nsl = 0;
  lua_getfield(L, 4, "alibi");
  if (lua_istable(L, -1)) {
    slopes = number_list(L, -1, -1, "attention: alibi", &nsl);
    p.alibi = opt_bool(L, 4, "alibi_bf16", 0) ? 2 : 1;
  } else if (!lua_isnil(L, -1)) return luaL_error(L, "attention: alibi must be a list of slopes, one per head");
  lua_pop(L, 1);
  uint32_t i = vn_graph_add(b->ctx, b->g, VN_OP_ATTENTION, s, 7);
  VnNode *n = vn_node(b->g, i);
  n->p = p;
  n->table = slopes;
  n->ntable = nsl;
  n->loc = caller_loc(L);
  n->layer = b->layer;
  if (vn_op_shape(b->ctx, b->g, i) != VN_OK) raise_ctx(L);
  push_tensor(L, i);
  return 1;
}

/* ---- vision-language models ---- */
/* pixels(cols): the vision graph's input rows [T, cols] */
static int l_pixels(lua_State *L) {
  Builder *b = B(L);
  lua_Integer c = luaL_checkinteger(L, 1);
  if (!b->vision) return luaL_error(L, "pixels: only inside vision()");
  if (c <= 0) return luaL_error(L, "pixels: cols must be positive");
  push_tensor(L, add_node(L, VN_OP_FEATURES, NULL, 0, NULL, VN_T, (int)c));
  return 1;
}

/* image_rows(ids, {token=, rows=, cols=}): the image's feature rows at the
 * image tokens (zeros elsewhere) from the image state [rows + 1, cols],
 * which the runtime fills with the vision graph's output rows */
static int l_image_rows(lua_State *L) {
  Builder *b = B(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  opts_check(L, 2, "image_rows", "token rows cols");
  if (b->vision) return luaL_error(L, "image_rows: not inside vision()");
  if (b->image_state != VN_NONE) return luaL_error(L, "image_rows: one image input per model");
  VnParams p = {0};
  p.token = (int32_t)opt_int(L, 2, "token", -1);
  lua_Integer rows = opt_int(L, 2, "rows", 0), cols = opt_int(L, 2, "cols", 0);
  if (p.token < 0 || rows <= 0 || cols < 3) return luaL_error(L, "image_rows: need token >= 0, rows > 0, cols >= 3");
  uint32_t ids = operand(L, 1, 0);
  b->image_state = new_fixed_state(L, rows + 1, cols, "image");
  b->g->info.image_token = p.token;
  uint32_t s[2] = {ids, b->image_state};
  push_tensor(L, add_node(L, VN_OP_IMAGE_ROWS, s, 2, &p, 0, 0));
  return 1;
}

/* image_merge(text, image, ids): image's row at each image token that has
 * an image row, text's row elsewhere */
static int l_image_merge(lua_State *L) {
  Builder *b = B(L);
  if (b->image_state == VN_NONE) return luaL_error(L, "image_merge: call image_rows first");
  VnParams p = {0};
  p.token = b->g->info.image_token;
  uint32_t s[4] = {operand(L, 1, 0), operand(L, 2, 0), operand(L, 3, 0), b->image_state};
  push_tensor(L, add_node(L, VN_OP_IMAGE_MERGE, s, 4, &p, 0, 0));
  return 1;
}

/* vision({layout=, channels=, patch=, height=, width=, temporal=, merge=,
 * cls=, skip=, rows=}, function() ... output(x) end): the vision tower as a
 * graph of its own (its tensors stay inside); its output rows, after `skip`
 * leading ones, are what image_rows reads. layout "image": --pixels holds
 * [1, channels, height, width], cut into patch x patch patches (a row per
 * patch: channel, then patch row, then column), with cls a first row whose
 * last column is 1 (the patch rows' is 0); layout "patches": [N, cols] rows
 * as the processor gives them with a grid (T, H, W), up to `rows` of them,
 * H and W multiples of merge, the 2-D RoPE streams (row, column) of each
 * patch in merge-window order. */
static int l_vision(lua_State *L) {
  Builder *b = B(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  opts_check(L, 1, "vision", "layout channels patch height width temporal merge cls skip rows");
  if (b->vision || b->g->vision) return luaL_error(L, "vision: one vision graph per model");
  VnModelInfo *mi = &b->g->info;
  const char *lay = opt_str(L, 1, "layout", "");
  mi->vis_layout = !strcmp(lay, "image") ? VN_VIS_IMAGE : !strcmp(lay, "patches") ? VN_VIS_PATCHES : VN_VIS_NONE;
  if (!mi->vis_layout) return luaL_error(L, "vision: layout must be \"image\" or \"patches\"");
  mi->vis_channels = (int32_t)opt_int(L, 1, "channels", 3);
  mi->vis_patch = (int32_t)opt_int(L, 1, "patch", 0);
  mi->vis_height = (int32_t)opt_int(L, 1, "height", 0);
  mi->vis_width = (int32_t)opt_int(L, 1, "width", 0);
  mi->vis_temporal = (int32_t)opt_int(L, 1, "temporal", 1);
  mi->vis_merge = (int32_t)opt_int(L, 1, "merge", 1);
  mi->vis_cls = opt_bool(L, 1, "cls", 0);
  mi->vis_skip = (int32_t)opt_int(L, 1, "skip", 0);
  lua_Integer rows = opt_int(L, 1, "rows", 0);
  if (mi->vis_channels <= 0 || mi->vis_patch <= 0 || mi->vis_temporal <= 0 || mi->vis_merge <= 0 || mi->vis_skip < 0)
    return luaL_error(L, "vision: channels, patch, temporal and merge must be positive");
  if (mi->vis_layout == VN_VIS_IMAGE) {
    if (mi->vis_height <= 0 || mi->vis_width <= 0 || mi->vis_height % mi->vis_patch || mi->vis_width % mi->vis_patch)
      return luaL_error(L, "vision: height and width must be positive multiples of patch");
    rows = (lua_Integer)(mi->vis_height / mi->vis_patch) * (mi->vis_width / mi->vis_patch) + mi->vis_cls;
  } else if (rows <= 0) return luaL_error(L, "vision: layout \"patches\" needs rows (the most patches an image may have)");
  VnGraph *vg = vn_graph_new(b->ctx), *lg = b->g;
  vg->t_max = rows;
  vg->info.arch = lg->info.arch;
  vg->info.spec_file = lg->info.spec_file;
  vg->info.vocab = 1;
  /* the weight nodes made so far are the language graph's */
  struct WNode *wn = b->wnodes;
  int nwn = b->nwnodes, wcap = b->wncap, layer = b->layer;
  b->wnodes = NULL; b->nwnodes = b->wncap = 0;
  b->g = vg;
  b->vision = 1;
  b->layer = -1;
  lua_pushvalue(L, 2);
  int rc = lua_pcall(L, 0, 0, 0);
  b->g = lg;
  b->vision = 0;
  b->layer = layer;
  b->wnodes = wn; b->nwnodes = nwn; b->wncap = wcap;
  if (rc != LUA_OK) return lua_error(L);
  if (vg->output == VN_NONE) return luaL_error(L, "vision: the function made no output (call output(rows))");
  lg->vision = vg;
  return 0;
}

/* last(x): the rows whose logits are wanted */
static int l_last(lua_State *L) {
  uint32_t s[1] = {operand(L, 1, 0)};
  push_tensor(L, add_node(L, VN_OP_LAST, s, 1, NULL, 0, 0));
  return 1;
}

/* output(logits) */
static int l_output(lua_State *L) {
  Builder *b = B(L);
  uint32_t o = operand(L, 1, 0);
  const VnNode *n = vn_node(b->g, o);
  if (!vn_node_is_act(n) || n->nd != 2) return luaL_error(L, "output: logits must be an activation [rows, vocab]");
  b->g->output = o;
  return 0;
}

/* hidden(x): the final hidden states [T, hidden], which sentence embeddings
 * pool (OUT --embed); x stays in the arena after the step */
static int l_hidden(lua_State *L) {
  Builder *b = B(L);
  uint32_t o = operand(L, 1, 0);
  const VnNode *n = vn_node(b->g, o);
  if (n->nd != 2 || n->dim[0] != VN_T) return luaL_error(L, "hidden: x must be an activation [T, hidden] (every row, before last())");
  b->g->hidden = o;
  return 0;
}

/* stage("encoder" | "decoder"): the entry point the nodes built next run
 * in: an encoder-decoder's encoder (once per input) or the decoder's step
 * (the default) */
static int l_stage(lua_State *L) {
  static const char *const names[] = {"decoder", "encoder", NULL};
  B(L)->g->build_phase = luaL_checkoption(L, 1, NULL, names) ? VN_PHASE_ENCODER : VN_PHASE_STEP;
  return 0;
}

/* features(cols): the encoder's float input [T, cols] (frames of audio
 * features, frames_per_row of them a row) */
static int l_features(lua_State *L) {
  Builder *b = B(L);
  int64_t cols = luaL_checkinteger(L, 1);
  luaL_argcheck(L, cols > 0, 1, "features: cols must be positive");
  if (b->g->build_phase != VN_PHASE_ENCODER) return luaL_error(L, "features: only the encoder takes float input (stage(\"encoder\"))");
  VnParams p = {0};
  uint32_t i = vn_graph_add(b->ctx, b->g, VN_OP_INPUT, NULL, 0);
  VnNode *n = vn_node(b->g, i);
  n->p = p;
  n->dtype = VN_F32;
  n->nd = 2; n->dim[0] = VN_T; n->dim[1] = cols;
  n->loc = caller_loc(L);
  n->layer = b->layer;
  push_tensor(L, i);
  return 1;
}

/* conv(x, w, b|nil, {stride=, act=}): x [T, g*Cin] holds g frames of Cin a
 * row; w [Cout, k*Cin] (the HF conv weight [Cout, Cin, k] permuted to
 * [Cout, k, Cin]); output frame o = act(b + w . frames o*stride - k/2 ..
 * + k-1, zero outside) -> [T, (g/stride)*Cout] */
static int l_conv(lua_State *L) {
  opts_check(L, 4, "conv", "stride act");
  VnParams p = {0};
  p.stride = (int32_t)opt_int(L, 4, "stride", 1);
  lua_getfield(L, 4, "act");
  if (lua_isstring(L, -1)) p.act = act_arg(L, lua_tostring(L, -1));
  lua_pop(L, 1);
  uint32_t s[3] = {operand(L, 1, 0), operand(L, 2, 0), lua_isnoneornil(L, 3) ? VN_NONE : operand(L, 3, 0)};
  push_tensor(L, add_node(L, VN_OP_CONV, s, 3, &p, 0, 0));
  return 1;
}

/* layer(i): tag the nodes built next with block index i (-1: none) */
static int l_layer(lua_State *L) {
  B(L)->layer = (int)luaL_checkinteger(L, 1);
  return 0;
}

/* model{vocab=, max_pos=, max_ctx=, bos=, eos=, encoder_only=} */
static int l_model(lua_State *L) {
  Builder *b = B(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  opts_check(L, 1, "model", "vocab max_pos max_ctx bos eos encoder_only encoder_rows mels frames_per_row decoder_start");
  VnModelInfo *mi = &b->g->info;
  mi->vocab = opt_int(L, 1, "vocab", mi->vocab);
  mi->max_pos = opt_int(L, 1, "max_pos", mi->max_pos);
  mi->max_ctx = opt_int(L, 1, "max_ctx", mi->max_ctx);
  mi->bos = (int32_t)opt_int(L, 1, "bos", mi->bos);
  mi->encoder_only = opt_bool(L, 1, "encoder_only", mi->encoder_only);
  /* encoder-decoder: encoder_rows (the most encoder positions), its float
   * input (mels values a frame, frames_per_row frames an encoder position),
   * the decoder's start token */
  mi->enc_rows = opt_int(L, 1, "encoder_rows", mi->enc_rows);
  mi->enc_mels = (int32_t)opt_int(L, 1, "mels", mi->enc_mels);
  mi->enc_per_row = (int32_t)opt_int(L, 1, "frames_per_row", mi->enc_per_row ? mi->enc_per_row : 1);
  mi->dec_start = (int32_t)opt_int(L, 1, "decoder_start", mi->dec_start);
  if (mi->enc_rows < 0 || mi->enc_mels < 0 || mi->enc_per_row < 1) return luaL_error(L, "model: encoder_rows, mels, frames_per_row must be positive");
  lua_getfield(L, 1, "eos");
  if (lua_isinteger(L, -1)) { mi->eos[0] = (int32_t)lua_tointeger(L, -1); mi->neos = 1; }
  else if (lua_istable(L, -1)) {
    mi->neos = 0;
    for (int i = 1; i <= luaL_len(L, -1) && mi->neos < 8; i++) {
      lua_rawgeti(L, -1, i);
      mi->eos[mi->neos++] = (int32_t)luaL_checkinteger(L, -1);
      lua_pop(L, 1);
    }
  } else if (!lua_isnil(L, -1)) return luaL_error(L, "model: eos must be an integer or a list");
  lua_pop(L, 1);
  return 0;
}

/* arch{...}: the spec's declaration; returned as is after a check. */
static int l_arch(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  opts_check(L, 1, "arch", "name hf model_type about options build");
  lua_getfield(L, 1, "name");
  if (lua_type(L, -1) != LUA_TSTRING) return luaL_error(L, "arch: 'name' must be a string");
  lua_getfield(L, 1, "build");
  if (!lua_isfunction(L, -1)) return luaL_error(L, "arch: 'build' must be a function(cfg)");
  lua_pop(L, 2);
  lua_settop(L, 1);
  return 1;
}

static const luaL_Reg builder[] = {
  {"arch", l_arch},         {"model", l_model},       {"layer", l_layer},
  {"weight", l_weight},     {"has", l_has},           {"shape", l_shape},
  {"cat", l_cat},           {"interleave", l_pairs},       {"zeros", l_zeros},
  {"tokens", l_tokens},     {"positions", l_positions}, {"embed", l_embed},       {"rmsnorm", l_rmsnorm},
  {"layernorm", l_layernorm}, {"linear", l_linear},   {"add", l_add},
  {"mul", l_mul},           {"act", l_act},           {"glu", l_glu},
  {"scale", l_scale},       {"softcap", l_softcap},   {"view", l_view},
  {"rope_table", l_rope_table}, {"rope", l_rope},     {"attention", l_attention},
  {"last", l_last},         {"output", l_output},     {"route", l_route},
  {"hidden", l_hidden},
  {"moe", l_moe},           {"conv1d", l_conv1d},     {"ssm_scan", l_ssm_scan},
  {"shift", l_shift},       {"wkv", l_wkv},           {"mla", l_mla},
  {"delta_rule", l_delta_rule}, {"xielu", l_xielu},
  {"vision", l_vision},     {"pixels", l_pixels},     {"image_rows", l_image_rows},
  {"image_merge", l_image_merge},
  {"stage", l_stage},       {"features", l_features}, {"conv", l_conv},
  {NULL, NULL},
};

static const luaL_Reg weight_methods[] = {
  {"t", lw_t}, {"rows", lw_rows}, {"add", lw_add}, {"scale", lw_scale}, {"reshape", lw_reshape},
  {"permute", lw_permute}, {"exp", lw_exp}, {NULL, NULL},
};

void vn_spec_open_builder(lua_State *L) {
  luaL_setfuncs(L, builder, 0);
  /* __metatable hides the metatables from getmetatable, so a spec cannot
   * give builder userdata a finalizer */
  luaL_newmetatable(L, "venus.Tensor");
  lua_pushcfunction(L, lt_index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, lt_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, "venus.Tensor");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
  luaL_newmetatable(L, "venus.Weight");
  lua_pushcfunction(L, lw_index);
  lua_setfield(L, -2, "__index");
  luaL_newlib(L, weight_methods);
  lua_setfield(L, -2, "methods");
  lua_pushliteral(L, "venus.Weight");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
}

/* ---- the build ---- */
VnStatus vn_spec_build(VnSpecs *s, int idx, const char *config_json, const char *config_file,
                       const VnSource *src, VnGraph *g) {
  VnCtx *ctx = s->ctx;
  lua_State *L = s->L;
  const VnSpecSrc *spec = &s->src[idx];
  Builder b = {0};
  b.ctx = ctx;
  b.g = g;
  b.src = src;
  b.layer = -1;
  b.image_state = VN_NONE;
  int top = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->env);
  lua_pushstring(L, config_file);
  lua_setfield(L, -2, "config_file");  /* for messages that name the config */
  lua_pop(L, 1);
  g->info.arch = s->info[idx].name;
  g->info.spec_file = s->info[idx].file;
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->ref[idx]);
  lua_getfield(L, -1, "build");
  lua_remove(L, -2);
  VnStatus st = vn_spec_push_config(s, config_json, config_file);
  if (st == VN_OK) {
    s->b = &b;
    st = vn_spec_pcall(s, 1, 0, spec->file);
    s->b = &s->idle;
  }
  if (st == VN_OK && g->output == VN_NONE)
    st = vn_errorf(ctx, VN_ERR_SPEC, (VnLoc){spec->file, 0}, "build() made no output (call output(logits))");
  else if (st == VN_OK && g->info.vocab <= 0)
    g->info.vocab = vn_node_cols(vn_node(g, g->output));
  lua_settop(L, top);
  return st;
}
