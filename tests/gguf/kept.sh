#!/bin/sh
# tests/gguf/kept.sh WORK: block formats kept as stored on fixtures of other
# shapes (a dense and a mixture-of-experts model written as GGUF, their
# matrices re-encoded as Q5_0 and Q4_1 by tests/gguf/requant.py): compile -v
# lists the type as kept, with no conversion warning, and the logits equal
# those of the same file compiled with --dtype f32 (its blocks dequantized,
# the reference) to within 3% of the largest logit (the kept kernels
# quantize activations to q8_0 blocks; measured about 1%).
work=$1
fails=0
ids=1,5,9,13,17,21,25,29
for cq in hf/llama:q5_0 hf/mixtral:q4_1; do
  c=${cq%:*} q=${cq#*:}
  {
    n=$(echo $c | tr / _)_$q
    python3 tests/gguf/hf_to_gguf.py tests/fixtures/$c "$work/$n.f32.gguf" &&
      python3 tests/gguf/requant.py "$work/$n.f32.gguf" "$work/$n.gguf" 'blk\.' $q || { fails=$((fails+1)); continue; }
    ./venusc compile -v "$work/$n.gguf" -o "$work/$n" 2> "$work/$n.err" &&
      ./venusc compile "$work/$n.gguf" -o "$work/$n.ref" --dtype f32 2> /dev/null &&
      "$work/$n" --ids $ids --logits "$work/$n.bin" && "$work/$n.ref" --ids $ids --logits "$work/$n.ref.bin" ||
      { echo "FAIL kept $n: compile or run failed: $(tail -1 "$work/$n.err")"; fails=$((fails+1)); continue; }
    if grep -q "warning:" "$work/$n.err" || ! grep -q "kept as stored:.* $q [0-9]" "$work/$n.err"; then
      echo "FAIL kept $n: compile -v does not list $q as kept, or warns: $(grep -E 'kept|warning' "$work/$n.err")"
      fails=$((fails+1)); continue
    fi
    python3 - "$work/$n.bin" "$work/$n.ref.bin" "$n" <<'PY' || fails=$((fails+1))
import struct, sys
a, b = (open(f, "rb").read() for f in sys.argv[1:3])
x, y = (struct.unpack("<%df" % (len(v) // 4), v) for v in (a, b))
scale = max(abs(v) for v in y)
err = max(abs(p - q) for p, q in zip(x, y)) if len(x) == len(y) else float("inf")
ok = err <= 0.03 * scale
print("%s kept %s: max logit error %.4f of scale %.3f (%.2f%%, limit 3%%)" % ("PASS" if ok else "FAIL", sys.argv[3], err, scale, 100 * err / scale))
sys.exit(0 if ok else 1)
PY
  }
done
[ $fails -eq 0 ]
