/* targets.c: the target table. "native" is not an entry: it resolves to the
 * best x86-64 level the host CPU has (or "generic" elsewhere). */
#include "target.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const VnTarget vn_targets[] = {
  {"generic", "host", "cc", "", "", "portable C99", "generic/generic.h", "", 0, VN_TK_LINUX,
   "any C99 compiler; scalar loops the compiler may vectorize"},
  {"x86-64", "x86_64-linux-gnu", "cc", "-march=x86-64-v2", "", "SSE4.2", "generic/generic.h", "", 0, VN_TK_LINUX,
   "baseline x86-64"},
  {"x86-64-avx2", "x86_64-linux-gnu", "cc", "-mavx2 -mfma -mf16c", "", "AVX2 + FMA + F16C", "x86/avx2.h", "", 0,
   VN_TK_LINUX, "Haswell and later"},
  {"x86-64-avx512", "x86_64-linux-gnu", "cc", "-mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512vnni", "",
   "AVX-512 + VNNI", "x86/avx2.h", "", 0, VN_TK_LINUX, "Ice Lake, Zen 4 and later"},
};
const int vn_ntargets = sizeof vn_targets / sizeof vn_targets[0];

const VnTarget *vn_target_find(const char *name) {
  if (!strcmp(name, "native")) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw"))
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

int vn_target_available(const VnTarget *t) {
  char cmd[512];
  const char *cc = t->cc;
  size_t n = strcspn(cc, " ");
  snprintf(cmd, sizeof cmd, "command -v %.*s >/dev/null 2>&1", (int)n, cc);
  return system(cmd) == 0;
}
