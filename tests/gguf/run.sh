#!/bin/sh
# tests/gguf/run.sh: the demo model as llama.cpp's GGUF files (F16 and nine
# quantizations) compiled by venus (tests/gguf/check.py says what is held).
cd "$(dirname "$0")/../.." || exit 2
[ -x ./venusc ] || { echo "gguf: build ./venusc first (make)"; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 tests/gguf/check.py ./venusc tests/fixtures/gguf examples/tiny-kjv "$work"
