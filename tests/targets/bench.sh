#!/bin/sh
# tests/targets/bench.sh [TARGET...]: emulated speed of every installed
# cross target (not part of `make test`: timings under emulation say how
# fast QEMU is on this machine, not how fast the target is). Compiles the
# demo model (examples/tiny-kjv, 3.1M parameters) with --dtype q8_0 (it
# must fit the 4 MB flash of the Cortex-M boards), generates 32 tokens
# greedily from "In the beginning" with --stats under the target's runner,
# and prints prefill/decode tokens/s and the binary's size (bare metal: the
# flash and RAM venusc reports). Correctness is the targets area's job:
# with q8_0 weights the greedy text may legitimately differ between targets
# at a near tie (activations are rounded to int8, so float summation order
# can flip a rounding).
cd "$(dirname "$0")/../.." || exit 2
[ -x ./venusc ] || { echo "bench: build ./venusc first (make)"; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
./venusc targets --tsv | tail -n +2 | tr '\t' '|' > "$work/table"
[ $# -eq 0 ] && set -- $(cut -d'|' -f1 "$work/table")
P="In the beginning"
printf '%-14s %12s %12s %12s\n' target prefill/s decode/s "size (B)"
for t in "$@"; do
  IFS='|' read -r name kind triple be inst rinst cc cflags ldflags header board runner <<EOF2
$(grep "^$t|" "$work/table")
EOF2
  [ "$inst" = 1 ] && [ "$rinst" = 1 ] && [ -n "$runner" ] || continue
  case $kind in bare) run="tests/targets/semihost.sh ${runner##* -M }" ;; wasm) run="" ;; *) run=$runner ;; esac
  ./venusc compile examples/tiny-kjv -o "$work/$name" --dtype q8_0 --target "$name" > "$work/$name.cc" 2>&1 || { echo "$name: compile failed: $(tail -1 "$work/$name.cc")"; continue; }
  $run "$work/$name" -p "$P" -n 32 --temp 0 --stats > "$work/$name.out" 2> "$work/$name.err"
  s=$(tr '\n' ' ' < "$work/$name.err")
  pre=$(echo "$s" | sed -n 's/.*prefill: [0-9]* tokens in [0-9.]* s, \([0-9.]*\) tokens\/s.*/\1/p')
  dec=$(echo "$s" | sed -n 's/.*decode: *[0-9]* tokens in [0-9.]* s, \([0-9.]*\) tokens\/s.*/\1/p')
  printf '%-14s %12s %12s %12s\n' "$name" "${pre:-?}" "${dec:-?}" "$(wc -c < "$work/$name")"
  [ "$kind" = bare ] && sed "s/^/    /" "$work/$name.cc"
done
