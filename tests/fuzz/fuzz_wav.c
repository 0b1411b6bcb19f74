/* fuzz_wav.c: libFuzzer target for the speech models' audio input
 * (runtime/mel.c): the input is a WAV file's bytes, read by vn_wav_parse
 * (what vn_wav_read runs on the file it reads). A file it accepts goes
 * through the log-mel front end (vn_mel_features, 80 mels, and 128 when
 * the input's length is odd), whose every value must be finite. mel.c is
 * built here for 0.1 s of audio (VN_MEL_SAMPLES 1600, VN_MEL_FRAMES 10)
 * instead of 30 s: the same code, with inputs short enough to be cut, and
 * 300 times less arithmetic a run. A refusal
 * must be one line naming the file. */
#include "mel.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  char err[512] = "";
  long ns = -1;
  float *pcm = vn_wav_parse("in.wav", d, n, &ns, err, sizeof err);
  if (!pcm) {
    if (strncmp(err, "in.wav: ", 8) && strcmp(err, "out of memory")) {
      fprintf(stderr, "fuzz: a refused WAV must be named in one line, said: '%s'\n", err);
      abort();
    }
    if (strchr(err, '\n')) { fprintf(stderr, "fuzz: a message of more than one line: '%s'\n", err); abort(); }
    return 0;
  }
  if (ns < 0 || (size_t)ns * 2 > n) { fprintf(stderr, "fuzz: %ld samples from %zu bytes\n", ns, n); abort(); }
  int mels = n & 1 ? 128 : 80;
  float *x = malloc((size_t)mels * VN_MEL_FRAMES * sizeof *x);
  if (x && !vn_mel_features(pcm, ns, mels, x))
    for (long i = 0; i < (long)mels * VN_MEL_FRAMES; i++)
      if (!isfinite(x[i])) { fprintf(stderr, "fuzz: feature %ld is %g\n", i, x[i]); abort(); }
  free(x);
  free(pcm);
  return 0;
}
