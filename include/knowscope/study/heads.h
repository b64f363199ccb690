// Mechanistic analysis on base models (paper-method.md 5): the prompts
// "The {entity_type} {entity} {relation}" of known and unknown entities, their token layout, and
// known/unknown pairs whose positions align (for activation patching, patching.h). The attention,
// steering and logit-lens analyses are in heads_attention.h, heads_steer.h and heads_lens.h.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "knowscope/model/tokenizer.h"
#include "knowscope/study/labels.h"

namespace knowscope::study {

// A labelled entity with the correct answer of each of its attribute prompt types.
struct HeadEntity {
  std::string entity, entity_type;
  Knowledge label = Knowledge::other;
  std::map<std::string, std::string> answers;  // prompt_type -> correct_answer
};

// The known and unknown entities of a labels file (labels_file.h), in file order, with answers
// from its records file (the generation log beside it). "other" entities are left out.
std::vector<HeadEntity> head_entities_from_labels(const std::string& labels_path);

// One mechanistic prompt, tokenized (BOS included).
struct HeadPrompt {
  std::string entity, entity_type, prompt_type;  // prompt_type: the attribute the relation asks
  Knowledge label = Knowledge::other;
  std::string text;  // "The city Paris is located in"
  std::vector<int32_t> tokens;
  int64_t entity_first = -1, entity_last = -1;  // token positions of the entity name
  std::string answer;         // patching_answer(correct answer): " France"; "" when none
  int32_t answer_token = -1;  // first token of `answer` (encoded without BOS); -1 when none
  int64_t last() const { return int64_t(tokens.size()) - 1; }
};

// One prompt per (entity, base relation), relations paired with their own attribute (the
// authors' swap of the two player relations is not kept, so that answers match; spec 10.7).
// Throws Error when the entity name cannot be located in the tokens.
std::vector<HeadPrompt> build_head_prompts(const Tokenizer& tok,
                                           std::span<const HeadEntity> entities);

// The role of a position, the axis the patching grid is reported on (positions of different
// pairs mean the same thing by role): "bos", "prefix" ("The {type}"), "entity" (entity tokens
// before its last), "entity_last", "relation" (relation tokens before the last), "last".
const std::vector<std::string>& position_roles();
int position_role(const HeadPrompt& p, int64_t pos);  // index into position_roles()

// Pairs for patching: clean = a known-entity prompt, corrupt = an unknown-entity prompt of the
// same type and relation whose tokens align: same length, same entity span, identical tokens
// outside the entity (the paper's fixed_config="both" for our tokenizer: instead of fixing 2 or 3
// entity tokens per type, any entity length is used but both prompts of a pair share it), and
// different answer tokens (else the logit difference is 0 by construction).
struct PairOptions {
  int per_type = 32;   // at most this many pairs per entity type (paper N = 32)
  uint64_t seed = 42;  // which pairs when more are possible
  int max_uses = 4;    // a prompt is used in at most this many pairs (spreads pairs over entities)
};
struct PromptPair {
  int clean = -1, corrupt = -1;  // indices into the prompt list
};
bool pair_aligned(const HeadPrompt& clean, const HeadPrompt& corrupt);
std::vector<PromptPair> select_pairs(std::span<const HeadPrompt> prompts,
                                     const PairOptions& opt = {});

// Human-readable statement of the pairing rule (written into the JSON and docs).
std::string pair_rule_text(const PairOptions& opt);

}  // namespace knowscope::study
