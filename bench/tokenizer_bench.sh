#!/bin/sh
# bench/tokenizer_bench.sh [VENUSC]: tokenizer speed, best of 5 runs, on
#   kjv   1 MiB of English prose (tests/fixtures/tokenizers/tiny-kjv/kjv-val.txt repeated)
#   mixed 1 MiB of the reference fixtures' texts repeated (code, CJK, emoji, accents...)
# for tiny-kjv and every tokenizer cached in .cache/tokenizers/ (tests/tokenizer/run.sh
# fetches them). Times are the CPU time of vn_tok_encode alone (venusc tokenize --time
# prints wall and CPU time per file), not compiling the tokenizer.json; CPU time stays
# meaningful on a busy machine, where wall time does not.
cd "$(dirname "$0")/.." || exit 2
VENUSC=${1:-./venusc}
[ -x "$VENUSC" ] || { echo "bench: build ./venusc first (make venusc)"; exit 2; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp" <<'PY' || exit 1
import json, sys, glob
out = sys.argv[1]
kjv = open("tests/fixtures/tokenizers/tiny-kjv/kjv-val.txt", "rb").read()
open(out + "/kjv.txt", "wb").write((kjv * 8)[:1 << 20])
texts = []
for f in sorted(glob.glob("tests/fixtures/tokenizers/*.json")):
    texts += [c["text"] for c in json.load(open(f, encoding="utf-8"))["cases"]]
mixed = "\n".join(texts).encode()
open(out + "/mixed.txt", "wb").write((mixed * (1 + (1 << 20) // len(mixed)))[:1 << 20])
PY
printf '%-10s %-6s %10s %10s %12s\n' tokenizer text cpu-s MB/s tokens/s
for dir in tests/fixtures/tokenizers/tiny-kjv .cache/tokenizers/*/; do
  [ -f "$dir/tokenizer.json" ] || continue
  name=$(basename "$dir")
  for run in 1 2 3 4 5; do
    "$VENUSC" tokenize "$dir" --count --time --file "$tmp/kjv.txt" --file "$tmp/mixed.txt" 2>&1 >/dev/null
  done | awk -v name="$name" '
    /^tokenize: / { f = $2; sub(/.*\//, "", f); sub(/\.txt:$/, "", f); split($0, a, ", ");
                    s = a[6]; sub(/^cpu /, "", s); s = s + 0; ids = a[2] + 0;
                    if (!(f in best) || s < best[f]) { best[f] = s; tok[f] = ids } }
    END { for (f in best) printf "%-10s %-6s %10.3f %10.2f %12.0f\n", name, f, best[f],
                                 1048576 / best[f] / 1e6, tok[f] / best[f] }' | sort
done
