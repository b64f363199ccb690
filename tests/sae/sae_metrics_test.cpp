// Metrics against tests/fixtures/sae/metrics.json: SAELens evals.py formulas computed in numpy on
// the gs1_stored SAE, and per-token CE / KL and the downstream scores computed with torch.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "knowscope/io/atomic_file.h"
#include "knowscope/sae/metrics.h"
#include "knowscope/sae/sae_io.h"
#include "sae/sae_fixtures.h"
#include "test_paths.h"

namespace knowscope {
namespace {

nlohmann::json metrics_json() {
  return nlohmann::json::parse(read_file(test::fixture("sae/metrics.json")));
}

TEST(SaeMetrics, MatchSaeLensFormulas) {
  auto want = metrics_json();
  Sae s = load_sae(test::fixture("sae/gs1_stored/layer_3"));
  auto x = test::sae_fixture_inputs();
  SaeMetrics m = evaluate_sae(s, x.ptr(), x.shape[0]);
  EXPECT_EQ(m.tokens, 8);
  EXPECT_NEAR(m.l0, want["l0"].get<double>(), 1e-9);
  EXPECT_NEAR(m.l1, want["l1"].get<double>(), 1e-4);
  EXPECT_NEAR(m.mse, want["mse"].get<double>(), 1e-4 * want["mse"].get<double>());
  EXPECT_NEAR(m.explained_variance, want["explained_variance"].get<double>(), 1e-5);
  EXPECT_NEAR(m.fvu, 1 - want["explained_variance"].get<double>(), 1e-5);
  EXPECT_NEAR(m.explained_variance_legacy, want["explained_variance_legacy"].get<double>(), 1e-5);
  EXPECT_NEAR(m.cossim, want["cossim"].get<double>(), 1e-5);
  EXPECT_NEAR(m.l2_ratio, want["l2_ratio"].get<double>(), 1e-5);
  std::vector<double> density = want["feature_density"];
  ASSERT_EQ(m.firing_frequency.size(), density.size());
  int64_t dead = 0, dense = 0;
  for (size_t j = 0; j < density.size(); ++j) {
    EXPECT_DOUBLE_EQ(m.firing_frequency[j], density[j]);
    dead += density[j] == 0;
    dense += density[j] > 0.1;
  }
  EXPECT_DOUBLE_EQ(m.dead_fraction, double(dead) / 48);
  EXPECT_DOUBLE_EQ(m.dense_fraction, double(dense) / 48);
}

TEST(SaeMetrics, StreamingEqualsOneBatchForGlobalSums) {
  Sae s = load_sae(test::fixture("sae/saelens_v6_topk_f16"));
  auto x = test::sae_fixture_inputs();
  SaeMetrics all = evaluate_sae(s, x.ptr(), 8);
  SaeMetricsAccumulator acc(s.d_in, s.d_sae);
  for (int64_t r = 0; r < 8; r += 3) {
    int64_t n = std::min<int64_t>(3, 8 - r);
    SaeCodes c = sae_encode(s, x.ptr() + r * s.d_in, n);
    std::vector<float> xh(size_t(n * s.d_in));
    sae_decode(s, c, xh.data());
    acc.add(x.ptr() + r * s.d_in, xh.data(), c);
  }
  SaeMetrics parts = acc.result();
  EXPECT_NEAR(parts.explained_variance, all.explained_variance,
              1e-9);  // global sums, not per batch
  EXPECT_NEAR(parts.mse, all.mse, 1e-9);
  EXPECT_NEAR(parts.l0, all.l0, 1e-12);
  EXPECT_EQ(parts.firing_frequency, all.firing_frequency);
}

TEST(SaeMetrics, DownstreamScoresMatchTorch) {
  auto d = metrics_json()["downstream"];
  const int64_t T = d["T"], V = d["V"];
  std::vector<float> clean = d["clean"], spliced = d["spliced"], ablated = d["ablated"];
  std::vector<int32_t> targets = d["targets"];
  auto ce = token_cross_entropy(clean.data(), T, V, targets.data());
  auto kl = token_kl_divergence(clean.data(), spliced.data(), T, V);
  std::vector<double> ce_want = d["ce_clean_per_token"], kl_want = d["kl_sae_per_token"];
  for (int64_t t = 0; t < T; ++t) {
    EXPECT_NEAR(ce[size_t(t)], ce_want[size_t(t)], 1e-5);
    EXPECT_NEAR(kl[size_t(t)], kl_want[size_t(t)], 1e-5);
  }
  // Two batches accumulate to the same means as one.
  DownstreamAccumulator acc;
  const int64_t half = 3;
  acc.add(clean.data(), spliced.data(), ablated.data(), half, V, targets.data());
  acc.add(clean.data() + half * V, spliced.data() + half * V, ablated.data() + half * V, T - half,
          V, targets.data() + half);
  DownstreamScores s = acc.result();
  EXPECT_EQ(s.tokens, T);
  EXPECT_NEAR(s.ce_clean, d["ce_clean"].get<double>(), 1e-5);
  EXPECT_NEAR(s.ce_sae, d["ce_sae"].get<double>(), 1e-5);
  EXPECT_NEAR(s.ce_ablation, d["ce_ablation"].get<double>(), 1e-5);
  EXPECT_NEAR(s.kl_sae, d["kl_sae"].get<double>(), 1e-5);
  EXPECT_NEAR(s.kl_ablation, d["kl_ablation"].get<double>(), 1e-5);
  EXPECT_NEAR(s.ce_loss_score, d["ce_loss_score"].get<double>(), 1e-4);
  EXPECT_NEAR(s.kl_div_score, d["kl_div_score"].get<double>(), 1e-4);
  // Negative targets are skipped.
  std::vector<int32_t> masked = targets;
  masked[0] = -1;
  DownstreamAccumulator acc2;
  acc2.add(clean.data(), spliced.data(), ablated.data(), T, V, masked.data());
  EXPECT_EQ(acc2.result().tokens, T - 1);
}

}  // namespace
}  // namespace knowscope
