/* kqpack.c: GGUF's block formats as venusc packs them for the kernels of
 * runtime/kquants.h: the blocks are the file's, byte for byte, with their
 * f16 fields in the target's byte order (vn_kq_swap); a block whose f16
 * scale is not finite is malformed (vn_kq_check). vn_kq_quantize writes
 * float32 values in a format, little-endian: plain rounding to each
 * format's grid (min/max or absmax per sub-block, then the sub-block scales
 * quantized), so that the kernel tests have blocks of every kind; model
 * weights in these formats are copied, never re-quantized. */
#include "codegen.h"
#include "half.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* byte offsets of the f16 fields of a block; the count */
static int f16_fields(int dt, int off[2]) {
  switch (dt) {
  case VN_Q4_1: case VN_Q5_1: case VN_Q4_K: case VN_Q5_K: off[0] = 0; off[1] = 2; return 2;
  case VN_Q5_0: case VN_IQ4_NL: case VN_IQ4_XS: off[0] = 0; return 1;
  case VN_Q2_K: off[0] = 80; off[1] = 82; return 2;
  case VN_Q3_K: off[0] = 108; return 1;
  case VN_Q6_K: off[0] = 208; return 1;
  }
  return 0;
}

void vn_kq_swap(int dt, uint8_t *blk) {
  int off[2], n = f16_fields(dt, off);
  for (int i = 0; i < n; i++) { uint8_t c = blk[off[i]]; blk[off[i]] = blk[off[i] + 1]; blk[off[i] + 1] = c; }
}

int vn_kq_check(int dt, const uint8_t *blk) {
  int off[2], n = f16_fields(dt, off);
  for (int i = 0; i < n; i++) {
    uint16_t h = (uint16_t)(blk[off[i]] | blk[off[i] + 1] << 8);
    if ((h & 0x7c00) == 0x7c00) return -1;  /* Inf or NaN */
  }
  return 0;
}

static void put16le(uint8_t *p, float v) {
  uint16_t h = vn_half_f32_to_f16(v);
  p[0] = (uint8_t)h;
  p[1] = (uint8_t)(h >> 8);
}
static float f16r(float v) { return vn_half_f16_to_f32(vn_half_f32_to_f16(v)); }
static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }
static int rnd(float v) { return (int)lrintf(v); }

/* values 0..nmax of x [n] on [mn, mn + nmax d]: scale d, min mn (<= 0) */
static void minmax(const float *x, int n, int nmax, float *d, float *mn) {
  float lo = 0, hi = 0;
  for (int i = 0; i < n; i++) { if (x[i] < lo) lo = x[i]; if (x[i] > hi) hi = x[i]; }
  *d = (hi - lo) / (float)nmax;
  *mn = lo;
}

/* the signed value of largest magnitude */
static float absmax(const float *x, int n) {
  float m = 0;
  for (int i = 0; i < n; i++) if (fabsf(x[i]) > fabsf(m)) m = x[i];
  return m;
}

static const int8_t iq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

static void block32(int dt, const float *x, uint8_t *p) {
  switch (dt) {
  case VN_Q4_1:
  case VN_Q5_1: {
    int nmax = dt == VN_Q4_1 ? 15 : 31;
    float d, m;
    minmax(x, 32, nmax, &d, &m);
    d = f16r(d); m = f16r(m);
    float id = d ? 1.0f / d : 0.0f;
    put16le(p, d);
    put16le(p + 2, m);
    int q[32];
    for (int j = 0; j < 32; j++) q[j] = clampi(rnd((x[j] - m) * id), 0, nmax);
    if (dt == VN_Q4_1) {
      for (int j = 0; j < 16; j++) p[4 + j] = (uint8_t)(q[j] | q[j + 16] << 4);
    } else {
      uint32_t qh = 0;
      for (int j = 0; j < 16; j++) {
        p[8 + j] = (uint8_t)((q[j] & 15) | (q[j + 16] & 15) << 4);
        qh |= (uint32_t)(q[j] >> 4) << j | (uint32_t)(q[j + 16] >> 4) << (j + 16);
      }
      for (int i = 0; i < 4; i++) p[4 + i] = (uint8_t)(qh >> (8 * i));
    }
  } break;
  case VN_Q5_0: {
    float d = f16r(absmax(x, 32) / -16.0f), id = d ? 1.0f / d : 0.0f;
    put16le(p, d);
    uint32_t qh = 0;
    for (int j = 0; j < 16; j++) {
      int a = clampi(rnd(x[j] * id) + 16, 0, 31), b = clampi(rnd(x[j + 16] * id) + 16, 0, 31);
      p[6 + j] = (uint8_t)((a & 15) | (b & 15) << 4);
      qh |= (uint32_t)(a >> 4) << j | (uint32_t)(b >> 4) << (j + 16);
    }
    for (int i = 0; i < 4; i++) p[2 + i] = (uint8_t)(qh >> (8 * i));
  } break;
  case VN_IQ4_NL: {
    float d = f16r(absmax(x, 32) / -127.0f), id = d ? 1.0f / d : 0.0f;
    put16le(p, d);
    int q[32];
    for (int j = 0; j < 32; j++) {
      float v = x[j] * id;
      int best = 0;
      for (int k = 1; k < 16; k++) if (fabsf(iq4nl[k] - v) < fabsf(iq4nl[best] - v)) best = k;
      q[j] = best;
    }
    for (int j = 0; j < 16; j++) p[2 + j] = (uint8_t)(q[j] | q[j + 16] << 4);
  } break;
  }
}

/* Q4_K/Q5_K's 12 bytes of 6-bit scales and mins */
static void put_scale_min(uint8_t *s, const int *ls, const int *lm) {
  memset(s, 0, 12);
  for (int j = 0; j < 8; j++) {
    if (j < 4) {
      s[j] = (uint8_t)ls[j];
      s[j + 4] = (uint8_t)lm[j];
    } else {
      s[j + 4] = (uint8_t)((ls[j] & 0xF) | (lm[j] & 0xF) << 4);
      s[j - 4] |= (uint8_t)((ls[j] >> 4) << 6);
      s[j] |= (uint8_t)((lm[j] >> 4) << 6);
    }
  }
}

static void block256(int dt, const float *x, uint8_t *p) {
  int q[256];
  memset(p, 0, (size_t)vn_dtype_block_bytes((VnDType)dt));
  switch (dt) {
  case VN_Q4_K:
  case VN_Q5_K: {
    int nmax = dt == VN_Q4_K ? 15 : 31;
    float sd[8], sm[8], maxd = 0, maxm = 0;
    for (int g = 0; g < 8; g++) {
      minmax(x + 32 * g, 32, nmax, &sd[g], &sm[g]);
      sm[g] = -sm[g];
      if (sd[g] > maxd) maxd = sd[g];
      if (sm[g] > maxm) maxm = sm[g];
    }
    float d = f16r(maxd / 63.0f), dm = f16r(maxm / 63.0f);
    int ls[8], lm[8];
    for (int g = 0; g < 8; g++) {
      ls[g] = clampi(rnd(d ? sd[g] / d : 0), 0, 63);
      lm[g] = clampi(rnd(dm ? sm[g] / dm : 0), 0, 63);
      float gd = d * (float)ls[g], gm = dm * (float)lm[g];
      for (int l = 0; l < 32; l++) q[32 * g + l] = clampi(gd ? rnd((x[32 * g + l] + gm) / gd) : 0, 0, nmax);
    }
    put16le(p, d);
    put16le(p + 2, dm);
    put_scale_min(p + 4, ls, lm);
    uint8_t *qs = p + (dt == VN_Q5_K ? 48 : 16), *qh = p + 16;
    for (int j = 0; j < 4; j++)
      for (int l = 0; l < 32; l++) {
        int a = q[64 * j + l], b = q[64 * j + 32 + l];
        qs[32 * j + l] = (uint8_t)((a & 15) | (b & 15) << 4);
        if (dt == VN_Q5_K) qh[l] |= (uint8_t)((a >> 4) << (2 * j) | (b >> 4) << (2 * j + 1));
      }
  } break;
  case VN_IQ4_XS: {  /* per 32: the signed absmax over -127 (IQ4_NL's grid), as 6-bit multiples of d */
    float s[8], maxs = 0;
    for (int g = 0; g < 8; g++) { s[g] = absmax(x + 32 * g, 32) / -127.0f; if (fabsf(s[g]) > maxs) maxs = fabsf(s[g]); }
    float d = f16r(maxs / 31.0f);
    int sh = 0;
    for (int g = 0; g < 8; g++) {
      int l = clampi(rnd(d ? s[g] / d : 0), -32, 31);
      p[4 + g / 2] |= (uint8_t)(((l + 32) & 15) << (4 * (g % 2)));
      sh |= ((l + 32) >> 4) << (2 * g);
      float gd = d * (float)l, id = gd ? 1.0f / gd : 0.0f;
      for (int j = 0; j < 32; j++) {
        float v = x[32 * g + j] * id;
        int best = 0;
        for (int k = 1; k < 16; k++) if (fabsf(iq4nl[k] - v) < fabsf(iq4nl[best] - v)) best = k;
        q[32 * g + j] = best;
      }
      for (int j = 0; j < 16; j++) p[8 + 16 * g + j] = (uint8_t)(q[32 * g + j] | q[32 * g + 16 + j] << 4);
    }
    put16le(p, d);
    p[2] = (uint8_t)sh;
    p[3] = (uint8_t)(sh >> 8);
  } break;
  case VN_Q6_K: {
    float s[16], maxs = 0;
    for (int g = 0; g < 16; g++) { s[g] = absmax(x + 16 * g, 16) / -32.0f; if (fabsf(s[g]) > maxs) maxs = fabsf(s[g]); }
    float d = f16r(maxs / 127.0f);
    for (int g = 0; g < 16; g++) {
      int l = clampi(rnd(d ? s[g] / d : 0), -128, 127);
      p[192 + g] = (uint8_t)(int8_t)l;
      float gd = d * (float)l;
      for (int i = 0; i < 16; i++) q[16 * g + i] = clampi(gd ? rnd(x[16 * g + i] / gd) : 0, -32, 31) + 32;
    }
    put16le(p + 208, d);
    for (int h = 0; h < 2; h++)
      for (int l = 0; l < 32; l++) {
        const int *v = q + 128 * h;
        p[64 * h + l] = (uint8_t)((v[l] & 15) | (v[l + 64] & 15) << 4);
        p[64 * h + l + 32] = (uint8_t)((v[l + 32] & 15) | (v[l + 96] & 15) << 4);
        p[128 + 32 * h + l] = (uint8_t)((v[l] >> 4) | (v[l + 32] >> 4) << 2 | (v[l + 64] >> 4) << 4 | (v[l + 96] >> 4) << 6);
      }
  } break;
  case VN_Q2_K:
  case VN_Q3_K: {
    int two = dt == VN_Q2_K;
    float sd[16], sm[16], maxd = 0, maxm = 0;
    for (int g = 0; g < 16; g++) {
      if (two) { minmax(x + 16 * g, 16, 3, &sd[g], &sm[g]); sm[g] = -sm[g]; }
      else { sd[g] = absmax(x + 16 * g, 16) / -4.0f; sm[g] = 0; }
      if (fabsf(sd[g]) > maxd) maxd = fabsf(sd[g]);
      if (sm[g] > maxm) maxm = sm[g];
    }
    float d = f16r(maxd / (two ? 15.0f : 31.0f)), dm = f16r(maxm / 15.0f);
    int L[16];
    for (int g = 0; g < 16; g++) {
      float gd;
      if (two) {
        int ls = clampi(rnd(d ? sd[g] / d : 0), 0, 15), lm = clampi(rnd(dm ? sm[g] / dm : 0), 0, 15);
        p[g] = (uint8_t)(ls | lm << 4);
        gd = d * (float)ls;
        float gm = dm * (float)lm;
        for (int i = 0; i < 16; i++) q[16 * g + i] = clampi(gd ? rnd((x[16 * g + i] + gm) / gd) : 0, 0, 3);
      } else {
        L[g] = clampi(rnd(d ? sd[g] / d : 0), -32, 31);
        gd = d * (float)L[g];
        for (int i = 0; i < 16; i++) q[16 * g + i] = clampi(gd ? rnd(x[16 * g + i] / gd) : 0, -4, 3);
      }
    }
    uint8_t *qs = p + (two ? 16 : 32), *hm = p;
    for (int half = 0; half < 2; half++)
      for (int k4 = 0; k4 < 4; k4++)
        for (int l = 0; l < 32; l++) {
          int v = q[128 * half + 32 * k4 + l];
          if (!two) {
            if (v >= 0) hm[l] |= (uint8_t)(1 << (4 * half + k4));
            else v += 4;
          }
          qs[32 * half + l] |= (uint8_t)(v << (2 * k4));
        }
    if (two) {
      put16le(p + 80, d);
      put16le(p + 82, dm);
    } else {
      uint8_t *s = p + 96;
      for (int j = 0; j < 16; j++) {
        int l = L[j] + 32;
        if (j < 8) s[j] = (uint8_t)(l & 0xF);
        else s[j - 8] |= (uint8_t)((l & 0xF) << 4);
        s[j % 4 + 8] |= (uint8_t)((l >> 4) << (2 * (j / 4)));
      }
      put16le(p + 108, d);
    }
  } break;
  }
}

void vn_kq_quantize(int dt, const float *x, int64_t n, uint8_t *out) {
  int bs = vn_dtype_block((VnDType)dt), bb = vn_dtype_block_bytes((VnDType)dt);
  for (int64_t b = 0; b < n / bs; b++, x += bs, out += bb) {
    if (bs == 32) block32(dt, x, out);
    else block256(dt, x, out);
  }
}

/* ---- K-quants repacked for the VN_QR kernels (runtime/kquants.h) ----
 * A group of qr rows over nb super-blocks is nb parts of qr x bb bytes
 * (the same bytes the plain rows take), super-block b's part: its f16
 * fields (d, then dmin where the format has one) as qr values each; the
 * sub-block scales; then vectors of qr lanes, a lane 4 bytes of one row,
 * each byte a field of values 4j..4j+3 of group j (the super-block's values
 * 4j..4j+3, j = 0..63), the values unsigned (Q6_K: q + 32, Q3_K: q + 4):
 *   nib[32]  j < 32: low nibble group j, high nibble group j + 32
 *   hb[8]    bit m of lane k8's bytes: bit 4 (Q5_K) or 2 (Q3_K) of group k8 + 8m
 *   b2[16]   bits 2m..2m+1 of lane k16's bytes: bits 4..5 (Q6_K) or 0..1
 *            (Q3_K, Q2_K) of group k16 + 16m
 * Scales: Q4_K, Q5_K, Q3_K's sixteen 6-bit values (Q4_K/Q5_K: 8 scales then
 * 8 mins; Q3_K: scale + 32) as 3 words of qr lanes, value i < 15 at bits
 * 6 (i % 5) of word i / 5, value 15's bits 2k..2k+1 at bits 30..31 of word
 * k; Q6_K's 16 int8 scales and Q2_K's 16 bytes (scale | min << 4) as 4 words,
 * byte k of word w the one of sub-block 4w + k.
 *   Q4_K: d dmin sc6[3] nib          Q5_K: d dmin sc6[3] hb nib
 *   Q6_K: d sc8[4] b2 nib            Q3_K: d sc6[3] hb b2
 *   Q2_K: d dmin sc8[4] b2 */
typedef struct { int q[256], sc[16], nf16; uint16_t f16[2]; } KqBlock;

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static void kq_decode(int dt, const uint8_t *p, KqBlock *k) {
  int *q = k->q, *v = k->sc;
  switch (dt) {
  case VN_Q4_K:
  case VN_Q5_K: {
    const uint8_t *s = p + 4, *qh = p + 16, *qs = p + (dt == VN_Q5_K ? 48 : 16);
    k->nf16 = 2; k->f16[0] = le16(p); k->f16[1] = le16(p + 2);
    for (int j = 0; j < 8; j++) {
      if (j < 4) { v[j] = s[j] & 63; v[j + 8] = s[j + 4] & 63; }
      else { v[j] = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4); v[j + 8] = (s[j + 4] >> 4) | ((s[j] >> 6) << 4); }
    }
    for (int c = 0; c < 4; c++)
      for (int l = 0; l < 32; l++) {
        q[64 * c + l] = qs[32 * c + l] & 15;
        q[64 * c + 32 + l] = qs[32 * c + l] >> 4;
        if (dt == VN_Q5_K) {
          q[64 * c + l] |= ((qh[l] >> (2 * c)) & 1) << 4;
          q[64 * c + 32 + l] |= ((qh[l] >> (2 * c + 1)) & 1) << 4;
        }
      }
  } break;
  case VN_Q6_K: {
    const uint8_t *ql = p, *qh = p + 128;
    k->nf16 = 1; k->f16[0] = le16(p + 208);
    for (int g = 0; g < 16; g++) v[g] = p[192 + g];
    for (int h = 0; h < 2; h++, ql += 64, qh += 32)
      for (int l = 0; l < 32; l++) {
        q[128 * h + l] = (ql[l] & 15) | ((qh[l] & 3) << 4);
        q[128 * h + l + 32] = (ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4);
        q[128 * h + l + 64] = (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4);
        q[128 * h + l + 96] = (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4);
      }
  } break;
  case VN_Q3_K: {
    const uint8_t *hm = p, *qs = p + 32, *s = p + 96;
    k->nf16 = 1; k->f16[0] = le16(p + 108);
    for (int j = 0; j < 16; j++) v[j] = ((j < 8 ? s[j] : s[j - 8] >> 4) & 0xF) | (((s[8 + j % 4] >> (2 * (j / 4))) & 3) << 4);
    for (int half = 0; half < 2; half++)
      for (int k4 = 0; k4 < 4; k4++)
        for (int l = 0; l < 32; l++) {
          int i = 128 * half + 32 * k4 + l;
          q[i] = ((qs[32 * half + l] >> (2 * k4)) & 3) | (((hm[l] >> (4 * half + k4)) & 1) << 2);
        }
  } break;
  case VN_Q2_K: {
    const uint8_t *qs = p + 16;
    k->nf16 = 2; k->f16[0] = le16(p + 80); k->f16[1] = le16(p + 82);
    for (int g = 0; g < 16; g++) v[g] = p[g];
    for (int half = 0; half < 2; half++)
      for (int k4 = 0; k4 < 4; k4++)
        for (int l = 0; l < 32; l++) q[128 * half + 32 * k4 + l] = (qs[32 * half + l] >> (2 * k4)) & 3;
  } break;
  }
}

int vn_kq_repacked(int dt) { return dt == VN_Q2_K || dt == VN_Q3_K || dt == VN_Q4_K || dt == VN_Q5_K || dt == VN_Q6_K; }

void vn_kq_repack(int dt, int qr, int64_t n, const uint8_t *plain, uint8_t *out) {
  int64_t nb = n / 256, bb = vn_dtype_block_bytes((VnDType)dt);
  KqBlock *k = malloc((size_t)qr * sizeof *k);
  if (!k) abort();  /* qr <= 16 blocks of 1.1 kB */
  int six = dt != VN_Q6_K && dt != VN_Q2_K, nib = dt == VN_Q4_K || dt == VN_Q5_K || dt == VN_Q6_K;
  int hb = dt == VN_Q5_K ? 4 : dt == VN_Q3_K ? 2 : -1, b2 = dt == VN_Q6_K ? 4 : (dt == VN_Q3_K || dt == VN_Q2_K) ? 0 : -1;
  for (int64_t b = 0; b < nb; b++) {
    uint8_t *o = out + b * qr * bb;
    for (int i = 0; i < qr; i++) kq_decode(dt, plain + (i * nb + b) * bb, &k[i]);
    for (int f = 0; f < k[0].nf16; f++)
      for (int i = 0; i < qr; i++) { *o++ = (uint8_t)k[i].f16[f]; *o++ = (uint8_t)(k[i].f16[f] >> 8); }
    if (six)
      for (int w = 0; w < 3; w++)
        for (int i = 0; i < qr; i++) {
          uint32_t x = 0;
          for (int j = 0; j < 5; j++) x |= (uint32_t)k[i].sc[5 * w + j] << (6 * j);
          x |= (uint32_t)((k[i].sc[15] >> (2 * w)) & 3) << 30;
          for (int c = 0; c < 4; c++) *o++ = (uint8_t)(x >> (8 * c));
        }
    else
      for (int w = 0; w < 4; w++)
        for (int i = 0; i < qr; i++)
          for (int c = 0; c < 4; c++) *o++ = (uint8_t)k[i].sc[4 * w + c];
    if (hb >= 0)
      for (int k8 = 0; k8 < 8; k8++)
        for (int i = 0; i < qr; i++)
          for (int c = 0; c < 4; c++) {
            int x = 0;
            for (int m = 0; m < 8; m++) x |= ((k[i].q[4 * (k8 + 8 * m) + c] >> hb) & 1) << m;
            *o++ = (uint8_t)x;
          }
    if (b2 >= 0)
      for (int k16 = 0; k16 < 16; k16++)
        for (int i = 0; i < qr; i++)
          for (int c = 0; c < 4; c++) {
            int x = 0;
            for (int m = 0; m < 4; m++) x |= ((k[i].q[4 * (k16 + 16 * m) + c] >> b2) & 3) << (2 * m);
            *o++ = (uint8_t)x;
          }
    if (nib)
      for (int j = 0; j < 32; j++)
        for (int i = 0; i < qr; i++)
          for (int c = 0; c < 4; c++) *o++ = (uint8_t)((k[i].q[4 * j + c] & 15) | (k[i].q[4 * (j + 32) + c] & 15) << 4);
  }
  free(k);
}
