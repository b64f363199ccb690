// Activation patching, denoising (spec 5.2): the corrupted (unknown-entity) prompt runs with one
// activation of its clean (known-entity) partner patched in. LD = logit[clean answer] -
// logit[corrupt answer] at the last position; metric = (LD_patched - LD_corr) / (LD_clean -
// LD_corr) with LD_clean and LD_corr means over the pairs of a group. Sites: resid_pre at every
// (layer, position), and each head's hook_z slice at the last position.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "knowscope/model/model.h"
#include "knowscope/study/heads.h"

namespace knowscope::study {

// One patched site, applied to every pair: the hook's activation (only `heads` of it for a head
// hook) at one position of the corrupt prompt, or at every position of a role, replaced by the
// clean prompt's.
struct PatchSite {
  std::string hook;        // "blocks.3.hook_resid_pre", "blocks.3.attn.hook_z"
  std::vector<int> heads;  // head hooks: the heads patched (empty: all)
  int64_t position = -1;   // absolute; negative from the end (-1 = last); kAllPositions: all
  int role = -1;  // >= 0: instead of `position`, all positions of this role (position_roles())
  static constexpr int64_t kAllPositions = INT64_MIN;
};

struct PatchRunOptions {
  int64_t max_batch_tokens = 4096;  // tokens per forward call (sites x pairs are batched)
  bool progress = false;
};

// LD of each pair on its clean and its corrupt prompt (no patching).
struct PairLogitDiffs {
  std::vector<double> clean, corrupt;
};
PairLogitDiffs pair_logit_diffs(const Model& model, std::span<const HeadPrompt> prompts,
                                std::span<const PromptPair> pairs, const PatchRunOptions& opt = {});

// LD of the corrupt prompt of every pair with each site patched from its clean prompt: [site]
// [pair]; NaN where the site's position is outside a pair's prompt or its role has no position.
// Only the two answer logits are computed (final norm and two rows of W_U, final softcap
// applied), not the whole unembedding.
std::vector<std::vector<double>> patched_logit_diffs(const Model& model,
                                                     std::span<const HeadPrompt> prompts,
                                                     std::span<const PromptPair> pairs,
                                                     std::span<const PatchSite> sites,
                                                     const PatchRunOptions& opt = {});

// (mean LD_patched - mean LD_corr) / (mean LD_clean - mean LD_corr); NaN when the denominator is
// 0 or no value is finite. NaN entries of `patched` are skipped.
double patching_metric(std::span<const double> patched, std::span<const double> clean,
                       std::span<const double> corrupt);

struct PatchingOptions {
  PatchRunOptions run;
  std::vector<int> layers;  // resid_pre and head layers (empty: all)
  bool heads = true;        // also each head at the last position
};

// One group of pairs (an entity type, or "all").
struct PatchingGroup {
  std::string name;
  int pairs = 0;
  int clean_entities = 0, corrupt_entities = 0;  // distinct entities among the pairs
  double ld_clean = 0, ld_corrupt = 0;           // means over the group's pairs
  // resid_pre metric per layer (rows, PatchingResult::layers) and position role (columns,
  // position_roles()): every position of the role patched at once. bos and prefix are NaN (not
  // run): their tokens and everything before them are the same in both prompts of a pair, so in
  // a causal model patching them changes nothing.
  std::vector<std::vector<double>> resid;
  // hook_z metric per layer and head at the last position.
  std::vector<std::vector<double>> heads;
};

struct PatchedPair {
  std::string entity_type, prompt_type, clean_entity, corrupt_entity, clean_text, corrupt_text;
  std::string clean_answer, corrupt_answer;
  int64_t tokens = 0, entity_last = 0;
  double ld_clean = 0, ld_corrupt = 0;
};

struct PatchingResult {
  std::string model, labels, pair_rule;
  int n_layers = 0, n_heads = 0;
  std::vector<int> layers;
  std::vector<std::string> roles;
  std::vector<PatchedPair> pairs;
  std::vector<PatchingGroup> groups;  // "all" first, then each type
  double seconds = 0;
};

PatchingResult run_patching(const Model& model, std::span<const HeadPrompt> prompts,
                            std::span<const PromptPair> pairs, const PatchingOptions& opt = {});

// Heads ordered by their "all"-group metric at the last position, highest first.
struct RankedHead {
  int layer = 0, head = 0;
  double value = 0;
};
std::vector<RankedHead> rank_patched_heads(const PatchingResult& r);

std::string patching_to_json(const PatchingResult& r);  // docs/attention.md "patching.json"
PatchingResult patching_from_json(const std::string& text, const std::string& where);
// A readable table: the resid_pre grid of the "all" group and the top heads.
std::string patching_table(const PatchingResult& r, int top_heads = 10);

}  // namespace knowscope::study
