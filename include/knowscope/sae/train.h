// SAE training in float32 on the CPU: JumpReLU as in Gemma Scope (L0 penalty through a rectangle-
// kernel straight-through estimator of bandwidth epsilon, learned log-thresholds, sparsity
// warm-up), TopK and BatchTopK (with the AuxK loss on dead latents), and ReLU + L1 as a baseline.
// Adam with LR warm-up and linear decay, unit-norm decoder rows (gradient projection +
// renormalisation), b_dec initialised at the geometric median or mean, W_enc initialised as
// W_dec^T.
//
// Only the encoder product x . W_enc is a dense sgemm; decode and every gradient use the active
// (and, for JumpReLU, near-threshold) latents only.
//
// Checkpoints: <checkpoint_dir>/step_NNNNNNNN/ with cfg.json + sae_weights.safetensors (SAELens,
// ready to use) and trainer_state.safetensors (raw parameters, Adam moments, dead-latent counters,
// shuffle buffer and config) from which train_sae resumes to the same weights an uninterrupted run
// reaches; <checkpoint_dir>/latest names the newest. Same seed, same data, same threads: same
// weights.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "knowscope/sae/activations.h"
#include "knowscope/sae/sae.h"

namespace knowscope {

enum class SaeTrainArch { JumpRelu, TopK, BatchTopK, Relu };
// "jumprelu", "topk", "batchtopk", "relu": the names in checkpoints and sae_set.json.
const char* train_arch_name(SaeTrainArch a);
enum class BdecInit { Zero, Mean, GeometricMedian };

struct SaeTrainConfig {
  SaeTrainArch arch = SaeTrainArch::JumpRelu;
  int64_t d_sae = 0;
  int64_t k = 32;  // TopK: per row; BatchTopK: on average (k * batch over the batch)

  int64_t batch_size = 4096;
  int64_t total_steps = 1000;
  int64_t shuffle_buffer_rows = 65536;
  uint64_t seed = 0;

  // Adam. Gemma Scope used beta1 = 0, beta2 = 0.999.
  float lr = 7e-5f;
  float adam_beta1 = 0.0f;
  float adam_beta2 = 0.999f;
  float adam_eps = 1e-8f;
  int64_t lr_warmup_steps = 1000;
  // LR decays linearly to 0 over the last lr_decay_fraction of the steps.
  float lr_decay_fraction = 0.2f;

  // JumpReLU (Gemma Scope: bandwidth 0.001, initial threshold 0.001 on inputs with E||x||^2 = 1).
  float l0_coefficient = 1.0f;
  int64_t sparsity_warmup_steps = 10000;  // L0 and L1 coefficients ramp linearly from 0
  float bandwidth = 0.001f;
  float init_threshold = 0.001f;
  // Optional (not Gemma Scope; Anthropic's, as SAELens's pre_act_loss_coefficient): for dead
  // latents, coefficient * mean over rows of sum_j relu(theta_j - pre_j), which pulls their
  // pre-activations up to the threshold until they fire again. 0 turns it off.
  float pre_act_loss_coefficient = 0.0f;
  // Optional (not Gemma Scope): also train dead JumpReLU latents with the AuxK loss below. In short
  // runs it revives latents that would otherwise stay dead while others merge two features.
  bool jumprelu_aux_k = false;

  // ReLU + L1 (penalty coefficient * sum_j acts_j * ||W_dec[j]||).
  float l1_coefficient = 5.0f;

  // AuxK (TopK, BatchTopK, and JumpReLU with jumprelu_aux_k): the top aux_k dead latents
  // reconstruct the residual x - x_hat (0: d_in / 2).
  float aux_k_coefficient = 1.0f / 32.0f;
  int64_t aux_k = 0;
  float batch_topk_threshold_lr = 0.01f;  // EMA rate of the BatchTopK inference threshold

  // A latent is dead when it has not fired for this many tokens.
  int64_t dead_tokens = 10'000'000;
  // Fraction of tokens above which a latent counts as dense (reported only).
  double dense_fraction = 0.1;

  bool apply_b_dec_to_input = false;
  BdecInit b_dec_init = BdecInit::GeometricMedian;
  int64_t b_dec_init_rows = 4096;
  // Scale inputs so that E||x||^2 = 1 (Gemma Scope), estimated on the first rows; folded into the
  // saved weights so that the SAE takes unscaled activations.
  bool normalize_inputs = true;

  // Checkpoints every checkpoint_every steps (0: none); with a checkpoint_dir the last step is
  // always saved. Progress on stderr (knowscope::Progress) unless show_progress is false.
  int64_t checkpoint_every = 0;
  std::string checkpoint_dir;
  int64_t log_every = 100;
  bool show_progress = true;

  std::string hook_name, model_name;
};

struct SaeTrainStats {
  int64_t step = 0;
  double loss = 0, mse = 0, sparsity_loss = 0, aux_loss = 0;
  double l0 = 0;                  // mean active latents per row
  double explained_variance = 0;  // on the batch, SAELens formula
  double dead_fraction = 0, dense_fraction = 0;
  double lr = 0;
};

struct SaeTrainResult {
  Sae sae;  // inference form: unit-norm decoder rows, input scale folded in
  SaeTrainStats last;
  int64_t tokens_seen = 0;
  double seconds = 0;
};

// Trains on `source` through a ShuffleBuffer seeded with cfg.seed. When `resume_from` names a
// checkpoint folder (or a checkpoint_dir with a "latest" file), training continues from it; its
// config must match cfg except total_steps, checkpointing and logging. `on_log` (may be null) is
// called every log_every steps.
SaeTrainResult train_sae(ActivationSource& source, const SaeTrainConfig& cfg,
                         const std::string& resume_from = "",
                         const std::function<void(const SaeTrainStats&)>& on_log = nullptr);

// The newest checkpoint folder under checkpoint_dir ("" if none).
std::string latest_checkpoint(const std::string& checkpoint_dir);

// Geometric median of rows [n, d] (Weiszfeld iterations).
std::vector<float> geometric_median(const float* rows, int64_t n, int64_t d, int iterations = 100);

}  // namespace knowscope
