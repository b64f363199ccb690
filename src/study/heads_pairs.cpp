// Known/unknown prompt pairs whose token positions align (spec 5.2, fixed_config="both").
#include <algorithm>
#include <map>
#include <random>

#include "knowscope/study/heads.h"

namespace knowscope::study {

bool pair_aligned(const HeadPrompt& clean, const HeadPrompt& corrupt) {
  if (clean.entity_type != corrupt.entity_type || clean.prompt_type != corrupt.prompt_type)
    return false;
  if (clean.tokens.size() != corrupt.tokens.size()) return false;
  if (clean.entity_first != corrupt.entity_first || clean.entity_last != corrupt.entity_last)
    return false;
  for (size_t i = 0; i < clean.tokens.size(); ++i) {
    const bool in_entity = int64_t(i) >= clean.entity_first && int64_t(i) <= clean.entity_last;
    if (!in_entity && clean.tokens[i] != corrupt.tokens[i]) return false;
  }
  return clean.answer_token >= 0 && corrupt.answer_token >= 0 &&
         clean.answer_token != corrupt.answer_token;
}

std::vector<PromptPair> select_pairs(std::span<const HeadPrompt> prompts, const PairOptions& opt) {
  // Every aligned (known, unknown) pair, grouped by type in order of first appearance.
  std::vector<std::string> types;
  std::map<std::string, std::vector<PromptPair>> candidates;
  for (size_t c = 0; c < prompts.size(); ++c) {
    if (prompts[c].label != Knowledge::known) continue;
    for (size_t u = 0; u < prompts.size(); ++u) {
      if (prompts[u].label != Knowledge::unknown || !pair_aligned(prompts[c], prompts[u])) continue;
      auto& list = candidates[prompts[c].entity_type];
      if (list.empty()) types.push_back(prompts[c].entity_type);
      list.push_back({int(c), int(u)});
    }
  }
  // A seeded shuffle, then a greedy pass that caps how often one prompt is reused, so that a few
  // entities with many aligned partners do not fill the quota alone.
  std::vector<PromptPair> out;
  std::mt19937_64 rng(opt.seed);
  std::vector<int> uses(prompts.size(), 0);
  for (const auto& type : types) {
    auto list = candidates[type];
    std::shuffle(list.begin(), list.end(), rng);
    int taken = 0;
    for (const auto& p : list) {
      if (taken >= opt.per_type) break;
      if (uses[size_t(p.clean)] >= opt.max_uses || uses[size_t(p.corrupt)] >= opt.max_uses)
        continue;
      ++uses[size_t(p.clean)];
      ++uses[size_t(p.corrupt)];
      out.push_back(p);
      ++taken;
    }
  }
  return out;
}

std::string pair_rule_text(const PairOptions& opt) {
  return "clean = known-entity prompt, corrupt = unknown-entity prompt of the same type and "
         "relation with the same token count, the same entity token span and identical tokens "
         "outside the entity (any entity length, shared within the pair), answer tokens differ; "
         "at most " +
         std::to_string(opt.per_type) + " pairs per type, each prompt in at most " +
         std::to_string(opt.max_uses) + " pairs, seeded shuffle (seed " + std::to_string(opt.seed) +
         ")";
}

}  // namespace knowscope::study
