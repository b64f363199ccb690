// Steering the last entity token and measuring the change in attention to it.
#include "knowscope/study/heads_steer.h"

#include <chrono>
#include <cmath>
#include <optional>
#include <random>
#include <set>

#include "knowscope/core/error.h"
#include "knowscope/core/progress.h"
#include "knowscope/hooks/capture.h"
#include "knowscope/hooks/hook_names.h"
#include "knowscope/hooks/interventions.h"

namespace knowscope::study {

double mean_entity_resid_norm(const Model& model, std::span<const HeadPrompt> prompts, int layer,
                              int64_t max_batch_tokens) {
  if (prompts.empty()) return 0;
  std::vector<CapturePrompt> cps;
  for (const auto& p : prompts) cps.push_back({p.tokens, {p.entity_last}});
  CaptureOptions co;
  co.hooks = {{hook_name(HookPoint::ResidPre, layer), {}}};
  co.max_batch_tokens = max_batch_tokens;
  const CaptureResult res = capture(model, cps, co);
  const CapturedHook& h = res.hooks[0];
  double sum = 0;
  for (int64_t r = 0; r < res.rows(); ++r) {
    double sq = 0;
    const float* x = h.row(r);
    for (int64_t i = 0; i < h.row_numel(); ++i) sq += double(x[i]) * x[i];
    sum += std::sqrt(sq);
  }
  return sum / double(res.rows());
}

std::vector<std::vector<float>> steered_attention_delta(
    const Model& model, std::span<const HeadPrompt> prompts,
    const std::vector<std::vector<float>>& base, int layer, const std::vector<float>& direction,
    double alpha, const AttentionRunOptions& opt) {
  if (base.size() != prompts.size())
    fail("steer attention", "base", "one unsteered attention row per prompt expected");
  HookSet hs(model.config);
  std::vector<Where> where;
  for (const auto& p : prompts) where.push_back(Where::at({p.entity_last}));
  add_steering(hs, hook_name(HookPoint::ResidPre, layer), Targets::each(std::move(where)),
               float(alpha), direction);
  AttentionRunOptions o = opt;
  o.interventions = &hs;
  auto steered = attention_to_entity(model, prompts, o);
  for (size_t i = 0; i < steered.size(); ++i)
    for (size_t c = 0; c < steered[i].size(); ++c) steered[i][c] -= base[i][c];
  return steered;
}

std::vector<double> flatten_delta(const std::vector<std::vector<float>>& delta, int n_heads,
                                  int from_layer) {
  std::vector<double> out;
  for (const auto& row : delta)
    for (size_t c = size_t(from_layer * n_heads); c < row.size(); ++c) out.push_back(row[c]);
  return out;
}

void compare_with_control(std::span<const double> latent, std::span<const double> control,
                          bool greater, double alpha, SteerCondition& c) {
  const WelchTest w = welch_t_test(latent, control);
  c.t = w.t;
  c.p = greater ? w.p_greater : w.p_less;
  c.beaten = c.p < alpha;
}

namespace {

std::vector<float> random_unit_vector(int64_t d, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> v(static_cast<size_t>(d));
  double sq = 0;
  for (auto& x : v) {
    x = normal(rng);
    sq += x * x;
  }
  std::vector<float> out;
  for (double x : v) out.push_back(float(x / std::sqrt(sq)));
  return out;
}

}  // namespace

SteerSide run_steer_side(const Model& model, std::span<const HeadPrompt> prompts,
                         const SteerLatent& latent, std::span<const SteerLatent> randoms,
                         bool greater, const SteerAttentionOptions& opt) {
  const int H = model.config.n_heads;
  SteerSide s;
  s.expected = greater ? "greater" : "less";
  s.n_prompts = int(prompts.size());
  std::set<std::string> ents;
  for (const auto& p : prompts) ents.insert(p.entity_type + "\t" + p.entity);
  s.n_entities = int(ents.size());
  s.from_layer = latent.layer;
  s.n_heads = (model.config.n_layers - latent.layer) * H;
  if (latent.layer < 0 || latent.layer >= model.config.n_layers)
    fail("steer attention", latent.id, "layer outside the model");

  std::optional<Progress> progress;
  if (opt.run.progress)
    progress.emplace("steer->attention " + latent.id, int64_t(3 + randoms.size()), "conditions");
  AttentionRunOptions run = opt.run;
  run.progress = false;
  const auto base = attention_to_entity(model, prompts, run);
  if (progress) progress->advance();

  std::vector<std::pair<int, double>> norms;  // layer -> resid norm, computed once per layer
  auto resid_norm = [&](int layer) {
    for (const auto& [l, n] : norms)
      if (l == layer) return n;
    const double n = mean_entity_resid_norm(model, prompts, layer, run.max_batch_tokens);
    norms.push_back({layer, n});
    return n;
  };
  auto condition = [&](const std::string& id, int layer, int64_t j, const std::string& hook,
                       double raw_norm, const std::vector<float>& dir, SteerCondition& c) {
    c.id = id;
    c.layer = layer;
    c.latent = j;
    c.hook = hook;
    c.raw_norm = raw_norm;
    c.resid_norm = resid_norm(layer);
    c.alpha = opt.alpha > 0 ? opt.alpha : opt.alpha_factor * c.resid_norm;
    const auto delta = steered_attention_delta(model, prompts, base, layer, dir, c.alpha, run);
    if (progress) progress->advance();
    const auto flat = flatten_delta(delta, H, s.from_layer);
    c.mean = mean(flat);
    c.std = stddev(flat);
    return std::make_pair(delta, flat);
  };

  auto [delta, flat] = condition(latent.id, latent.layer, latent.latent, latent.hook,
                                 latent.raw_norm, latent.direction, s.latent);
  s.n_values = int64_t(flat.size());
  for (int l = s.from_layer; l < model.config.n_layers; ++l)
    for (int h = 0; h < H; ++h) {
      std::vector<double> v;
      for (const auto& row : delta) v.push_back(row[size_t(l * H + h)]);
      s.heads.push_back({l, h, mean(v), stddev(v)});
    }
  for (const auto& rl : randoms) {
    SteerCondition c;
    auto [d, f] = condition(rl.id, rl.layer, rl.latent, rl.hook, rl.raw_norm, rl.direction, c);
    compare_with_control(flat, f, greater, opt.test_alpha, c);
    s.beaten += c.beaten ? 1 : 0;
    s.random_latents.push_back(c);
  }
  s.of = int(randoms.size());
  s.random_vector.seed = opt.vector_seed;
  const auto dir = random_unit_vector(model.config.d_model, opt.vector_seed);
  auto [dv, fv] =
      condition("random_vector", latent.layer, -1, latent.hook, 1.0, dir, s.random_vector);
  compare_with_control(flat, fv, greater, opt.test_alpha, s.random_vector);
  if (progress) progress->finish();
  return s;
}

std::vector<HeadPrompt> spread_prompts(std::span<const HeadPrompt> prompts, int max_prompts) {
  if (max_prompts <= 0 || size_t(max_prompts) >= prompts.size())
    return {prompts.begin(), prompts.end()};
  // Rank of each prompt among its entity's prompts; take rank 0 of every entity first.
  std::vector<int> rank(prompts.size(), 0);
  for (size_t i = 1; i < prompts.size(); ++i)
    if (prompts[i].entity == prompts[i - 1].entity &&
        prompts[i].entity_type == prompts[i - 1].entity_type)
      rank[i] = rank[i - 1] + 1;
  std::vector<HeadPrompt> out;
  for (int r = 0; out.size() < size_t(max_prompts); ++r)
    for (size_t i = 0; i < prompts.size() && out.size() < size_t(max_prompts); ++i)
      if (rank[i] == r) out.push_back(prompts[i]);
  return out;
}

SteerAttentionResult run_steer_attention(const Model& model, std::span<const HeadPrompt> prompts,
                                         const SteeringLatents& latents,
                                         const SteerAttentionOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  SteerAttentionResult r;
  r.model = model.config.name;
  r.latents_file = latents.latents_file;
  r.sae_set = latents.sae_set;
  r.alpha_factor = opt.alpha_factor;
  r.alpha_rule = opt.alpha > 0
                     ? "alpha = " + std::to_string(opt.alpha) + " for every condition"
                     : "alpha = " + std::to_string(opt.alpha_factor) +
                           " x mean |resid_pre| at the last entity token of the steered prompts, "
                           "at each condition's layer";
  std::vector<HeadPrompt> known, unknown;
  for (const auto& p : prompts) {
    if (p.label == Knowledge::known) known.push_back(p);
    if (p.label == Knowledge::unknown) unknown.push_back(p);
  }
  known = spread_prompts(known, opt.max_prompts);
  unknown = spread_prompts(unknown, opt.max_prompts);
  if (!latents.unknown.direction.empty() && !known.empty()) {
    SteerSide s = run_steer_side(model, known, latents.unknown, latents.random_unknown, false, opt);
    s.name = "unknown_latent_on_known";
    s.prompts_label = "known";
    r.sides.push_back(std::move(s));
  }
  if (!latents.known.direction.empty() && !unknown.empty()) {
    SteerSide s = run_steer_side(model, unknown, latents.known, latents.random_known, true, opt);
    s.name = "known_latent_on_unknown";
    s.prompts_label = "unknown";
    r.sides.push_back(std::move(s));
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace knowscope::study
