// Stage "steering" (study/steering.h): the coefficient sweep on the validation split, then at
// the chosen factor the refusal experiment with controls and the orthogonalized model, the
// balance curve and the yes/no probe, each written to its own JSON file as soon as it is done
// (an interrupted stage redoes only the missing files).
#include <filesystem>

#include "knowscope/io/atomic_file.h"
#include "knowscope/study/entities.h"
#include "knowscope/study/labelling.h"
#include "knowscope/study/steering.h"
#include "study/run_stages.h"

namespace knowscope::study {
namespace fs = std::filesystem;
namespace {

// The sweep factors and balance coefficients of a profile (units of the mean residual norm at the
// last entity token). The paper's alpha is about 2x the Gemma 2 2B norm, but Gemma 3's residual
// norm is dominated by a few massive dimensions (~6,000-18,000 on gemma-3-270m), and there text
// degenerates from about 0.1x (docs/steering.md), so the grid is dense below 1.
std::vector<double> sweep_factors(const RunProfile& p) {
  if (p.name == "quick") return {0, 0.05, 0.2};
  return {0, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2};
}
std::vector<double> balance_coefficients(const RunProfile& p) {
  if (p.name == "quick") return {-0.2, 0, 0.2};
  return {-0.4, -0.2, -0.05, 0, 0.05, 0.2, 0.4};
}

// Runs `make` unless <dir>/<file> exists (this stage folder only survives under the same config).
template <class F>
json step(StageContext& sc, const std::string& file, F make) {
  const std::string path = sc.dir + "/" + file;
  sc.artifacts.push_back(file);
  if (fs::exists(path)) return read_json_file(path);
  const std::string text = make();
  write_file_atomic(path, text);
  return json::parse(text);
}

const json* find_named(const json& list, const char* key, const std::string& value) {
  if (!list.is_array()) return nullptr;
  for (const auto& x : list)
    if (x.value(key, "") == value) return &x;
  return nullptr;
}

}  // namespace

StageOutcome stage_steering(RunContext& ctx) {
  const json config = {{"labels", ctx.labels_hash},
                       {"sae", ctx.sae_hash},
                       {"latents", ctx.latents_hash},
                       {"n_per_type", ctx.profile.steer_n_per_type},
                       {"n_random", ctx.profile.steer_n_random},
                       {"factors", sweep_factors(ctx.profile)},
                       {"coefficients", balance_coefficients(ctx.profile)},
                       {"balanced", false},
                       {"split", "test"},
                       {"sweep_split", "validation"}};
  return run_ctx_stage(ctx, "steering", config, [&](StageContext& sc) {
    require_stage(ctx.labels_hash, "labelling", "entity labels");
    require_stage(ctx.sae_hash, "sae", "the SAE decoder directions");
    require_latents(ctx);
    const Model& model = ctx.model();
    SteerSetup setup;
    setup.model_name = ctx.options.model;
    setup.labels_path = ctx.labels_path;
    setup.dataset = ctx.options.entities;
    setup.latents.latents_file = ctx.latents_path;
    setup.latents.sae_set = ctx.sae_dir;
    setup.latents.n_random = ctx.profile.steer_n_random;
    setup.selection.n_per_type = ctx.profile.steer_n_per_type;
    // A small model knows a handful of entities: balancing known and unknown lists would leave
    // almost no unknown prompts, so the sets are not balanced (docs/run.md).
    setup.selection.balanced = false;
    setup.progress = ctx.options.progress;
    SteerContext steer = prepare_steering(model, setup);

    const json sweep = step(sc, "sweep.json", [&] {
      SweepConfig sw;
      sw.factors = sweep_factors(ctx.profile);
      const LabelsFile labels = read_labels_file(ctx.labels_path);
      const std::vector<Entity> dataset = ctx.options.entities.empty()
                                              ? load_dataset(find_entity_dir())
                                              : load_entities(ctx.options.entities);
      PromptSelection val = steer.selection;
      val.split = SplitName::validation;
      sw.prompts =
          build_steer_prompts(model, steer.format, labels, dataset, Knowledge::unknown, val);
      // Too few validation entities (a tiny labelled set): sweep on the test prompts and say so.
      if (sw.prompts.empty()) sw.prompts = steer.unknown_prompts;
      return to_json(steer, run_sweep(steer, sw));
    });
    // One calibrated factor for both latents, as the paper used one alpha for both on 2B.
    if (sweep.value("chosen_factor", 0.0) > 0)
      steer.factor_unknown = steer.factor_known = sweep["chosen_factor"];
    const json refusal =
        step(sc, "refusal.json", [&] { return to_json(steer, run_refusal(steer)); });
    step(sc, "balance.json", [&] {
      BalanceConfig bc;
      bc.coefficients = balance_coefficients(ctx.profile);
      return to_json(steer, run_balance(steer, bc));
    });
    step(sc, "yesno.json", [&] { return to_json(steer, run_yesno(steer)); });

    json summary = {{"chosen_factor", sweep.value("chosen_factor", 0.0)}};
    std::string headline = "factor " + sweep.value("chosen_factor", json(0.0)).dump();
    if (!sweep.value("raises_refusal", true)) headline += " (no factor raised refusal)";
    const json sets = refusal.value("sets", json::array());
    if (const json* set = find_named(sets, "entities", "unknown")) {
      const json conds = set->value("conditions", json::array());
      const json* orig = find_named(conds, "name", "original");
      const json* st = find_named(conds, "name", "steer_unknown");
      if (orig && st) {
        const double a = (*orig)["per_type"]["all"].value("refusal_rate", 0.0);
        const double b = (*st)["per_type"]["all"].value("refusal_rate", 0.0);
        summary["refusal_unknown_original"] = a;
        summary["refusal_unknown_steered"] = b;
        char buf[160];
        std::snprintf(buf, sizeof buf, "; refusal on unknown entities %.2f -> %.2f (n %d)", a, b,
                      (*st)["per_type"]["all"].value("n", 0));
        headline += buf;
      }
    }
    summary["headline"] = headline;
    return summary;
  });
}

}  // namespace knowscope::study
