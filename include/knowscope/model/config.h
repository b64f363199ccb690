// Model architecture as data: every difference between Gemma 3, Gemma 2, Llama and Qwen2 is a field
// here, read from GGUF metadata or config.json, never a subclass.
#pragma once

#include <string>
#include <vector>

namespace knowscope {

enum class Activation { GeluTanh, Silu };

// How RoPE pairs dimensions: Neox rotates (i, i + d/2) (HF rotate_half); Adjacent rotates (2i, 2i+1)
// (GGUF llama, whose Q/K rows were permuted at conversion).
enum class RopeStyle { Neox, Adjacent };

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
  int sliding_window = 0;                // 0: no sliding window anywhere
  std::vector<bool> layer_sliding;       // per layer: true if it uses the sliding window
  float query_scale = 0.0f;              // scores = (q . k) * query_scale
  float attn_softcap = 0.0f;             // 0: off; else cap * tanh(scores / cap)
  bool qk_norm = false;                  // RMSNorm on each q and k head (Gemma 3)
  bool qkv_bias = false;                 // biases on q, k, v projections (Qwen2)

  // Blocks
  Activation activation = Activation::Silu;
  bool post_norms = false;  // RMSNorm after attention and after MLP, before the residual add (Gemma 2/3)
  float embed_scale = 1.0f;  // token embeddings multiplied by this (sqrt(d_model) for Gemma)
  float final_softcap = 0.0f;
  bool tied_embeddings = false;
};

}  // namespace knowscope
