#!/usr/bin/env python3
"""Hold a model binary's sentence embedding (OUT --embed) to the pooled
last hidden state of transformers' reference: the mean over positions (or
the first row: cls, the last: last) of hidden.f32's last entry, L2-normalized
with --normalize; max |got - ref| <= 1e-3 x max |ref|.

usage: embed_check.py CASE_DIR FILE json|f32 mean|cls|last 0|1
CASE_DIR holds reference.json (hidden_shape [n, T, hidden]) and hidden.f32
(float32 LE [n][T][hidden]). FILE holds what OUT --embed wrote for the
case's input_ids. Prints one line, PASS or FAIL; exit 0 on PASS."""
import array, json, math, os, sys


def main():
    case, path, fmt, pooling, norm = sys.argv[1:6]
    ref = json.load(open(os.path.join(case, "reference.json")))
    n, T, H = ref["hidden_shape"]
    allh = array.array("f")
    allh.frombytes(open(os.path.join(case, "hidden.f32"), "rb").read())
    if sys.byteorder != "little":
        allh.byteswap()
    last = allh[(n - 1) * T * H:]
    rows = [last[t * H:(t + 1) * H] for t in range(T)]
    if pooling == "cls":
        exp = list(rows[0])
    elif pooling == "last":
        exp = list(rows[-1])
    else:
        exp = [sum(r[c] for r in rows) / T for c in range(H)]
    if norm == "1":
        s = max(math.sqrt(sum(x * x for x in exp)), 1e-12)
        exp = [x / s for x in exp]
    data = open(path, "rb").read()
    if fmt == "f32":
        got = array.array("f")
        got.frombytes(data)
        if sys.byteorder != "little":
            got.byteswap()
        got = list(got)
    else:
        lines = data.decode().splitlines()
        if len(lines) != 1:
            print("FAIL %s: %d JSON lines, not 1" % (path, len(lines))); return 1
        got = json.loads(lines[0])
    if len(got) != H:
        print("FAIL %s: %d values, the hidden size is %d" % (path, len(got), H)); return 1
    err = max(abs(x - y) for x, y in zip(got, exp)) / max(abs(x) for x in exp)
    if not err <= 1e-3:
        print("FAIL %s: %s%s embedding max rel err %.3g > 0.001" % (path, pooling, " normalized" if norm == "1" else "", err)); return 1
    print("PASS %s: %s%s embedding err %.2g" % (path, pooling, " normalized" if norm == "1" else "", err))
    return 0


if __name__ == "__main__":
    sys.exit(main())
