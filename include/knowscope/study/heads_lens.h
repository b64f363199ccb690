// Head logit lens (spec 5.5): what one head writes at the last position, read through the
// unembedding: score = (W_O[:, head] z_head  ⊙  w_ln_final) . W_U, no RMS division.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "knowscope/model/model.h"
#include "knowscope/study/heads.h"

namespace knowscope::study {

// The head's output W_O[:, head] z_head ([d_model]) from a hook_z row [n_heads * head_dim]
// (before Gemma's post-attention norm, as TransformerLens' per-head result).
std::vector<float> head_output(const Model& model, int layer, int head, std::span<const float> z);

// Scores over the vocabulary for a head output: (out ⊙ w_ln_final) . W_U ([vocab]). The final
// norm weight is the model's as stored (Gemma's 1 + w already applied at load).
std::vector<float> lens_scores(const Model& model, std::span<const float> head_out);

struct LensToken {
  int32_t id = 0;
  std::string text;
  double score = 0;
};

struct LensEntry {
  int layer = 0, head = 0;
  std::string entity, entity_type, prompt, answer;
  int64_t answer_rank = -1;  // rank of the answer token (0 = top); -1 when none
  std::vector<LensToken> tokens;
};

struct LensResult {
  std::string model, labels;
  int top_k = 20;
  std::vector<LensEntry> entries;
};

struct HeadRef {
  int layer = 0, head = 0;
};
// "L9H2" -> {9, 2}; throws Error.
HeadRef parse_head_id(const std::string& text);

// For each head and each prompt: the top-k tokens of the head's output at the last position.
LensResult run_head_lens(const Model& model, std::span<const HeadPrompt> prompts,
                         std::span<const HeadRef> heads, int top_k = 20);

std::string lens_to_json(const LensResult& r);  // "lens.json"
std::string lens_table(const LensResult& r, int show = 10);

}  // namespace knowscope::study
