// Hooks inside generate(): which forward calls see steering (prompt-only vs every generated token),
// and that KV-cache generation with steering equals a full recomputation without a cache in which
// the same positions are steered.
#include "knowscope/hooks/generate_hooks.h"

#include <gtest/gtest.h>

#include <random>

#include "hooks_test_util.h"
#include "knowscope/hooks/interventions.h"
#include "knowscope/model/generate.h"
#include "knowscope/model/sampling.h"

namespace knowscope {
namespace {

std::vector<float> random_vector(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = nd(rng);
  return v;
}

struct CallLog {
  std::vector<int64_t> steered_prompt_rows, steered_generated_rows, rows;  // per forward call
};

TEST(GenerateHooks, SteeringScopeAndCacheMatchFullRecompute) {
  Model m = test::tiny_hf_model("gemma3");
  const ModelConfig& c = m.config;
  const std::vector<std::vector<int32_t>> prompts = {test::ramp_tokens(6, c.vocab_size, 1),
                                                     test::ramp_tokens(9, c.vocab_size, 2)};
  const std::string hook = "blocks.1.hook_resid_pre";
  const std::vector<float> v = random_vector(c.d_model, 3);
  GenerateOptions base;
  base.max_new_tokens = 6;
  base.default_stop_tokens = false;
  SamplingParams hot;
  hot.temperature = 1.0f;
  base.samples = {SamplingParams{}, hot};
  base.seed = 5;
  const auto plain = generate(m, prompts, base);

  for (const Where& where : {Where::prompt(), Where::generated(), Where::all()}) {
    HookSet hs(c);
    add_steering(hs, hook, where, 2.5f, v);
    CallLog log;
    std::vector<RowRef> rows;
    hs.add(hook, [&](const HookEvent& ev, std::span<const SeqInfo> seqs) {
      rows.clear();
      HookSet::select_rows(where, ev, seqs, rows);
      int64_t g = 0;
      for (const RowRef& r : rows) g += r.generated;
      log.steered_generated_rows.push_back(g);
      log.steered_prompt_rows.push_back(int64_t(rows.size()) - g);
      log.rows.push_back(ev.rows);
    });
    GenerateOptions go = base;
    attach_hooks(hs, go);
    const auto out = generate(m, prompts, go);
    ASSERT_EQ(out.size(), plain.size());

    // Which calls were steered: prefill calls hold the prompts, decode calls one row per live
    // completion.
    const int64_t prompt_rows = int64_t(prompts[0].size() + prompts[1].size());
    int64_t prefill_seen = 0;
    for (size_t k = 0; k < log.rows.size(); ++k) {
      const bool decode = prefill_seen >= prompt_rows;
      if (!decode) prefill_seen += log.rows[k];
      const int64_t want_p = !decode && where.kind != Where::Kind::Generated ? log.rows[k] : 0;
      const int64_t want_g = decode && where.kind != Where::Kind::Prompt ? log.rows[k] : 0;
      EXPECT_EQ(log.steered_prompt_rows[k], want_p) << "call " << k;
      EXPECT_EQ(log.steered_generated_rows[k], want_g) << "call " << k;
    }
    EXPECT_GT(log.rows.size(), 2u);

    // Each completion's log-probabilities equal a full forward pass without a cache over prompt +
    // generated tokens with the same positions steered.
    double worst = 0;
    bool any_change = false;
    for (size_t i = 0; i < out.size(); ++i) {
      const Completion& comp = out[i];
      const auto& p = prompts[size_t(comp.prompt)];
      std::vector<int32_t> full = p;
      full.insert(full.end(), comp.tokens.begin(), comp.tokens.end() - 1);
      HookSet ref(c);
      add_steering(ref, hook, where, 2.5f, v);
      SeqInfo info{comp.prompt, comp.sample, int64_t(p.size())};
      ref.set_batch(std::span<const SeqInfo>(&info, 1));
      Tensor logits = test::batch_logits(m, {full}, ref.forward_hooks());
      for (size_t k = 0; k < comp.tokens.size(); ++k) {
        const float* row = logits.ptr() + (int64_t(p.size()) - 1 + int64_t(k)) * c.vocab_size;
        const double lp = log_softmax_at(row, c.vocab_size, comp.tokens[k]);
        worst = std::max(worst, std::fabs(lp - comp.logprobs[k]));
      }
      any_change |= comp.tokens != plain[i].tokens || comp.logprobs != plain[i].logprobs;
      // Generated-only steering cannot change the first token (drawn from the prompt's logits).
      if (where.kind == Where::Kind::Generated) {
        EXPECT_EQ(comp.tokens[0], plain[i].tokens[0]);
        EXPECT_EQ(comp.logprobs[0], plain[i].logprobs[0]);
      }
    }
    EXPECT_LE(worst, 1e-3);
    EXPECT_TRUE(any_change);
  }
}

TEST(GenerateHooks, ZeroSteeringLeavesGenerationBitIdentical) {
  Model m = test::tiny_hf_model("llama");
  const std::vector<std::vector<int32_t>> prompts = {test::ramp_tokens(5, m.config.vocab_size, 4)};
  GenerateOptions go;
  go.max_new_tokens = 8;
  go.default_stop_tokens = false;
  const auto plain = generate(m, prompts, go);
  HookSet hs(m.config);
  add_steering(hs, "blocks.0.hook_resid_post", Where::all(), 0.0f,
               random_vector(m.config.d_model, 1));
  attach_hooks(hs, go);
  const auto out = generate(m, prompts, go);
  EXPECT_EQ(out[0].tokens, plain[0].tokens);
  EXPECT_EQ(out[0].logprobs, plain[0].logprobs);
}

}  // namespace
}  // namespace knowscope
