// Evaluating SAEs on a live model over token sequences (e.g. held-out corpus documents):
//   - activation metrics (metrics.h: L0, FVU, MSE, cosine, dead/dense fractions) of every SAE on
//     its hook's activations, from one forward pass that stops after the deepest hook;
//   - downstream scores as SAELens's get_downstream_reconstruction_metrics computes them: the
//     next-token cross-entropy and KL of the clean run, of the run with the SAE's reconstruction
//     spliced in at its hook, and of the run with the hook zero-ablated; ce_loss_score =
//     (CE_ablation - CE_sae) / (CE_ablation - CE_clean).
// The first position of every sequence, when it is BOS, is left alone in both edited runs and is
// not counted in the activation metrics, because the SAEs are not trained on it (its norm is an
// outlier). Sequences without BOS (a tokenizer that adds none) are used from their first token.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "knowscope/model/model.h"
#include "knowscope/sae/metrics.h"
#include "knowscope/sae/sae.h"

namespace knowscope {

struct SaeEvalConfig {
  int64_t batch_tokens = 1024;  // tokens per forward call for the activation metrics
  // Tokens per forward call with full logits (each call holds three [tokens, vocab] logit blocks).
  int64_t logits_batch_tokens = 256;
  double dense_threshold = 0.1;
  bool progress = true;
};

struct SaeEvalResult {
  std::string hook;
  SaeMetrics activations;
  DownstreamScores downstream;  // tokens == 0 when no downstream sequences were given
};

// `saes` are evaluated at their own hook_name (each must be a per-row hook of d_in columns).
// act_sequences feed the activation metrics, ce_sequences the downstream scores (may be empty).
std::vector<SaeEvalResult> evaluate_saes_on_model(
    const Model& model, const std::vector<const Sae*>& saes,
    const std::vector<std::vector<int32_t>>& act_sequences,
    const std::vector<std::vector<int32_t>>& ce_sequences, const SaeEvalConfig& cfg = {});

// {"tokens", "l0", "mse", "fvu", "explained_variance", "cossim", "l2_ratio", "dead_fraction",
//  "dense_fraction", "ce_tokens", "ce_clean", "ce_sae", "ce_ablation", "ce_loss_score",
//  "kl_sae", "kl_ablation", "kl_div_score"} (downstream fields only when computed).
std::string sae_eval_to_json(const SaeEvalResult& r);

}  // namespace knowscope
