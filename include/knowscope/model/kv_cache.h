// Keys and values of one sequence, per layer, in float32, so that decoding a token attends to the
// whole prefix without recomputing it. Every layer keeps every position (sliding-window layers
// too: the mask limits what they see); memory per token is n_layers * 2 * n_kv_heads * head_dim * 4
// bytes (36 KiB for Gemma 3 270M).
#pragma once

#include <cstdint>
#include <vector>

#include "knowscope/model/config.h"

namespace knowscope {

struct KVCache {
  int n_layers = 0, n_kv_heads = 0, head_dim = 0;
  int64_t n_past = 0;    // positions stored (the next token's position)
  int64_t capacity = 0;  // positions that fit without reallocating
  // Per layer: [n_kv_heads, capacity, head_dim], so one head's keys are contiguous rows.
  std::vector<std::vector<float>> k, v;

  float* k_row(int layer, int head, int64_t pos) {
    return k[size_t(layer)].data() + (int64_t(head) * capacity + pos) * head_dim;
  }
  float* v_row(int layer, int head, int64_t pos) {
    return v[size_t(layer)].data() + (int64_t(head) * capacity + pos) * head_dim;
  }
  const float* k_row(int layer, int head, int64_t pos) const {
    return k[size_t(layer)].data() + (int64_t(head) * capacity + pos) * head_dim;
  }
  const float* v_row(int layer, int head, int64_t pos) const {
    return v[size_t(layer)].data() + (int64_t(head) * capacity + pos) * head_dim;
  }
  int64_t head_stride() const { return capacity * head_dim; }

  // Makes room for n positions (keeping the stored ones); grows geometrically, never shrinks.
  void reserve(int64_t n);
  // Forgets positions >= n (rewind); buffers are kept.
  void truncate(int64_t n);
  void clear() { truncate(0); }
  size_t bytes() const;
};

KVCache make_kv_cache(const ModelConfig& config, int64_t reserve = 0);

// dst becomes a copy of src's stored positions (e.g. a prompt shared by several samples), reusing
// dst's buffers when they are large enough.
void copy_kv_cache(const KVCache& src, KVCache& dst);

}  // namespace knowscope
