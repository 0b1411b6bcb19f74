/* cpu.c: does this CPU have the features the binary was compiled for?
 * A binary built for an ISA extension the CPU lacks would die of SIGILL on
 * its first vector instruction; this check refuses it first, with one line
 * naming the target and the missing features, and exit status 1.
 *
 * This file alone is compiled without the target's vector flags (the
 * generated Makefile's rule for cpu.o, codegen/build.c), with one
 * -DVN_CPU_<NAME> per feature the target needs (targets/targets.c,
 * vn_target_cpu_features), and the check runs from a constructor: before
 * main, before any code built with the vector flags. How each is found:
 *  - x86: cpuid, and xgetbv for the register state the OS saves (AVX needs
 *    XMM+YMM, AVX-512 also the opmask and ZMM state);
 *  - aarch64, armv7, POWER, s390x, MIPS, LoongArch: the kernel's HWCAP bits
 *    (getauxval AT_HWCAP / AT_HWCAP2);
 *  - RISC-V V: HWCAP bit 'V'; kernels before 6.5 and qemu-user before 8.0.5
 *    do not report it, so without the bit one vsetvli is tried under a
 *    SIGILL handler, and only a trap counts as "no V".
 * "Baseline" is the toolchain's default for the architecture: on ppc64le
 * that is POWER8 with VSX already (Debian's ppc64el baseline), so there the
 * check is compiled with VSX allowed; it has no loop worth vectorizing.
 * No check where none is possible or needed: wasm (an engine without
 * SIMD128 rejects the module when it compiles it, before any code runs),
 * bare metal (the image is linked for one board's core; nothing to ask at
 * run time), and targets with no vector flags (generic, mipsel, sparc64).
 *
 * VN_CPU_HIDE="avx512f,sve" makes the check treat the named features as
 * absent (to see the refusal on a machine that has them); it can only make
 * the binary refuse to run, never run where it would not. */
#define _GNU_SOURCE
#include "runtime.h"
#include <errno.h> /* program_invocation_short_name */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if !defined(VN_BAREMETAL)
#include <unistd.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#elif defined(__linux__) && !defined(VN_BAREMETAL) && !defined(__EMSCRIPTEN__)
#include <sys/auxv.h>
#define VN_CPU_HWCAP 1
#endif
#if defined(__riscv) && defined(VN_CPU_HWCAP)
#include <setjmp.h>
#include <signal.h>
#endif

typedef struct { const char *name; int have; } Need;

static int hidden(const char *name) {
  const char *h = getenv("VN_CPU_HIDE");
  size_t n = strlen(name);
  while (h && *h) {
    size_t k = strcspn(h, ", ");
    if (k == n && !strncmp(h, name, n)) return 1;
    h += k;
    while (*h == ',' || *h == ' ') h++;
  }
  return 0;
}

#if defined(__x86_64__) || defined(__i386__)
typedef struct { unsigned c1, d1, b7, c7, c81; unsigned long long xcr0; } X86;
static void x86_probe(X86 *x) {
  unsigned a, b, c, d;
  memset(x, 0, sizeof *x);
  if (__get_cpuid(1, &a, &b, &c, &d)) { x->c1 = c; x->d1 = d; }
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) { x->b7 = b; x->c7 = c; }
  if (__get_cpuid(0x80000001u, &a, &b, &c, &d)) x->c81 = c;
  if (x->c1 & (1u << 27)) {  /* OSXSAVE: xgetbv may be used */
    unsigned lo, hi;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));  /* xgetbv */
    x->xcr0 = ((unsigned long long)hi << 32) | lo;
  }
}
#define BIT(v, n) (((v) >> (n)) & 1u)
#endif

#if defined(__riscv) && defined(VN_CPU_HWCAP)
static sigjmp_buf rv_jmp;
static void rv_trap(int sig) { (void)sig; siglongjmp(rv_jmp, 1); }
/* can this hart run a V instruction at all? */
__attribute__((unused)) static int rv_try_vector(void) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = rv_trap;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGILL, &sa, &old)) return 0;
  volatile int ok = 0;
  if (!sigsetjmp(rv_jmp, 1)) {
    __asm__ volatile(".4byte 0x0c0072d7" ::: "t0", "memory");  /* vsetvli t0, zero, e8, m1, ta, ma */
    ok = 1;
  }
  sigaction(SIGILL, &old, NULL);
  return ok;
}
#endif

int vn_cpu_check(char *err, size_t cap) {
  Need need[16];
  int n = 0;
  (void)need;
#if defined(__x86_64__) || defined(__i386__)
  X86 x;
  x86_probe(&x);
  int os_avx = (x.xcr0 & 6) == 6, os_avx512 = (x.xcr0 & 0xe6) == 0xe6;
  (void)os_avx; (void)os_avx512;
#ifdef VN_CPU_SSE3
  need[n++] = (Need){"sse3", BIT(x.c1, 0)};
#endif
#ifdef VN_CPU_SSSE3
  need[n++] = (Need){"ssse3", BIT(x.c1, 9)};
#endif
#ifdef VN_CPU_SSE4_1
  need[n++] = (Need){"sse4_1", BIT(x.c1, 19)};
#endif
#ifdef VN_CPU_SSE4_2
  need[n++] = (Need){"sse4_2", BIT(x.c1, 20)};
#endif
#ifdef VN_CPU_POPCNT
  need[n++] = (Need){"popcnt", BIT(x.c1, 23)};
#endif
#ifdef VN_CPU_CX16
  need[n++] = (Need){"cx16", BIT(x.c1, 13)};
#endif
#ifdef VN_CPU_LAHF
  need[n++] = (Need){"lahf", BIT(x.c81, 0)};
#endif
#ifdef VN_CPU_AVX
  need[n++] = (Need){"avx", BIT(x.c1, 28) && os_avx};
#endif
#ifdef VN_CPU_AVX2
  need[n++] = (Need){"avx2", BIT(x.b7, 5) && os_avx};
#endif
#ifdef VN_CPU_FMA
  need[n++] = (Need){"fma", BIT(x.c1, 12) && os_avx};
#endif
#ifdef VN_CPU_F16C
  need[n++] = (Need){"f16c", BIT(x.c1, 29) && os_avx};
#endif
#ifdef VN_CPU_AVX512F
  need[n++] = (Need){"avx512f", BIT(x.b7, 16) && os_avx512};
#endif
#ifdef VN_CPU_AVX512BW
  need[n++] = (Need){"avx512bw", BIT(x.b7, 30) && os_avx512};
#endif
#ifdef VN_CPU_AVX512VL
  need[n++] = (Need){"avx512vl", BIT(x.b7, 31) && os_avx512};
#endif
#ifdef VN_CPU_AVX512VNNI
  need[n++] = (Need){"avx512vnni", BIT(x.c7, 11) && os_avx512};
#endif
#elif defined(VN_CPU_HWCAP)
  unsigned long hw = getauxval(AT_HWCAP), hw2 = 0;
#ifdef AT_HWCAP2
  hw2 = getauxval(AT_HWCAP2);
#endif
  (void)hw; (void)hw2;
#if defined(__aarch64__)
#ifdef VN_CPU_ASIMD
  need[n++] = (Need){"asimd", (hw >> 1) & 1};
#endif
#ifdef VN_CPU_ATOMICS
  need[n++] = (Need){"atomics", (hw >> 8) & 1};  /* LSE: -march=armv8.1-a and later use them */
#endif
#ifdef VN_CPU_ASIMDRDM
  need[n++] = (Need){"asimdrdm", (hw >> 12) & 1};
#endif
#ifdef VN_CPU_ASIMDDP
  need[n++] = (Need){"asimddp", (hw >> 20) & 1};  /* sdot/udot */
#endif
#ifdef VN_CPU_SVE
  need[n++] = (Need){"sve", (hw >> 22) & 1};
#endif
#elif defined(__arm__)
#ifdef VN_CPU_HALF
  need[n++] = (Need){"half", (hw >> 1) & 1};
#endif
#ifdef VN_CPU_NEON
  need[n++] = (Need){"neon", (hw >> 12) & 1};
#endif
#ifdef VN_CPU_VFPV4
  need[n++] = (Need){"vfpv4", (hw >> 16) & 1};
#endif
#ifdef VN_CPU_VFPD32
  need[n++] = (Need){"vfpd32", (hw >> 19) & 1};
#endif
#elif defined(__riscv)
#ifdef VN_CPU_V
  need[n++] = (Need){"v", ((hw >> ('V' - 'A')) & 1) || rv_try_vector()};
#endif
#elif defined(__powerpc__) || defined(__powerpc64__)
#ifdef VN_CPU_ALTIVEC
  need[n++] = (Need){"altivec", (hw & 0x10000000ul) != 0};
#endif
#ifdef VN_CPU_VSX
  need[n++] = (Need){"vsx", (hw & 0x00000080ul) != 0};
#endif
#ifdef VN_CPU_ARCH_2_07
  need[n++] = (Need){"arch_2_07", (hw2 & 0x80000000ul) != 0};  /* POWER8's ISA 2.07 */
#endif
#elif defined(__s390x__)
  /* the vector facility and its z14 enhancements (single-precision vector
   * arithmetic); z14's other new instructions have no HWCAP bit */
#ifdef VN_CPU_VX
  need[n++] = (Need){"vx", (hw >> 11) & 1};
#endif
#ifdef VN_CPU_VXE
  need[n++] = (Need){"vxe", (hw >> 13) & 1};
#endif
#elif defined(__mips__)
#ifdef VN_CPU_MSA
  need[n++] = (Need){"msa", (hw >> 1) & 1};
#endif
#elif defined(__loongarch__)
#ifdef VN_CPU_LSX
  need[n++] = (Need){"lsx", (hw >> 4) & 1};
#endif
#endif
#endif
  char miss[256] = "";
  size_t ml = 0;
  for (int i = 0; i < n; i++) {
    if (need[i].have && !hidden(need[i].name)) continue;
    int w = snprintf(miss + ml, sizeof miss - ml, "%s%s", ml ? ", " : "", need[i].name);
    if (w > 0 && (size_t)w < sizeof miss - ml) ml += (size_t)w;
  }
  if (!ml) return 0;
#ifdef VN_LIB
#define VN_CPU_WHAT "library"
#else
#define VN_CPU_WHAT "binary"
#endif
  snprintf(err, cap, "this " VN_CPU_WHAT " was compiled for target %s, and this CPU lacks %s "
                     "(compile the model for this machine with venusc compile --target native)",
           vn_model.target, miss);
  return -1;
}

#if !defined(VN_BAREMETAL) && !defined(__EMSCRIPTEN__) && !defined(VN_LIB)
/* before main and before any constructor of default priority (a library,
 * VN_LIB, checks in NAME_open instead: it must not end the program) */
__attribute__((constructor(101))) static void cpu_check_at_start(void) {
  char err[512];
  if (!vn_cpu_check(err, sizeof err)) return;
#ifdef __GLIBC__
  const char *prog = program_invocation_short_name;
#else
  const char *prog = "model";
#endif
  fprintf(stderr, "%s: %s\n", prog, err);
  fflush(stderr);
  _exit(1);  /* not exit(): static glibc aborts when exit runs before main */
}
#endif
