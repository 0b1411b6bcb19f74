/* target.h: one description per target venus compiles model binaries for.
 * A target names its compiler and flags, its byte order, and the header of
 * SIMD micro-kernels (targets/<isa>/<name>.h) that becomes vn_target.h in
 * the generated source tree. targets.c holds the table.
 *
 * Kinds: a Linux target builds a static executable (cross targets run under
 * qemu-user); a wasm target builds a node launcher (OUT runs under node, the
 * weight file beside it); a bare-metal target builds an ELF for a board with
 * the weights linked in as const data and every buffer static. */
#ifndef VN_TARGET_H
#define VN_TARGET_H

typedef enum { VN_TK_LINUX, VN_TK_WASM, VN_TK_BAREMETAL } VnTargetKind;

typedef struct VnTarget {
  const char *name;       /* --target NAME */
  const char *triple;
  const char *cc;         /* compiler command (leading VAR=value words go to its environment) */
  const char *cflags;     /* ISA and ABI flags */
  const char *ldflags;
  const char *isa;        /* what the micro-kernels use, for `venusc targets` */
  const char *header;     /* micro-kernel header, a path under targets/ */
  const char *runner;     /* how to run it here ("" native; "qemu-aarch64-static -cpu max") */
  int big_endian;
  VnTargetKind kind;
  const char *note;
  const char *probe;      /* a file the toolchain needs besides cc (its libc), or NULL */
  const char *board;      /* bare metal: linker script under targets/ (memory map of the board) */
} VnTarget;

extern const VnTarget vn_targets[];
extern const int vn_ntargets;
/* Look a target up by name; "native" picks the best one the host runs. */
const VnTarget *vn_target_find(const char *name);
/* Is the target's compiler (and its libc, t->probe) installed here? */
int vn_target_available(const VnTarget *t);
/* Is the program of t->runner installed here? (1 for native targets) */
int vn_target_runner_available(const VnTarget *t);
/* The CPU features the target's flags need, as runtime/cpu.c names them
 * ("avx2 fma f16c"; "" none to check), and the flags runtime/cpu.c is
 * compiled with instead of t->cflags (the baseline of the target's
 * architecture, so the check itself runs on any CPU of it). */
const char *vn_target_cpu_features(const VnTarget *t);
const char *vn_target_cpu_cflags(const VnTarget *t);
/* Rows per group of the repacked q8_0/q4_0 matmul weights (0: plain rows),
 * and whether q8_0 values are stored + 128 (runtime/kernels.c VN_QR). */
int vn_target_qrows(const VnTarget *t, int *q8_unsigned);
/* Rows per group of the repacked f32/f16 matmul weights (0: plain rows):
 * runtime/kernels.c VN_FR, one vector of lanes per column of a group. */
int vn_target_frows(const VnTarget *t);

#endif
