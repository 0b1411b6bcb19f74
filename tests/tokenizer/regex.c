/* regex.c: the split-regex matcher (tok/regex.c compiles, runtime/tokenizer.c
 * runs) on cases whose answers an independent engine gave. Built by check.py
 * with runtime/tokenizer.c included (its matcher is static) and run as
 *   regex CASES.json
 * where each case is {"re", "text", "spans": [[start, end]...]} (byte
 * offsets of the successive non-empty leftmost-first matches) or {"re",
 * "error": "part of the message"}. Prints one line, exits 1 on a mismatch. */
#include "../../runtime/tokenizer.c"
#include "tok.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

/* A blob that holds only what the matcher reads: the class table. */
static VnTok *class_tok(void) {
  static VnTok t;
  static unsigned char *blob;
  VnTokDesc d;
  VnCtx ctx = {0};
  VnTokcStr v[1] = {{"a", 1}};
  size_t len;
  memset(&d, 0, sizeof d);
  d.file = "synthetic";
  d.n_vocab = 1;
  d.vocab = v;
  d.unk_id = d.bos_id = d.eos_id = -1;
  if (vn_tokc_compile_desc(&ctx, &d, &blob, &len) != VN_OK || vn_tok_load(&t, blob, len)) {
    printf("FAIL: %s\n", ctx.msg);
    exit(1);
  }
  return &t;
}

int main(int argc, char **argv) {
  json_error_t je;
  json_t *root = argc > 1 ? json_load_file(argv[1], 0, &je) : NULL, *c;
  VnTok *t = class_tok();
  size_t i, nspans = 0, ok = 0, nerr = 0;
  if (!json_is_array(root)) { printf("FAIL: cannot read %s\n", argc > 1 ? argv[1] : "(no file)"); return 1; }
  json_array_foreach(root, i, c) {
    const char *re = json_string_value(json_object_get(c, "re"));
    json_t *want = json_object_get(c, "spans"), *err = json_object_get(c, "error");
    VnCtx ctx = {0};
    VnTokcStr prog;
    if (!re) continue;
    if (vn_tokc_regex(&ctx, "case.json", re, strlen(re), &prog) != VN_OK) {
      if (err && strstr(ctx.msg, json_string_value(err))) { nerr++; continue; }
      printf("FAIL: case %zu /%s/: %s\n", i, re, ctx.msg);
      return 1;
    }
    if (err) { printf("FAIL: case %zu /%s/ compiled, want an error with '%s'\n", i, re, json_string_value(err)); return 1; }
    {
      const uc *s = (const uc *)json_string_value(json_object_get(c, "text"));
      size_t n = json_string_length(json_object_get(c, "text")), p = 0, ms, me, k = 0, np = rd32((const uc *)prog.s);
      size_t bytes = vm_bytes((uint32_t)np);
      unsigned char *w = malloc(bytes);
      Vm vm;
      vm.np = (uint32_t)np;
      vm.code = (const uc *)prog.s + 4;
      vm.data = vm.code + 12 * np;
      vm.mark = (uint32_t *)w;
      vm.cl = vm.mark + np;
      vm.nl = vm.cl + 2 * np;
      vm.stk = vm.nl + 2 * np;
      vm.gen = 0;
      memset(vm.mark, 0, 4 * np);
      if (!prog_ok((const uc *)prog.s, prog.len)) { printf("FAIL: case %zu /%s/: program refused by the loader\n", i, re); return 1; }
      while (p <= n && vm_find(t, &vm, s, n, p, &ms, &me)) {
        json_t *sp;
        if (me == ms) {                   /* empty: not reported, search again one character on */
          uint32_t cp;
          if (ms >= n) break;
          p = ms + u8get(s, n, ms, &cp);
          continue;
        }
        sp = json_array_get(want, k++);
        if (!sp || (size_t)json_integer_value(json_array_get(sp, 0)) != ms ||
            (size_t)json_integer_value(json_array_get(sp, 1)) != me) {
          printf("FAIL: case %zu /%s/ on %s: match %zu is [%zu, %zu), want %s\n", i, re, (const char *)s, k - 1, ms,
                 me, sp ? json_dumps(sp, JSON_COMPACT) : "none");
          return 1;
        }
        p = me;
      }
      if (k != json_array_size(want)) {
        printf("FAIL: case %zu /%s/ on %s: %zu matches, want %zu\n", i, re, (const char *)s, k, json_array_size(want));
        return 1;
      }
      nspans += k;
      ok++;
      free(w);
      free((void *)prog.s);
    }
  }
  printf("ok: %zu regex cases (%zu matches) as the reference engine, %zu refused with the right message\n", ok,
         nspans, nerr);
  return 0;
}
