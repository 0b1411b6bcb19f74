#!/usr/bin/env python3
"""GGUF files of the demo model (written by llama.cpp) against transformers and llama.cpp.
usage: check.py VENUSC GGUF_DIR EXAMPLE_DIR WORKDIR
- the F16 file: greedy ids of the five reference prompts equal transformers' (up to must_match),
  and its own tokenizer (from GGUF metadata) gives the prompts' ids and the reference text;
- every quantized file: venus's perplexity on kjv-val.txt divided by venus's float32 perplexity
  (the HF directory) is at most llama.cpp's ppl_ratio_to_f32 for that file + 0.01."""
import json, os, subprocess, sys

venusc, gdir, ex, work = sys.argv[1:5]
ref = json.load(open(os.path.join(gdir, "reference.json")))
demo = json.load(open(os.path.join(ex, "reference.json")))
bad = 0


def sh(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if p.returncode:
        raise SystemExit("FAIL gguf: %s: %s" % (" ".join(cmd[:3]), (p.stderr or p.stdout).strip()[-300:]))
    return p.stdout


def ppl(binary):
    out = sh([binary, "--perplexity", os.path.join(ex, "kjv-val.txt"), "--ctx", str(demo["val_window_tokens"]),
              "--chunks", str(demo["val_windows"])])
    return float(out.split("perplexity:")[1].split()[0])


f32 = os.path.join(work, "f32")
sh([venusc, "compile", ex, "-o", f32])
base = ppl(f32)
print("venus float32 perplexity (HF directory): %.4f" % base)

b16 = os.path.join(work, "f16")
sh([venusc, "compile", os.path.join(gdir, "tiny-kjv-f16.gguf"), "-o", b16])
for g in demo["greedy"]:
    got = sh([b16, "--ids", ",".join(map(str, g["prompt_ids"])), "-n", "32", "--temp", "0", "--print-ids"]).split()
    k = g["must_match"]
    ok = list(map(int, got))[:k] == g["greedy_ids"][:k]
    bad += not ok
    print("%s f16 greedy %-26r %d ids must match" % ("PASS" if ok else "FAIL", g["prompt"], k))
g = demo["greedy"][0]
text = sh([b16, "-p", g["prompt"], "-n", "32", "--temp", "0"]).rstrip("\n")
ok = text == g["text"]
bad += not ok
print("%s f16 text through the GGUF tokenizer: %r" % ("PASS" if ok else "FAIL", text))
insp = sh([venusc, "inspect", os.path.join(gdir, "tiny-kjv-q4_k_m.gguf")])
kept = [l for l in insp.splitlines() if l.startswith("kept:")]
ok = "llama.block_count" in insp and "tensor types:" in insp and kept and all(t in kept[0] for t in ("q5_0", "q4_k", "q6_k"))
ok = ok and "converted:" not in insp
bad += not ok
print("%s inspect prints metadata, tensor types, and every block type of Q4_K_M kept as stored" % ("PASS" if ok else "FAIL"))

print("%-22s %10s %12s %12s" % ("file", "venus ppl", "venus ratio", "llama.cpp"))
for name in sorted(ref["files"]):
    if name == "tiny-kjv-f16.gguf":
        continue
    r = ref["files"][name]["ppl_ratio_to_f32"]
    out = os.path.join(work, name.replace(".gguf", ""))
    p = subprocess.run([venusc, "compile", os.path.join(gdir, name), "-o", out], capture_output=True, text=True, timeout=900)
    if p.returncode:
        raise SystemExit("FAIL gguf: compile %s: %s" % (name, p.stderr.strip()[-300:]))
    if "warning:" in p.stderr:  # every block type of these files is kept: no conversion to warn of
        bad += 1
        print("FAIL %s: compile warns: %s" % (name, p.stderr.strip()))
    p = ppl(out)
    ok = p / base <= r + 0.01
    bad += not ok
    print("%s %-22s %10.4f %12.5f %12.5f" % ("PASS" if ok else "FAIL", name, p, p / base, r))
sys.exit(1 if bad else 0)
