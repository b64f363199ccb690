// Model architecture as data: every difference between Gemma 3, Gemma 2, Llama and Qwen2 is a field
// here, read from GGUF metadata or config.json, never a subclass.
#pragma once

#include <string>
#include <vector>

#include "knowscope/core/ops.h"  // RopeStyle

namespace knowscope {

struct GgufFile;

enum class Activation { GeluTanh, Silu };

struct ModelConfig {
  std::string arch;  // "gemma3", "gemma2", "llama", "qwen2"
  std::string name;  // general.name or the folder name
  int n_layers = 0;
  int d_model = 0;
  int n_heads = 0;
  int n_kv_heads = 0;
  int head_dim = 0;
  int d_ff = 0;
  int vocab_size = 0;
  int context_length = 0;
  float rms_eps = 1e-6f;

  // Attention
  float rope_base = 10000.0f;        // global layers
  float rope_base_local = 10000.0f;  // sliding-window layers
  RopeStyle rope_style = RopeStyle::Neox;
  std::vector<float> rope_freq_factors;  // llama3-style scaling, per frequency (empty: none)
  int rope_dim = 0;                      // dims of each head that RoPE rotates (= head_dim usually)
  float rope_freq_scale = 1.0f;          // linear RoPE scaling on global layers: angle *= this
  int sliding_window = 0;                // 0: no sliding window anywhere
  std::vector<bool> layer_sliding;       // per layer: true if it uses the sliding window
  float query_scale = 0.0f;              // scores = (q . k) * query_scale
  float attn_softcap = 0.0f;             // 0: off; else cap * tanh(scores / cap)
  bool qk_norm = false;                  // RMSNorm on each q and k head (Gemma 3)
  bool qkv_bias = false;                 // biases on q, k, v projections (Qwen2)
  bool o_bias = false;                   // bias on the output projection (Llama attention_bias)

  // Blocks
  Activation activation = Activation::Silu;
  bool post_norms =
      false;  // RMSNorm after attention and after MLP, before the residual add (Gemma 2/3)
  float embed_scale = 1.0f;  // token embeddings multiplied by this (sqrt(d_model) for Gemma)
  float final_softcap = 0.0f;
  bool tied_embeddings = false;

  int n_q_dim() const { return n_heads * head_dim; }
  int n_kv_dim() const { return n_kv_heads * head_dim; }
  bool is_sliding(int layer) const {
    return sliding_window > 0 && layer >= 0 && size_t(layer) < layer_sliding.size() &&
           layer_sliding[size_t(layer)];
  }
};

// Checks that the numbers are usable (positive sizes, heads divide, rope_dim even ...); throws
// Error naming `where` (the file) and the offending field.
void validate_config(const ModelConfig& c, const std::string& where);

// From GGUF metadata ({arch}.block_count, embedding_length, ...), with the defaults llama.cpp
// applies when a key is absent (Gemma 3's 5-local-1-global pattern and local RoPE base 10000, Gemma
// 2's softcaps, query scale 1/sqrt(head_dim) except for the 27B models ...). vocab_size is the row
// count of the unembedding (output.weight, else token_embd.weight).
ModelConfig config_from_gguf(const GgufFile& gguf);

// From a Hugging Face config.json (`path` is the file or its folder): gemma3_text, gemma3 (its
// text_config), gemma2, llama (rope_scaling llama3 -> rope_freq_factors), qwen2. Both the older
// keys (rope_theta, rope_scaling, rope_local_base_freq) and transformers 5's rope_parameters are
// read.
ModelConfig config_from_hf(const std::string& path);

// Architectures this engine runs, e.g. "gemma3, gemma2, llama, qwen2".
const std::vector<std::string>& supported_architectures();
std::string supported_architectures_text();

}  // namespace knowscope
