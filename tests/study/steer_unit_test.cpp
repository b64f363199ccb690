// Steering helpers against references nobody here wrote (tools/make_steer_fixtures.py: Python's
// random.shuffle, statsmodels' Wilson interval), and the sweep's choice rule.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/model/model.h"
#include "knowscope/study/stats.h"
#include "knowscope/study/steering.h"
#include "test_paths.h"

namespace knowscope::study {
namespace {

nlohmann::json reference() {
  return nlohmann::json::parse(read_file(test::fixture("study/steer_reference.json")));
}

TEST(SteerUnit, ShuffleIsPythons) {
  const nlohmann::json ref = reference();  // kept alive for the loop
  for (const auto& s : ref["shuffles"]) {
    const auto got = python_shuffled_indices(s["n"].get<size_t>(), s["seed"].get<uint32_t>());
    EXPECT_EQ(got, s["order"].get<std::vector<size_t>>())
        << "n " << s["n"] << " seed " << s["seed"];
  }
}

TEST(SteerUnit, WilsonIsStatsmodels) {
  const nlohmann::json ref = reference();  // kept alive for the loop
  for (const auto& w : ref["wilson"]) {
    const Interval ci = wilson_interval(w["k"].get<size_t>(), w["n"].get<size_t>());
    EXPECT_NEAR(ci.lo, w["lo"].get<double>(), 1e-9) << w["k"] << "/" << w["n"];
    EXPECT_NEAR(ci.hi, w["hi"].get<double>(), 1e-9) << w["k"] << "/" << w["n"];
  }
}

TEST(SteerUnit, ChooseFactor) {
  // The smallest factor that reaches the target, whatever the order.
  EXPECT_EQ(choose_factor({0, 1, 2, 3}, {0.1, 0.5, 0.95, 1.0}, 0.9),
            (std::pair<size_t, bool>{2, true}));
  EXPECT_EQ(choose_factor({3, 2, 1}, {1.0, 0.92, 0.3}, 0.9), (std::pair<size_t, bool>{1, true}));
  // Not reached: the highest rate, the smallest factor among ties.
  EXPECT_EQ(choose_factor({0, 1, 2, 4}, {0.1, 0.6, 0.6, 0.4}, 0.9),
            (std::pair<size_t, bool>{1, false}));
  // Factor 0 is the original model: never the choice while a positive factor exists.
  EXPECT_EQ(choose_factor({0, 1, 2}, {0.95, 0.5, 0.97}, 0.9), (std::pair<size_t, bool>{2, true}));
  EXPECT_EQ(choose_factor({0, 1, 2}, {0.95, 0.5, 0.3}, 0.9), (std::pair<size_t, bool>{1, false}));
  EXPECT_EQ(choose_factor({0}, {0.95}, 0.9), (std::pair<size_t, bool>{0, true}));
  EXPECT_THROW(choose_factor({}, {}, 0.9), Error);
  EXPECT_THROW(choose_factor({1}, {0.1, 0.2}, 0.9), Error);
}

TEST(SteerUnit, FewshotRefusalReadsTheAnswerLine) {
  EXPECT_TRUE(steer_is_refusal(SteerFormat::fewshot, " I don't know.\nQ: next"));
  EXPECT_FALSE(steer_is_refusal(SteerFormat::fewshot, " Paris\nQ: I don't know."));
  EXPECT_TRUE(steer_is_refusal(SteerFormat::chat, "I'm sorry, I couldn't find any information"));
  EXPECT_TRUE(steer_is_correct(SteerFormat::fewshot, "movie_release_year", "1997", " 1997\nQ:"));
  EXPECT_FALSE(steer_is_correct(SteerFormat::fewshot, "movie_release_year", "1997", " 2010"));
  EXPECT_FALSE(steer_is_correct(SteerFormat::fewshot, "movie_release_year", "", " 1997"));
}

TEST(SteerUnit, PositionsByName) {
  EXPECT_EQ(parse_steer_positions("entity_last"), SteerPositions::entity_last);
  EXPECT_EQ(parse_steer_positions("entity_last_to_end"), SteerPositions::entity_last_to_end);
  EXPECT_THROW(parse_steer_positions("last"), Error);
}

}  // namespace
}  // namespace knowscope::study

namespace knowscope::study {
namespace {

// The chat prompt of a real chat model (SmolLM2's own template) and its last entity token; the
// few-shot prompt of the base model. Skipped without the models.
TEST(SteerUnit, RealModelPrompts) {
  const auto chat_path = test::cached_model("smollm2-135m-instruct");
  const auto base_path = test::cached_model("gemma-3-270m");
  if (!chat_path || !base_path) {
    if (test::models_required()) FAIL() << "models missing";
    GTEST_SKIP() << "real models not in the cache";
  }
  const Model chat = load_model(*chat_path);
  EXPECT_EQ(default_steer_format(chat), SteerFormat::chat);
  const auto c =
      tokenize_steer_prompt(chat, SteerFormat::chat, "Who directed the movie Heat?", "Heat");
  EXPECT_NE(c.text.find("<|im_start|>user\nWho directed the movie Heat?<|im_end|>"),
            std::string::npos)
      << c.text;
  EXPECT_EQ(c.text.substr(c.text.size() - 22), "<|im_start|>assistant\n");
  EXPECT_EQ(chat.tokenizer->decode({c.tokens[size_t(c.entity_last)]}), " Heat");

  const Model base = load_model(*base_path);
  EXPECT_EQ(default_steer_format(base), SteerFormat::fewshot);
  const auto b = tokenize_steer_prompt(base, SteerFormat::fewshot,
                                       "Who is the director of the movie 'Heat'?", "Heat");
  EXPECT_EQ(b.text.substr(b.text.size() - 3), "\nA:");
  EXPECT_EQ(base.tokenizer->decode({b.tokens[size_t(b.entity_last)]}), "Heat");
}

}  // namespace
}  // namespace knowscope::study
