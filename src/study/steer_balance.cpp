// The balance curve (the knob): one signed coefficient from the known direction (c < 0) through
// the original model (0) to the unknown direction (c > 0); at each point refusal on unknown
// entities and correct answers (and refusal) on known ones.
#include <chrono>
#include <cmath>
#include <memory>

#include "knowscope/core/progress.h"
#include "knowscope/study/steering.h"

namespace knowscope::study {

BalanceResult run_balance(const SteerContext& ctx, const BalanceConfig& config) {
  const auto t0 = std::chrono::steady_clock::now();
  BalanceResult res;
  res.positions = config.positions;
  const size_t per_point = ctx.unknown_prompts.size() + ctx.known_prompts.size();
  std::unique_ptr<Progress> bar;
  if (ctx.progress)
    bar = std::make_unique<Progress>("steer balance",
                                     int64_t(config.coefficients.size() * per_point), "prompts");
  std::vector<SteerPrompt> both = ctx.unknown_prompts;
  both.insert(both.end(), ctx.known_prompts.begin(), ctx.known_prompts.end());
  std::vector<SteerIntervention> groups;
  for (double c : config.coefficients) {
    BalancePoint pt;
    pt.coefficient = c;
    const SteerLatent* latent = nullptr;
    if (c < 0) {
      latent = &ctx.latents.known;
      pt.alpha = -c * ctx.known_norm.mean_resid_norm;
    } else if (c > 0) {
      latent = &ctx.latents.unknown;
      pt.alpha = c * ctx.unknown_norm.mean_resid_norm;
    }
    pt.latent = latent ? latent->id : "";
    groups.push_back({latent, pt.alpha, config.positions});
    res.points.push_back(std::move(pt));
  }
  // Every point and both entity sets in one batched call.
  const auto outs =
      generate_steered_groups(*ctx.model, ctx.format, both, groups, ctx.max_new_tokens, bar.get());
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto mid = outs[g].begin() + std::ptrdiff_t(ctx.unknown_prompts.size());
    res.points[g].unknown_entities =
        rate_table(ctx.types, ctx.unknown_prompts, {outs[g].begin(), mid});
    res.points[g].known_entities = rate_table(ctx.types, ctx.known_prompts, {mid, outs[g].end()});
    for (size_t i : {size_t(0), ctx.unknown_prompts.size()}) {
      if (i >= both.size()) continue;
      const SteerPrompt& p = both[i];
      const SteerOutcome& o = outs[g][i];
      res.points[g].examples.push_back({i == 0 ? "unknown" : "known", "balance", p.entity,
                                        p.entity_type, p.prompt_type, p.question, o.completion,
                                        o.refusal, o.correct, res.points[g].coefficient,
                                        res.points[g].alpha});
    }
  }
  if (bar) bar->finish();
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace knowscope::study
