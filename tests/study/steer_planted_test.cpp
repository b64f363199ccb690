// Steering on a tiny model with a planted effect (steer_planted.h): the planted direction drives
// the refusal word, random directions do not, the balance curve is monotone, orthogonalizing the
// direction removes the refusal it causes, and the yes/no logit difference moves its way.
#include "study/steer_planted.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "knowscope/hooks/generate_hooks.h"
#include "knowscope/hooks/interventions.h"
#include "knowscope/model/generate.h"
#include "knowscope/study/fewshot.h"
#include "knowscope/study/steering.h"

namespace knowscope::study {
namespace {

using test_steer::kDModel;
using test_steer::kKnownDim;
using test_steer::kUnknownDim;

LabelledEntity labelled(std::string name, Knowledge k) {
  LabelledEntity e;
  e.entity = std::move(name);
  e.entity_type = "movie";
  e.label = k;
  e.split = SplitName::test;
  return e;
}

LabelsFile planted_labels() {
  LabelsFile f;
  for (const char* n : {"Alpha Kino", "Bravo Kino", "Carmen Film", "Delta Film"})
    f.entities.push_back(labelled(n, Knowledge::known));
  for (const char* n : {"Zorblax", "Quenth Varo", "Xylo Marn", "Vexa Turn"})
    f.entities.push_back(labelled(n, Knowledge::unknown));
  return f;
}

std::vector<Entity> planted_dataset(const LabelsFile& labels) {
  std::vector<Entity> out;
  for (const auto& l : labels.entities)
    out.push_back({l.entity,
                   "movie",
                   {{"directors", "Ann Lee"},
                    {"screenwriters", "Bo Ray"},
                    {"genres", "drama"},
                    {"release_year", "1990"},
                    {"durations", "100"},
                    {"cast", "Cy Ford"}},
                   std::nullopt});
  return out;
}

std::vector<float> axis(int dim) {
  std::vector<float> v(kDModel, 0.0f);
  v[size_t(dim)] = 1.0f;
  return v;
}

SteeringLatents planted_latents(int n_random) {
  SteeringLatents L;
  L.known = latent_from_direction("L1F1", 1, axis(kKnownDim));
  L.unknown = latent_from_direction("L1F0", 1, axis(kUnknownDim));
  std::mt19937 rng(5);
  std::normal_distribution<float> nd;
  for (int r = 0; r < 2 * n_random; ++r) {
    std::vector<float> v(kDModel);
    for (auto& x : v) x = nd(rng);
    auto lat = latent_from_direction("L1F" + std::to_string(100 + r), 1, v);
    (r < n_random ? L.random_known : L.random_unknown).push_back(std::move(lat));
  }
  return L;
}

SteerContext planted_context(bool natural_refusal, double factor = 4.0, int n_random = 5) {
  static const LabelsFile labels = planted_labels();
  static const std::vector<Entity> dataset = planted_dataset(labels);
  SteerSetup setup;
  setup.model_name = "planted";
  setup.format = SteerFormat::fewshot;
  setup.selection.n_per_type = 12;
  setup.selection.fewshot_header = "Answer with the fact.\n";
  setup.max_new_tokens = 6;
  setup.factor_known = setup.factor_unknown = factor;
  setup.progress = false;
  return make_steer_context(test_steer::planted_model(natural_refusal), labels, dataset,
                            planted_latents(n_random), setup);
}

double refusal_rate(const ConditionResult& c, size_t run = 0) {
  const RateCell& all = table_cell(c.runs.at(run), "all");
  return double(all.refusals) / all.n;
}

TEST(SteerPlanted, ContextHasPromptsAndCalibration) {
  const SteerContext ctx = planted_context(false);
  EXPECT_EQ(ctx.unknown_prompts.size(), 12u);
  EXPECT_EQ(ctx.known_prompts.size(), 12u);
  EXPECT_GT(ctx.unknown_norm.mean_resid_norm, 0.0);
  EXPECT_EQ(ctx.unknown_norm.n_prompts, 24);
  EXPECT_NEAR(ctx.alpha_unknown(), 4.0 * ctx.unknown_norm.mean_resid_norm, 1e-9);
  for (const auto& p : ctx.unknown_prompts) {
    // The last entity token is the entity's last character, right before "'?".
    EXPECT_EQ(p.text.substr(p.text.size() - 5), "'?\nA:") << p.text;
    EXPECT_EQ(int64_t(p.tokens.size()) - p.entity_last, 6) << p.text;
  }
}

TEST(SteerPlanted, PlantedDirectionRaisesRefusalRandomDoesNot) {
  const SteerContext ctx = planted_context(false);
  RefusalConfig cfg;
  cfg.orthogonalized = false;
  const RefusalResult r = run_refusal(ctx, cfg);
  ASSERT_EQ(r.sets.size(), 2u);
  for (const auto& set : r.sets) {
    EXPECT_EQ(refusal_rate(*set.find("original")), 0.0) << set.entities;
    EXPECT_GE(refusal_rate(*set.find("steer_unknown")), 0.9) << set.entities;
    EXPECT_EQ(refusal_rate(*set.find("steer_known")), 0.0) << set.entities;
    const ConditionResult& ru = *set.find("random_unknown");
    ASSERT_EQ(ru.runs.size(), 5u);
    double mean_rate = 0;
    for (size_t i = 0; i < ru.runs.size(); ++i) mean_rate += refusal_rate(ru, i) / 5;
    EXPECT_LE(mean_rate, 0.2) << set.entities;
  }
  // The steered completions say the planted word.
  bool saw_sorry = false;
  for (const auto& e : r.examples)
    if (e.condition == "steer_unknown")
      saw_sorry |= e.completion.find("sorry") != std::string::npos;
  EXPECT_TRUE(saw_sorry);
}

TEST(SteerPlanted, SteeringOnlyTheEntityTokenCannotReachTheAnswer) {
  // The model cannot move dims 0/1 between positions (W_O rows are zero), so steering the entity
  // token alone leaves the last position, and the answer, unchanged: positions matter.
  const SteerContext ctx = planted_context(false);
  RefusalConfig cfg;
  cfg.orthogonalized = false;
  cfg.known_entities = false;
  cfg.positions = SteerPositions::entity_last;
  const RefusalResult r = run_refusal(ctx, cfg);
  EXPECT_EQ(refusal_rate(*r.sets[0].find("steer_unknown")), 0.0);
}

TEST(SteerPlanted, OrthogonalizingTheDirectionRemovesTheRefusal) {
  const SteerContext ctx = planted_context(true, 4.0, 0);
  RefusalConfig cfg;
  cfg.known_entities = false;
  const RefusalResult r = run_refusal(ctx, cfg);
  const RefusalSet& set = r.sets[0];
  EXPECT_GE(refusal_rate(*set.find("original")), 0.9);
  ASSERT_NE(set.find("orthogonalized"), nullptr);
  EXPECT_LE(refusal_rate(*set.find("orthogonalized")), 0.1);
  EXPECT_EQ(set.find("random_unknown"), nullptr);  // no controls asked
}

TEST(SteerPlanted, BalanceCurveIsMonotone) {
  const SteerContext ctx = planted_context(false);
  BalanceConfig cfg;
  cfg.coefficients = {-2, -1, 0, 0.25, 0.5, 1, 2, 4};
  const BalanceResult r = run_balance(ctx, cfg);
  ASSERT_EQ(r.points.size(), cfg.coefficients.size());
  for (const char* side : {"unknown", "known"}) {
    double prev = -1;
    std::vector<double> rates;
    for (const auto& p : r.points) {
      const RateCell& c =
          table_cell(std::string(side) == "unknown" ? p.unknown_entities : p.known_entities, "all");
      const double rate = double(c.refusals) / c.n;
      EXPECT_GE(rate, prev) << side << " coefficient " << p.coefficient;
      prev = rate;
      rates.push_back(rate);
    }
    EXPECT_EQ(rates.front(), 0.0) << side;
    EXPECT_GE(rates.back(), 0.9) << side;
  }
  EXPECT_EQ(r.points[0].latent, "L1F1");  // known side
  EXPECT_EQ(r.points[2].latent, "");
  EXPECT_EQ(r.points[2].alpha, 0.0);
  EXPECT_EQ(r.points.back().latent, "L1F0");
  ASSERT_EQ(r.points.back().examples.size(), 2u);  // one unknown-, one known-entity prompt
  EXPECT_EQ(r.points.back().examples[1].entities, "known");
  EXPECT_TRUE(r.points.back().examples[0].refusal);
}

TEST(SteerPlanted, SweepChoosesTheSmallestFactorReachingTheTarget) {
  const SteerContext ctx = planted_context(false);
  SweepConfig cfg;
  cfg.factors = {0, 0.25, 1, 2, 4};
  cfg.target = 0.9;
  const SweepResult r = run_sweep(ctx, cfg);
  ASSERT_EQ(r.points.size(), 5u);
  ASSERT_TRUE(r.target_reached);
  size_t first = 0;
  while (first < r.points.size()) {
    const RateCell& c = table_cell(r.points[first].rates, "all");
    if (double(c.refusals) / c.n >= 0.9) break;
    ++first;
  }
  EXPECT_EQ(r.chosen_factor, cfg.factors[first]);
  EXPECT_EQ(r.example_rows.size(), 5u);
  EXPECT_FALSE(r.example_rows[0].refusal);  // factor 0
  EXPECT_TRUE(r.example_rows.back().refusal);
  EXPECT_TRUE(r.raises_refusal);

  // A factor too small to move anything: the fallback picks it, and the result says that no
  // factor raised refusal.
  cfg.factors = {0, 1e-6};
  const SweepResult none = run_sweep(ctx, cfg);
  EXPECT_FALSE(none.target_reached);
  EXPECT_FALSE(none.raises_refusal);
}

TEST(SteerPlanted, YesNoLogitDifferenceMovesWithTheLatent) {
  const SteerContext ctx = planted_context(false);
  YesNoConfig cfg;
  cfg.positions = SteerPositions::entity_last_to_end;  // the planted model needs the last token
  cfg.n_random = 3;
  const YesNoResult r = run_yesno(ctx, cfg);
  ASSERT_EQ(r.sets.size(), 2u);
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / double(v.size());
  };
  for (const auto& set : r.sets) {
    const YesNoStats& all = set.per_type.back().second;
    ASSERT_EQ(set.per_type.back().first, "all");
    ASSERT_EQ(all.original.size(), 4u);  // one probe per entity
    const double d_steer = mean(all.steered) - mean(all.original);
    double d_random = 0;
    for (const auto& rr : all.random) d_random += (mean(rr) - mean(all.original)) / 3;
    if (set.entities == "known") {  // steered with the unknown latent: toward " No"
      EXPECT_LT(d_steer, -0.4);
    } else {  // the known latent: toward " Yes"
      EXPECT_GT(d_steer, 0.4);
    }
    EXPECT_LT(std::abs(d_random), 0.5 * std::abs(d_steer)) << set.entities;
  }
}

TEST(SteerPlanted, JsonFollowsTheSchema) {
  const SteerContext ctx = planted_context(false, 4.0, 2);
  RefusalConfig cfg;
  cfg.orthogonalized = false;
  const auto j = nlohmann::json::parse(to_json(ctx, run_refusal(ctx, cfg)));
  EXPECT_EQ(j["format"], "knowscope-steering");
  EXPECT_EQ(j["stage"], "refusal");
  EXPECT_EQ(j["latents"]["unknown"]["hook"], "blocks.1.hook_resid_pre");
  EXPECT_EQ(j["counts"]["movie"]["unknown_prompts"], 12);
  const auto& cond = j["sets"][0]["conditions"][1];
  EXPECT_EQ(cond["name"], "steer_unknown");
  const auto& cell = cond["per_type"]["movie"];
  EXPECT_EQ(cell["n"], 12);
  EXPECT_LE(cell["refusal_ci"][0].get<double>(), cell["refusal_rate"].get<double>());
  EXPECT_GE(cell["refusal_ci"][1].get<double>(), cell["refusal_rate"].get<double>());
  EXPECT_EQ(j["sets"][0]["conditions"][2]["per_type"]["all"]["controls"], 2);
  EXPECT_TRUE(j["other_side"]["known_latent_on_unknown"].contains("movie"));
  EXPECT_TRUE(j["other_side"]["unknown_latent_on_known"].contains("movie"));
  EXPECT_FALSE(format_table(ctx, run_refusal(ctx, cfg)).empty());
}

}  // namespace
}  // namespace knowscope::study

namespace knowscope::study {
namespace {

// The steering decoder shares the prompts' common prefix; its greedy completions must be those of
// generate() with the same steering hook on whole prompts.
TEST(SteerPlanted, SharedPrefixDecodingMatchesGenerate) {
  const SteerContext ctx = planted_context(false, 0.5, 0);
  const Model& model = *ctx.model;
  const auto& prompts = ctx.unknown_prompts;
  const SteerIntervention steer{&ctx.latents.unknown, ctx.alpha_unknown(),
                                SteerPositions::entity_last_to_end};
  const auto ours = generate_steered_groups(model, ctx.format, prompts,
                                            {SteerIntervention{}, steer}, ctx.max_new_tokens);
  HookSet hs(model.config);
  std::vector<Where> wheres;
  std::vector<std::vector<int32_t>> ids;
  for (const auto& p : prompts) {
    wheres.push_back(Where::prompt_from(p.entity_last));
    ids.push_back(p.tokens);
  }
  add_steering(hs, steer.latent->hook, Targets::each(wheres), float(steer.alpha),
               steer.latent->direction);
  GenerateOptions go;
  go.max_new_tokens = ctx.max_new_tokens;
  const auto plain = generate(model, ids, go);
  attach_hooks(hs, go);
  const auto steered = generate(model, ids, go);
  int differ = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    // generate() runs the whole max_new_tokens; ours stops at the answer line: compare that.
    EXPECT_EQ(fewshot_answer(ours[0][i].completion), fewshot_answer(plain[i].text)) << i;
    EXPECT_EQ(fewshot_answer(ours[1][i].completion), fewshot_answer(steered[i].text)) << i;
    differ += ours[0][i].completion != ours[1][i].completion;
  }
  EXPECT_GT(differ, 0);  // the steering did something at this alpha
}

}  // namespace
}  // namespace knowscope::study
