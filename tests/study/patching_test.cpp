// Activation patching on the tiny random Gemma 3 (spec 5.2): the metric's fixed points, and the
// per-head hook_z patch against a recomposition of the attention output by hand.
#include "knowscope/study/patching.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "knowscope/core/matmul.h"
#include "knowscope/core/ops.h"
#include "knowscope/hooks/capture.h"
#include "knowscope/hooks/interventions.h"
#include "knowscope/model/forward.h"
#include "study/heads_tiny.h"

namespace knowscope::study {
namespace {

const Model& tiny() { return test_heads::heads_model(); }

// Two known and three unknown cities of equal length; answers made distinct by hand (the
// character vocabulary gives every answer the same first token).
struct Fixture {
  std::vector<HeadPrompt> prompts;
  std::vector<PromptPair> pairs;
};

Fixture fixture() {
  std::vector<HeadEntity> ents;
  const std::vector<std::string> names = {"Abcde", "Qrstu", "Bcdxf", "Mnopq", "Vwxyz"};
  for (size_t i = 0; i < names.size(); ++i)
    ents.push_back({names[i],
                    "city",
                    i < 2 ? Knowledge::known : Knowledge::unknown,
                    {{"city_country", "X"}, {"city_population", "5"}}});
  Fixture f;
  f.prompts = build_head_prompts(*tiny().tokenizer, ents);
  for (size_t i = 0; i < f.prompts.size(); ++i)
    if (f.prompts[i].answer_token >= 0) f.prompts[i].answer_token = int32_t(10 + i);
  PairOptions po;
  po.per_type = 100;
  f.pairs = select_pairs(f.prompts, po);
  return f;
}

std::vector<double> ld_of(const PairLogitDiffs& b, bool clean) {
  return clean ? b.clean : b.corrupt;
}

TEST(Patching, FixtureHasPairs) {
  const Fixture f = fixture();
  EXPECT_EQ(f.pairs.size(), 12u);  // 2 known x 3 unknown x 2 relations with answers
}

TEST(Patching, FinalResidualAtLastPositionRecoversOne) {
  const Fixture f = fixture();
  const int L = tiny().config.n_layers;
  const PairLogitDiffs base = pair_logit_diffs(tiny(), f.prompts, f.pairs);
  for (size_t k = 0; k < f.pairs.size(); ++k) EXPECT_NE(base.clean[k], base.corrupt[k]);
  const std::vector<PatchSite> sites = {
      {"blocks." + std::to_string(L - 1) + ".hook_resid_post", {}, -1},
      {"blocks.0.hook_resid_pre", {}, PatchSite::kAllPositions},
      {"blocks.0.hook_resid_pre", {}, 0},  // the first token: the same in both prompts
  };
  const auto patched = patched_logit_diffs(tiny(), f.prompts, f.pairs, sites);
  for (size_t k = 0; k < f.pairs.size(); ++k) {
    // The whole final residual row: the clean logits, bit for bit.
    EXPECT_EQ(patched[0][k], base.clean[k]);
    EXPECT_NEAR(patched[1][k], base.clean[k], 1e-4 * (1 + std::abs(base.clean[k])));
    EXPECT_NEAR(patched[2][k], base.corrupt[k], 1e-4 * (1 + std::abs(base.corrupt[k])));
  }
  EXPECT_EQ(patching_metric(patched[0], base.clean, base.corrupt), 1.0);
  EXPECT_NEAR(patching_metric(patched[1], base.clean, base.corrupt), 1.0, 1e-4);
  EXPECT_NEAR(patching_metric(patched[2], base.clean, base.corrupt), 0.0, 1e-4);
  EXPECT_EQ(patching_metric(ld_of(base, false), base.clean, base.corrupt), 0.0);
}

TEST(Patching, MetricArithmetic) {
  const std::vector<double> clean = {3, 5}, corrupt = {1, 1}, half = {2, 3};
  EXPECT_DOUBLE_EQ(patching_metric(half, clean, corrupt), 0.5);  // (2.5 - 1) / (4 - 1)
  const std::vector<double> with_nan = {2, NAN};
  EXPECT_DOUBLE_EQ(patching_metric(with_nan, clean, corrupt), 1.0 / 3.0);
  EXPECT_TRUE(std::isnan(patching_metric(half, corrupt, corrupt)));
}

// Patching head h's slice of hook_z at the last position equals replacing the attention output
// by post_norm(W_O z_mixed), z_mixed = the corrupt z with head h's slice taken from the clean run.
TEST(Patching, HeadZPatchMatchesManualRecomposition) {
  const Fixture f = fixture();
  const Model& m = tiny();
  const ModelConfig& c = m.config;
  const int layer = 1, head = 1;
  const std::string zhook = "blocks.1.attn.hook_z";
  std::vector<CapturePrompt> clean, corrupt;
  for (const auto& p : f.pairs) {
    const auto& ct = f.prompts[size_t(p.clean)].tokens;
    const auto& ut = f.prompts[size_t(p.corrupt)].tokens;
    clean.push_back({ct, {int64_t(ct.size()) - 1}});
    corrupt.push_back({ut, {int64_t(ut.size()) - 1}});
  }
  CaptureOptions co;
  co.hooks = {{zhook, {}}};
  const CaptureResult zc = capture(m, clean, co), zu = capture(m, corrupt, co);
  const int64_t D = c.head_dim, HD = c.n_q_dim();
  std::vector<std::vector<float>> attn_rows;
  for (size_t k = 0; k < f.pairs.size(); ++k) {
    std::vector<float> z(zu.hooks[0].row(int64_t(k)), zu.hooks[0].row(int64_t(k)) + HD);
    const float* zclean = zc.hooks[0].row(int64_t(k));
    for (int64_t i = 0; i < D; ++i) z[size_t(head * D + i)] = zclean[head * D + i];
    std::vector<float> out(size_t(c.d_model)), normed(size_t(c.d_model));
    linear(z.data(), 1, m.weights.layers[size_t(layer)].o, out.data());
    ASSERT_TRUE(c.post_norms);
    rmsnorm(out.data(), m.weights.layers[size_t(layer)].post_attn_norm.data(), normed.data(),
            c.d_model, c.rms_eps);
    attn_rows.push_back(normed);
  }
  // The corrupt prompts with the attention output overwritten, full logits.
  HookSet hs(c);
  add_row_edit(hs, "blocks.1.hook_attn_out", Where::at({-1}),
               [&](float* rows, int64_t n, int64_t cols, std::span<const RowRef> refs) {
                 for (int64_t i = 0; i < n; ++i)
                   std::copy(attn_rows[size_t(refs[size_t(i)].prompt)].begin(),
                             attn_rows[size_t(refs[size_t(i)].prompt)].end(), rows + i * cols);
               });
  std::vector<SequenceInput> batch;
  std::vector<SeqInfo> infos;
  for (size_t k = 0; k < corrupt.size(); ++k) {
    batch.push_back({corrupt[k].tokens, nullptr});
    infos.push_back({int(k), 0, int64_t(corrupt[k].tokens.size())});
  }
  hs.set_batch(infos);
  ForwardOptions fo;
  fo.hooks = hs.forward_hooks();
  ForwardState st;
  forward(m, batch, fo, st);

  const std::vector<PatchSite> sites = {{zhook, {head}, -1}, {zhook, {0}, -1}};
  const auto patched = patched_logit_diffs(m, f.prompts, f.pairs, sites);
  const PairLogitDiffs base = pair_logit_diffs(m, f.prompts, f.pairs);
  const int64_t V = st.logits.shape[1];
  int differs = 0;
  for (size_t k = 0; k < f.pairs.size(); ++k) {
    const float* lg = st.logits.ptr() + int64_t(k) * V;
    const double manual = double(lg[f.prompts[size_t(f.pairs[k].clean)].answer_token]) -
                          double(lg[f.prompts[size_t(f.pairs[k].corrupt)].answer_token]);
    EXPECT_NEAR(patched[0][k], manual, 1e-4 * (1 + std::abs(manual))) << "pair " << k;
    differs += std::abs(patched[0][k] - base.corrupt[k]) > 1e-3 ? 1 : 0;
  }
  EXPECT_GT(differs, 0);  // the patch does something
  for (size_t k = 0; k < f.pairs.size(); ++k) EXPECT_NE(patched[0][k], patched[1][k]);
}

TEST(Patching, RunPatchingLayout) {
  const Fixture f = fixture();
  const PatchingResult r = run_patching(tiny(), f.prompts, f.pairs);
  ASSERT_EQ(r.groups.size(), 2u);  // all, city
  EXPECT_EQ(r.groups[0].name, "all");
  EXPECT_EQ(r.groups[0].pairs, 12);
  EXPECT_EQ(r.groups[0].clean_entities, 2);
  EXPECT_EQ(r.groups[0].corrupt_entities, 3);
  ASSERT_EQ(r.groups[0].resid.size(), size_t(tiny().config.n_layers));
  ASSERT_EQ(r.groups[0].heads.size(), size_t(tiny().config.n_layers));
  for (const auto& row : r.groups[0].resid) {
    ASSERT_EQ(row.size(), position_roles().size());
    EXPECT_TRUE(std::isnan(row[0]) && std::isnan(row[1]));  // bos, prefix: not run
    for (size_t ro = 2; ro < row.size(); ++ro) EXPECT_TRUE(std::isfinite(row[ro]));
  }
  const auto ranked = rank_patched_heads(r);
  EXPECT_EQ(ranked.size(), size_t(tiny().config.n_layers * tiny().config.n_heads));
  for (size_t i = 1; i < ranked.size(); ++i) EXPECT_GE(ranked[i - 1].value, ranked[i].value);
  // JSON round trip of what the attention stage reads back.
  const PatchingResult back = patching_from_json(patching_to_json(r), "patching.json");
  ASSERT_EQ(back.groups.size(), r.groups.size());
  EXPECT_DOUBLE_EQ(back.groups[0].heads[1][1], r.groups[0].heads[1][1]);
  EXPECT_TRUE(std::isnan(back.groups[0].resid[0][0]));
}

}  // namespace
}  // namespace knowscope::study
