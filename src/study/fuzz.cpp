#include "knowscope/study/fuzz.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "knowscope/study/pytext.h"

namespace knowscope::study {
namespace {

using Tokens = std::set<std::u32string>;  // sorted by code point, like Python's sorted()

Tokens split_tokens(std::u32string_view s) {
  Tokens out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && py_isspace(s[i])) ++i;
    size_t start = i;
    while (i < s.size() && !py_isspace(s[i])) ++i;
    if (i > start) out.emplace(s.substr(start, i - start));
  }
  return out;
}

std::u32string join(const std::vector<const std::u32string*>& tokens) {
  std::u32string out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i) out.push_back(U' ');
    out += *tokens[i];
  }
  return out;
}

// rapidfuzz's _norm_distance: the exact expression matters where the score lands on .5.
double norm_distance(size_t dist, size_t lensum) {
  if (lensum == 0) return 100.0;
  return 100.0 - 100.0 * static_cast<double>(dist) / static_cast<double>(lensum);
}

}  // namespace

size_t indel_distance(std::u32string_view a, std::u32string_view b) {
  if (a.size() < b.size()) std::swap(a, b);
  if (b.empty()) return a.size();
  // LCS by dynamic programming over the shorter string; strings here are short (a generation).
  std::vector<size_t> row(b.size() + 1, 0);
  for (char32_t ca : a) {
    size_t diag = 0;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = ca == b[j - 1] ? diag + 1 : std::max(row[j], row[j - 1]);
      diag = up;
    }
  }
  return a.size() + b.size() - 2 * row[b.size()];
}

double rapidfuzz_token_set_ratio(std::u32string_view s1, std::u32string_view s2) {
  Tokens a = split_tokens(s1), b = split_tokens(s2);
  if (a.empty() || b.empty()) return 0.0;
  std::vector<const std::u32string*> sect, diff_ab, diff_ba;
  for (const auto& t : a) (b.count(t) ? sect : diff_ab).push_back(&t);
  for (const auto& t : b)
    if (!a.count(t)) diff_ba.push_back(&t);
  if (!sect.empty() && (diff_ab.empty() || diff_ba.empty())) return 100.0;

  std::u32string ab = join(diff_ab), ba = join(diff_ba);
  size_t sect_len = join(sect).size();
  size_t has_sect = sect_len != 0 ? 1 : 0;
  size_t sect_ab_len = sect_len + has_sect + ab.size();
  size_t sect_ba_len = sect_len + has_sect + ba.size();
  double result = norm_distance(indel_distance(ab, ba), sect_ab_len + sect_ba_len);
  if (sect_len == 0) return result;
  // "sect" against "sect diff": only the appended part differs.
  double sect_ab = norm_distance(has_sect + ab.size(), sect_len + sect_ab_len);
  double sect_ba = norm_distance(has_sect + ba.size(), sect_len + sect_ba_len);
  return std::max({result, sect_ab, sect_ba});
}

int token_set_ratio(std::u32string_view s1, std::u32string_view s2) {
  double score = rapidfuzz_token_set_ratio(fuzz_full_process(s1), fuzz_full_process(s2));
  return static_cast<int>(std::nearbyint(score));  // round half to even (default FP mode)
}

int token_set_ratio(std::string_view s1_utf8, std::string_view s2_utf8) {
  return token_set_ratio(utf8_to_u32(s1_utf8), utf8_to_u32(s2_utf8));
}

}  // namespace knowscope::study
