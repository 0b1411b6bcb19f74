# mk_dsllm.py SRC.gguf OUT.json: a tokenizer.json in deepseek-llm's layout (its pre-tokenizer) on the
# vocabulary and merges of a byte-level BPE GGUF file; user-defined tokens as non-special added tokens
import json, sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_tokens as g
m = g.read(sys.argv[1])
toks, types, merges = m['tokenizer.ggml.tokens'], m['tokenizer.ggml.token_type'], m['tokenizer.ggml.merges']
L = open(os.environ.get('PRETOK_LUA', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'archspecs', 'lib', 'pretok.lua')),
         encoding='utf-8').read()
import re
def lua(name):
    j = L.index('local ' + name + ' = ')
    body = L[j:L.index('\n\n', j)] if name == 'DS_LETTERS' else L[j:L.index('\n', j)]
    if name == 'DS_LETTERS': body = body[:body.index('local DS_PUNCT')]
    s = ''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', body))
    return re.sub(r'\\u\{([0-9A-F]+)\}', lambda mm: chr(int(mm.group(1), 16)), s).replace('\\\\', '\\')
split = lambda r: {"type": "Split", "pattern": {"Regex": r}, "behavior": "Isolated", "invert": False}
cjk = "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+"
tj = {"version": "1.0", "truncation": None, "padding": None,
      "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                        "normalized": True, "special": False} for i, t in enumerate(toks) if types[i] == 4],
      "normalizer": {"type": "Sequence", "normalizers": []},
      "pre_tokenizer": {"type": "Sequence", "pretokenizers": [split("[\r\n]"), split(lua('DS_LETTERS')), split(lua('DS_PUNCT')),
                                                              split("\\s+$"), split(cjk), split("\\p{N}+"),
                                                              {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
      "post_processor": None, "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
      "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None, "end_of_word_suffix": None,
                "fuse_unk": False, "byte_fallback": False, "vocab": {t: i for i, t in enumerate(toks) if types[i] != 4 and types[i] != 3},
                "merges": merges}}
json.dump(tj, open(sys.argv[2], 'w'), ensure_ascii=False)
