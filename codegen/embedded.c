/* cbuf.c: the files embedded into venusc (archspecs, runtime and target
 * sources; build/embedded.c), found by their path in the source tree. */
#include "codegen.h"
#include <string.h>

const VnEmbedded *vn_embedded_find(const char *name) {
  for (const VnEmbedded *e = vn_embedded; e->name; e++)
    if (!strcmp(e->name, name)) return e;
  return NULL;
}
