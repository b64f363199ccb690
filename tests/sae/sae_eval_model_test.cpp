// SAE evaluation with the model in the loop, on the tiny random Gemma 3: an SAE that reconstructs
// its input exactly (ReLU over [I, -I]) recovers all of the CE loss with zero KL, an all-zero SAE
// is the zero ablation and recovers none of it, and the activation metrics see the right tokens.
#include <gtest/gtest.h>

#include <cmath>

#include "knowscope/core/error.h"
#include "knowscope/sae/sae_eval.h"
#include "study/tiny_model.h"

namespace knowscope {
namespace {

const Model& tiny() { return study::test_tiny::tiny_model(); }

// x -> relu(x) - relu(-x) = x: latents j < d read +x_j, latents d + j read -x_j.
Sae identity_sae(int64_t d, const std::string& hook) {
  Sae s = make_sae(SaeArch::Relu, d, 2 * d);
  for (int64_t i = 0; i < d; ++i) {
    s.W_enc.data[size_t(i * 2 * d + i)] = 1.0f;
    s.W_enc.data[size_t(i * 2 * d + d + i)] = -1.0f;
    s.W_dec.data[size_t(i * d + i)] = 1.0f;
    s.W_dec.data[size_t((d + i) * d + i)] = -1.0f;
  }
  s.hook_name = hook;
  return s;
}

std::vector<std::vector<int32_t>> sequences() {
  const Tokenizer& tok = *tiny().tokenizer;
  std::vector<std::vector<int32_t>> out;
  for (const char* t : {"The cat is on the mat.", "Paris is the capital of France, 12 times.",
                        "abc def ghi jkl mno"})
    out.push_back(tok.encode(t));
  return out;
}

TEST(SaeEvalModel, IdentitySaeRecoversEverythingZeroSaeNothing) {
  const int64_t d = tiny().config.d_model;
  const std::string hook = "blocks.0.hook_resid_post";
  Sae ident = identity_sae(d, hook);
  Sae zero = make_sae(SaeArch::Relu, d, 2 * d);
  zero.hook_name = hook;
  auto seqs = sequences();
  SaeEvalConfig cfg;
  cfg.progress = false;
  cfg.logits_batch_tokens = 40;  // several batches
  auto r = evaluate_saes_on_model(tiny(), {&ident, &zero}, seqs, seqs, cfg);
  ASSERT_EQ(r.size(), 2u);

  int64_t targets = 0, tokens = 0;
  for (const auto& s : seqs) {
    targets += int64_t(s.size()) - 1;
    tokens += int64_t(s.size()) - 1;  // BOS is not counted
  }
  const DownstreamScores& a = r[0].downstream;
  EXPECT_EQ(a.tokens, targets);
  EXPECT_GT(std::abs(a.ce_ablation - a.ce_clean), 1e-3);  // the ablation changes the output
  EXPECT_NEAR(a.ce_sae, a.ce_clean, 1e-6);
  EXPECT_NEAR(a.ce_loss_score, 1.0, 1e-5);
  EXPECT_NEAR(a.kl_sae, 0.0, 1e-6);
  EXPECT_GT(a.kl_ablation, 1e-4);
  EXPECT_NEAR(a.kl_div_score, 1.0, 1e-5);

  const DownstreamScores& z = r[1].downstream;
  EXPECT_DOUBLE_EQ(z.ce_clean, a.ce_clean);
  EXPECT_NEAR(z.ce_sae, z.ce_ablation, 1e-6);
  EXPECT_NEAR(z.ce_loss_score, 0.0, 1e-5);
  EXPECT_NEAR(z.kl_div_score, 0.0, 1e-5);

  EXPECT_EQ(r[0].activations.tokens, tokens);
  EXPECT_NEAR(r[0].activations.fvu, 0.0, 1e-6);
  EXPECT_NEAR(r[0].activations.l0, double(d), 0.5);  // one of each +/- pair fires per dimension
  EXPECT_GE(r[1].activations.fvu, 1.0);              // x_hat = 0: FVU = E||x||^2 / Var >= 1
  EXPECT_EQ(r[1].activations.l0, 0.0);
  EXPECT_EQ(r[1].activations.dead_fraction, 1.0);
}

TEST(SaeEvalModel, LaterLayerAndErrors) {
  const int64_t d = tiny().config.d_model;
  Sae ident = identity_sae(d, "blocks.1.hook_resid_post");
  auto seqs = sequences();
  SaeEvalConfig cfg;
  cfg.progress = false;
  auto r = evaluate_saes_on_model(tiny(), {&ident}, {}, seqs, cfg);
  EXPECT_NEAR(r[0].downstream.ce_loss_score, 1.0, 1e-5);
  EXPECT_EQ(r[0].activations.tokens, 0);

  Sae wrong = make_sae(SaeArch::Relu, d + 1, 4);
  wrong.hook_name = "blocks.0.hook_resid_post";
  EXPECT_THROW(evaluate_saes_on_model(tiny(), {&wrong}, seqs, {}, cfg), Error);
  Sae nohook = make_sae(SaeArch::Relu, d, 4);
  EXPECT_THROW(evaluate_saes_on_model(tiny(), {&nohook}, seqs, {}, cfg), Error);
  nohook.hook_name = "blocks.9.hook_resid_post";  // the tiny model has 2 blocks
  EXPECT_THROW(evaluate_saes_on_model(tiny(), {&nohook}, seqs, {}, cfg), Error);
}

}  // namespace
}  // namespace knowscope
