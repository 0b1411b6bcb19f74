#!/bin/sh
# tests/ops/run.sh [harness options]: build the libffi kernel harness and run
# it: every op's emitted kernel on every host-runnable target against its
# scalar reference (ops/ref). Options go to the harness:
#   --target NAME  --op NAME  --case N  --seed N  -j JOBS  --keep  -v
# It builds venusc's objects with the top-level Makefile (not the venusc
# link), archives them, and links the harness against that archive so only
# the objects it uses are pulled in.
cd "$(dirname "$0")/../.." || exit 2
CC=${CC:-cc}
objs=""
for f in graph/*.c ops/*.c ops/ref/*.c frontend/*.c tok/*.c codegen/*.c targets/*.c runtime/tokenizer.c runtime/wfile.c; do
  [ -e "$f" ] || continue
  [ "$f" = codegen/venusc.c ] && continue
  objs="$objs build/${f%.c}.o"
done
objs="$objs build/embedded.o"
# shellcheck disable=SC2086
make -s $objs || { echo "ops: building venusc's objects failed"; exit 2; }
B=build/tests/ops
mkdir -p $B
# shellcheck disable=SC2086
if [ ! -e $B/libvenus.a ] || [ -n "$(find $objs -newer $B/libvenus.a)" ]; then
  rm -f $B/libvenus.a
  ar rcs $B/libvenus.a $objs || exit 2
fi
if [ ! -e $B/harness ] || [ -n "$(find tests/ops/harness.c $B/libvenus.a graph/graph.h graph/spec.h ops frontend/frontend.h tok/tok.h codegen/codegen.h \
     runtime/runtime.h runtime/tokenizer.h targets/target.h -newer $B/harness)" ]; then
  pkgs="libffi"
  for p in lua5.4 jansson libutf8proc; do pkg-config --exists "$p" && pkgs="$pkgs $p"; done
  # shellcheck disable=SC2046,SC2086
  $CC -O2 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
    -I. -Igraph -Iops -Ifrontend -Itok -Icodegen -Iruntime -Itargets $(pkg-config --cflags $pkgs) \
    -o $B/harness tests/ops/harness.c $B/libvenus.a \
    $(pkg-config --libs $pkgs) -ldl -lm || { echo "ops: building the harness failed"; exit 2; }
fi
exec $B/harness "$@"
