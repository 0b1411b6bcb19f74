/* fuzz_index.c: libFuzzer target for a sharded checkpoint's index
 * (model.safetensors.index.json, read by frontend/hf.c vn_hf_open). The input
 * is the index; the directory around it holds the config and the two shards
 * of tests/fixtures/hf2/qwen2_sharded, so a weight_map that names them makes
 * the reader load and cross-check real shards. */
#include "frontend.h"
#include "fuzz.h"
#include "fuzz_check.h"

static const char *dir;

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  if (!dir) {
    dir = fz_subdir(1, "model");
    static const char *const f[] = {"config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"};
    for (int i = 0; i < 3; i++) {
      char a[256], b[256];
      snprintf(a, sizeof a, "model/%s", f[i]);
      snprintf(b, sizeof b, "tests/fixtures/hf2/qwen2_sharded/%s", f[i]);
      fz_link(a, b);
    }
  }
  fz_write(0, "model/model.safetensors.index.json", d, n);
  VnCtx ctx = {0};
  VnModelDir md;
  VnStatus rc = vn_hf_open(&ctx, dir, &md);
  fz_check_status(&ctx, rc, dir);
  if (rc == VN_OK) fz_touch_source(&md.src);
  vn_hf_close(&md);
  fz_ctx_free(&ctx);
  return 0;
}
