#!/usr/bin/env python3
"""The demo model (examples/tiny-kjv) against transformers' reference.json:
greedy ids for its five prompts (up to must_match), the text of the first
prompt's continuation through -p, and the validation perplexity (within 0.2%).
Given VENUSC and WORKDIR, also venusc's own quantizers: --dtype q8_0 within
0.5% of that perplexity, --dtype q4_0 within 5% (the same windows).
usage: check.py MODEL_BINARY EXAMPLE_DIR [VENUSC WORKDIR]"""
import json, subprocess, sys

binary, ex = sys.argv[1], sys.argv[2]
ref = json.load(open(ex + "/reference.json"))
bad = 0


def run(args, binary=binary):
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

def perplexity(binary):
    out = run(["--perplexity", ex + "/kjv-val.txt", "--ctx", str(ref["val_window_tokens"]), "--chunks", str(ref["val_windows"])], binary)
    return float(out.split("perplexity:")[1].split()[0])


ppl = perplexity(binary)
rel = abs(ppl - ref["val_ppl"]) / ref["val_ppl"]
ok = rel <= 0.002
bad += not ok
print("%s perplexity %.4f, reference %.4f (%.4f%% off, bound 0.2%%)" % ("PASS" if ok else "FAIL", ppl, ref["val_ppl"], 100 * rel))

if len(sys.argv) > 4:
    venusc, work = sys.argv[3], sys.argv[4]
    for dt, bound in (("q8_0", 0.005), ("q4_0", 0.05)):
        out = "%s/%s" % (work, dt)
        p = subprocess.run([venusc, "compile", ex, "-o", out, "--dtype", dt], capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise SystemExit("FAIL demo: venusc compile --dtype %s: %s" % (dt, p.stderr.strip()[-300:]))
        q = perplexity(out)
        ok = q / ppl - 1 <= bound
        bad += not ok
        print("%s --dtype %s perplexity %.4f, f32 %.4f (%+.2f%%, bound %+.1f%%)" % ("PASS" if ok else "FAIL", dt, q, ppl, 100 * (q / ppl - 1), 100 * bound))
sys.exit(1 if bad else 0)
