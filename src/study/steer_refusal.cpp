// Refusal rates under steering (spec 4.2-4.6): original, unknown / known latent, their random
// controls, and the orthogonalized model, on unknown- and known-entity prompts.
#include <chrono>
#include <memory>

#include "knowscope/core/progress.h"
#include "knowscope/hooks/orthogonalize.h"
#include "knowscope/study/steering.h"

namespace knowscope::study {

const ConditionResult* RefusalSet::find(const std::string& name) const {
  for (const auto& c : conditions)
    if (c.name == name) return &c;
  return nullptr;
}

RefusalResult run_refusal(const SteerContext& ctx, const RefusalConfig& config) {
  const auto t0 = std::chrono::steady_clock::now();
  RefusalResult res;
  res.positions = config.positions;
  const Model& model = *ctx.model;
  const auto& L = ctx.latents;

  std::vector<std::pair<std::string, const std::vector<SteerPrompt>*>> sets = {
      {"unknown", &ctx.unknown_prompts}};
  if (config.known_entities && !ctx.known_prompts.empty())
    sets.push_back({"known", &ctx.known_prompts});

  const int64_t per_set = 2 + int64_t(L.random_known.size() + L.random_unknown.size()) +
                          (config.orthogonalized ? 1 : 0) + 1;
  int64_t total = 0;
  for (const auto& [n, p] : sets) total += per_set * int64_t(p->size());
  std::unique_ptr<Progress> bar;
  if (ctx.progress) bar = std::make_unique<Progress>("steer refusal", total, "prompts");

  std::unique_ptr<Model> orth;
  if (config.orthogonalized)
    orth = std::make_unique<Model>(orthogonalize_weights(model, L.unknown.direction));

  for (const auto& [name, prompts] : sets) {
    RefusalSet set;
    set.entities = name;
    // Every condition on the base model in one batched call; the orthogonalized model apart.
    std::vector<SteerIntervention> groups;
    std::vector<std::pair<size_t, std::string>> slot;  // condition index, label
    auto add = [&](const std::string& cond, const std::string& latent, double alpha,
                   const std::vector<const SteerLatent*>& runs, bool random) {
      ConditionResult c;
      c.name = cond;
      c.latent = latent;
      c.alpha = alpha;
      for (const SteerLatent* r : runs) {
        if (random) c.random.push_back(r->id);
        groups.push_back({r, alpha, config.positions});
        slot.push_back({set.conditions.size(), cond});
      }
      set.conditions.push_back(std::move(c));
    };
    auto ptrs = [](const std::vector<SteerLatent>& v) {
      std::vector<const SteerLatent*> p;
      for (const auto& l : v) p.push_back(&l);
      return p;
    };
    add("original", "", 0, {nullptr}, false);
    add("steer_unknown", L.unknown.id, ctx.alpha_unknown(), {&L.unknown}, false);
    if (!L.random_unknown.empty())
      add("random_unknown", "", ctx.alpha_unknown(), ptrs(L.random_unknown), true);
    add("steer_known", L.known.id, ctx.alpha_known(), {&L.known}, false);
    if (!L.random_known.empty())
      add("random_known", "", ctx.alpha_known(), ptrs(L.random_known), true);
    if (bar) bar->set_note(name + " entities");
    const auto outs =
        generate_steered_groups(model, ctx.format, *prompts, groups, ctx.max_new_tokens, bar.get());
    auto record = [&](ConditionResult& c, const std::vector<SteerOutcome>& o) {
      c.runs.push_back(rate_table(ctx.types, *prompts, o));
      if (c.runs.size() > 1) return;  // examples from the first control only
      for (size_t i = 0; i < prompts->size() && i < size_t(config.examples_per_condition); ++i) {
        const SteerPrompt& p = (*prompts)[i];
        res.examples.push_back({name, c.name, p.entity, p.entity_type, p.prompt_type, p.question,
                                o[i].completion, o[i].refusal, o[i].correct, 0, c.alpha});
      }
    };
    for (size_t g = 0; g < groups.size(); ++g) record(set.conditions[slot[g].first], outs[g]);
    if (orth) {
      ConditionResult c;
      c.name = "orthogonalized";
      c.latent = L.unknown.id;
      const auto o = generate_steered_groups(*orth, ctx.format, *prompts, {SteerIntervention{}},
                                             ctx.max_new_tokens, bar.get());
      record(c, o[0]);
      // After the unknown-latent conditions, as the paper's figure orders them.
      auto at = set.conditions.begin();
      while (at != set.conditions.end() && at->name != "steer_known") ++at;
      set.conditions.insert(at, std::move(c));
    }
    res.sets.push_back(std::move(set));
  }
  if (bar) bar->finish();
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace knowscope::study
