#!/usr/bin/env python3
"""The model binary under stress: RUNS invocations with random flags.

usage: stress.py BINARY RUNS [SEED]

Each run draws a handful of flags (valid values, edge values and bad ones:
negative, huge, NaN, empty, unknown flags, missing files, the context limit
and -n past it) and must end on its own within a bound, by exit 0 (it ran),
1 or 2 (it refused, with a message on stderr naming the binary), never by a
signal, a sanitizer report (exit 86 under tests/fuzz/sanitize.sh or
`make test-stress`) or a hang; a failed --logits write leaves no file.
Prints one line per failure and a summary with the time per run."""
import os, random, signal, subprocess, sys, tempfile, time

binary, runs = sys.argv[1], int(sys.argv[2])
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
rng = random.Random(seed)
prog = os.path.basename(binary)
work = tempfile.mkdtemp(prefix="vn_stress.")
text = os.path.join(work, "text.txt")
open(text, "w").write("In the beginning God created the heaven and the earth.\n" * 40)
open(os.path.join(work, "bad_utf8.txt"), "wb").write(b"\xff\xfe\xc3(\xa0\xa1 In the \xe2\x82 beginning\n")
os.mkdir(os.path.join(work, "dir"))

def ids(n, vocab_hi=2100):  # may name ids past the vocabulary
    return ",".join(str(rng.randrange(0, vocab_hi)) for _ in range(n))

def pick(*vals):
    return rng.choice(vals)

ctx_vals = ("1", "2", "8", "16", "64", "128", "512", "513", "1024", "0", "-1", "x", "99999999999")
gens = {
    "-n": lambda: pick("0", "1", "5", "16", "64", "300", "-1", "-7", "abc", "", "1e3", "2147483648"),
    "--temp": lambda: pick("0", "0.7", "1.5", "-1", "nan", "inf", "1e30", "x"),
    "--top-k": lambda: pick("0", "1", "40", "2048", "5000", "-3", "99999999999"),
    "--top-p": lambda: pick("0", "0.5", "0.95", "1", "1.5", "-0.1", "nan"),
    "--min-p": lambda: pick("0", "0.05", "1", "2", "-1"),
    "--repeat-penalty": lambda: pick("1", "1.3", "0", "-2", "1e9"),
    "--repeat-last-n": lambda: pick("0", "1", "64", "-1", "100000"),
    "-s": lambda: pick("1", "42", "0", "-1", "18446744073709551615", "18446744073709551616", "x"),
    "--stop": lambda: pick("the", "", ",", "\n", "x" * 300, "é"),
    "--n-probs": lambda: pick("0", "1", "5", "-1", "100000"),
    "-c": lambda: pick(*ctx_vals),
    "-t": lambda: pick("1", "2", "3", "0", "-1", "1000"),
    "-p": lambda: pick("", "In the beginning", "é" * 50, "and " * 200, "\x01\x02", "<s></s>"),
    "--ids": lambda: pick(ids(1), ids(5), ids(70), ids(520), "", "1,,2", "-1", "1,2,", "x", "99999999999"),
    "-f": lambda: pick(text, os.path.join(work, "bad_utf8.txt"), os.path.join(work, "none.txt"), os.path.join(work, "dir"), "/dev/null"),
    "--perplexity": lambda: pick(text, os.path.join(work, "none.txt"), "/dev/null", os.path.join(work, "bad_utf8.txt")),
    "--chunks": lambda: pick("1", "2", "0", "-1", "x"),
    "--logits": lambda: pick(os.path.join(work, "logits.bin"), os.path.join(work, "dir"), "/dev/full", os.path.join(work, "no", "such")),
    "--weights": lambda: pick(os.path.join(work, "none.vnw"), "/dev/null", os.path.join(work, "dir"), text),
    "--system": lambda: pick("be brief", "", "x" * 2000),
    "--chat-format": lambda: pick("chatml", "llama2", "bogus", ""),
}
switches = ("--no-display-prompt", "--json", "--print-ids", "--ignore-eos", "--stats", "--print-prompt",
            "--verify", "--chat", "--bogus-flag", "-h", "-n")  # "-n" alone: a missing value

def draw():
    args = []
    mode = rng.random()
    if mode < 0.35: args += ["-p", gens["-p"]()]
    elif mode < 0.65: args += ["--ids", gens["--ids"]()]
    elif mode < 0.72: args += ["-f", gens["-f"]()]
    elif mode < 0.82: args += ["--perplexity", gens["--perplexity"](), "--chunks", gens["--chunks"]()]
    elif mode < 0.90: args += ["--ids", ids(rng.choice((1, 8, 64))), "--logits", gens["--logits"]()]
    for _ in range(rng.randrange(0, 5)):
        k = rng.choice(list(gens))
        if k in ("-p", "--ids", "-f", "--perplexity", "--logits") and rng.random() < 0.7: continue
        v = gens[k]()
        args += [k + "=" + v] if rng.random() < 0.15 else [k, v]
    for _ in range(rng.randrange(0, 3)):
        if rng.random() < 0.4: args.append(rng.choice(switches))
    # bound the work of one run: a context past 1024 only with a small -n
    if "-n" not in args and rng.random() < 0.8: args += ["-n", pick("1", "8", "32")]
    if "-c" not in args and rng.random() < 0.5: args += ["-c", pick("16", "64", "256")]
    if "-t" not in args: args += ["-t", "2"]
    return args

fails, t0 = 0, time.time()
for i in range(runs):
    args = draw()
    logits = os.path.join(work, "logits.bin")
    if os.path.exists(logits): os.remove(logits)
    stdin = b"hello\nhow are you\n" if "--chat" in args else b""
    try:
        p = subprocess.run([binary] + args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, cwd=work)
        rc, err = p.returncode, p.stderr.decode("utf-8", "replace")
        why = None
        if rc < 0: why = "killed by signal %s" % signal.Signals(-rc).name
        elif rc == 86 or "Sanitizer" in err or "runtime error:" in err: why = "sanitizer report"
        elif rc not in (0, 1, 2): why = "exit %d" % rc
        elif rc != 0 and not err.strip(): why = "exit %d with no message" % rc
        elif rc != 0 and not any(l.startswith((prog + ":", "usage: ")) for l in err.splitlines()):
            why = "exit %d, no line names %s" % (rc, prog)
        elif rc != 0 and os.path.exists(logits): why = "failed but left %s" % logits
    except subprocess.TimeoutExpired:
        why = "no end within 120 s"
        err = ""
    if why:
        fails += 1
        print("FAIL  stress run %d: %s: %s %s" % (i, why, prog, " ".join(repr(a) if " " in a or not a else a for a in args)[:400]))
        for l in err.splitlines()[-6:]: print("      " + l[:300])
dt = time.time() - t0
subprocess.run(["rm", "-rf", work])
print("stress: %d runs (seed %d), %d failed, %.1f s (%.2f s a run)" % (runs, seed, fails, dt, dt / max(runs, 1)))
sys.exit(1 if fails else 0)
