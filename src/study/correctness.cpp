#include "knowscope/study/correctness.h"

#include <cmath>
#include <vector>

#include "knowscope/core/error.h"
#include "knowscope/study/fuzz.h"
#include "knowscope/study/pytext.h"
#include "study/json_util.h"

namespace knowscope::study {
namespace {

std::vector<std::u32string> split_on(std::u32string_view s, char32_t sep) {
  std::vector<std::u32string> out;  // like str.split(sep): empty pieces kept
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::u32string replace_all(std::u32string s, std::u32string_view from, std::u32string_view to) {
  if (from.empty()) return s;
  std::u32string out;
  size_t i = 0;
  while (true) {
    size_t j = s.find(from, i);
    if (j == std::u32string::npos) break;
    out.append(s, i, j - i);
    out.append(to);
    i = j + from.size();
  }
  out.append(s, i, std::u32string::npos);
  return out;
}

bool is_digit(char32_t c) { return py_decimal(c) >= 0; }

// re.findall(r"\d+", s)
std::vector<std::u32string> find_digit_runs(std::u32string_view s) {
  std::vector<std::u32string> out;
  size_t i = 0;
  while (i < s.size()) {
    if (!is_digit(s[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

// re.findall(r"-?\d+\.?\d*", s): every part is greedy and its tail optional, so a left-to-right
// scan is the regex's leftmost match.
std::vector<std::u32string> find_signed_decimals(std::u32string_view s) {
  std::vector<std::u32string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i, p = i;
    if (s[p] == U'-' && p + 1 < s.size() && is_digit(s[p + 1])) ++p;
    if (!is_digit(s[p])) {
      ++i;
      continue;
    }
    while (p < s.size() && is_digit(s[p])) ++p;
    if (p < s.size() && s[p] == U'.') ++p;
    while (p < s.size() && is_digit(s[p])) ++p;
    out.emplace_back(s.substr(start, p - start));
    i = p;
  }
  return out;
}

// int(float(text)) of a number the generation matched: nullopt where Python would overflow
// (more than 308 digits), which we count as no match instead of raising.
std::optional<double> generated_int(std::u32string_view text) {
  auto v = py_float(text);
  if (!v || !std::isfinite(*v)) return std::nullopt;
  return std::trunc(*v);
}

// int(float(answer)) of the gold value; Python raises on anything else, so do we.
double answer_int(std::u32string_view text, std::string_view what) {
  auto v = py_float(text);
  if (!v)
    fail("correct_answer", "",
         single_quoted(u32_to_utf8(text)) + " is not a number (" + std::string(what) + ")");
  if (!std::isfinite(*v))
    fail("correct_answer", "", single_quoted(u32_to_utf8(text)) + " is not a finite number");
  return std::trunc(*v);
}

// |a - b| <= bound for integer-valued doubles, as Python compares ints: the double difference is
// exact whenever it is below 2^53, and a larger one is larger than any bound met here.
bool within(double a, double b, double bound) { return std::fabs(a - b) <= bound; }

}  // namespace

bool check_name(std::string_view generation, std::string_view answer) {
  std::u32string gen = py_lower(utf8_to_u32(generation));
  for (char32_t& c : gen)
    if (c == U',' || c == U'.' || c == U'-') c = U' ';
  std::u32string ans = py_lower(utf8_to_u32(answer));
  if (ans == U"united states of america") {
    ans = U"united states of america, united states, us, usa";
  } else if (ans == U"people's republic of china") {
    ans = U"people's republic of china, china";
  }
  std::u32string gen_processed = fuzz_full_process(gen);
  for (const auto& piece : split_on(ans, U',')) {
    double score = rapidfuzz_token_set_ratio(fuzz_full_process(piece), gen_processed);
    if (std::nearbyint(score) > 90) return true;
  }
  return false;
}

bool number_match(std::string_view generation, std::string_view answer, int64_t tolerance,
                  std::optional<double> pct) {
  std::u32string gen(py_strip(py_lower(utf8_to_u32(generation))));
  gen = replace_all(std::move(gen), U",", U"");
  auto numbers = find_digit_runs(gen);
  if (numbers.empty()) return false;
  std::u32string ans = utf8_to_u32(answer);
  for (const auto& number : numbers) {
    auto n = generated_int(number);
    double a = answer_int(ans, "number_match");
    if (!n) continue;
    double bound = pct ? *pct * a : static_cast<double>(tolerance);
    if (within(*n, a, bound)) return true;
  }
  return false;
}

bool number_match_in_list(std::string_view generation, std::string_view answer, int64_t tolerance) {
  std::u32string gen(py_strip(py_lower(utf8_to_u32(generation))));
  auto pieces = split_on(py_lower(utf8_to_u32(answer)), U',');
  auto numbers = find_digit_runs(gen);
  if (numbers.empty()) return false;
  for (const auto& piece : pieces) {
    for (const auto& number : numbers) {
      double a = answer_int(piece, "number_match_in_list");
      auto n = generated_int(number);
      if (n && within(*n, a, static_cast<double>(tolerance))) return true;
    }
  }
  return false;
}

bool genres_list_match(std::string_view generation, std::string_view answer) {
  std::u32string gen(py_strip(py_lower(utf8_to_u32(generation))));
  for (const auto& piece : split_on(py_lower(utf8_to_u32(answer)), U',')) {
    if (gen.find(replace_all(piece, U" film", U"")) != std::u32string::npos) return true;
  }
  return false;
}

bool geo_location_match(std::string_view generation, std::string_view answer, int64_t tolerance) {
  std::u32string ans = utf8_to_u32(answer);
  ans = replace_all(replace_all(std::move(ans), U"Point(", U""), U")", U"");
  auto coords = split_on(ans, U' ');
  if (coords.size() != 2)
    fail("correct_answer", "",
         single_quoted(answer) + " is not a location 'Point(lon lat)' (geo_location_match)");
  double lon = std::fabs(answer_int(coords[0], "longitude"));
  double lat = std::fabs(answer_int(coords[1], "latitude"));
  auto numbers = find_signed_decimals(py_lower(utf8_to_u32(generation)));
  int counter = 0;
  for (const auto& number : numbers) {
    auto n = generated_int(number);
    if (!n) continue;
    double v = std::fabs(*n);
    for (double c : {lon, lat})
      if (within(v, c, static_cast<double>(tolerance))) ++counter;
    if (counter == 2) return true;
  }
  return false;
}

bool substring_match(std::string_view generation, std::string_view answer) {
  std::u32string gen(py_strip(py_lower(utf8_to_u32(generation))));
  return gen.find(py_lower(utf8_to_u32(answer))) != std::u32string::npos;
}

bool is_correct(const CorrectnessFn& fn, std::string_view answer, std::string_view generation) {
  switch (fn.kind) {
    case CheckKind::name:
      return check_name(generation, answer);
    case CheckKind::number:
      return number_match(generation, answer, fn.tolerance, fn.pct);
    case CheckKind::number_in_list:
      return number_match_in_list(generation, answer, fn.tolerance);
    case CheckKind::genres_list:
      return genres_list_match(generation, answer);
    case CheckKind::geo:
      return geo_location_match(generation, answer, fn.tolerance);
    case CheckKind::substring:
      return substring_match(generation, answer);
  }
  return false;
}

}  // namespace knowscope::study
