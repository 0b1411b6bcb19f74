# builds the BERT tokenizer.json files (HF BertTokenizerFast layout) from the
# bert-bge vocabulary of llama.cpp's suite (the real bge/bert-base-uncased vocab)
import json, sys
import gguf_tokens as g
m = g.read(sys.argv[2])  # ggml-vocab-bert-bge.gguf (llama.cpp's models/)
toks = m['tokenizer.ggml.tokens']
vocab = []
for t in toks:
    if t.startswith('[') and t.endswith(']'): vocab.append(t)
    elif t.startswith('\u2581'): vocab.append(t[1:])
    else: vocab.append('##' + t)
def added(i, c):
    return {"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": True}
def tok(vocab, norm, maxc=100, decoder_cleanup=True, post=True):
    v = {t: i for i, t in enumerate(vocab)}
    return {"version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [added(v[c], c) for c in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]") if c in v],
            "normalizer": norm,
            "pre_tokenizer": {"type": "BertPreTokenizer"},
            "post_processor": {"type": "TemplateProcessing",
                               "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                          {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                               "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                        {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                                        {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
                               "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [v["[CLS]"]], "tokens": ["[CLS]"]},
                                                  "[SEP]": {"id": "[SEP]", "ids": [v["[SEP]"]], "tokens": ["[SEP]"]}}}
                              if post else {"type": "BertProcessing", "sep": ["[SEP]", v["[SEP]"]], "cls": ["[CLS]", v["[CLS]"]]},
            "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": decoder_cleanup},
            "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                      "max_input_chars_per_word": maxc, "vocab": v}}
out = sys.argv[1]
json.dump(tok(vocab, {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                      "strip_accents": None, "lowercase": True}),
          open(out + '/bert-uncased.json', 'w'), ensure_ascii=False, separators=(',', ':'))
# a cased variant on the first 6000 pieces: no lowercasing, accents stripped,
# CJK not padded, clean_text off, words over 12 characters unk, no cleanup
json.dump(tok(vocab[:6000], {"type": "BertNormalizer", "clean_text": False, "handle_chinese_chars": False,
                             "strip_accents": True, "lowercase": False}, maxc=12, decoder_cleanup=False, post=False),
          open(out + '/bert-cased.json', 'w'), ensure_ascii=False, separators=(',', ':'))
