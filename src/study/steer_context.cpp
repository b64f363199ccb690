// Preparing a steering study: labels, dataset, latents, prompts and the alpha calibration.
#include <filesystem>

#include "knowscope/core/error.h"
#include "knowscope/model/model.h"
#include "knowscope/study/labelling.h"
#include "knowscope/study/steering.h"

namespace fs = std::filesystem;

namespace knowscope::study {
namespace {

std::vector<Entity> load_any_dataset(const std::string& where) {
  if (fs::is_directory(where)) return load_dataset(where);
  return load_entities(where);
}

}  // namespace

SteerContext make_steer_context(const Model& model, const LabelsFile& labels,
                                const std::vector<Entity>& dataset, SteeringLatents latents,
                                const SteerSetup& setup) {
  SteerContext ctx;
  ctx.model = &model;
  ctx.model_name = setup.model_name.empty() ? model.path : setup.model_name;
  ctx.labels_path = setup.labels_path;
  ctx.dataset = setup.dataset;
  ctx.format = setup.format ? *setup.format : default_steer_format(model);
  ctx.selection = setup.selection;
  ctx.max_new_tokens = setup.max_new_tokens;
  ctx.progress = setup.progress;
  ctx.factor_known = setup.factor_known;
  ctx.factor_unknown = setup.factor_unknown;
  ctx.latents = std::move(latents);
  ctx.types = setup.selection.types;
  if (ctx.types.empty())
    for (const auto& [t, c] : count_labels(labels))
      if (t != "all") ctx.types.push_back(t);
  ctx.selection.types = ctx.types;
  for (const auto* l : {&ctx.latents.known, &ctx.latents.unknown})
    if (int64_t(l->direction.size()) != model.config.d_model)
      throw Error("steering latent " + l->id + ": direction has " +
                  std::to_string(l->direction.size()) + " values, the model's d_model is " +
                  std::to_string(model.config.d_model));

  ctx.unknown_prompts =
      build_steer_prompts(model, ctx.format, labels, dataset, Knowledge::unknown, ctx.selection);
  ctx.known_prompts =
      build_steer_prompts(model, ctx.format, labels, dataset, Knowledge::known, ctx.selection);
  for (const auto& t : ctx.types)
    ctx.entity_counts.push_back(
        {t,
         {int(selected_entities(labels, t, Knowledge::known, ctx.selection).size()),
          int(selected_entities(labels, t, Knowledge::unknown, ctx.selection).size())}});

  // alpha's scale: the unsteered residual norm at the last entity token, over every prompt.
  std::vector<SteerPrompt> all = ctx.unknown_prompts;
  all.insert(all.end(), ctx.known_prompts.begin(), ctx.known_prompts.end());
  if (all.empty())
    throw Error("steering: no prompts (labels " + setup.labels_path +
                ": no entities with the requested label and split; try --split all or "
                "--no-balance)");
  ctx.known_norm = calibrate_resid_norm(model, all, ctx.latents.known.layer);
  ctx.unknown_norm = ctx.latents.unknown.layer == ctx.latents.known.layer
                         ? ctx.known_norm
                         : calibrate_resid_norm(model, all, ctx.latents.unknown.layer);
  return ctx;
}

SteerContext prepare_steering(const Model& model, const SteerSetup& setup) {
  const LabelsFile labels = read_labels_file(setup.labels_path);
  std::string where = setup.dataset;
  if (where.empty() && !labels.selection_source.empty() && fs::exists(labels.selection_source))
    where = labels.selection_source;
  if (where.empty()) where = find_entity_dir();
  const auto dataset = load_any_dataset(where);
  SteerSetup s = setup;
  s.dataset = where;
  return make_steer_context(model, labels, dataset, load_steering_latents(setup.latents), s);
}

}  // namespace knowscope::study
