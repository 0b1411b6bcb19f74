/* mkgguf.c: writes a random-weight Llama as a GGUF v3 file for the bench
 * (bench/run.sh): the shape on the command line, f32 or f16 matrices (norm
 * weights f32, as converters write them), a placeholder SentencePiece
 * vocabulary (<unk> <s> </s>, the 256 byte tokens, then "▁tN") so that any
 * GGUF reader loads it. Weights are uniform in [-a, a], a = 1/sqrt(fan-in)
 * (unit-scale activations), from a fixed xorshift seed: the same file every
 * run. Usage:
 *   mkgguf OUT.gguf f32|f16 HIDDEN LAYERS HEADS KV_HEADS FFN VOCAB CTX */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *f;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static void put(const void *p, size_t n) {
  if (fwrite(p, 1, n, f) != n) { perror("mkgguf: write"); exit(1); }
}
static void u32(uint32_t v) { put(&v, 4); }
static void u64(uint64_t v) { put(&v, 8); }
static void str(const char *s) { u64(strlen(s)); put(s, strlen(s)); }
static void kv_u32(const char *k, uint32_t v) { str(k); u32(4); u32(v); }
static void kv_f32(const char *k, float v) { str(k); u32(6); put(&v, 4); }
static void kv_str(const char *k, const char *v) { str(k); u32(8); str(v); }

static uint16_t f2h(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  uint32_t s = (u >> 16) & 0x8000, e = (u >> 23) & 0xff, m = u & 0x7fffff;
  int ee = (int)e - 127 + 15;
  if (ee <= 0) return (uint16_t)s; /* the weights here are never that small */
  uint32_t r = (uint32_t)ee << 10 | (m >> 13), rem = m & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) r++;
  return (uint16_t)(s | r);
}

static float urand(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return (float)((double)(rng >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

typedef struct { char name[64]; uint64_t ne0, ne1; int f16, ones; } Tensor;
static Tensor ts[1024];
static int nt;

static void add(const char *name, uint64_t ne0, uint64_t ne1, int f16, int ones) {
  Tensor *t = &ts[nt++];
  snprintf(t->name, sizeof t->name, "%s", name);
  t->ne0 = ne0; t->ne1 = ne1; t->f16 = f16; t->ones = ones;
}
static uint64_t bytes(const Tensor *t) { return t->ne0 * t->ne1 * (t->f16 ? 2 : 4); }

int main(int argc, char **argv) {
  if (argc != 10) {
    fprintf(stderr, "usage: mkgguf OUT.gguf f32|f16 HIDDEN LAYERS HEADS KV_HEADS FFN VOCAB CTX\n");
    return 2;
  }
  int f16 = !strcmp(argv[2], "f16");
  if (!f16 && strcmp(argv[2], "f32")) { fprintf(stderr, "mkgguf: dtype '%s' is not f32 or f16\n", argv[2]); return 2; }
  uint64_t H = strtoull(argv[3], 0, 10), L = strtoull(argv[4], 0, 10), NH = strtoull(argv[5], 0, 10),
           KV = strtoull(argv[6], 0, 10), F = strtoull(argv[7], 0, 10), V = strtoull(argv[8], 0, 10),
           C = strtoull(argv[9], 0, 10);
  if (!H || !L || !NH || !KV || !F || V < 300 || !C || H % NH || NH % KV || L > 200) {
    fprintf(stderr, "mkgguf: bad shape\n");
    return 2;
  }
  uint64_t hd = H / NH;
  char n[64];
  add("token_embd.weight", H, V, f16, 0);
  for (uint64_t i = 0; i < L; i++) {
    snprintf(n, sizeof n, "blk.%llu.attn_norm.weight", (unsigned long long)i); add(n, H, 1, 0, 1);
    snprintf(n, sizeof n, "blk.%llu.attn_q.weight", (unsigned long long)i); add(n, H, H, f16, 0);
    snprintf(n, sizeof n, "blk.%llu.attn_k.weight", (unsigned long long)i); add(n, H, KV * hd, f16, 0);
    snprintf(n, sizeof n, "blk.%llu.attn_v.weight", (unsigned long long)i); add(n, H, KV * hd, f16, 0);
    snprintf(n, sizeof n, "blk.%llu.attn_output.weight", (unsigned long long)i); add(n, H, H, f16, 0);
    snprintf(n, sizeof n, "blk.%llu.ffn_norm.weight", (unsigned long long)i); add(n, H, 1, 0, 1);
    snprintf(n, sizeof n, "blk.%llu.ffn_gate.weight", (unsigned long long)i); add(n, H, F, f16, 0);
    snprintf(n, sizeof n, "blk.%llu.ffn_up.weight", (unsigned long long)i); add(n, H, F, f16, 0);
    snprintf(n, sizeof n, "blk.%llu.ffn_down.weight", (unsigned long long)i); add(n, F, H, f16, 0);
  }
  add("output_norm.weight", H, 1, 0, 1);
  add("output.weight", H, V, f16, 0);

  if (!(f = fopen(argv[1], "wb"))) { perror(argv[1]); return 1; }
  put("GGUF", 4);
  u32(3);
  u64((uint64_t)nt);
  u64(18);
  kv_str("general.architecture", "llama");
  kv_str("general.name", "venus-bench-random");
  kv_u32("general.alignment", 32);
  kv_u32("llama.context_length", (uint32_t)C);
  kv_u32("llama.embedding_length", (uint32_t)H);
  kv_u32("llama.block_count", (uint32_t)L);
  kv_u32("llama.feed_forward_length", (uint32_t)F);
  kv_u32("llama.attention.head_count", (uint32_t)NH);
  kv_u32("llama.attention.head_count_kv", (uint32_t)KV);
  kv_u32("llama.rope.dimension_count", (uint32_t)hd);
  kv_f32("llama.rope.freq_base", 10000.0f);
  kv_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  kv_str("tokenizer.ggml.model", "llama");
  /* tokens, scores, token types */
  str("tokenizer.ggml.tokens"); u32(9); u32(8); u64(V);
  for (uint64_t i = 0; i < V; i++) {
    char t[32];
    if (i == 0) strcpy(t, "<unk>");
    else if (i == 1) strcpy(t, "<s>");
    else if (i == 2) strcpy(t, "</s>");
    else if (i < 259) snprintf(t, sizeof t, "<0x%02X>", (unsigned)(i - 3));
    else snprintf(t, sizeof t, "\xe2\x96\x81t%llu", (unsigned long long)i);
    str(t);
  }
  str("tokenizer.ggml.scores"); u32(9); u32(6); u64(V);
  for (uint64_t i = 0; i < V; i++) { float s = i < 259 ? 0.0f : -(float)i; put(&s, 4); }
  str("tokenizer.ggml.token_type"); u32(9); u32(5); u64(V);
  for (uint64_t i = 0; i < V; i++) { int32_t ty = i == 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1; put(&ty, 4); }
  kv_u32("tokenizer.ggml.bos_token_id", 1);
  kv_u32("tokenizer.ggml.eos_token_id", 2);
  uint64_t off = 0;
  for (int i = 0; i < nt; i++) {
    str(ts[i].name);
    u32(ts[i].ne1 > 1 ? 2 : 1);
    u64(ts[i].ne0);
    if (ts[i].ne1 > 1) u64(ts[i].ne1);
    u32(ts[i].f16 ? 1 : 0);
    u64(off);
    off += (bytes(&ts[i]) + 31) / 32 * 32;
  }
  long pos = ftell(f);
  static const char zero[32];
  put(zero, (size_t)((32 - pos % 32) % 32));
  static float row[65536];
  static uint16_t hrow[65536];
  for (int i = 0; i < nt; i++) {
    Tensor *t = &ts[i];
    if (t->ne0 > 65536) { fprintf(stderr, "mkgguf: rows wider than 65536\n"); return 2; }
    float a = 1.0f / sqrtf((float)t->ne0);
    for (uint64_t r = 0; r < t->ne1; r++) {
      for (uint64_t j = 0; j < t->ne0; j++) row[j] = t->ones ? 1.0f : a * urand();
      if (t->f16) {
        for (uint64_t j = 0; j < t->ne0; j++) hrow[j] = f2h(row[j]);
        put(hrow, t->ne0 * 2);
      } else put(row, t->ne0 * 4);
    }
    put(zero, (size_t)((32 - bytes(t) % 32) % 32));
  }
  if (fclose(f)) { perror(argv[1]); return 1; }
  return 0;
}
