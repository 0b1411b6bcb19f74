#!/usr/bin/env python3
"""Hold one vision-language fixture case (tests/fixtures/vlm/) to transformers.

usage: check_vlm.py VENUSC CASE_DIR WORKDIR [--target T] [--dtype D] [--runner "qemu-..."]

The rule of tests/parity/check.py (tests/fixtures/README.md), with the image
given as preprocessed pixels (the binary's --pixels, with --image-grid from
reference.json's image_grid_thw where the model has one):
  - pixel_values.f32 (random pixels): the logits at every prompt position
    within 1e-3 * S of logits.f32, and the greedy ids equal greedy_tokens up
    to the first step whose margin is below 1e-3 * S;
  - image_pixel_values.f32 (the image processor's pixels of image.png): the
    logits within 1e-3 * S of image_logits.f32 (S from that reference);
  - image.png itself through --image (host builds): the same logits.
S = max(1, the largest |reference logit|). One compile, four runs of the
binary. Prints "PASS name: ..." or "FAIL name: reason"; exit status 0 on PASS.
"""
import json, math, os, shlex, struct, subprocess, sys

TOL = 1e-3


def run(cmd, what, timeout=600):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "%s timed out" % what
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["(no output)"]
        return None, "%s exit %d: %s" % (what, p.returncode, tail[0][:300])
    return p.stdout, None


def floats(path):
    data = open(path, "rb").read()
    return struct.unpack("<%df" % (len(data) // 4), data)


def compare(got_path, want_path):
    """(max error, bound, None) or (.., .., reason)"""
    got, want = floats(got_path), floats(want_path)
    if len(got) != len(want):
        return 0, 0, "logits file has %d floats, expected %d" % (len(got), len(want))
    scale = max(1.0, max(abs(x) for x in want))
    worst = 0.0
    for g, w in zip(got, want):
        if not math.isfinite(g):
            return 0, 0, "non-finite logit"
        worst = max(worst, abs(g - w))
    if worst > TOL * scale:
        return worst, TOL * scale, "max logit error %.3g > %.3g (1e-3 x %.3g)" % (worst, TOL * scale, scale)
    return worst, TOL * scale, None


def main(argv):
    venusc, case, work = os.path.abspath(argv[0]), argv[1].rstrip("/"), argv[2]
    opts = dict(zip(argv[3::2], argv[4::2]))
    runner = shlex.split(opts.get("--runner", ""))
    tag = "_".join(x for x in (opts.get("--target"), opts.get("--dtype")) if x)
    name = "vlm/" + os.path.basename(os.path.dirname(case)) + "/" + os.path.basename(case) + ("@" + tag if tag else "")
    os.makedirs(work, exist_ok=True)
    out = os.path.join(work, name.replace("/", "_").replace("@", "_"))
    ref = json.load(open(os.path.join(case, "reference.json")))
    cmd = [venusc, "compile", case, "-o", out]
    for k in ("--target", "--dtype"):
        if k in opts:
            cmd += [k, opts[k]]
    _, err = run(cmd, "compile")
    if err:
        return fail(name, err)
    ids = ",".join(str(i) for i in ref["input_ids"])
    grid = ["--image-grid", ",".join(str(x) for x in ref["image_grid_thw"])] if ref.get("image_grid_thw") else []
    msgs = []
    for pix, want, what in (("pixel_values.f32", "logits.f32", "pixel_values"),
                            ("image_pixel_values.f32", "image_logits.f32", "image_pixel_values")):
        lf = out + "." + what + ".logits"
        _, err = run(runner + [out, "--ids", ids, "--pixels", os.path.join(case, pix)] + grid + ["--logits", lf],
                     what + " logits run")
        if err:
            return fail(name, err)
        worst, bound, why = compare(lf, os.path.join(case, want))
        if why:
            return fail(name, "%s: %s" % (what, why))
        msgs.append("%s: max logit error %.2g (bound %.2g)" % (what, worst, bound))
    # the picture itself through --image (decoded and preprocessed by the binary; PNG needs a host build)
    if os.path.exists(os.path.join(case, "image.png")) and "--target" not in opts:
        lf = out + ".image.logits"
        _, err = run(runner + [out, "--ids", ids, "--image", os.path.join(case, "image.png"), "--logits", lf], "--image logits run")
        if err:
            return fail(name, err)
        worst, bound, why = compare(lf, os.path.join(case, "image_logits.f32"))
        if why:
            return fail(name, "--image: %s" % why)
        msgs.append("--image: max logit error %.2g (bound %.2g)" % (worst, bound))
    want_ids = ref.get("greedy_tokens") or []
    if want_ids:
        so, err = run(runner + [out, "--ids", ids, "--pixels", os.path.join(case, "pixel_values.f32")] + grid +
                      ["-n", str(len(want_ids)), "--temp", "0", "--print-ids"], "greedy run")
        if err:
            return fail(name, err)
        toks = [int(t) for t in so.replace(",", " ").split()]
        scale = max(1.0, max(abs(x) for x in floats(os.path.join(case, "logits.f32"))))
        must = 0
        for m in ref["greedy_margins"]:
            if m < TOL * scale:
                break
            must += 1
        if toks[:must] != want_ids[:must]:
            return fail(name, "greedy ids %s, expected %s" % (toks[:must], want_ids[:must]))
        msgs.append("greedy %d/%d must match" % (must, len(want_ids)))
    print("PASS %s: %s" % (name, "; ".join(msgs)))
    return 0


def fail(name, why):
    print("FAIL %s: %s" % (name, why))
    return 1


if __name__ == "__main__":
    if len(sys.argv) < 4:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
