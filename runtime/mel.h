/* mel.h: the speech encoders' audio front end (mel.c): a WAV reader and the log-mel
 * features WhisperFeatureExtractor computes. libc only. */
#ifndef VN_MEL_H
#define VN_MEL_H
#include <stddef.h>

#define VN_MEL_RATE 16000     /* samples a second */
/* (the fuzz target, tests/fuzz/fuzz_wav.c, builds mel.c for 0.1 s: the
 * same code over 300 times less arithmetic) */
#ifndef VN_MEL_SAMPLES
#define VN_MEL_SAMPLES 480000 /* 30 s: the input is padded with zeros or cut to this */
#define VN_MEL_FRAMES 3000    /* frames of features (hop 160): VN_MEL_SAMPLES / 160 */
#endif

/* A 16 kHz mono 16-bit PCM WAV file as samples / 32768 (malloc'ed, *n of
 * them), or NULL with one line in err naming the file. */
float *vn_wav_read(const char *path, long *n, char *err, size_t cap);
/* The same from the file's bytes in memory (path: what err calls them). */
float *vn_wav_parse(const char *path, const unsigned char *data, size_t len, long *n, char *err, size_t cap);
/* The log-mel features [mels][VN_MEL_FRAMES] of pcm[0..n) into out; 0, or
 * -1 when out of memory. */
int vn_mel_features(const float *pcm, long n, int mels, float *out);

/* s2s.c: an encoder-decoder's float input, [frames][mels] (malloc'ed), or
 * NULL with one line in err */
struct VnModel;
float *vn_s2s_read_features(const struct VnModel *m, const char *path, char *err, size_t cap);
float *vn_s2s_read_audio(const struct VnModel *m, const char *path, char *err, size_t cap);
#endif
