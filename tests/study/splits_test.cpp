#include "knowscope/study/splits.h"

#include <gtest/gtest.h>

#include "knowscope/core/error.h"
#include "study_fixture.h"

namespace knowscope::study {
namespace {

std::vector<size_t> as_sizes(const nlohmann::json& list) {
  std::vector<size_t> out;
  for (const auto& v : list) out.push_back(v.get<size_t>());
  return out;
}

TEST(Splits, Mt19937MatchesNumpyLegacySeeding) {
  auto j = test::study_fixture("random.json");
  for (const auto& c : j["mt19937"]) {
    LegacyMt19937 rng(c["seed"].get<uint32_t>());
    std::vector<uint32_t> all;
    for (int i = 0; i < 1300; ++i) all.push_back(rng.next_uint32());
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(all[i], c["first"][i].get<uint32_t>()) << "seed " << c["seed"] << " i " << i;
      EXPECT_EQ(all[624 + i], c["at_624"][i].get<uint32_t>()) << "seed " << c["seed"];
      EXPECT_EQ(all[1295 + i], c["at_1295"][i].get<uint32_t>()) << "seed " << c["seed"];
    }
  }
}

TEST(Splits, PermutationMatchesNumpy) {
  auto j = test::study_fixture("random.json");
  for (const auto& c : j["permutations"]) {
    auto perm = legacy_permutation(c["n"].get<int64_t>(), c["seed"].get<uint32_t>());
    std::vector<int64_t> want = c["perm"];
    EXPECT_EQ(perm, want) << "n " << c["n"] << " seed " << c["seed"];
  }
}

TEST(Splits, TrainTestSplitMatchesSklearn) {
  auto j = test::study_fixture("random.json");
  for (const auto& c : j["train_test_split"]) {
    size_t n = c["n"];
    double test_size = c["test_size"];
    if (c.contains("error")) {
      EXPECT_THROW(train_test_split_indices(n, test_size, 42), Error) << n << " " << test_size;
      continue;
    }
    auto s = train_test_split_indices(n, test_size, 42);
    EXPECT_EQ(s.train, as_sizes(c["train"])) << n << " " << test_size;
    EXPECT_EQ(s.test, as_sizes(c["test"])) << n << " " << test_size;
  }
}

TEST(Splits, PaperSplitsMatchSklearn) {
  auto j = test::study_fixture("random.json");
  int fallbacks = 0;
  for (const auto& c : j["paper_splits"]) {
    size_t n = c["n"];
    if (c.contains("error")) {
      EXPECT_THROW(split_indices(n, 42, /*strict=*/true), Error) << n;
      auto s = split_indices(n, 42);  // the documented fallback keeps every item once
      EXPECT_TRUE(s.fallback);
      EXPECT_EQ(s.train.size() + s.validation.size() + s.test.size(), n);
      ++fallbacks;
      continue;
    }
    auto s = split_indices(n, 42, true);
    EXPECT_FALSE(s.fallback);
    EXPECT_EQ(s.train, as_sizes(c["train"])) << n;
    EXPECT_EQ(s.validation, as_sizes(c["validation"])) << n;
    EXPECT_EQ(s.test, as_sizes(c["test"])) << n;
  }
  EXPECT_EQ(fallbacks, 9);  // n = 0..8
}

}  // namespace
}  // namespace knowscope::study
