// A sparse autoencoder as plain data: architecture, float32 weights, input conventions and the hook
// point it reads. Math as SAELens and Gemma Scope define it:
//   x_in  = norm_in(x) - (apply_b_dec_to_input ? b_dec : 0)
//   pre   = x_in . W_enc + b_enc
//   acts  = relu(pre)                                   (Relu, SAELens "standard")
//         = pre * 1[pre > max(threshold, 0)]            (JumpRelu; Gemma Scope, SAELens "jumprelu")
//         = relu(pre) on the k largest pre, 0 elsewhere (TopK)
//   x_hat = norm_out(acts . W_dec + b_dec)
// Latent j's direction is the row W_dec[j, :].
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "knowscope/core/tensor.h"

namespace knowscope {

enum class SaeArch { Relu, JumpRelu, TopK };

// Run-time input normalisation, as SAELens's cfg.normalize_activations names it.
enum class SaeInputNorm {
  None,
  // Training-time scaling by a constant that SAELens folds into the weights; a no-op at encode time
  // (as in SAELens's own encode).
  ExpectedAverageOnlyIn,
  ConstantNormRescale,  // x * sqrt(d_in) / ||x||, undone on the output
  LayerNorm,            // (x - mean) / (std + 1e-5) with unbiased std, undone on the output
};

const char* sae_arch_name(SaeArch a);             // "relu" / "jumprelu" / "topk"
const char* sae_input_norm_name(SaeInputNorm n);  // SAELens spelling: "none", "layer_norm", ...

struct Sae {
  SaeArch arch = SaeArch::JumpRelu;
  int64_t d_in = 0;
  int64_t d_sae = 0;
  int64_t k = 0;  // TopK only
  bool rescale_acts_by_decoder_norm =
      false;  // TopK only (SAELens): pre *= ||W_dec[j]||, acts /= it

  Tensor W_enc;      // [d_in, d_sae]
  Tensor b_enc;      // [d_sae]
  Tensor W_dec;      // [d_sae, d_in]
  Tensor b_dec;      // [d_in]
  Tensor threshold;  // [d_sae], JumpRelu only (empty otherwise)

  bool apply_b_dec_to_input = false;
  SaeInputNorm input_norm = SaeInputNorm::None;

  // Where it reads: a TransformerLens hook name and the model it was trained on.
  std::string hook_name;     // "blocks.12.hook_resid_post"
  std::string hf_hook_name;  // Gemma Scope 2's "model.layers.12.output", when known
  std::string model_name;    // "gemma-2-2b", "google/gemma-3-270m"

  // Provenance.
  std::string source_format;  // "gemma_scope_npz", "gemma_scope_2", "saelens", "knowscope_train"
  std::string source_path;
  std::string source_dtype =
      "float32";  // dtype of the weights in the file: float32/float16/bfloat16
  // Things a user should know about this SAE (decoder norms far from 1, ignored tensors ...).
  std::vector<std::string> warnings;
};

// A zero-initialised SAE of the given shape (threshold allocated for JumpRelu).
Sae make_sae(SaeArch arch, int64_t d_in, int64_t d_sae, int64_t k = 0);

// Checks shapes, k and finiteness of every weight; throws Error naming `where` and the field.
void validate_sae(const Sae& sae, const std::string& where);

// Norms of the decoder rows W_dec[j, :].
struct DecoderNormStats {
  double min = 0, mean = 0, max = 0;
  int64_t far_from_one = 0;  // rows with |norm - 1| > tolerance
};
std::vector<float> decoder_row_norms(const Sae& sae);
DecoderNormStats decoder_norm_stats(const Sae& sae, double tolerance = 1e-2);
// Appends a warning to sae.warnings when some rows are not unit norm; returns the stats.
DecoderNormStats check_decoder_norms(Sae& sae, double tolerance = 1e-2);

// Rescales so that every decoder row has unit norm without changing encode/decode: W_dec[j] /= n_j,
// W_enc[:, j] *= n_j, b_enc[j] *= n_j, threshold[j] *= n_j (SAELens fold_W_dec_norm). TopK
// ordering changes unless rescale_acts_by_decoder_norm, so it throws for TopK without it.
void fold_decoder_norms(Sae& sae);

// For SAEs trained on inputs scaled by `scale` (x' = scale * x): folds the scale into the weights
// so the SAE takes unscaled x, with decoder rows unchanged (acts come out divided by `scale`).
void fold_input_scale(Sae& sae, float scale);

// Hook name helpers.
// "blocks.12.hook_resid_post" -> 12; -1 when the name has no block index.
int hook_layer(const std::string& hook_name);
// Gemma Scope 2 / Hugging Face module paths to TransformerLens names:
// model.layers.N.output -> blocks.N.hook_resid_post; ...self_attn.o_proj.input ->
// blocks.N.attn.hook_z;
// ...post_feedforward_layernorm.output -> blocks.N.hook_mlp_out;
// ...pre_feedforward_layernorm.output -> blocks.N.hook_mlp_in. Empty string when unknown.
std::string hf_hook_to_tl(const std::string& hf_hook);

}  // namespace knowscope
