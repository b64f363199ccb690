#include "knowscope/model/kv_cache.h"

#include <algorithm>
#include <cstring>

#include "knowscope/core/error.h"

namespace knowscope {
namespace {

// Re-lays one layer's [heads, old_cap, dim] buffer as [heads, new_cap, dim], keeping `used` rows.
void relayout(std::vector<float>& buf, int heads, int64_t old_cap, int64_t new_cap, int dim,
              int64_t used) {
  std::vector<float> grown(size_t(heads) * size_t(new_cap) * size_t(dim));
  for (int h = 0; h < heads; ++h)
    if (used > 0)
      std::memcpy(grown.data() + size_t(h) * size_t(new_cap) * size_t(dim),
                  buf.data() + size_t(h) * size_t(old_cap) * size_t(dim),
                  size_t(used) * size_t(dim) * sizeof(float));
  buf.swap(grown);
}

}  // namespace

void KVCache::reserve(int64_t n) {
  if (n <= capacity) return;
  if (n_layers <= 0 || n_kv_heads <= 0 || head_dim <= 0)
    fail("KVCache", "reserve", "cache was not made for a model (use make_kv_cache)");
  int64_t new_cap = std::max<int64_t>({n, capacity * 2, 16});
  k.resize(size_t(n_layers));
  v.resize(size_t(n_layers));
  for (int l = 0; l < n_layers; ++l) {
    relayout(k[size_t(l)], n_kv_heads, capacity, new_cap, head_dim, n_past);
    relayout(v[size_t(l)], n_kv_heads, capacity, new_cap, head_dim, n_past);
  }
  capacity = new_cap;
}

void KVCache::truncate(int64_t n) {
  if (n < 0 || n > n_past)
    fail("KVCache", "truncate",
         "position " + std::to_string(n) + " outside [0, " + std::to_string(n_past) + "]");
  n_past = n;
}

size_t KVCache::bytes() const {
  return size_t(n_layers) * 2 * size_t(n_kv_heads) * size_t(capacity) * size_t(head_dim) * 4;
}

KVCache make_kv_cache(const ModelConfig& c, int64_t reserve) {
  KVCache cache;
  cache.n_layers = c.n_layers;
  cache.n_kv_heads = c.n_kv_heads;
  cache.head_dim = c.head_dim;
  cache.k.resize(size_t(c.n_layers));
  cache.v.resize(size_t(c.n_layers));
  if (reserve > 0) cache.reserve(reserve);
  return cache;
}

void copy_kv_cache(const KVCache& src, KVCache& dst) {
  if (dst.n_layers != src.n_layers || dst.n_kv_heads != src.n_kv_heads ||
      dst.head_dim != src.head_dim) {
    dst = KVCache();
    dst.n_layers = src.n_layers;
    dst.n_kv_heads = src.n_kv_heads;
    dst.head_dim = src.head_dim;
    dst.k.resize(size_t(src.n_layers));
    dst.v.resize(size_t(src.n_layers));
  }
  dst.n_past = 0;
  dst.reserve(src.n_past);
  const size_t row = size_t(src.head_dim) * sizeof(float);
  for (int l = 0; l < src.n_layers; ++l)
    for (int h = 0; h < src.n_kv_heads; ++h)
      if (src.n_past > 0) {
        std::memcpy(dst.k_row(l, h, 0), src.k_row(l, h, 0), size_t(src.n_past) * row);
        std::memcpy(dst.v_row(l, h, 0), src.v_row(l, h, 0), size_t(src.n_past) * row);
      }
  dst.n_past = src.n_past;
}

}  // namespace knowscope
