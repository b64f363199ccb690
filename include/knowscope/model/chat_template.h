// Chat templates as plain formatting code (no jinja engine): the formats of Gemma, ChatML/Qwen2,
// SmolLM2 and Llama 3, written to match what jinja2 renders from each model's own template.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace knowscope {

enum class ChatFormat {
  Gemma,    // <start_of_turn>user\n...<end_of_turn>\n; system folded into the first user turn
  ChatML,   // <|im_start|>role\n...<|im_end|>\n, no default system prompt
  Qwen2,    // ChatML with Qwen2.5's default system prompt
  SmolLM2,  // ChatML with SmolLM2's default system prompt
  Llama3,   // <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>
};

struct ChatMessage {
  std::string role;  // "system", "user" or "assistant"
  std::string content;
};

// The prompt text. Gemma and Llama 3 start with the BOS marker as text ("<bos>",
// "<|begin_of_text|>"), as their templates do: tokenize it with parse_special and add_bos = false.
// Throws Error where the model's template raises (Gemma: roles that do not alternate
// user/assistant after an optional system message).
std::string apply_chat_template(ChatFormat format, const std::vector<ChatMessage>& messages,
                                bool add_generation_prompt);

// True when the formatted text starts with the BOS marker.
bool chat_format_has_bos(ChatFormat format);

// The format of a jinja chat template (from GGUF tokenizer.chat_template or tokenizer_config.json),
// or, when the template is empty, the format of the architecture ("gemma3", "gemma2", "qwen2").
std::optional<ChatFormat> detect_chat_format(std::string_view template_text, std::string_view arch);

const char* chat_format_name(ChatFormat format);
std::optional<ChatFormat> chat_format_from_name(std::string_view name);  // "gemma", "chatml", ...

}  // namespace knowscope
