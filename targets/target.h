/* target.h: one description per target venus compiles model binaries for.
 * A target names its compiler and flags, its byte order, and the header of
 * SIMD micro-kernels (targets/<isa>/<name>.h) that becomes vn_target.h in
 * the generated source tree. targets.c holds the table. */
#ifndef VN_TARGET_H
#define VN_TARGET_H

typedef enum { VN_TK_LINUX, VN_TK_WASM, VN_TK_BAREMETAL } VnTargetKind;

typedef struct VnTarget {
  const char *name;       /* --target NAME */
  const char *triple;
  const char *cc;         /* compiler command */
  const char *cflags;     /* ISA and ABI flags */
  const char *ldflags;
  const char *isa;        /* what the micro-kernels use, for `venusc targets` */
  const char *header;     /* micro-kernel header, a path under targets/ */
  const char *runner;     /* how to run it here ("" native; "qemu-aarch64-static -cpu max") */
  int big_endian;
  VnTargetKind kind;
  const char *note;
} VnTarget;

extern const VnTarget vn_targets[];
extern const int vn_ntargets;
/* Look a target up by name; "native" picks the best one the host runs. */
const VnTarget *vn_target_find(const char *name);
/* Is the target's compiler installed here? */
int vn_target_available(const VnTarget *t);

#endif
