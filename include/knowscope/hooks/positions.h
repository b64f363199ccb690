// Which token positions of a prompt to read: all, the last, an explicit list (negative = from the
// end), or the last token of a substring (e.g. the entity name).
//
// Two rules find a substring's last token; they agree on ordinary text:
//  - ByteOffsets (default): the first occurrence of the substring in the prompt text, then the
//    token whose byte span (TokenSpan from the tokenizer) covers its last byte. Exact for any
//    text the tokenizer saw, O(tokens).
//  - PaperDecode: the paper's find_string_in_tokens (paper-method.md 2.1): the smallest `end` such
//    that decode(tokens[:end]) contains the substring; the position is end - 1 (and `begin` the
//    largest s with decode(tokens[s:end]) still containing it). Works from token ids alone, O(T^2)
//    decodes. It differs where decoding does not give back the text: a normaliser's inserted
//    prefix space or NFC, special tokens whose rendering contains the substring while the text
//    does not, or a substring ending inside a multi-byte character split over byte-fallback tokens.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "knowscope/model/tokenizer.h"

namespace knowscope {

struct PositionSpec {
  enum class Kind { All, Last, List, Substring };
  Kind kind = Kind::Last;
  std::vector<int64_t> list;  // List: positions, negative counting from the end (-1 = last)
  std::string substring;      // Substring: text whose last token is selected
};

// "all", "last", "0,3,-1", "substring:TEXT". Throws Error saying the valid forms.
PositionSpec parse_position_spec(const std::string& text);
std::string position_spec_str(const PositionSpec& spec);

enum class SubstringRule { ByteOffsets, PaperDecode };

struct TokenSlice {
  int64_t begin = 0, end = 0;  // tokens [begin, end); the last token is end - 1
};

// ByteOffsets rule; nullopt when the substring is not in the text or no token covers it.
std::optional<TokenSlice> substring_tokens_by_bytes(const std::vector<TokenSpan>& spans,
                                                    std::string_view text,
                                                    std::string_view substring);
// PaperDecode rule (find_string_in_tokens); nullopt when no prefix decodes to contain it.
std::optional<TokenSlice> substring_tokens_by_decode(const Tokenizer& tok,
                                                     const std::vector<int32_t>& ids,
                                                     std::string_view substring);

// Resolves a spec to ascending, distinct positions in [0, n_tokens). Substring needs `text` and
// `spans` (ByteOffsets) or `tok` and `ids` (PaperDecode). `where` names the prompt in errors
// (position out of range, substring not found).
struct PositionContext {
  int64_t n_tokens = 0;
  std::string_view text;
  const std::vector<TokenSpan>* spans = nullptr;
  const std::vector<int32_t>* ids = nullptr;
  const Tokenizer* tok = nullptr;
  SubstringRule rule = SubstringRule::ByteOffsets;
};
std::vector<int64_t> resolve_positions(const PositionSpec& spec, const PositionContext& ctx,
                                       const std::string& where);

}  // namespace knowscope
