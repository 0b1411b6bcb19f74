-- archspecs/lib/chat.lua: the chat formats venus recognizes in a model's
-- chat template (tokenizer_config.json chat_template, or GGUF
-- tokenizer.chat_template). A format is data the model binary's --chat mode
-- fills in: "{}" stands for the message text. Exports chat_formats and
-- chat_format(template) -> index of the recognized format, or nil.
--   bos            start the conversation with the tokenizer's BOS token
--   trim           strip whitespace around each message (the template does)
--   system         a system turn; or system_prefix: put the system text in
--                  front of the first user message
--   user           a user turn, followed by `assistant` (the reply's header)
--   assistant_end  what closes a reply before the next user turn
local chat_formats = {
  { name = "chatml", detect = { "<|im_start|>" },
    system = "<|im_start|>system\n{}<|im_end|>\n",
    user = "<|im_start|>user\n{}<|im_end|>\n",
    assistant = "<|im_start|>assistant\n", assistant_end = "<|im_end|>\n" },
  { name = "llama3", detect = { "<|start_header_id|>" }, bos = true, trim = true,
    system = "<|start_header_id|>system<|end_header_id|>\n\n{}<|eot_id|>",
    user = "<|start_header_id|>user<|end_header_id|>\n\n{}<|eot_id|>",
    assistant = "<|start_header_id|>assistant<|end_header_id|>\n\n", assistant_end = "<|eot_id|>" },
  { name = "gemma", detect = { "<start_of_turn>" }, bos = true, trim = true,
    system_prefix = "{}\n\n",
    user = "<start_of_turn>user\n{}<end_of_turn>\n",
    assistant = "<start_of_turn>model\n", assistant_end = "<end_of_turn>\n" },
  { name = "mistral", detect = { "[INST]" }, bos = true,
    system_prefix = "{}\n\n",
    user = "[INST] {} [/INST]", assistant = "", assistant_end = "</s>" },
}

local function chat_format(template)
  if type(template) ~= "string" then return nil end
  for i, f in ipairs(chat_formats) do
    for _, d in ipairs(f.detect) do
      if template:find(d, 1, true) then return i end
    end
  end
  return nil
end

return { chat_formats = chat_formats, chat_format = chat_format }
