// The trainer's state and its pieces: one step (train_step.cpp), checkpoints (train_checkpoint.cpp)
// and the loop (train.cpp). Private to sae/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "knowscope/sae/train.h"

namespace knowscope::sae_detail {

// A trained tensor with its gradient and Adam moments.
struct Param {
  explicit Param(std::string n) : name(std::move(n)) {}
  std::string name;
  std::vector<float> value, grad, m, v;
  void resize(size_t n) {
    value.assign(n, 0.0f);
    grad.assign(n, 0.0f);
    m.assign(n, 0.0f);
    v.assign(n, 0.0f);
  }
};

// One (row, latent) pair that the step touches: active latents, JumpReLU latents within half a
// bandwidth of the threshold, and AuxK latents.
struct Entry {
  int32_t latent;
  float pre;   // pre-activation
  float act;   // activation (0 when inactive)
  float g;     // dLoss/dact (MSE part) or, for AuxK entries, dLoss/daux_act
  float dpre;  // dLoss/dpre
  float dth;   // dLoss/dthreshold contribution (JumpReLU)
};

struct StepOutput {
  double mse = 0, sparsity = 0, aux = 0;
  double l0 = 0;
  double sum_sq_x = 0;  // for the batch's explained variance
  double sum_sq_err = 0;
  std::vector<double> sum_x;
};

struct Trainer {
  SaeTrainConfig cfg;
  int64_t d = 0, S = 0;
  Param W_encT{"W_encT"}, b_enc{"b_enc"}, W_dec{"W_dec"}, b_dec{"b_dec"};
  Param log_th{"log_threshold"};
  int64_t step = 0, tokens_seen = 0;
  float input_scale = 1.0f;
  double batch_topk_threshold = 0.0;
  std::vector<int64_t> tokens_since_fired;  // [S]
  std::vector<int64_t> window_fires;        // tokens each latent fired on since the last log
  int64_t window_tokens = 0;

  // Scratch, reused every step.
  std::vector<float> x, x_in, pre, acts, G, x_hat, dx_hat, aux_recon;
  std::vector<int64_t> row_ptr, aux_ptr, col_ptr;
  std::vector<Entry> entries, aux_entries;
  struct ColItem {
    int32_t row;
    int32_t entry;  // index into entries (>= 0) or -1 - index into aux_entries
  };
  std::vector<ColItem> cols;
  bool last_dense = false;     // which path the last step took (tests)
  std::vector<int32_t> fired;  // per latent: rows of the last batch where it fired

  std::vector<Param*> params();  // the trained tensors
  void init_shapes(int64_t d_in);
  // Forward + backward on x (already scaled) of B rows; fills the grads.
  StepOutput forward_backward(int64_t B, float lr_sparsity_coef);
  void adam_update(float lr);
  Sae inference_sae() const;
};

// Checkpoints.
void save_checkpoint(const Trainer& t, const ShuffleBuffer& buffer, const std::string& dir);
// Restores t (shapes must be set) and the buffer from a checkpoint folder.
void load_checkpoint(Trainer& t, ShuffleBuffer& buffer, const std::string& folder);

}  // namespace knowscope::sae_detail
