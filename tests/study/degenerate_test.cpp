// The degenerate-completion detector: loops, punctuation and empty text are caught; answers,
// refusals and ordinary sentences are not.
#include "knowscope/study/degenerate.h"

#include <gtest/gtest.h>

namespace knowscope::study {
namespace {

TEST(Degenerate, CatchesEmptyLoopsPunctuationAndWordSoup) {
  for (const char* text : {
           "",
           "   \n\n ",
           "!!!!",
           "* * * * * * * * * * * *",
           "...............................",
           "the the the the the the the the",
           "Paris Paris Paris Paris Paris Paris ",
           "ababababababababababababab",
           "He was born in the city of the city of the city of the city of the city of",
           "1982 ---------------------------------",
           "and and or and or and or and or and or",
       })
    EXPECT_TRUE(is_degenerate(text)) << '"' << text << '"';
}

TEST(Degenerate, LeavesAnswersRefusalsAndSentencesAlone) {
  for (const char* text : {
           "Paris",
           "1982",
           "January 22, 1982",
           "I don't know",
           "I'm sorry, but I couldn't find any information about that player.",
           "Marcus K. Davis, born on January 22, 1982, is a Jamaican-American footballer.",
           "The movie was directed by Steven Spielberg and released in 1993.",
           "Москва",
           "東京",
           "1, 2, 3, 4, 5, 6, 7, 8",
           "ha ha",
       })
    EXPECT_FALSE(is_degenerate(text)) << '"' << text << '"';
}

}  // namespace
}  // namespace knowscope::study
