#include "knowscope/study/correctness.h"

#include <gtest/gtest.h>

#include <map>

#include "knowscope/core/error.h"
#include "study_fixture.h"

namespace knowscope::study {
namespace {

CheckKind kind_of(const std::string& name) {
  static const std::map<std::string, CheckKind> kinds = {
      {"name", CheckKind::name},
      {"number", CheckKind::number},
      {"number_in_list", CheckKind::number_in_list},
      {"genres_list", CheckKind::genres_list},
      {"geo", CheckKind::geo},
      {"substring", CheckKind::substring}};
  return kinds.at(name);
}

TEST(Correctness, MatchesReferenceImplementation) {
  auto j = test::study_fixture("correctness.json");
  ASSERT_GT(j["cases"].size(), 1000u);
  int checked = 0, errors = 0;
  for (const auto& c : j["cases"]) {
    CorrectnessFn fn{kind_of(c["kind"]), c["tolerance"].get<int64_t>(), std::nullopt};
    if (!c["pct"].is_null()) fn.pct = c["pct"].get<double>();
    std::string gen = c["generation"], ans = c["answer"];
    std::string what = c["kind"].get<std::string>() + " gen='" + gen + "' answer='" + ans + "'";
    if (c["expected"].is_string()) {
      EXPECT_THROW(is_correct(fn, ans, gen), Error) << what;
      ++errors;
    } else {
      EXPECT_EQ(is_correct(fn, ans, gen), c["expected"].get<bool>()) << what;
    }
    ++checked;
  }
  EXPECT_GT(errors, 5);
}

TEST(Correctness, EdgeCasesFromTheSpec) {
  // decimals split into two integers; the minus sign is not part of \d+
  EXPECT_TRUE(number_match(" 19.94", "94", 0));
  EXPECT_TRUE(number_match(" -1994", "1994", 0));
  EXPECT_TRUE(number_match(" 1,994", "1994", 0));         // commas deleted first
  EXPECT_FALSE(number_match_in_list(" 1,20", "120", 0));  // ... but not in the list variant
  // "united states of america" aliases; leading spaces of comma-split pieces kept
  EXPECT_TRUE(check_name(" the USA", "United States of America"));
  EXPECT_TRUE(check_name(" China", "People's Republic of China"));
  EXPECT_TRUE(check_name(" Heat", "Los Angeles Lakers, Miami Heat"));
  // " film" removed from genres; later pieces keep their leading space
  EXPECT_TRUE(genres_list_match(" an action movie", "action film"));
  EXPECT_FALSE(genres_list_match("thriller", "crime film, thriller film"));
  EXPECT_TRUE(genres_list_match("a thriller", "crime film, thriller film"));
  // geo: the counter must be exactly 2 after some number
  EXPECT_TRUE(geo_location_match(" 10", "Point(10 10)"));
  EXPECT_FALSE(geo_location_match(" 7, 5", "Point(5 6)"));  // 1 then 3
  // empty strings
  EXPECT_TRUE(substring_match(" anything", ""));
  EXPECT_TRUE(genres_list_match(" anything", ""));
  EXPECT_FALSE(check_name(" anything", ""));
  EXPECT_FALSE(number_match("", "1994", 0));
}

TEST(Correctness, HugeGeneratedNumbersNeverMatchInsteadOfRaising) {
  // Python raises OverflowError on int(float("9" * 400)); we count such a number as no match.
  std::string huge(400, '9');
  EXPECT_FALSE(number_match(" " + huge, "1994", 0));
  EXPECT_TRUE(number_match(" " + huge + " or 1994", "1994", 0));
  EXPECT_FALSE(number_match_in_list(" " + huge, "120", 3));
  EXPECT_TRUE(geo_location_match(" " + huge + " 48.8 2.3", "Point(2.35 48.85)"));
}

TEST(Correctness, MalformedAnswersThrowNamingTheField) {
  try {
    number_match(" 12", "n/a", 0);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("correct_answer"), std::string::npos) << e.what();
  }
  EXPECT_THROW(geo_location_match(" 1 2", "Point(1)"), Error);
  // no number in the generation: Python never parses the answer, neither do we
  EXPECT_FALSE(number_match(" none", "n/a", 0));
}

}  // namespace
}  // namespace knowscope::study
