// One labelling run in a folder: generate what the log lacks, then label and split the selected
// entities and save the labels file. The folder holds
//   config.json        the model and the labelling config it was made with (checked on reuse)
//   generations.jsonl  one generation record per attribute prompt, appended as entities finish
//   labels.json        the labels file (study/labels_file.h), rewritten atomically by each run;
//                      another rule or split seed writes
//                      labels-c<fraction>-k<attributes>-s<seed>.json
#pragma once

#include <span>
#include <string>
#include <vector>

#include "knowscope/study/entities.h"
#include "knowscope/study/labelling.h"
#include "knowscope/study/labels.h"
#include "knowscope/study/labels_file.h"

namespace knowscope::study {

struct LabellingRun {
  std::string dir;         // the folder; created when missing
  std::string model_name;  // as the user gave it
  std::string model_id;    // model_cache_id
  LabellingConfig config;
  EntitySelection selection;     // recorded in the labels file
  std::string selection_source;  // the dataset folder or entity file, recorded too
  LabelOptions rule;
  uint32_t split_seed = 42;
  bool generate = true;  // false: label from the records already in the log
  bool progress = true;
};

struct LabellingResult {
  LabellingRunStats stats;
  LabelsFile labels;
  std::string log_path, labels_path;
};

// "labels.json" for the paper's rule (0.3, 2) and split seed 42, else e.g.
// "labels-c0.5-k1-s42.json", so relabelling with another rule never replaces the paper's labels;
// a selection of fewer than the four types appends them ("labels-movie.json"), and a sample of
// N per type "-nN" (and "-rS" for a sampling seed S other than 42), so that neither replaces the
// labels of the whole dataset either.
std::string labels_file_name(const LabelOptions& rule, uint32_t split_seed,
                             const EntitySelection& selection = {});

// The labels file of the `entities label` default profile (LabellingConfig{}, kDefaultLabelPerType
// entities per type, the paper's rule): what `steer`, `latents` and `uncertainty` read when no
// --labels is given. A labels.json written before sampled selections had their own name is taken
// when its recorded selection is that profile's.
std::string default_labels_path(const std::string& model_id);

// `entities`: the selected entities (select_entities). Throws Error when the folder's config.json
// names another model or config, or (generate = false) when a prompt has no record.
LabellingResult run_labelling(const Model& model, std::span<const Entity> entities,
                              const LabellingRun& run);

}  // namespace knowscope::study
