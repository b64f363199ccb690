#include "knowscope/study/fuzz.h"

#include <gtest/gtest.h>

#include "knowscope/study/pytext.h"
#include "study_fixture.h"

namespace knowscope::study {
namespace {

TEST(Fuzz, TokenSetRatioMatchesThefuzz) {
  auto j = test::study_fixture("fuzz.json");
  ASSERT_GT(j["token_set_ratio"].size(), 500u);
  for (const auto& c : j["token_set_ratio"]) {
    std::string a = c["a"], b = c["b"];
    EXPECT_EQ(token_set_ratio(a, b), c["ratio"].get<int>()) << a << " | " << b;
    // the unrounded score on processed strings, bit for bit
    double raw = rapidfuzz_token_set_ratio(fuzz_full_process(utf8_to_u32(a)),
                                           fuzz_full_process(utf8_to_u32(b)));
    EXPECT_EQ(raw, c["raw"].get<double>()) << a << " | " << b;
  }
}

TEST(Fuzz, IndelDistance) {
  // rapidfuzz docs: Indel.distance("lewenstein", "levenshtein") == 3
  EXPECT_EQ(indel_distance(U"lewenstein", U"levenshtein"), 3u);
  EXPECT_EQ(indel_distance(U"", U"abc"), 3u);
  EXPECT_EQ(indel_distance(U"abc", U"abc"), 0u);
  EXPECT_EQ(indel_distance(U"ab", U"ba"), 2u);
}

TEST(Fuzz, RoundsHalfToEven) {
  // 100 - 100 * 38 / 400 = 90.5 -> 90, 100 - 100 * 34 / 400 = 91.5 -> 92
  std::string b181(181, 'b'), b183(183, 'b');
  EXPECT_EQ(token_set_ratio(b181 + std::string(19, 'c'), b181 + std::string(19, 'd')), 90);
  EXPECT_EQ(token_set_ratio(b183 + std::string(17, 'c'), b183 + std::string(17, 'd')), 92);
}

}  // namespace
}  // namespace knowscope::study
