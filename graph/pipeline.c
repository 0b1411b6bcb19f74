/* pipeline.c: the passes, in order, as one readable list. `-d NAME` dumps
 * the graph after the pass of that name ("build" dumps it before any). */
#include "graph.h"
#include <string.h>

typedef struct {
  const char *name;
  VnStatus (*run)(VnCtx *, VnGraph *);
} Pass;

static const Pass passes[] = {
  {"verify", vn_pass_verify},
  {"fuse", vn_pass_fuse},
  {"dce", vn_pass_dce},
  {"plan", vn_pass_plan},
};
enum { NPASS = sizeof passes / sizeof passes[0] };

const char *vn_pass_names(void) { return "build, verify, fuse, dce, plan"; }

static int known(const char *name) {
  if (!strcmp(name, "build")) return 1;
  for (int i = 0; i < NPASS; i++) if (!strcmp(passes[i].name, name)) return 1;
  return 0;
}

VnStatus vn_pipeline(VnCtx *ctx, VnGraph *g, const VnPipeOpts *o) {
  const char *d = o ? o->dump_after : NULL;
  if (d && !known(d))
    return vn_errorf(ctx, VN_ERR_USAGE, VN_NOLOC, "-d %s: no such pass (passes: %s)", d, vn_pass_names());
  if (d && !strcmp(d, "build")) vn_graph_dump(g, o->dump_to);
  for (int i = 0; i < NPASS; i++) {
    if (o && o->no_fuse && passes[i].run == vn_pass_fuse) continue;
    VN_TRY(passes[i].run(ctx, g));
#ifndef NDEBUG
    if (passes[i].run != vn_pass_verify) VN_TRY(vn_pass_verify(ctx, g));
#endif
    if (d && !strcmp(d, passes[i].name)) vn_graph_dump(g, o->dump_to);
  }
  return VN_OK;
}
