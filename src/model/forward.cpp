// The forward pass over a batch of sequences: embeddings, blocks, final norm, unembedding.
#include "knowscope/model/forward.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "knowscope/core/error.h"
#include "knowscope/core/ggml_kernels.h"
#include "knowscope/core/ggml_numerics.h"
#include "knowscope/core/matmul.h"
#include "knowscope/core/ops.h"
#include "knowscope/core/quant.h"
#include "model/attention.h"
#include "model/parallel_ref.h"

namespace knowscope {
namespace {

// Sets the shape and makes room without shrinking capacity (no reallocation after warm-up).
float* ensure(Tensor& t, int64_t rows, int64_t cols) {
  t.shape = {rows, cols};
  t.data.resize(size_t(rows * cols));
  return t.ptr();
}

// Row-wise work in parallel when there is enough of it.
template <typename F>
void for_rows(int64_t rows, int64_t cost_per_row, F&& fn) {
  int64_t min_chunk = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, cost_per_row));
  detail::parallel_ranges(
      rows,
      [&](int64_t b, int64_t e, int) {
        for (int64_t r = b; r < e; ++r) fn(r);
      },
      min_chunk);
}

using RmsNormFn = void (*)(const float*, const float*, float*, int64_t, float);

RmsNormFn rmsnorm_for(Numerics n) {
  return n != Numerics::Exact ? &ggml_numerics::rmsnorm : &rmsnorm;
}

void rmsnorm_rows(const float* x, const std::vector<float>& w, float* y, int64_t rows, int64_t n,
                  float eps, Numerics numerics) {
  const RmsNormFn norm = rmsnorm_for(numerics);
  for_rows(rows, n, [&](int64_t r) { norm(x + r * n, w.data(), y + r * n, n, eps); });
}

void add_rows(float* acc, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) acc[i] += x[i];
}

struct Hooker {
  const ForwardHooks* hooks;
  const BatchLayout* layout;
  void operator()(HookPoint p, int layer, Tensor& t) const {
    if (!hooks || !hooks->want(p, layer)) return;
    hooks->fn({p, layer, -1, t.ptr(), t.shape[0], t.shape[1], layout});
  }
};

void validate_batch(const Model& m, std::span<const SequenceInput> batch,
                    const ForwardOptions& opt) {
  const ModelConfig& c = m.config;
  if (batch.empty()) fail(m.path, "forward", "empty batch");
  if (opt.stop_after_layer >= c.n_layers)
    fail(m.path, "stop_after_layer",
         std::to_string(opt.stop_after_layer) + " >= number of layers " +
             std::to_string(c.n_layers));
  const bool stops_early = opt.stop_after_layer >= 0 && opt.stop_after_layer < c.n_layers - 1;
  for (size_t s = 0; s < batch.size(); ++s) {
    const SequenceInput& in = batch[s];
    // The message is built only on failure: no allocation per call on the hot path.
    auto bad = [&](const std::string& why) { fail(m.path, "sequence " + std::to_string(s), why); };
    if (in.tokens.empty()) bad("no tokens");
    for (int32_t t : in.tokens)
      if (t < 0 || t >= c.vocab_size)
        bad("token id " + std::to_string(t) + " outside the vocabulary [0, " +
            std::to_string(c.vocab_size) + ")");
    if (in.cache) {
      for (size_t o = 0; o < s; ++o)  // small batches: no set
        if (batch[o].cache == in.cache) bad("KV cache shared with another sequence");
      if (in.cache->n_layers != c.n_layers || in.cache->n_kv_heads != c.n_kv_heads ||
          in.cache->head_dim != c.head_dim)
        bad("KV cache was made for a different model shape");
      if (stops_early) bad("stop_after_layer cannot be used with a KV cache");
    }
  }
}

// llama.cpp's angles (ggml_numerics::rope_angles) for every row.
void rope_tables_ggml(const BatchLayout& lay, float base, int64_t rot_dim, const float* factors,
                      float freq_scale, Tensor& cos_t, Tensor& sin_t) {
  const int64_t half = rot_dim / 2;
  float* cs = ensure(cos_t, lay.rows, half);
  float* sn = ensure(sin_t, lay.rows, half);
  for (const SeqSpan& sp : lay.seqs)
    for (int64_t i = 0; i < sp.n_new; ++i) {
      const int64_t r = sp.row_begin + i;
      ggml_numerics::rope_angles(sp.pos_begin + i, base, rot_dim, factors, freq_scale,
                                 cs + r * half, sn + r * half);
    }
}

// cos/sin of position * inv_freq for every row, for one RoPE variant.
void rope_tables(const BatchLayout& lay, const std::vector<float>& inv_freq, float freq_scale,
                 Tensor& cos_t, Tensor& sin_t) {
  const int64_t half = int64_t(inv_freq.size());
  float* cs = ensure(cos_t, lay.rows, half);
  float* sn = ensure(sin_t, lay.rows, half);
  for (const SeqSpan& sp : lay.seqs)
    for (int64_t i = 0; i < sp.n_new; ++i) {
      const double pos = double(sp.pos_begin + i);
      const int64_t r = sp.row_begin + i;
      for (int64_t j = 0; j < half; ++j) {
        double angle = pos * double(inv_freq[size_t(j)]) * double(freq_scale);
        cs[r * half + j] = float(std::cos(angle));
        sn[r * half + j] = float(std::sin(angle));
      }
    }
}

}  // namespace

const char* numerics_name(Numerics n) {
  switch (n) {
    case Numerics::LlamaCpp:
      return "llama.cpp";
    case Numerics::LlamaCppF32Cache:
      return "llama.cpp-f32-cache";
    case Numerics::Exact:
      break;
  }
  return "exact";
}

Numerics parse_numerics(const std::string& name) {
  for (Numerics n : {Numerics::Exact, Numerics::LlamaCpp, Numerics::LlamaCppF32Cache})
    if (name == numerics_name(n)) return n;
  fail("--numerics", name, "expected exact, llama.cpp or llama.cpp-f32-cache");
}

const char* hook_point_name(HookPoint p) {
  switch (p) {
    case HookPoint::Embed:
      return "hook_embed";
    case HookPoint::ResidPre:
      return "hook_resid_pre";
    case HookPoint::Q:
      return "attn.hook_q";
    case HookPoint::K:
      return "attn.hook_k";
    case HookPoint::V:
      return "attn.hook_v";
    case HookPoint::AttnScores:
      return "attn.hook_attn_scores";
    case HookPoint::Pattern:
      return "attn.hook_pattern";
    case HookPoint::Z:
      return "attn.hook_z";
    case HookPoint::AttnOut:
      return "hook_attn_out";
    case HookPoint::ResidMid:
      return "hook_resid_mid";
    case HookPoint::MlpPost:
      return "mlp.hook_post";
    case HookPoint::MlpOut:
      return "hook_mlp_out";
    case HookPoint::ResidPost:
      return "hook_resid_post";
    case HookPoint::FinalNorm:
      return "ln_final.hook_normalized";
    case HookPoint::Logits:
      return "logits";
  }
  return "?";
}

void forward(const Model& m, std::span<const SequenceInput> batch, const ForwardOptions& opt,
             ForwardState& st) {
  validate_batch(m, batch, opt);
  const ModelConfig& c = m.config;
  const ModelWeights& w = m.weights;
  const int64_t d = c.d_model, qd = c.n_q_dim(), kvd = c.n_kv_dim(), ff = c.d_ff, D = c.head_dim;

  // Layout: sequences back to back.
  BatchLayout& lay = st.layout;
  lay.seqs.resize(batch.size());
  lay.rows = 0;
  for (size_t s = 0; s < batch.size(); ++s) {
    SeqSpan& sp = lay.seqs[s];
    sp.row_begin = lay.rows;
    sp.n_new = int64_t(batch[s].tokens.size());
    sp.pos_begin = batch[s].cache ? batch[s].cache->n_past : 0;
    lay.rows += sp.n_new;
    if (batch[s].cache) batch[s].cache->reserve(sp.pos_begin + sp.n_new);
  }
  lay.logit_rows.clear();
  if (opt.logits == LogitsMode::Last)
    for (const SeqSpan& sp : lay.seqs) lay.logit_rows.push_back(sp.row_begin + sp.n_new - 1);
  else if (opt.logits == LogitsMode::All)
    for (int64_t r = 0; r < lay.rows; ++r) lay.logit_rows.push_back(r);
  const int64_t R = lay.rows;
  const Hooker hook{opt.hooks, &lay};
  const Numerics num = opt.numerics;
  const bool like_llama = num != Numerics::Exact;
  // ggml picks its kernel by the rows of one call, and llama.cpp evaluates each sequence alone:
  // the rows of each sequence's call, for the blocks and for the logits. Its last layer, when
  // only the last position's logits are wanted, drops the other rows after attention, so that
  // MLP's calls are the other rows and the last one (`last_rows_only`, set around that MLP).
  std::vector<int64_t> block_calls, pruned_calls, logit_calls;
  if (like_llama)
    for (const SeqSpan& sp : lay.seqs) {
      block_calls.push_back(sp.n_new);
      if (sp.n_new > 1) pruned_calls.push_back(sp.n_new - 1);
      pruned_calls.push_back(1);
      logit_calls.push_back(opt.logits == LogitsMode::Last ? 1 : sp.n_new);
    }
  bool last_rows_only = false;
  // linear() on the activations as the weights' type rounds them in llama.cpp (LlamaCpp only).
  auto lin = [&](const float* in, int64_t rows, const TensorView& W, float* out,
                 const std::vector<float>& bias) {
    const float* b = bias.empty() ? nullptr : bias.data();
    if (!like_llama) {
      linear(in, rows, W, out, b);
      return;
    }
    if (ggml_numerics::has_kernel_order(W)) {  // ggml's own order of operations
      const std::vector<int64_t>& calls = rows != R        ? logit_calls
                                          : last_rows_only ? pruned_calls
                                                           : block_calls;
      ggml_numerics::matmul(W, in, calls, out);
      if (b)
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t o = 0; o < W.rows(); ++o) out[r * W.rows() + o] += b[o];
      return;
    }
    const int64_t n = W.cols();
    float* rounded = ensure(st.rounded, rows, n);
    for_rows(rows, n, [&](int64_t r) {
      ggml_numerics::round_activations(W.dtype, in + r * n, rounded + r * n, n);
    });
    linear(rounded, rows, W, out, b);
  };
  static const std::vector<float> kNoBias;

  float* x = ensure(st.resid, R, d);
  ensure(st.normed, R, d);
  ensure(st.q, R, qd);
  ensure(st.k, R, kvd);
  ensure(st.v, R, kvd);
  ensure(st.z, R, qd);
  ensure(st.attn_out, R, d);
  ensure(st.gate, R, ff);
  ensure(st.up, R, ff);
  ensure(st.mlp_out, R, d);

  // RoPE tables: global layers (base, freq factors, linear scaling) and sliding layers (local
  // base).
  thread_local std::vector<float> inv_freq, inv_freq_local;
  const bool has_local = c.sliding_window > 0;
  const float* factors = c.rope_freq_factors.empty() ? nullptr : c.rope_freq_factors.data();
  if (like_llama) {
    rope_tables_ggml(lay, c.rope_base, c.rope_dim, factors, c.rope_freq_scale, st.rope_cos,
                     st.rope_sin);
    if (has_local)
      rope_tables_ggml(lay, c.rope_base_local, c.rope_dim, nullptr, 1.0f, st.rope_cos_local,
                       st.rope_sin_local);
  } else {
    inv_freq.resize(size_t(c.rope_dim / 2));
    rope_inv_freq(c.rope_base, c.rope_dim, factors, inv_freq.data());
    rope_tables(lay, inv_freq, c.rope_freq_scale, st.rope_cos, st.rope_sin);
  }
  if (has_local && !like_llama) {
    inv_freq_local.resize(size_t(c.rope_dim / 2));
    rope_inv_freq(c.rope_base_local, c.rope_dim, nullptr, inv_freq_local.data());
    rope_tables(lay, inv_freq_local, 1.0f, st.rope_cos_local, st.rope_sin_local);
  }

  // Embeddings.
  {
    int64_t r = 0;
    thread_local std::vector<int32_t> tl_ids;
    std::vector<int32_t>& ids = tl_ids;  // a reference, so worker threads read the caller's
    ids.resize(size_t(R));
    for (const SequenceInput& in : batch)
      for (int32_t t : in.tokens) ids[size_t(r++)] = t;
    const TensorView& E = w.token_embd;
    for_rows(R, d, [&](int64_t row) {
      float* out = x + row * d;
      dequantize_row(E.dtype, E.row(ids[size_t(row)]), out, d);
      if (c.embed_scale != 1.0f)
        for (int64_t i = 0; i < d; ++i) out[i] *= c.embed_scale;
    });
  }
  hook(HookPoint::Embed, -1, st.resid);

  const int last_layer = opt.stop_after_layer >= 0 ? opt.stop_after_layer : c.n_layers - 1;
  for (int l = 0; l <= last_layer; ++l) {
    const LayerWeights& L = w.layers[size_t(l)];
    hook(HookPoint::ResidPre, l, st.resid);

    // Attention.
    rmsnorm_rows(x, L.attn_norm, st.normed.ptr(), R, d, c.rms_eps, num);
    const float* xn = st.normed.ptr();
    lin(xn, R, L.q, st.q.ptr(), L.q_bias);
    lin(xn, R, L.k, st.k.ptr(), L.k_bias);
    lin(xn, R, L.v, st.v.ptr(), L.v_bias);
    const bool local = c.is_sliding(l);
    const float* cos_t = (local ? st.rope_cos_local : st.rope_cos).ptr();
    const float* sin_t = (local ? st.rope_sin_local : st.rope_sin).ptr();
    const int64_t half = c.rope_dim / 2;
    const RmsNormFn norm = rmsnorm_for(num);
    for_rows(R, qd + kvd, [&](int64_t r) {
      float* q = st.q.ptr() + r * qd;
      float* k = st.k.ptr() + r * kvd;
      if (c.qk_norm) {
        for (int h = 0; h < c.n_heads; ++h)
          norm(q + h * D, L.q_norm.data(), q + h * D, D, c.rms_eps);
        for (int h = 0; h < c.n_kv_heads; ++h)
          norm(k + h * D, L.k_norm.data(), k + h * D, D, c.rms_eps);
      }
      const auto rot = like_llama ? &ggml_numerics::rope : &rope;
      rot(q, c.n_heads, D, c.rope_dim, c.rope_style, cos_t + r * half, sin_t + r * half);
      rot(k, c.n_kv_heads, D, c.rope_dim, c.rope_style, cos_t + r * half, sin_t + r * half);
    });
    hook(HookPoint::Q, l, st.q);
    hook(HookPoint::K, l, st.k);
    hook(HookPoint::V, l, st.v);
    if (num == Numerics::LlamaCpp) {  // llama.cpp's default KV cache is f16
      ggml_numerics::round_f16(st.k.ptr(), R * kvd);
      ggml_numerics::round_f16(st.v.ptr(), R * kvd);
    }
    detail::attention_layer(c, l, batch, st, opt.hooks, num);
    hook(HookPoint::Z, l, st.z);
    lin(st.z.ptr(), R, L.o, st.attn_out.ptr(), L.o_bias);
    if (c.post_norms)
      rmsnorm_rows(st.attn_out.ptr(), L.post_attn_norm, st.attn_out.ptr(), R, d, c.rms_eps, num);
    hook(HookPoint::AttnOut, l, st.attn_out);
    for_rows(R, d, [&](int64_t r) { add_rows(x + r * d, st.attn_out.ptr() + r * d, d); });
    hook(HookPoint::ResidMid, l, st.resid);

    // MLP.
    last_rows_only = like_llama && opt.logits == LogitsMode::Last && l == c.n_layers - 1;
    rmsnorm_rows(x, L.ffn_norm, st.normed.ptr(), R, d, c.rms_eps, num);
    lin(xn, R, L.gate, st.gate.ptr(), kNoBias);
    lin(xn, R, L.up, st.up.ptr(), kNoBias);
    for_rows(R, ff, [&](int64_t r) {
      if (c.activation == Activation::GeluTanh && like_llama)
        ggml_numerics::gelu_table_mul(st.gate.ptr() + r * ff, st.up.ptr() + r * ff, ff);
      else if (c.activation == Activation::GeluTanh)
        gelu_tanh_mul(st.gate.ptr() + r * ff, st.up.ptr() + r * ff, ff);
      else if (like_llama)
        ggml_numerics::silu_mul(st.gate.ptr() + r * ff, st.up.ptr() + r * ff, ff);
      else
        silu_mul(st.gate.ptr() + r * ff, st.up.ptr() + r * ff, ff);
    });
    hook(HookPoint::MlpPost, l, st.gate);
    lin(st.gate.ptr(), R, L.down, st.mlp_out.ptr(), kNoBias);
    last_rows_only = false;
    if (c.post_norms)
      rmsnorm_rows(st.mlp_out.ptr(), L.post_ffn_norm, st.mlp_out.ptr(), R, d, c.rms_eps, num);
    hook(HookPoint::MlpOut, l, st.mlp_out);
    for_rows(R, d, [&](int64_t r) { add_rows(x + r * d, st.mlp_out.ptr() + r * d, d); });
    hook(HookPoint::ResidPost, l, st.resid);
  }
  for (const SequenceInput& in : batch)
    if (in.cache) in.cache->n_past += int64_t(in.tokens.size());

  const bool finished = last_layer == c.n_layers - 1;
  const int64_t n_logits = finished ? int64_t(lay.logit_rows.size()) : 0;
  if (!finished) lay.logit_rows.clear();
  const bool hook_final = finished && opt.hooks && opt.hooks->want(HookPoint::FinalNorm, -1);
  if (n_logits == 0 && !hook_final) {
    ensure(st.logits, 0, c.vocab_size);
    return;
  }

  // Final norm: every row when hooked, else only the rows that need logits.
  float* fin = ensure(st.final_rows, n_logits, d);
  if (hook_final) {
    rmsnorm_rows(x, w.output_norm, st.normed.ptr(), R, d, c.rms_eps, num);
    hook(HookPoint::FinalNorm, -1, st.normed);
    for (int64_t i = 0; i < n_logits; ++i)
      std::memcpy(fin + i * d, st.normed.ptr() + lay.logit_rows[size_t(i)] * d, size_t(d) * 4);
  } else {
    const RmsNormFn norm = rmsnorm_for(num);
    for_rows(n_logits, d, [&](int64_t i) {
      norm(x + lay.logit_rows[size_t(i)] * d, w.output_norm.data(), fin + i * d, d, c.rms_eps);
    });
  }
  float* logits = ensure(st.logits, n_logits, c.vocab_size);
  lin(fin, n_logits, w.output, logits, kNoBias);
  if (c.final_softcap > 0)
    for_rows(n_logits, c.vocab_size, [&](int64_t i) {
      float* row = logits + i * c.vocab_size;
      if (like_llama)
        ggml_numerics::softcap(row, c.vocab_size, c.final_softcap);
      else
        softcap(row, c.vocab_size, c.final_softcap);
    });
  if (n_logits > 0) hook(HookPoint::Logits, -1, st.logits);
}

Tensor forward_all_logits(const Model& model, std::span<const int32_t> tokens, Numerics numerics) {
  ForwardState st;
  SequenceInput in{tokens, nullptr};
  ForwardOptions opt;
  opt.logits = LogitsMode::All;
  opt.numerics = numerics;
  forward(model, std::span<const SequenceInput>(&in, 1), opt, st);
  return std::move(st.logits);
}

}  // namespace knowscope
