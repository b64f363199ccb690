// Chat formats, each a transcription of its model's jinja template (sources in
// tools/make_tokenizer_fixtures.py, which checks them against jinja2 renderings).
#include "knowscope/model/chat_template.h"

#include "knowscope/core/error.h"
#include "model/unicode.h"

namespace knowscope {
namespace {

const char* kQwenSystem = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
const char* kSmolSystem = "You are a helpful AI assistant named SmolLM, trained by Hugging Face";

// jinja's `trim` filter: Python str.strip(), whose whitespace is White_Space plus U+001C..U+001F.
std::string trim(const std::string& s) {
  auto space = [](uint32_t cp) {
    return (char_flags(cp) & kWhitespace) || (cp >= 0x1C && cp <= 0x1F);
  };
  size_t begin = 0, end = s.size();
  while (begin < end) {
    size_t p = begin;
    if (!space(decode_utf8(s, p))) break;
    begin = p;
  }
  while (end > begin) {
    size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    size_t p = start;
    if (!space(decode_utf8(s, p)) || p != end) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

void chatml_turn(std::string& out, const std::string& role, const std::string& content) {
  out += "<|im_start|>" + role + "\n" + content + "<|im_end|>\n";
}

std::string gemma(const std::vector<ChatMessage>& messages, bool gen) {
  if (messages.empty())
    fail("chat template", "gemma", "no messages (the template reads the first message)");
  std::string out = "<bos>";
  size_t first = 0;
  std::string prefix;
  if (messages[0].role == "system") {
    prefix = messages[0].content + "\n\n";
    first = 1;
  }
  for (size_t i = first; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    size_t k = i - first;
    if ((m.role == "user") != (k % 2 == 0))
      fail("chat template", "gemma",
           "Conversation roles must alternate user/assistant/user/assistant/...");
    std::string role = m.role == "assistant" ? "model" : m.role;
    out += "<start_of_turn>" + role + "\n" + (k == 0 ? prefix : "") + trim(m.content) +
           "<end_of_turn>\n";
  }
  if (gen) out += "<start_of_turn>model\n";
  return out;
}

std::string qwen2(const std::vector<ChatMessage>& messages, bool gen) {
  if (messages.empty())
    fail("chat template", "qwen2", "no messages (the template reads the first message)");
  std::string out;
  if (!messages.empty() && messages[0].role == "system")
    chatml_turn(out, "system", messages[0].content);
  else
    chatml_turn(out, "system", kQwenSystem);
  for (size_t i = 0; i < messages.size(); ++i) {
    if (i == 0 && messages[i].role == "system") continue;  // already written
    chatml_turn(out, messages[i].role, messages[i].content);
  }
  if (gen) out += "<|im_start|>assistant\n";
  return out;
}

std::string chatml(const std::vector<ChatMessage>& messages, bool gen, const char* default_system) {
  std::string out;
  for (size_t i = 0; i < messages.size(); ++i) {
    if (i == 0 && default_system && messages[0].role != "system")
      chatml_turn(out, "system", default_system);
    chatml_turn(out, messages[i].role, messages[i].content);
  }
  if (gen) out += "<|im_start|>assistant\n";
  return out;
}

std::string llama3(const std::vector<ChatMessage>& messages, bool gen) {
  std::string out;
  for (size_t i = 0; i < messages.size(); ++i) {
    if (i == 0) out += "<|begin_of_text|>";
    out += "<|start_header_id|>" + messages[i].role + "<|end_header_id|>\n\n" +
           trim(messages[i].content) + "<|eot_id|>";
  }
  if (gen) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

}  // namespace

std::string apply_chat_template(ChatFormat format, const std::vector<ChatMessage>& messages,
                                bool add_generation_prompt) {
  switch (format) {
    case ChatFormat::Gemma:
      return gemma(messages, add_generation_prompt);
    case ChatFormat::Qwen2:
      return qwen2(messages, add_generation_prompt);
    case ChatFormat::SmolLM2:
      return chatml(messages, add_generation_prompt, kSmolSystem);
    case ChatFormat::ChatML:
      return chatml(messages, add_generation_prompt, nullptr);
    case ChatFormat::Llama3:
      return llama3(messages, add_generation_prompt);
  }
  fail("chat template", "", "unknown format");
}

bool chat_format_has_bos(ChatFormat format) {
  return format == ChatFormat::Gemma || format == ChatFormat::Llama3;
}

std::optional<ChatFormat> detect_chat_format(std::string_view tpl, std::string_view arch) {
  auto has = [&](const char* s) { return tpl.find(s) != std::string_view::npos; };
  if (!tpl.empty()) {
    if (has("<start_of_turn>")) return ChatFormat::Gemma;
    if (has("<|start_header_id|>")) return ChatFormat::Llama3;
    if (has("<|im_start|>")) {
      if (has("You are Qwen")) return ChatFormat::Qwen2;
      if (has("SmolLM")) return ChatFormat::SmolLM2;
      return ChatFormat::ChatML;
    }
    return std::nullopt;
  }
  if (arch.substr(0, 5) == "gemma") return ChatFormat::Gemma;
  if (arch == "qwen2") return ChatFormat::Qwen2;
  return std::nullopt;
}

const char* chat_format_name(ChatFormat format) {
  switch (format) {
    case ChatFormat::Gemma:
      return "gemma";
    case ChatFormat::ChatML:
      return "chatml";
    case ChatFormat::Qwen2:
      return "qwen2";
    case ChatFormat::SmolLM2:
      return "smollm2";
    case ChatFormat::Llama3:
      return "llama3";
  }
  return "?";
}

std::optional<ChatFormat> chat_format_from_name(std::string_view name) {
  for (ChatFormat f : {ChatFormat::Gemma, ChatFormat::ChatML, ChatFormat::Qwen2,
                       ChatFormat::SmolLM2, ChatFormat::Llama3})
    if (name == chat_format_name(f)) return f;
  return std::nullopt;
}

}  // namespace knowscope
