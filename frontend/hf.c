/* hf.c: the Hugging Face model directory frontend. Reads config.json (kept
 * as text for the spec), indexes the checkpoint — model.safetensors, or the
 * shards named by model.safetensors.index.json — and notes the tokenizer
 * files. Model files come from strangers: every length, offset and dtype of
 * a safetensors header is checked before anything is read through it, and
 * every problem is one message naming the file. Tensor data stays in
 * read-only mappings that live as long as the VnModelDir. */
#include "frontend.h"
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct Mapping {
  void *p;
  size_t len;
  struct Mapping *next;
} Mapping;

static int file_exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *join(VnCtx *ctx, const char *dir, const char *name) {
  size_t n = strlen(dir);
  return vn_arena_printf(&ctx->arena, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

/* safetensors dtype names: the ones venus computes with, and the ones it
 * knows but cannot use (an error only if a spec asks for such a tensor). */
static int st_dtype(const char *s, int *bytes) {
  static const struct { const char *n; int dt, b; } t[] = {
    {"F32", VN_F32, 4}, {"F16", VN_F16, 2}, {"BF16", VN_BF16, 2}, {"I32", VN_I32, 4},
    {"F64", -2, 8}, {"I64", -2, 8}, {"U64", -2, 8}, {"I16", -2, 2}, {"U16", -2, 2}, {"U32", -2, 4},
    {"I8", -2, 1}, {"U8", -2, 1}, {"BOOL", -2, 1}, {"F8_E4M3", -2, 1}, {"F8_E5M2", -2, 1},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (!strcmp(s, t[i].n)) { *bytes = t[i].b; return t[i].dt; }
  return -1;
}

static void add_tensor(VnCtx *ctx, VnSource *src, const VnTensorInfo *ti, int *cap) {
  if (src->ntensors == *cap) {
    *cap = *cap ? *cap * 2 : 256;
    VnTensorInfo *nt = vn_arena_alloc(&ctx->arena, (size_t)*cap * sizeof *nt);
    if (src->ntensors) memcpy(nt, src->tensors, (size_t)src->ntensors * sizeof *nt);
    src->tensors = nt;
  }
  src->tensors[src->ntensors++] = *ti;
}

typedef struct { uint64_t b, e; const char *name; } Span;
static int cmp_span(const void *a, const void *b) {
  const Span *x = a, *y = b;
  return x->b < y->b ? -1 : x->b > y->b;
}

static int src_cap(const VnSource *s) {
  int c = 256;
  while (c < s->ntensors) c *= 2;
  return s->ntensors ? c : 0;
}

VnStatus vn_safetensors_load(VnCtx *ctx, const char *path, VnSource *src) {
  VnLoc loc = {path, 0};
  int fd = open(path, O_RDONLY);
  if (fd < 0) return vn_errorf(ctx, VN_ERR_IO, loc, "cannot open");
  struct stat st;
  if (fstat(fd, &st) || !S_ISREG(st.st_mode)) { close(fd); return vn_errorf(ctx, VN_ERR_IO, loc, "not a regular file"); }
  uint64_t size = (uint64_t)st.st_size;
  if (size < 8) { close(fd); return vn_errorf(ctx, VN_ERR_INPUT, loc, "not a safetensors file: %llu bytes, shorter than its 8-byte header length", (unsigned long long)size); }
  void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) return vn_errorf(ctx, VN_ERR_IO, loc, "cannot map");
  Mapping *mp = vn_arena_alloc(&ctx->arena, sizeof *mp);
  mp->p = map;
  mp->len = (size_t)size;
  mp->next = src->priv;
  src->priv = mp;
  const uint8_t *b = map;
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--) hlen = hlen << 8 | b[i];
  if (hlen > size - 8)
    return vn_errorf(ctx, VN_ERR_INPUT, loc, "header length %llu is larger than the file (%llu bytes)",
                     (unsigned long long)hlen, (unsigned long long)size);
  if (hlen < 2) return vn_errorf(ctx, VN_ERR_INPUT, loc, "header length %llu is too small", (unsigned long long)hlen);
  json_error_t je;
  json_t *h = json_loadb((const char *)b + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &je);
  if (!h) return vn_errorf(ctx, VN_ERR_INPUT, loc, "header is not valid JSON: %s (at byte %d)", je.text, je.position);
  if (!json_is_object(h)) { json_decref(h); return vn_errorf(ctx, VN_ERR_INPUT, loc, "header is not a JSON object"); }
  uint64_t data0 = 8 + hlen, dlen = size - data0;
  int cap = src_cap(src);
  size_t n = json_object_size(h), ns = 0;
  Span *spans = malloc((n ? n : 1) * sizeof *spans);
  const char *key;
  json_t *v;
  VnStatus rc = VN_OK;
  json_object_foreach(h, key, v) {
    if (!strcmp(key, "__metadata__")) continue;
    json_t *jd = json_object_get(v, "dtype"), *js = json_object_get(v, "shape"), *jo = json_object_get(v, "data_offsets");
    if (!json_is_object(v) || !json_is_string(jd) || !json_is_array(js) || !json_is_array(jo) || json_array_size(jo) != 2) {
      rc = vn_errorf(ctx, VN_ERR_INPUT, loc, "tensor '%s': entry needs dtype, shape and data_offsets [begin, end]", key);
      break;
    }
    int ebytes;
    int dt = st_dtype(json_string_value(jd), &ebytes);
    if (dt == -1) { rc = vn_errorf(ctx, VN_ERR_INPUT, loc, "tensor '%s': unknown dtype '%s'", key, json_string_value(jd)); break; }
    VnTensorInfo ti = {0};
    ti.name = vn_arena_strdup(&ctx->arena, key);
    ti.file = path;
    ti.dtype = dt >= 0 ? (VnDType)dt : VN_DTYPE_COUNT;  /* VN_DTYPE_COUNT: known but unusable */
    /* more dims than VN_MAXDIM (a Conv3d kernel [out, in, t, h, w]): the
     * trailing ones folded into the last kept one, the same row-major bytes */
    int nds = (int)json_array_size(js);
    ti.nd = nds > VN_MAXDIM ? VN_MAXDIM : nds;
    uint64_t count = 1;
    int bad = 0;
    for (int i = 0; i < nds; i++) {
      json_t *d = json_array_get(js, (size_t)i);
      if (!json_is_integer(d) || json_integer_value(d) < 0) { bad = 1; break; }
      int64_t v = json_integer_value(d);
      if (v && count > UINT64_MAX / (uint64_t)v) { bad = 1; break; }
      count *= (uint64_t)v;
      if (i < VN_MAXDIM) ti.dim[i] = v;
      else ti.dim[VN_MAXDIM - 1] *= v;
    }
    if (bad) { rc = vn_errorf(ctx, VN_ERR_INPUT, loc, "tensor '%s': shape must be non-negative integers", key); break; }
    json_t *j0 = json_array_get(jo, 0), *j1 = json_array_get(jo, 1);
    if (!json_is_integer(j0) || !json_is_integer(j1) || json_integer_value(j0) < 0 || json_integer_value(j1) < json_integer_value(j0)) {
      rc = vn_errorf(ctx, VN_ERR_INPUT, loc, "tensor '%s': data_offsets must be [begin, end] with 0 <= begin <= end", key);
      break;
    }
    uint64_t ob = (uint64_t)json_integer_value(j0), oe = (uint64_t)json_integer_value(j1);
    if (oe > dlen) {
      rc = vn_errorf(ctx, VN_ERR_INPUT, loc, "tensor '%s': data_offsets [%llu, %llu] run past the end of the data (%llu bytes)",
                     key, (unsigned long long)ob, (unsigned long long)oe, (unsigned long long)dlen);
      break;
    }
    if (count > UINT64_MAX / (uint64_t)ebytes || count * (uint64_t)ebytes != oe - ob) {
      rc = vn_errorf(ctx, VN_ERR_INPUT, loc, "tensor '%s': shape needs %llu bytes but data_offsets span %llu", key,
                     (unsigned long long)(count * (uint64_t)ebytes), (unsigned long long)(oe - ob));
      break;
    }
    ti.data = b + data0 + ob;
    ti.nbytes = oe - ob;
    spans[ns].b = ob; spans[ns].e = oe; spans[ns].name = ti.name; ns++;
    if (vn_source_find(src, ti.name)) { rc = vn_errorf(ctx, VN_ERR_INPUT, loc, "tensor '%s' appears in two files", key); break; }
    add_tensor(ctx, src, &ti, &cap);
  }
  json_decref(h);
  if (rc == VN_OK) {
    qsort(spans, ns, sizeof *spans, cmp_span);
    for (size_t i = 1; i < ns; i++)
      if (spans[i].b < spans[i - 1].e && spans[i].e > spans[i].b && spans[i - 1].e > spans[i - 1].b) {
        rc = vn_errorf(ctx, VN_ERR_INPUT, loc, "tensors '%s' and '%s' overlap in the data", spans[i - 1].name, spans[i].name);
        break;
      }
  }
  free(spans);
  return rc;
}

static VnStatus load_sharded(VnCtx *ctx, const char *dir, const char *index, VnSource *src) {
  VnLoc loc = {index, 0};
  json_error_t je;
  json_t *j = json_load_file(index, 0, &je);
  if (!j) return vn_errorf(ctx, VN_ERR_INPUT, (VnLoc){index, je.line}, "not valid JSON: %s", je.text);
  json_t *wm = json_object_get(j, "weight_map");
  if (!json_is_object(wm)) { json_decref(j); return vn_errorf(ctx, VN_ERR_INPUT, loc, "no \"weight_map\" object"); }
  /* the distinct shard files, in first-seen order */
  const char **files = malloc((json_object_size(wm) + 1) * sizeof *files);
  int nf = 0;
  const char *key;
  json_t *v;
  VnStatus rc = VN_OK;
  json_object_foreach(wm, key, v) {
    if (!json_is_string(v)) { rc = vn_errorf(ctx, VN_ERR_INPUT, loc, "weight_map['%s'] is not a file name", key); break; }
    const char *f = json_string_value(v);
    if (strchr(f, '/') || !strcmp(f, "..") || !*f) { rc = vn_errorf(ctx, VN_ERR_INPUT, loc, "weight_map['%s']: '%s' is not a file in the model directory", key, f); break; }
    int seen = 0;
    for (int i = 0; i < nf; i++) if (!strcmp(files[i], f)) { seen = 1; break; }
    if (!seen) files[nf++] = f;
  }
  for (int i = 0; rc == VN_OK && i < nf; i++) {
    const char *p = join(ctx, dir, files[i]);
    if (!file_exists(p)) rc = vn_errorf(ctx, VN_ERR_INPUT, loc, "names shard '%s', which is missing", files[i]);
    else rc = vn_safetensors_load(ctx, p, src);
  }
  /* every tensor the map promises must be in its shard */
  if (rc == VN_OK) {
    json_object_foreach(wm, key, v) {
      const VnTensorInfo *ti = vn_source_find(src, key);
      if (!ti) { rc = vn_errorf(ctx, VN_ERR_INPUT, loc, "tensor '%s' is not in %s", key, json_string_value(v)); break; }
      const char *base = strrchr(ti->file, '/');
      if (strcmp(base ? base + 1 : ti->file, json_string_value(v))) {
        rc = vn_errorf(ctx, VN_ERR_INPUT, loc, "tensor '%s' is in %s, not %s", key, ti->file, json_string_value(v));
        break;
      }
    }
  }
  free(files);
  json_decref(j);
  return rc;
}

/* a number field of generation_config.json, or def when absent or null */
static double gen_num(json_t *j, const char *key, double def) {
  json_t *v = json_object_get(j, key);
  return json_is_number(v) ? json_number_value(v) : def;
}

/* generation_config.json: end-of-generation ids, and the sampling defaults
 * as transformers' GenerationConfig reads them (do_sample false or absent:
 * greedy; temperature 1, top_k 50, top_p 1, no min_p, repetition_penalty 1
 * when a field is absent) */
static void read_gen_eos(VnCtx *ctx, const char *dir, VnModelDir *md) {
  const char *p = join(ctx, dir, "generation_config.json");
  if (!file_exists(p)) return;
  json_t *j = json_load_file(p, 0, NULL);
  if (!j) return;  /* optional file: a broken one is ignored like a missing one */
  json_t *e = json_object_get(j, "eos_token_id");
  if (json_is_integer(e)) md->gen_eos[md->ngen_eos++] = (int32_t)json_integer_value(e);
  else if (json_is_array(e)) {
    size_t i;
    json_t *x;
    json_array_foreach(e, i, x) if (json_is_integer(x) && md->ngen_eos < 8) md->gen_eos[md->ngen_eos++] = (int32_t)json_integer_value(x);
  }
  VnGenDefaults *g = &md->gen;
  g->set = 1;
  g->sample = json_is_true(json_object_get(j, "do_sample"));
  double tk = gen_num(j, "top_k", 50), mn = gen_num(j, "max_new_tokens", 0);
  g->top_k = tk >= 0 && tk < (1 << 30) ? (int)tk : 50;
  g->max_new = mn > 0 && mn < (1 << 30) ? (int)mn : 0;
  g->temp = (float)gen_num(j, "temperature", 1.0);
  g->top_p = (float)gen_num(j, "top_p", 1.0);
  g->min_p = (float)gen_num(j, "min_p", 0.0);
  g->rep = (float)gen_num(j, "repetition_penalty", 1.0);
  if (!(g->temp >= 0) || g->temp > 100) g->temp = 1.0f;  /* out of range: transformers' default */
  if (!(g->top_p >= 0 && g->top_p <= 1)) g->top_p = 1.0f;
  if (!(g->min_p >= 0 && g->min_p <= 1)) g->min_p = 0.0f;
  if (!(g->rep >= 0) || g->rep > 100) g->rep = 1.0f;
  if (g->sample && g->temp == 0) g->sample = 0;  /* temperature 0 is greedy */
  json_decref(j);
}

/* sentence-transformers: modules.json lists the modules after the model;
 * a Pooling module's config.json says how token states become one vector
 * (pooling_mode_cls_token, _mean_tokens, _lasttoken, or pooling_mode "cls"
 * / "mean" / "lasttoken"); a Normalize module L2-normalizes it. A model
 * without modules.json pools mean. A broken file is an error (it would
 * change every embedding); a mode venus lacks is a warning (mean). */
static VnStatus read_pooling(VnCtx *ctx, const char *dir, VnModelDir *md) {
  const char *mp = join(ctx, dir, "modules.json");
  if (!file_exists(mp)) return VN_OK;
  json_error_t je;
  json_t *mods = json_load_file(mp, 0, &je);
  if (!mods) return vn_errorf(ctx, VN_ERR_INPUT, (VnLoc){mp, je.line}, "not valid JSON: %s", je.text);
  if (!json_is_array(mods)) { json_decref(mods); return vn_errorf(ctx, VN_ERR_INPUT, (VnLoc){mp, 0}, "not a JSON array of modules"); }
  VnStatus rc = VN_OK;
  size_t i;
  json_t *mod;
  json_array_foreach(mods, i, mod) {
    const char *type = json_string_value(json_object_get(mod, "type"));
    const char *path = json_string_value(json_object_get(mod, "path"));
    if (!type) continue;
    const char *cls = strrchr(type, '.');
    cls = cls ? cls + 1 : type;
    if (!strcmp(cls, "Normalize")) { md->pool.normalize = 1; continue; }
    if (strcmp(cls, "Pooling") || md->pool.mode) continue;
    if (!path || strstr(path, "..")) { rc = vn_errorf(ctx, VN_ERR_INPUT, (VnLoc){mp, 0}, "the Pooling module has no path inside the model directory"); break; }
    const char *cp = join(ctx, join(ctx, dir, path), "config.json");
    json_t *pc = json_load_file(cp, 0, &je);
    if (!pc || !json_is_object(pc)) {
      rc = vn_errorf(ctx, VN_ERR_INPUT, (VnLoc){cp, pc ? 0 : je.line}, "%s", pc ? "not a JSON object" : file_exists(cp) ? je.text : "no such file (modules.json names it)");
      json_decref(pc);
      break;
    }
    static const struct { const char *key, *name; int mode; } modes[] = {
      {"pooling_mode_mean_tokens", "mean", VN_POOL_MEAN}, {"pooling_mode_cls_token", "cls", VN_POOL_CLS},
      {"pooling_mode_lasttoken", "lasttoken", VN_POOL_LAST}, {"pooling_mode_max_tokens", "max", 0},
      {"pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len_tokens", 0}, {"pooling_mode_weightedmean_tokens", "weightedmean", 0},
    };
    int mode = 0, n = 0;
    const char *bad = NULL, *named = json_string_value(json_object_get(pc, "pooling_mode"));
    for (size_t k = 0; k < sizeof modes / sizeof *modes; k++) {
      int on = named ? !strcmp(named, modes[k].name) : json_is_true(json_object_get(pc, modes[k].key));
      if (!on) continue;
      n++;
      if (modes[k].mode) mode = modes[k].mode; else bad = modes[k].key;
    }
    if (bad || n > 1)
      fprintf(stderr, "venusc: warning: %s: %s%s is not a pooling venus has; OUT --embed pools mean unless --pooling says otherwise\n", cp,
              n > 1 ? "more than one pooling mode" : bad, n > 1 ? " (concatenated)" : "");
    else if (!n && named)
      fprintf(stderr, "venusc: warning: %s: pooling_mode '%s' is not a pooling venus has; OUT --embed pools mean unless --pooling says otherwise\n", cp, named);
    md->pool.mode = bad || n != 1 ? VN_POOL_MEAN : mode;
    md->pool.from = cp;
    json_decref(pc);
  }
  json_decref(mods);
  return rc;
}

VnStatus vn_gguf_pooling(VnCtx *ctx, VnModelDir *md) {
  json_t *cfg = json_loads(md->config_json, 0, NULL);
  json_t *v = json_object_get(cfg, "gguf_pooling_type");
  VnStatus rc = VN_OK;
  if (json_is_integer(v)) {
    json_int_t t = json_integer_value(v);
    if (t >= VN_POOL_MEAN && t <= VN_POOL_LAST) { md->pool.mode = (int)t; md->pool.from = md->config_file; }
    else if (t != 0)  /* 0: none (token states), 4: rank (a reranker's head) */
      fprintf(stderr, "venusc: warning: %s: pooling_type %lld is not a pooling venus has; OUT --embed pools mean unless --pooling says otherwise\n",
              md->config_file, (long long)t);
  } else if (v && !json_is_null(v))
    rc = vn_errorf(ctx, VN_ERR_INPUT, (VnLoc){md->config_file, 0}, "pooling_type is not an integer");
  json_decref(cfg);
  return rc;
}

/* Python's json (transformers 4 configs) writes Infinity, -Infinity and NaN
 * as bare words, which JSON lacks; they become {"__float__": "Infinity"}
 * etc., the form transformers 5 writes, so specs see one spelling. Text
 * inside strings is left alone. Takes and returns a malloc'ed string. */
static char *nonfinite_to_json(char *t, size_t *len) {
  static const char *const words[] = {"-Infinity", "Infinity", "NaN"};
  VnBuf b = {0};
  int in_str = 0;
  for (size_t i = 0; i < *len; i++) {
    char c = t[i];
    if (in_str) {
      if (c == '\\' && i + 1 < *len) { vn_buf_put(&b, t + i, 2); i++; continue; }
      if (c == '"') in_str = 0;
      vn_buf_put(&b, &c, 1);
      continue;
    }
    if (c == '"') { in_str = 1; vn_buf_put(&b, &c, 1); continue; }
    int hit = 0;
    for (int w = 0; w < 3 && !hit; w++) {
      size_t n = strlen(words[w]);
      if (i + n <= *len && !memcmp(t + i, words[w], n)) {
        vn_buf_printf(&b, "{\"__float__\": \"%s\"}", words[w]);
        i += n - 1;
        hit = 1;
      }
    }
    if (!hit) vn_buf_put(&b, &c, 1);
  }
  free(t);
  if (!b.p) vn_buf_put(&b, "", 0);
  *len = b.len;
  return b.p;
}

VnStatus vn_hf_open(VnCtx *ctx, const char *dir, VnModelDir *md) {
  memset(md, 0, sizeof *md);
  md->dir = dir;
  struct stat st;
  if (stat(dir, &st)) return vn_errorf(ctx, VN_ERR_IO, (VnLoc){dir, 0}, "no such file or directory");
  if (!S_ISDIR(st.st_mode)) return vn_errorf(ctx, VN_ERR_INPUT, (VnLoc){dir, 0}, "not a model directory (expected config.json and *.safetensors inside)");
  md->config_file = join(ctx, dir, "config.json");
  size_t len;
  md->config_json = vn_read_file(md->config_file, &len);
  if (!md->config_json) return vn_errorf(ctx, VN_ERR_IO, (VnLoc){md->config_file, 0}, "cannot read (a Hugging Face model directory has one)");
  md->config_json = nonfinite_to_json(md->config_json, &len);
  json_error_t je;
  json_t *cfg = json_loadb(md->config_json, len, 0, &je);
  if (!cfg) return vn_errorf(ctx, VN_ERR_INPUT, (VnLoc){md->config_file, je.line}, "not valid JSON: %s", je.text);
  if (!json_is_object(cfg)) { json_decref(cfg); return vn_errorf(ctx, VN_ERR_INPUT, (VnLoc){md->config_file, 0}, "not a JSON object"); }
  json_t *a = json_object_get(cfg, "architectures");
  if (json_is_array(a) && json_is_string(json_array_get(a, 0)))
    md->arch_class = vn_arena_strdup(&ctx->arena, json_string_value(json_array_get(a, 0)));
  json_t *mt = json_object_get(cfg, "model_type");
  if (json_is_string(mt)) md->model_type = vn_arena_strdup(&ctx->arena, json_string_value(mt));
  json_decref(cfg);
  md->src.path = dir;
  const char *idx = join(ctx, dir, "model.safetensors.index.json"), *one = join(ctx, dir, "model.safetensors");
  VnStatus rc;
  if (file_exists(idx)) { md->src.path = idx; rc = load_sharded(ctx, dir, idx, &md->src); }
  else if (file_exists(one)) { md->src.path = one; rc = vn_safetensors_load(ctx, one, &md->src); }
  else rc = vn_errorf(ctx, VN_ERR_INPUT, (VnLoc){dir, 0}, "no model.safetensors or model.safetensors.index.json");
  if (rc != VN_OK) return rc;
  const char *tj = join(ctx, dir, "tokenizer.json"), *tc = join(ctx, dir, "tokenizer_config.json");
  if (file_exists(tj)) md->tokenizer_json = tj;
  if (file_exists(tc)) md->tokenizer_config = tc;
  read_gen_eos(ctx, dir, md);
  return read_pooling(ctx, dir, md);
}

void vn_hf_close(VnModelDir *md) {
  if (md->gguf) {
    vn_gguf_close(md->gguf);
    free(md->gguf);
    md->gguf = NULL;
    free(md->config_json);
    md->config_json = NULL;
    free(md->gguf_tok);
    md->gguf_tok = NULL;
    return;
  }
  for (Mapping *m = md->src.priv; m; m = m->next) munmap(m->p, m->len);
  md->src.priv = NULL;
  free(md->config_json);
  md->config_json = NULL;
}

char *vn_chat_template(const VnModelDir *md) {
  if (md->gguf) {
    const char *t = json_string_value(json_object_get(md->gguf->meta, "tokenizer.chat_template"));
    return t ? strdup(t) : NULL;
  }
  if (!md->tokenizer_config) return NULL;
  json_t *j = json_load_file(md->tokenizer_config, JSON_DECODE_INT_AS_REAL, NULL);  /* model_max_length can exceed int64 */
  if (!j) return NULL;
  json_t *t = json_object_get(j, "chat_template");
  const char *s = NULL;
  if (json_is_string(t)) s = json_string_value(t);
  else if (json_is_array(t)) {  /* [{name, template}, ...]: the default one */
    size_t i;
    json_t *e;
    json_array_foreach(t, i, e) {
      const char *nm = json_string_value(json_object_get(e, "name"));
      if (!s || (nm && !strcmp(nm, "default"))) s = json_string_value(json_object_get(e, "template"));
    }
  }
  char *r = s ? strdup(s) : NULL;
  json_decref(j);
  return r;
}
