// Finding special and added tokens ("<start_of_turn>", "<|im_start|>", Gemma's whitespace runs) in
// the text before the model sees it.
#include <algorithm>

#include "model/tokenizer_impl.h"
#include "model/unicode.h"

namespace knowscope {
namespace {

bool is_space_byte(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Rust's char::is_whitespace (the White_Space property), used by Hugging Face lstrip/rstrip.
size_t whitespace_before(std::string_view text, size_t floor, size_t pos) {
  while (pos > floor) {
    size_t start = pos - 1;
    while (start > floor && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    size_t p = start;
    if (!(char_flags(decode_utf8(text, p)) & kWhitespace)) break;
    pos = start;
  }
  return pos;
}

size_t whitespace_after(std::string_view text, size_t pos) {
  while (pos < text.size()) {
    size_t p = pos;
    if (!(char_flags(decode_utf8(text, p)) & kWhitespace)) break;
    pos = p;
  }
  return pos;
}

size_t char_start_before(std::string_view text, size_t pos) {
  size_t start = pos - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  return start;
}

bool is_word_char(std::string_view text, size_t pos) {
  size_t p = pos;
  uint32_t cp = decode_utf8(text, p);
  return (char_flags(cp) & (kLetter | kNumber)) || cp == '_';
}

}  // namespace

std::vector<BpeTokenizer::Fragment> BpeTokenizer::split_special(std::string_view text,
                                                                bool parse_special) const {
  std::vector<Fragment> frags;
  if (text.empty()) return frags;
  auto allowed = [&](int t) { return parse_special || !added[t].special; };
  if (raw_trie.empty()) {
    frags.push_back({0, text.size(), -1});
    return frags;
  }

  if (spec.special_match == SpecialMatch::LeftmostLongest) {
    size_t start = 0, pos = 0;
    while (pos < text.size()) {
      int t = raw_trie.longest_at(text, pos, allowed);
      if (t < 0) {
        ++pos;
        continue;
      }
      const AddedToken& tok = added[t];
      size_t mb = pos, me = pos + tok.text.size();
      if (tok.single_word && ((mb > 0 && is_word_char(text, char_start_before(text, mb))) ||
                              (me < text.size() && is_word_char(text, me)))) {
        ++pos;
        continue;
      }
      if (tok.lstrip) mb = whitespace_before(text, start, mb);
      if (tok.rstrip) me = whitespace_after(text, me);
      if (mb > start) frags.push_back({start, mb, -1});
      frags.push_back({mb, me, tok.id});
      start = pos = me;
    }
    if (start < text.size()) frags.push_back({start, text.size(), -1});
    return frags;
  }

  // llama.cpp: the tokens present in the text, longest first; each one splits every remaining
  // raw fragment at its occurrences, left to right.
  std::vector<char> present(added.size(), 0);
  for (size_t pos = 0; pos < text.size(); ++pos) {
    int32_t node = 0;
    for (size_t i = pos; i < text.size(); ++i) {
      auto it = raw_trie.edges_.find((uint64_t(node) << 8) | static_cast<unsigned char>(text[i]));
      if (it == raw_trie.edges_.end()) break;
      node = it->second;
      int t = raw_trie.nodes_[node].token;
      if (t >= 0 && allowed(t)) present[t] = 1;
    }
  }
  std::vector<int> order;
  for (size_t t = 0; t < added.size(); ++t)
    if (present[t]) order.push_back(static_cast<int>(t));
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    if (added[a].text.size() != added[b].text.size())
      return added[a].text.size() > added[b].text.size();
    return added[a].id < added[b].id;
  });

  frags.push_back({0, text.size(), -1});
  std::vector<Fragment> next;
  for (int t : order) {
    const AddedToken& tok = added[t];
    next.clear();
    for (const Fragment& f : frags) {
      if (f.id >= 0) {
        next.push_back(f);
        continue;
      }
      size_t pos = f.begin;
      while (pos < f.end) {
        size_t m = text.substr(0, f.end).find(tok.text, pos);
        if (m == std::string_view::npos) break;
        size_t left_end = m, right_begin = m + tok.text.size();
        if (tok.lstrip)
          while (left_end > pos && is_space_byte(text[left_end - 1])) --left_end;
        if (tok.rstrip)
          while (right_begin < f.end && is_space_byte(text[right_begin])) ++right_begin;
        if (left_end > pos) next.push_back({pos, left_end, -1});
        next.push_back({m, m + tok.text.size(), tok.id});
        pos = right_begin;
      }
      if (pos < f.end) next.push_back({pos, f.end, -1});
    }
    frags.swap(next);
  }
  return frags;
}

}  // namespace knowscope
