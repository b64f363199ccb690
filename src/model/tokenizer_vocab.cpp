// Vocabulary lookups: text -> id hash index, added-token trie, merge table, byte tables.
#include <algorithm>
#include <functional>

#include "knowscope/core/error.h"
#include "model/tokenizer_impl.h"
#include "model/unicode.h"

namespace knowscope {

uint32_t byte_to_codepoint(unsigned char b) {
  // GPT-2: printable Latin-1 bytes stand for themselves; the others are moved to U+0100 and up,
  // in byte order.
  auto printable = [](unsigned c) {
    return (c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF);
  };
  if (printable(b)) return b;
  uint32_t n = 0;
  for (unsigned c = 0; c < b; ++c)
    if (!printable(c)) ++n;
  return 0x100 + n;
}

// ---- TextIndex ----

void TextIndex::build(const std::vector<std::string>& texts, size_t count) {
  size_t cap = 16;
  while (cap < count * 2) cap *= 2;
  slots_.assign(cap, Slot{});
  keys_.assign(count, std::string_view{});
  used_ = 0;
  for (size_t i = 0; i < count; ++i)
    if (!texts[i].empty()) insert(texts[i], static_cast<int32_t>(i));
}

void TextIndex::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(std::max<size_t>(16, old.size() * 2), Slot{});
  size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.id < 0) continue;
    size_t i = s.hash & mask;
    while (slots_[i].id >= 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void TextIndex::insert(std::string_view text, int32_t id) {
  if ((used_ + 1) * 2 > slots_.size()) grow();
  if (static_cast<size_t>(id) >= keys_.size()) keys_.resize(id + 1);
  keys_[id] = text;
  uint64_t h = std::hash<std::string_view>{}(text);
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.id < 0) {
      s = Slot{h, id};
      ++used_;
      return;
    }
    if (s.hash == h && keys_[s.id] == text) {
      s.id = id;
      return;
    }
  }
}

int32_t TextIndex::find(std::string_view text) const {
  if (slots_.empty()) return -1;
  uint64_t h = std::hash<std::string_view>{}(text);
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.id < 0) return -1;
    if (s.hash == h && keys_[s.id] == text) return s.id;
  }
}

// ---- TokenTrie ----

void TokenTrie::build(const std::vector<AddedToken>& tokens, bool normalized_ones) {
  nodes_.assign(1, Node{});
  edges_.clear();
  for (size_t t = 0; t < tokens.size(); ++t) {
    if (tokens[t].normalized != normalized_ones || tokens[t].text.empty()) continue;
    int32_t node = 0;
    for (unsigned char c : tokens[t].text) {
      uint64_t key = (uint64_t(node) << 8) | c;
      auto it = edges_.find(key);
      if (it == edges_.end()) {
        nodes_.push_back(Node{});
        it = edges_.emplace(key, static_cast<int32_t>(nodes_.size() - 1)).first;
      }
      node = it->second;
    }
    nodes_[node].token = static_cast<int32_t>(t);
  }
}

// ---- BpeTokenizer: building ----

namespace {
uint64_t pair_key(int32_t a, int32_t b) {
  return (uint64_t(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}
}  // namespace

void BpeTokenizer::add_merge(std::string_view left, std::string_view right, int32_t rank) {
  // Texts that are not tokens get ids past the vocabulary: llama.cpp merges by text, so such a
  // merge can still fire and its result is then emitted byte by byte.
  auto id_of = [&](std::string_view text) {
    if (int32_t id = index.find(text); id >= 0) return id;
    merge_texts.emplace_back(text);
    int32_t id = static_cast<int32_t>(tokens.size() + merge_texts.size() - 1);
    index.insert(merge_texts.back(), id);
    return id;
  };
  int32_t l = id_of(left), r = id_of(right);
  std::string joined = std::string(left) + std::string(right);
  int32_t result = id_of(joined);
  merges.emplace(pair_key(l, r), Merge{rank, result});  // the first of duplicate merges wins
}

void BpeTokenizer::index_tokens() { index.build(tokens, tokens.size()); }

void BpeTokenizer::finish() {
  size_t n = tokens.size();
  if (scores.size() != n) scores.resize(n, 0.0f);
  if (kinds.size() != n) kinds.resize(n, TokenKind::Normal);
  // Byte tables.
  for (int b = 0; b < 256; ++b) {
    if (spec.byte_level) {
      byte_chars[b].clear();
      append_utf8(byte_chars[b], byte_to_codepoint(static_cast<unsigned char>(b)));
      byte_tokens[b] = index.find(byte_chars[b]);
    } else {
      static const char* hex = "0123456789ABCDEF";
      char name[7] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>', 0};
      byte_tokens[b] = index.find(name);
    }
  }
  raw_trie.build(added, false);
  normalized_trie.build(added, true);
}

// ---- BpeTokenizer: queries ----

std::string BpeTokenizer::token_text(int32_t id) const {
  if (id < 0 || id >= vocab_size())
    fail(source, "token id",
         std::to_string(id) + " out of range [0, " + std::to_string(vocab_size()) + ")");
  return tokens[id];
}

int32_t BpeTokenizer::token_id(std::string_view text) const {
  int32_t id = index.find(text);
  return id >= 0 && id < vocab_size() ? id : -1;
}

bool BpeTokenizer::is_special(int32_t id) const {
  if (id < 0 || id >= vocab_size()) return false;
  TokenKind k = kinds[id];
  return k == TokenKind::Control || k == TokenKind::Unknown || k == TokenKind::Unused;
}

}  // namespace knowscope
