-- archspecs/lib/pretok.lua: the tokenizers of GGUF files, as data. llama.cpp's
-- converter names the algorithm (tokenizer.ggml.model) and the family's
-- pre-tokenizer (tokenizer.ggml.pre); gguf_tokenizer(meta) maps them onto what
-- the tokenizer compiler (tok/gguf_tok.c) builds:
--   model  "byte_bpe" (byte-level BPE), "spm_bpe" (SentencePiece BPE, merges
--          from the scores) or "wordpiece" (BERT)
--   regex  patterns, each splitting every piece in turn (matches and the text
--          between them become pieces); venusc compiles them for the runtime
--   split  "bytelevel" (then GPT-2's ByteLevel regex), "cl100k" or
--          "cl100k_n1" (the hand-written matchers of runtime/tokenizer.c)
--   nfc, ignore_merges  booleans
-- The patterns are the ones each family's tokenizer.json splits with.

local GPT2 = [['s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)]]
local CJK = "[\u{4E00}-\u{9FA5}\u{0800}-\u{4E00}\u{AC00}-\u{D7FF}]+"

local models = { gpt2 = "byte_bpe", llama = "spm_bpe", bert = "wordpiece" }

local bytelevel = { split = "bytelevel" }
local cl100k = { split = "cl100k", ignore_merges = true }
local digits_then_bytelevel = { regex = { [[\p{N}]] }, split = "bytelevel" }
-- deepseek-llm's tokenizer.json: newlines alone; a space and a run of Latin, Greek,
-- Cyrillic, Armenian, Georgian, Cherokee and other cased letters (its list of
-- ranges); a space and a run of ASCII / fullwidth punctuation, quotes and CJK
-- marks; white space at the end of a piece; CJK and Hangul; digits.
local DS_LETTERS = "\\s?[A-Za-z\u{B5}\u{C0}-\u{D6}\u{D8}-\u{F6}\u{F8}-\u{1BA}\u{1BC}-\u{1BF}\u{1C4}-\u{293}" ..
  "\u{295}-\u{2AF}\u{370}-\u{373}\u{376}\u{377}\u{37B}-\u{37D}\u{37F}\u{386}\u{388}-\u{38A}\u{38C}" ..
  "\u{38E}-\u{3A1}\u{3A3}-\u{3F5}\u{3F7}-\u{481}\u{48A}-\u{52F}\u{531}-\u{556}\u{10A0}-\u{10C5}" ..
  "\u{13A0}-\u{13F5}\u{13F8}-\u{13FD}\u{1C90}-\u{1CBA}\u{1CBD}-\u{1CBF}\u{1D00}-\u{1D2B}\u{1D6B}-\u{1D77}" ..
  "\u{1D79}-\u{1D9A}\u{1E00}-\u{1F15}\u{1F18}-\u{1F1D}\u{1F20}-\u{1F45}\u{1F48}-\u{1F4D}\u{1F50}-\u{1F57}" ..
  "\u{1F59}\u{1F5B}\u{1F5D}\u{1F5F}-\u{1F7D}\u{1F80}-\u{1FB4}\u{1FB6}-\u{1FBC}\u{1FBE}\u{1FC2}-\u{1FC4}" ..
  "\u{1FC6}-\u{1FCC}\u{1FD0}-\u{1FD3}\u{1FD6}-\u{1FDB}\u{1FE0}-\u{1FEC}\u{1FF2}-\u{1FF4}\u{1FF6}-\u{1FFC}" ..
  "\u{2102}\u{2107}\u{210A}-\u{2113}\u{2115}\u{2119}-\u{211D}\u{2124}\u{2126}\u{2128}\u{212A}-\u{212D}" ..
  "\u{212F}-\u{2134}\u{2139}\u{213C}-\u{213F}\u{2145}-\u{2149}\u{214E}\u{2183}\u{2184}\u{2C00}-\u{2C7B}" ..
  "\u{2C7E}-\u{2CE4}\u{2CEB}-\u{2CEE}\u{2CF2}\u{2CF3}\u{A640}-\u{A66D}\u{A680}-\u{A69B}\u{A722}-\u{A76F}" ..
  "\u{A771}-\u{A787}\u{A78B}-\u{A78E}\u{AB70}-\u{ABBF}\u{FB00}-\u{FB06}\u{FB13}-\u{FB17}\u{FF21}-\u{FF3A}" ..
  "\u{FF41}-\u{FF5A}\u{10400}-\u{1044F}\u{104B0}-\u{104D3}\u{104D8}-\u{104FB}\u{10C80}-\u{10CB2}" ..
  "\u{10CC0}-\u{10CF2}\u{118A0}-\u{118DF}\u{1E900}-\u{1E943}]+"
local DS_PUNCT = "\\s?[!-/:-~\u{FF01}-\u{FF0F}\u{FF1A}-\u{FF5E}\u{2018}-\u{201F}\u{3000}-\u{3002}]+"

local pre = {
  default = bytelevel, ["gpt-2"] = bytelevel, gpt2 = bytelevel, mpt = bytelevel, olmo = bytelevel,
  jais = bytelevel, trillion = bytelevel,
  ["llama-bpe"] = cl100k, llama3 = cl100k, ["llama-v3"] = cl100k, dbrx = cl100k, ["smaug-bpe"] = cl100k,
  qwen2 = { split = "cl100k_n1", nfc = true },
  starcoder = digits_then_bytelevel, refact = digits_then_bytelevel, ["command-r"] = digits_then_bytelevel,
  smollm = digits_then_bytelevel, codeshell = digits_then_bytelevel, exaone = digits_then_bytelevel,
  minerva = digits_then_bytelevel,
  ["deepseek-coder"] = { regex = { "[\r\n]", [[\s?\p{L}+]], [[\s?\p{P}+]], CJK, [[\p{N}]] } },
  ["deepseek-llm"] = { regex = { "[\r\n]", DS_LETTERS, DS_PUNCT, [[\s+$]], CJK, [[\p{N}+]] } },
  falcon = { regex = { [[[\p{P}\$\+<=>\^~\|`]+]], GPT2, "[0-9][0-9][0-9]" } },
}

-- WordPiece (tokenizer.ggml.model "bert"): BertNormalizer (clean text, CJK
-- characters as words, accents stripped, lowercase), BertPreTokenizer; word
-- pieces are stored with "▁" before a word's first piece.
local wordpiece = { model = "wordpiece", word_prefix = "\u{2581}", continuing_prefix = "", max_chars = 100,
                    normalizer = { clean = true, chinese = true, strip_accents = true, lowercase = true } }

local function gguf_tokenizer(meta, file)
  local m = meta["tokenizer.ggml.model"]
  if m == nil then return nil end
  local model = models[m]
  if not model then
    error(file .. ": tokenizer model '" .. tostring(m) .. "' is not supported (gpt2, llama and bert are)", 0)
  end
  if model == "wordpiece" then return wordpiece end
  local t = { model = model }
  if model == "byte_bpe" then
    local name = meta["tokenizer.ggml.pre"] or "default"
    local p = pre[name]
    if not p then error(file .. ": pre-tokenizer '" .. tostring(name) .. "' is not supported", 0) end
    t.split, t.regex, t.nfc, t.ignore_merges = p.split, p.regex, p.nfc or false, p.ignore_merges or false
  end
  return t
end

return { gguf_tokenizer = gguf_tokenizer }
