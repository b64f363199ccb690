// Sampling and generation. Greedy continuations against transformers are in forward_tiny_test and
// against llama.cpp in forward_real_test; here: the sampler's distributions, reproducibility,
// batching, shared prompts, stop conditions, streaming and log-probabilities.
#include "knowscope/model/generate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "forward_fixtures.h"
#include "knowscope/core/error.h"
#include "knowscope/model/forward.h"

namespace knowscope {
namespace {

// ---- Sampler -----------------------------------------------------------------------------------

// Frequencies of `n` draws over logits.
std::map<int32_t, double> draw(const std::vector<float>& logits, SamplingParams p, int n,
                               uint64_t seed = 1) {
  Sampler s(p, seed);
  std::map<int32_t, double> f;
  for (int i = 0; i < n; ++i) f[s.sample(logits.data(), int64_t(logits.size()))] += 1.0 / n;
  return f;
}

// log of probabilities 0.5, 0.3, 0.15, 0.05.
const std::vector<float> kLogits = {std::log(0.5f), std::log(0.3f), std::log(0.15f),
                                    std::log(0.05f)};

TEST(Sampler, GreedyTakesTheFirstMaximum) {
  std::vector<float> v = {1.0f, 3.0f, 3.0f, -2.0f};
  EXPECT_EQ(argmax(v.data(), 4), 1);
  Sampler s;  // temperature 0
  EXPECT_EQ(s.sample(v.data(), 4), 1);
}

TEST(Sampler, TemperatureOneDrawsTheSoftmax) {
  auto f = draw(kLogits, {1.0f, 0, 1.0f, 0.0f}, 40000);
  EXPECT_NEAR(f[0], 0.5, 0.01);
  EXPECT_NEAR(f[1], 0.3, 0.01);
  EXPECT_NEAR(f[2], 0.15, 0.01);
  EXPECT_NEAR(f[3], 0.05, 0.01);
}

TEST(Sampler, TemperatureSharpens) {
  // T = 0.5: p_i proportional to p_i^2 -> 0.25, 0.09, 0.0225, 0.0025 over 0.365.
  auto f = draw(kLogits, {0.5f, 0, 1.0f, 0.0f}, 40000);
  EXPECT_NEAR(f[0], 0.25 / 0.365, 0.01);
  EXPECT_NEAR(f[1], 0.09 / 0.365, 0.01);
}

TEST(Sampler, TopKTopPMinPKeepTheRightSets) {
  auto k2 = draw(kLogits, {1.0f, 2, 1.0f, 0.0f}, 20000);  // {0, 1} renormalized: 0.625, 0.375
  EXPECT_EQ(k2.size(), 2u);
  EXPECT_NEAR(k2[0], 0.625, 0.015);
  auto p7 = draw(kLogits, {1.0f, 0, 0.7f, 0.0f}, 20000);  // 0.5 + 0.3 >= 0.7 -> {0, 1}
  EXPECT_EQ(p7.size(), 2u);
  auto p85 = draw(kLogits, {1.0f, 0, 0.85f, 0.0f}, 20000);  // needs 0.15 too -> {0, 1, 2}
  EXPECT_EQ(p85.size(), 3u);
  auto m35 = draw(kLogits, {1.0f, 0, 1.0f, 0.35f}, 20000);  // p >= 0.35 * 0.5 -> {0, 1}
  EXPECT_EQ(m35.size(), 2u);
  auto m25 = draw(kLogits, {1.0f, 0, 1.0f, 0.25f}, 20000);  // 0.15 >= 0.125 -> {0, 1, 2}
  EXPECT_EQ(m25.size(), 3u);
  Sampler k1({1.0f, 1, 1.0f, 0.0f}, 5);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(k1.sample(kLogits.data(), 4), 0);
}

TEST(Sampler, TopPKeepsHalfOfAFlatVocabulary) {
  // 5000 equal logits: top-p 0.5 keeps 2500 of them, the lowest ids.
  std::vector<float> flat(5000, 0.0f);
  auto f = draw(flat, {1.0f, 0, 0.5f, 0.0f}, 3000);
  int32_t max_id = 0;
  for (auto& [id, p] : f) max_id = std::max(max_id, id);
  EXPECT_LE(max_id, 2500);  // ties keep the lower ids (2500 or 2501 by rounding)
  EXPECT_GT(f.size(), 1000u);
}

TEST(Sampler, SeedsReproduce) {
  std::vector<float> flat(100, 0.0f);
  Sampler a({1.0f, 0, 1.0f, 0.0f}, 42), b({1.0f, 0, 1.0f, 0.0f}, 42), c({1.0f, 0, 1.0f, 0.0f}, 43);
  int same_c = 0;
  for (int i = 0; i < 50; ++i) {
    int32_t x = a.sample(flat.data(), 100);
    EXPECT_EQ(x, b.sample(flat.data(), 100));
    same_c += x == c.sample(flat.data(), 100);
  }
  EXPECT_LT(same_c, 10);
  EXPECT_NE(derive_seed(1, 0, 1), derive_seed(1, 1, 0));
  EXPECT_THROW(Sampler({1.0f, 0, 0.0f, 0.0f}, 1), Error);
}

TEST(Sampler, LogSoftmax) {
  EXPECT_NEAR(log_softmax_at(kLogits.data(), 4, 1), std::log(0.3), 1e-6);
}

// ---- generate() on a tiny model ----------------------------------------------------------------

class Generate : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::model_fixture_exists("tiny", "llama")) GTEST_SKIP() << "fixture missing";
    model_ = load_model(test::fixture("models/hf/llama"));
    auto fx = test::load_model_fixture("tiny", "llama");
    for (const auto& s : fx.manifest.at("sequences"))
      if (s.at("length").get<int>() >= 3) prompts_.push_back(test::json_ids(s.at("input_ids")));
  }
  Model model_;
  std::vector<std::vector<int32_t>> prompts_;
};

TEST_F(Generate, BatchedGreedyEqualsEachPromptAlone) {
  GenerateOptions opt;
  opt.max_new_tokens = 12;
  opt.default_stop_tokens = false;
  auto together = generate(model_, prompts_, opt);
  ASSERT_EQ(together.size(), prompts_.size());
  opt.max_batch_sequences = 1;  // one prompt at a time
  opt.max_prefill_tokens = 5;   // and prompts prefilled in pieces
  auto alone = generate(model_, prompts_, opt);
  for (size_t i = 0; i < prompts_.size(); ++i) {
    EXPECT_EQ(together[i].prompt, int(i));
    EXPECT_EQ(together[i].tokens, alone[i].tokens) << "prompt " << i;
    EXPECT_EQ(together[i].tokens.size(), 12u);
    EXPECT_EQ(together[i].stop, StopReason::MaxTokens);
  }
}

TEST_F(Generate, LogprobsAreTheModelsLogSoftmax) {
  GenerateOptions opt;
  opt.max_new_tokens = 6;
  opt.default_stop_tokens = false;
  opt.samples = {SamplingParams{0.8f, 0, 1.0f, 0.0f}};
  auto out = generate(model_, {prompts_[1]}, opt);
  std::vector<int32_t> all = prompts_[1];
  all.insert(all.end(), out[0].tokens.begin(), out[0].tokens.end());
  Tensor logits = forward_all_logits(model_, all);
  const int64_t V = model_.config.vocab_size;
  for (size_t k = 0; k < out[0].tokens.size(); ++k) {
    const float* row = logits.ptr() + int64_t(prompts_[1].size() + k - 1) * V;
    EXPECT_NEAR(out[0].logprobs[k], log_softmax_at(row, V, out[0].tokens[k]), 1e-4);
  }
}

TEST_F(Generate, SamplesShareThePromptAndReproduce) {
  GenerateOptions opt;
  opt.max_new_tokens = 10;
  opt.default_stop_tokens = false;
  opt.seed = 123;
  SamplingParams hot{1.0f, 0, 1.0f, 0.0f};
  opt.samples = {SamplingParams{}, hot, hot, hot, hot};  // 1 greedy + 4 sampled per prompt
  auto a = generate(model_, prompts_, opt);
  ASSERT_EQ(a.size(), prompts_.size() * 5);
  auto b = generate(model_, prompts_, opt);
  GenerateOptions greedy_only;
  greedy_only.max_new_tokens = 10;
  greedy_only.default_stop_tokens = false;
  auto g = generate(model_, prompts_, greedy_only);
  for (size_t p = 0; p < prompts_.size(); ++p) {
    EXPECT_EQ(a[p * 5].tokens, g[p].tokens) << "greedy sample of prompt " << p;
    std::set<std::vector<int32_t>> distinct;
    for (int s = 0; s < 5; ++s) {
      EXPECT_EQ(a[p * 5 + size_t(s)].prompt, int(p));
      EXPECT_EQ(a[p * 5 + size_t(s)].sample, s);
      EXPECT_EQ(a[p * 5 + size_t(s)].tokens, b[p * 5 + size_t(s)].tokens);  // same seed
      if (s > 0) distinct.insert(a[p * 5 + size_t(s)].tokens);
    }
    EXPECT_GE(distinct.size(), 2u) << "sampled completions should differ";
  }
  // A completion's draws do not depend on the others in its batch.
  GenerateOptions one = opt;
  one.max_batch_sequences = 5;  // one prompt per group
  auto c = generate(model_, prompts_, one);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].tokens, c[i].tokens) << i;
  // A different seed changes the sampled ones.
  opt.seed = 124;
  auto d = generate(model_, prompts_, opt);
  int changed = 0;
  for (size_t i = 0; i < a.size(); ++i) changed += a[i].tokens != d[i].tokens;
  EXPECT_GT(changed, 0);
}

// Per-prompt seeds: a prompt's samples depend on its own seed only, not on the prompts beside it,
// its index or the batch size; the engine computes its rows bit-identically in any batch.
TEST_F(Generate, PerPromptSeedsGiveTheSameSamplesAloneAndInAnyBatch) {
  ASSERT_GE(prompts_.size(), 3u);
  GenerateOptions opt;
  opt.max_new_tokens = 10;
  opt.default_stop_tokens = false;
  SamplingParams hot{1.0f, 0, 1.0f, 0.0f};
  opt.samples = {SamplingParams{}, hot, hot, hot};
  const PromptSeed mine{777, 3};
  opt.prompt_seeds = {mine};
  const auto alone = generate(model_, {prompts_[1]}, opt);
  // The same prompt last in a batch of others with their own seeds, and decoded in small groups.
  std::vector<std::vector<int32_t>> batch = {prompts_[0], prompts_[2], prompts_[1]};
  opt.prompt_seeds = {{1, 0}, {2, 0}, mine};
  for (int group : {64, 4}) {
    opt.max_batch_sequences = group;
    const auto together = generate(model_, batch, opt);
    ASSERT_EQ(together.size(), 12u);
    for (int s = 0; s < 4; ++s) {
      const Completion& a = alone[size_t(s)];
      const Completion& b = together[8 + size_t(s)];
      EXPECT_EQ(b.prompt, 2);
      EXPECT_EQ(a.tokens, b.tokens) << "sample " << s << ", groups of " << group;
      ASSERT_EQ(a.logprobs.size(), b.logprobs.size());
      for (size_t k = 0; k < a.logprobs.size(); ++k)
        EXPECT_EQ(a.logprobs[k], b.logprobs[k]) << "bitwise, sample " << s << " token " << k;
    }
  }
  // Without prompt_seeds the prompt's index picks the stream: prompt_seeds {seed, p} is the same.
  GenerateOptions plain = opt;
  plain.prompt_seeds.clear();
  plain.seed = 9;
  const auto by_index = generate(model_, batch, plain);
  plain.prompt_seeds = {{9, 0}, {9, 1}, {9, 2}};
  const auto explicit_seeds = generate(model_, batch, plain);
  for (size_t i = 0; i < by_index.size(); ++i)
    EXPECT_EQ(by_index[i].tokens, explicit_seeds[i].tokens);
  // Another seed for the prompt changes its samples; a wrong count of seeds is an error.
  opt.prompt_seeds = {{1, 0}, {2, 0}, {778, 3}};
  const auto moved = generate(model_, batch, opt);
  int changed = 0;
  for (int s = 1; s < 4; ++s) changed += moved[8 + size_t(s)].tokens != alone[size_t(s)].tokens;
  EXPECT_GT(changed, 0);
  opt.prompt_seeds = {mine};
  EXPECT_THROW(generate(model_, batch, opt), Error);
}

TEST_F(Generate, StopTokensCallbacksAndContextEnd) {
  GenerateOptions opt;
  opt.max_new_tokens = 10;
  opt.default_stop_tokens = false;
  auto free_run = generate(model_, {prompts_[0]}, opt);
  const auto& toks = free_run[0].tokens;
  ASSERT_EQ(toks.size(), 10u);
  // Stop on the third token's id: generation ends at its first occurrence, which is kept.
  opt.stop_tokens = {toks[2]};
  auto stopped = generate(model_, {prompts_[0]}, opt);
  size_t first = size_t(std::find(toks.begin(), toks.end(), toks[2]) - toks.begin());
  EXPECT_EQ(stopped[0].stop, StopReason::StopToken);
  EXPECT_EQ(stopped[0].tokens, std::vector<int32_t>(toks.begin(), toks.begin() + long(first) + 1));

  // Streaming: events in order; returning false ends that completion.
  opt.stop_tokens.clear();
  std::vector<int32_t> streamed;
  opt.on_token = [&](const TokenEvent& e) {
    EXPECT_EQ(e.index, int(streamed.size()));
    streamed.push_back(e.token);
    return streamed.size() < 4;
  };
  auto cb = generate(model_, {prompts_[0]}, opt);
  EXPECT_EQ(cb[0].stop, StopReason::Callback);
  EXPECT_EQ(cb[0].tokens, streamed);
  EXPECT_EQ(streamed, std::vector<int32_t>(toks.begin(), toks.begin() + 4));

  // The context length (128 for this model) ends generation.
  opt.on_token = nullptr;
  opt.max_new_tokens = 50;
  std::vector<int32_t> long_prompt(120, 5);
  auto ctx = generate(model_, {long_prompt}, opt);
  EXPECT_EQ(ctx[0].stop, StopReason::ContextFull);
  EXPECT_EQ(ctx[0].tokens.size(), 128u - 120u + 1u);  // positions 120..127 are fed, 8 + 1 drawn
}

TEST_F(Generate, StopStringsNeedTheTokenizer) {
  if (!model_.tokenizer) GTEST_SKIP() << "no tokenizer";
  GenerateOptions opt;
  opt.max_new_tokens = 10;
  opt.default_stop_tokens = false;
  auto free_run = generate(model_, {prompts_[2]}, opt);
  const std::string text = free_run[0].text;
  ASSERT_GE(text.size(), 4u);
  // Stop at a piece of the text that appears after the first token.
  std::string first = model_.tokenizer->decode({free_run[0].tokens[0]});
  std::string needle = text.substr(first.size(), std::min<size_t>(2, text.size() - first.size()));
  if (needle.empty()) GTEST_SKIP() << "first token covers the whole text";
  opt.stop_strings = {needle};
  auto out = generate(model_, {prompts_[2]}, opt);
  EXPECT_EQ(out[0].stop, StopReason::StopString);
  EXPECT_EQ(out[0].text.find(needle), std::string::npos);
  EXPECT_LT(out[0].tokens.size(), free_run[0].tokens.size());
}

TEST_F(Generate, RejectsBadRequests) {
  GenerateOptions opt;
  EXPECT_THROW(generate(model_, {{}}, opt), Error);
  opt.samples.clear();
  EXPECT_THROW(generate(model_, prompts_, opt), Error);
}

}  // namespace
}  // namespace knowscope
