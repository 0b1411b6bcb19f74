#!/usr/bin/env python3
"""The demo model (examples/tiny-kjv) against transformers' reference.json:
greedy ids for its five prompts (up to must_match), the text of the first
prompt's continuation through -p, and the validation perplexity (within 0.2%).
usage: check.py MODEL_BINARY EXAMPLE_DIR"""
import json, subprocess, sys

binary, ex = sys.argv[1], sys.argv[2]
ref = json.load(open(ex + "/reference.json"))
bad = 0


def run(args):
    p = subprocess.run([binary] + args, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise SystemExit("FAIL demo: %s exit %d: %s" % (" ".join(args[:3]), p.returncode, p.stderr.strip()[-300:]))
    return p.stdout


for g in ref["greedy"]:
    out = run(["--ids", ",".join(map(str, g["prompt_ids"])), "-n", str(len(g["greedy_ids"])), "--temp", "0", "--print-ids"])
    got = [int(x) for x in out.split()]
    k = g["must_match"]
    ok = got[:k] == g["greedy_ids"][:k]
    bad += not ok
    print("%s greedy %-28r %d/%d ids must match" % ("PASS" if ok else "FAIL", g["prompt"], k, len(g["greedy_ids"])))
    if not ok:
        print("  got      %s\n  expected %s" % (got[:k], g["greedy_ids"][:k]))

g = ref["greedy"][0]
text = run(["-p", g["prompt"], "-n", str(len(g["greedy_ids"])), "--temp", "0"])
ok = text.rstrip("\n") == g["text"]
bad += not ok
print("%s text   %r" % ("PASS" if ok else "FAIL", text.rstrip("\n")))
if not ok:
    print("  expected %r" % g["text"])

out = run(["--perplexity", ex + "/kjv-val.txt", "--ctx", str(ref["val_window_tokens"]), "--chunks", str(ref["val_windows"])])
ppl = float(out.split("perplexity:")[1].split()[0])
rel = abs(ppl - ref["val_ppl"]) / ref["val_ppl"]
ok = rel <= 0.002
bad += not ok
print("%s perplexity %.4f, reference %.4f (%.4f%% off, bound 0.2%%)" % ("PASS" if ok else "FAIL", ppl, ref["val_ppl"], 100 * rel))
sys.exit(1 if bad else 0)
