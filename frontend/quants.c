/* quants.c: decoding the block formats GGUF files store (Q4_0 ... Q6_K,
 * IQ4_NL, IQ4_XS) into float32, at pack time. Blocks are read byte by byte as
 * little-endian, so this is correct on any host. The kernels compute with
 * f32/f16/bf16/q8_0/q4_0 only; every other format is decoded here and
 * re-packed into the nearest of those (plan.c picks which). */
#include "frontend.h"
#include "half.h"
#include <string.h>

/* the f16 at p, little-endian */
static float h2f(const uint8_t *p) { return vn_half_f16_to_f32((uint16_t)(p[0] | p[1] << 8)); }

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

static const int8_t iq4nl_values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

/* 6-bit scale and min j of a Q4_K/Q5_K block's 12 scale bytes */
static void scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

/* n values (a whole number of blocks) of type t from src into y */
int vn_dequant_row(int t, const uint8_t *src, int64_t n, float *y) {
  int bs = vn_dtype_block((VnDType)t), bb = vn_dtype_block_bytes((VnDType)t);
  if (n % bs) return -1;
  for (int64_t b = 0; b < n / bs; b++, src += bb, y += bs) {
    const uint8_t *p = src;
    switch (t) {
    case VN_Q8_0: {
      float d = h2f(p);
      for (int j = 0; j < 32; j++) y[j] = d * (int8_t)p[2 + j];
    } break;
    case VN_Q4_0: {
      float d = h2f(p);
      for (int j = 0; j < 16; j++) { y[j] = d * ((p[2 + j] & 15) - 8); y[j + 16] = d * ((p[2 + j] >> 4) - 8); }
    } break;
    case VN_Q4_1: {
      float d = h2f(p), m = h2f(p + 2);
      for (int j = 0; j < 16; j++) { y[j] = d * (p[4 + j] & 15) + m; y[j + 16] = d * (p[4 + j] >> 4) + m; }
    } break;
    case VN_Q5_0:
    case VN_Q5_1: {
      int one = t == VN_Q5_1;
      float d = h2f(p), m = one ? h2f(p + 2) : 0;
      uint32_t qh = le32(p + (one ? 4 : 2));
      const uint8_t *qs = p + (one ? 8 : 6);
      for (int j = 0; j < 16; j++) {
        int h0 = (int)((qh >> j) << 4) & 0x10, h1 = (int)(qh >> (j + 12)) & 0x10;
        int x0 = (qs[j] & 15) | h0, x1 = (qs[j] >> 4) | h1;
        if (one) { y[j] = d * x0 + m; y[j + 16] = d * x1 + m; }
        else { y[j] = d * (x0 - 16); y[j + 16] = d * (x1 - 16); }
      }
    } break;
    case VN_IQ4_NL: {
      float d = h2f(p);
      for (int j = 0; j < 16; j++) { y[j] = d * iq4nl_values[p[2 + j] & 15]; y[j + 16] = d * iq4nl_values[p[2 + j] >> 4]; }
    } break;
    case VN_Q2_K: {  /* scales[16] qs[64] d dmin */
      const uint8_t *sc = p, *q = p + 16;
      float d = h2f(p + 80), mn = h2f(p + 82);
      float *o = y;
      int is = 0;
      for (int half = 0; half < 2; half++, q += 32) {
        for (int shift = 0; shift < 8; shift += 2) {
          uint8_t s = sc[is++];
          float dl = d * (s & 15), ml = mn * (s >> 4);
          for (int l = 0; l < 16; l++) *o++ = dl * ((q[l] >> shift) & 3) - ml;
          s = sc[is++];
          dl = d * (s & 15); ml = mn * (s >> 4);
          for (int l = 0; l < 16; l++) *o++ = dl * ((q[l + 16] >> shift) & 3) - ml;
        }
      }
    } break;
    case VN_Q3_K: {  /* hmask[32] qs[64] scales[12] d */
      const uint8_t *hm = p, *q = p + 32, *s12 = p + 96;
      float dall = h2f(p + 108);
      uint32_t a0 = le32(s12), a1 = le32(s12 + 4), tmp = le32(s12 + 8);
      const uint32_t k1 = 0x03030303u, k2 = 0x0f0f0f0fu;
      uint32_t aux[4] = {(a0 & k2) | (((tmp >> 0) & k1) << 4), (a1 & k2) | (((tmp >> 2) & k1) << 4),
                         ((a0 >> 4) & k2) | (((tmp >> 4) & k1) << 4), ((a1 >> 4) & k2) | (((tmp >> 6) & k1) << 4)};
      int8_t scales[16];
      for (int i = 0; i < 16; i++) scales[i] = (int8_t)(aux[i / 4] >> (8 * (i % 4)));
      float *o = y;
      int is = 0;
      uint8_t m = 1;
      for (int half = 0; half < 2; half++, q += 32) {
        for (int shift = 0; shift < 8; shift += 2, m <<= 1) {
          float dl = dall * (scales[is++] - 32);
          for (int l = 0; l < 16; l++) *o++ = dl * (((q[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4));
          dl = dall * (scales[is++] - 32);
          for (int l = 0; l < 16; l++) *o++ = dl * (((q[l + 16] >> shift) & 3) - ((hm[l + 16] & m) ? 0 : 4));
        }
      }
    } break;
    case VN_Q4_K:
    case VN_Q5_K: {  /* d dmin scales[12] (qh[32]) qs[128] */
      int five = t == VN_Q5_K;
      float d = h2f(p), mn = h2f(p + 2);
      const uint8_t *sc = p + 4, *qh = p + 16, *q = p + (five ? 48 : 16);
      float *o = y;
      int is = 0;
      uint8_t u1 = 1, u2 = 2;
      for (int j = 0; j < 256; j += 64, q += 32, is += 2) {
        uint8_t s, m;
        scale_min_k4(is, sc, &s, &m);
        float d1 = d * s, m1 = mn * m;
        scale_min_k4(is + 1, sc, &s, &m);
        float d2 = d * s, m2 = mn * m;
        for (int l = 0; l < 32; l++) *o++ = d1 * ((q[l] & 15) + (five && (qh[l] & u1) ? 16 : 0)) - m1;
        for (int l = 0; l < 32; l++) *o++ = d2 * ((q[l] >> 4) + (five && (qh[l] & u2) ? 16 : 0)) - m2;
        u1 = (uint8_t)(u1 << 2);
        u2 = (uint8_t)(u2 << 2);
      }
    } break;
    case VN_IQ4_XS: {  /* d scales_h scales_l[4] qs[128]: 6-bit scales - 32 per 32 values */
      float d = h2f(p);
      int sh = p[2] | p[3] << 8;
      const uint8_t *q = p + 8;
      for (int ib = 0; ib < 8; ib++, q += 16) {
        int ls = ((p[4 + ib / 2] >> (4 * (ib % 2))) & 15) | (((sh >> (2 * ib)) & 3) << 4);
        float dl = d * (float)(ls - 32);
        for (int j = 0; j < 16; j++) { y[32 * ib + j] = dl * iq4nl_values[q[j] & 15]; y[32 * ib + j + 16] = dl * iq4nl_values[q[j] >> 4]; }
      }
    } break;
    case VN_Q6_K: {  /* ql[128] qh[64] scales[16] d */
      const uint8_t *ql = p, *qh = p + 128;
      const int8_t *sc = (const int8_t *)(p + 192);
      float d = h2f(p + 208);
      float *o = y;
      for (int h = 0; h < 2; h++, ql += 64, qh += 32, sc += 8, o += 128)
        for (int l = 0; l < 32; l++) {
          int is = l / 16;
          int q1 = (int)((ql[l] & 15) | (((qh[l] >> 0) & 3) << 4)) - 32;
          int q2 = (int)((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32;
          int q3 = (int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
          int q4 = (int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
          o[l] = d * sc[is] * q1;
          o[l + 32] = d * sc[is + 2] * q2;
          o[l + 64] = d * sc[is + 4] * q3;
          o[l + 96] = d * sc[is + 6] * q4;
        }
    } break;
    default:
      return -1;
    }
  }
  return 0;
}
