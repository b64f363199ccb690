// Labels (spec 1.3, 1.4, 6): per completion correct/refusal/error, per attribute prompt known or
// not from the sampled completions, per entity known/unknown/other.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "knowscope/study/generation_record.h"

namespace knowscope::study {

// correct if the prompt type's correctness function accepts the completion; otherwise refusal if
// the refusal detector fires (is_refusal; is_refusal_fewshot for the fewshot format); else error.
// The fewshot format is judged on fewshot_answer(completion).
CompletionLabel label_completion(std::string_view prompt_type, PromptFormat format,
                                 std::string_view correct_answer, std::string_view completion);

// Fills greedy_label, sampled_labels and label; label is the greedy label, overridden with refusal
// whenever the greedy completion is a refusal (the authors' load_wikidata_queries), even when it
// was also correct. A record without "prompt_format" is taken as base.
void label_record(GenerationRecord& r);

struct LabelOptions {
  // An attribute prompt is known when at least ceil(fraction * n) of its n sampled completions
  // are correct (and at least one): 0.3 gives the paper's 3 of 10, and 2 of 5, 1 of 3.
  double min_correct_fraction = 0.3;
  // An entity is known with at least this many known attributes (paper: score > 1), unknown with
  // none, "other" in between.
  int min_known_attributes = 2;
};

int required_correct(size_t n_samples, double fraction);  // ceil(fraction * n), at least 1
// Counts "correct" in sampled_labels; throws if the record has completions but no labels.
bool attribute_known(const GenerationRecord& r, const LabelOptions& options = {});

enum class Knowledge { known, unknown, other };
std::string_view knowledge_name(Knowledge k);  // "known" "unknown" "other"

struct EntityLabel {
  std::string entity_type, entity;
  int attributes = 0;        // attribute prompts seen
  int known_attributes = 0;  // of which known
  Knowledge knowledge = Knowledge::other;
};

// One label per (entity_type, entity), in order of first appearance in `records` (the order the
// splits depend on).
std::vector<EntityLabel> label_entities(std::span<const GenerationRecord> records,
                                        const LabelOptions& options = {});

// Prompt-level label of the uncertainty analysis (spec 6): refusal when the greedy label is a
// refusal, else correct when the attribute is known, else error.
CompletionLabel prompt_label(const GenerationRecord& r, const LabelOptions& options = {});

}  // namespace knowscope::study
