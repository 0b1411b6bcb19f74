/* wfile.c: the weight file's format and its integrity checks, shared by
 * venusc (codegen/pack.c writes it, `venusc verify` checks it) and every
 * model binary (weights.c checks it at start, --verify checks it whole).
 *
 * Layout (integers in the target's byte order, marked by u32 0x01020304):
 *   [0, 4096)          header page: "VENUSWT1", u32 marker, u32 version 2,
 *                      u64 id, u64 data_end, char arch[32], u64 table_off
 *                      (= data_end), u64 table_bytes, u32 ntensors, u32 0,
 *                      u64 table_hash, u64 header_hash; zeros after
 *   [4096, data_end)   the packed weights, at the offsets the generated code holds
 *   [table_off, +table_bytes)  the tensor table: ntensors entries of 32 bytes
 *                      (u64 off, u64 bytes, u64 hash, u32 name_off, u32
 *                      name_len), then the names (name_off counts from the
 *                      end of the entries)
 * The file ends exactly there. Tensor i's part of the data runs from its
 * offset to the next tensor's (its alignment padding included), the last
 * to data_end, so every byte of the file is covered by one hash:
 * header_hash covers the header page (its own 8 bytes taken as zero),
 * table_hash the table, and each entry's hash its part of the data.
 * Start-up checks the first two and the file's size (a few KB of reading);
 * --verify and `venusc verify` also hash every part.
 *
 * The hash: 64-bit, four independent lanes over 32-byte stripes (an
 * xxhash-like multiply-rotate mix), words read as little-endian bytes, so
 * a file hashes the same on hosts of either byte order. It finds damage,
 * not forgery. libc only. */
#include "runtime.h"
#include <stdio.h>
#include <string.h>

#define K1 0x9e3779b97f4a7c15ull
#define K2 0xc2b2ae3d27d4eb4full
#define K3 0x165667b19e3779f9ull

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static uint64_t rd64le(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}
static uint64_t lane(uint64_t acc, uint64_t w) { return rotl(acc + w * K2, 31) * K1; }

void vn_hash_init(VnHash *h) {
  h->v[0] = K1 + K2;
  h->v[1] = K2;
  h->v[2] = 0;
  h->v[3] = 0 - K1;
  h->len = 0;
  h->nbuf = 0;
}

static void stripes(VnHash *h, const uint8_t *p, size_t n) {  /* n: a multiple of 32 */
  uint64_t a = h->v[0], b = h->v[1], c = h->v[2], d = h->v[3];
  for (size_t i = 0; i < n; i += 32) {
    a = lane(a, rd64le(p + i));
    b = lane(b, rd64le(p + i + 8));
    c = lane(c, rd64le(p + i + 16));
    d = lane(d, rd64le(p + i + 24));
  }
  h->v[0] = a; h->v[1] = b; h->v[2] = c; h->v[3] = d;
}

void vn_hash_update(VnHash *h, const void *data, size_t n) {
  const uint8_t *p = data;
  h->len += n;
  if (h->nbuf) {
    size_t k = 32 - h->nbuf < n ? 32 - h->nbuf : n;
    memcpy(h->buf + h->nbuf, p, k);
    h->nbuf += (unsigned)k;
    p += k;
    n -= k;
    if (h->nbuf < 32) return;
    stripes(h, h->buf, 32);
    h->nbuf = 0;
  }
  size_t whole = n & ~(size_t)31;
  stripes(h, p, whole);
  memcpy(h->buf, p + whole, n - whole);
  h->nbuf = (unsigned)(n - whole);
}

uint64_t vn_hash_final(const VnHash *h) {
  uint64_t x = rotl(h->v[0], 1) + rotl(h->v[1], 7) + rotl(h->v[2], 12) + rotl(h->v[3], 18);
  for (int i = 0; i < 4; i++) x = (x ^ lane(0, h->v[i])) * K1 + K3;
  x += h->len;
  const uint8_t *p = h->buf;
  unsigned n = h->nbuf;
  for (; n >= 8; p += 8, n -= 8) x = rotl(x ^ lane(0, rd64le(p)), 27) * K1 + K3;
  for (; n; p++, n--) x = rotl(x ^ (*p * K3), 11) * K1;
  x ^= x >> 33;
  x *= K2;
  x ^= x >> 29;
  x *= K3;
  x ^= x >> 32;
  return x;
}

uint64_t vn_hash(const void *p, size_t n) {
  VnHash h;
  vn_hash_init(&h);
  vn_hash_update(&h, p, n);
  return vn_hash_final(&h);
}

/* ---- fields in either byte order ---- */
static uint64_t rd(const uint8_t *p, int n, int be) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++) v = (v << 8) | p[be ? i : n - 1 - i];
  return v;
}
static void wr(uint8_t *p, int n, int be, uint64_t v) {
  for (int i = 0; i < n; i++) p[be ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

enum { H_MARKER = 8, H_VERSION = 12, H_ID = 16, H_DATA_END = 24, H_ARCH = 32, H_TABLE_OFF = 64, H_TABLE_BYTES = 72,
       H_NTENSORS = 80, H_TABLE_HASH = 88, H_HEADER_HASH = 96 };

static uint64_t header_hash(const uint8_t *h) {
  VnHash s;
  static const uint8_t zero[8] = {0};
  vn_hash_init(&s);
  vn_hash_update(&s, h, H_HEADER_HASH);
  vn_hash_update(&s, zero, 8);
  vn_hash_update(&s, h + H_HEADER_HASH + 8, VN_WEIGHT_HEADER - H_HEADER_HASH - 8);
  return vn_hash_final(&s);
}

void vn_wfile_header(uint8_t *h, int be, uint64_t id, uint64_t data_end, const char *arch, uint64_t table_bytes,
                     uint32_t ntensors, uint64_t table_hash) {
  memset(h, 0, VN_WEIGHT_HEADER);
  memcpy(h, VN_WEIGHT_MAGIC, 8);
  wr(h + H_MARKER, 4, be, 0x01020304u);
  wr(h + H_VERSION, 4, be, VN_WFILE_VERSION);
  wr(h + H_ID, 8, be, id);
  wr(h + H_DATA_END, 8, be, data_end);
  snprintf((char *)h + H_ARCH, 32, "%s", arch ? arch : "");
  wr(h + H_TABLE_OFF, 8, be, data_end);
  wr(h + H_TABLE_BYTES, 8, be, table_bytes);
  wr(h + H_NTENSORS, 4, be, ntensors);
  wr(h + H_TABLE_HASH, 8, be, table_hash);
  wr(h + H_HEADER_HASH, 8, be, header_hash(h));
}

void vn_wfile_entry(uint8_t *e, int be, uint64_t off, uint64_t bytes, uint64_t hash, uint32_t name_off, uint32_t name_len) {
  wr(e, 8, be, off);
  wr(e + 8, 8, be, bytes);
  wr(e + 16, 8, be, hash);
  wr(e + 24, 4, be, name_off);
  wr(e + 28, 4, be, name_len);
}

int vn_wfile_open(VnWInfo *wi, const uint8_t *p, uint64_t len, const char *path, char *err, size_t cap) {
  memset(wi, 0, sizeof *wi);
  if (len < VN_WEIGHT_HEADER || memcmp(p, VN_WEIGHT_MAGIC, 8)) {
    snprintf(err, cap, "%s: not a venus weight file", path);
    return -1;
  }
  int be;
  if (rd(p + H_MARKER, 4, 0) == 0x01020304u) be = 0;
  else if (rd(p + H_MARKER, 4, 1) == 0x01020304u) be = 1;
  else {
    snprintf(err, cap, "%s: not a venus weight file (no byte-order mark)", path);
    return -1;
  }
  uint32_t version = (uint32_t)rd(p + H_VERSION, 4, be);
  if (version != VN_WFILE_VERSION) {
    snprintf(err, cap, "%s: weight file version %u, this binary reads version %d (compile the model again)", path,
             version, VN_WFILE_VERSION);
    return -1;
  }
  if (rd(p + H_HEADER_HASH, 8, be) != header_hash(p)) {
    snprintf(err, cap, "%s: the weight file's header is damaged (checksum mismatch)", path);
    return -1;
  }
  wi->big_endian = be;
  wi->id = rd(p + H_ID, 8, be);
  wi->data_end = rd(p + H_DATA_END, 8, be);
  wi->table_off = rd(p + H_TABLE_OFF, 8, be);
  wi->table_bytes = rd(p + H_TABLE_BYTES, 8, be);
  wi->ntensors = (uint32_t)rd(p + H_NTENSORS, 4, be);
  memcpy(wi->arch, p + H_ARCH, 31);
  if (wi->data_end < VN_WEIGHT_HEADER || wi->table_off != wi->data_end || wi->table_bytes > ((uint64_t)1 << 40) ||
      wi->table_bytes < (uint64_t)wi->ntensors * VN_WFILE_ENTRY || wi->data_end > ((uint64_t)1 << 62)) {
    snprintf(err, cap, "%s: the weight file's header is inconsistent (data end %llu, table at %llu, %llu bytes)", path,
             (unsigned long long)wi->data_end, (unsigned long long)wi->table_off, (unsigned long long)wi->table_bytes);
    return -1;
  }
  wi->file_bytes = wi->table_off + wi->table_bytes;
  if (len != VN_WFILE_LEN_UNKNOWN && len < wi->file_bytes) {
    snprintf(err, cap, "%s: truncated: %llu bytes, expected %llu", path, (unsigned long long)len,
             (unsigned long long)wi->file_bytes);
    return -1;
  }
  if (len != VN_WFILE_LEN_UNKNOWN && len > wi->file_bytes) {
    snprintf(err, cap, "%s: %llu bytes, expected %llu: extra bytes after the tensor table", path,
             (unsigned long long)len, (unsigned long long)wi->file_bytes);
    return -1;
  }
  wi->table = p + wi->table_off;
  if (vn_hash(wi->table, (size_t)wi->table_bytes) != rd(p + H_TABLE_HASH, 8, be)) {
    snprintf(err, cap, "%s: the weight file's tensor table is damaged (checksum mismatch)", path);
    return -1;
  }
  /* parts are contiguous and in order, names inside the table */
  uint64_t names = wi->table_bytes - (uint64_t)wi->ntensors * VN_WFILE_ENTRY, at = VN_WEIGHT_HEADER;
  for (uint32_t i = 0; i < wi->ntensors; i++) {
    VnWPart t;
    vn_wfile_part(wi, i, &t);
    if ((i == 0 && t.off != VN_WEIGHT_HEADER) || t.off < at || t.bytes > t.end - t.off || t.end > wi->data_end ||
        t.end < t.off || (uint64_t)t.name_off + t.name_len > names) {
      snprintf(err, cap, "%s: the weight file's tensor table is inconsistent (entry %u)", path, i);
      return -1;
    }
    at = t.end;
  }
  if (wi->ntensors == 0 && wi->data_end != VN_WEIGHT_HEADER) {
    snprintf(err, cap, "%s: the weight file's tensor table is empty but the file holds data", path);
    return -1;
  }
  return 0;
}

void vn_wfile_part(const VnWInfo *wi, uint32_t i, VnWPart *t) {
  const uint8_t *e = wi->table + (size_t)i * VN_WFILE_ENTRY;
  int be = wi->big_endian;
  t->off = rd(e, 8, be);
  t->bytes = rd(e + 8, 8, be);
  t->hash = rd(e + 16, 8, be);
  t->name_off = (uint32_t)rd(e + 24, 4, be);
  t->name_len = (uint32_t)rd(e + 28, 4, be);
  t->end = i + 1 < wi->ntensors ? rd(e + VN_WFILE_ENTRY, 8, be) : wi->data_end;
  t->name = (const char *)wi->table + (size_t)wi->ntensors * VN_WFILE_ENTRY + t->name_off;
}

int vn_wfile_verify(const VnWInfo *wi, const uint8_t *p, const char *path, char *msg, size_t cap) {
  uint32_t bad = 0, first = 0;
  for (uint32_t i = 0; i < wi->ntensors; i++) {
    VnWPart t;
    vn_wfile_part(wi, i, &t);
    if (vn_hash(p + t.off, (size_t)(t.end - t.off)) != t.hash && bad++ == 0) first = i;
  }
  if (!bad) {
    snprintf(msg, cap, "%s: ok (%u tensors, %llu bytes checked)", path, wi->ntensors, (unsigned long long)wi->file_bytes);
    return 0;
  }
  VnWPart t;
  vn_wfile_part(wi, first, &t);
  int nl = (int)(t.name_len > 200 ? 200 : t.name_len);
  if (bad == 1)
    snprintf(msg, cap, "%s: damaged: tensor '%.*s' (bytes %llu..%llu) does not match its checksum", path, nl, t.name,
             (unsigned long long)t.off, (unsigned long long)t.end);
  else
    snprintf(msg, cap, "%s: damaged: %u of %u tensors do not match their checksums, the first '%.*s' (bytes %llu..%llu)",
             path, bad, wi->ntensors, nl, t.name, (unsigned long long)t.off, (unsigned long long)t.end);
  return 1;
}
