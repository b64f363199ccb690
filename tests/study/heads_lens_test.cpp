// Head logit lens (spec 5.5) against loops over the tiny model's float32 weights.
#include "knowscope/study/heads_lens.h"

#include <gtest/gtest.h>

#include <cmath>

#include "knowscope/core/error.h"
#include "knowscope/hooks/capture.h"
#include "study/heads_tiny.h"

namespace knowscope::study {
namespace {

const Model& tiny() { return test_heads::heads_model(); }

const float* f32(const TensorView& v) {
  EXPECT_EQ(v.dtype, DType::F32);
  return static_cast<const float*>(v.data);
}

TEST(HeadsLens, HeadOutputAndScoresByHand) {
  const Model& m = tiny();
  const ModelConfig& c = m.config;
  const int layer = 1, head = 1;
  std::vector<float> z(size_t(c.n_q_dim()));
  for (size_t i = 0; i < z.size(); ++i) z[i] = float(std::sin(0.37 * double(i)));
  const auto out = head_output(m, layer, head, z);
  const float* O = f32(m.weights.layers[size_t(layer)].o);  // [d, H*D]
  const int64_t D = c.head_dim, HD = c.n_q_dim();
  for (int64_t r = 0; r < c.d_model; ++r) {
    double want = 0;
    for (int64_t j = 0; j < D; ++j)
      want += double(O[r * HD + head * D + j]) * z[size_t(head * D + j)];
    EXPECT_NEAR(out[size_t(r)], want, 1e-4) << r;
  }
  const auto scores = lens_scores(m, out);
  ASSERT_EQ(scores.size(), size_t(c.vocab_size));
  const float* U = f32(m.weights.output);
  const auto& w = m.weights.output_norm;
  for (int64_t v = 0; v < c.vocab_size; v += 7) {
    double want = 0;
    for (int64_t r = 0; r < c.d_model; ++r)
      want += double(U[v * c.d_model + r]) * out[size_t(r)] * w[size_t(r)];
    EXPECT_NEAR(scores[size_t(v)], want, 1e-4 * (1 + std::abs(want))) << v;
  }
}

TEST(HeadsLens, TopTokensAndAnswerRank) {
  const Model& m = tiny();
  std::vector<HeadEntity> ents = {{"Abcde", "city", Knowledge::known, {{"city_country", "X"}}}};
  auto ps = build_head_prompts(*m.tokenizer, ents);
  ps.resize(1);
  ps[0].answer_token = 12;
  const std::vector<HeadRef> heads = {{0, 1}, {1, 0}};
  const LensResult r = run_head_lens(m, ps, heads, 5);
  ASSERT_EQ(r.entries.size(), 2u);
  // The top tokens are the highest scores of the head's own output, in order.
  CapturePrompt cp{ps[0].tokens, {ps[0].last()}};
  CaptureOptions co;
  co.hooks = {{"blocks.1.attn.hook_z", {}}};
  const CaptureResult cap = capture(m, std::span<const CapturePrompt>(&cp, 1), co);
  const auto out =
      head_output(m, 1, 0, std::span<const float>(cap.hooks[0].row(0), size_t(m.config.n_q_dim())));
  const auto scores = lens_scores(m, out);
  const LensEntry& e = r.entries[1];
  ASSERT_EQ(e.tokens.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_FLOAT_EQ(float(e.tokens[i].score), scores[size_t(e.tokens[i].id)]);
    if (i) {
      EXPECT_GE(e.tokens[i - 1].score, e.tokens[i].score);
    }
  }
  int64_t above = 0;
  for (float s : scores) above += s > scores[12] ? 1 : 0;
  EXPECT_EQ(e.answer_rank, above);
  EXPECT_NE(lens_to_json(r).find("\"L1H0\""), std::string::npos);
  EXPECT_EQ(parse_head_id("L12H3").layer, 12);
  EXPECT_EQ(parse_head_id("l12h3").head, 3);
  EXPECT_THROW(parse_head_id("12.3"), Error);
}

}  // namespace
}  // namespace knowscope::study
