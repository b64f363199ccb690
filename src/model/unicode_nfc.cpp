// NFC normalization (UAX #15): full canonical decomposition, canonical ordering, canonical
// composition, with Hangul handled algorithmically.
#include <algorithm>

#include "model/unicode.h"

namespace knowscope {
namespace {

constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr uint32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount,
                   kSCount = kLCount * kNCount;

struct Char {
  uint32_t cp;
  uint32_t lo, hi;  // source byte range
};

void decompose(uint32_t cp, uint32_t lo, uint32_t hi, std::vector<Char>& out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    uint32_t s = cp - kSBase;
    out.push_back({kLBase + s / kNCount, lo, hi});
    out.push_back({kVBase + (s % kNCount) / kTCount, lo, hi});
    if (s % kTCount) out.push_back({kTBase + s % kTCount, lo, hi});
    return;
  }
  const auto* begin = unicode_data::kDecompositions;
  const auto* end = begin + unicode_data::kDecompositionCount;
  auto it = std::lower_bound(
      begin, end, cp, [](const unicode_data::Decomposition& d, uint32_t v) { return d.cp < v; });
  if (it == end || it->cp != cp) {
    out.push_back({cp, lo, hi});
    return;
  }
  for (uint32_t i = 0; i < it->length; ++i)
    out.push_back({unicode_data::kDecompositionData[it->offset + i], lo, hi});
}

// The primary composite of (a, b), or 0.
uint32_t compose(uint32_t a, uint32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase &&
      b < kTBase + kTCount)
    return a + (b - kTBase);
  const auto* begin = unicode_data::kCompositions;
  const auto* end = begin + unicode_data::kCompositionCount;
  auto it =
      std::lower_bound(begin, end, std::pair{a, b},
                       [](const unicode_data::Composition& c, std::pair<uint32_t, uint32_t> v) {
                         return c.first != v.first ? c.first < v.first : c.second < v.second;
                       });
  return it != end && it->first == a && it->second == b ? it->composite : 0;
}

}  // namespace

std::string nfc(std::string_view s, std::vector<std::pair<uint32_t, uint32_t>>* src) {
  std::vector<uint32_t> cps, starts;
  decode_utf8_all(s, cps, starts);
  // Below U+0300 every character is already in NFC and has combining class 0.
  bool simple = std::all_of(cps.begin(), cps.end(), [](uint32_t c) { return c < 0x300; });
  if (simple) {
    if (src) {
      src->resize(s.size());
      for (uint32_t b = 0; b < s.size(); ++b) (*src)[b] = {b, b + 1};
    }
    return std::string(s);
  }

  std::vector<Char> chars;
  chars.reserve(cps.size() + 8);
  for (size_t i = 0; i < cps.size(); ++i) {
    if (cps[i] == 0xFFFD && s.compare(starts[i], 3, "\xEF\xBF\xBD") != 0) {
      // An invalid byte: kept as it is (no normalization touches it).
      chars.push_back({0xFFFFFFFF, starts[i], starts[i + 1]});
      continue;
    }
    decompose(cps[i], starts[i], starts[i + 1], chars);
  }
  // Canonical ordering: stable sort of each run of non-starters by combining class.
  for (size_t i = 0; i < chars.size();) {
    if (chars[i].cp == 0xFFFFFFFF || combining_class(chars[i].cp) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < chars.size() && chars[j].cp != 0xFFFFFFFF && combining_class(chars[j].cp) != 0) ++j;
    std::stable_sort(chars.begin() + i, chars.begin() + j, [](const Char& a, const Char& b) {
      return combining_class(a.cp) < combining_class(b.cp);
    });
    i = j;
  }
  // Canonical composition.
  std::vector<Char> out;
  out.reserve(chars.size());
  int starter = -1;
  int last_class = -1;  // class of the last character kept after the starter; -1: none yet
  for (const Char& c : chars) {
    if (c.cp == 0xFFFFFFFF) {
      out.push_back(c);
      starter = -1;
      continue;
    }
    int cc = combining_class(c.cp);
    // Not blocked: adjacent to the starter, or every character in between has a lower class.
    if (starter >= 0 && (last_class == -1 || last_class < cc)) {
      uint32_t composite = compose(out[starter].cp, c.cp);
      if (composite) {
        out[starter].cp = composite;
        out[starter].lo = std::min(out[starter].lo, c.lo);
        out[starter].hi = std::max(out[starter].hi, c.hi);
        continue;
      }
    }
    if (cc == 0) {
      starter = static_cast<int>(out.size());
      last_class = -1;
    } else {
      last_class = cc;
    }
    out.push_back(c);
  }
  // Keep source ranges monotonic: characters whose ranges overlap or go backwards (reordering,
  // composition across marks) share the union of their ranges.
  for (size_t i = 0; i < out.size();) {
    size_t j = i + 1;
    uint32_t lo = out[i].lo, hi = out[i].hi;
    while (j < out.size() && out[j].lo < hi) {
      lo = std::min(lo, out[j].lo);
      hi = std::max(hi, out[j].hi);
      ++j;
    }
    for (size_t k = i; k < j; ++k) out[k].lo = lo, out[k].hi = hi;
    i = j;
  }
  std::string text;
  text.reserve(s.size());
  if (src) src->clear();
  for (const Char& c : out) {
    size_t at = text.size();
    if (c.cp == 0xFFFFFFFF)
      text.append(s.substr(c.lo, c.hi - c.lo));
    else
      append_utf8(text, c.cp);
    if (!src) continue;
    size_t len = text.size() - at;
    if (len == c.hi - c.lo && s.compare(c.lo, len, text, at, len) == 0) {
      for (uint32_t k = 0; k < len; ++k) src->push_back({c.lo + k, c.lo + k + 1});  // unchanged
    } else {
      src->resize(text.size(), {c.lo, c.hi});
    }
  }
  return text;
}

}  // namespace knowscope
