// A random-weight model of the Gemma 3 shape (small), written with our own GGUF writer, with its
// weights in a chosen dtype: exercises every quantized path of the forward pass.
#pragma once

#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "knowscope/core/quant.h"
#include "knowscope/io/gguf.h"

namespace knowscope::test {

struct SyntheticShape {
  int n_layers = 6, d_model = 128, n_heads = 4, n_kv_heads = 1, head_dim = 64, d_ff = 256;
  int vocab = 1024, window = 8;
};

// Float32 weights by GGUF name, row-major shapes; norms already hold GGUF's w + 1.
struct SyntheticWeights {
  std::map<std::string, std::pair<Shape, std::vector<float>>> tensors;
};

inline SyntheticWeights make_synthetic_weights(const SyntheticShape& s, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  SyntheticWeights w;
  auto add = [&](const std::string& name, Shape shape, float scale, float offset) {
    std::vector<float> v(size_t(shape_numel(shape)));
    for (auto& x : v) x = offset + scale * nd(rng);
    w.tensors[name] = {shape, std::move(v)};
  };
  const int64_t d = s.d_model, qd = int64_t(s.n_heads) * s.head_dim,
                kvd = int64_t(s.n_kv_heads) * s.head_dim;
  add("token_embd.weight", {s.vocab, d}, 0.05f, 0.0f);
  add("output_norm.weight", {d}, 0.1f, 1.0f);
  for (int l = 0; l < s.n_layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    add(b + "attn_norm.weight", {d}, 0.1f, 1.0f);
    add(b + "attn_q_norm.weight", {s.head_dim}, 0.1f, 1.0f);
    add(b + "attn_k_norm.weight", {s.head_dim}, 0.1f, 1.0f);
    add(b + "post_attention_norm.weight", {d}, 0.1f, 1.0f);
    add(b + "ffn_norm.weight", {d}, 0.1f, 1.0f);
    add(b + "post_ffw_norm.weight", {d}, 0.1f, 1.0f);
    add(b + "attn_q.weight", {qd, d}, 1.0f / std::sqrt(float(d)), 0.0f);
    add(b + "attn_k.weight", {kvd, d}, 1.0f / std::sqrt(float(d)), 0.0f);
    add(b + "attn_v.weight", {kvd, d}, 1.0f / std::sqrt(float(d)), 0.0f);
    add(b + "attn_output.weight", {d, qd}, 1.0f / std::sqrt(float(qd)), 0.0f);
    add(b + "ffn_gate.weight", {s.d_ff, d}, 1.0f / std::sqrt(float(d)), 0.0f);
    add(b + "ffn_up.weight", {s.d_ff, d}, 1.0f / std::sqrt(float(d)), 0.0f);
    add(b + "ffn_down.weight", {d, s.d_ff}, 1.0f / std::sqrt(float(s.d_ff)), 0.0f);
  }
  return w;
}

inline std::map<std::string, GgufValue> synthetic_metadata(const SyntheticShape& s,
                                                           const std::string& arch = "gemma3") {
  std::map<std::string, GgufValue> m;
  const std::string p = arch + ".";
  m["general.architecture"] = gguf_str(arch);
  m["general.name"] = gguf_str("synthetic " + arch);
  m[p + "block_count"] = gguf_u32(uint32_t(s.n_layers));
  m[p + "context_length"] = gguf_u32(256);
  m[p + "embedding_length"] = gguf_u32(uint32_t(s.d_model));
  m[p + "feed_forward_length"] = gguf_u32(uint32_t(s.d_ff));
  m[p + "attention.head_count"] = gguf_u32(uint32_t(s.n_heads));
  m[p + "attention.head_count_kv"] = gguf_u32(uint32_t(s.n_kv_heads));
  m[p + "attention.key_length"] = gguf_u32(uint32_t(s.head_dim));
  m[p + "attention.value_length"] = gguf_u32(uint32_t(s.head_dim));
  m[p + "attention.layer_norm_rms_epsilon"] = gguf_f32(1e-6f);
  m[p + "rope.freq_base"] = gguf_f32(1e6f);
  m[p + "attention.sliding_window"] = gguf_u32(uint32_t(s.window));
  return m;
}

// Writes the model with 2-D weights in `linear_type` (1-D norms stay F32). `transform`, when set,
// replaces each 2-D tensor's floats before writing (e.g. to round-trip them through a quantizer).
inline void write_synthetic_gguf(
    const std::string& path, const SyntheticShape& s, const SyntheticWeights& w, DType linear_type,
    const std::map<std::string, GgufValue>& metadata,
    const std::function<void(std::vector<float>&, int64_t)>& transform = {}) {
  std::vector<GgufWriteTensor> out;
  for (const auto& [name, sv] : w.tensors) {
    const auto& [shape, vals] = sv;
    GgufWriteTensor t;
    t.name = name;
    t.shape = shape;
    const bool matrix = shape.size() == 2;
    t.dtype = matrix ? linear_type : DType::F32;
    const int64_t cols = shape.back(), rows = shape_numel(shape) / cols;
    std::vector<float> v = vals;
    if (matrix && transform) transform(v, cols);
    const size_t rb = dtype_row_bytes(t.dtype, cols);
    t.data.resize(rb * size_t(rows));
    for (int64_t r = 0; r < rows; ++r)
      quantize_row(t.dtype, v.data() + r * cols, t.data.data() + size_t(r) * rb, cols);
    out.push_back(std::move(t));
  }
  write_gguf(path, metadata, out);
}

// Rounds each row through `t` and back (what the quantized file holds, as float32).
inline std::function<void(std::vector<float>&, int64_t)> round_trip_through(DType t) {
  return [t](std::vector<float>& v, int64_t cols) {
    std::vector<unsigned char> buf(dtype_row_bytes(t, cols));
    for (size_t r = 0; r * size_t(cols) < v.size(); ++r) {
      quantize_row(t, v.data() + r * size_t(cols), buf.data(), cols);
      dequantize_row(t, buf.data(), v.data() + r * size_t(cols), cols);
    }
  };
}

}  // namespace knowscope::test
