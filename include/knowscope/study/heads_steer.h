// Steering -> attention (spec 5.4): steer the last entity token along a latent's direction and
// record the change in attention to it, dA = A_steered - A_orig, for every head in layers >= the
// latent's layer; against random latents and a random vector with one-tailed Welch tests.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "knowscope/model/model.h"
#include "knowscope/study/heads.h"
#include "knowscope/study/heads_attention.h"
#include "knowscope/study/stats.h"
#include "knowscope/study/steering_latents.h"

namespace knowscope::study {

// Mean |blocks.{layer}.hook_resid_pre| at the last entity token of `prompts` (unsteered).
double mean_entity_resid_norm(const Model& model, std::span<const HeadPrompt> prompts, int layer,
                              int64_t max_batch_tokens = 4096);

// dA [prompt][layer * n_heads + head] for `alpha * direction` added at blocks.{layer}.
// hook_resid_pre on each prompt's last entity token; `base` is attention_to_entity unsteered.
std::vector<std::vector<float>> steered_attention_delta(
    const Model& model, std::span<const HeadPrompt> prompts,
    const std::vector<std::vector<float>>& base, int layer, const std::vector<float>& direction,
    double alpha, const AttentionRunOptions& opt = {});

// dA of heads in layers >= from_layer, flattened over (prompts x heads).
std::vector<double> flatten_delta(const std::vector<std::vector<float>>& delta, int n_heads,
                                  int from_layer);

// One tested condition: the latent itself, a random latent, or the random vector.
struct SteerCondition {
  std::string id;  // "L5F123", "random_vector"
  int layer = 0;
  int64_t latent = -1;  // -1 for the random vector
  std::string hook;
  double raw_norm = 0, resid_norm = 0, alpha = 0;
  double mean = 0, std = 0;  // of the flattened dA
  // Controls: the latent against this control, one-tailed in the expected direction.
  double t = 0, p = 1;
  bool beaten = false;
  uint64_t seed = 0;  // random vector only
};

// The Welch comparison of a latent's flattened dA with a control's: t and the one-tailed p for
// `greater` (latent > control) or less; beaten when p < alpha.
void compare_with_control(std::span<const double> latent, std::span<const double> control,
                          bool greater, double alpha, SteerCondition& c);

struct HeadDelta {
  int layer = 0, head = 0;
  double mean = 0, std = 0;
};

struct SteerSide {
  std::string name;           // "unknown_latent_on_known" / "known_latent_on_unknown"
  std::string prompts_label;  // "known" / "unknown"
  std::string expected;       // "less" / "greater"
  int n_prompts = 0, n_entities = 0, from_layer = 0, n_heads = 0;
  int64_t n_values = 0;
  SteerCondition latent;
  std::vector<HeadDelta> heads;  // layers >= from_layer
  std::vector<SteerCondition> random_latents;
  SteerCondition random_vector;
  int beaten = 0, of = 0;  // random latents beaten
};

struct SteerAttentionOptions {
  double alpha_factor = 0.4;  // alpha = factor x mean resid norm at the entity (paper 100 ~ 0.4x)
  double alpha = 0;           // > 0: this alpha for every condition instead
  uint64_t vector_seed = 1234;
  double test_alpha = 0.05;
  // At most this many prompts per side (0: all), spread over entities: every entity's first
  // relation, then every entity's second, ... (the paper used 100 per type on a GPU).
  int max_prompts = 0;
  AttentionRunOptions run;
};

// One side: `prompts` (all of one label) steered with `latent`, controls `randoms`, expected
// direction `greater` (known latent on unknown prompts) or not.
SteerSide run_steer_side(const Model& model, std::span<const HeadPrompt> prompts,
                         const SteerLatent& latent, std::span<const SteerLatent> randoms,
                         bool greater, const SteerAttentionOptions& opt = {});

struct SteerAttentionResult {
  std::string model, labels, latents_file, sae_set, alpha_rule;
  double alpha_factor = 0;
  std::vector<SteerSide> sides;
  double seconds = 0;
};

// Both sides: known prompts with the unknown latent (expected less), unknown prompts with the
// known latent (expected greater). A side whose latent has no direction is skipped.
// spread_prompts: the max_prompts rule.
std::vector<HeadPrompt> spread_prompts(std::span<const HeadPrompt> prompts, int max_prompts);
SteerAttentionResult run_steer_attention(const Model& model, std::span<const HeadPrompt> prompts,
                                         const SteeringLatents& latents,
                                         const SteerAttentionOptions& opt = {});

std::string steer_attention_to_json(const SteerAttentionResult& r);  // "steer.json"
std::string steer_attention_table(const SteerAttentionResult& r, int top = 8);

}  // namespace knowscope::study
