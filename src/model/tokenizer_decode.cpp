// Decoding: token ids back to text bytes.
#include "knowscope/core/error.h"
#include "model/tokenizer_impl.h"
#include "model/unicode.h"

namespace knowscope {
namespace {

// Inverse of byte_to_codepoint: the byte for each code point below U+0144, or -1.
const std::array<int16_t, 0x144>& codepoint_to_byte() {
  static const std::array<int16_t, 0x144> table = [] {
    std::array<int16_t, 0x144> t;
    t.fill(-1);
    for (int b = 0; b < 256; ++b) t[byte_to_codepoint(static_cast<unsigned char>(b))] = int16_t(b);
    return t;
  }();
  return table;
}

}  // namespace

std::string BpeTokenizer::piece(int32_t id) const {
  const std::string& text = tokens[id];
  TokenKind kind = kinds[id];
  if (kind == TokenKind::Byte && !spec.byte_level && byte_tokens[0] >= 0) {
    // "<0xXX>"
    if (text.size() == 6 && text.compare(0, 3, "<0x") == 0 && text[5] == '>')
      return std::string(1, static_cast<char>(std::stoi(text.substr(3, 2), nullptr, 16)));
  }
  // llama.cpp renders control and user-defined tokens as they are; Hugging Face's decoders see
  // every token.
  if (kind != TokenKind::Normal && !spec.decode_all_tokens) return text;
  if (spec.byte_level) {
    // A token with a character outside the byte alphabet is kept as it is (as the `tokenizers`
    // ByteLevel decoder does).
    const auto& inverse = codepoint_to_byte();
    std::string out;
    size_t pos = 0;
    while (pos < text.size()) {
      uint32_t cp = decode_utf8(text, pos);
      if (cp >= inverse.size() || inverse[cp] < 0) return text;
      out += static_cast<char>(inverse[cp]);
    }
    return out;
  }
  if (spec.decode_metaspace && text.find("\xE2\x96\x81") != std::string::npos) {
    std::string out;
    for (size_t pos = 0; pos < text.size();) {
      if (text.compare(pos, 3, "\xE2\x96\x81") == 0) {
        out += ' ';
        pos += 3;
      } else {
        out += text[pos++];
      }
    }
    return out;
  }
  return text;
}

std::string BpeTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special) const {
  std::string out;
  bool strip = spec.decode_strip_space;
  for (int32_t id : ids) {
    if (id < 0 || id >= vocab_size())
      fail(source, "decode",
           "token id " + std::to_string(id) + " out of range [0, " + std::to_string(vocab_size()) +
               ")");
    if (skip_special && is_special(id)) continue;
    std::string p = piece(id);
    if (strip && !is_special(id)) {
      if (!p.empty() && p[0] == ' ') p.erase(0, 1);
      strip = false;
    }
    out += p;
  }
  return out;
}

}  // namespace knowscope
