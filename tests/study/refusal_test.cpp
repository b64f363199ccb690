#include "knowscope/study/refusal.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "study_fixture.h"

namespace knowscope::study {
namespace {

std::set<std::string> as_set(std::span<const std::string_view> list) {
  return {list.begin(), list.end()};
}
std::set<std::string> as_set(const nlohmann::json& list) { return {list.begin(), list.end()}; }

TEST(Refusal, MatchesReferenceDetector) {
  auto j = test::study_fixture("refusal.json");
  ASSERT_GT(j["cases"].size(), 400u);
  for (const auto& c : j["cases"]) {
    std::string t = c["text"];
    EXPECT_EQ(is_refusal(t), c["refusal"].get<bool>()) << t;
    EXPECT_EQ(is_refusal_fewshot(t), c["fewshot"].get<bool>()) << t;
  }
}

TEST(Refusal, ListsAreTheSpecsLists) {
  auto j = test::study_fixture("refusal.json");
  EXPECT_EQ(as_set(refusal_unknown_strings()), as_set(j["unknown_strings"]));
  EXPECT_EQ(as_set(refusal_substrings()), as_set(j["refusal_substrings"]));
  EXPECT_EQ(as_set(refusal_chat_prefixes()), as_set(j["chat_prefixes"]));
  EXPECT_EQ(as_set(refusal_prefixes()), as_set(j["refusal_prefixes"]));
  EXPECT_EQ(refusal_unknown_strings().size(), 53u);  // with the authors' duplicate
}

TEST(Refusal, Quirks) {
  // dead uppercase entry of (A): nothing else matches this sentence
  EXPECT_FALSE(is_refusal("There doesn't seem to be a record of it."));
  // the fused strings: "not aware" alone and "provide me with more" alone do not fire
  EXPECT_FALSE(is_refusal("I'm not aware."));
  EXPECT_FALSE(is_refusal("Could you provide me with more details?"));
  EXPECT_TRUE(is_refusal("I am not aware of it."));  // (A) "not aware of"
  // the bare word "unknown" fires anywhere
  EXPECT_TRUE(is_refusal("Its population is unknown to most."));
  // prefixes: leading space defeats startswith
  EXPECT_TRUE(is_refusal("As an aside, it is Paris"));
  EXPECT_FALSE(is_refusal(" As an aside, it is Paris"));
  EXPECT_FALSE(is_refusal("Steven Spielberg"));
  EXPECT_TRUE(is_refusal_fewshot(" I don't know."));
  EXPECT_FALSE(is_refusal(" I don't know."));
}

}  // namespace
}  // namespace knowscope::study
