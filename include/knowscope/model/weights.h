// A model's weights as views into the files they came from (mmapped GGUF blocks or safetensors
// bf16/f16/f32), mapped from GGUF and Hugging Face names onto one struct and checked against the
// config. Linear layers are computed straight from these views (core/matmul.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "knowscope/core/tensor.h"
#include "knowscope/model/config.h"

namespace knowscope {

struct GgufFile;
struct SafetensorsSet;

struct LayerWeights {
  // RMSNorm scales in float32 with the model's norm_offset already added, so the forward pass
  // always computes x_normed * w. Empty when the architecture has no such norm.
  std::vector<float> attn_norm;       // before attention
  std::vector<float> q_norm, k_norm;  // per head, on q and k (Gemma 3)
  std::vector<float> post_attn_norm;  // on the attention output, before the residual add (Gemma)
  std::vector<float> ffn_norm;        // before the MLP
  std::vector<float> post_ffn_norm;   // on the MLP output, before the residual add (Gemma)

  // Linear weights, [out_features, in_features], in the file's dtype.
  TensorView q, k, v, o;                              // [H*D, d], [Hkv*D, d], [Hkv*D, d], [d, H*D]
  TensorView gate, up, down;                          // [d_ff, d], [d_ff, d], [d, d_ff]
  std::vector<float> q_bias, k_bias, v_bias, o_bias;  // empty when absent
};

struct ModelWeights {
  TensorView token_embd;  // [vocab, d_model]
  TensorView output;      // [vocab, d_model]; the same view as token_embd when tied
  std::vector<float> output_norm;
  std::vector<LayerWeights> layers;
  // Added to every RMSNorm weight at load: 1 for Hugging Face Gemma folders (which store w and
  // apply (1 + w) at run time); 0 for GGUF, whose converter already stored w + 1, and for others.
  float norm_offset = 0.0f;
  // Keeps the mapped files and any owned copies alive as long as the views above.
  std::vector<std::shared_ptr<const void>> storage;
};

// GGUF names: token_embd, output_norm, output, blk.N.{attn_norm, attn_q, attn_k, attn_v,
// attn_output, attn_q_norm, attn_k_norm, post_attention_norm, ffn_norm, ffn_gate, ffn_up,
// ffn_down, post_ffw_norm} (.weight / .bias).
ModelWeights weights_from_gguf(const GgufFile& gguf, const ModelConfig& config);

// Hugging Face names (prefix model., model.language_model. or language_model.model.):
// embed_tokens, layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj, self_attn.{q,k}_norm,
// post_attention_layernorm, pre_feedforward_layernorm, post_feedforward_layernorm,
// mlp.{gate,up,down}_proj}, norm; lm_head. In Gemma 2/3, post_attention_layernorm is the norm after
// attention and pre_feedforward_layernorm the MLP's pre-norm; in Llama/Qwen2,
// post_attention_layernorm is the MLP's pre-norm. `where` names the folder in errors.
ModelWeights weights_from_safetensors(const SafetensorsSet& st, const ModelConfig& config,
                                      const std::string& where);

// Checks every tensor's shape and dtype against the config; throws Error naming the tensor.
void validate_weights(const ModelWeights& w, const ModelConfig& config, const std::string& where);

}  // namespace knowscope
