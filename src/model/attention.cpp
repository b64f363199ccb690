// Causal multi-head attention with GQA and sliding windows, per sequence, over the KV cache.
#include "model/attention.h"

#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "knowscope/core/ggml_kernels.h"
#include "knowscope/core/ggml_numerics.h"
#include "knowscope/core/matmul.h"
#include "knowscope/core/ops.h"
#include "model/parallel_ref.h"

namespace knowscope::detail {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr int64_t kQueryChunk = 64;  // query rows per work item

// Where a sequence's keys and values of this layer live: its cache, or (no cache) the batch rows.
struct KeySource {
  const float* k = nullptr;
  const float* v = nullptr;
  int64_t pos_stride = 0;   // floats between consecutive positions of one head
  int64_t head_stride = 0;  // floats between kv heads
};

struct Item {
  int seq, head;
  int64_t i0, i1;  // query rows [i0, i1) of the sequence
};

enum Phase : unsigned { kScores = 1, kSoftmax = 2, kValues = 4 };

}  // namespace

void attention_layer(const ModelConfig& c, int layer, std::span<const SequenceInput> batch,
                     ForwardState& st, const ForwardHooks* hooks, Numerics numerics) {
  blas_use_one_thread();
  const BatchLayout& lay = st.layout;
  const int H = c.n_heads, Hkv = c.n_kv_heads, D = c.head_dim;
  const int group = H / Hkv;
  const int64_t qd = c.n_q_dim(), kvd = c.n_kv_dim();
  const int64_t window = c.is_sliding(layer) ? c.sliding_window : 0;
  const float cap = c.attn_softcap;
  const bool like_llama = numerics != Numerics::Exact;    // ggml's dot products and softmax
  const bool f16_cache = numerics == Numerics::LlamaCpp;  // f16 cache: Q and P rounded too
  // ggml's dot products over the cache's type, in its lanes (batched: tinyBLAS's).
  auto cache_dot = [f16_cache](const float* x, const float* y, int64_t n, bool batched) {
    return f16_cache ? ggml_numerics::dot_f16(x, y, n, batched)
                     : ggml_numerics::dot_f32(x, y, n, batched);
  };
  // llama.cpp scales a Gemma query before Q.K (so before its f16 rounding), the others' scores.
  const bool scale_query_first = like_llama && (c.arch == "gemma2" || c.arch == "gemma3");
  const float scale = scale_query_first ? 1.0f : c.query_scale;
  const bool hook_scores = hooks && hooks->want(HookPoint::AttnScores, layer);
  const bool hook_pattern = hooks && hooks->want(HookPoint::Pattern, layer);
  const bool whole = hook_scores || hook_pattern;  // materialize every sequence's full [H*T, S]
  const size_t n_seqs = lay.seqs.size();

  // Keys and values: append this layer's rows to the caches, then read from there.
  // Thread-local storage reused between calls; bound to references so that the worker threads
  // of parallel_for see the caller's vectors, not their own.
  thread_local std::vector<KeySource> tl_src;
  thread_local std::vector<Item> tl_items;
  std::vector<KeySource>& src = tl_src;
  std::vector<Item>& items = tl_items;
  src.assign(n_seqs, {});
  for (size_t s = 0; s < n_seqs; ++s) {
    const SeqSpan& sp = lay.seqs[s];
    const float* krows = st.k.ptr() + sp.row_begin * kvd;
    const float* vrows = st.v.ptr() + sp.row_begin * kvd;
    if (KVCache* cache = batch[s].cache) {
      for (int64_t i = 0; i < sp.n_new; ++i)
        for (int h = 0; h < Hkv; ++h) {
          std::memcpy(cache->k_row(layer, h, sp.pos_begin + i), krows + i * kvd + h * D,
                      size_t(D) * sizeof(float));
          std::memcpy(cache->v_row(layer, h, sp.pos_begin + i), vrows + i * kvd + h * D,
                      size_t(D) * sizeof(float));
        }
      src[s] = {cache->k_row(layer, 0, 0), cache->v_row(layer, 0, 0), D, cache->head_stride()};
    } else {
      src[s] = {krows, vrows, kvd, D};
    }
  }

  if (whole) {
    st.score_offset.resize(n_seqs);
    int64_t total = 0;
    for (size_t s = 0; s < n_seqs; ++s) {
      st.score_offset[s] = total;
      total += int64_t(H) * lay.seqs[s].n_new * lay.seqs[s].n_keys();
    }
    st.scores.shape = {total};
    st.scores.data.resize(size_t(total));
  }

  items.clear();
  for (size_t s = 0; s < n_seqs; ++s)
    for (int h = 0; h < H; ++h)
      for (int64_t i0 = 0; i0 < lay.seqs[s].n_new; i0 += kQueryChunk)
        items.push_back({int(s), h, i0, std::min(lay.seqs[s].n_new, i0 + kQueryChunk)});

  auto lo_of = [&](int64_t pos) { return window > 0 ? std::max<int64_t>(0, pos - window + 1) : 0; };

  auto run = [&](const Item& it, unsigned phases) {
    const SeqSpan& sp = lay.seqs[size_t(it.seq)];
    const KeySource& ks = src[size_t(it.seq)];
    const int64_t S = sp.n_keys(), rows = it.i1 - it.i0;
    const int64_t first_pos = sp.pos_begin + it.i0, last_pos = sp.pos_begin + it.i1 - 1;
    // llama.cpp's rows start at cache position 0 (ggml's lanes follow the position).
    const int64_t k_from = whole || like_llama ? 0 : lo_of(first_pos), k_to = last_pos + 1;
    const bool batched = sp.n_new >= 2;  // ggml: tinyBLAS for 2+ query rows, else vec_dot
    const int kvh = it.head / group;
    const float* kb = ks.k + kvh * ks.head_stride;
    const float* vb = ks.v + kvh * ks.head_stride;
    float* sc;
    thread_local std::vector<float> scratch;
    if (whole) {
      sc = st.scores.ptr() + st.score_offset[size_t(it.seq)] + (it.head * sp.n_new + it.i0) * S;
    } else {
      if (scratch.size() < size_t(rows * S)) scratch.resize(size_t(rows * S));
      sc = scratch.data();
    }
    if (phases & kScores) {
      const float* q = st.q.ptr() + (sp.row_begin + it.i0) * qd + it.head * D;
      int64_t q_stride = qd;
      thread_local std::vector<float> q16;
      if (like_llama) {
        q16.resize(size_t(rows * D));
        const float pre = scale_query_first ? c.query_scale : 1.0f;
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t i = 0; i < D; ++i) q16[size_t(r * D + i)] = q[r * qd + i] * pre;
        if (f16_cache) ggml_numerics::round_f16(q16.data(), rows * D);
        q = q16.data();
        q_stride = D;
      }
      if (like_llama) {
        // ggml's dot products, in its lanes: f16 (tinyBLAS for 2+ queries, its k a multiple of
        // 16), or f32 with an f32 cache (always vec_dot: its query is a non-contiguous view).
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t p = k_from; p < k_to; ++p) {
            const bool tiny_blas = f16_cache && batched && D % 16 == 0;
            sc[r * S + p] =
                scale * cache_dot(q + r * q_stride, kb + p * ks.pos_stride, D, tiny_blas);
          }
      } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(rows), int(k_to - k_from), D,
                    scale, q, int(q_stride), kb + k_from * ks.pos_stride, int(ks.pos_stride), 0.0f,
                    sc + k_from, int(S));
      }
      for (int64_t r = 0; r < rows; ++r) {
        float* row = sc + r * S;
        const int64_t pos = first_pos + r, lo = lo_of(pos);
        if (cap > 0 && like_llama)
          ggml_numerics::softcap(row + lo, pos + 1 - lo, cap);
        else if (cap > 0)
          softcap(row + lo, pos + 1 - lo, cap);
        std::fill(row + k_from, row + lo, kNegInf);
        std::fill(row + pos + 1, row + (whole ? S : k_to), kNegInf);
      }
    }
    if ((phases & kSoftmax) && like_llama) {
      // ggml's softmax runs over 16-position chunks of the padded cache row (from position 0).
      thread_local std::vector<float> padded;
      const int64_t len = whole ? S : k_to;
      for (int64_t r = 0; r < rows; ++r) {
        padded.assign(size_t((len + 15) / 16 * 16), kNegInf);
        std::copy(sc + r * S + k_from, sc + r * S + len, padded.begin() + k_from);
        ggml_numerics::softmax(padded.data(), int64_t(padded.size()));
        std::copy(padded.begin() + k_from, padded.begin() + len, sc + r * S + k_from);
      }
    } else if (phases & kSoftmax) {
      for (int64_t r = 0; r < rows; ++r) softmax(sc + r * S + k_from, (whole ? S : k_to) - k_from);
    }
    if (phases & kValues) {
      if (f16_cache)
        for (int64_t r = 0; r < rows; ++r)
          ggml_numerics::round_f16(sc + r * S + k_from, (whole ? S : k_to) - k_from);
      float* z = st.z.ptr() + (sp.row_begin + it.i0) * qd + it.head * D;
      if (like_llama) {
        // P.V over the positions, zero-padded to ggml's steps of 64 (its cache is padded to 256).
        const int64_t len = whole ? S : k_to, L = (len + 63) / 64 * 64;
        thread_local std::vector<float> vt, p;
        vt.assign(size_t(D * L), 0.0f);
        p.assign(size_t(L), 0.0f);
        for (int64_t pos = k_from; pos < len; ++pos)
          for (int64_t i = 0; i < D; ++i) vt[size_t(i * L + pos)] = vb[pos * ks.pos_stride + i];
        const bool tiny_blas = batched && D % 4 == 0;  // tinyBLAS needs its m = D in fours
        for (int64_t r = 0; r < rows; ++r) {
          std::copy(sc + r * S + k_from, sc + r * S + len, p.begin() + k_from);
          for (int64_t i = 0; i < D; ++i)
            z[r * qd + i] = cache_dot(p.data(), vt.data() + i * L, L, tiny_blas);
        }
        return;
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(rows), D, int(k_to - k_from), 1.0f,
                  sc + k_from, int(S), vb + k_from * ks.pos_stride, int(ks.pos_stride), 0.0f, z,
                  int(qd));
    }
  };
  auto run_all = [&](unsigned phases) {
    parallel_ranges(int64_t(items.size()), [&](int64_t b, int64_t e, int) {
      for (int64_t i = b; i < e; ++i) run(items[size_t(i)], phases);
    });
  };
  auto call_hook = [&](HookPoint p) {
    for (size_t s = 0; s < n_seqs; ++s) {
      const SeqSpan& sp = lay.seqs[s];
      hooks->fn({p, layer, int(s), st.scores.ptr() + st.score_offset[s], H * sp.n_new, sp.n_keys(),
                 &lay});
    }
  };

  if (!whole) {
    run_all(kScores | kSoftmax | kValues);
    return;
  }
  run_all(kScores);
  if (hook_scores) call_hook(HookPoint::AttnScores);
  run_all(kSoftmax);
  if (hook_pattern) call_hook(HookPoint::Pattern);
  run_all(kValues);
}

}  // namespace knowscope::detail
