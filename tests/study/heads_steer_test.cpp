// Steering -> attention (spec 5.4): dA is causal (nothing before the steered layer moves, alpha 0
// moves nothing), and the Welch comparison finds a planted shift against random controls.
#include "knowscope/study/heads_steer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "study/heads_tiny.h"

namespace knowscope::study {
namespace {

const Model& tiny() { return test_heads::heads_model(); }

std::vector<HeadPrompt> prompts(Knowledge label) {
  std::vector<HeadEntity> ents = {{"Abcde", "city", label, {}},
                                  {"Qrs Tuv", "movie", label, {}},
                                  {"Hij Klm", "player", label, {}}};
  return build_head_prompts(*tiny().tokenizer, ents);
}

std::vector<float> unit(int64_t d, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> n(0, 1);
  std::vector<float> v(static_cast<size_t>(d));
  double sq = 0;
  for (auto& x : v) {
    x = n(rng);
    sq += double(x) * x;
  }
  for (auto& x : v) x = float(x / std::sqrt(sq));
  return v;
}

TEST(HeadsSteer, DeltaIsCausalAndZeroWithoutSteering) {
  const Model& m = tiny();
  const int H = m.config.n_heads;
  const auto ps = prompts(Knowledge::known);
  const auto base = attention_to_entity(m, ps);
  const auto dir = unit(m.config.d_model, 3);
  const auto zero = steered_attention_delta(m, ps, base, 1, dir, 0.0);
  for (const auto& row : zero)
    for (float x : row) EXPECT_EQ(x, 0.0f);
  const double norm = mean_entity_resid_norm(m, ps, 1);
  EXPECT_GT(norm, 0);
  const auto d = steered_attention_delta(m, ps, base, 1, dir, 4.0 * norm);
  double moved = 0;
  for (const auto& row : d) {
    for (int h = 0; h < H; ++h) EXPECT_EQ(row[size_t(h)], 0.0f);  // layer 0 is before the steer
    for (int h = H; h < 2 * H; ++h) moved += std::abs(row[size_t(h)]);
  }
  EXPECT_GT(moved, 1e-4);
  EXPECT_EQ(flatten_delta(d, H, 1).size(), ps.size() * size_t(H));
  EXPECT_EQ(flatten_delta(d, H, 0).size(), ps.size() * size_t(2 * H));
}

TEST(HeadsSteer, SpreadPromptsCoversEntitiesFirst) {
  const auto ps = prompts(Knowledge::known);  // city 3, movie 6, player 3 relations
  const auto few = spread_prompts(ps, 4);
  ASSERT_EQ(few.size(), 4u);
  EXPECT_EQ(few[0].entity, "Abcde");
  EXPECT_EQ(few[1].entity, "Qrs Tuv");
  EXPECT_EQ(few[2].entity, "Hij Klm");
  EXPECT_EQ(few[3].entity, "Abcde");
  EXPECT_NE(few[3].prompt_type, few[0].prompt_type);
  EXPECT_EQ(spread_prompts(ps, 0).size(), ps.size());
  EXPECT_EQ(spread_prompts(ps, 1000).size(), ps.size());
}

TEST(HeadsSteer, WelchFindsPlantedShift) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> n(0, 0.05);
  std::vector<double> latent, control, same;
  for (int i = 0; i < 200; ++i) {
    latent.push_back(0.03 + n(rng));  // planted shift of +0.03
    control.push_back(n(rng));
    same.push_back(0.03 + n(rng));
  }
  SteerCondition c;
  compare_with_control(latent, control, /*greater=*/true, 0.05, c);
  EXPECT_TRUE(c.beaten);
  EXPECT_LT(c.p, 1e-4);
  EXPECT_GT(c.t, 0);
  compare_with_control(latent, control, /*greater=*/false, 0.05, c);  // wrong direction
  EXPECT_FALSE(c.beaten);
  EXPECT_GT(c.p, 0.99);
  compare_with_control(latent, same, true, 0.05, c);
  EXPECT_FALSE(c.beaten);
}

// End to end on the tiny model: the latent's own direction as a "random" control is not beaten
// (the same dA, p = 0.5); its opposite direction moves attention the other way and is beaten.
TEST(HeadsSteer, SideAgainstPlantedControls) {
  const Model& m = tiny();
  const auto ps = prompts(Knowledge::unknown);
  const auto dir = unit(m.config.d_model, 11);
  std::vector<float> neg = dir;
  for (auto& x : neg) x = -x;
  SteerLatent lat = latent_from_direction("L1F7", 1, dir);
  lat.latent = 7;
  SteerAttentionOptions opt;
  opt.alpha_factor = 1.0;
  // Which way does this direction move attention? The test expects that way.
  const auto base = attention_to_entity(m, ps);
  const double alpha = mean_entity_resid_norm(m, ps, 1);
  const auto d = steered_attention_delta(m, ps, base, 1, dir, alpha);
  const bool greater = mean(flatten_delta(d, m.config.n_heads, 1)) > 0;
  std::vector<SteerLatent> randoms = {latent_from_direction("L1F8", 1, dir),
                                      latent_from_direction("L1F9", 1, neg)};
  const SteerSide s = run_steer_side(m, ps, lat, randoms, greater, opt);
  EXPECT_EQ(s.n_prompts, int(ps.size()));
  EXPECT_EQ(s.n_entities, 3);
  EXPECT_EQ(s.from_layer, 1);
  EXPECT_EQ(s.n_values, int64_t(ps.size()) * m.config.n_heads);
  EXPECT_EQ(s.heads.size(), size_t(m.config.n_heads));
  EXPECT_NEAR(s.latent.alpha, alpha, 1e-9 * alpha);
  ASSERT_EQ(s.random_latents.size(), 2u);
  EXPECT_FALSE(s.random_latents[0].beaten);
  EXPECT_NEAR(s.random_latents[0].p, 0.5, 1e-9);
  EXPECT_TRUE(s.random_latents[1].beaten) << "p " << s.random_latents[1].p;
  EXPECT_EQ(s.beaten, 1);
  EXPECT_EQ(s.of, 2);
  // The JSON has both sides' fields.
  SteerAttentionResult r;
  r.sides.push_back(s);
  const std::string json = steer_attention_to_json(r);
  EXPECT_NE(json.find("\"beaten\": 1"), std::string::npos);
  EXPECT_NE(json.find("\"random_vector\""), std::string::npos);
}

}  // namespace
}  // namespace knowscope::study
