// The one tokenizer implementation behind tokenizer_from_gguf and tokenizer_from_hf. Every
// difference between Gemma's SentencePiece BPE and GPT-2 byte-level BPE (and between llama.cpp's
// and Hugging Face's rules) is data in TokenizerSpec, not a subclass.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "knowscope/model/tokenizer.h"

namespace knowscope {

// GGUF tokenizer.ggml.token_type values.
enum class TokenKind : uint8_t {
  Undefined = 0,
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

// How pairs of symbols are chosen for merging.
enum class MergeRule : uint8_t {
  Scores,  // SentencePiece (llama.cpp "llama"): the pair whose concatenation is the vocabulary
           // token with the highest score
  Ranks,   // BPE merges list (GGUF "gpt2", tokenizer.json "BPE"): the pair with the lowest rank
};

// How special/added tokens are found in the text.
enum class SpecialMatch : uint8_t {
  LongestFirst,     // llama.cpp: tokens by decreasing length, each splitting the remaining text
  LeftmostLongest,  // Hugging Face AddedVocabulary
};

// Pre-tokenizer patterns, written by hand after the regexes they stand for.
enum class Pattern : uint8_t {
  Gpt2,          // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  Llama3,        // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
                 //   ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  Qwen2,         // the same with \p{N} instead of \p{N}{1,3}
  EachNumber,    // \p{N}
  NumberRuns,    // \p{N}+
  PunctRuns,     // [\p{P}\$\+<=>\^~\|]+
  AsciiDigits3,  // [0-9][0-9][0-9]
  Literal,       // a fixed string
};

// What happens to the matches of a split pattern (Hugging Face SplitDelimiterBehavior).
enum class SplitBehavior : uint8_t {
  Isolated,
  Removed,
  MergedWithPrevious,
  MergedWithNext,
  Contiguous
};

struct PreSplit {
  Pattern pattern = Pattern::Gpt2;
  SplitBehavior behavior = SplitBehavior::Isolated;
  bool invert = false;
  std::string literal;  // Pattern::Literal
};

// Normalization steps applied to each piece of text between special tokens.
enum class NormKind : uint8_t {
  ValidUtf8,  // each byte of an invalid UTF-8 sequence becomes U+FFFD (llama.cpp's byte-level BPE)
  Nfc,
  Replace,        // every `from` by `to`
  Prepend,        // `to` before a non-empty piece
  PrependUnless,  // `to` before a non-empty piece that does not already start with `to`
  PrependFirst,   // `to` before the piece that starts the text, unless it starts with `to`
};
struct NormStep {
  NormKind kind = NormKind::Replace;
  std::string from, to;
};

struct TokenizerSpec {
  MergeRule merge_rule = MergeRule::Scores;
  bool byte_level = false;     // GPT-2 byte-to-unicode alphabet: the initial symbols are bytes
  bool byte_fallback = false;  // characters outside the vocabulary become <0xXX> tokens
  bool ignore_merges = false;  // a pre-token that is itself a token is not split
  bool fuse_unk = false;       // consecutive unknown characters give one <unk>
  SpecialMatch special_match = SpecialMatch::LongestFirst;
  std::vector<NormStep> normalize;
  std::vector<PreSplit> pre_split;
  bool decode_metaspace = false;    // decode turns U+2581 back into spaces
  bool decode_all_tokens = false;   // the decoder also applies to added/special tokens (HF)
  bool decode_strip_space = false;  // decode drops the space that a prefix normalizer added
};

// An added/special token that is matched in the text before normalization (or after it, when
// `normalized`).
struct AddedToken {
  int32_t id = -1;
  std::string text;     // as matched (normalized form when `normalized`)
  bool special = true;  // control token: ignored when parse_special is false
  bool normalized = false;
  bool lstrip = false, rstrip = false, single_word = false;
};

// Open-addressing hash from string to id; strings are views into storage that outlives the index.
class TextIndex {
 public:
  void build(const std::vector<std::string>& texts, size_t count);
  void insert(std::string_view text, int32_t id);  // later inserts win, as in llama.cpp
  int32_t find(std::string_view text) const;

 private:
  struct Slot {
    uint64_t hash = 0;
    int32_t id = -1;
  };
  std::vector<Slot> slots_;
  std::vector<std::string_view> keys_;  // by id
  size_t used_ = 0;
  void grow();
};

// Trie over added-token texts, for finding every occurrence in one pass.
class TokenTrie {
 public:
  void build(const std::vector<AddedToken>& tokens, bool normalized_ones);
  // Index (into the token list) of the longest token that starts at `pos`, or -1. `allowed`
  // filters.
  template <class Allowed>
  int longest_at(std::string_view text, size_t pos, const Allowed& allowed) const;
  bool empty() const { return nodes_.size() <= 1; }

 private:
  struct Node {
    int32_t token = -1;  // index into the token list that ends here
  };
  std::vector<Node> nodes_;
  std::unordered_map<uint64_t, int32_t> edges_;  // (node << 8 | byte) -> child
  friend class BpeTokenizer;
};

template <class Allowed>
int TokenTrie::longest_at(std::string_view text, size_t pos, const Allowed& allowed) const {
  int best = -1;
  int32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    auto it = edges_.find((uint64_t(node) << 8) | static_cast<unsigned char>(text[i]));
    if (it == edges_.end()) break;
    node = it->second;
    if (nodes_[node].token >= 0 && allowed(nodes_[node].token)) best = nodes_[node].token;
  }
  return best;
}

// Text after normalization, with the source byte range of every byte.
struct Normalized {
  std::string text;
  std::vector<uint32_t> lo, hi;
  // Appends text that replaces input bytes [l, h): its first byte covers them all, the others
  // cover nothing, so that tokens splitting it get ordered, non-overlapping spans.
  void push(std::string_view s, uint32_t l, uint32_t h) {
    for (size_t i = 0; i < s.size(); ++i) {
      text += s[i];
      lo.push_back(i == 0 ? l : h);
      hi.push_back(h);
    }
  }
};

class BpeTokenizer final : public Tokenizer {
 public:
  TokenizerSpec spec;
  std::string source;  // file name, for error messages
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<TokenKind> kinds;
  TextIndex index;  // text -> id, over tokens and then merge_texts
  // Merge table (MergeRule::Ranks): (left id, right id) -> rank and result id. Result ids past the
  // vocabulary name texts in merge_texts that are not tokens (llama.cpp still merges them).
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  std::unordered_map<uint64_t, Merge> merges;
  std::deque<std::string> merge_texts;      // deque: the index holds views into it
  std::array<int32_t, 256> byte_tokens{};   // byte-level: id of each byte's character; else <0xXX>
  std::array<std::string, 256> byte_chars;  // byte-level alphabet: UTF-8 of each byte's character
  std::vector<AddedToken> added;            // matched in the text before the model runs
  TokenTrie raw_trie, normalized_trie;

  // Tokenizer
  std::vector<TokenSpan> encode_spans(std::string_view text,
                                      const EncodeOptions& opt = {}) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special = false) const override;
  std::string token_text(int32_t id) const override;
  int32_t vocab_size() const override { return static_cast<int32_t>(tokens.size()); }
  int32_t token_id(std::string_view text) const override;
  bool is_special(int32_t id) const override;

  // Loading: set tokens, call index_tokens(), add merges, set spec/kinds/scores/added, finish().
  void index_tokens();
  void add_merge(std::string_view left, std::string_view right, int32_t rank);
  void finish();

  // Pieces of encoding, exposed for tests.
  Normalized normalize(std::string_view text, size_t begin, size_t end) const;
  // Word boundaries (byte offsets in `text`, pairs [begin, end)).
  std::vector<std::pair<uint32_t, uint32_t>> pre_split(std::string_view text) const;

 private:
  struct Fragment {
    size_t begin, end;
    int32_t id;  // -1: raw text
  };
  std::vector<Fragment> split_special(std::string_view text, bool parse_special) const;
  void encode_raw(std::string_view text, size_t begin, size_t end,
                  std::vector<TokenSpan>& out) const;
  void encode_normalized(const Normalized& n, size_t begin, size_t end,
                         std::vector<TokenSpan>& out) const;
  void encode_word(const Normalized& n, uint32_t begin, uint32_t end,
                   std::vector<TokenSpan>& out) const;
  void push_bytes(const Normalized& n, uint32_t begin, uint32_t end,
                  std::vector<TokenSpan>& out) const;
  std::string piece(int32_t id) const;  // decoded bytes of one token
};

// GPT-2's byte-to-unicode table: the code point that stands for each byte.
uint32_t byte_to_codepoint(unsigned char b);

}  // namespace knowscope
