// The labels file that later steps read: one JSON document per labelling run with every entity's
// label (known / unknown / other), per-attribute scores, split, and the counts, the model and the
// config that produced them.
//
//   {"format": "knowscope-entity-labels", "version": 1,
//    "model": {"name": "gemma-3-270m", "id": "gemma-3-270m", "path": "...", "arch": "gemma3"},
//    "config": {...labelling_config_json...},
//    "selection": {"types": ["player", ...], "per_type": 50, "seed": 42, "source":
//    "data/entities"}, "rule": {"min_correct_fraction": 0.3, "min_known_attributes": 2,
//    "split_seed": 42}, "records_file": "generations.jsonl", "counts": {"player": {"known": 3,
//    "unknown": 40, "other": 7, "total": 50}, ..., "all": {...}}, "splits": {"player": {"known":
//    {"train": 2, "validation": 0, "test": 1, "fallback": true},
//                          "unknown": {...}}, ...},
//    "entities": [{"entity": "Stephen Curry", "entity_type": "player", "label": "known",
//                  "split": "train", "known_attributes": 2, "attributes": 3,
//                  "scores": [{"prompt_type": "player_place_birth", "correct": 4, "samples": 10,
//                              "known": true, "greedy": "correct"}, ...]}, ...]}
//
// "split" is null for "other" entities. Reading checks the schema and that counts and splits agree
// with the entity list.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "knowscope/study/generation_record.h"
#include "knowscope/study/labelling.h"
#include "knowscope/study/labels.h"

namespace knowscope::study {

enum class SplitName { train, validation, test };
std::string_view split_name(SplitName s);  // "train" "validation" "test"

struct AttributeScore {
  std::string prompt_type;
  int correct = 0;  // sampled completions judged correct
  int samples = 0;  // sampled completions
  bool known = false;
  CompletionLabel greedy = CompletionLabel::error;  // the record's "label" (refusal overrides)
};

struct LabelledEntity {
  std::string entity, entity_type;
  Knowledge label = Knowledge::other;
  std::optional<SplitName> split;  // none for "other"
  int known_attributes = 0;
  std::vector<AttributeScore> scores;  // one per attribute prompt, in record order
};

struct LabelCounts {
  int known = 0, unknown = 0, other = 0;
  int total() const { return known + unknown + other; }
};

struct SplitCounts {
  int train = 0, validation = 0, test = 0;
  bool fallback = false;  // the list was too short for sklearn's splits (splits.h)
};

struct LabelsModel {
  std::string name;  // as given on the command line
  std::string id;    // model_cache_id
  std::string path;  // resolved file or folder
  std::string arch;
};

struct LabelsFile {
  LabelsModel model;
  LabellingConfig config;
  EntitySelection selection;
  std::string selection_source;  // the dataset folder or entity file
  LabelOptions rule;
  uint32_t split_seed = 42;
  std::string records_file;              // relative to the labels file's folder
  std::vector<LabelledEntity> entities;  // records order: per type, selection order
  // Per type (and from the splits), filled by build_labels and checked by the reader.
  std::map<std::string, std::pair<SplitCounts, SplitCounts>> splits;  // type -> (known, unknown)
};

// Labels (label_entities), per-attribute scores and splits (split_entities, 50/10/40 per type and
// label) from labelled records in selection order. Throws if a record has no labels.
LabelsFile build_labels(std::span<const GenerationRecord> records, const LabelOptions& rule = {},
                        uint32_t split_seed = 42);

// Per entity type in order of appearance, and "all" last.
std::vector<std::pair<std::string, LabelCounts>> count_labels(const LabelsFile& labels);

std::string labels_to_json(const LabelsFile& labels);  // pretty-printed, keys as above
LabelsFile labels_from_json(std::string_view text, const std::string& where);
void write_labels_file(const std::string& path, const LabelsFile& labels);  // atomic
LabelsFile read_labels_file(const std::string& path);

// The names of one type's entities with a label and split, e.g. the known train entities.
std::vector<std::string> entities_with(const LabelsFile& labels, std::string_view entity_type,
                                       Knowledge label, std::optional<SplitName> split = {});

}  // namespace knowscope::study
