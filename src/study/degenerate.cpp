// Degenerate-completion rules (see the header).
#include "knowscope/study/degenerate.h"

#include <set>
#include <string>
#include <vector>

namespace knowscope::study {
namespace {

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Letters of any script count as word characters: every byte of a multi-byte UTF-8 sequence does.
bool is_word_byte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

// The text without trailing whitespace ends with `period` bytes repeated `reps` or more times,
// covering at least `min_cover` bytes.
bool ends_in_loop(std::string_view t) {
  constexpr size_t kMaxPeriod = 24, kMinCover = 24, kMinReps = 4;
  for (size_t p = 1; p <= kMaxPeriod && 2 * p <= t.size(); ++p) {
    size_t reps = 1;
    while ((reps + 1) * p <= t.size() &&
           t.substr(t.size() - (reps + 1) * p, p) == t.substr(t.size() - p, p))
      ++reps;
    if (reps >= kMinReps && reps * p >= kMinCover) return true;
  }
  return false;
}

}  // namespace

bool is_degenerate(std::string_view completion) {
  // Trailing whitespace is not part of a loop; a loop of words ends with its separator, so test
  // both the trimmed text and the trimmed text plus one space.
  std::string_view t = completion;
  while (!t.empty() && is_space(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
  size_t non_space = 0, word = 0;
  for (unsigned char c : t) {
    if (is_space(c)) continue;
    ++non_space;
    if (is_word_byte(c)) ++word;
  }
  if (word == 0) return true;
  if (non_space >= 12 && 2 * word < non_space) return true;
  if (ends_in_loop(t) || ends_in_loop(std::string(t) + " ")) return true;

  std::vector<std::string> words;
  std::string cur;
  for (unsigned char c : t) {
    if (is_space(c)) {
      if (!cur.empty()) words.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(char(c));
    }
  }
  if (!cur.empty()) words.push_back(cur);
  if (words.size() >= 8) {
    const std::set<std::string> distinct(words.begin(), words.end());
    if (3 * distinct.size() < words.size()) return true;
  }
  return false;
}

}  // namespace knowscope::study
