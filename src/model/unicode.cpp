#include "model/unicode.h"

#include <algorithm>
#include <array>
#include <memory>
#include <unordered_map>

namespace knowscope {
namespace {

constexpr uint32_t kMaxCodepoint = 0x110000;

// White_Space property (PropList.txt); it has not changed since Unicode 6.
bool is_white_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

uint8_t flags_of_category(GeneralCategory c) {
  using G = GeneralCategory;
  switch (c) {
    case G::Lu:
    case G::Ll:
    case G::Lt:
    case G::Lm:
    case G::Lo:
      return kLetter;
    case G::Mn:
    case G::Mc:
    case G::Me:
      return kMark;
    case G::Nd:
    case G::Nl:
    case G::No:
      return kNumber;
    case G::Pc:
    case G::Pd:
    case G::Ps:
    case G::Pe:
    case G::Pi:
    case G::Pf:
    case G::Po:
      return kPunctuation;
    case G::Sm:
    case G::Sc:
    case G::Sk:
    case G::So:
      return kSymbol;
    case G::Zs:
    case G::Zl:
    case G::Zp:
      return kSeparator;
    default:
      return kOther;
  }
}

uint8_t run_value(const unicode_data::CodepointRun* runs, size_t n, uint32_t cp) {
  // Last run whose first code point is <= cp.
  auto it =
      std::upper_bound(runs, runs + n, cp,
                       [](uint32_t v, const unicode_data::CodepointRun& r) { return v < r.first; });
  return it == runs ? 0 : (it - 1)->value;
}

// Two-stage table of flags: 256-entry blocks, deduplicated, indexed by cp >> 8.
struct FlagTable {
  std::array<uint16_t, kMaxCodepoint / 256> block_of{};
  std::vector<uint8_t> blocks;

  FlagTable() {
    std::vector<uint8_t> all(kMaxCodepoint);
    const auto* runs = unicode_data::kCategoryRuns;
    size_t n = unicode_data::kCategoryRunCount;
    for (size_t i = 0; i < n; ++i) {
      uint32_t end = i + 1 < n ? runs[i + 1].first : kMaxCodepoint;
      uint8_t f = flags_of_category(static_cast<GeneralCategory>(runs[i].value));
      std::fill(all.begin() + runs[i].first, all.begin() + end, f);
    }
    for (uint32_t cp = 0; cp < 0x3001; ++cp)
      if (is_white_space(cp)) all[cp] |= kWhitespace;
    std::unordered_map<std::string, uint16_t> seen;
    for (uint32_t b = 0; b < kMaxCodepoint / 256; ++b) {
      std::string key(reinterpret_cast<const char*>(all.data()) + b * 256, 256);
      auto [it, added] = seen.emplace(std::move(key), static_cast<uint16_t>(blocks.size() / 256));
      if (added) blocks.insert(blocks.end(), all.data() + b * 256, all.data() + b * 256 + 256);
      block_of[b] = it->second;
    }
  }
};

const FlagTable& flag_table() {
  static const FlagTable table;
  return table;
}

}  // namespace

uint8_t char_flags(uint32_t cp) {
  if (cp >= kMaxCodepoint) return kOther;
  const FlagTable& t = flag_table();
  return t.blocks[size_t(t.block_of[cp >> 8]) * 256 + (cp & 255)];
}

GeneralCategory general_category(uint32_t cp) {
  if (cp >= kMaxCodepoint) return GeneralCategory::Cn;
  return static_cast<GeneralCategory>(
      run_value(unicode_data::kCategoryRuns, unicode_data::kCategoryRunCount, cp));
}

uint8_t combining_class(uint32_t cp) {
  if (cp < 0x300 || cp >= kMaxCodepoint) return 0;
  return run_value(unicode_data::kCombiningRuns, unicode_data::kCombiningRunCount, cp);
}

uint32_t decode_utf8(std::string_view s, size_t& pos) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char b0 = byte(pos);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  size_t len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 0;
  if (len == 0 || b0 > 0xF4 || pos + len > s.size()) {
    ++pos;
    return 0xFFFD;
  }
  uint32_t cp = b0 & (0x7F >> len);
  for (size_t i = 1; i < len; ++i) {
    unsigned char b = byte(pos + i);
    if ((b & 0xC0) != 0x80) {
      ++pos;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  // Reject overlong forms, surrogates and values past U+10FFFF.
  static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp >= kMaxCodepoint) {
    ++pos;
    return 0xFFFD;
  }
  pos += len;
  return cp;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

void decode_utf8_all(std::string_view s, std::vector<uint32_t>& cps,
                     std::vector<uint32_t>& starts) {
  cps.clear();
  starts.clear();
  cps.reserve(s.size());
  starts.reserve(s.size() + 1);
  size_t pos = 0;
  while (pos < s.size()) {
    starts.push_back(static_cast<uint32_t>(pos));
    cps.push_back(decode_utf8(s, pos));
  }
  starts.push_back(static_cast<uint32_t>(s.size()));
}

}  // namespace knowscope
