#!/usr/bin/env python3
"""Hold one encoder-decoder fixture case (tests/fixtures/seq2seq/*/*) to transformers.

usage: check_s2s.py VENUSC CASE_DIR WORKDIR [--target T] [--dtype D] [--runner "qemu-... -cpu max"]

The rule is check.py's (tests/fixtures/README.md): with S = max(1, largest |reference logit|),
  - the logits at every decoder position within 1e-3 * S of the reference;
  - greedy ids continuing the decoder prompt equal to the reference up to the
    first step whose top-1/top-2 margin is below 1e-3 * S (a near tie).
The binary is compiled once and run only through its documented interface:
  OUT --ids ENC | --features FILE.f32   --decoder-ids DEC --logits FILE
  OUT --ids ENC | --features FILE.f32   --decoder-ids DEC -n G --temp 0 --print-ids
Prints "PASS name: ..." or "FAIL name: reason"; exit status 0 on PASS.
"""
import json, math, os, shlex, struct, subprocess, sys

TOL = 1e-3


def main(argv):
    venusc, case, work = os.path.abspath(argv[0]), argv[1].rstrip("/"), argv[2]
    opts = dict(zip(argv[3::2], argv[4::2]))
    runner = shlex.split(opts.get("--runner", ""))
    tag = "_".join(x for x in (opts.get("--target"), opts.get("--dtype")) if x)
    name = "seq2seq/" + os.path.basename(os.path.dirname(case)) + "/" + os.path.basename(case) + ("@" + tag if tag else "")
    os.makedirs(work, exist_ok=True)
    out = os.path.join(work, name.replace("/", "_").replace("@", "_"))
    ref = json.load(open(os.path.join(case, "reference.json")))

    def run(cmd, what, timeout=600):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, "%s timed out" % what
        if p.returncode != 0:
            tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["(no output)"]
            return None, "%s exit %d: %s" % (what, p.returncode, tail[0][:300])
        return p.stdout, None

    cmd = [venusc, "compile", case, "-o", out]
    for k in ("--target", "--dtype"):
        if k in opts:
            cmd += [k, opts[k]]
    _, err = run(cmd, "compile")
    if err:
        return fail(name, err)
    if "input_ids" in ref:
        enc = ["--ids", ",".join(str(i) for i in ref["input_ids"])]
    else:
        enc = ["--features", os.path.join(case, "input_features.f32")]
    dec = ["--decoder-ids", ",".join(str(i) for i in ref["decoder_input_ids"])]
    lf = out + ".logits"
    _, err = run(runner + [out] + enc + dec + ["--logits", lf], "logits run")
    if err:
        return fail(name, err)
    data = open(lf, "rb").read()
    exp = open(os.path.join(case, "logits.f32"), "rb").read()
    if len(data) != len(exp):
        return fail(name, "logits file has %d bytes, expected %d" % (len(data), len(exp)))
    n = len(exp) // 4
    got = struct.unpack("<%df" % n, data)
    want = struct.unpack("<%df" % n, exp)
    scale = max(1.0, max(abs(x) for x in want))
    worst = 0.0
    for g, w in zip(got, want):
        if not math.isfinite(g):
            return fail(name, "non-finite logit")
        worst = max(worst, abs(g - w))
    if worst > TOL * scale:
        return fail(name, "max logit error %.3g > %.3g (1e-3 x %.3g)" % (worst, TOL * scale, scale))
    msg = "max logit error %.2g (bound %.2g)" % (worst, TOL * scale)
    want_ids = ref.get("greedy_tokens") or []
    if want_ids:
        so, err = run(runner + [out] + enc + dec + ["-n", str(len(want_ids)), "--temp", "0", "--print-ids"], "greedy run")
        if err:
            return fail(name, err)
        toks = [int(t) for t in so.replace(",", " ").split()]
        must = 0
        for m in ref["greedy_margins"]:
            if m < TOL * scale:
                break
            must += 1
        if toks[:must] != want_ids[:must]:
            return fail(name, "greedy ids %s, expected %s" % (toks[:must], want_ids[:must]))
        msg += ", greedy %d/%d must match" % (must, len(want_ids))
    print("PASS %s: %s" % (name, msg))
    return 0


def fail(name, why):
    print("FAIL %s: %s" % (name, why))
    return 1


if __name__ == "__main__":
    if len(sys.argv) < 4:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
