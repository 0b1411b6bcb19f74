#!/usr/bin/env python3
"""Hold an embedding model's output (a checkpoint without an LM head, whose
binary outputs its final hidden states [T][hidden] where a language model
writes logits) to transformers' last hidden state, by the one rule of
tests/parity: max |out - ref| <= 1e-3 x max(1, max |ref|).

usage: hidden.py VENUSC MODEL CASE_DIR WORKDIR
CASE_DIR holds reference.json (input_ids, hidden_shape [n, T, hidden]) and
hidden.f32 (float32 LE [n][T][hidden]); the last entry is compared.
Prints one line, PASS or FAIL; exit 0 on PASS."""
import array, json, os, subprocess, sys


def main():
    venusc, model, case, work = sys.argv[1:5]
    name = os.path.basename(os.path.normpath(case)) + "@" + os.path.basename(model)
    ref = json.load(open(os.path.join(case, "reference.json")))
    n, T, H = ref["hidden_shape"]
    os.makedirs(work, exist_ok=True)
    out = os.path.join(work, os.path.basename(model) + ".bin")
    p = subprocess.run([os.path.abspath(venusc), "compile", model, "-o", out], capture_output=True, text=True)
    if p.returncode:
        print("FAIL %s: compile rc=%d: %s" % (name, p.returncode, (p.stderr or p.stdout).strip()[-200:])); return 1
    lf = out + ".out"
    ids = ",".join(map(str, ref["input_ids"]))
    p = subprocess.run([out, "--ids", ids, "--logits", lf], capture_output=True, text=True)
    if p.returncode or not os.path.exists(lf):
        print("FAIL %s: run rc=%d: %s" % (name, p.returncode, p.stderr.strip()[-200:])); return 1
    got = array.array("f"); got.frombytes(open(lf, "rb").read())
    allh = array.array("f"); allh.frombytes(open(os.path.join(case, "hidden.f32"), "rb").read())
    if sys.byteorder != "little":
        got.byteswap(); allh.byteswap()
    exp = allh[(n - 1) * T * H:]
    if len(got) != len(exp):
        print("FAIL %s: output has %d values, the last hidden state %d ([%d][%d])" % (name, len(got), len(exp), T, H)); return 1
    scale = max(1.0, max(abs(x) for x in exp))
    err = max(abs(x - y) for x, y in zip(got, exp)) / scale
    if any(x != x or x in (float("inf"), float("-inf")) for x in got):
        err = float("inf")
    if not err <= 1e-3:
        print("FAIL %s: hidden max rel err %.3g > 0.001" % (name, err)); return 1
    print("PASS %s: last hidden state err %.2g" % (name, err))
    return 0


if __name__ == "__main__":
    sys.exit(main())
