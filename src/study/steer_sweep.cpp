// The coefficient sweep (paper App. G, Table 6): refusal rate of the unknown latent at each factor
// of the residual norm, and the rule that picks the factor (docs/steering.md).
#include <chrono>
#include <memory>
#include <optional>

#include "knowscope/core/error.h"
#include "knowscope/core/progress.h"
#include "knowscope/study/steering.h"

namespace knowscope::study {

std::pair<size_t, bool> choose_factor(const std::vector<double>& factors,
                                      const std::vector<double>& rates, double target) {
  if (factors.empty() || factors.size() != rates.size())
    throw Error("sweep: expected one refusal rate per factor");
  bool any_positive = false;
  for (double f : factors) any_positive |= f > 0;
  auto eligible = [&](size_t i) { return factors[i] > 0 || !any_positive; };
  std::optional<size_t> best;
  for (size_t i = 0; i < factors.size(); ++i)
    if (eligible(i) && rates[i] >= target && (!best || factors[i] < factors[*best])) best = i;
  if (best) return {*best, true};
  for (size_t i = 0; i < factors.size(); ++i)
    if (eligible(i) && (!best || rates[i] > rates[*best] ||
                        (rates[i] == rates[*best] && factors[i] < factors[*best])))
      best = i;
  return {*best, false};
}

SweepResult run_sweep(const SteerContext& ctx, const SweepConfig& config) {
  const auto t0 = std::chrono::steady_clock::now();
  SweepResult res;
  res.target = config.target;
  res.positions = config.positions;
  res.split = ctx.selection.split ? std::string(split_name(*ctx.selection.split)) : "all";
  res.entities = config.entities;
  std::vector<SteerPrompt> from_ctx;
  if (config.entities == "unknown" || config.entities == "all")
    from_ctx.insert(from_ctx.end(), ctx.unknown_prompts.begin(), ctx.unknown_prompts.end());
  if (config.entities == "known" || config.entities == "all")
    from_ctx.insert(from_ctx.end(), ctx.known_prompts.begin(), ctx.known_prompts.end());
  if (config.entities != "unknown" && config.entities != "known" && config.entities != "all")
    throw Error("sweep: entities must be unknown, known or all, got '" + config.entities + "'");
  const auto& prompts = config.prompts.empty() ? from_ctx : config.prompts;
  const double norm = ctx.unknown_norm.mean_resid_norm;
  std::unique_ptr<Progress> bar;
  if (ctx.progress)
    bar = std::make_unique<Progress>("steer sweep", int64_t(config.factors.size() * prompts.size()),
                                     "prompts");
  std::vector<SteerIntervention> groups;
  for (double f : config.factors)
    groups.push_back({&ctx.latents.unknown, f * norm, config.positions});
  const auto outs = generate_steered_groups(*ctx.model, ctx.format, prompts, groups,
                                            ctx.max_new_tokens, bar.get());
  std::vector<double> rates;
  for (size_t g = 0; g < groups.size(); ++g) {
    SweepPoint pt;
    pt.factor = config.factors[g];
    pt.alpha = groups[g].alpha;
    pt.rates = rate_table(ctx.types, prompts, outs[g]);
    const RateCell& all = table_cell(pt.rates, "all");
    rates.push_back(all.n ? double(all.refusals) / all.n : 0.0);
    if (!prompts.empty()) {
      const SteerPrompt& p = prompts[0];
      res.example_rows.push_back({config.entities, "steer_unknown", p.entity, p.entity_type,
                                  p.prompt_type, p.question, outs[g][0].completion,
                                  outs[g][0].refusal, outs[g][0].correct, pt.factor, pt.alpha});
    }
    res.points.push_back(std::move(pt));
  }
  if (bar) bar->finish();
  if (!config.factors.empty()) {
    const auto [i, reached] = choose_factor(config.factors, rates, config.target);
    res.chosen_factor = config.factors[i];
    res.chosen_alpha = res.points[i].alpha;
    res.target_reached = reached;
    for (size_t z = 0; z < rates.size(); ++z)
      if (config.factors[z] == 0.0)
        for (size_t k = 0; k < rates.size(); ++k)
          if (config.factors[k] > 0.0 && rates[k] > rates[z]) res.raises_refusal = true;
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace knowscope::study
