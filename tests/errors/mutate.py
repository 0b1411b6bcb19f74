#!/usr/bin/env python3
"""Mutation check of the model-file parsers: corrupt a good safetensors
header, GGUF file and config.json in many random ways and require venusc to
answer each with exit 0 or 1 and at most one line on stderr (never a
signal, a hang or an output file). usage: mutate.py VENUSC WORKDIR [N] [SEED]"""
import json, os, random, shutil, struct, subprocess, sys

venusc, work = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 150
rnd = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
good = "tests/fixtures/hf/llama"
gguf = open("tests/fixtures/gguf/tiny-kjv-q4_0.gguf", "rb").read()
st = open(os.path.join(good, "model.safetensors"), "rb").read()
cfg = open(os.path.join(good, "config.json"), "rb").read()


def mutate(b, lo, hi):
    b = bytearray(b)
    for _ in range(rnd.randint(1, 4)):
        k = rnd.random()
        i = rnd.randrange(lo, min(hi, len(b)))
        if k < 0.5:
            b[i] = rnd.randrange(256)
        elif k < 0.7:
            del b[i:i + rnd.randint(1, 16)]
        elif k < 0.85:
            b[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 16)))
        else:
            b[i:i + 8] = struct.pack("<Q", rnd.choice([0, 1, 2**31, 2**32 + 7, 2**63 - 1, 2**64 - 1]))
    return bytes(b)


bad = 0
os.makedirs(work, exist_ok=True)
hlen = struct.unpack("<Q", st[:8])[0]
for i in range(n):
    kind = i % 3
    d = os.path.join(work, "m%d" % i)
    os.makedirs(d, exist_ok=True)
    if kind == 0:
        path = os.path.join(d, "x.gguf")
        open(path, "wb").write(mutate(gguf, 0, 4096))
    else:
        open(os.path.join(d, "config.json"), "wb").write(mutate(cfg, 0, len(cfg)) if kind == 2 else cfg)
        open(os.path.join(d, "model.safetensors"), "wb").write(mutate(st, 0, 8 + hlen) if kind == 1 else st)
        path = d
    try:
        p = subprocess.run([venusc, "inspect", path], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        print("FAIL mutation %d: venusc hung" % i)
        bad += 1
        continue
    errs = [l for l in p.stderr.splitlines() if l.strip()]
    if p.returncode not in (0, 1) or len(errs) > 1:
        bad += 1
        print("FAIL mutation %d (%s): exit %d, stderr %r" % (i, ["gguf", "safetensors", "config"][kind], p.returncode, p.stderr[-300:]))
        shutil.copytree(d, os.path.join(work, "failed%d" % i))
    shutil.rmtree(d, ignore_errors=True)
print("mutations: %d of %d answered cleanly" % (n - bad, n))
sys.exit(1 if bad else 0)
