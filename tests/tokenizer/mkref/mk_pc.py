# mk_pc.py UNIGRAM_T5.json CHARSMAP.b64 OUT.json: the T5 layout with a Precompiled charsmap first
import json, sys
tj = json.load(open(sys.argv[1]))
cm = open(sys.argv[2]).read().strip()
tj['normalizer'] = {"type": "Sequence", "normalizers": [{"type": "Precompiled", "precompiled_charsmap": cm},
                    {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]}
json.dump(tj, open(sys.argv[3], 'w'), ensure_ascii=False, separators=(',', ':'))
