/* fuzz_weights.c: libFuzzer target for the weight file a model binary opens
 * (runtime/weights.c vn_rt_init: magic, byte order, version, id, length).
 * It is linked with the C that venusc generated for a small fixture
 * (make fuzz writes it under build/fuzz/, with its model.vnw as the seed),
 * so the header is checked against a real binary's id and size; a file it
 * accepts is run for one step of three tokens, reading every weight. */
#include "fuzz.h"  /* first: it asks for the GNU C library's nftw */
#include "runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  const char *p = fz_write(0, "model.vnw", d, n);
  VnRt rt;
  char err[1024];
  err[0] = 0;
  if (vn_rt_init(&rt, &vn_model, p, 8, 1, err, sizeof err)) {
    if (!err[0] || strchr(err, '\n')) { fprintf(stderr, "fuzz: a refused weight file gave no one-line message: [%s]\n", err); abort(); }
    return 0;
  }
  int32_t ids[3] = {1, 2, 3};
  vn_rt_begin_step(&rt, 3, 0);
  vn_model_step(&rt, ids, 3, 0, 1);
  vn_rt_free(&rt);
  return 0;
}
