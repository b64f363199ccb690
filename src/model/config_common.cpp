// Checks shared by both config readers, and the list of supported architectures.
#include <cmath>

#include "knowscope/core/error.h"
#include "knowscope/model/config.h"

namespace knowscope {

const std::vector<std::string>& supported_architectures() {
  static const std::vector<std::string> archs = {"gemma3", "gemma2", "llama", "qwen2"};
  return archs;
}

std::string supported_architectures_text() {
  std::string s;
  for (const auto& a : supported_architectures()) s += (s.empty() ? "" : ", ") + a;
  return s;
}

void validate_config(const ModelConfig& c, const std::string& where) {
  auto positive = [&](int v, const char* field) {
    if (v <= 0) fail(where, field, "must be positive, got " + std::to_string(v));
  };
  positive(c.n_layers, "n_layers");
  positive(c.d_model, "d_model");
  positive(c.n_heads, "n_heads");
  positive(c.n_kv_heads, "n_kv_heads");
  positive(c.head_dim, "head_dim");
  positive(c.d_ff, "d_ff");
  positive(c.vocab_size, "vocab_size");
  if (c.n_heads % c.n_kv_heads != 0)
    fail(where, "n_kv_heads",
         std::to_string(c.n_kv_heads) + " does not divide n_heads " + std::to_string(c.n_heads));
  if (c.rope_dim <= 0 || c.rope_dim > c.head_dim || c.rope_dim % 2 != 0)
    fail(where, "rope_dim",
         "must be even and in (0, head_dim=" + std::to_string(c.head_dim) + "], got " +
             std::to_string(c.rope_dim));
  if (!c.rope_freq_factors.empty() && c.rope_freq_factors.size() != size_t(c.rope_dim / 2))
    fail(where, "rope_freq_factors",
         "expected " + std::to_string(c.rope_dim / 2) + " values, got " +
             std::to_string(c.rope_freq_factors.size()));
  for (float f : c.rope_freq_factors)
    if (!(f > 0) || !std::isfinite(f)) fail(where, "rope_freq_factors", "values must be positive");
  if (!(c.rope_base > 0) || !(c.rope_base_local > 0))
    fail(where, "rope_base", "RoPE bases must be positive");
  if (!(c.rms_eps >= 0)) fail(where, "rms_eps", "must be non-negative");
  if (!(c.query_scale > 0) || !std::isfinite(c.query_scale))
    fail(where, "query_scale", "must be positive and finite");
  if (c.sliding_window < 0) fail(where, "sliding_window", "must be >= 0");
  if (c.layer_sliding.size() != size_t(c.n_layers))
    fail(where, "layer_sliding",
         "expected one entry per layer (" + std::to_string(c.n_layers) + "), got " +
             std::to_string(c.layer_sliding.size()));
  if (c.attn_softcap < 0 || c.final_softcap < 0) fail(where, "softcap", "must be >= 0");
}

}  // namespace knowscope
