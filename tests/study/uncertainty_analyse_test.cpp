// analyse_uncertainty on synthetic residuals with planted latents: the latent whose activation
// predicts an error in every entity type must come out on top (min over types), a latent that
// separates only one type or only known-entity errors must not, and the classifier numbers must
// reflect the planted separation.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "knowscope/sae/sae.h"
#include "knowscope/study/stats.h"
#include "knowscope/study/uncertainty.h"

namespace knowscope::study {
namespace {

constexpr int64_t kD = 16;
constexpr int kPlanted = 5;   // error > correct in both types
constexpr int kOneType = 7;   // error > correct (strongly) in movies only
constexpr int kKnownErr = 9;  // high on known-entity errors only

Sae identity_sae() {
  Sae s = make_sae(SaeArch::Relu, kD, kD);
  for (int64_t i = 0; i < kD; ++i) {
    s.W_enc.ptr()[i * kD + i] = 1;
    s.W_dec.ptr()[i * kD + i] = 1;
  }
  s.hook_name = "blocks.3.hook_resid_post";
  return s;
}

struct Synthetic {
  std::vector<UncertaintyPrompt> prompts;
  std::vector<float> signal, noise;  // [n, kD] residuals of the two layers
};

Synthetic make_data(uint64_t seed, bool with_correct_train = true) {
  Synthetic d;
  SplitMix64 rng(seed);
  auto uni = [&](double lo, double hi) {
    return lo + (hi - lo) * double(rng.next() >> 11) / double(1ULL << 53);
  };
  struct Block {
    SplitName split;
    PromptClass cls;
    int n;
  };
  const std::vector<Block> blocks = {
      {SplitName::train, PromptClass::correct, with_correct_train ? 20 : 0},
      {SplitName::train, PromptClass::error, 25},
      {SplitName::train, PromptClass::error_known, 6},
      {SplitName::validation, PromptClass::correct, 6},
      {SplitName::validation, PromptClass::error, 8},
      {SplitName::test, PromptClass::correct, 12},
      {SplitName::test, PromptClass::error, 30},
      {SplitName::test, PromptClass::error_known, 4}};
  for (const char* type : {"movie", "city"}) {
    int k = 0;
    for (const Block& b : blocks)
      for (int i = 0; i < b.n; ++i) {
        UncertaintyPrompt p;
        p.entity = std::string(type) + std::to_string(k++);
        p.entity_type = type;
        p.prompt_type = std::string(type) + "_x";
        p.split = b.split;
        p.cls = b.cls;
        p.entity_label = b.cls == PromptClass::error ? Knowledge::unknown : Knowledge::known;
        const bool err = b.cls != PromptClass::correct;
        p.first_token_prob = uni(0.05, 0.95);  // uninformative
        p.mean_logprob = -uni(0.1, 3.0);
        for (int64_t j = 0; j < kD; ++j) {
          float v = float(uni(0, 2));
          if (j == kPlanted && err) v += 1.6f;
          if (j == kOneType && b.cls == PromptClass::error && std::string(type) == "movie")
            v += 6.0f;
          if (j == kKnownErr && b.cls == PromptClass::error_known) v += 8.0f;
          d.signal.push_back(v);
          d.noise.push_back(float(uni(0, 2)));
        }
        d.prompts.push_back(std::move(p));
      }
  }
  return d;
}

UncertaintyResult analyse(const Synthetic& d, const Sae& sae, const UncertaintyConfig& cfg) {
  std::vector<LayerResiduals> layers(2);
  layers[0] = {"blocks.1.hook_resid_post", &sae, kD, d.noise};
  layers[1] = {"blocks.3.hook_resid_post", &sae, kD, d.signal};
  return analyse_uncertainty(d.prompts, layers, cfg);
}

TEST(UncertaintyAnalyse, FindsThePlantedLatent) {
  const Synthetic d = make_data(1);
  const Sae sae = identity_sae();
  UncertaintyConfig cfg;
  cfg.bootstrap = 200;
  const UncertaintyResult r = analyse(d, sae, cfg);
  ASSERT_EQ(r.status, "ok") << r.reason;
  ASSERT_FALSE(r.top_latents.empty());
  EXPECT_EQ(r.top_latents[0].id, "L4F5");
  EXPECT_EQ(r.top_latents[0].hook, "blocks.4.hook_resid_pre");
  EXPECT_EQ(r.top_latents[0].sae_hook, "blocks.3.hook_resid_post");
  EXPECT_GT(r.top_latents[0].score, 5);
  EXPECT_EQ(r.top_latents[0].per_type.size(), 2u);
  // The one-type latent is beaten by min over types; the known-error latent does not score.
  for (const LatentScore& s : r.top_latents) {
    if (s.latent == kOneType && s.layer == 4) {
      EXPECT_GT(s.per_type.at("movie"), 10);
      EXPECT_LT(s.score, r.top_latents[0].score);
    }
  }
  EXPECT_EQ(r.types_scored.size(), 2u);
  EXPECT_EQ(r.threshold_split, "validation");
  // Balanced test: 2 types x 12 correct, and as many of the 68 errors.
  EXPECT_EQ(r.test_n, 48u);
  EXPECT_EQ(r.test_correct, 24u);
  EXPECT_EQ(r.test_unbalanced, 92u);
  ASSERT_GE(r.roc.size(), 4u);
  EXPECT_EQ(r.roc[0].kind, "latent");
  EXPECT_GT(r.roc[0].auroc, 0.85);
  EXPECT_GT(r.roc[0].auroc_all_test, 0.85);
  EXPECT_GT(r.roc[0].f1, 0.7);
  ASSERT_TRUE(r.roc[0].auroc_ci.has_value());
  EXPECT_LE(r.roc[0].auroc_ci->first, r.roc[0].auroc);
  EXPECT_GE(r.roc[0].auroc_ci->second, r.roc[0].auroc);
  EXPECT_EQ(r.roc[1].kind, "probe");
  EXPECT_GT(r.roc[1].auroc, 0.75);
  EXPECT_EQ(r.roc[2].kind, "greedy_first_token");
  EXPECT_LT(std::fabs(r.roc[2].auroc - 0.5), 0.25);  // uninformative by construction
  // AUROC recomputed from the test scores agrees with the ROC curve's area.
  double area = 0;
  for (size_t i = 1; i < r.roc[0].fpr.size(); ++i)
    area += (r.roc[0].fpr[i] - r.roc[0].fpr[i - 1]) * (r.roc[0].tpr[i] + r.roc[0].tpr[i - 1]) / 2;
  EXPECT_NEAR(area, r.roc[0].auroc, 1e-12);
  // The top latent's activations: errors above correct.
  EXPECT_GT(r.top_activation.at("error").median, r.top_activation.at("correct").median + 1);
}

TEST(UncertaintyAnalyse, NoSignalLayerGivesLowerScores) {
  const Synthetic d = make_data(2);
  const Sae sae = identity_sae();
  UncertaintyConfig cfg;
  cfg.bootstrap = 0;
  const UncertaintyResult r = analyse(d, sae, cfg);
  ASSERT_EQ(r.layers.size(), 2u);
  EXPECT_EQ(r.layers[0].layer, 2);
  EXPECT_LT(r.layers[0].best_score, 4);  // noise only
  EXPECT_EQ(r.layers[1].best, "L4F5");
}

TEST(UncertaintyAnalyse, SameSeedSameResultOtherSeedOtherSubsample) {
  const Synthetic d = make_data(3);
  const Sae sae = identity_sae();
  UncertaintyConfig cfg;
  cfg.bootstrap = 50;
  const std::string a = analyse(d, sae, cfg).to_json();
  const std::string b = analyse(d, sae, cfg).to_json();
  EXPECT_EQ(a, b);
  cfg.seed = 9;
  EXPECT_NE(analyse(d, sae, cfg).to_json(), a);
}

TEST(UncertaintyAnalyse, JsonFollowsTheDocumentedSchema) {
  const Synthetic d = make_data(4);
  const Sae sae = identity_sae();
  UncertaintyConfig cfg;
  cfg.bootstrap = 20;
  const auto j = nlohmann::json::parse(analyse(d, sae, cfg).to_json());
  EXPECT_EQ(j["format"], "knowscope.uncertainty");
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["top_latent"]["id"], "L4F5");
  EXPECT_TRUE(j["top_latent"]["activation"].contains("error_known"));
  EXPECT_EQ(j["counts"]["splits"]["train"]["error_known"], 12);
  EXPECT_EQ(j["roc"][0]["name"], "L4F5");
  EXPECT_TRUE(j["roc"][0]["thresholds"][0].is_null());  // +inf
  EXPECT_EQ(j["roc"][0]["fpr"].size(), j["roc"][0]["tpr"].size());
  EXPECT_EQ(j["paper"]["auroc"], 0.732);
  EXPECT_EQ(j["evaluation"]["test"]["n"], 48);
}

TEST(UncertaintyAnalyse, ReportsInsufficientData) {
  const Synthetic d = make_data(5, /*with_correct_train=*/false);
  const Sae sae = identity_sae();
  const UncertaintyResult r = analyse(d, sae, UncertaintyConfig{});
  EXPECT_EQ(r.status, "insufficient_data");
  EXPECT_FALSE(r.reason.empty());
  EXPECT_TRUE(r.roc.empty());
  EXPECT_EQ(r.types_excluded.size(), 2u);
  const auto j = nlohmann::json::parse(r.to_json());
  EXPECT_TRUE(j["roc"].empty());
  EXPECT_TRUE(j["top_latent"].is_null());
}

}  // namespace
}  // namespace knowscope::study
