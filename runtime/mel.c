/* mel.c: the log-mel features of speech encoders, as transformers' WhisperFeatureExtractor computes
 * them (transformers' feature_extraction_whisper.py, its torch path):
 *   the samples padded with zeros (or cut) to 30 s = 480000;
 *   an STFT of n_fft 400, hop 160, a periodic Hann window, centered
 *   (reflect padding of 200 on each side): 3001 frames, the last dropped;
 *   the power spectrum |X|^2 of the 201 bins;
 *   a Slaney-normalized, Slaney-scale mel filter bank of `mels` filters over
 *   0..8000 Hz (audio_utils.mel_filter_bank);
 *   log10 of max(mel, 1e-10), floored at its maximum - 8, then (x + 4) / 4.
 * The DFT runs in double over cos/sin tables; the filter bank is made in
 * double and rounded to float32, as the extractor keeps it. libc only.
 *
 * The WAV reader takes RIFF/WAVE with a PCM fmt chunk (format 1, or
 * WAVE_FORMAT_EXTENSIBLE with the PCM sub-format), one channel, 16000 Hz,
 * 16 bits; anything else is refused by name. */
#include "mel.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#ifndef VN_BAREMETAL  /* bare metal: --audio is refused (s2s.c), the heap is not used */
#define NFFT 400
#define HOP 160
#define NBINS (NFFT / 2 + 1)

static uint32_t le32(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static unsigned le16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }

/* the largest WAV file read: over 2 hours at 16 kHz (the features take 30 s) */
#define VN_WAV_MAX_FILE (256L << 20)

float *vn_wav_parse(const char *path, const unsigned char *d, size_t len, long *n, char *err, size_t cap) {
  if (len < 12 || memcmp(d, "RIFF", 4) || memcmp(d + 8, "WAVE", 4)) {
    snprintf(err, cap, "%s: not a WAV file (no RIFF/WAVE header)", path);
    return NULL;
  }
  int have_fmt = 0;
  unsigned fmt = 0, ch = 0, bits = 0;
  uint32_t rate = 0;
  size_t at = 12;
  for (;;) {
    if (len - at < 8) {
      snprintf(err, cap, "%s: WAV file without a %s chunk", path, have_fmt ? "data" : "fmt");
      return NULL;
    }
    const unsigned char *c = d + at;
    uint32_t clen = le32(c + 4);
    at += 8;
    size_t left = len - at, pad = clen & 1;
    if (!memcmp(c, "fmt ", 4)) {
      unsigned char b[40] = {0};
      size_t k = clen < sizeof b ? clen : sizeof b;
      if (clen < 16 || left < k || left - k < (size_t)clen - k + pad) {
        snprintf(err, cap, "%s: malformed WAV fmt chunk", path);
        return NULL;
      }
      memcpy(b, d + at, k);
      at += (size_t)clen + pad;
      fmt = le16(b);
      ch = le16(b + 2);
      rate = le32(b + 4);
      bits = le16(b + 14);
      if (fmt == 0xFFFE && clen >= 40) fmt = le16(b + 24);  /* WAVE_FORMAT_EXTENSIBLE: the sub-format's tag */
      have_fmt = 1;
      continue;
    }
    if (memcmp(c, "data", 4)) {  /* LIST and the like: skipped */
      if (left < (size_t)clen + pad) {
        snprintf(err, cap, "%s: truncated WAV file", path);
        return NULL;
      }
      at += (size_t)clen + pad;
      continue;
    }
    if (!have_fmt) { snprintf(err, cap, "%s: WAV data before its fmt chunk", path); return NULL; }
    if (fmt != 1 || ch != 1 || rate != VN_MEL_RATE || bits != 16) {
      snprintf(err, cap, "%s: WAV of format %u, %u channel%s, %lu Hz, %u bits; this takes 16 kHz mono 16-bit PCM", path, fmt, ch,
               ch == 1 ? "" : "s", (unsigned long)rate, bits);
      return NULL;
    }
    long ns = (long)(clen / 2);
    if (left < (size_t)ns * 2) {
      snprintf(err, cap, "%s: truncated WAV file (its data chunk says %lu bytes)", path, (unsigned long)clen);
      return NULL;
    }
    float *x = malloc(((size_t)ns + 1) * sizeof *x);
    if (!x) { snprintf(err, cap, "out of memory"); return NULL; }
    for (long i = 0; i < ns; i++) x[i] = (float)(int16_t)le16(d + at + 2 * (size_t)i) / 32768.0f;
    *n = ns;
    return x;
  }
}

float *vn_wav_read(const char *path, long *n, char *err, size_t cap) {
  FILE *f = fopen(path, "rb");
  if (!f) { snprintf(err, cap, "%s: cannot open the audio file", path); return NULL; }
  size_t sz = 0, room = 1 << 16;
  unsigned char *d = malloc(room);
  for (size_t k; d && (k = fread(d + sz, 1, room - sz, f)) > 0;) {
    sz += k;
    if (sz == room) {
      if (room >= (size_t)VN_WAV_MAX_FILE) {
        free(d);
        fclose(f);
        snprintf(err, cap, "%s: too large: over %ld bytes of audio file", path, VN_WAV_MAX_FILE);
        return NULL;
      }
      unsigned char *nd = realloc(d, room * 2);
      if (!nd) { free(d); d = NULL; break; }
      d = nd;
      room *= 2;
    }
  }
  int rerr = d && ferror(f);
  fclose(f);
  if (!d) { snprintf(err, cap, "out of memory"); return NULL; }
  if (rerr) { free(d); snprintf(err, cap, "%s: cannot read the audio file", path); return NULL; }
  float *x = vn_wav_parse(path, d, sz, n, err, cap);
  free(d);
  return x;
}

/* audio_utils' Slaney mel scale */
static double hz_to_mel(double f) {
  double m = 3.0 * f / 200.0;
  if (f >= 1000.0) m = 15.0 + log(f / 1000.0) * (27.0 / log(6.4));
  return m;
}
static double mel_to_hz(double m) {
  double f = 200.0 * m / 3.0;
  if (m >= 15.0) f = 1000.0 * exp(log(6.4) / 27.0 * (m - 15.0));
  return f;
}

/* fb [NBINS][mels]: triangles between mel-spaced edges, times 2 / width */
static void filter_bank(int mels, float *fb) {
  double *edge = malloc((size_t)(mels + 2) * sizeof *edge);
  if (!edge) return;
  double lo = hz_to_mel(0.0), hi = hz_to_mel(8000.0);
  for (int i = 0; i < mels + 2; i++) edge[i] = mel_to_hz(lo + (hi - lo) * i / (mels + 1));  /* np.linspace */
  for (int k = 0; k < NBINS; k++) {
    double fk = 8000.0 * k / (NBINS - 1);
    for (int m = 0; m < mels; m++) {
      double down = -(edge[m] - fk) / (edge[m + 1] - edge[m]), up = (edge[m + 2] - fk) / (edge[m + 2] - edge[m + 1]);
      double v = down < up ? down : up;
      if (v < 0) v = 0;
      fb[k * mels + m] = (float)(v * 2.0 / (edge[m + 2] - edge[m]));
    }
  }
  free(edge);
}

int vn_mel_features(const float *pcm, long n, int mels, float *out) {
  enum { PAD = NFFT / 2, LEN = VN_MEL_SAMPLES + 2 * PAD };
  float *x = calloc(LEN, sizeof *x);                       /* reflect-padded samples */
  double *cs = malloc((size_t)NFFT * NBINS * 2 * sizeof *cs);  /* window * cos, window * sin */
  float *fb = malloc((size_t)NBINS * mels * sizeof *fb);
  float *pw = malloc(NBINS * sizeof *pw);
  if (!x || !cs || !fb || !pw) { free(x); free(cs); free(fb); free(pw); return -1; }
  long m = n < VN_MEL_SAMPLES ? n : VN_MEL_SAMPLES;
  memcpy(x + PAD, pcm, (size_t)m * sizeof *x);
  for (int i = 0; i < PAD; i++) {
    x[PAD - 1 - i] = x[PAD + 1 + i];
    x[PAD + VN_MEL_SAMPLES + i] = x[PAD + VN_MEL_SAMPLES - 2 - i];
  }
  for (int t = 0; t < NFFT; t++) {
    float w = (float)(0.5 - 0.5 * cos(2.0 * M_PI * t / NFFT));  /* torch.hann_window, periodic, float32 */
    for (int k = 0; k < NBINS; k++) {
      long r = (long)t * k % NFFT;
      cs[((size_t)t * NBINS + k) * 2] = w * cos(2.0 * M_PI * r / NFFT);
      cs[((size_t)t * NBINS + k) * 2 + 1] = w * sin(2.0 * M_PI * r / NFFT);
    }
  }
  filter_bank(mels, fb);
  float mx = -INFINITY;
  for (int fr = 0; fr < VN_MEL_FRAMES; fr++) {
    const float *s = x + (long)fr * HOP;
    double re[NBINS] = {0}, im[NBINS] = {0};
    for (int t = 0; t < NFFT; t++) {
      const double *c = cs + (size_t)t * NBINS * 2;
      double v = s[t];
      for (int k = 0; k < NBINS; k++) { re[k] += v * c[2 * k]; im[k] -= v * c[2 * k + 1]; }
    }
    for (int k = 0; k < NBINS; k++) pw[k] = (float)(re[k] * re[k] + im[k] * im[k]);
    for (int j = 0; j < mels; j++) {
      float acc = 0;
      for (int k = 0; k < NBINS; k++) acc += fb[k * mels + j] * pw[k];
      float l = log10f(acc > 1e-10f ? acc : 1e-10f);
      out[(long)j * VN_MEL_FRAMES + fr] = l;
      if (l > mx) mx = l;
    }
  }
  for (long i = 0; i < (long)mels * VN_MEL_FRAMES; i++) {
    float l = out[i] > mx - 8.0f ? out[i] : mx - 8.0f;
    out[i] = (l + 4.0f) / 4.0f;
  }
  free(x); free(cs); free(fb); free(pw);
  return 0;
}
#else
typedef int vn_mel_unused;  /* not an empty translation unit */
#endif
