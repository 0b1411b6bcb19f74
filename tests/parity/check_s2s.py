#!/usr/bin/env python3
"""Hold one encoder-decoder fixture case (tests/fixtures/seq2seq/*/*) to transformers.

usage: check_s2s.py VENUSC CASE_DIR WORKDIR [--target T] [--dtype D] [--runner "qemu-... -cpu max"]

The rule is check.py's (tests/parity/rule.py): with S = max(1, largest |reference logit|),
  - the logits at every decoder position within 1e-3 * S of the reference;
  - greedy ids continuing the decoder prompt equal to the reference up to the
    first step whose top-1/top-2 margin is below 1e-3 * S (a near tie).
The binary is compiled once and run only through its documented interface:
  OUT --ids ENC | --features FILE.f32   --decoder-ids DEC --logits FILE
  OUT --ids ENC | --features FILE.f32   --decoder-ids DEC -n G --temp 0 --print-ids
Prints "PASS name: ..." or "FAIL name: reason"; exit status 0 on PASS.
"""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rule import Case, compare, greedy, scale_of, floats  # noqa: E402


def main(argv):
    c = Case(argv, "seq2seq/")
    err = c.compile()
    if err:
        return c.fail(err)
    if "input_ids" in c.ref:
        enc = ["--ids", ",".join(str(i) for i in c.ref["input_ids"])]
    else:
        enc = ["--features", c.path("input_features.f32")]
    enc += ["--decoder-ids", ",".join(str(i) for i in c.ref["decoder_input_ids"])]
    lf = c.out + ".logits"
    _, err = c.binary(*enc, "--logits", lf, what="logits run")
    if err:
        return c.fail(err)
    worst, bound, why = compare(lf, c.path("logits.f32"))
    if why:
        return c.fail(why)
    msg = "max logit error %.2g (bound %.2g)" % (worst, bound)
    if c.ref.get("greedy_tokens"):
        n = len(c.ref["greedy_tokens"])
        so, err = c.binary(*enc, "-n", str(n), "--temp", "0", "--print-ids", what="greedy run")
        if err:
            return c.fail(err)
        must, why = greedy(so, c.ref, scale_of(floats(c.path("logits.f32"))))
        if why:
            return c.fail(why)
        msg += ", greedy %d/%d must match" % (must, n)
    return c.passed(msg)


if __name__ == "__main__":
    if len(sys.argv) < 4:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
