#!/usr/bin/env python3
"""Replay every input that ever made a fuzz target fail (tests/fuzz/).
tests/errors/regress/TARGET/FILE is one such input, in the form the target
takes it (tests/fuzz/fuzz_TARGET.c says which); each is put where venusc or a
model binary reads it, the way the target did, and must get a clean answer:
exit 0, or 1 (2 for a model binary's command line) with one line on stderr;
never a signal, a sanitizer report, a hang or an output file left behind.
usage: run.py VENUSC WORKDIR"""
import os, shutil, subprocess, sys

venusc, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(os.path.dirname(here)))
fix = os.path.join(root, "tests", "fixtures")
TEXT = "In the beginning God created the heaven and the earth."
built = {}


def run(cmd, cwd=None, timeout=120):
    try:
        p = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        return p.returncode, p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return "hang", ""


def model_binary(name, src, *flags):
    """compile a fixture once; the path of its binary"""
    if name not in built:
        out = os.path.join(work, "bin", name)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        rc, err = run([venusc, "compile", src, "-o", out] + list(flags), timeout=600)
        if rc != 0:
            sys.exit("regress: cannot compile %s: %s" % (src, err))
        built[name] = out
    return built[name]


def linked_dir(d, links, files):
    os.makedirs(d)
    for name, target in links.items():
        os.symlink(target, os.path.join(d, name))
    for name, data in files.items():
        open(os.path.join(d, name), "wb").write(data)
    return d


def cases(target, path, data, d):
    """the commands that read this input: [(argv, cwd, allowed exit codes)]"""
    llama, shard = os.path.join(fix, "hf", "llama"), os.path.join(fix, "hf2", "qwen2_sharded")
    if target == "safetensors":
        m = linked_dir(d, {"config.json": os.path.join(llama, "config.json")}, {"model.safetensors": data})
        return [([venusc, "inspect", m], None, (0, 1))]
    if target == "index":
        links = {f: os.path.join(shard, f) for f in os.listdir(shard) if f.endswith(".safetensors") or f == "config.json"}
        m = linked_dir(d, links, {"model.safetensors.index.json": data})
        return [([venusc, "inspect", m], None, (0, 1))]
    if target == "config":
        m = linked_dir(d, {"model.safetensors": os.path.join(llama, "model.safetensors")}, {"config.json": data})
        return [([venusc, "inspect", m], None, (0, 1))]
    if target == "tokenizer":
        tj, _, tc = data.partition(b"\0")
        files = {"tokenizer.json": tj}
        if b"\0" in data:
            files["tokenizer_config.json"] = tc
        m = linked_dir(d, {}, files)
        return [([venusc, "tokenize", os.path.join(m, "tokenizer.json"), "--", TEXT], None, (0, 1))]
    if target == "gguf":
        m = linked_dir(d, {}, {"model.gguf": data})
        g = os.path.join(m, "model.gguf")
        return [([venusc, "inspect", g], None, (0, 1)), ([venusc, "tokenize", g, "--", TEXT], None, (0, 1))]
    if target == "weights":
        b = model_binary("llama-q8_0", llama, "--dtype", "q8_0")
        m = linked_dir(d, {}, {"model.vnw": data})
        return [([b, "--weights", os.path.join(m, "model.vnw"), "--ids", "1,2,3", "-n", "1", "--print-ids", "-t", "1"], None, (0, 1))]
    if target == "cli":
        b = model_binary("tiny-kjv", os.path.join(root, "examples", "tiny-kjv"))
        m = linked_dir(d, {}, {"p.txt": (TEXT + "\n").encode()})
        args = [a.decode(errors="surrogateescape") for a in data.split(b"\0")] if data else []
        return [([b, "--ctx", "64", "-t", "1"] + args, m, (0, 1, 2))]
    if target == "chat":  # a template, then NUL-separated message contents (fuzz_chat.c)
        tmpl, _, rest = data.partition(b"\0")
        roles = ["system", "user", "assistant", "user", "assistant", "user"]
        msgs = ([{"role": r, "content": c.decode(errors="replace")} for r, c in zip(roles, rest.split(b"\0"))] if b"\0" in data
                else [{"role": "system", "content": "Be brief."}, {"role": "user", "content": " Hello "},
                      {"role": "assistant", "content": "<think>\nx\n</think>\n\nHi"}, {"role": "user", "content": "Again"}])
        import json
        m = linked_dir(d, {}, {"t.jinja": tmpl, "m.json": json.dumps(msgs).encode()})
        base = [venusc, "chat-template", "--template", os.path.join(m, "t.jinja"), "--messages", os.path.join(m, "m.json"),
                "--bos", "<s>", "--eos", "</s>"]
        return [(base, None, (0, 1)), (base + ["--add-generation-prompt", "--no-thinking"], None, (0, 1))]
    if target == "server":  # "METHOD URL", newline, the body (fuzz_server.c), as an HTTP request
        b = model_binary("tiny-kjv-server", os.path.join(root, "examples", "tiny-kjv"), "--server")
        return [([sys.executable, os.path.join(here, "serve.py"), b, path], None, (0,))]
    if target == "imgcfg":  # preprocessor_config.json (fuzz_imgcfg.c), beside hf/llama: venusc compile reads it
        links = {f: os.path.join(llama, f) for f in ("config.json", "model.safetensors")}
        m = linked_dir(d, links, {"preprocessor_config.json": data})
        return [([venusc, "compile", m, "--emit-c", os.path.join(d, "c")], None, (0, 1))]
    sys.exit("regress: %s: no fuzz target of that name" % target)


ok = bad = 0
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
for target in sorted(os.listdir(here)):
    tdir = os.path.join(here, target)
    if not os.path.isdir(tdir):
        continue
    for f in sorted(os.listdir(tdir)):
        path = os.path.join(tdir, f)
        d = os.path.join(work, target + "-" + f)
        for cmd, cwd, allowed in cases(target, path, open(path, "rb").read(), d):
            before = set(os.listdir(cwd)) if cwd else None
            rc, err = run(cmd, cwd)
            lines = [l for l in err.splitlines() if l.strip()]
            why = None
            if rc == "hang":
                why = "no answer in 120 s"
            elif rc not in allowed:
                why = "exit %s" % rc
            elif rc != 0 and len(lines) != 1:
                why = "%d stderr lines, want 1" % len(lines)
            elif target == "imgcfg" and any(not l.startswith("venusc: ") for l in lines):
                why = "a message of more than one line (its warning is one line)"
            elif cwd and set(os.listdir(cwd)) - before - {"out.f32"}:
                why = "left files: %s" % sorted(set(os.listdir(cwd)) - before)
            if why:
                bad += 1
                print("FAIL  regress %s/%s (%s): %s" % (target, f, os.path.basename(cmd[0]) + " " + (cmd[1] if len(cmd) > 1 else ""), why))
                for l in lines[:5]:
                    print("      " + l[:200])
            else:
                ok += 1
print("regress: %d of %d replays of past fuzz findings answered cleanly" % (ok, ok + bad))
sys.exit(1 if bad else 0)
