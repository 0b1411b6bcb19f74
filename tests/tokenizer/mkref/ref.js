// node ref.js tokenizer.json texts.json name sha256 > fixture.json
// reference ids from HF tokenizers (Rust, via @anush008/tokenizers 0.6.0 = tokenizers 0.22.2)
const { Tokenizer } = require(process.env.HF_TOKENIZERS_JS || '@anush008/tokenizers');
const fs = require('fs');
const [tjPath, textsPath, name, sha] = process.argv.slice(2);
const tok = Tokenizer.fromFile(tjPath);
const texts = JSON.parse(fs.readFileSync(textsPath, 'utf8'));
(async () => {
  const cases = [];
  for (const text of texts) {
    const e = await tok.encode(text, null, { addSpecialTokens: false });
    const es = await tok.encode(text, null, { addSpecialTokens: true });
    const ids = Array.from(e.getIds());
    const decoded = await tok.decode(ids, false);
    cases.push({ text, ids, ids_special: Array.from(es.getIds()), decoded });
  }
  process.stdout.write(JSON.stringify({ tokenizer: name, reference: 'HF tokenizers 0.22.2 (Rust, npm @anush008/tokenizers@0.6.0)', sha256: sha, cases }, null, 0) + '\n');
})().catch(e => { console.error(e); process.exit(1); });
