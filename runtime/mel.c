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

float *vn_wav_read(const char *path, long *n, char *err, size_t cap) {
  FILE *f = fopen(path, "rb");
  if (!f) { snprintf(err, cap, "%s: cannot open the audio file", path); return NULL; }
  unsigned char h[12];
  if (fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) || memcmp(h + 8, "WAVE", 4)) {
    fclose(f);
    snprintf(err, cap, "%s: not a WAV file (no RIFF/WAVE header)", path);
    return NULL;
  }
  int have_fmt = 0;
  unsigned fmt = 0, ch = 0, bits = 0;
  uint32_t rate = 0;
  for (;;) {
    unsigned char c[8];
    if (fread(c, 1, 8, f) != 8) {
      fclose(f);
      snprintf(err, cap, "%s: WAV file without a %s chunk", path, have_fmt ? "data" : "fmt");
      return NULL;
    }
    uint32_t len = le32(c + 4);
    if (!memcmp(c, "fmt ", 4)) {
      unsigned char b[40] = {0};
      size_t k = len < sizeof b ? len : sizeof b;
      if (len < 16 || fread(b, 1, k, f) != k || (len > k && fseek(f, (long)(len - k + (len & 1)), SEEK_CUR)) ||
          (len <= k && (len & 1) && fseek(f, 1, SEEK_CUR))) {
        fclose(f);
        snprintf(err, cap, "%s: malformed WAV fmt chunk", path);
        return NULL;
      }
      fmt = le16(b);
      ch = le16(b + 2);
      rate = le32(b + 4);
      bits = le16(b + 14);
      if (fmt == 0xFFFE && len >= 40) fmt = le16(b + 24);  /* WAVE_FORMAT_EXTENSIBLE: the sub-format's tag */
      have_fmt = 1;
      continue;
    }
    if (memcmp(c, "data", 4)) {  /* LIST and the like: skipped */
      if (fseek(f, (long)len + (long)(len & 1), SEEK_CUR)) {
        fclose(f);
        snprintf(err, cap, "%s: truncated WAV file", path);
        return NULL;
      }
      continue;
    }
    if (!have_fmt) { fclose(f); snprintf(err, cap, "%s: WAV data before its fmt chunk", path); return NULL; }
    if (fmt != 1 || ch != 1 || rate != VN_MEL_RATE || bits != 16) {
      fclose(f);
      snprintf(err, cap, "%s: WAV of format %u, %u channel%s, %lu Hz, %u bits; this takes 16 kHz mono 16-bit PCM", path, fmt, ch,
               ch == 1 ? "" : "s", (unsigned long)rate, bits);
      return NULL;
    }
    long ns = (long)(len / 2);
    unsigned char *raw = malloc((size_t)ns * 2 + 1);
    float *x = malloc(((size_t)ns + 1) * sizeof *x);
    size_t got = raw && x ? fread(raw, 1, (size_t)ns * 2, f) : 0;
    fclose(f);
    if (!raw || !x) { free(raw); free(x); snprintf(err, cap, "out of memory"); return NULL; }
    if (got != (size_t)ns * 2) {
      free(raw); free(x);
      snprintf(err, cap, "%s: truncated WAV file (its data chunk says %lu bytes)", path, (unsigned long)len);
      return NULL;
    }
    for (long i = 0; i < ns; i++) x[i] = (float)(int16_t)le16(raw + 2 * i) / 32768.0f;
    free(raw);
    *n = ns;
    return x;
  }
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
