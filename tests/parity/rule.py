"""The one rule of tests/fixtures/README.md, shared by check.py, check_s2s.py and check_vlm.py.

With S = max(1, the largest |reference logit|) of a case:
  - every logit within TOL * S of the reference (compare);
  - the greedy ids equal the reference up to the first step whose top-1/top-2
    margin is below TOL * S (greedy).
A Case holds what every checker starts from: its name, the binary's path in
WORKDIR, reference.json and the options (--target, --dtype, --runner).
"""
import json, math, os, shlex, struct, subprocess

TOL = 1e-3


def run(cmd, what, timeout=600):
    """(stdout, None), or (None, one line saying what failed)"""
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


def scale_of(want):
    return max(1.0, max(abs(x) for x in want))


def compare(got_path, want_path):
    """(max error, bound, None), or (.., .., the reason it fails)"""
    got, want = open(got_path, "rb").read(), open(want_path, "rb").read()
    if len(got) != len(want):
        return 0, 0, "logits file has %d bytes, expected %d" % (len(got), len(want))
    got, want = floats(got_path), floats(want_path)
    scale = scale_of(want)
    worst = 0.0
    for g, w in zip(got, want):
        if not math.isfinite(g):
            return 0, 0, "non-finite logit"
        worst = max(worst, abs(g - w))
    if worst > TOL * scale:
        return worst, TOL * scale, "max logit error %.3g > %.3g (1e-3 x %.3g)" % (worst, TOL * scale, scale)
    return worst, TOL * scale, None


def greedy(stdout, ref, scale):
    """(the steps that must match, None), or (.., the reason it fails): the
    --print-ids output against greedy_tokens up to the first near tie"""
    want = ref["greedy_tokens"]
    toks = [int(t) for t in stdout.replace(",", " ").split()]
    must = 0
    for m in ref["greedy_margins"]:
        if m < TOL * scale:
            break
        must += 1
    if toks[:must] != want[:must]:
        return must, "greedy ids %s, expected %s" % (toks[:must], want[:must])
    return must, None


class Case:
    def __init__(self, argv, prefix=""):
        self.venusc, self.dir, work = os.path.abspath(argv[0]), argv[1].rstrip("/"), argv[2]
        self.opts = dict(zip(argv[3::2], argv[4::2]))
        self.runner = shlex.split(self.opts.get("--runner", ""))
        tag = "_".join(x for x in (self.opts.get("--target"), self.opts.get("--dtype")) if x)
        self.name = prefix + os.path.basename(os.path.dirname(self.dir)) + "/" + os.path.basename(self.dir) + \
            ("@" + tag if tag else "")
        os.makedirs(work, exist_ok=True)
        self.out = os.path.join(work, self.name.replace("/", "_").replace("@", "_"))
        self.ref = json.load(open(os.path.join(self.dir, "reference.json")))

    def path(self, f):
        return os.path.join(self.dir, f)

    def compile(self, src=None):
        """None, or why the compile failed"""
        cmd = [self.venusc, "compile", src or self.dir, "-o", self.out]
        for k in ("--target", "--dtype"):
            if k in self.opts:
                cmd += [k, self.opts[k]]
        return run(cmd, "compile")[1]

    def binary(self, *args, what="run"):
        """the model binary (under --runner) with args: (stdout, None) or (None, why)"""
        return run(self.runner + [self.out] + list(args), what)

    def passed(self, msg):
        print("PASS %s: %s" % (self.name, msg))
        return 0

    def fail(self, why):
        print("FAIL %s: %s" % (self.name, why))
        return 1
