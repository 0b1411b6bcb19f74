# mk_unigram.py TRAINED.json OUT_DIR: Unigram tokenizer.json files in the layouts of T5, ALBERT and
# a byte-fallback SentencePiece model, on a vocabulary HF's UnigramTrainer learned from kjv-val.txt
import json, sys
tr = json.load(open(sys.argv[1]))
pieces = [p for p in tr['model']['vocab']]
out = sys.argv[2]
def added(i, c, special=True):
    return {"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": special}
ms = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}
def save(name, tj): json.dump(tj, open('%s/%s.json' % (out, name), 'w'), ensure_ascii=False, separators=(',', ':'))
# T5: <pad> </s> <unk> first, NFKC (T5 has Precompiled: nmt_nfkc), runs of spaces to one,
# WhitespaceSplit + Metaspace, "$A </s>", Metaspace decoder
v = [["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]] + pieces
save('unigram-t5', {"version": "1.0", "truncation": None, "padding": None,
      "added_tokens": [added(0, "<pad>"), added(1, "</s>"), added(2, "<unk>")],
      "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"},
                     {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
      "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, ms]},
      "post_processor": {"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                         "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                                  {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                         "special_tokens": {"</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}}},
      "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
      "model": {"type": "Unigram", "unk_id": 2, "vocab": v, "byte_fallback": False}})
# ALBERT: <pad> <unk> [CLS] [SEP] [MASK]; `` and '' to ", NFKD, StripAccents, Lowercase
v = [["<pad>", 0.0], ["<unk>", 0.0], ["[CLS]", 0.0], ["[SEP]", 0.0], ["[MASK]", 0.0]] + \
    [[p, s] for p, s in pieces if p == p.lower()]
save('unigram-albert', {"version": "1.0", "truncation": None, "padding": None,
      "added_tokens": [added(0, "<pad>"), added(1, "<unk>"), added(2, "[CLS]"), added(3, "[SEP]"), added(4, "[MASK]")],
      "normalizer": {"type": "Sequence", "normalizers": [
          {"type": "Replace", "pattern": {"String": "``"}, "content": "\""},
          {"type": "Replace", "pattern": {"String": "''"}, "content": "\""},
          {"type": "NFKD"}, {"type": "StripAccents"}, {"type": "Lowercase"},
          {"type": "Strip", "strip_left": True, "strip_right": True}]},
      "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, ms]},
      "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                         {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                         "pair": [], "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                                                        "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}},
      "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
      "model": {"type": "Unigram", "unk_id": 1, "vocab": v, "byte_fallback": False}})
# SentencePiece with byte fallback (Llama-style pipeline on a Unigram model): <unk> <s> </s>, 256 byte
# pieces, NFC, Prepend + Replace, no pre-tokenizer, decoder Replace/ByteFallback/Fuse/Strip
v = [["<unk>", 0.0], ["<s>", 0.0], ["</s>", 0.0]] + [["<0x%02X>" % b, 0.0] for b in range(256)] + \
    [[p.replace(' ', '\u2581'), s] for p, s in pieces]
save('unigram-bytefb', {"version": "1.0", "truncation": None, "padding": None,
      "added_tokens": [added(0, "<unk>"), added(1, "<s>"), added(2, "</s>")],
      "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Prepend", "prepend": "\u2581"},
                     {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
      "pre_tokenizer": None,
      "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                         {"Sequence": {"id": "A", "type_id": 0}}], "pair": [],
                         "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
      "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                  {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
      "model": {"type": "Unigram", "unk_id": 0, "vocab": v, "byte_fallback": True}})
