// SAE quality metrics, computed as SAELens's evals.py does:
//   l0            mean over tokens of the number of nonzero latents
//   l1            mean over tokens of sum |acts|
//   mse           mean over tokens of ||x - x_hat||^2 (summed over dimensions)
//   explained_variance = 1 - E||x - x_hat||^2 / (E||x||^2 - ||E x||^2) over all tokens (FVU = 1 -
//   it) explained_variance_legacy: per-token 1 - ||x - x_hat||^2 / ||x - batch mean||^2, averaged
//   cossim        mean cosine(x, x_hat); l2_ratio mean ||x_hat|| / ||x||
//   firing frequency per latent, dead (never fired) and dense (> dense_threshold) fractions
// and the downstream scores from three forward passes that the model side supplies:
//   ce_loss_score = (CE_ablation - CE_sae) / (CE_ablation - CE_clean)
//   kl_div_score  = (KL_ablation - KL_sae) / KL_ablation, with KL(clean || other) per token.
#pragma once

#include <cstdint>
#include <vector>

#include "knowscope/sae/encode.h"

namespace knowscope {

struct SaeMetrics {
  int64_t tokens = 0;
  double l0 = 0, l1 = 0, mse = 0;
  double explained_variance = 0, explained_variance_legacy = 0, fvu = 0;
  double cossim = 0, l2_ratio = 0;
  std::vector<double> firing_frequency;  // per latent, fraction of tokens
  double dead_fraction = 0, dense_fraction = 0;
};

// Streams batches; double-precision sums (no cancellation in the variance).
class SaeMetricsAccumulator {
 public:
  explicit SaeMetricsAccumulator(int64_t d_in, int64_t d_sae, double dense_threshold = 0.1);
  // x and x_hat are [codes.rows, d_in]. The legacy explained variance uses this batch's mean.
  void add(const float* x, const float* x_hat, const SaeCodes& codes);
  SaeMetrics result() const;

 private:
  int64_t d_in_, d_sae_;
  double dense_threshold_;
  int64_t tokens_ = 0;
  std::vector<double> sum_x_;
  std::vector<int64_t> fired_;
  double sum_sq_norm_ = 0, sum_sq_resid_ = 0, sum_l0_ = 0, sum_l1_ = 0, sum_cos_ = 0,
         sum_l2_ratio_ = 0, sum_ev_legacy_ = 0;
};

// Encodes and decodes `x` with `sae` in chunks and returns every metric above.
SaeMetrics evaluate_sae(const Sae& sae, const float* x, int64_t n, double dense_threshold = 0.1);

// Per-token cross-entropy -log softmax(logits[t])[target[t]] for logits [T, vocab] (float64 sums).
std::vector<double> token_cross_entropy(const float* logits, int64_t T, int64_t vocab,
                                        const int32_t* targets);
// Per-token KL(p || q) with p = softmax(clean[t]), q = softmax(other[t]).
std::vector<double> token_kl_divergence(const float* clean_logits, const float* other_logits,
                                        int64_t T, int64_t vocab);

struct DownstreamScores {
  int64_t tokens = 0;
  double ce_clean = 0, ce_sae = 0, ce_ablation = 0, ce_loss_score = 0;
  double kl_sae = 0, kl_ablation = 0, kl_div_score = 0;
};

// Accumulates means over batches, as SAELens's get_downstream_reconstruction_metrics: for each
// batch, the logits of the clean run, of the run with the SAE spliced in at the hook, and of the
// run with the hook zero-ablated, plus the targets (next tokens; a target < 0 skips the position).
class DownstreamAccumulator {
 public:
  void add(const float* clean, const float* spliced, const float* ablated, int64_t T, int64_t vocab,
           const int32_t* targets);
  DownstreamScores result() const;

 private:
  int64_t tokens_ = 0;
  double ce_clean_ = 0, ce_sae_ = 0, ce_abl_ = 0, kl_sae_ = 0, kl_abl_ = 0;
};

}  // namespace knowscope
