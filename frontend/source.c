/* source.c: the tensor index every frontend fills (VnSource), looked up by
 * name by the spec builder and the weight packer. */
#include "frontend.h"
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const VnTensorInfo *vn_source_find(const VnSource *s, const char *name) {
  for (int i = 0; i < s->ntensors; i++)
    if (!strcmp(s->tensors[i].name, name)) return &s->tensors[i];
  return NULL;
}

/* Tensor data always points into a read-only private file mapping (gguf.c,
 * hf.c), so its pages can be dropped from the process and read again from
 * the page cache when touched: the whole pages inside [p, p + n). */
void vn_source_release(const uint8_t *p, uint64_t n) {
  static uintptr_t pg;
  if (!pg) { long s = sysconf(_SC_PAGESIZE); pg = s > 0 ? (uintptr_t)s : 4096; }
  uintptr_t a = ((uintptr_t)p + pg - 1) & ~(pg - 1), e = ((uintptr_t)p + n) & ~(pg - 1);
  if (p && e > a) madvise((void *)a, e - a, MADV_DONTNEED);
}
