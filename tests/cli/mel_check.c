/* mel_check.c: runtime/mel.c's log-mel features of a WAV file against
 * reference features (float32 LE [mels][3000], WhisperFeatureExtractor's).
 *   mel_check FILE.wav REF.f32 MELS TOL   prints the largest |difference|;
 * exit 0 when it is at most TOL, 1 otherwise, 2 on bad input. */
#include "mel.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: mel_check FILE.wav REF.f32 MELS TOL\n"); return 2; }
  int mels = atoi(argv[3]);
  double tol = atof(argv[4]);
  char err[512];
  long n;
  float *pcm = vn_wav_read(argv[1], &n, err, sizeof err);
  if (!pcm) { fprintf(stderr, "mel_check: %s\n", err); return 2; }
  size_t cnt = (size_t)mels * VN_MEL_FRAMES;
  float *got = malloc(cnt * sizeof *got), *want = malloc(cnt * sizeof *want);
  FILE *f = fopen(argv[2], "rb");
  if (!got || !want || !f || fread(want, 4, cnt, f) != cnt) {
    fprintf(stderr, "mel_check: %s: cannot read %zu floats\n", argv[2], cnt);
    if (f) fclose(f);
    free(pcm); free(got); free(want);
    return 2;
  }
  fclose(f);
  if (vn_mel_features(pcm, n, mels, got)) {
    fprintf(stderr, "mel_check: out of memory\n");
    free(pcm); free(got); free(want);
    return 2;
  }
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < cnt; i++) {
    double d = fabs((double)got[i] - (double)want[i]);
    if (!(d <= worst)) { worst = d; at = i; }
  }
  printf("max |error| %.3g at bin %zu frame %zu (got %.7g, want %.7g), bound %.3g\n", worst, at / VN_MEL_FRAMES,
         at % VN_MEL_FRAMES, got[at], want[at], tol);
  free(pcm);
  free(got);
  free(want);
  return worst <= tol ? 0 : 1;
}
