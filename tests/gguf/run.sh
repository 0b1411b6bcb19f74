#!/bin/sh
# tests/gguf/run.sh: the demo model as llama.cpp's GGUF files (F16 and nine
# quantizations) compiled by venus (tests/gguf/check.py says what is held).
cd "$(dirname "$0")/../.." || exit 2
[ -x ./venusc ] || { echo "gguf: build ./venusc first (make)"; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 tests/gguf/check.py ./venusc tests/fixtures/gguf examples/tiny-kjv "$work"
# Other architectures: fixtures written as GGUF the way llama.cpp lays them out
# (tests/gguf/hf_to_gguf.py), compiled and held to transformers.
rc=$?
fails=0
for c in hf/llama hf2/llama hf/mistral_swa hf/qwen3 hf/mixtral hf2/mixtral hf2/qwen2_moe hf/qwen3_moe; do
  g="$work/$(echo $c | tr / _).gguf"
  python3 tests/gguf/hf_to_gguf.py tests/fixtures/$c "$g" || { fails=$((fails+1)); continue; }
  python3 tests/parity/check.py ./venusc tests/fixtures/$c "$work/w" --model "$g" || fails=$((fails+1))
done
# The hf/ fixtures as llama.cpp's own converter wrote them (tests/gguf/conv.sh).
sh tests/gguf/conv.sh "$work" || fails=$((fails+1))
sh tests/gguf/meta.sh "$work" || fails=$((fails+1))
# Block formats kept as stored, on other shapes (tests/gguf/kept.sh).
sh tests/gguf/kept.sh "$work" || fails=$((fails+1))
[ $rc -eq 0 ] && [ $fails -eq 0 ]
