/* fuzz_safetensors.c: libFuzzer target for one safetensors file
 * (frontend/hf.c vn_safetensors_load). The input is the whole file. After a
 * successful load every tensor's first and last byte is read, so a span the
 * reader accepted but the mapping does not hold is an ASan finding. */
#include "frontend.h"
#include "fuzz.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  const char *p = fz_write(0, "model.safetensors", d, n);
  VnCtx ctx = {0};
  VnModelDir md;
  memset(&md, 0, sizeof md);
  md.src.path = p;
  VnStatus rc = vn_safetensors_load(&ctx, p, &md.src);
  fz_check_status(&ctx, rc, p);
  fz_touch_source(&md.src);
  vn_hf_close(&md);  /* unmaps what the load mapped */
  fz_ctx_free(&ctx);
  return 0;
}
