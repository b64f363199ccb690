// Pre-tokenizer: splits normalized text into words with the regexes of GPT-2, Llama 3, Qwen2 and
// friends. std::regex cannot match \p{L}, so each regex is written out by hand, following the
// regex semantics (leftmost alternative first, greedy repetition) alternative by alternative.
#include <algorithm>

#include "model/tokenizer_impl.h"
#include "model/unicode.h"

namespace knowscope {
namespace {

using Range = std::pair<uint32_t, uint32_t>;  // [begin, end) in code points

struct Text {
  std::vector<uint32_t> cps;
  std::vector<uint8_t> flags;
  uint8_t flag(size_t i, size_t end) const { return i < end ? flags[i] : 0; }
  uint32_t cp(size_t i, size_t end) const { return i < end ? cps[i] : 0xFFFFFFFF; }
};

constexpr uint8_t kLN = kLetter | kNumber;
constexpr uint8_t kWLN = kWhitespace | kLetter | kNumber;

uint32_t ascii_lower(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

// Length of an English contraction ('s 't 're 've 'm 'll 'd) at `pos`, or 0.
size_t contraction(const Text& t, size_t pos, size_t end, bool any_case) {
  if (t.cps[pos] != '\'' || pos + 1 >= end) return 0;
  auto low = [&](size_t i) { return any_case ? ascii_lower(t.cp(i, end)) : t.cp(i, end); };
  uint32_t a = low(pos + 1);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (pos + 2 >= end) return 0;
  uint32_t b = low(pos + 2);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

// Length of a whitespace run from `pos`, and where the last \r or \n in it ends (0 if none).
size_t whitespace_run(const Text& t, size_t pos, size_t end, size_t* last_newline_end) {
  size_t n = 0;
  if (last_newline_end) *last_newline_end = 0;
  while (pos + n < end && (t.flags[pos + n] & kWhitespace)) {
    uint32_t c = t.cps[pos + n];
    if (last_newline_end && (c == '\r' || c == '\n')) *last_newline_end = pos + n + 1;
    ++n;
  }
  return n;
}

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
void match_gpt2(const Text& t, size_t pos, size_t end, std::vector<Range>& out) {
  while (pos < end) {
    size_t start = pos;
    if (size_t n = contraction(t, pos, end, false)) {
      out.push_back({start, pos + n});
      pos += n;
      continue;
    }
    bool space = t.cps[pos] == ' ';
    uint8_t f = space ? t.flag(pos + 1, end) : t.flags[pos];
    for (uint8_t cls : {uint8_t(kLetter), uint8_t(kNumber)}) {
      if (pos == start && (f & cls)) {
        pos += space;
        while (pos < end && (t.flags[pos] & cls)) ++pos;
      }
    }
    if (pos == start && f && !(f & kWLN)) {
      pos += space;
      while (pos < end && !(t.flags[pos] & kWLN)) ++pos;
    }
    if (pos == start) {
      size_t n = whitespace_run(t, pos, end, nullptr);
      // \s+(?!\S): a run followed by a non-space gives that non-space its last space.
      pos += n > 1 && pos + n < end ? n - 1 : std::max<size_t>(n, 1);
    }
    out.push_back({start, pos});
  }
}

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}| ?[^\s\p{L}\p{N}]+[\r\n]*|
// \s*[\r\n]+|\s+(?!\S)|\s+   with D = max_digits (3: Llama 3; 1: Qwen2)
void match_llama3(const Text& t, size_t pos, size_t end, size_t max_digits,
                  std::vector<Range>& out) {
  while (pos < end) {
    size_t start = pos;
    uint32_t c = t.cps[pos];
    uint8_t f = t.flags[pos];
    if (size_t n = contraction(t, pos, end, true)) {
      out.push_back({start, pos + n});
      pos += n;
      continue;
    }
    if (c != '\r' && c != '\n' && !(f & kNumber) &&
        ((f & kLetter) || (t.flag(pos + 1, end) & kLetter))) {
      ++pos;
      while (pos < end && (t.flags[pos] & kLetter)) ++pos;
      out.push_back({start, pos});
      continue;
    }
    if (f & kNumber) {
      while (pos < end && (t.flags[pos] & kNumber) && pos - start < max_digits) ++pos;
      out.push_back({start, pos});
      continue;
    }
    bool space = c == ' ';
    uint8_t f2 = space ? t.flag(pos + 1, end) : f;
    if (f2 && !(f2 & kWLN)) {
      pos += space;
      while (pos < end && !(t.flags[pos] & kWLN)) ++pos;
      while (pos < end && (t.cps[pos] == '\r' || t.cps[pos] == '\n')) ++pos;
      out.push_back({start, pos});
      continue;
    }
    size_t newline_end = 0;
    size_t n = whitespace_run(t, pos, end, &newline_end);
    if (newline_end > 0)
      pos = newline_end;  // \s*[\r\n]+ ends at the run's last newline
    else
      pos += n > 1 && pos + n < end ? n - 1 : std::max<size_t>(n, 1);
    out.push_back({start, pos});
  }
}

// Runs of code points in a class; `each`: every code point is its own match.
template <class In>
void match_runs(const Text& t, size_t pos, size_t end, bool each, const In& in,
                std::vector<Range>& out) {
  while (pos < end) {
    if (!in(pos)) {
      ++pos;
      continue;
    }
    size_t start = pos++;
    while (!each && pos < end && in(pos)) ++pos;
    out.push_back({start, pos});
  }
}

void match_pattern(const PreSplit& step, const Text& t, size_t pos, size_t end,
                   std::vector<Range>& out) {
  switch (step.pattern) {
    case Pattern::Gpt2:
      return match_gpt2(t, pos, end, out);
    case Pattern::Llama3:
      return match_llama3(t, pos, end, 3, out);
    case Pattern::Qwen2:
      return match_llama3(t, pos, end, 1, out);
    case Pattern::EachNumber:
      return match_runs(
          t, pos, end, true, [&](size_t i) { return t.flags[i] & kNumber; }, out);
    case Pattern::NumberRuns:
      return match_runs(
          t, pos, end, false, [&](size_t i) { return t.flags[i] & kNumber; }, out);
    case Pattern::PunctRuns:
      return match_runs(
          t, pos, end, false,
          [&](size_t i) {
            uint32_t c = t.cps[i];
            return (t.flags[i] & kPunctuation) || c == '$' || c == '+' || c == '<' || c == '=' ||
                   c == '>' || c == '^' || c == '~' || c == '|';
          },
          out);
    case Pattern::AsciiDigits3: {
      auto digit = [&](size_t i) { return i < end && t.cps[i] >= '0' && t.cps[i] <= '9'; };
      while (pos < end) {
        if (digit(pos) && digit(pos + 1) && digit(pos + 2)) {
          out.push_back({pos, pos + 3});
          pos += 3;
        } else {
          ++pos;
        }
      }
      return;
    }
    case Pattern::Literal: {
      std::vector<uint32_t> lit;
      size_t p = 0;
      while (p < step.literal.size()) lit.push_back(decode_utf8(step.literal, p));
      if (lit.empty()) return;
      while (pos + lit.size() <= end) {
        if (std::equal(lit.begin(), lit.end(), t.cps.begin() + pos)) {
          out.push_back({pos, pos + lit.size()});
          pos += lit.size();
        } else {
          ++pos;
        }
      }
      return;
    }
  }
}

// Turns the matches within [begin, end) into pieces, as Hugging Face's split behaviours do.
void apply_behavior(const PreSplit& step, size_t begin, size_t end,
                    const std::vector<Range>& matches, std::vector<Range>& out) {
  // Alternating list of (range, is_match) covering [begin, end).
  std::vector<std::pair<Range, bool>> parts;
  size_t pos = begin;
  for (const Range& m : matches) {
    if (m.first > pos) parts.push_back({{pos, m.first}, step.invert});
    parts.push_back({m, !step.invert});
    pos = m.second;
  }
  if (pos < end) parts.push_back({{pos, end}, step.invert});

  switch (step.behavior) {
    case SplitBehavior::Isolated:
      for (auto& p : parts) out.push_back(p.first);
      return;
    case SplitBehavior::Removed:
      for (auto& p : parts)
        if (!p.second) out.push_back(p.first);
      return;
    case SplitBehavior::Contiguous: {
      for (size_t i = 0; i < parts.size(); ++i) {
        if (parts[i].second && i > 0 && parts[i - 1].second)
          out.back().second = parts[i].first.second;
        else
          out.push_back(parts[i].first);
      }
      return;
    }
    case SplitBehavior::MergedWithPrevious: {
      bool prev_open = false;  // the last piece may take a following match
      for (auto& p : parts) {
        if (p.second && prev_open)
          out.back().second = p.first.second;
        else
          out.push_back(p.first);
        prev_open = !p.second;
      }
      return;
    }
    case SplitBehavior::MergedWithNext: {
      bool carry = false;  // the last piece was a match waiting for the next piece
      for (auto& p : parts) {
        if (carry && !p.second)
          out.back().second = p.first.second;
        else
          out.push_back(p.first);
        carry = p.second;
      }
      return;
    }
  }
}

}  // namespace

std::vector<std::pair<uint32_t, uint32_t>> BpeTokenizer::pre_split(std::string_view text) const {
  std::vector<Range> pieces;
  if (text.empty()) return pieces;
  Text t;
  std::vector<uint32_t> starts;
  decode_utf8_all(text, t.cps, starts);
  if (spec.pre_split.empty()) return {{0u, static_cast<uint32_t>(text.size())}};
  t.flags.resize(t.cps.size());
  for (size_t i = 0; i < t.cps.size(); ++i) t.flags[i] = char_flags(t.cps[i]);

  pieces.push_back({0, static_cast<uint32_t>(t.cps.size())});
  std::vector<Range> next, matches;
  for (const PreSplit& step : spec.pre_split) {
    next.clear();
    for (const Range& piece : pieces) {
      matches.clear();
      match_pattern(step, t, piece.first, piece.second, matches);
      apply_behavior(step, piece.first, piece.second, matches, next);
    }
    pieces.swap(next);
  }
  for (Range& p : pieces) p = {starts[p.first], starts[p.second]};
  return pieces;
}

}  // namespace knowscope
