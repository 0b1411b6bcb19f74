#!/bin/sh
# bench/tiny.sh: speed of the demo model (run by bench/run.sh after the
# real-size tables), compiled for the native target with
# each weight type: prefill and decode tokens/s (from --stats) and the
# perplexity throughput, plus venusc's own compile time. Numbers vary with
# the machine and its load; tests never time anything.
cd "$(dirname "$0")/.." || exit 2
[ -x ./venusc ] || { echo "bench: build ./venusc first (make)"; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
M=examples/tiny-kjv
THREADS=${THREADS:-$(nproc)}
printf 'model: %s   threads: %s   cpu: %s\n\n' "$M" "$THREADS" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf '%-8s %10s %12s %12s %12s %12s\n' dtype compile_s prefill_t/s decode_t/s ppl_t/s perplexity
for d in f32 f16 bf16 q8_0 q4_0; do
  t0=$(date +%s.%N)
  ./venusc compile $M -o "$work/m_$d" --dtype $d || exit 1
  t1=$(date +%s.%N)
  # prefill: a 256-token prompt; decode: 128 new tokens
  ids=$(python3 -c "import json; r=json.load(open('$M/reference.json')); print(','.join(map(str, r['val_first_ids'][:256])))")
  "$work/m_$d" --ids "$ids" -n 128 --temp 0 --print-ids --stats -t "$THREADS" 2>"$work/st" >/dev/null
  pf=$(sed -n 's/^prefill:.* \([0-9.]*\) tokens\/s/\1/p' "$work/st")
  dc=$(sed -n 's/^decode:.* \([0-9.]*\) tokens\/s/\1/p' "$work/st")
  "$work/m_$d" --perplexity $M/kjv-val.txt --ctx 256 --chunks 16 --stats -t "$THREADS" 2>"$work/pp" >"$work/ppo"
  pt=$(sed -n 's/.* \([0-9.]*\) tokens\/s/\1/p' "$work/pp")
  pv=$(sed -n 's/^perplexity: //p' "$work/ppo")
  printf '%-8s %10.2f %12s %12s %12s %12s\n' $d "$(echo "$t1 - $t0" | bc)" "$pf" "$dc" "$pt" "$pv"
done
if [ -x bench/tokenizer_bench.sh ]; then echo; bench/tokenizer_bench.sh; fi
