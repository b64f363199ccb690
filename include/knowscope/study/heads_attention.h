// Attention from the last token to the last entity token per head (spec 5.3), known vs unknown,
// and the attribute-extraction heads (docs/attention.md states the rule).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "knowscope/hooks/hook_set.h"
#include "knowscope/model/model.h"
#include "knowscope/study/heads.h"
#include "knowscope/study/patching.h"

namespace knowscope::study {

// A(l, h) per prompt: the post-softmax weight from the last position to the prompt's last entity
// token (blocks.{l}.attn.hook_pattern), [prompt][layer * n_heads + head]. `interventions` (may be
// null) act during the pass, e.g. steering (heads_steer.h).
struct AttentionRunOptions {
  int64_t max_batch_tokens = 4096;
  bool progress = false;
  HookSet* interventions = nullptr;
};
std::vector<std::vector<float>> attention_to_entity(const Model& model,
                                                    std::span<const HeadPrompt> prompts,
                                                    const AttentionRunOptions& opt = {});

struct GroupStat {
  double mean = 0, std = 0;  // std with ddof 1 (NaN for n < 2)
  int n = 0;
};

struct HeadAttention {
  int layer = 0, head = 0;
  GroupStat known, unknown;
  double gap = 0;                            // known.mean - unknown.mean
  double t = 0, p_two = 1, p_greater = 0.5;  // Welch, known vs unknown
};

struct TypeAttention {
  std::string type;
  int n_known = 0, n_unknown = 0;
  std::vector<std::vector<double>> known_mean, unknown_mean;  // [layer][head]
};

struct ExtractionHead {
  int layer = 0, head = 0;
  double metric = 0;  // patching metric at the last position (NaN when not patched)
  double gap = 0, p_greater = 0.5;
};

struct AttentionResult {
  std::string model, labels;
  int n_layers = 0, n_heads = 0;
  int known_prompts = 0, unknown_prompts = 0, known_entities = 0, unknown_entities = 0;
  std::vector<HeadAttention> heads;  // layer-major
  std::vector<TypeAttention> by_type;
  std::string rule;
  std::vector<ExtractionHead> by_patching, by_gap, selected;
  double seconds = 0;
};

// Known and unknown prompts' attention, summarised per head and per type. `patching` (may be
// null) adds the patching ranking and the selected attribute-extraction heads.
struct ExtractionRule {
  int top_patching = 10;  // a selected head is in this many top heads by patching metric (> 0)
  double alpha = 0.05;    // and its gap is positive with one-tailed Welch p below this
};
AttentionResult run_attention(const Model& model, std::span<const HeadPrompt> prompts,
                              const PatchingResult* patching, const AttentionRunOptions& opt = {},
                              const ExtractionRule& rule = {});

// Fills by_patching, by_gap, selected and rule from `heads` (and `patching` when given).
void select_extraction_heads(AttentionResult& r, const PatchingResult* patching,
                             const ExtractionRule& rule = {});

std::string attention_to_json(const AttentionResult& r);  // docs/attention.md "attention.json"
std::string attention_table(const AttentionResult& r, int top = 10);

}  // namespace knowscope::study
