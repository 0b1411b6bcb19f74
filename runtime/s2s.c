/* s2s.c: the encoder input of an encoder-decoder model's binary (vn_model
 * .encode set): token ids, a file of raw features (--features, float32
 * little-endian [enc_mels][frames], as WhisperFeatureExtractor gives them)
 * or a WAV file (--audio: 16 kHz mono 16-bit PCM, log-mel features computed
 * by mel.c). The encoder runs once over it (vn_rt_encode); the decoder's
 * steps then read its cross-attention keys and values.
 *
 * Frames come in [mels][frames] and the encoder reads them as rows of
 * enc_per_row frames of enc_mels values, so they are transposed here.
 * Errors are one line in err naming the file; nothing is written. */
#include "runtime.h"
#include "mel.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef VN_BAREMETAL
/* bare metal has no file system for these and the runtime allocates no heap */
float *vn_s2s_read_features(const VnModel *m, const char *path, char *err, size_t cap) {
  (void)m;
  snprintf(err, cap, "%s: --features is not available on bare metal", path);
  return NULL;
}
float *vn_s2s_read_audio(const VnModel *m, const char *path, char *err, size_t cap) {
  (void)m;
  snprintf(err, cap, "%s: --audio is not available on bare metal", path);
  return NULL;
}
#else
/* the frames the encoder takes: enc_rows positions of enc_per_row frames */
static long model_frames(const VnModel *m) { return (long)m->enc_rows * (m->enc_per_row > 0 ? m->enc_per_row : 1); }

/* [mels][frames] -> [frames][mels], malloc'ed */
static float *transpose(const float *x, long mels, long frames) {
  float *t = malloc((size_t)mels * (size_t)frames * sizeof *t);
  if (!t) return NULL;
  for (long c = 0; c < mels; c++)
    for (long f = 0; f < frames; f++) t[f * mels + c] = x[c * frames + f];
  return t;
}

float *vn_s2s_read_features(const VnModel *m, const char *path, char *err, size_t cap) {
  long mels = m->enc_mels, frames = model_frames(m);
  size_t want = (size_t)mels * (size_t)frames * 4;
  FILE *f = fopen(path, "rb");
  if (!f) { snprintf(err, cap, "%s: cannot open the features file", path); return NULL; }
  unsigned char *b = malloc(want + 1);
  size_t got = b ? fread(b, 1, want + 1, f) : 0;
  fclose(f);
  if (!b) { snprintf(err, cap, "out of memory"); return NULL; }
  if (got != want) {
    snprintf(err, cap, "%s: %s %zu bytes; this model takes float32 [%ld mel bins][%ld frames] = %zu bytes", path,
             got > want ? "more than" : "only", got > want ? want : got, mels, frames, want);
    free(b);
    return NULL;
  }
  float *x = malloc(want);
  if (!x) { free(b); snprintf(err, cap, "out of memory"); return NULL; }
  for (size_t i = 0; i < want / 4; i++) {  /* little-endian on every host */
    uint32_t u = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 | (uint32_t)b[4 * i + 2] << 16 | (uint32_t)b[4 * i + 3] << 24;
    memcpy(&x[i], &u, 4);
  }
  free(b);
  float *t = transpose(x, mels, frames);
  free(x);
  if (!t) snprintf(err, cap, "out of memory");
  return t;
}

float *vn_s2s_read_audio(const VnModel *m, const char *path, char *err, size_t cap) {
  long n = 0;
  float *pcm = vn_wav_read(path, &n, err, cap);
  if (!pcm) return NULL;
  long mels = m->enc_mels, frames = model_frames(m);
  if (frames != VN_MEL_FRAMES) {
    free(pcm);
    snprintf(err, cap, "%s: this model takes %ld frames of features, the log-mel front end gives %d (30 s); give --features",
             path, frames, VN_MEL_FRAMES);
    return NULL;
  }
  float *x = malloc((size_t)mels * VN_MEL_FRAMES * sizeof *x);
  if (!x || vn_mel_features(pcm, n, (int)mels, x)) {
    free(pcm); free(x);
    snprintf(err, cap, "out of memory");
    return NULL;
  }
  free(pcm);
  float *t = transpose(x, mels, frames);
  free(x);
  if (!t) snprintf(err, cap, "out of memory");
  return t;
}
#endif
