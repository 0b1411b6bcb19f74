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
local pre = {
  default = bytelevel, ["gpt-2"] = bytelevel, gpt2 = bytelevel, mpt = bytelevel, olmo = bytelevel,
  jais = bytelevel, trillion = bytelevel,
  ["llama-bpe"] = cl100k, llama3 = cl100k, ["llama-v3"] = cl100k, dbrx = cl100k, ["smaug-bpe"] = cl100k,
  qwen2 = { split = "cl100k_n1", nfc = true },
  starcoder = digits_then_bytelevel, refact = digits_then_bytelevel, ["command-r"] = digits_then_bytelevel,
  smollm = digits_then_bytelevel, codeshell = digits_then_bytelevel, exaone = digits_then_bytelevel,
  minerva = digits_then_bytelevel,
  ["deepseek-coder"] = { regex = { "[\r\n]", [[\s?\p{L}+]], [[\s?\p{P}+]], CJK, [[\p{N}]] } },
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
