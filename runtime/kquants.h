/* kquants.h: kernels of the GGUF block formats kept as the file stores
 * them (Q4_1, Q5_0, Q5_1, IQ4_NL, IQ4_XS and the K-quants Q2_K ... Q6_K), included
 * once by kernels.c after its vector vocabulary, MatmulArgs and epilogue:
 * every loop here is written in that vocabulary (vn_q32, vn_qi_dot, vn_qf)
 * and so runs on every target.
 *
 * A weight row is GGUF's blocks byte for byte, the f16 fields (scales,
 * mins) in the target's byte order (codegen/pack.c swaps them). A block of
 * bs values (32, or 256 for K-quants) is unpacked to int8 values w with a
 * float scale and offset per 16 values (value = sc * w + mn, GGML's
 * dequantization written per group of 16). Activations are quantized once
 * per product to q8_0 blocks with their half sums (VnBlockQ8s), so a dot
 * product is an integer dot per group of 32 (two of 16 where the format
 * scales every 16), scaled once per group, and the offsets are
 * mn * dx * sum(x) from the half sums. Unpacked into buffers, one block
 * serves 8 rows of x; where the vocabulary has bit fields (VN_V_QBITS) the
 * byte-aligned formats are unpacked in registers instead (kq_rowdot_v).
 * On the targets with repacked weights (VN_QR) the K-quants' matmul
 * weights are stored as codegen/kqpack.c vn_kq_repack writes them and go
 * through the register-tiled kernels at the end (kq_rtile). */

/* bytes of one block, values per block, and whether scales change every
 * 16 values (else every 32) */
static int kq_block_bytes(int dt) {
  switch (dt) {
  case VN_DT_Q4_1: return 20;
  case VN_DT_Q5_0: return 22;
  case VN_DT_Q5_1: return 24;
  case VN_DT_IQ4_NL: return 18;
  case VN_DT_Q2_K: return 84;
  case VN_DT_Q3_K: return 110;
  case VN_DT_Q4_K: return 144;
  case VN_DT_Q5_K: return 176;
  case VN_DT_Q6_K: return 210;
  case VN_DT_IQ4_XS: return 136;
  }
  return 0;
}
static int kq_block_len(int dt) { return dt >= VN_DT_Q2_K ? 256 : 32; }
static int kq_per16(int dt) { return dt == VN_DT_Q2_K || dt == VN_DT_Q3_K || dt == VN_DT_Q6_K; }
static int kq_is(int dt) { return kq_block_bytes(dt) != 0; }

static inline float kq_h(const uint8_t *p) {
  uint16_t h;
  memcpy(&h, p, 2);
  return vn_h2f(h);
}
static inline uint32_t kq_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const int8_t kq_iq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

/* 6-bit scale and min j of a Q4_K/Q5_K block's 12 scale bytes */
static inline void kq_scale_min(int j, const uint8_t *q, int *d, int *m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

/* One block p of type dt: w [bs] int8, sc and mn [bs / 16] */
static void kq_unpack(int dt, const uint8_t *p, int8_t *w, float *sc, float *mn) {
  switch (dt) {
  case VN_DT_Q4_1: {
    float d = kq_h(p), m = kq_h(p + 2);
    for (int j = 0; j < 16; j++) { w[j] = (int8_t)(p[4 + j] & 15); w[j + 16] = (int8_t)(p[4 + j] >> 4); }
    sc[0] = sc[1] = d;
    mn[0] = mn[1] = m;
  } break;
  case VN_DT_Q5_0:
  case VN_DT_Q5_1: {
    int one = dt == VN_DT_Q5_1;
    float d = kq_h(p), m = one ? kq_h(p + 2) : 0.0f;
    uint32_t qh = kq_le32(p + (one ? 4 : 2));
    const uint8_t *qs = p + (one ? 8 : 6);
    int off = one ? 0 : 16;
    for (int j = 0; j < 16; j++) {
      w[j] = (int8_t)(((qs[j] & 15) | (((qh >> j) & 1) << 4)) - off);
      w[j + 16] = (int8_t)(((qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - off);
    }
    sc[0] = sc[1] = d;
    mn[0] = mn[1] = m;
  } break;
  case VN_DT_IQ4_NL: {
    float d = kq_h(p);
    for (int j = 0; j < 16; j++) { w[j] = kq_iq4nl[p[2 + j] & 15]; w[j + 16] = kq_iq4nl[p[2 + j] >> 4]; }
    sc[0] = sc[1] = d;
    mn[0] = mn[1] = 0.0f;
  } break;
  case VN_DT_Q2_K: {  /* scales[16] qs[64] d dmin */
    const uint8_t *s = p, *q = p + 16;
    float d = kq_h(p + 80), dm = kq_h(p + 82);
    int g = 0;
    for (int half = 0; half < 2; half++, q += 32)
      for (int shift = 0; shift < 8; shift += 2)
        for (int k = 0; k < 2; k++, g++) {
          for (int l = 0; l < 16; l++) w[g * 16 + l] = (int8_t)((q[l + 16 * k] >> shift) & 3);
          sc[g] = d * (float)(s[g] & 15);
          mn[g] = -(dm * (float)(s[g] >> 4));
        }
  } break;
  case VN_DT_Q3_K: {  /* hmask[32] qs[64] scales[12] d */
    const uint8_t *hm = p, *q = p + 32, *s12 = p + 96;
    float d = kq_h(p + 108);
    uint32_t a0 = kq_le32(s12), a1 = kq_le32(s12 + 4), tmp = kq_le32(s12 + 8);
    const uint32_t k1 = 0x03030303u, k2 = 0x0f0f0f0fu;
    uint32_t aux[4] = {(a0 & k2) | (((tmp >> 0) & k1) << 4), (a1 & k2) | (((tmp >> 2) & k1) << 4),
                       ((a0 >> 4) & k2) | (((tmp >> 4) & k1) << 4), ((a1 >> 4) & k2) | (((tmp >> 6) & k1) << 4)};
    int g = 0;
    uint8_t m = 1;
    for (int half = 0; half < 2; half++, q += 32)
      for (int shift = 0; shift < 8; shift += 2, m = (uint8_t)(m << 1))
        for (int k = 0; k < 2; k++, g++) {
          for (int l = 0; l < 16; l++)
            w[g * 16 + l] = (int8_t)(((q[l + 16 * k] >> shift) & 3) - ((hm[l + 16 * k] & m) ? 0 : 4));
          sc[g] = d * (float)((int)(int8_t)(aux[g / 4] >> (8 * (g % 4))) - 32);
          mn[g] = 0.0f;
        }
  } break;
  case VN_DT_Q4_K:
  case VN_DT_Q5_K: {  /* d dmin scales[12] (qh[32]) qs[128] */
    int five = dt == VN_DT_Q5_K;
    float d = kq_h(p), dm = kq_h(p + 2);
    const uint8_t *s = p + 4, *qh = p + 16, *q = p + (five ? 48 : 16);
    for (int j = 0; j < 4; j++, q += 32) {
      int s1, m1, s2, m2;
      kq_scale_min(2 * j, s, &s1, &m1);
      kq_scale_min(2 * j + 1, s, &s2, &m2);
      int8_t *o = w + 64 * j;
      if (five)
        for (int l = 0; l < 32; l++) {
          o[l] = (int8_t)((q[l] & 15) | (((qh[l] >> (2 * j)) & 1) << 4));
          o[l + 32] = (int8_t)((q[l] >> 4) | (((qh[l] >> (2 * j + 1)) & 1) << 4));
        }
      else
        for (int l = 0; l < 32; l++) { o[l] = (int8_t)(q[l] & 15); o[l + 32] = (int8_t)(q[l] >> 4); }
      sc[4 * j] = sc[4 * j + 1] = d * (float)s1;
      sc[4 * j + 2] = sc[4 * j + 3] = d * (float)s2;
      mn[4 * j] = mn[4 * j + 1] = -(dm * (float)m1);
      mn[4 * j + 2] = mn[4 * j + 3] = -(dm * (float)m2);
    }
  } break;
  case VN_DT_IQ4_XS: {  /* d scales_h scales_l[4] qs[128] */
    float d = kq_h(p);
    int sh = p[2] | p[3] << 8;
    for (int ib = 0; ib < 8; ib++) {
      const uint8_t *q = p + 8 + 16 * ib;
      int ls = ((p[4 + ib / 2] >> (4 * (ib % 2))) & 15) | (((sh >> (2 * ib)) & 3) << 4);
      for (int j = 0; j < 16; j++) { w[32 * ib + j] = kq_iq4nl[q[j] & 15]; w[32 * ib + j + 16] = kq_iq4nl[q[j] >> 4]; }
      sc[2 * ib] = sc[2 * ib + 1] = d * (float)(ls - 32);
      mn[2 * ib] = mn[2 * ib + 1] = 0.0f;
    }
  } break;
  case VN_DT_Q6_K: {  /* ql[128] qh[64] scales[16] d */
    const uint8_t *ql = p, *qh = p + 128;
    const int8_t *s = (const int8_t *)(p + 192);
    float d = kq_h(p + 208);
    for (int h = 0; h < 2; h++, ql += 64, qh += 32) {
      int8_t *o = w + 128 * h;
      for (int l = 0; l < 32; l++) {
        o[l] = (int8_t)(((ql[l] & 15) | (((qh[l] >> 0) & 3) << 4)) - 32);
        o[l + 32] = (int8_t)(((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32);
        o[l + 64] = (int8_t)(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
        o[l + 96] = (int8_t)(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
      }
    }
    for (int g = 0; g < 16; g++) { sc[g] = d * (float)s[g]; mn[g] = 0.0f; }
  } break;
  }
}

/* row `row` of K values of table W (type dt) to float (embed) */
static void kq_dequant_row(const void *W, int dt, int64_t row, int64_t K, float *out) {
  int bs = kq_block_len(dt), bb = kq_block_bytes(dt);
  const uint8_t *p = (const uint8_t *)W + (size_t)row * (size_t)(K / bs) * (size_t)bb;
  int8_t w[256];
  float sc[16], mn[16];
  for (int64_t b = 0; b < K / bs; b++, p += bb, out += bs) {
    kq_unpack(dt, p, w, sc, mn);
    for (int i = 0; i < bs; i++) out[i] = sc[i / 16] * (float)w[i] + mn[i / 16];
  }
}

/* x [K] to q8_0 blocks with half sums */
static void kq_quantize_row(const float *x, VnBlockQ8s *y, int64_t K) {
  for (int64_t b = 0; b < K / 32; b++) {
    VnBlockQ8 q;
    quantize_row_q8(x + b * 32, &q, 32);
    y[b].d = vn_f16_to_f32(q.d);
    memcpy(y[b].qs, q.qs, 32);
    int s0 = 0, s1 = 0;
    for (int j = 0; j < 16; j++) { s0 += q.qs[j]; s1 += q.qs[j + 16]; }
    y[b].s[0] = (int16_t)s0;
    y[b].s[1] = (int16_t)s1;
  }
}

/* o[r] = x_r . w for R rows x (nb q8 blocks each, ldx apart) and one
 * weight row w of type dt */
#define KQ_MAXR 8
static void kq_rowdot(int dt, const VnBlockQ8s *x, int64_t ldx, int R, const uint8_t *w, int64_t K, float *o) {
  int bs = kq_block_len(dt), bb = kq_block_bytes(dt), p16 = kq_per16(dt), ng = bs / 32;
  int8_t wa[256], wb[256];
  float sc[16], mn[16];
  int hasmn = dt == VN_DT_Q4_1 || dt == VN_DT_Q5_1 || dt == VN_DT_Q2_K || dt == VN_DT_Q4_K || dt == VN_DT_Q5_K;
  for (int r = 0; r < R; r++) o[r] = 0.0f;
  for (int64_t b = 0; b < K / bs; b++, w += bb) {
    kq_unpack(dt, w, wa, sc, mn);
    if (p16) /* wa: the even halves of 16 (odd ones zero); wb: the odd ones */
      for (int g = 0; g < ng; g++)
        for (int l = 0; l < 16; l++) { wb[32 * g + 16 + l] = wa[32 * g + 16 + l]; wb[32 * g + l] = 0; wa[32 * g + 16 + l] = 0; }
    for (int r = 0; r < R; r++) {
      const VnBlockQ8s *xb = x + (int64_t)r * ldx + b * ng;
      vn_qf acc = vn_qf_zero();
      float m = 0.0f;
      for (int g = 0; g < ng; g++) {
        vn_q32 u = vn_q32_ld(xb[g].qs);
        float dx = xb[g].d;
        acc = vn_qf_fma(acc, dx * sc[2 * g], vn_qi_dot(u, vn_q32_ld(wa + 32 * g)));
        if (p16) acc = vn_qf_fma(acc, dx * sc[2 * g + 1], vn_qi_dot(u, vn_q32_ld(wb + 32 * g)));
        if (hasmn) m += dx * (mn[2 * g] * (float)xb[g].s[0] + mn[2 * g + 1] * (float)xb[g].s[1]);
      }
      o[r] += vn_qf_sum(acc) + m;
    }
  }
}

#ifdef VN_V_QBITS
/* Where the vocabulary has bit fields (VN_V_QBITS: vn_q32_bits, _or_shl,
 * _half), the formats whose fields are byte-aligned (Q4_1 and the
 * K-quants) are unpacked in vector registers per group of 32: unsigned
 * values q, the format's offset folded into mn (Q6_K: q - 32, Q3_K: q - 4;
 * Q4_1 goes through vn_q32_q4, which gives x . (q - 8)). sc and mn [16] of
 * block p, per 16 values. */
static int kq_vec_is(int dt) { return dt == VN_DT_Q4_1 || (dt >= VN_DT_Q2_K && dt <= VN_DT_Q6_K); }

static inline void kq_scales(int dt, const uint8_t *p, float *sc, float *mn) {
  switch (dt) {
  case VN_DT_Q4_1: {
    float d = kq_h(p), m = kq_h(p + 2);
    sc[0] = sc[1] = d;
    mn[0] = mn[1] = m + 8.0f * d;
  } break;
  case VN_DT_Q2_K: {
    float d = kq_h(p + 80), dm = kq_h(p + 82);
    for (int g = 0; g < 16; g++) { sc[g] = d * (float)(p[g] & 15); mn[g] = -(dm * (float)(p[g] >> 4)); }
  } break;
  case VN_DT_Q3_K: {
    const uint8_t *s12 = p + 96;
    float d = kq_h(p + 108);
    uint32_t a0 = kq_le32(s12), a1 = kq_le32(s12 + 4), tmp = kq_le32(s12 + 8);
    const uint32_t k1 = 0x03030303u, k2 = 0x0f0f0f0fu;
    uint32_t aux[4] = {(a0 & k2) | (((tmp >> 0) & k1) << 4), (a1 & k2) | (((tmp >> 2) & k1) << 4),
                       ((a0 >> 4) & k2) | (((tmp >> 4) & k1) << 4), ((a1 >> 4) & k2) | (((tmp >> 6) & k1) << 4)};
    for (int g = 0; g < 16; g++) {
      sc[g] = d * (float)((int)(int8_t)(aux[g / 4] >> (8 * (g % 4))) - 32);
      mn[g] = -4.0f * sc[g];
    }
  } break;
  case VN_DT_Q4_K:
  case VN_DT_Q5_K: {
    float d = kq_h(p), dm = kq_h(p + 2);
    for (int j = 0; j < 8; j++) {
      int s, m;
      kq_scale_min(j, p + 4, &s, &m);
      sc[2 * j] = sc[2 * j + 1] = d * (float)s;
      mn[2 * j] = mn[2 * j + 1] = -(dm * (float)m);
    }
  } break;
  case VN_DT_Q6_K: {
    float d = kq_h(p + 208);
    for (int g = 0; g < 16; g++) { sc[g] = d * (float)(int8_t)p[192 + g]; mn[g] = -32.0f * sc[g]; }
  } break;
  }
}

/* the unsigned values of group g (32 values) of block p */
static inline vn_q32 kq_vec(int dt, const uint8_t *p, int g) {
  switch (dt) {
  case VN_DT_Q4_1: return vn_q32_q4(p + 4);
  case VN_DT_Q2_K: return vn_q32_bits(p + 16 + 32 * (g / 4), 2 * (g % 4), 3);
  case VN_DT_Q3_K:
    return vn_q32_or_shl(vn_q32_bits(p + 32 + 32 * (g / 4), 2 * (g % 4), 3), vn_q32_bits(p, g, 1), 2);
  case VN_DT_Q4_K: return vn_q32_bits(p + 16 + 32 * (g / 2), 4 * (g % 2), 15);
  case VN_DT_Q5_K: return vn_q32_or_shl(vn_q32_bits(p + 48 + 32 * (g / 2), 4 * (g % 2), 15), vn_q32_bits(p + 16, g, 1), 4);
  default: {  /* Q6_K */
    int h = g / 4, k = g % 4;
    return vn_q32_or_shl(vn_q32_bits(p + 64 * h + 32 * (k & 1), 4 * (k >> 1), 15), vn_q32_bits(p + 128 + 32 * h, 2 * k, 3), 4);
  }
  }
}

static void kq_rowdot_v(int dt, const VnBlockQ8s *x, int64_t ldx, int R, const uint8_t *w, int64_t K, float *o) {
  int bs = kq_block_len(dt), bb = kq_block_bytes(dt), p16 = kq_per16(dt), ng = bs / 32;
  float sc[16], mn[16];
  for (int r = 0; r < R; r++) o[r] = 0.0f;
  for (int64_t b = 0; b < K / bs; b++) {  /* a block's scales once for every row */
    const uint8_t *p = w + b * bb;
    kq_scales(dt, p, sc, mn);
    for (int r = 0; r < R; r++) {
      const VnBlockQ8s *xb = x + (int64_t)r * ldx + b * ng;
      vn_qf acc = vn_qf_zero();
      float m = 0.0f;
      for (int g = 0; g < ng; g++) {
        vn_q32 u = vn_q32_ld(xb[g].qs), v = kq_vec(dt, p, g);
        float dx = xb[g].d;
        if (p16) {
          acc = vn_qf_fma(acc, dx * sc[2 * g], vn_qi_dot(u, vn_q32_half(v, 0)));
          acc = vn_qf_fma(acc, dx * sc[2 * g + 1], vn_qi_dot(u, vn_q32_half(v, 1)));
          m += dx * (mn[2 * g] * (float)xb[g].s[0] + mn[2 * g + 1] * (float)xb[g].s[1]);
        } else {
          acc = vn_qf_fma(acc, dx * sc[2 * g], dt == VN_DT_Q4_1 ? vn_qi_dot_q4(u, v) : vn_qi_dot(u, v));
          m += dx * mn[2 * g] * (float)(xb[g].s[0] + xb[g].s[1]);
        }
      }
      o[r] += vn_qf_sum(acc) + m;
    }
  }
}
#define KQ_ROWDOT(dt) (kq_vec_is(dt) ? kq_rowdot_v : kq_rowdot)
#else
#define KQ_ROWDOT(dt) kq_rowdot
#endif

/* output columns [c0, c1) of every row, as matmul_task */
static void kq_task(void *arg, int64_t c0, int64_t c1, int thread) {
  (void)thread;
  const MatmulArgs *a = arg;
  int64_t K = a->K, kb = K / 32;
  size_t rb = (size_t)(K / kq_block_len(a->dt)) * (size_t)kq_block_bytes(a->dt);
  const VnBlockQ8s *xq = (const VnBlockQ8s *)a->xq;
  const uint8_t *W = (const uint8_t *)a->W;
  void (*rowdot)(int, const VnBlockQ8s *, int64_t, int, const uint8_t *, int64_t, float *) = KQ_ROWDOT(a->dt);
  for (int64_t c = c0; c < c1; c++)
    for (int t = 0; t < a->T; t += KQ_MAXR) {
      int R = a->T - t < KQ_MAXR ? a->T - t : KQ_MAXR;
      float g[KQ_MAXR], u[KQ_MAXR];
      int64_t n = a->glu ? 2 * c : c;
      rowdot(a->dt, xq + (int64_t)t * kb, kb, R, W + (size_t)n * rb, K, g);
      if (a->glu) rowdot(a->dt, xq + (int64_t)t * kb, kb, R, W + (size_t)(n + 1) * rb, K, u);
      for (int r = 0; r < R; r++) a->out[(int64_t)(t + r) * a->ncols + c] = epilogue(a, t + r, c, g[r], a->glu ? u[r] : 0.0f);
    }
}

static void kq_quantize_task(void *arg, int64_t t0, int64_t t1, int thread) {
  (void)thread;
  const MatmulArgs *a = arg;
  for (int64_t t = t0; t < t1; t++) kq_quantize_row(a->x + t * a->ldx, (VnBlockQ8s *)a->xq + t * (a->K / 32), a->K);
}

#ifdef VN_QR
/* ---- K-quants repacked for this target (codegen/kqpack.c vn_kq_repack) ----
 * Whole groups of VN_QR rows, super-block by super-block: each vector of
 * the part holds 4 values of every row of the group, unsigned, and
 * VN_QR_KQ's byte fields pull them out (nib: the low nibbles are group j,
 * the high ones j + 32; hb, b2: the high bits). Activations are quantized
 * per super-block (KqX: one scale per 256 values, the sums of every 16 and
 * 32 as floats), so a product is per sub-block an integer dot of four bytes
 * of x broadcast to every lane times the group's vector (vn_ri_dot_us),
 * scaled in float lanes by the rows' sub-block scales (sf) and corrected
 * for their mins or offsets (mf) by the activation sums, then by x's scale
 * once per super-block. Tiles of MR rows of x by one group; the rows left
 * over (N % VN_QR) are plain and go through kq_xdot. */
#ifndef VN_QR_KQ
#error "a target with repacked weights (VN_QR) streams the K-quants repacked: its header needs VN_QR_KQ"
#endif
typedef struct { float d; float s16[16]; float s32[8]; int8_t qs[256]; } KqX;  /* 356 bytes, as venusc sizes qbuf */

static int kq_rp_is(int dt) { return dt >= VN_DT_Q2_K && dt <= VN_DT_Q6_K; }

/* written in GCC's generic vectors (8 lanes; the VN_QR targets build with
 * GCC or clang), so that it vectorizes at -O2: |x| as its bit pattern less
 * the sign (an integer max; a NaN comes out NaN and its values -127), the
 * rounding half away from zero of round_away, the clamp before the cast */
typedef float kq_v8f __attribute__((vector_size(32)));
typedef int32_t kq_v8i __attribute__((vector_size(32)));
typedef int8_t kq_v8b __attribute__((vector_size(8)));
static void kq_quantize_x(const float *x, KqX *y, int64_t K) {
  const kq_v8i sign = {INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN};
  for (int64_t b = 0; b < K / 256; b++, x += 256, y++) {
    kq_v8i m = {0};
    for (int j = 0; j < 256; j += 8) {
      kq_v8i u;
      memcpy(&u, x + j, 32);
      u &= ~sign;
      kq_v8i gt = u > m;
      m = (u & gt) | (m & ~gt);
    }
    int32_t mx = 0;
    for (int l = 0; l < 8; l++) mx = m[l] > mx ? m[l] : mx;
    float amax;
    memcpy(&amax, &mx, 4);
    float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
    y->d = d;
    kq_v8f vid = {id, id, id, id, id, id, id, id}, lo = {-127, -127, -127, -127, -127, -127, -127, -127}, hi = -lo;
    kq_v8f half = {0.49999997f, 0.49999997f, 0.49999997f, 0.49999997f, 0.49999997f, 0.49999997f, 0.49999997f, 0.49999997f};
    for (int j = 0; j < 256; j += 8) {
      kq_v8f v;
      memcpy(&v, x + j, 32);
      v *= vid;
      kq_v8i vi = (kq_v8i)v, hb = (kq_v8i)half | (vi & sign);
      v += (kq_v8f)hb;
      kq_v8i ok = v >= lo;
      v = (kq_v8f)(((kq_v8i)v & ok) | ((kq_v8i)lo & ~ok));
      ok = v <= hi;
      v = (kq_v8f)(((kq_v8i)v & ok) | ((kq_v8i)hi & ~ok));
      kq_v8b q = __builtin_convertvector(__builtin_convertvector(v, kq_v8i), kq_v8b);
      memcpy(y->qs + j, &q, 8);
    }
    for (int g = 0; g < 16; g++) {
      int32_t s = 0;
      for (int j = 0; j < 16; j++) s += y->qs[16 * g + j];
      y->s16[g] = (float)s;
    }
    for (int g = 0; g < 8; g++) y->s32[g] = y->s16[2 * g] + y->s16[2 * g + 1];
  }
}

static void kq_quantize_x_task(void *arg, int64_t t0, int64_t t1, int thread) {
  (void)thread;
  const MatmulArgs *a = arg;
  for (int64_t t = t0; t < t1; t++) kq_quantize_x(a->x + t * a->ldx, (KqX *)a->xq + t * (a->K / 256), a->K);
}

/* a plain row w of type dt times x (K values) */
static float kq_xdot(int dt, const KqX *x, const uint8_t *w, int64_t K) {
  int8_t q[256];
  float sc[16], mn[16], o = 0.0f;
  for (int64_t b = 0; b < K / 256; b++, w += kq_block_bytes(dt), x++) {
    kq_unpack(dt, w, q, sc, mn);
    float s = 0.0f;
    for (int g = 0; g < 16; g++) {
      int32_t d = 0;
      for (int j = 0; j < 16; j++) d += (int32_t)q[16 * g + j] * x->qs[16 * g + j];
      s += sc[g] * (float)d + mn[g] * x->s16[g];
    }
    o += s * x->d;
  }
  return o;
}

#define KQ_AI static inline __attribute__((always_inline))
#define KQ_V(p, k) vn_ri_ld((p) + (size_t)(k) * 4 * VN_QR)

/* acc += w . x (vn_ri_dot_us), i the vector's index among nv of one
 * sub-block; where the target adds pair sums in 16 bits (VN_RI_W16), ch
 * vectors' at a time (kq_w16: as many as cannot overflow), widened once */
#ifdef VN_RI_W16
typedef vn_rw kq_w16_t;
KQ_AI void kq_dot(vn_ri *acc, kq_w16_t *h, vn_ri w, vn_ri x, int i, int ch, int nv) {
  vn_rw p = vn_rw_dot_us(w, x);
  *h = i % ch ? vn_rw_add(*h, p) : p;
  if (i % ch == ch - 1 || i == nv - 1) *acc = vn_ri_add_w(*acc, *h);
}
#else
typedef vn_ri kq_w16_t;
KQ_AI void kq_dot(vn_ri *acc, kq_w16_t *h, vn_ri w, vn_ri x, int i, int ch, int nv) {
  (void)h; (void)i; (void)ch; (void)nv;
  *acc = vn_ri_dot_us(*acc, w, x);
}
#endif
/* vectors of pair sums (each at most 2 * vmax * 127) that 16 bits hold:
 * unsigned values below 4, 8, 16, 32, 64 */
static inline int kq_w16(int dt) {
  switch (dt) {
  case VN_DT_Q2_K: return 32;
  case VN_DT_Q3_K: return 16;
  case VN_DT_Q4_K: return 8;
  case VN_DT_Q5_K: return 4;
  }
  return 2;
}

/* the lanes of groups j (lo) and j + 32 (hi), j < 32, of part p */
KQ_AI void kq_vals(int dt, const uint8_t *p, int j, vn_ri *lo, vn_ri *hi) {
  enum { Q = VN_QR };
  switch (dt) {
  case VN_DT_Q4_K: { vn_ri v = KQ_V(p + 16 * Q, j); *lo = vn_ri_lo4(v); *hi = vn_ri_hi4(v); } break;
  case VN_DT_Q5_K: {
    vn_ri v = KQ_V(p + 48 * Q, j), h = KQ_V(p + 16 * Q, j % 8);
    int m = j / 8;
    *lo = vn_ri_or_shl(vn_ri_lo4(v), vn_ri_bits(h, m, 1), 4);
    *hi = vn_ri_or_shl(vn_ri_hi4(v), vn_ri_bits(h, m + 4, 1), 4);
  } break;
  case VN_DT_Q6_K: {
    vn_ri v = KQ_V(p + 82 * Q, j), h = KQ_V(p + 18 * Q, j % 16);
    int m = j / 16;
    *lo = vn_ri_or_shl(vn_ri_lo4(v), vn_ri_bits(h, 2 * m, 3), 4);
    *hi = vn_ri_or_shl(vn_ri_hi4(v), vn_ri_bits(h, 2 * m + 4, 3), 4);
  } break;
  case VN_DT_Q3_K: {
    vn_ri l = KQ_V(p + 46 * Q, j % 16), h = KQ_V(p + 14 * Q, j % 8);
    int m = j / 16, mh = j / 8;
    *lo = vn_ri_or_shl(vn_ri_bits(l, 2 * m, 3), vn_ri_bits(h, mh, 1), 2);
    *hi = vn_ri_or_shl(vn_ri_bits(l, 2 * m + 4, 3), vn_ri_bits(h, mh + 4, 1), 2);
  } break;
  default: {  /* Q2_K */
    vn_ri l = KQ_V(p + 20 * Q, j % 16);
    int m = j / 16;
    *lo = vn_ri_bits(l, 2 * m, 3);
    *hi = vn_ri_bits(l, 2 * m + 4, 3);
  } break;
  }
}

/* the 6-bit value i of the three scale words at p */
KQ_AI vn_ri kq_six(const uint8_t *p, int i) {
  if (i < 15) return vn_ri_and32(vn_ri_srl32(KQ_V(p, i / 5), 6 * (i % 5)), 63);
  return vn_ri_or(vn_ri_srl32(KQ_V(p, 0), 30), vn_ri_or(vn_ri_sll32(vn_ri_srl32(KQ_V(p, 1), 30), 2),
                                                       vn_ri_sll32(vn_ri_srl32(KQ_V(p, 2), 30), 4)));
}

/* sub-block s's scales sf and min or offset mf of part p (d, dm: its f16 fields) */
KQ_AI void kq_sub(int dt, const uint8_t *p, vn_rf d, vn_rf dm, int s, vn_rf *sf, vn_rf *mf) {
  enum { Q = VN_QR };
  switch (dt) {
  case VN_DT_Q4_K:
  case VN_DT_Q5_K:
    *sf = vn_rf_mul(d, vn_rf_cvt(kq_six(p + 4 * Q, s)));
    *mf = vn_rf_mul(dm, vn_rf_cvt(kq_six(p + 4 * Q, s + 8)));
    break;
  case VN_DT_Q3_K:
    *sf = vn_rf_mul(d, vn_rf_cvt(vn_ri_sub1(kq_six(p + 2 * Q, s), 32)));
    *mf = vn_rf_muls(*sf, -4.0f);
    break;
  case VN_DT_Q6_K:
    *sf = vn_rf_mul(d, vn_rf_cvt(vn_ri_sra32(vn_ri_sll32(KQ_V(p + 2 * Q, s / 4), 24 - 8 * (s % 4)), 24)));
    *mf = vn_rf_muls(*sf, -32.0f);
    break;
  default: {  /* Q2_K */
    vn_ri b = vn_ri_srl32(KQ_V(p + 4 * Q, s / 4), 8 * (s % 4));
    *sf = vn_rf_mul(d, vn_rf_cvt(vn_ri_and32(b, 15)));
    *mf = vn_rf_mul(dm, vn_rf_cvt(vn_ri_and32(vn_ri_srl32(b, 4), 15)));
  } break;
  }
}

/* o [MR][VN_QR] = MR rows of x (nb super-blocks each, ldx apart) times the
 * group at w */
KQ_AI void kq_rtile(int dt, int MR, const KqX *x, int64_t ldx, int64_t nb, const uint8_t *w, float *o) {
  enum { Q = VN_QR };
  int bb = kq_block_bytes(dt), s32 = dt == VN_DT_Q4_K || dt == VN_DT_Q5_K, mins = s32 || dt == VN_DT_Q2_K;
  int nstep = s32 ? 4 : 8, nv = 32 / nstep, half = s32 ? 4 : 8, ch = kq_w16(dt);
  vn_rf A[4], F[4];
  vn_ri iA[4], iB[4];
  kq_w16_t hA[4], hB[4];
#pragma GCC unroll 4
  for (int r = 0; r < MR; r++) A[r] = vn_rf_zero();
  for (int64_t b = 0; b < nb; b++, w += (size_t)Q * (size_t)bb) {
    const KqX *xb[4];
#pragma GCC unroll 4
    for (int r = 0; r < MR; r++) { xb[r] = x + r * ldx + b; F[r] = vn_rf_zero(); }
    vn_rf d = vn_rf_ldh((const uint16_t *)w), dm = mins ? vn_rf_muls(vn_rf_ldh((const uint16_t *)(w + 2 * Q)), -1.0f) : d;
    if (MR == 1)  /* decode: the stream a super-block ahead (and VN_PFD bytes) */
      for (int l = 0; l < Q * bb; l += 64) VN_PF(w + (size_t)Q * (size_t)bb + l);
#pragma GCC unroll 8
    for (int t = 0; t < nstep; t++) {
#pragma GCC unroll 4
      for (int r = 0; r < MR; r++) { iA[r] = vn_ri_zero(); iB[r] = vn_ri_zero(); }
#pragma GCC unroll 8
      for (int i = 0; i < nv; i++) {
        int j = t * nv + i;
        vn_ri lo, hi;
        kq_vals(dt, w, j, &lo, &hi);
#pragma GCC unroll 4
        for (int r = 0; r < MR; r++) {
          kq_dot(&iA[r], &hA[r], lo, vn_ri_bc4(xb[r]->qs + 4 * j), i, ch, nv);
          kq_dot(&iB[r], &hB[r], hi, vn_ri_bc4(xb[r]->qs + 128 + 4 * j), i, ch, nv);
        }
      }
      vn_rf sfa, mfa, sfb, mfb;
      kq_sub(dt, w, d, dm, t, &sfa, &mfa);
      kq_sub(dt, w, d, dm, t + half, &sfb, &mfb);
#pragma GCC unroll 4
      for (int r = 0; r < MR; r++) {
        const float *xs = s32 ? xb[r]->s32 : xb[r]->s16;
        F[r] = vn_rf_fmav(F[r], sfa, vn_rf_cvt(iA[r]));
        F[r] = vn_rf_fmav(F[r], sfb, vn_rf_cvt(iB[r]));
        F[r] = vn_rf_fmas(F[r], mfa, xs[t]);
        F[r] = vn_rf_fmas(F[r], mfb, xs[t + half]);
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < MR; r++) A[r] = vn_rf_fmas(A[r], F[r], xb[r]->d);
  }
#pragma GCC unroll 4
  for (int r = 0; r < MR; r++) vn_rf_st(o + r * Q, A[r]);
}

typedef void (*KqTileFn)(const KqX *x, int64_t ldx, int64_t nb, const uint8_t *w, float *o);
#define KQ_TILE(S, DT, MR) \
  static VN_NOINLINE void kq_t##MR##_##S(const KqX *x, int64_t ldx, int64_t nb, const uint8_t *w, float *o) { \
    kq_rtile(DT, MR, x, ldx, nb, w, o);                                                              \
  }
#if VN_NR >= 4
#define KQ_MR 4
#define KQ_TILES(S, DT) KQ_TILE(S, DT, 1) KQ_TILE(S, DT, 2) KQ_TILE(S, DT, 3) KQ_TILE(S, DT, 4)
#define KQ_FNS(S) {kq_t1_##S, kq_t2_##S, kq_t3_##S, kq_t4_##S}
#else
#define KQ_MR 2
#define KQ_TILES(S, DT) KQ_TILE(S, DT, 1) KQ_TILE(S, DT, 2)
#define KQ_FNS(S) {kq_t1_##S, kq_t2_##S}
#endif
KQ_TILES(q2k, VN_DT_Q2_K)
KQ_TILES(q3k, VN_DT_Q3_K)
KQ_TILES(q4k, VN_DT_Q4_K)
KQ_TILES(q5k, VN_DT_Q5_K)
KQ_TILES(q6k, VN_DT_Q6_K)
static const KqTileFn kq_tiles[5][KQ_MR] = {KQ_FNS(q2k), KQ_FNS(q3k), KQ_FNS(q4k), KQ_FNS(q5k), KQ_FNS(q6k)};

/* Prefill: a group's super-blocks decoded once for every tile of rows of x
 * (kq_decode_group: per super-block its 64 value vectors, then sf and mf per
 * sub-block as float lanes; KQ_CB at most), so that the tiles only load
 * and multiply (kq_ctile) */
#define KQ_CB 32
#define KQ_CSTRIDE (64 * 4 * VN_QR + 2 * 16 * VN_QR * 4)
KQ_AI void kq_decode_group(int dt, const uint8_t *w, int64_t nb, uint8_t *c) {
  enum { Q = VN_QR };
  int bb = kq_block_bytes(dt), s32 = dt == VN_DT_Q4_K || dt == VN_DT_Q5_K, mins = s32 || dt == VN_DT_Q2_K, nsub = s32 ? 8 : 16;
  for (int64_t b = 0; b < nb; b++, w += (size_t)Q * (size_t)bb, c += KQ_CSTRIDE) {
    vn_rf d = vn_rf_ldh((const uint16_t *)w), dm = mins ? vn_rf_muls(vn_rf_ldh((const uint16_t *)(w + 2 * Q)), -1.0f) : d;
    for (int j = 0; j < 32; j++) {
      vn_ri lo, hi;
      kq_vals(dt, w, j, &lo, &hi);
      memcpy(c + (size_t)j * 4 * Q, &lo, sizeof lo);
      memcpy(c + (size_t)(j + 32) * 4 * Q, &hi, sizeof hi);
    }
    float *f = (float *)(c + 64 * 4 * Q);
    for (int sb = 0; sb < nsub; sb++) {
      vn_rf sf, mf;
      kq_sub(dt, w, d, dm, sb, &sf, &mf);
      vn_rf_st(f + sb * Q, sf);
      vn_rf_st(f + (16 + sb) * Q, mf);
    }
  }
}

/* QR floats (vn_rf lanes; the vocabulary only loads f16 ones) */
KQ_AI vn_rf kq_rf_ld(const float *p) {
  vn_rf v;
  memcpy(&v, p, sizeof v);
  return v;
}

KQ_AI void kq_ctile(int dt, int MR, const KqX *x, int64_t ldx, int64_t nb, const uint8_t *c, float *o) {
  enum { Q = VN_QR };
  int s32 = dt == VN_DT_Q4_K || dt == VN_DT_Q5_K, nstep = s32 ? 4 : 8, nv = 32 / nstep, half = s32 ? 4 : 8, ch = kq_w16(dt);
  vn_rf A[4], F[4];
  vn_ri iA[4], iB[4];
  kq_w16_t hA[4], hB[4];
#pragma GCC unroll 4
  for (int r = 0; r < MR; r++) A[r] = vn_rf_zero();
  for (int64_t b = 0; b < nb; b++, c += KQ_CSTRIDE) {
    const KqX *xb[4];
    const float *f = (const float *)(c + 64 * 4 * Q);
#pragma GCC unroll 4
    for (int r = 0; r < MR; r++) { xb[r] = x + r * ldx + b; F[r] = vn_rf_zero(); }
#pragma GCC unroll 8
    for (int t = 0; t < nstep; t++) {
#pragma GCC unroll 4
      for (int r = 0; r < MR; r++) { iA[r] = vn_ri_zero(); iB[r] = vn_ri_zero(); }
#pragma GCC unroll 8
      for (int i = 0; i < nv; i++) {
        int j = t * nv + i;
        vn_ri lo = KQ_V(c, j), hi = KQ_V(c, j + 32);
#pragma GCC unroll 4
        for (int r = 0; r < MR; r++) {
          kq_dot(&iA[r], &hA[r], lo, vn_ri_bc4(xb[r]->qs + 4 * j), i, ch, nv);
          kq_dot(&iB[r], &hB[r], hi, vn_ri_bc4(xb[r]->qs + 128 + 4 * j), i, ch, nv);
        }
      }
      vn_rf sfa = kq_rf_ld(f + t * Q), sfb = kq_rf_ld(f + (t + half) * Q);
      vn_rf mfa = kq_rf_ld(f + (16 + t) * Q), mfb = kq_rf_ld(f + (16 + t + half) * Q);
#pragma GCC unroll 4
      for (int r = 0; r < MR; r++) {
        const float *xs = s32 ? xb[r]->s32 : xb[r]->s16;
        F[r] = vn_rf_fmav(F[r], sfa, vn_rf_cvt(iA[r]));
        F[r] = vn_rf_fmav(F[r], sfb, vn_rf_cvt(iB[r]));
        F[r] = vn_rf_fmas(F[r], mfa, xs[t]);
        F[r] = vn_rf_fmas(F[r], mfb, xs[t + half]);
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < MR; r++) A[r] = vn_rf_fmas(A[r], F[r], xb[r]->d);
  }
#pragma GCC unroll 4
  for (int r = 0; r < MR; r++) vn_rf_st(o + r * Q, A[r]);
}

typedef void (*KqDecFn)(const uint8_t *w, int64_t nb, uint8_t *c);
typedef void (*KqCTileFn)(const KqX *x, int64_t ldx, int64_t nb, const uint8_t *c, float *o);
#define KQ_DEC(S, DT) static VN_NOINLINE void kq_dec_##S(const uint8_t *w, int64_t nb, uint8_t *c) { kq_decode_group(DT, w, nb, c); }
KQ_DEC(q2k, VN_DT_Q2_K)
KQ_DEC(q3k, VN_DT_Q3_K)
KQ_DEC(q4k, VN_DT_Q4_K)
KQ_DEC(q5k, VN_DT_Q5_K)
KQ_DEC(q6k, VN_DT_Q6_K)
static const KqDecFn kq_decs[5] = {kq_dec_q2k, kq_dec_q3k, kq_dec_q4k, kq_dec_q5k, kq_dec_q6k};
#define KQ_CTILE(S, DT, MR)                                                                         \
  static VN_NOINLINE void kq_c##MR##_##S(const KqX *x, int64_t ldx, int64_t nb, const uint8_t *c, float *o) { \
    kq_ctile(DT, MR, x, ldx, nb, c, o);                                                             \
  }
#if KQ_MR == 4
#define KQ_CTILES(S, DT) KQ_CTILE(S, DT, 1) KQ_CTILE(S, DT, 2) KQ_CTILE(S, DT, 3) KQ_CTILE(S, DT, 4)
#define KQ_CFNS(S) {kq_c1_##S, kq_c2_##S, kq_c3_##S, kq_c4_##S}
#else
#define KQ_CTILES(S, DT) KQ_CTILE(S, DT, 1) KQ_CTILE(S, DT, 2)
#define KQ_CFNS(S) {kq_c1_##S, kq_c2_##S}
#endif
/* a tile per format: the decoded values are alike, their ranges (kq_w16) not */
KQ_CTILES(q2k, VN_DT_Q2_K)
KQ_CTILES(q3k, VN_DT_Q3_K)
KQ_CTILES(q4k, VN_DT_Q4_K)
KQ_CTILES(q5k, VN_DT_Q5_K)
KQ_CTILES(q6k, VN_DT_Q6_K)
static const KqCTileFn kq_ctiles[5][KQ_MR] = {KQ_CFNS(q2k), KQ_CFNS(q3k), KQ_CFNS(q4k), KQ_CFNS(q5k), KQ_CFNS(q6k)};

/* units [u0, u1): unit u < N / VN_QR is group u, the one after the rows left over */
static void kq_rtask(void *arg, int64_t u0, int64_t u1, int thread) {
  (void)thread;
  const MatmulArgs *a = arg;
  int64_t nb = a->K / 256, rb = nb * kq_block_bytes(a->dt), ng = a->N / VN_QR;
  const KqX *xq = a->xq;
  const uint8_t *W = a->W;
  const KqTileFn *fn = kq_tiles[a->dt - VN_DT_Q2_K];
  float o[KQ_MR * VN_QR];
  for (int64_t u = u0; u < u1; u++) {
    if (u == ng) {
      int64_t n0 = ng * VN_QR, cnt = a->N - n0;
      for (int t = 0; t < a->T; t++) {
        for (int64_t n = 0; n < cnt; n++) o[n] = kq_xdot(a->dt, xq + t * nb, W + (size_t)(n0 + n) * (size_t)rb, a->K);
        store_rows(a, t, 1, n0, cnt, o, cnt);
      }
      continue;
    }
    const uint8_t *w = W + (size_t)u * VN_QR * (size_t)rb;
    if (a->T > KQ_MR && nb <= KQ_CB) {  /* prefill: the group decoded once */
      _Alignas(64) uint8_t cache[KQ_CB * KQ_CSTRIDE];
      kq_decs[a->dt - VN_DT_Q2_K](w, nb, cache);
      for (int t = 0; t < a->T;) {
        int mr = a->T - t < KQ_MR ? a->T - t : KQ_MR;
        kq_ctiles[a->dt - VN_DT_Q2_K][mr - 1](xq + t * nb, nb, nb, cache, o);
        store_rows(a, t, mr, u * VN_QR, VN_QR, o, VN_QR);
        t += mr;
      }
      continue;
    }
    for (int t = 0; t < a->T;) {
      int mr = a->T - t < KQ_MR ? a->T - t : KQ_MR;
      fn[mr - 1](xq + t * nb, nb, nb, w, o);
      store_rows(a, t, mr, u * VN_QR, VN_QR, o, VN_QR);
      t += mr;
    }
  }
}
#endif

static void kq_matmul(VnRt *rt, MatmulArgs *a, int rp) {
#ifdef VN_QR
  if (rp && kq_rp_is(a->dt)) {
    a->xq = rt->qbuf;
    if (a->T > 1) vn_parallel(rt, a->T, kq_quantize_x_task, a);
    else kq_quantize_x_task(a, 0, 1, 0);
    int64_t nu = a->N / VN_QR + (a->N % VN_QR != 0);
    if ((int64_t)a->T * a->K * a->N < 65536) kq_rtask(a, 0, nu, 0);
    else vn_parallel(rt, nu, kq_rtask, a);
    return;
  }
#else
  (void)rp;
#endif
  a->xq = rt->qbuf;
  if (a->T > 1) vn_parallel(rt, a->T, kq_quantize_task, a);
  else kq_quantize_task(a, 0, 1, 0);
  if ((int64_t)a->T * a->K * a->N < 65536) kq_task(a, 0, a->ncols, 0);
  else vn_parallel(rt, a->ncols, kq_task, a);
}
