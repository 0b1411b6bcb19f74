// node train.js kjv-val.txt OUT.json: HF UnigramTrainer (defaults: 8000 pieces at most) with NFKC and Metaspace
const t = require(process.env.HF_TOKENIZERS_JS || '@anush008/tokenizers');
const tok = new t.Tokenizer(t.Unigram.empty());
tok.setNormalizer(t.sequenceNormalizer([t.nfkcNormalizer()]));
tok.setPreTokenizer(t.metaspacePreTokenizer());
tok.train([process.argv[2]]);
tok.save(process.argv[3], false);
console.log(tok.getVocabSize());
