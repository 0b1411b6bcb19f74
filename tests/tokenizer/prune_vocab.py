#!/usr/bin/env python3
"""Writes the small copies of llama.cpp's vocabulary files that the tokenizer
test uses (tests/fixtures/llamacpp-vocab/*.gguf.gz), from the originals.

usage: prune_vocab.py SRC_DIR DST_DIR     (SRC_DIR: llama.cpp's models/ files,
       ggml-vocab-NAME.gguf with .gguf.inp and .gguf.out)

The ids of the test texts depend only on the vocabulary entries that can
occur in them: a merge fires only when its result is a substring of a piece,
and a piece is a substring of the (normalized) text; a WordPiece piece is one
too. So every token whose text occurs in no form of any test text is emptied
(type UNUSED, so no merge, lookup or added-token match can reach it) and every
merge whose result is emptied is dropped; ids keep their numbers, and the ids
of the test texts are the originals' (check: the test passes on either). Kept
whole: single characters, byte tokens, control and user-defined tokens, and all
metadata. The copy is gzip'ed (the test unpacks it).
Standard library only."""
import gzip
import os
import struct
import sys
import unicodedata

T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR, T_U64, T_I64, T_F64 = range(13)
FMT = {T_U8: "B", T_I8: "b", T_U16: "H", T_I16: "h", T_U32: "I", T_I32: "i", T_F32: "f", T_BOOL: "?",
       T_U64: "Q", T_I64: "q", T_F64: "d"}


def read_gguf(path):
    b = open(path, "rb").read()
    o = [4]

    def u(f):
        v = struct.unpack_from("<" + f, b, o[0])
        o[0] += struct.calcsize("<" + f)
        return v[0]

    def s():
        n = u("Q")
        v = b[o[0]:o[0] + n]
        o[0] += n
        return v

    def val(t):
        if t == T_STR:
            return s()
        if t == T_ARR:
            et = u("I")
            n = u("Q")
            return (et, [val(et) for _ in range(n)])
        return u(FMT[t])

    assert b[:4] == b"GGUF"
    version, nt, nk = u("I"), u("Q"), u("Q")
    assert nt == 0, "a vocabulary-only file is expected"
    meta = []
    for _ in range(nk):
        k = s().decode()
        t = u("I")
        meta.append((k, t, val(t)))
    return version, meta


def write_gguf(meta):
    out = [b"GGUF", struct.pack("<IQQ", 3, 0, len(meta))]

    def s(x):
        out.append(struct.pack("<Q", len(x)) + x)

    def val(t, v):
        if t == T_STR:
            s(v)
        elif t == T_ARR:
            et, items = v
            out.append(struct.pack("<IQ", et, len(items)))
            for x in items:
                val(et, x)
        else:
            out.append(struct.pack("<" + FMT[t], v))

    for k, t, v in meta:
        s(k.encode())
        out.append(struct.pack("<I", t))
        val(t, v)
    return b"".join(out)


def byte_alphabet():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def bert_forms(text):
    t = "".join(" " if unicodedata.category(c) == "Zs" or c in "\t\n\r" else c for c in text
                if not (c in "\0\ufffd" or (unicodedata.category(c).startswith("C") and c not in "\t\n\r")))
    t = "".join(c for c in unicodedata.normalize("NFD", t) if unicodedata.category(c) != "Mn")
    return [t.lower(), t]


def prune(src, dst_dir):
    name = os.path.basename(src)
    version, meta = read_gguf(src)
    texts = open(src + ".inp", "rb").read().decode("utf-8").split("\n__ggml_vocab_test__\n")[:-1]
    m = {k: (t, v) for k, t, v in meta}
    model = m["tokenizer.ggml.model"][1].decode()
    forms = []
    for t in texts:
        forms += [t.encode(), ("\u2581" + t.replace(" ", "\u2581")).encode(), t.replace(" ", "\u2581").encode()]
        forms += [f.encode() for f in bert_forms(t)]
    blob = b"\x00".join(forms)
    alpha = byte_alphabet()
    tokens = m["tokenizer.ggml.tokens"][1][1]
    types = m["tokenizer.ggml.token_type"][1][1] if "tokenizer.ggml.token_type" in m else [1] * len(tokens)

    def raw(tok):
        if model == "gpt2":
            s = tok.decode("utf-8", "replace")
            if all(c in alpha for c in s):
                return bytes(alpha[c] for c in s)
        return tok

    keep = []
    for tok, ty in zip(tokens, types):
        r = raw(tok)
        k = ty in (2, 3, 4, 6) or len(tok.decode("utf-8", "replace")) <= 1 or r in blob
        if not k and model == "bert" and tok.startswith("\u2581".encode()):
            k = tok[3:] in blob
        keep.append(k)
    new_tokens = [tok if k else b"" for tok, k in zip(tokens, keep)]
    new_types = [ty if k else 5 for ty, k in zip(types, keep)]
    kept = {tok for tok, k in zip(tokens, keep) if k}
    out = []
    for k, t, v in meta:
        if k == "tokenizer.ggml.tokens":
            v = (v[0], new_tokens)
        elif k == "tokenizer.ggml.token_type":
            v = (v[0], new_types)
        elif k == "tokenizer.ggml.merges":
            v = (v[0], [x for x in v[1] if x.replace(b" ", b"", 1) in kept])
        out.append((k, t, v))
    data = write_gguf(out)
    os.makedirs(dst_dir, exist_ok=True)
    with gzip.GzipFile(os.path.join(dst_dir, name + ".gz"), "wb", mtime=0) as f:
        f.write(data)
    for ext in (".inp", ".out"):
        with open(src + ext, "rb") as f, open(os.path.join(dst_dir, name + ext), "wb") as g:
            g.write(f.read())
    print("%s: %d of %d tokens kept, %d bytes gzip'ed" % (name, sum(keep), len(tokens),
                                                         os.path.getsize(os.path.join(dst_dir, name + ".gz"))))


if __name__ == "__main__":
    src_dir, dst_dir = sys.argv[1], sys.argv[2]
    for f in sorted(os.listdir(src_dir)):
        if f.endswith(".gguf"):
            prune(os.path.join(src_dir, f), dst_dir)
