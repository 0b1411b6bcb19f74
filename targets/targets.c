/* targets.c: the target table. "native" is not an entry: it resolves to the
 * best x86-64 level the host CPU has (or "generic" elsewhere).
 *
 * Cross Linux targets link statically so qemu-user runs them without a
 * sysroot; a target's probe is the libc its compiler needs (Debian's
 * libc6-dev-*-cross packages), so `venusc targets` says "no" when only half
 * of a toolchain is installed. docs/targets.md says what was verified for
 * each row. -DVN_OWN_SINCOS (powerpc, ppc64le): glibc's sin/cos/sincos
 * there execute mffscrni, which real pre-POWER9 CPUs run as mffs but qemu
 * 7.2's POWER8 and G4 models reject, so weights.c computes the RoPE
 * tables' sin/cos itself. */
#include "target.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CM_LD "--specs=rdimon.specs -nostartfiles -Wl,--gc-sections"
#define CM_PROBE "/usr/lib/arm-none-eabi/newlib/rdimon.specs"

const VnTarget vn_targets[] = {
  {"generic", "host", "cc", "", "", "portable C99", "generic/generic.h", "", 0, VN_TK_LINUX,
   "any C99 compiler; scalar loops the compiler may vectorize", NULL, NULL},
  {"x86-64", "x86_64-linux-gnu", "cc", "-march=x86-64-v2", "", "SSE4.2", "generic/generic.h", "", 0, VN_TK_LINUX,
   "baseline x86-64", NULL, NULL},
  {"x86-64-avx2", "x86_64-linux-gnu", "cc", "-mavx2 -mfma -mf16c", "", "AVX2 + FMA + F16C", "x86/avx2.h", "", 0,
   VN_TK_LINUX, "Haswell and later", NULL, NULL},
  {"x86-64-avx512", "x86_64-linux-gnu", "cc", "-mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512vnni", "",
   "AVX-512 + VNNI", "x86/avx512.h", "", 0, VN_TK_LINUX, "Ice Lake, Zen 4 and later", NULL, NULL},
  {"aarch64", "aarch64-linux-gnu", "aarch64-linux-gnu-gcc", "-march=armv8.2-a+dotprod", "-static",
   "NEON + dotprod (sdot)", "arm/neon.h", "qemu-aarch64-static -cpu max", 0, VN_TK_LINUX,
   "ARMv8.2-A and later (Cortex-A55/A76, Neoverse, Apple M)", "/usr/aarch64-linux-gnu/lib/libc.a", NULL},
  {"aarch64-sve", "aarch64-linux-gnu", "aarch64-linux-gnu-gcc", "-march=armv8.2-a+sve", "-static",
   "SVE (vector-length agnostic)", "arm/sve.h", "qemu-aarch64-static -cpu max,sve-default-vector-length=32", 0,
   VN_TK_LINUX, "Neoverse V1/V2, A64FX, Graviton 3", "/usr/aarch64-linux-gnu/lib/libc.a", NULL},
  {"armv7", "arm-linux-gnueabihf", "arm-linux-gnueabihf-gcc", "-march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard -mfp16-format=ieee",
   "-static", "NEON (32-bit, VFPv4)", "arm/neon.h", "qemu-arm-static -cpu max", 0, VN_TK_LINUX,
   "Cortex-A7/A15 and later, hard float", "/usr/arm-linux-gnueabihf/lib/libc.a", NULL},
  {"riscv64", "riscv64-linux-gnu", "clang-19 --target=riscv64-linux-gnu", "-march=rv64gcv -fno-vectorize -fno-slp-vectorize", "-static",
   "RVV 1.0 (vector-length agnostic)", "riscv/rvv.h",
   "qemu-riscv64-static -cpu rv64,v=true,vlen=128,elen=64,vext_spec=v1.0", 0, VN_TK_LINUX,
   "RVA22 + V (clang-19: gcc 12 has no RVV intrinsics)", "/usr/riscv64-linux-gnu/lib/libc.a", NULL},
  {"ppc64le", "powerpc64le-linux-gnu", "powerpc64le-linux-gnu-gcc", "-mcpu=power8 -DVN_OWN_SINCOS", "-static", "VSX (POWER8)",
   "ppc/altivec.h", "qemu-ppc64le-static -cpu power8", 0, VN_TK_LINUX, "POWER8 and later",
   "/usr/powerpc64le-linux-gnu/lib/libc.a", NULL},
  {"powerpc", "powerpc-linux-gnu", "powerpc-linux-gnu-gcc", "-mcpu=7400 -maltivec -mabi=altivec -DVN_OWN_SINCOS", "-static",
   "AltiVec (32-bit, big-endian)", "ppc/altivec.h", "qemu-ppc-static -cpu 7400", 1, VN_TK_LINUX,
   "PowerPC G4 (7400) and later", "/usr/powerpc-linux-gnu/lib/libc.a", NULL},
  {"s390x", "s390x-linux-gnu", "s390x-linux-gnu-gcc", "-march=z14 -mzvector", "-static",
   "z/Architecture vector (z14)", "s390x/zvector.h", "qemu-s390x-static -cpu max", 1, VN_TK_LINUX,
   "IBM z14 and later, big-endian", "/usr/s390x-linux-gnu/lib/libc.a", NULL},
  {"mips64el", "mips64el-linux-gnuabi64", "mips64el-linux-gnuabi64-gcc", "-march=mips64r2 -mmsa", "-static",
   "MSA (128-bit)", "mips/msa.h", "qemu-mips64el-static -cpu Loongson-3A4000", 0, VN_TK_LINUX,
   "MIPS64 with MSA (Loongson 3A4000)", "/usr/mips64el-linux-gnuabi64/lib/libc.a", NULL},
  {"mipsel", "mipsel-linux-gnu", "mipsel-linux-gnu-gcc", "", "-static", "portable C", "generic/generic.h",
   "qemu-mipsel-static", 0, VN_TK_LINUX, "32-bit MIPS, no SIMD", "/usr/mipsel-linux-gnu/lib/libc.a", NULL},
  {"sparc64", "sparc64-linux-gnu", "sparc64-linux-gnu-gcc", "", "-static", "portable C (big-endian)",
   "generic/generic.h", "qemu-sparc64-static", 1, VN_TK_LINUX, "SPARC V9, big-endian (VIS: not used)",
   "/usr/sparc64-linux-gnu/lib/libc.a", NULL},
  {"loongarch64", "loongarch64-linux-gnu", "clang-19 --target=loongarch64-linux-gnu", "-mlsx", "-static -fuse-ld=lld",
   "LSX (128-bit)", "loongarch/lsx.h", "", 0, VN_TK_LINUX,
   "build only: needs a loong64 libc (Debian 12 has none); not run here",
   "/usr/loongarch64-linux-gnu/lib/libc.a", NULL},
  {"wasm32", "wasm32-unknown-emscripten", "NODE_PATH=/usr/share/nodejs emcc", "-msimd128",
   "-sNODERAWFS=1 -sSINGLE_FILE=1 -sALLOW_MEMORY_GROWTH=1 -sEXIT_RUNTIME=1 -sENVIRONMENT=node",
   "WebAssembly SIMD128", "wasm/simd128.h", "node", 0, VN_TK_WASM,
   "OUT is a node launcher (emscripten, host files through NODERAWFS)", NULL, NULL},
  {"cortex-m4", "arm-none-eabi", "arm-none-eabi-gcc", "-mthumb -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard -mfp16-format=ieee",
   CM_LD, "DSP (SMLAD) + FPv4-SP", "arm/cortexm.h", "qemu-system-arm -M mps2-an386", 0, VN_TK_BAREMETAL,
   "bare metal, board MPS2 AN386 (4 MB code, 16 MB RAM)", CM_PROBE, "arm/cortexm/mps2-an386.ld"},
  {"cortex-m7", "arm-none-eabi", "arm-none-eabi-gcc", "-mthumb -mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard -mfp16-format=ieee",
   CM_LD, "DSP (SMLAD) + FPv5", "arm/cortexm.h", "qemu-system-arm -M mps2-an500", 0, VN_TK_BAREMETAL,
   "bare metal, board MPS2 AN500 (4 MB code, 16 MB RAM)", CM_PROBE, "arm/cortexm/mps2-an500.ld"},
  {"cortex-m55", "arm-none-eabi", "arm-none-eabi-gcc", "-mthumb -mcpu=cortex-m55 -mfloat-abi=hard -mfp16-format=ieee", CM_LD,
   "Helium (MVE) + FPv5", "arm/mve.h", "qemu-system-arm -M mps3-an547", 0, VN_TK_BAREMETAL,
   "bare metal, board MPS3 AN547 (code in ITCM, weights in QSPI flash, RAM in DDR)", CM_PROBE,
   "arm/cortexm/mps3-an547.ld"},
};
const int vn_ntargets = sizeof vn_targets / sizeof vn_targets[0];

const VnTarget *vn_target_find(const char *name) {
  if (!strcmp(name, "native")) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl"))
      return vn_target_find("x86-64-avx512");
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return vn_target_find("x86-64-avx2");
    return vn_target_find("x86-64");
#else
    return vn_target_find("generic");
#endif
  }
  for (int i = 0; i < vn_ntargets; i++)
    if (!strcmp(vn_targets[i].name, name)) return &vn_targets[i];
  return NULL;
}

/* is the first program word of cmd (after VAR=value words) in PATH? */
static int have_program(const char *cmd) {
  while (*cmd) {
    size_t n = strcspn(cmd, " ");
    if (!memchr(cmd, '=', n)) {
      char c[512];
      snprintf(c, sizeof c, "command -v %.*s >/dev/null 2>&1", (int)n, cmd);
      return system(c) == 0;
    }
    cmd += n;
    while (*cmd == ' ') cmd++;
  }
  return 0;
}

int vn_target_available(const VnTarget *t) {
  if (!have_program(t->cc)) return 0;
  return !t->probe || access(t->probe, R_OK) == 0;
}

int vn_target_runner_available(const VnTarget *t) {
  return !t->runner || !*t->runner || have_program(t->runner);
}

/* What each target's flags let the compiler use, by the names runtime/cpu.c
 * checks at start (x86 cpuid, HWCAP bits elsewhere). x86-64 is
 * -march=x86-64-v2; -march=armv8.2-a brings LSE atomics and RDM besides
 * the named extension; -march=z14 the vector enhancements (vxe). Bare
 * metal and wasm have no run-time check (runtime/cpu.c says why). */
static const struct { const char *target, *features, *cflags; } cpu_table[] = {
  {"x86-64", "sse3 ssse3 sse4_1 sse4_2 popcnt cx16 lahf", ""},
  {"x86-64-avx2", "avx avx2 fma f16c", ""},
  {"x86-64-avx512", "avx avx2 fma f16c avx512f avx512bw avx512vl avx512vnni", ""},
  {"aarch64", "asimd atomics asimdrdm asimddp", ""},
  {"aarch64-sve", "asimd atomics asimdrdm sve", ""},
  {"armv7", "half neon vfpv4 vfpd32", ""},
  {"riscv64", "v", ""},
  {"ppc64le", "altivec vsx arch_2_07", ""},
  {"powerpc", "altivec", ""},
  {"s390x", "vx vxe", ""},
  {"mips64el", "msa", ""},
  {"loongarch64", "lsx", "-mno-lsx"},
};

const char *vn_target_cpu_features(const VnTarget *t) {
  for (size_t i = 0; i < sizeof cpu_table / sizeof cpu_table[0]; i++)
    if (!strcmp(cpu_table[i].target, t->name)) return cpu_table[i].features;
  return "";
}

/* "" is the toolchain's own default: its baseline, the system libc's ABI */
const char *vn_target_cpu_cflags(const VnTarget *t) {
  if (t->kind == VN_TK_BAREMETAL) return t->cflags;  /* the core and float ABI; no check runs there */
  for (size_t i = 0; i < sizeof cpu_table / sizeof cpu_table[0]; i++)
    if (!strcmp(cpu_table[i].target, t->name)) return cpu_table[i].cflags;
  return "";
}

/* The repacked layout of q8_0/q4_0 matmul weights a target's kernels
 * stream (runtime/kernels.c VN_QR, its header's numbers): rows per group,
 * and whether q8_0 values are stored + 128 (VN_QR_Q8U). 0: plain rows. */
int vn_target_qrows(const VnTarget *t, int *q8_unsigned) {
  int u = 0, r = 0;
  if (!strcmp(t->name, "x86-64-avx512")) { r = 16; u = 1; }
  else if (!strcmp(t->name, "x86-64-avx2")) r = 8;
  if (q8_unsigned) *q8_unsigned = u;
  return r;
}

/* The repacked layout of f32/f16 matmul weights (runtime/kernels.c VN_FR):
 * rows per group, a vector's float lanes; 0: plain rows. */
int vn_target_frows(const VnTarget *t) {
  if (!strcmp(t->name, "x86-64-avx512")) return 16;
  return !strcmp(t->name, "x86-64-avx2") ? 8 : 0;
}
