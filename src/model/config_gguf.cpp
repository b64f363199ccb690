// ModelConfig from GGUF metadata, with llama.cpp's per-architecture defaults for absent keys
// (llama-model.cpp, load_hparams; facts only).
#include <cmath>

#include "knowscope/core/error.h"
#include "knowscope/io/gguf.h"
#include "knowscope/model/config.h"

namespace knowscope {
namespace {

// An integer key that may also be stored as a per-layer array (llama.cpp's get_key_or_arr); we
// support only uniform layers, so every entry must agree.
std::optional<int64_t> find_uniform_int(const GgufFile& g, const std::string& key) {
  auto it = g.metadata.find(key);
  if (it == g.metadata.end()) return std::nullopt;
  const GgufValue& v = it->second;
  if (v.type != GgufType::ARRAY) return v.as_int(key);
  const GgufArray& a = v.as_array(key);
  if (a.items.empty()) fail(g.path, "metadata '" + key + "'", "empty array");
  int64_t first = a.items[0].as_int(key);
  for (const auto& item : a.items)
    if (item.as_int(key) != first)
      fail(g.path, "metadata '" + key + "'",
           "per-layer values differ; only models with identical layers are supported");
  return first;
}

int64_t require_int(const GgufFile& g, const std::string& key) {
  auto v = find_uniform_int(g, key);
  if (!v) fail(g.path, "metadata '" + key + "'", "missing");
  return *v;
}

int to_int(const GgufFile& g, const std::string& key, int64_t v) {
  if (v <= 0 || v > (int64_t(1) << 30))
    fail(g.path, "metadata '" + key + "'", "out of range: " + std::to_string(v));
  return int(v);
}

}  // namespace

ModelConfig config_from_gguf(const GgufFile& g) {
  ModelConfig c;
  auto arch = g.find_string("general.architecture");
  if (!arch) fail(g.path, "metadata 'general.architecture'", "missing");
  c.arch = *arch;
  bool known = false;
  for (const auto& a : supported_architectures()) known |= a == c.arch;
  if (!known)
    fail(g.path, "metadata 'general.architecture'",
         "unsupported architecture '" + c.arch + "' (supported: " + supported_architectures_text() +
             ")");
  const std::string p = c.arch + ".";
  c.name = g.find_string("general.name").value_or(c.arch);

  c.n_layers = to_int(g, p + "block_count", require_int(g, p + "block_count"));
  c.d_model = to_int(g, p + "embedding_length", require_int(g, p + "embedding_length"));
  c.d_ff = to_int(g, p + "feed_forward_length", require_int(g, p + "feed_forward_length"));
  c.n_heads = to_int(g, p + "attention.head_count", require_int(g, p + "attention.head_count"));
  c.n_kv_heads = c.n_heads;
  if (auto v = find_uniform_int(g, p + "attention.head_count_kv"))
    c.n_kv_heads = to_int(g, p + "attention.head_count_kv", *v);
  c.head_dim = c.d_model / c.n_heads;
  if (auto v = find_uniform_int(g, p + "attention.key_length"))
    c.head_dim = to_int(g, p + "attention.key_length", *v);
  if (auto v = find_uniform_int(g, p + "attention.value_length"))
    if (*v != c.head_dim)
      fail(g.path, "metadata '" + p + "attention.value_length'",
           std::to_string(*v) + " differs from key_length " + std::to_string(c.head_dim) +
               "; not supported");
  c.context_length = int(g.find_int(p + "context_length").value_or(0));
  c.rms_eps = float(g.find_float(p + "attention.layer_norm_rms_epsilon").value_or(1e-5));
  c.rope_base = float(g.find_float(p + "rope.freq_base").value_or(10000.0));
  c.rope_base_local = c.rope_base;
  c.rope_dim = c.head_dim;
  if (auto v = find_uniform_int(g, p + "rope.dimension_count"))
    c.rope_dim = to_int(g, p + "rope.dimension_count", *v);
  // Linear RoPE scaling (angle / factor) applies to global layers only; llama3 scaling travels as
  // the rope_freqs tensor (below); "none" needs nothing.
  if (auto st = g.find_string(p + "rope.scaling.type")) {
    if (*st == "linear") {
      double factor = g.find_float(p + "rope.scaling.factor").value_or(1.0);
      if (!(factor > 0))
        fail(g.path, "metadata '" + p + "rope.scaling.factor'", "must be positive");
      c.rope_freq_scale = float(1.0 / factor);
    } else if (*st != "none" && *st != "llama3") {
      fail(g.path, "metadata '" + p + "rope.scaling.type'",
           "RoPE scaling '" + *st + "' is not supported (supported: none, linear, llama3)");
    }
  }
  if (const GgufTensorInfo* t = g.find_tensor("rope_freqs.weight")) {
    if (t->dtype != DType::F32 || t->shape.size() != 1 || t->shape[0] != c.rope_dim / 2)
      fail(g.path, "tensor 'rope_freqs.weight'",
           "expected F32 [" + std::to_string(c.rope_dim / 2) + "], got " + dtype_name(t->dtype) +
               " " + shape_str(t->shape));
    TensorView v = g.view(*t);
    const float* f = static_cast<const float*>(v.data);
    c.rope_freq_factors.assign(f, f + c.rope_dim / 2);
  }

  c.layer_sliding.assign(size_t(c.n_layers), false);
  c.query_scale = 1.0f / std::sqrt(float(c.head_dim));

  if (c.arch == "gemma3" || c.arch == "gemma2") {
    c.activation = Activation::GeluTanh;
    c.post_norms = true;
    c.embed_scale = std::sqrt(float(c.d_model));
    c.tied_embeddings = g.find_tensor("output.weight") == nullptr;
    // The 27B models scale queries by 1/sqrt(d_model / n_heads) instead of 1/sqrt(head_dim).
    const int n_27b_layers = c.arch == "gemma3" ? 62 : 46;
    if (c.n_layers == n_27b_layers) c.query_scale = 1.0f / std::sqrt(float(c.d_model / c.n_heads));
  }
  if (c.arch == "gemma3") {
    c.qk_norm = true;
    auto swa = find_uniform_int(g, p + "attention.sliding_window");
    if (swa && *swa > 0) {
      c.sliding_window = int(*swa);
      // Five sliding-window layers, then one global, repeating.
      for (int l = 0; l < c.n_layers; ++l) c.layer_sliding[size_t(l)] = (l % 6) < 5;
      c.rope_base_local = float(g.find_float(p + "rope.freq_base_swa").value_or(10000.0));
    }
    c.final_softcap = float(g.find_float(p + "final_logit_softcapping").value_or(0.0));
  } else if (c.arch == "gemma2") {
    c.sliding_window = int(find_uniform_int(g, p + "attention.sliding_window").value_or(4096));
    for (int l = 0; l < c.n_layers; ++l) c.layer_sliding[size_t(l)] = (l % 2) == 0;
    c.attn_softcap = float(g.find_float(p + "attn_logit_softcapping").value_or(50.0));
    c.final_softcap = float(g.find_float(p + "final_logit_softcapping").value_or(30.0));
  } else if (c.arch == "llama") {
    // The converter permuted Q/K rows so that RoPE pairs adjacent dimensions.
    c.rope_style = RopeStyle::Adjacent;
    c.activation = Activation::Silu;
    c.tied_embeddings = g.find_tensor("output.weight") == nullptr;
    c.qkv_bias = g.find_tensor("blk.0.attn_q.bias") != nullptr;
    c.o_bias = g.find_tensor("blk.0.attn_output.bias") != nullptr;
  } else if (c.arch == "qwen2") {
    c.rope_style = RopeStyle::Neox;
    c.activation = Activation::Silu;
    c.qkv_bias = true;
    c.tied_embeddings = g.find_tensor("output.weight") == nullptr;
  }

  // Vocabulary: rows of the unembedding; the tokenizer may not have more tokens than that.
  const GgufTensorInfo* out = g.find_tensor("output.weight");
  if (!out) out = g.find_tensor("token_embd.weight");
  if (!out) fail(g.path, "tensor 'token_embd.weight'", "missing");
  if (out->shape.size() != 2)
    fail(g.path, "tensor '" + out->name + "'",
         "expected 2 dimensions, got " + shape_str(out->shape));
  if (out->shape[0] <= 0 || out->shape[0] > (int64_t(1) << 30))
    fail(g.path, "tensor '" + out->name + "'", "bad row count " + std::to_string(out->shape[0]));
  c.vocab_size = int(out->shape[0]);
  if (g.has("tokenizer.ggml.tokens")) {
    size_t n_tokens = g.get("tokenizer.ggml.tokens").as_array("tokenizer.ggml.tokens").items.size();
    if (n_tokens > size_t(c.vocab_size))
      fail(g.path, "metadata 'tokenizer.ggml.tokens'",
           std::to_string(n_tokens) + " tokens but the unembedding has only " +
               std::to_string(c.vocab_size) + " rows");
  }
  validate_config(c, g.path);
  return c;
}

}  // namespace knowscope
