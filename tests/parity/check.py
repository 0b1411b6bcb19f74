#!/usr/bin/env python3
"""Hold one fixture case to the reference outputs of Hugging Face transformers.

usage: check.py VENUSC CASE_DIR WORKDIR [--target T] [--dtype D] [--runner "qemu-... -cpu max"]
                [--model PATH]   (compile PATH, e.g. a GGUF file of the case, instead of CASE_DIR)

The rule (tests/fixtures/README.md, tests/parity/rule.py): with S = max(1, largest |reference logit|),
  - logits at every prompt position within 1e-3 * S of the reference;
  - greedy ids equal to the reference up to the first step whose top-1/top-2
    margin is below 1e-3 * S (a near tie: both continuations are legitimate).
It runs the model binary only through its documented interface:
  OUT --ids a,b,c --logits FILE   and   OUT --ids a,b,c -n G --temp 0 --print-ids
Prints "PASS name: ..." or "FAIL name: reason"; exit status 0 on PASS.
"""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rule import Case, compare, greedy, scale_of, floats  # noqa: E402


def main(argv):
    c = Case(argv)
    if "--model" in c.opts:
        c.name += "@" + os.path.basename(c.opts["--model"])
        c.out += "_" + os.path.basename(c.opts["--model"]).replace(".", "_")
    err = c.compile(c.opts.get("--model"))
    if err:
        return c.fail(err)
    ids = ",".join(str(i) for i in c.ref["input_ids"])
    lf = c.out + ".logits"
    _, err = c.binary("--ids", ids, "--logits", lf, what="logits run")
    if err:
        return c.fail(err)
    worst, bound, why = compare(lf, c.path("logits.f32"))
    if why:
        return c.fail(why)
    msg = "max logit error %.2g (bound %.2g)" % (worst, bound)
    if not c.ref.get("encoder_only") and c.ref.get("greedy_tokens"):
        n = len(c.ref["greedy_tokens"])
        so, err = c.binary("--ids", ids, "-n", str(n), "--temp", "0", "--print-ids", what="greedy run")
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
