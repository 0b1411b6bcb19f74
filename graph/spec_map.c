/* spec_map.c: data maps between the model files and the spec state: JSON
 * values as Lua tables (config.json, GGUF metadata) and Lua tables back as
 * JSON; the GGUF mapping (archspecs/lib/gguf.lua: metadata -> an HF config,
 * GGUF tensor names -> HF names) and the chat formats (archspecs/lib/chat.lua).
 * jansson stays inside this file and the frontends. */
#include "spec_lua.h"
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ---- config JSON -> Lua table (null becomes nil) ---- */
void vn_spec_push_json(lua_State *L, json_t *j, int depth) {
  if (depth > 64) luaL_error(L, "config nests too deeply");
  luaL_checkstack(L, 4, "config");
  switch (json_typeof(j)) {
  case JSON_OBJECT: {
    lua_newtable(L);
    const char *k;
    json_t *v;
    int nulls = 0;
    json_object_foreach(j, k, v) {
      if (json_is_null(v)) { nulls++; continue; }
      vn_spec_push_json(L, v, depth + 1);
      lua_setfield(L, -2, k);
    }
    /* keys set to null are absent, but listed in getmetatable(t).__null so
     * specs can tell "null" from "missing" (lib/hf.lua with_defaults) */
    if (nulls) {
      lua_createtable(L, 0, 1);
      lua_createtable(L, 0, nulls);
      json_object_foreach(j, k, v) {
        if (!json_is_null(v)) continue;
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, k);
      }
      lua_setfield(L, -2, "__null");
      lua_setmetatable(L, -2);
    }
    break;
  }
  case JSON_ARRAY: {
    lua_newtable(L);
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v) {
      if (json_is_null(v)) continue;
      vn_spec_push_json(L, v, depth + 1);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    break;
  }
  case JSON_STRING: lua_pushlstring(L, json_string_value(j), json_string_length(j)); break;
  case JSON_INTEGER: lua_pushinteger(L, (lua_Integer)json_integer_value(j)); break;
  case JSON_REAL: lua_pushnumber(L, json_real_value(j)); break;
  case JSON_TRUE: lua_pushboolean(L, 1); break;
  case JSON_FALSE: lua_pushboolean(L, 0); break;
  case JSON_NULL: lua_pushnil(L); break;
  }
}

typedef struct { json_t *cfg; } PushCfg;
static int push_cfg_protected(lua_State *L) {
  PushCfg *p = lua_touserdata(L, 1);
  vn_spec_push_json(L, p->cfg, 0);
  return 1;
}

/* The numbers a config states, checked before any spec sees them: a
 * negative, zero, fractional, non-numeric or absurd width (or a string
 * where an epsilon or a token id goes) would otherwise fail deep in a
 * library (a RoPE table, the Lua heap, a builder option) with a message
 * that names neither the config nor the key. lo..hi is what any real model
 * stays in (widths up to 2^20, counts up to 2^16); a list or object in
 * place of a size or token id is the spec's to read (per-layer sizes, several
 * end tokens). Values in range that disagree with the tensors are the
 * builder's weight check (spec_builder.c). */
#define W(k) {k, 1, 1LL << 20}
#define N(k) {k, 1, 1LL << 16}
#define F(k) {k, 0, 1LL << 20}
#define E(k) {k, 0, 1LL << 16}
#define R(k) {k, 0, 0} /* any number: epsilons, scales, RoPE's base */
#define T(k) {k, 2, 0} /* a token id: any integer */
static const struct { const char *key; int lo; long long hi; } config_sizes[] = {
  R("rms_norm_eps"), R("layer_norm_eps"), R("layer_norm_epsilon"), R("norm_eps"), R("norm_epsilon"), R("rope_theta"),
  R("partial_rotary_factor"), R("attention_multiplier"), R("embedding_multiplier"), R("residual_multiplier"),
  R("logits_scaling"), R("logit_scale"), R("final_logit_softcapping"), R("attn_logit_softcapping"),
  R("routed_scaling_factor"), R("query_pre_attn_scalar"),
  T("bos_token_id"), T("eos_token_id"),
  N("mamba_chunk_size"), N("chunk_size"), N("decoder_sparse_step"),
  W("hidden_size"), W("n_embd"), W("d_model"), W("dim"), W("head_dim"), W("attention_hidden_size"),
  W("mamba_d_state"), W("state_size"), W("mamba_d_head"), W("mamba_d_ssm"), W("linear_key_head_dim"),
  W("linear_value_head_dim"), W("kv_lora_rank"), W("q_lora_rank"), W("qk_nope_head_dim"), W("qk_rope_head_dim"),
  W("v_head_dim"), W("d_kv"),
  N("num_hidden_layers"), N("n_layer"), N("num_layers"), N("n_layers"), N("num_attention_heads"), N("n_head"),
  N("n_heads"), N("num_key_value_heads"), N("num_kv_heads"), N("mamba_d_conv"), N("conv_kernel"),
  N("linear_conv_kernel_dim"), N("mamba_n_heads"), N("mamba_n_groups"), N("n_groups"), N("mamba_expand"),
  N("expand"), N("linear_num_key_heads"), N("linear_num_value_heads"),
  F("intermediate_size"), F("n_inner"), F("ffn_dim"), F("d_ff"), F("moe_intermediate_size"),
  F("shared_intermediate_size"), F("shared_expert_intermediate_size"), F("ffn_hidden_size"), F("hidden_dim"),
  E("num_experts"), E("num_local_experts"), E("num_experts_per_tok"), E("n_routed_experts"), E("n_shared_experts"),
  E("moe_num_experts"),
  {"vocab_size", 1, 1LL << 26}, {"max_position_embeddings", 1, 0x7fffffff}, {"n_positions", 1, 0x7fffffff},
  {"n_ctx", 1, 0x7fffffff},
#undef W
#undef N
#undef F
#undef E
#undef R
#undef T
};

/* the first bad number of object o (prefix: "" or "text_config.") as an error */
static VnStatus check_sizes(VnSpecs *s, json_t *o, const char *prefix, const char *config_file) {
  for (size_t i = 0; i < sizeof config_sizes / sizeof *config_sizes; i++) {
    json_t *v = json_object_get(o, config_sizes[i].key);
    long long lo = config_sizes[i].lo, hi = config_sizes[i].hi;
    if (!v || json_is_null(v) || ((json_is_array(v) || json_is_object(v)) && (hi || lo))) continue;
    if (!hi && lo == 2 ? json_is_integer(v) : !hi ? json_is_number(v)
        : json_is_integer(v) && json_integer_value(v) >= lo && json_integer_value(v) <= hi) continue;
    char *text = json_dumps(v, JSON_ENCODE_ANY);
    char want[64];
    if (hi) snprintf(want, sizeof want, "an integer from %lld to %lld", lo, hi);
    else snprintf(want, sizeof want, "%s", lo == 2 ? "a token id (an integer, or a list of them)" : "a number");
    VnStatus st = vn_errorf(s->ctx, VN_ERR_INPUT, (VnLoc){config_file, 0}, "'%s%s' is %.40s%s: it must be %s",
                            prefix, config_sizes[i].key, text ? text : "?", text && strlen(text) > 40 ? "..." : "", want);
    free(text);
    return st;
  }
  return VN_OK;
}

VnStatus vn_spec_push_config(VnSpecs *s, const char *config_json, const char *config_file) {
  json_error_t je;
  json_t *cfg = json_loads(config_json, 0, &je);
  if (!cfg || !json_is_object(cfg)) {
    if (cfg) json_decref(cfg);
    return vn_errorf(s->ctx, VN_ERR_INPUT, (VnLoc){config_file, 0}, "%s",
                     cfg ? "the config is not a JSON object" : je.text);
  }
  json_t *tc = json_object_get(cfg, "text_config");
  VnStatus cs = check_sizes(s, cfg, "", config_file);
  if (cs == VN_OK && json_is_object(tc)) cs = check_sizes(s, tc, "text_config.", config_file);
  if (cs != VN_OK) {
    json_decref(cfg);
    return cs;
  }
  PushCfg pc = {cfg};
  lua_pushcfunction(s->L, push_cfg_protected);
  lua_pushlightuserdata(s->L, &pc);
  VnStatus st = VN_OK;
  if (lua_pcall(s->L, 1, 1, 0) != LUA_OK) {
    st = vn_errorf(s->ctx, VN_ERR_INPUT, (VnLoc){config_file, 0}, "%s", lua_tostring(s->L, -1));
    lua_pop(s->L, 1);
  }
  json_decref(cfg);
  return st;
}

/* ---- GGUF: metadata and tensor names -> an HF config and HF tensor names ---- */
static int to_json_d(lua_State *L, int idx, json_t **out, int depth);
#define to_json(L, idx, out) to_json_d(L, idx, out, 0)
static int to_json_d(lua_State *L, int idx, json_t **out, int depth) {
  idx = lua_absindex(L, idx);
  if (depth > 32) return -1;
  switch (lua_type(L, idx)) {
  case LUA_TNIL: *out = json_null(); return 0;
  case LUA_TBOOLEAN: *out = json_boolean(lua_toboolean(L, idx)); return 0;
  case LUA_TNUMBER:
    *out = lua_isinteger(L, idx) ? json_integer((json_int_t)lua_tointeger(L, idx)) : json_real(lua_tonumber(L, idx));
    return 0;
  case LUA_TSTRING: {
    size_t n;
    const char *sv = lua_tolstring(L, idx, &n);
    *out = json_stringn_nocheck(sv, n);
    return 0;
  }
  case LUA_TTABLE: {
    lua_Integer len = (lua_Integer)lua_rawlen(L, idx);
    int is_array = len > 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      lua_pop(L, 1);
      if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > len) is_array = 0;
    }
    json_t *j = is_array ? json_array() : json_object();
    if (is_array) {
      for (lua_Integer i = 1; i <= len; i++) {
        lua_rawgeti(L, idx, i);
        json_t *v;
        if (to_json_d(L, -1, &v, depth + 1)) { json_decref(j); return -1; }
        json_array_append_new(j, v);
        lua_pop(L, 1);
      }
    } else {
      lua_pushnil(L);
      while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING) {
          json_t *v;
          if (to_json_d(L, -1, &v, depth + 1)) { json_decref(j); return -1; }
          json_object_set_new(j, lua_tostring(L, -2), v);
        }
        lua_pop(L, 1);
      }
    }
    *out = j;
    return 0;
  }
  default: return -1;
  }
}

typedef struct { json_t *meta; VnSource *src; } GgufArgs;
/* values(name): the numbers of a small tensor (at most 65536, f32 or a block
 * type), for tensors that carry hyperparameters (e.g. per-dimension RoPE
 * frequency factors); nil when absent, too big or not decodable. Charged to
 * the spec's budget by the values pushed. */
static int l_gguf_values(lua_State *L) {
  const VnSource *src = lua_touserdata(L, lua_upvalueindex(1));
  const VnTensorInfo *ti = vn_source_find(src, luaL_checkstring(L, 1));
  int64_t n = 1;
  if (ti) for (int d = 0; d < ti->nd; d++) n *= ti->dim[d];
  if (!ti || n > 65536) { lua_pushnil(L); return 1; }
  vn_spec_charge(L, n);
  float *v = malloc((size_t)n * sizeof *v);
  int bad = !v;
  if (!bad && ti->dtype == VN_F32) memcpy(v, ti->data, (size_t)n * sizeof *v);
  else if (!bad) bad = vn_dequant_row((int)ti->dtype, ti->data, n, v) != 0;
  if (bad) { free(v); lua_pushnil(L); return 1; }
  lua_createtable(L, (int)n, 0);
  for (int64_t i = 0; i < n; i++) {
    lua_pushnumber(L, v[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  free(v);
  return 1;
}

static int push_gguf_args(lua_State *L) {
  GgufArgs *a = lua_touserdata(L, 1);
  vn_spec_push_json(L, a->meta, 0);
  lua_createtable(L, 0, a->src->ntensors);
  for (int i = 0; i < a->src->ntensors; i++) {
    vn_spec_push_dims(L, a->src->tensors[i].nd, a->src->tensors[i].dim);
    lua_setfield(L, -2, a->src->tensors[i].name);
  }
  lua_pushlightuserdata(L, a->src);
  lua_pushcclosure(L, l_gguf_values, 1);
  return 3;
}

/* Rename src's tensors by the names table on top: name -> HF name, or
 * name -> {name = HF name, pair_heads = n} */
static void rename_tensors(VnCtx *ctx, lua_State *L, VnSource *src) {
  for (int i = 0; i < src->ntensors; i++) {
    VnTensorInfo *ti = &src->tensors[i];
    lua_getfield(L, -1, ti->name);
    if (lua_type(L, -1) == LUA_TSTRING) ti->name = vn_arena_strdup(&ctx->arena, lua_tostring(L, -1));
    else if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "name");
      if (lua_type(L, -1) == LUA_TSTRING) ti->name = vn_arena_strdup(&ctx->arena, lua_tostring(L, -1));
      lua_getfield(L, -2, "pair_heads");
      ti->pair_heads = (int32_t)lua_tointeger(L, -1);
      lua_pop(L, 2);
    }
    lua_pop(L, 1);
  }
}

VnStatus vn_spec_gguf(VnSpecs *s, json_t *meta, const char *file, VnSource *src, char **config_json,
                      char **tok_json) {
  VnCtx *ctx = s->ctx;
  lua_State *L = s->L;
  int top = lua_gettop(L);
  *tok_json = NULL;
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->env);
  lua_pushstring(L, file);
  lua_setfield(L, -2, "config_file");
  lua_pop(L, 1);
  vn_spec_getenv(s, "gguf_config");
  if (!lua_isfunction(L, -1)) { lua_settop(L, top); return vn_internal(ctx, "archspecs/lib defines no gguf_config"); }
  GgufArgs ga = {meta, src};
  lua_pushcfunction(L, push_gguf_args);
  lua_pushlightuserdata(L, &ga);
  VnStatus st = VN_OK;
  if (lua_pcall(L, 1, 3, 0) != LUA_OK) st = vn_errorf(ctx, VN_ERR_INPUT, (VnLoc){file, 0}, "%s", lua_tostring(L, -1));
  else st = vn_spec_pcall(s, 3, 3, "archspecs/lib/gguf.lua");
  if (st == VN_OK) {
    /* stack: config, names, tokenizer kind */
    json_t *tk = NULL;
    if (lua_istable(L, -1) && !to_json(L, -1, &tk)) { *tok_json = json_dumps(tk, JSON_COMPACT); json_decref(tk); }
    lua_pop(L, 1);
    json_t *cfg = NULL;
    if (!lua_istable(L, -2) || to_json(L, -2, &cfg) || !json_is_object(cfg)) {
      if (cfg) json_decref(cfg);
      st = vn_internal(ctx, "gguf_config returned no config table");
    } else {
      *config_json = json_dumps(cfg, JSON_COMPACT);
      json_decref(cfg);
      if (lua_istable(L, -1)) rename_tensors(ctx, L, src);
    }
  }
  lua_settop(L, top);
  return st;
}

/* ---- chat formats (archspecs/lib/chat.lua) ---- */
static VnStatus chat_list(VnCtx *ctx, lua_State *L, int t, VnChatFormats *out) {
  int n = lua_istable(L, t) ? (int)lua_rawlen(L, t) : 0;
  if (n > VN_MAX_CHAT_FORMATS) n = VN_MAX_CHAT_FORMATS;
  for (int i = 0; i < n; i++) {
    lua_rawgeti(L, t, i + 1);
    int f = lua_gettop(L);
    VnChatFormat *c = &out->f[out->n++];
    c->name = vn_spec_str_field(ctx, L, f, "name");
    c->system = vn_spec_str_field(ctx, L, f, "system");
    c->system_prefix = vn_spec_str_field(ctx, L, f, "system_prefix");
    c->user = vn_spec_str_field(ctx, L, f, "user");
    c->assistant = vn_spec_str_field(ctx, L, f, "assistant");
    c->assistant_end = vn_spec_str_field(ctx, L, f, "assistant_end");
    lua_getfield(L, f, "bos"); c->bos = lua_toboolean(L, -1); lua_pop(L, 1);
    lua_getfield(L, f, "trim"); c->trim = lua_toboolean(L, -1); lua_pop(L, 1);
    lua_pop(L, 1);
    if (!c->name || !c->user) return vn_internal(ctx, "chat format %d lacks name or user", i + 1);
  }
  return VN_OK;
}

VnStatus vn_spec_chat(VnSpecs *s, const char *template_text, VnChatFormats *out) {
  lua_State *L = s->L;
  int top = lua_gettop(L);
  memset(out, 0, sizeof *out);
  out->chosen = -1;
  vn_spec_getenv(s, "chat_formats");
  VnStatus st = chat_list(s->ctx, L, lua_gettop(L), out);
  vn_spec_getenv(s, "chat_format");
  if (st == VN_OK && lua_isfunction(L, -1)) {
    if (template_text) lua_pushstring(L, template_text); else lua_pushnil(L);
    st = vn_spec_pcall(s, 1, 1, "archspecs/lib/chat.lua");
    if (st == VN_OK && lua_isinteger(L, -1)) out->chosen = (int)lua_tointeger(L, -1) - 1;
  }
  lua_settop(L, top);
  return st;
}
