#!/bin/sh
# tests/ops/run.sh [harness options]: build the libffi kernel harness and run
# it: every op's emitted kernel on every host-runnable target against its
# scalar reference (ops/<group>.c). Options go to the harness:
#   --target NAME  --op NAME  --case N  --seed N  -j JOBS  --keep  -v
# It builds venusc's objects with the top-level Makefile (not the venusc
# link), archives them, and links the harness against that archive so only
# the objects it uses are pulled in.
cd "$(dirname "$0")/../.." || exit 2
CC=${CC:-cc}
objs=""
for f in graph/*.c ops/*.c frontend/*.c tok/*.c codegen/*.c targets/*.c runtime/tokenizer.c runtime/wfile.c; do
  [ -e "$f" ] || continue
  [ "$f" = codegen/venusc.c ] && continue
  objs="$objs build/${f%.c}.o"
done
objs="$objs build/embedded.o"
# shellcheck disable=SC2086
make -s $objs || { echo "ops: building venusc's objects failed"; exit 2; }
B=build/tests/ops
mkdir -p $B/rt
# The runtime's kernels, portable build (targets/generic), linked into the
# harness only so that an op row without its kernel vn_k_<name> stops the
# link; the kernels under test are the ones in each target's shared object.
cmp -s targets/generic/generic.h $B/rt/vn_target.h || cp targets/generic/generic.h $B/rt/vn_target.h || exit 2
for f in kernels threads; do
  if [ ! -e $B/rt/$f.o ] || [ -n "$(find runtime/$f.c runtime/runtime.h runtime/half.h runtime/kquants.h $B/rt/vn_target.h -newer $B/rt/$f.o 2>/dev/null)" ]; then
    $CC -O2 -std=gnu11 -fno-strict-aliasing -DVN_NO_THREADS -I$B/rt -Iruntime -c -o $B/rt/$f.o runtime/$f.c ||
      { echo "ops: building the runtime's kernels failed"; exit 2; }
  fi
done
# shellcheck disable=SC2086
if [ ! -e $B/libvenus.a ] || [ -n "$(find $objs -newer $B/libvenus.a)" ]; then
  rm -f $B/libvenus.a
  ar rcs $B/libvenus.a $objs || exit 2
fi
if [ ! -e $B/harness ] || [ -n "$(find tests/ops/harness.c $B/libvenus.a $B/rt/kernels.o $B/rt/threads.o graph/graph.h graph/spec.h ops \
     frontend/frontend.h tok/tok.h codegen/codegen.h runtime/runtime.h runtime/tokenizer.h targets/target.h -newer $B/harness)" ]; then
  pkgs="libffi"
  for p in lua5.4 jansson libutf8proc; do pkg-config --exists "$p" && pkgs="$pkgs $p"; done
  # shellcheck disable=SC2046,SC2086
  $CC -O2 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
    -I. -Igraph -Iops -Ifrontend -Itok -Icodegen -Iruntime -Itargets $(pkg-config --cflags $pkgs) \
    -o $B/harness tests/ops/harness.c $B/libvenus.a $B/rt/kernels.o $B/rt/threads.o \
    $(pkg-config --libs $pkgs) -ldl -lm || { echo "ops: building the harness failed"; exit 2; }
fi
exec $B/harness "$@"
