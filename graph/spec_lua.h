/* spec_lua.h: what the files of the spec runner share; private to
 * graph/spec*.c (the interface is graph/spec.h).
 *   spec_lua.c     the sandbox and its limits, loading chunks, the VnSpecs state
 *   spec_builder.c the builder API (one luaL_Reg array) and the build entry
 *   spec_map.c     data maps: JSON <-> Lua, the GGUF mapping, chat formats
 *   spec_strlib.c  string and table functions bounded by the sandbox budget */
#ifndef VN_SPEC_LUA_H
#define VN_SPEC_LUA_H
#include "spec.h"
#include <lauxlib.h>
#include <lua.h>

/* Sandbox limits: one budget for everything a compile's Lua state runs. */
#define VN_SPEC_MEM_LIMIT   (256u << 20)     /* bytes: Lua heap + builder arena growth */
#define VN_SPEC_MEM_RESERVE (32u << 20)      /* past the limit, until the next check */
#define VN_SPEC_WORK_LIMIT  200000000LL      /* VM instructions + charged C work */
#define VN_SPEC_TIME_LIMIT  30.0             /* seconds of wall clock */

/* What the builder functions write to: the graph being built (a scratch
 * graph outside a build) and the model's tensors. Everything they allocate
 * comes from ctx's arena (luaL_error longjmps out of them). */
typedef struct VnSpecBuilder {
  VnCtx *ctx;
  VnGraph *g;
  const VnSource *src;
  int layer;
  int vision;                    /* inside vision(): building g->vision */
  uint32_t image_state;          /* the image state (image_rows), VN_NONE before */
  /* weight expressions by tensor name, and materialized WEIGHT nodes */
  struct WCache { const char *name; VnWx *wx; } *wcache;
  int nwcache, wcap;
  struct WNode { const VnWx *wx; uint32_t node; } *wnodes;
  int nwnodes, wncap;
} VnSpecBuilder;

struct VnSpecs {
  VnCtx *ctx;
  lua_State *L;
  int env;                       /* registry ref: the environment archspecs/lib loaded into */
  VnSpecSrc *src;                /* specs added: their sources, headers, arch tables (registry refs) */
  VnSpecInfo *info;
  int *ref;
  int n, cap;
  VnSpecBuilder idle, *b;        /* b: the builder in use (idle between builds) */
  VnGraph scratch;               /* idle's graph */
  /* the budget */
  size_t mem;                    /* bytes of Lua heap */
  size_t arena_mark;             /* ctx arena total when the running call began */
  size_t arena_used;             /* arena bytes earlier calls added */
  int running;                   /* inside vn_spec_pcall */
  long long work;                /* instructions + charged work */
  double deadline;               /* monotonic seconds */
  unsigned allocs;
  int over;                      /* an allocation went past the memory limit */
  int tripped;                   /* a limit was hit: every later hook and pcall raises it again */
  char why[160];                 /* the limit's message */
  const char *why_file;          /* where it was hit, when known */
  int why_line;
};

VnSpecs *vn_spec_state(lua_State *L);
VnLoc vn_spec_spec_loc(lua_State *L, int level);  /* the innermost frame outside archspecs/lib/ */
VnSpecBuilder *vn_spec_builder(lua_State *L);
/* Count work a C function does for the spec (steps, bytes / 4); raises the
 * limit's error when the budget is spent. */
void vn_spec_charge(lua_State *L, long long work);
/* Call the function below nargs arguments on the stack under the message
 * handler; a failure becomes a VN_ERR_SPEC error located in file (or where
 * a limit was hit). */
VnStatus vn_spec_pcall(VnSpecs *s, int nargs, int nres, const char *file);
/* Push the environment's field k (the libraries' exports). */
void vn_spec_getenv(VnSpecs *s, const char *k);
const char *vn_spec_str_field(VnCtx *ctx, lua_State *L, int t, const char *k);

/* spec_builder.c: the builder functions into the table on top; the
 * venus.Tensor and venus.Weight metatables. */
void vn_spec_open_builder(lua_State *L);
void vn_spec_push_dims(lua_State *L, int nd, const int64_t *dim);
/* spec_strlib.c: bounded string.find/match/gmatch/gsub/rep and
 * table.insert/remove/move, replacing the library's in the state. */
void vn_spec_open_strlib(lua_State *L);
/* spec_map.c: push a JSON value as a Lua table (null becomes nil); raises
 * on nesting deeper than 64. Parse config_json and push it, protected. */
void vn_spec_push_json(lua_State *L, json_t *j, int depth);
VnStatus vn_spec_push_config(VnSpecs *s, const char *config_json, const char *config_file);

#endif
