#!/usr/bin/env python3
"""Write a small tokenizer.json (SentencePiece-style BPE with a Metaspace
pre-tokenizer, ids under 100) whose post-processor wraps a text in [CLS] ...
[SEP] as BERT's does, for the --embed checks of text input.
usage: embed_tok.py OUT.json"""
import json, sys

special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
pieces = ["\u2581"] + list("abcdefghijklmnopqrstuvwxyzAGL.,") + ["\u2581t", "he", "\u2581the", "\u2581a", "nd", "\u2581and"]
vocab = {t: i for i, t in enumerate(special + pieces)}
merges = ["\u2581 t", "h e", "\u2581t he", "\u2581 a", "n d", "\u2581a nd"]
tok = {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                      "normalized": False, "special": True} for t in special],
    "normalizer": None,
    "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
    "post_processor": {"type": "TemplateProcessing",
                       "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                  {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                       "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                       "special_tokens": {t: {"id": t, "ids": [vocab[t]], "tokens": [t]} for t in ("[CLS]", "[SEP]")}},
    "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
    "model": {"type": "BPE", "dropout": None, "unk_token": "[UNK]", "continuing_subword_prefix": None,
              "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": False, "ignore_merges": False,
              "vocab": vocab, "merges": merges},
}
json.dump(tok, open(sys.argv[1], "w"), indent=1, ensure_ascii=False)
