// Stage "labelling": known / unknown labels from the model's own answers (labelling_run.h), or a
// given labels file. The generation log lives in the shared cache folder of `knowscope entities
// label` (default_labelling_dir), so runs and that command reuse each other's generations; the
// stage keeps its own copy of the labels file whose records_file points at that log.
#include <filesystem>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/study/labelling_run.h"
#include "knowscope/study/labels_file.h"
#include "study/run_stages.h"

namespace knowscope::study {
namespace fs = std::filesystem;
namespace {

// The labels file at `src`, saved as <dir>/labels.json with records_file made absolute so it
// still finds the generation log beside the original.
json copy_labels(const std::string& src, const std::string& dir) {
  json labels = read_json_file(src);
  if (labels.contains("records_file") && labels["records_file"].is_string()) {
    fs::path rec = labels["records_file"].get<std::string>();
    if (rec.is_relative()) rec = fs::absolute(fs::path(src).parent_path() / rec);
    labels["records_file"] = rec.string();
  }
  write_json_atomic(dir + "/labels.json", labels);
  // Checks the schema and derived counts (throws naming the file).
  const LabelsFile lf = read_labels_file(dir + "/labels.json");
  json counts = json::object();
  int known = 0, unknown = 0, other = 0;
  for (const auto& [type, c] : count_labels(lf)) {
    counts[type] = {{"known", c.known}, {"unknown", c.unknown}, {"other", c.other}};
    if (type == "all") {
      known = c.known;
      unknown = c.unknown;
      other = c.other;
    }
  }
  return {{"labels_path", fs::absolute(dir + "/labels.json").string()},
          {"source", fs::absolute(src).string()},
          {"counts", counts},
          {"headline", std::to_string(known + unknown + other) + " entities: " +
                           std::to_string(known) + " known, " + std::to_string(unknown) +
                           " unknown, " + std::to_string(other) + " other"}};
}

json dataset_identity(const std::string& entities_file, std::string* source) {
  if (!entities_file.empty()) {
    *source = entities_file;
    return {{"file", fs::absolute(entities_file).string()}, {"sha256", sha256_file(entities_file)}};
  }
  *source = find_entity_dir();
  json files = json::object();
  for (const auto& e : fs::directory_iterator(*source))
    if (e.path().extension() == ".jsonl")
      files[e.path().filename().string()] = sha256_file(e.path().string());
  return {{"dir", *source}, {"files", files}};
}

}  // namespace

StageOutcome stage_labelling(RunContext& ctx) {
  StageOutcome out;
  if (!ctx.options.labels.empty()) {
    const std::string src = ctx.options.labels;
    const json config = {{"source", "labels file"},
                         {"path", fs::absolute(src).string()},
                         {"sha256", sha256_file(src)}};
    out = run_ctx_stage(ctx, "labelling", config, [&](StageContext& sc) {
      sc.artifacts.push_back("labels.json");
      return copy_labels(src, sc.dir);
    });
  } else {
    LabellingConfig cfg;
    cfg.samples = ctx.profile.label_samples;
    cfg.early_stop = ctx.profile.label_early_stop;
    EntitySelection sel;
    sel.per_type = ctx.profile.label_per_type;
    sel.types = ctx.profile.label_types;
    std::string source;
    const json dataset = dataset_identity(ctx.options.entities, &source);
    LabelOptions rule;
    rule.min_known_attributes = ctx.options.min_known_attributes >= 0
                                    ? ctx.options.min_known_attributes
                                    : ctx.profile.label_min_known_attributes;
    const json config = {{"model_id", ctx.model_id},
                         {"labelling_config", json::parse(labelling_config_json(cfg))},
                         {"types", sel.types},
                         {"per_type", sel.per_type},
                         {"selection_seed", sel.seed},
                         {"dataset", dataset},
                         {"rule",
                          {{"min_correct_fraction", rule.min_correct_fraction},
                           {"min_known_attributes", rule.min_known_attributes}}}};
    out = run_ctx_stage(ctx, "labelling", config, [&](StageContext& sc) {
      const std::vector<Entity> pool =
          ctx.options.entities.empty() ? load_dataset(source, sel.types) : load_entities(source);
      const std::vector<Entity> entities = select_entities(pool, sel);
      check(!entities.empty(), source, "", "no entities to label");
      LabellingRun run;
      run.model_name = ctx.options.model;
      run.model_id = ctx.model_id;
      run.dir = default_labelling_dir(ctx.model_id, cfg);
      run.config = cfg;
      run.selection = sel;
      run.selection_source = source;
      run.rule = rule;
      run.progress = ctx.options.progress;
      std::fprintf(stderr, "labelling %zu entities (generation log in %s)\n", entities.size(),
                   run.dir.c_str());
      const LabellingResult res = run_labelling(ctx.model(), entities, run);
      sc.artifacts.push_back("labels.json");
      json summary = copy_labels(res.labels_path, sc.dir);
      summary["generated_prompts"] = res.stats.generated;
      summary["reused_prompts"] = res.stats.reused;
      summary["generation_seconds"] = res.stats.seconds;
      return summary;
    });
  }
  if (out.status == StageStatus::ran || out.status == StageStatus::reused) {
    ctx.labels_path = out.summary.value("labels_path", "");
    ctx.labels_hash = out.config_hash;
  }
  return out;
}

}  // namespace knowscope::study
