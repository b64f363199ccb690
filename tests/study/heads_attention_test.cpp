// Attention to the last entity token (spec 5.3) against softmax(q.k) computed by hand from the
// captured queries and keys, its known/unknown summary, and the extraction-head rule.
#include "knowscope/study/heads_attention.h"

#include <gtest/gtest.h>

#include <cmath>

#include "knowscope/hooks/capture.h"
#include "knowscope/study/stats.h"
#include "study/heads_tiny.h"

namespace knowscope::study {
namespace {

const Model& tiny() { return test_heads::heads_model(); }

std::vector<HeadPrompt> prompts() {
  std::vector<HeadEntity> ents = {{"Abcde", "city", Knowledge::known, {}},
                                  {"Qr", "city", Knowledge::unknown, {}},
                                  {"Xyz Uvw", "movie", Knowledge::known, {}},
                                  {"Mno", "movie", Knowledge::unknown, {}},
                                  {"Hij Klm", "player", Knowledge::unknown, {}}};
  return build_head_prompts(*tiny().tokenizer, ents);
}

TEST(HeadsAttention, MatchesSoftmaxOfCapturedQueriesAndKeys) {
  const Model& m = tiny();
  const ModelConfig& c = m.config;
  const auto ps = prompts();
  const auto A = attention_to_entity(m, ps);
  ASSERT_EQ(A.size(), ps.size());
  const int64_t D = c.head_dim;
  const int group = c.n_heads / c.n_kv_heads;
  for (size_t i = 0; i < ps.size(); i += 3) {  // a few prompts of each type
    const auto& p = ps[i];
    CapturePrompt cp{p.tokens, {}};
    for (int64_t t = 0; t < int64_t(p.tokens.size()); ++t) cp.positions.push_back(t);
    CaptureOptions co;
    for (int l = 0; l < c.n_layers; ++l) {
      co.hooks.push_back({"blocks." + std::to_string(l) + ".attn.hook_q", {}});
      co.hooks.push_back({"blocks." + std::to_string(l) + ".attn.hook_k", {}});
    }
    const CaptureResult cap = capture(m, std::span<const CapturePrompt>(&cp, 1), co);
    for (int l = 0; l < c.n_layers; ++l) {
      const CapturedHook& q = cap.hooks[size_t(2 * l)];
      const CapturedHook& k = cap.hooks[size_t(2 * l + 1)];
      for (int h = 0; h < c.n_heads; ++h) {
        const float* ql = q.row(p.last()) + h * D;
        std::vector<double> s;
        for (int64_t j = 0; j <= p.last(); ++j) {
          const float* kj = k.row(j) + (h / group) * D;
          double dot = 0;
          for (int64_t e = 0; e < D; ++e) dot += double(ql[e]) * kj[e];
          dot *= c.query_scale;
          if (c.attn_softcap > 0) dot = c.attn_softcap * std::tanh(dot / c.attn_softcap);
          s.push_back(dot);
        }
        double mx = s[0], z = 0;
        for (double x : s) mx = std::max(mx, x);
        for (double x : s) z += std::exp(x - mx);
        const double want = std::exp(s[size_t(p.entity_last)] - mx) / z;
        EXPECT_NEAR(A[i][size_t(l * c.n_heads + h)], want, 1e-5) << p.text << " L" << l << "H" << h;
      }
    }
  }
}

TEST(HeadsAttention, KnownUnknownSummary) {
  const Model& m = tiny();
  const auto ps = prompts();
  const auto A = attention_to_entity(m, ps);
  const AttentionResult r = run_attention(m, ps, nullptr);
  EXPECT_EQ(r.known_entities, 2);
  EXPECT_EQ(r.unknown_entities, 3);
  int nk = 0, nu = 0;
  for (const auto& p : ps) (p.label == Knowledge::known ? nk : nu)++;
  EXPECT_EQ(r.known_prompts, nk);
  EXPECT_EQ(r.unknown_prompts, nu);
  ASSERT_EQ(r.heads.size(), size_t(m.config.n_layers * m.config.n_heads));
  for (size_t cell = 0; cell < r.heads.size(); ++cell) {
    std::vector<double> k, u;
    for (size_t i = 0; i < ps.size(); ++i)
      (ps[i].label == Knowledge::known ? k : u).push_back(A[i][cell]);
    EXPECT_NEAR(r.heads[cell].known.mean, mean(k), 1e-9);
    EXPECT_NEAR(r.heads[cell].unknown.mean, mean(u), 1e-9);
    EXPECT_EQ(r.heads[cell].known.n, nk);
    EXPECT_NEAR(r.heads[cell].gap, mean(k) - mean(u), 1e-9);
    EXPECT_NEAR(r.heads[cell].p_greater, welch_t_test(k, u).p_greater, 1e-12);
  }
  ASSERT_EQ(r.by_type.size(), 3u);
  EXPECT_EQ(r.by_type[0].type, "city");
  EXPECT_TRUE(r.selected.empty());  // no patching result
  EXPECT_EQ(r.by_gap.size(), std::min<size_t>(10, r.heads.size()));
}

TEST(HeadsAttention, ExtractionRule) {
  AttentionResult a;
  a.n_layers = 2;
  a.n_heads = 2;
  // L0H0: strong gap, L0H1: gap not significant, L1H0: negative gap, L1H1: strong gap.
  auto head = [](int l, int h, double gap, double p) {
    HeadAttention x;
    x.layer = l;
    x.head = h;
    x.gap = gap;
    x.p_greater = p;
    return x;
  };
  a.heads = {head(0, 0, 0.3, 0.001), head(0, 1, 0.2, 0.4), head(1, 0, -0.2, 0.99),
             head(1, 1, 0.1, 0.01)};
  PatchingResult pr;
  pr.layers = {0, 1};
  PatchingGroup g;
  g.name = "all";
  g.heads = {{0.5, 0.4}, {0.3, -0.1}};  // L1H1 has a negative patching effect
  pr.groups.push_back(g);
  ExtractionRule rule;
  rule.top_patching = 10;
  select_extraction_heads(a, &pr, rule);
  ASSERT_EQ(a.selected.size(), 1u);
  EXPECT_EQ(a.selected[0].layer, 0);
  EXPECT_EQ(a.selected[0].head, 0);
  ASSERT_EQ(a.by_patching.size(), 4u);
  EXPECT_EQ(a.by_patching[0].metric, 0.5);
  EXPECT_EQ(a.by_gap[0].gap, 0.3);
  rule.top_patching = 0;
  select_extraction_heads(a, &pr, rule);
  EXPECT_TRUE(a.selected.empty());
}

}  // namespace
}  // namespace knowscope::study
