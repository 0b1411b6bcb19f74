#!/usr/bin/env python3
"""Writes the split-regex cases tests/tokenizer/regex.c checks venus's matcher
against (tests/tokenizer/regex_cases.json). The answers come from the
third-party `regex` module (PCRE-like, Unicode properties, leftmost-first), with
MULTILINE for Oniguruma's ^ and $; the test itself needs only the JSON.
usage: python3 tests/tokenizer/regex_cases.py tests/tokenizer/regex_cases.json"""
import regex, json, random, sys
random.seed(1)
pats = [
 r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)",
 r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
 r"[\p{P}\$\+<=>\^~\|`]+", r"[0-9][0-9][0-9]", r"\p{N}", r"[\r\n]", r"\s?\p{L}+", r"\s?\p{P}+",
 "[一-龥ࠀ-一가-퟿]+", r"\p{N}+", r"\s+$",
 r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
 r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)",
 r"a*", r"(a|ab)(c|bcd)(d*)", r"x*y+?z", r"(a*)*b", r"(a|a)*c", r"\w+|\s+", r"[^a-c]{2,4}", r"\d+(?=\s)", r"colou?r",
 r"(?i)hello|WORLD", r"[\u00c0-\u00ff]+", r"\x41\u263a", r"^\s*\S", r".+?e",
]
alpha = list("aAbBcdexyz XYZ'sStTmMlLdDrReEvV \t\n\r0123456789½٣!?.,;:-_()[]$+<=>^~|`\"") + ["é","É","ſ","K","世","界","가","😀","\u200d","\u0301","ß","Ж","ж"," "]
texts = ["Hello world", " Hello, y'all! How are you 😁 ?我想在apple工作1314151天～", "  \n\n  x", "I've been 'told he's there, 'RE you sure?", "3333333 3.3 3..3", "aaaaab", "abcd", "xyyyz", "colour color", "hello WORLD Hello", "a   "]
for _ in range(60):
    texts.append("".join(random.choice(alpha) for _ in range(random.randint(0, 30))))
cases = []
for p in pats:
    for t in texts:
        spans = []
        for m in regex.finditer(p, t, regex.MULTILINE):
            if m.end() > m.start():
                spans.append([len(t[:m.start()].encode()), len(t[:m.end()].encode())])
        cases.append({"re": p, "text": t, "spans": spans})
for p, e in [(r"(a)\1", "backreferences"), (r"(?<=a)b", "lookbehind"), (r"a{2000}", "out of range"), (r"\bfoo", "not supported"),
             (r"((((((((((((((((((a))))))))))))))))))", "nested"), (r"(a", "missing )"), (r"[a", "unterminated"), (r"a++", "possessive"),
             (r"\p{Greek}", "property"), ("(" * 10 + "a{1000}" + ")" * 10 + "{1000}", "exceeds"), (r"(?!ab)", "one character")]:
    cases.append({"re": p, "error": e})
json.dump(cases, open(sys.argv[1], "w"), ensure_ascii=False)
print(len(cases))
