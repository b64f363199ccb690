// thefuzz.fuzz.token_set_ratio (thefuzz 0.22 on rapidfuzz 3.x), re-implemented from their source
// facts: full_process both strings, split into token sets, and take the best Indel ratio.
#pragma once

#include <cstddef>
#include <string_view>

namespace knowscope::study {

// Insertions plus deletions turning `a` into `b` (Levenshtein with substitution weight 2),
// i.e. len(a) + len(b) - 2 * LCS(a, b).
size_t indel_distance(std::u32string_view a, std::u32string_view b);

// rapidfuzz.fuzz.token_set_ratio on strings taken as they are (no processor), in [0, 100]:
// 0 when either has no token; 100 when the token sets share a token and one contains the other;
// else the best of the Indel ratios between "sect", "sect diff_ab" and "sect diff_ba" (tokens
// sorted by code point and joined by single spaces), each 100 - 100 * dist / (len1 + len2).
double rapidfuzz_token_set_ratio(std::u32string_view s1, std::u32string_view s2);

// thefuzz.fuzz.token_set_ratio(s1, s2): full_process (force_ascii) on both, then the score
// rounded half to even to an int, as Python's round() does.
int token_set_ratio(std::u32string_view s1, std::u32string_view s2);
int token_set_ratio(std::string_view s1_utf8, std::string_view s2_utf8);

}  // namespace knowscope::study
