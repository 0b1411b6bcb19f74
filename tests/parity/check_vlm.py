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
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rule import Case, compare, greedy, scale_of, floats  # noqa: E402


def main(argv):
    c = Case(argv, "vlm/")
    err = c.compile()
    if err:
        return c.fail(err)
    ids = ["--ids", ",".join(str(i) for i in c.ref["input_ids"])]
    grid = ["--image-grid", ",".join(str(x) for x in c.ref["image_grid_thw"])] if c.ref.get("image_grid_thw") else []
    runs = [(["--pixels", c.path("pixel_values.f32")] + grid, "logits.f32", "pixel_values"),
            (["--pixels", c.path("image_pixel_values.f32")] + grid, "image_logits.f32", "image_pixel_values")]
    # the picture itself through --image (decoded and preprocessed by the binary; PNG needs a host build)
    if os.path.exists(c.path("image.png")) and "--target" not in c.opts:
        runs.append((["--image", c.path("image.png")], "image_logits.f32", "--image"))
    msgs = []
    for img, want, what in runs:
        lf = c.out + "." + what.lstrip("-") + ".logits"
        _, err = c.binary(*ids, *img, "--logits", lf, what=what + " logits run")
        if err:
            return c.fail(err)
        worst, bound, why = compare(lf, c.path(want))
        if why:
            return c.fail("%s: %s" % (what, why))
        msgs.append("%s: max logit error %.2g (bound %.2g)" % (what, worst, bound))
    if c.ref.get("greedy_tokens"):
        n = len(c.ref["greedy_tokens"])
        so, err = c.binary(*ids, *runs[0][0], "-n", str(n), "--temp", "0", "--print-ids", what="greedy run")
        if err:
            return c.fail(err)
        must, why = greedy(so, c.ref, scale_of(floats(c.path("logits.f32"))))
        if why:
            return c.fail(why)
        msgs.append("greedy %d/%d must match" % (must, n))
    return c.passed("; ".join(msgs))


if __name__ == "__main__":
    if len(sys.argv) < 4:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
