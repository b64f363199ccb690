// Degenerate text: a completion that is neither a refusal nor an answer, as steered models write
// when pushed too far (loops, punctuation, nothing). Steering counts these apart so that
// "answered" (a confident, non-refusing answer) does not count garbage.
#pragma once

#include <string_view>

namespace knowscope::study {

// True when the completion (UTF-8) is
//  - empty or only whitespace and punctuation;
//  - mostly not words: fewer than half of its non-space characters are letters or digits, over
//    at least 12 of them ("!!!!", "* * * *", "\n\n\n");
//  - a loop: it ends in one piece of 1-24 characters repeated so that the repeats cover at least
//    24 characters and at least 4 times ("the the the the ", "ababababab");
//  - a word soup: at least 8 words with fewer than a third of them distinct.
// A short answer such as "Paris", "1982" or "January 22, 1982" is not degenerate.
bool is_degenerate(std::string_view completion);

}  // namespace knowscope::study
