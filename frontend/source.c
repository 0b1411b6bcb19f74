/* source.c: the tensor index every frontend fills (VnSource), looked up by
 * name by the spec builder and the weight packer. */
#include "frontend.h"
#include <string.h>

const VnTensorInfo *vn_source_find(const VnSource *s, const char *name) {
  for (int i = 0; i < s->ntensors; i++)
    if (!strcmp(s->tensors[i].name, name)) return &s->tensors[i];
  return NULL;
}
