#!/bin/sh
# tests/demo/run.sh: compile the demo model and hold it to transformers.
cd "$(dirname "$0")/../.." || exit 2
[ -x ./venusc ] || { echo "demo: build ./venusc first (make)"; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
./venusc compile examples/tiny-kjv -o "$work/tiny-kjv" || exit 1
python3 tests/demo/check.py "$work/tiny-kjv" examples/tiny-kjv ./venusc "$work"
