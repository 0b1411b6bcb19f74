#!/bin/sh
# tests/run.sh AREA|all: run one test area (tests/<area>/run.sh) or all of them.
# Each area script exits non-zero on failure; this prints each area's wall
# time (what it adds to CI) and a summary line.
cd "$(dirname "$0")/.." || exit 2
AREAS="lint ops graph errors tokenizer parity demo gguf cli server lib image targets"
[ $# -ge 1 ] || { echo "usage: tests/run.sh AREA|all   (areas: $AREAS)"; exit 2; }
[ "$1" = all ] && set -- $AREAS
fail=""
for a in "$@"; do
  [ -x "tests/$a/run.sh" ] || { echo "== $a: no tests/$a/run.sh"; fail="$fail $a"; continue; }
  echo "== $a"
  t0=$(date +%s)
  if ! "tests/$a/run.sh"; then fail="$fail $a"; fi
  echo "== $a: $(( $(date +%s) - t0 )) s"
done
if [ -n "$fail" ]; then echo "tests: FAILED:$fail"; exit 1; fi
echo "tests: all passed ($*)"
