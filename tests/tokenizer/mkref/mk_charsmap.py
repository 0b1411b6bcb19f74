# mk_charsmap.py: a SentencePiece precompiled_charsmap (darts-clone double array + normalized strings),
# base64, for a key -> replacement map in the style of sentencepiece's nmt_nfkc
import base64, json, struct, sys, unicodedata
def build(mapping):
    keys = sorted((k.encode(), v) for k, v in mapping.items())
    pool = bytearray(); val = {}
    for k, v in keys:
        val[k] = len(pool); pool += v.encode() + b'\0'
    # byte trie
    trie = [{}]; term = [None]
    for k, _ in keys:
        n = 0
        for c in k:
            if c not in trie[n]:
                trie.append({}); term.append(None); trie[n][c] = len(trie) - 1
            n = trie[n][c]
        term[n] = val[k]
    units = {}; used = set()
    idx = [0] * len(trie)
    # place node n's children: find base with base^c free for all children (and base^0 if terminal)
    order = [0]; units[0] = 0; used.add(0); bases = set()   # as darts-clone: each base serves one node
    nxt = 1
    while order:
        n = order.pop(0)
        labels = sorted(trie[n]) + ([0] if term[n] is not None else [])
        base = nxt
        while True:
            if base not in bases and all((base ^ c) not in used for c in labels) and base ^ idx[n] < (1 << 21): break
            base += 1
        for c in labels: used.add(base ^ c)
        bases.add(base)
        off = idx[n] ^ base
        units[idx[n]] = (units[idx[n]] & ~(((1 << 22) - 1) << 10)) | (off << 10)
        if term[n] is not None:
            units[idx[n]] |= 1 << 8
            units[base] = (1 << 31) | term[n]
        for c in sorted(trie[n]):
            ch = trie[n][c]; idx[ch] = base ^ c; units[idx[ch]] = c
            order.append(ch)
        while nxt in used: nxt += 1
    size = max(units) + 1
    arr = [units.get(i, 0) for i in range(size)]
    blob = struct.pack('<I', 4 * size) + struct.pack('<%dI' % size, *arr) + bytes(pool)
    return base64.b64encode(blob).decode()
def nmt_like():
    m = {}
    for cp in list(range(0xA0, 0x250)) + list(range(0x2000, 0x2200)) + list(range(0x2460, 0x2500)) + \
              list(range(0x3000, 0x3100)) + list(range(0xFB00, 0xFB50)) + list(range(0xFF00, 0xFFF0)):
        c = chr(cp); n = unicodedata.normalize('NFKC', c)
        if n != c: m[c] = n
    for c in '\u200b\u200c\u200d\u2060\ufeff': m[c] = ''        # zero widths dropped
    for c in '\t\n\r\u000b\u000c': m[c] = ' '                     # control white space as a space
    m['e\u0301'] = '\u00e9'; m['a\u0300'] = '\u00e0'; m['n\u0303'] = '\u00f1'   # sequences
    m['\u1100\u1161'] = '\uac00'                                   # a Hangul jamo pair
    return m
if __name__ == '__main__':
    print(build(nmt_like()))
