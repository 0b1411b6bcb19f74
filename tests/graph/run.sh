#!/bin/sh
# tests/graph/run.sh [--update]: golden graph dumps. Each tests/graph/*.lua is
# a spec whose header names a model and a pass:
#   -- model: tests/fixtures/hf/llama
#   -- dump: fuse
# and whose trailing comment block, after "-- expect:", is the exact
# `venusc compile MODEL --spec FILE -d PASS` output. --update rewrites it.
cd "$(dirname "$0")/../.." || exit 2
[ -x ./venusc ] || { echo "graph: build ./venusc first (make)"; exit 2; }
pass=0; fail=0
for f in tests/graph/*.lua; do
  model=$(sed -n 's/^-- model: //p' "$f" | head -1)
  pass_name=$(sed -n 's/^-- dump: //p' "$f" | head -1)
  got=$(./venusc compile "$model" --spec "$f" -d "$pass_name" 2>&1)
  want=$(sed -n '/^-- expect:$/,$p' "$f" | sed '1d; s/^-- //')
  if [ "${1:-}" = "--update" ]; then
    sed -i '/^-- expect:$/,$d' "$f"
    { echo "-- expect:"; echo "$got" | sed 's/^/-- /'; } >> "$f"
    echo "updated $f"; continue
  fi
  if [ "$got" = "$want" ]; then pass=$((pass+1)); echo "ok    $f (-d $pass_name)"
  else
    fail=$((fail+1)); echo "FAIL  $f (-d $pass_name):"
    printf '%s\n' "$want" > /tmp/vn_graph_want.$$; printf '%s\n' "$got" > /tmp/vn_graph_got.$$
    diff /tmp/vn_graph_want.$$ /tmp/vn_graph_got.$$ | head -20; rm -f /tmp/vn_graph_want.$$ /tmp/vn_graph_got.$$
  fi
done
# one Lua state per compile: libs and spec headers load once, the GGUF
# mapping, the build and the chat-format match share it (-v counts them)
for m in tests/fixtures/hf/llama tests/fixtures/gguf/tiny-kjv-q8_0.gguf "tests/fixtures/hf/llama --spec archspecs/llama.lua"; do
  n=$(./venusc compile $m -d build -v 2>&1 >/dev/null | sed -n 's/^venusc: Lua states opened: //p')
  if [ "$n" = 1 ]; then pass=$((pass+1)); echo "ok    one Lua state: $m"
  else fail=$((fail+1)); echo "FAIL  $m: ${n:-no} Lua states reported, want 1"; fi
done
# the sandbox's string and table functions return what Lua's return
sb=$(mktemp -d)
if cc -O1 -std=c11 -D_GNU_SOURCE -I. -Igraph -Iops -Ifrontend -Itok $(pkg-config --cflags lua5.4 jansson) \
     -o "$sb/strlib" tests/graph/sandbox/strlib.c $(pkg-config --libs lua5.4) -lm && "$sb/strlib" tests/graph/sandbox/strlib.lua; then
  pass=$((pass+1)); echo "ok    tests/graph/sandbox/strlib.lua"
else fail=$((fail+1)); echo "FAIL  tests/graph/sandbox/strlib.lua"; fi
rm -rf "$sb"
echo "graph: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
