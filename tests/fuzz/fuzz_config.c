/* fuzz_config.c: libFuzzer target for config.json along the whole path a
 * config takes: frontend/hf.c vn_hf_open (Python's bare NaN/Infinity
 * rewritten, JSON parsed, the architecture read), the spec its
 * architectures / model_type choose (as venusc compile chooses it; llama's
 * when none matches) run on it by graph/spec_lua.c vn_spec_build, and the
 * passes (vn_pipeline) on the graph built. The tensors are those of
 * tests/fixtures/hf/llama. */
#include "frontend.h"
#include "spec.h"
#include "codegen.h"
#include "fuzz.h"
#include "fuzz_check.h"

static const char *dir;
static VnSpecSrc specs[256], libs[256];
static VnSpecInfo info[256];
static int nspecs, nlibs, fallback;
static VnCtx info_ctx;  /* holds the specs' headers for the whole run */

static int cmp_src(const void *a, const void *b) { return strcmp(((const VnSpecSrc *)a)->file, ((const VnSpecSrc *)b)->file); }

static void init(void) {
  dir = fz_subdir(1, "model");
  fz_link("model/model.safetensors", "tests/fixtures/hf/llama/model.safetensors");
  for (const VnEmbedded *e = vn_embedded; e->name; e++) {
    size_t l = strlen(e->name);
    if (strncmp(e->name, "archspecs/", 10) || l < 4 || strcmp(e->name + l - 4, ".lua")) continue;
    VnSpecSrc s = {e->name, e->data, e->len};
    if (!strncmp(e->name, "archspecs/lib/", 14)) { if (nlibs < 256) libs[nlibs++] = s; }
    else if (nspecs < 256) specs[nspecs++] = s;
  }
  qsort(libs, (size_t)nlibs, sizeof *libs, cmp_src);
  qsort(specs, (size_t)nspecs, sizeof *specs, cmp_src);
  /* the headers once, from one state (as venusc reads them); each input
   * then gets a state of its own, as each compile does */
  VnSpecs *sp = NULL;
  if (vn_spec_open(&info_ctx, libs, nlibs, &sp) != VN_OK) fz_die("archspecs/lib fails:", info_ctx.msg);
  for (int i = 0; i < nspecs; i++) {
    int idx;
    if (vn_spec_add(sp, &specs[i], &idx) != VN_OK) fz_die("spec header fails:", specs[i].file);
    info[i] = *vn_spec_info(sp, idx);
    if (!strcmp(specs[i].file, "archspecs/llama.lua")) fallback = i;
  }
  vn_spec_close(sp);
}

/* venusc's choice: an HF class first, then a model_type */
static int choose(const VnModelDir *md) {
  int by_type = -1;
  for (int i = 0; i < nspecs; i++) {
    for (int k = 0; k < info[i].nhf; k++)
      if (md->arch_class && !strcmp(info[i].hf[k], md->arch_class)) return i;
    for (int k = 0; k < info[i].ntypes; k++)
      if (md->model_type && !strcmp(info[i].types[k], md->model_type) && by_type < 0) by_type = i;
  }
  return by_type >= 0 ? by_type : fallback;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  if (!dir) init();
  fz_write(0, "model/config.json", d, n);
  VnCtx ctx = {0};
  VnModelDir md;
  VnStatus rc = vn_hf_open(&ctx, dir, &md);
  fz_check_status(&ctx, rc, dir);
  if (rc == VN_OK) {
    VnGraph *g = vn_graph_new(&ctx);
    VnSpecs *sp = NULL;
    int idx = 0;
    rc = vn_spec_open(&ctx, libs, nlibs, &sp);
    if (rc == VN_OK) rc = vn_spec_add(sp, &specs[choose(&md)], &idx);
    if (rc == VN_OK) rc = vn_spec_build(sp, idx, md.config_json, md.config_file, &md.src, g);
    if (sp) vn_spec_close(sp);
    VnPipeOpts po = {NULL, NULL, 0};
    if (rc == VN_OK) rc = vn_pipeline(&ctx, g, &po);
    fz_check_status(&ctx, rc, NULL);
  }
  vn_hf_close(&md);
  fz_ctx_free(&ctx);
  return 0;
}
