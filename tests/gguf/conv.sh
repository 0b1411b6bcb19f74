#!/bin/sh
# tests/gguf/conv.sh WORKDIR: every file in tests/fixtures/gguf-conv (the hf/
# fixtures as llama.cpp's own converter writes them) compiled by venus and held
# to transformers by the rule tests/fixtures/gguf-conv/CASES names for it.
cd "$(dirname "$0")/../.." || exit 2
work=$1; fx=tests/fixtures
fails=0; n=0
while read -r file case rule <&3; do
  case $file in ''|'#'*) continue ;; esac
  n=$((n+1))
  g=$fx/gguf-conv/$file; ref=$fx/hf/$case
  case $rule in
  logits) python3 tests/parity/check.py ./venusc "$ref" "$work/conv" --model "$g" || fails=$((fails+1)) ;;
  hidden) python3 tests/gguf/hidden.py ./venusc "$g" "$ref" "$work/conv" || fails=$((fails+1)) ;;
  rope_freqs)
    out=$work/conv/$case
    mkdir -p "$work/conv"
    if ./venusc compile "$g" -o "$out" >/dev/null 2>&1 && "$out" --ids 1,2,3 -n 2 --temp 0 --print-ids >/dev/null 2>&1; then
      echo "PASS $file: compiles and runs (its own rope_freqs)"
    else echo "FAIL $file: does not compile or run"; fails=$((fails+1)); fi
    python3 tests/gguf/llama3_factors.py "$g" "$ref/config.json" "$work/conv/$case-factors.gguf" &&
      python3 tests/parity/check.py ./venusc "$ref" "$work/conv" --model "$work/conv/$case-factors.gguf" || fails=$((fails+1)) ;;
  compiles)
    out=$work/conv/$case
    mkdir -p "$work/conv"
    if ./venusc compile "$g" -o "$out" >/dev/null 2>&1 && "$out" --ids 1,2,3 -n 2 --temp 0 --print-ids >/dev/null 2>&1; then
      echo "PASS $file: compiles and runs (not held to the reference: see CASES)"
    else echo "FAIL $file: does not compile or run"; fails=$((fails+1)); fi ;;
  *) echo "FAIL $file: unknown rule '$rule'"; fails=$((fails+1)) ;;
  esac
done 3< $fx/gguf-conv/CASES
echo "gguf-conv: $((n-fails))/$n files hold"
[ $fails -eq 0 ]
