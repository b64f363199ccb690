#include "knowscope/study/pytext.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "study/unicode_tables.h"

namespace knowscope::study {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

template <typename Range>
const Range* find_range(const Range* table, size_t count, char32_t c) {
  const Range* end = table + count;
  const Range* it =
      std::upper_bound(table, end, c, [](char32_t v, const Range& r) { return v < r.first; });
  if (it == table) return nullptr;
  --it;
  return c <= it->last ? it : nullptr;
}

char32_t apply(const tables::CaseRange& r, char32_t c) {
  if (r.kind == 0) return U' ';
  if (r.kind == 2 && (c - r.first) % 2 != 0) return c;
  return static_cast<char32_t>(static_cast<int64_t>(c) + r.delta);
}

char32_t lower_simple(char32_t c) {
  const auto* r = find_range(tables::kPyLower, tables::kPyLowerCount, c);
  return r ? apply(*r, c) : c;
}

uint8_t sigma_class(char32_t c) {
  const auto* r = find_range(tables::kSigmaClass, tables::kSigmaClassCount, c);
  return r ? r->value : 0;
}

// CPython's handle_capital_sigma: final when the nearest non-case-ignorable code point before is
// cased and the nearest one after is not cased (or there is none).
bool is_final_sigma(std::u32string_view s, size_t i) {
  size_t j = i;
  uint8_t before = 0;
  while (j > 0) {
    before = sigma_class(s[--j]);
    if (before != 1) break;
  }
  if (before != 2) return false;
  for (size_t k = i + 1; k < s.size(); ++k) {
    uint8_t after = sigma_class(s[k]);
    if (after != 1) return after != 2;
  }
  return true;
}

}  // namespace

std::u32string utf8_to_u32(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
      out.push_back(b0);
      ++i;
      continue;
    }
    // Length and allowed range of the second byte (Unicode Table 3-7, well-formed UTF-8).
    int len = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF)
      len = 2;
    else if (b0 == 0xE0)
      len = 3, lo = 0xA0;
    else if (b0 >= 0xE1 && b0 <= 0xEC)
      len = 3;
    else if (b0 == 0xED)
      len = 3, hi = 0x9F;
    else if (b0 >= 0xEE && b0 <= 0xEF)
      len = 3;
    else if (b0 == 0xF0)
      len = 4, lo = 0x90;
    else if (b0 >= 0xF1 && b0 <= 0xF3)
      len = 4;
    else if (b0 == 0xF4)
      len = 4, hi = 0x8F;
    char32_t cp = len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
    int k = 1;
    for (; len > 0 && k < len && i + k < s.size(); ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      unsigned l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
      if (b < l || b > h) break;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (len > 0 && k == len) {
      out.push_back(cp);
    } else {
      out.push_back(kReplacement);  // one U+FFFD per maximal invalid subpart, as Python does
    }
    i += k;
  }
  return out;
}

std::string u32_to_utf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) {
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = kReplacement;
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

std::u32string py_lower(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char32_t c = s[i];
    if (c < 0x80) {
      out.push_back(c >= U'A' && c <= U'Z' ? c + 32 : c);
    } else if (c == 0x130) {  // LATIN CAPITAL LETTER I WITH DOT ABOVE: the one 1->2 mapping
      out.push_back(U'i');
      out.push_back(0x307);
    } else if (c == 0x3A3) {  // GREEK CAPITAL LETTER SIGMA
      out.push_back(is_final_sigma(s, i) ? 0x3C2 : 0x3C3);
    } else {
      out.push_back(lower_simple(c));
    }
  }
  return out;
}

bool py_isspace(char32_t c) {
  if (c < 0x80) return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
  return std::binary_search(tables::kPySpaces, tables::kPySpaces + tables::kPySpacesCount, c);
}

std::u32string_view py_strip(std::u32string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && py_isspace(s[b])) ++b;
  while (e > b && py_isspace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

int py_decimal(char32_t c) {
  if (c >= U'0' && c <= U'9') return static_cast<int>(c - U'0');
  if (c < 0x80) return -1;
  const char32_t* end = tables::kDigitZeros + tables::kDigitZerosCount;
  const char32_t* it = std::upper_bound(tables::kDigitZeros, end, c);
  if (it == tables::kDigitZeros) return -1;
  char32_t zero = *(it - 1);
  return c - zero < 10 ? static_cast<int>(c - zero) : -1;
}

std::optional<double> py_float(std::u32string_view text) {
  std::u32string_view s = py_strip(text);
  // Python maps Unicode digits to ASCII, then parses the ASCII grammar; anything else is invalid.
  std::string a;
  a.reserve(s.size());
  for (char32_t c : s) {
    int d = py_decimal(c);
    if (d >= 0) {
      a.push_back(static_cast<char>('0' + d));
    } else if (c < 0x80) {
      a.push_back(static_cast<char>(c));
    } else {
      return std::nullopt;
    }
  }
  size_t i = 0;
  bool negative = false;
  if (i < a.size() && (a[i] == '+' || a[i] == '-')) negative = a[i++] == '-';
  std::string rest = a.substr(i);
  std::string lowered = rest;
  for (char& ch : lowered) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (lowered == "inf" || lowered == "infinity") {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (lowered == "nan") return std::numeric_limits<double>::quiet_NaN();
  // number ::= digitpart "." [digitpart] | [digitpart] "." digitpart | digitpart,
  // digitpart ::= digit (["_"] digit)*, then an optional exponent e[sign]digitpart.
  std::string clean;
  auto digitpart = [&](size_t& p) {
    size_t start = p;
    while (p < rest.size()) {
      if (std::isdigit(static_cast<unsigned char>(rest[p]))) {
        clean.push_back(rest[p++]);
      } else if (rest[p] == '_' && p > start && p + 1 < rest.size() &&
                 std::isdigit(static_cast<unsigned char>(rest[p - 1])) &&
                 std::isdigit(static_cast<unsigned char>(rest[p + 1]))) {
        ++p;
      } else {
        break;
      }
    }
    return p > start;
  };
  size_t p = 0;
  bool int_digits = digitpart(p);
  bool frac_digits = false;
  if (p < rest.size() && rest[p] == '.') {
    clean.push_back('.');
    ++p;
    frac_digits = digitpart(p);
  }
  if (!int_digits && !frac_digits) return std::nullopt;
  if (p < rest.size() && (rest[p] == 'e' || rest[p] == 'E')) {
    clean.push_back('e');
    ++p;
    if (p < rest.size() && (rest[p] == '+' || rest[p] == '-')) clean.push_back(rest[p++]);
    if (!digitpart(p)) return std::nullopt;
  }
  if (p != rest.size()) return std::nullopt;
  double value = 0;
  auto [ptr, ec] = std::from_chars(clean.data(), clean.data() + clean.size(), value);
  if (ptr != clean.data() + clean.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // from_chars leaves `value` unchanged here; Python gives inf (overflow) or 0 (underflow).
    // Decide by the decimal exponent of the first nonzero digit.
    size_t e_pos = clean.find('e');
    std::string mant = clean.substr(0, e_pos);
    long long exp10 = 0;
    if (e_pos != std::string::npos) {
      const char* b = clean.data() + e_pos + 1;
      if (*b == '+') ++b;
      auto r = std::from_chars(b, clean.data() + clean.size(), exp10);
      if (r.ec == std::errc::result_out_of_range) exp10 = *b == '-' ? -(1LL << 60) : (1LL << 60);
    }
    size_t point = mant.find('.');
    if (point == std::string::npos) point = mant.size();
    size_t first = mant.find_first_of("123456789");
    long long pos = first < point ? static_cast<long long>(point - first)
                                  : -static_cast<long long>(first - point - 1);
    value = pos + exp10 > 0 ? std::numeric_limits<double>::infinity() : 0.0;
  }
  return negative ? -value : value;
}

std::u32string fuzz_default_process(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (char32_t c : s) {
    const auto* r = find_range(tables::kFuzzProcess, tables::kFuzzProcessCount, c);
    out.push_back(r ? apply(*r, c) : U' ');
  }
  size_t b = 0, e = out.size();
  while (b < e && out[b] == U' ') ++b;
  while (e > b && out[e - 1] == U' ') --e;
  return out.substr(b, e - b);
}

std::u32string fuzz_full_process(std::u32string_view s) {
  std::u32string kept;
  kept.reserve(s.size());
  for (char32_t c : s) {
    if (c < 0x80 || c > 0xFF) kept.push_back(c);
  }
  return fuzz_default_process(kept);
}

}  // namespace knowscope::study
