#!/usr/bin/env python3
"""venusc's own quantizers on the demo model: the validation perplexity of
--dtype q8_0 within 0.5% of the float32 binary's, of --dtype q4_0 within 5%
(the same windows as the reference's perplexity).
usage: quality.py VENUSC EXAMPLE_DIR F32_BINARY WORKDIR"""
import json, subprocess, sys

venusc, ex, f32, work = sys.argv[1:5]
ref = json.load(open(ex + "/reference.json"))
args = ["--perplexity", ex + "/kjv-val.txt", "--ctx", str(ref["val_window_tokens"]), "--chunks", str(ref["val_windows"])]


def ppl(binary):
    p = subprocess.run([binary] + args, capture_output=True, text=True, timeout=600)
    if p.returncode != 0 or "perplexity:" not in p.stdout:
        raise SystemExit("FAIL quality: %s --perplexity exit %d: %s" % (binary, p.returncode, p.stderr.strip()[-300:]))
    return float(p.stdout.split("perplexity:")[1].split()[0])


base = ppl(f32)
bad = 0
for dt, bound in (("q8_0", 0.005), ("q4_0", 0.05)):
    out = "%s/tiny-kjv-%s" % (work, dt)
    p = subprocess.run([venusc, "compile", ex, "-o", out, "--dtype", dt], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise SystemExit("FAIL quality: venusc compile --dtype %s: %s" % (dt, p.stderr.strip()[-300:]))
    q = ppl(out)
    rel = q / base - 1
    ok = rel <= bound
    bad += not ok
    print("%s --dtype %s perplexity %.4f, f32 %.4f (%+.2f%%, bound %+.1f%%)" % ("PASS" if ok else "FAIL", dt, q, base, 100 * rel, 100 * bound))
sys.exit(1 if bad else 0)
