"""embed_check.py HIDDEN.f32 LAYERS T H OUT: the library's embeddings
(embed.c's OUT.*.f32) against transformers' hidden states (hidden.f32:
[layers][T][H] float32, the last entry the final hidden states): every row,
the mean, the first row and the unit-length mean, each within 1e-3 of the
reference's largest magnitude (relative)."""
import math, struct, sys

hid, L, T, H, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]

def f32(path):
    b = open(path, "rb").read()
    return list(struct.unpack("<%df" % (len(b) // 4), b))

ref = f32(hid)
assert len(ref) == L * T * H, "hidden.f32 has %d floats, not %d" % (len(ref), L * T * H)
last = ref[(L - 1) * T * H:]
rows = [last[t * H:(t + 1) * H] for t in range(T)]
mean = [sum(r[j] for r in rows) / T for j in range(H)]
nm = math.sqrt(sum(v * v for v in mean))
want = {"rows": last, "mean": mean, "cls": rows[0], "norm": [v / nm for v in mean]}
bad = 0
for k, w in want.items():
    got = f32("%s.%s.f32" % (out, k))
    if len(got) != len(w):
        print("FAIL  embeddings %s: %d floats, want %d" % (k, len(got), len(w)))
        bad = 1
        continue
    scale = max(abs(v) for v in w) or 1.0
    d = max(abs(a - b) for a, b in zip(got, w)) / scale
    ok = d <= 1e-3
    bad |= not ok
    print("%s  embeddings %s: max relative difference %.2g" % ("ok   " if ok else "FAIL ", k, d))
sys.exit(bad)
