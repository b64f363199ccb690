// Python string semantics the paper's correctness code relies on, on code points: str.lower(),
// str.strip(), re's \d, float(), and thefuzz/rapidfuzz's string preprocessing. Tables come from
// CPython 3.11 (Unicode 14) and rapidfuzz 3.14 (src/study/unicode_tables.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace knowscope::study {

// UTF-8 <-> code points. Each maximal invalid subpart decodes to one U+FFFD, as Python's
// bytes.decode("utf-8", errors="replace") does (a model's detokenized text may hold such bytes).
std::u32string utf8_to_u32(std::string_view s);
std::string u32_to_utf8(std::u32string_view s);

std::u32string py_lower(std::u32string_view s);  // str.lower(): U+0130 -> "i\u0307", final sigma
bool py_isspace(char32_t c);                     // str.isspace() for one code point
std::u32string_view py_strip(std::u32string_view s);  // str.strip() with no argument
int py_decimal(char32_t c);  // value 0-9 of a Unicode Nd digit (what re's \d matches), else -1

// float(s) as Python parses a str: surrounding whitespace, sign, '_' between digits, Unicode
// digits, exponent, inf/infinity/nan. nullopt where Python raises ValueError.
std::optional<double> py_float(std::u32string_view s);

// rapidfuzz.utils.default_process: non-alphanumerics -> ' ', alphanumerics lowercased, then the
// spaces at both ends trimmed.
std::u32string fuzz_default_process(std::u32string_view s);
// thefuzz.utils.full_process(s, force_ascii=True): delete U+0080..U+00FF (thefuzz's "ascii
// dammit" table; code points above U+00FF stay), then default_process.
std::u32string fuzz_full_process(std::u32string_view s);

}  // namespace knowscope::study
