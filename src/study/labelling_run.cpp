// A labelling run in its folder: config check, generation, labels.
#include "knowscope/study/labelling_run.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/model/model.h"
#include "knowscope/study/templates.h"

namespace knowscope::study {
namespace {

namespace fs = std::filesystem;

std::string folder_config_json(const LabellingRun& run) {
  nlohmann::ordered_json j;
  j["model_id"] = run.model_id;
  j["config"] = nlohmann::ordered_json::parse(labelling_config_json(run.config));
  return j.dump(1) + "\n";
}

// The folder's config.json must describe this model and config; a new folder gets one.
void claim_folder(const LabellingRun& run) {
  std::error_code ec;
  fs::create_directories(run.dir, ec);
  if (ec) fail(run.dir, "", "cannot create the folder: " + ec.message());
  const std::string path = (fs::path(run.dir) / kConfigFile).string();
  const std::string want = folder_config_json(run);
  if (!fs::exists(path)) {
    write_file_atomic(path, want);
    return;
  }
  nlohmann::json have;
  try {
    have = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail(path, "", std::string("not valid JSON: ") + e.what());
  }
  if (have != nlohmann::json::parse(want))
    fail(path, "",
         "this folder holds generations of another model or config (" + have.dump() + "), not " +
             nlohmann::json::parse(want).dump() + "; use another --out");
}

}  // namespace

std::string labels_file_name(const LabelOptions& rule, uint32_t split_seed,
                             const EntitySelection& selection) {
  const std::vector<std::string>& types = selection.types;
  const LabelOptions paper;
  std::string name = "labels";
  if (rule.min_correct_fraction != paper.min_correct_fraction ||
      rule.min_known_attributes != paper.min_known_attributes || split_seed != 42) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "-c%g-k%d-s%u", rule.min_correct_fraction,
                  rule.min_known_attributes, unsigned(split_seed));
    name += buf;
  }
  // A selection of fewer types gets its own file, so that labelling one type never replaces the
  // labels of all four that share this folder's generations.
  std::set<std::string> asked(types.begin(), types.end());
  std::set<std::string> all;
  for (auto t : entity_types()) all.insert(std::string(t));
  if (!types.empty() && asked != all)
    for (const auto& t : types) name += "-" + t;
  // So does a sample of each type (and its sampling seed), so that a quick run never replaces
  // the labels of the whole dataset.
  if (selection.per_type > 0) {
    name += "-n" + std::to_string(selection.per_type);
    if (selection.seed != EntitySelection{}.seed) name += "-r" + std::to_string(selection.seed);
  }
  return name + ".json";
}

std::string default_labels_path(const std::string& model_id) {
  const fs::path dir = default_labelling_dir(model_id, LabellingConfig{});
  const EntitySelection profile{{}, kDefaultLabelPerType, EntitySelection{}.seed};
  const fs::path path = dir / labels_file_name(LabelOptions{}, 42, profile);
  const fs::path legacy = dir / kLabelsFile;
  if (!fs::exists(path) && fs::exists(legacy)) {
    const EntitySelection had = read_labels_file(legacy.string()).selection;
    if (had.per_type == profile.per_type && had.seed == profile.seed &&
        (had.types.empty() || had.types.size() == entity_types().size()))
      return legacy.string();
  }
  return path.string();
}

LabellingResult run_labelling(const Model& model, std::span<const Entity> entities,
                              const LabellingRun& run) {
  validate_labelling_config(run.config);
  claim_folder(run);
  LabellingResult res;
  res.log_path = (fs::path(run.dir) / kGenerationsFile).string();
  res.labels_path =
      (fs::path(run.dir) / labels_file_name(run.rule, run.split_seed, run.selection)).string();
  if (run.generate)
    res.stats = run_labelling_generation(model, entities, run.config, res.log_path, run.progress);
  const GenerationLog log = read_generation_log(res.log_path);
  const auto records = collect_records(log, entities, model, run.config, res.log_path);
  res.labels = build_labels(records, run.rule, run.split_seed);
  res.labels.model = {run.model_name, run.model_id, model.path, model.config.arch};
  res.labels.config = run.config;
  res.labels.selection = run.selection;
  res.labels.selection_source = run.selection_source;
  res.labels.records_file = std::string(kGenerationsFile);
  write_labels_file(res.labels_path, res.labels);
  return res;
}

}  // namespace knowscope::study
