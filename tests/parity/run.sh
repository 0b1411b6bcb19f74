#!/bin/sh
# tests/parity/run.sh [CASE_DIR...]: every fixture under tests/fixtures/hf*/
# compiled by ./venusc and held to transformers' outputs (tests/parity/check.py),
# every encoder-decoder case under tests/fixtures/seq2seq/*/ (check_s2s.py) and
# the vision-language cases under tests/fixtures/vlm/ (check_vlm.py).
# Extra check.py options can be given in PARITY_OPTS (e.g. "--dtype f16");
# PARITY_CASES (case directories) stands for the arguments when none are
# given (CI's sanitizer run takes a subset this way).
cd "$(dirname "$0")/../.." || exit 2
[ -x ./venusc ] || { echo "parity: build ./venusc first (make)"; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2086
if [ $# -eq 0 ] && [ -n "${PARITY_CASES:-}" ]; then set -- $PARITY_CASES; fi
if [ $# -eq 0 ]; then set -- tests/fixtures/hf*/*/ tests/fixtures/seq2seq/*/*/ tests/fixtures/vlm/*/*/; fi
jobs=$(nproc 2>/dev/null || echo 2)
for c in "$@"; do [ -f "$c/reference.json" ] && echo "$c"; done |
  xargs -P "$jobs" -I{} sh -c 'case "{}" in */seq2seq/*) k=check_s2s.py;; */vlm/*) k=check_vlm.py;; *) k=check.py;; esac
    python3 tests/parity/$k ./venusc "{}" "$0" $1' "$work" "${PARITY_OPTS:-}" > "$work/results.txt"
sort "$work/results.txt"
pass=$(grep -c '^PASS' "$work/results.txt"); total=$(grep -c . "$work/results.txt")
echo "parity: $pass/$total cases match transformers"
[ "$pass" -eq "$total" ] && [ "$total" -gt 0 ]
