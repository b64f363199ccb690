// Batched encode/decode. The encoder is one dense sgemm per chunk of rows followed by the
// activation; the decoder only touches the rows of W_dec whose latents are active.
#include "knowscope/sae/encode.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "gemm.h"
#include "knowscope/core/error.h"
#include "knowscope/core/parallel.h"
#include "topk.h"

namespace knowscope {
namespace {

using sae_detail::gemm;

bool needs_row_stats(const Sae& s) {
  return s.input_norm == SaeInputNorm::ConstantNormRescale ||
         s.input_norm == SaeInputNorm::LayerNorm;
}

// x_in = norm_in(x) - a * b_dec. Returns x itself when nothing changes the input.
const float* prepare_input(const Sae& s, const float* x, int64_t n, SaeWorkspace& ws,
                           std::vector<float>* norm_a, std::vector<float>* norm_b) {
  bool stats = needs_row_stats(s);
  if (!stats && !s.apply_b_dec_to_input) return x;
  const int64_t d = s.d_in;
  ws.x_in.resize(size_t(n * d));
  if (stats) {
    ws.stats_a.resize(size_t(n));
    ws.stats_b.resize(size_t(n));
  }
  parallel_for(
      n,
      [&](int64_t r0, int64_t r1, int) {
        for (int64_t r = r0; r < r1; ++r) {
          const float* xr = x + r * d;
          float* o = ws.x_in.data() + r * d;
          if (s.input_norm == SaeInputNorm::ConstantNormRescale) {
            double ss = 0;
            for (int64_t i = 0; i < d; ++i) ss += double(xr[i]) * xr[i];
            float c = float(std::sqrt(double(d)) / std::sqrt(ss));
            for (int64_t i = 0; i < d; ++i) o[i] = xr[i] * c;
            ws.stats_a[size_t(r)] = c;
          } else if (s.input_norm == SaeInputNorm::LayerNorm) {
            double sum = 0;
            for (int64_t i = 0; i < d; ++i) sum += xr[i];
            float mu = float(sum / double(d));
            double ss = 0;
            for (int64_t i = 0; i < d; ++i) ss += double(xr[i] - mu) * double(xr[i] - mu);
            float sd =
                float(std::sqrt(ss / double(std::max<int64_t>(d - 1, 1))));  // unbiased, as torch
            for (int64_t i = 0; i < d; ++i) o[i] = (xr[i] - mu) / (sd + 1e-5f);
            ws.stats_a[size_t(r)] = mu;
            ws.stats_b[size_t(r)] = sd;
          } else {
            std::memcpy(o, xr, size_t(d) * sizeof(float));
          }
          if (s.apply_b_dec_to_input) {
            const float* bd = s.b_dec.ptr();
            for (int64_t i = 0; i < d; ++i) o[i] -= bd[i];
          }
        }
      },
      8);
  if (stats) {
    if (norm_a) norm_a->assign(ws.stats_a.begin(), ws.stats_a.begin() + n);
    if (norm_b) norm_b->assign(ws.stats_b.begin(), ws.stats_b.begin() + n);
  }
  return ws.x_in.data();
}

// pre[n, S] = x_in . W_enc + b_enc
void pre_from_input(const Sae& s, const float* x_in, int64_t n, float* pre) {
  const int64_t S = s.d_sae;
  parallel_for(
      n,
      [&](int64_t r0, int64_t r1, int) {
        for (int64_t r = r0; r < r1; ++r)
          std::memcpy(pre + r * S, s.b_enc.ptr(), size_t(S) * sizeof(float));
      },
      16);
  gemm(false, false, n, S, s.d_in, x_in, s.d_in, s.W_enc.ptr(), S, 1.0f, pre, S);
}

// Applies the activation to rows [r0, r1) of pre in place.
void activate_rows(const Sae& s, float* pre, int64_t r0, int64_t r1, const float* dec_norms,
                   sae_detail::TopKHeap& heap) {
  const int64_t S = s.d_sae;
  for (int64_t r = r0; r < r1; ++r) {
    float* p = pre + r * S;
    switch (s.arch) {
      case SaeArch::Relu:
        for (int64_t j = 0; j < S; ++j) p[j] = p[j] > 0.0f ? p[j] : 0.0f;
        break;
      case SaeArch::JumpRelu: {
        const float* th = s.threshold.ptr();
        for (int64_t j = 0; j < S; ++j) p[j] = p[j] > std::max(th[j], 0.0f) ? p[j] : 0.0f;
        break;
      }
      case SaeArch::TopK: {
        if (dec_norms)
          for (int64_t j = 0; j < S; ++j) p[j] *= dec_norms[j];
        heap.select(p, S, s.k);
        std::fill(p, p + S, 0.0f);
        for (const auto& e : heap.items) p[e.index] = e.value > 0.0f ? e.value : 0.0f;
        break;
      }
    }
  }
}

int64_t chunk_rows(const Sae& s) { return std::max<int64_t>(16, (int64_t(1) << 22) / s.d_sae); }

}  // namespace

float SaeCodes::get(int64_t row, int32_t latent) const {
  auto b = index.begin() + row_ptr[size_t(row)], e = index.begin() + row_ptr[size_t(row) + 1];
  auto it = std::lower_bound(b, e, latent);
  return it != e && *it == latent ? value[size_t(it - index.begin())] : 0.0f;
}

void sae_pre_activations(const Sae& s, const float* x, int64_t n, float* pre, SaeWorkspace* ws_in) {
  SaeWorkspace local;
  SaeWorkspace& ws = ws_in ? *ws_in : local;
  const float* x_in = prepare_input(s, x, n, ws, nullptr, nullptr);
  pre_from_input(s, x_in, n, pre);
}

void sae_encode_dense(const Sae& s, const float* x, int64_t n, float* acts, SaeWorkspace* ws_in,
                      std::vector<float>* norm_a, std::vector<float>* norm_b) {
  SaeWorkspace local;
  SaeWorkspace& ws = ws_in ? *ws_in : local;
  const float* x_in = prepare_input(s, x, n, ws, norm_a, norm_b);
  pre_from_input(s, x_in, n, acts);
  const bool rescale = s.arch == SaeArch::TopK && s.rescale_acts_by_decoder_norm;
  if (rescale) ws.norms = decoder_row_norms(s);
  const float* dnp = rescale ? ws.norms.data() : nullptr;
  parallel_for(
      n,
      [&](int64_t r0, int64_t r1, int) {
        sae_detail::TopKHeap heap;
        activate_rows(s, acts, r0, r1, dnp, heap);
      },
      4);
}

void sae_encode(const Sae& s, const float* x, int64_t n, SaeCodes& out, SaeWorkspace* ws_in) {
  SaeWorkspace local;
  SaeWorkspace& ws = ws_in ? *ws_in : local;
  const int64_t S = s.d_sae, d = s.d_in;
  out.rows = n;
  out.d_sae = S;
  out.row_ptr.assign(size_t(n) + 1, 0);
  out.index.clear();
  out.value.clear();
  out.norm_a.clear();
  out.norm_b.clear();
  const int64_t chunk = chunk_rows(s);
  ws.pre.resize(size_t(std::min(n, chunk) * S));
  ws.counts.resize(size_t(std::min(n, chunk)));
  std::vector<float> a, b;
  for (int64_t c0 = 0; c0 < n; c0 += chunk) {
    const int64_t m = std::min(chunk, n - c0);
    sae_encode_dense(s, x + c0 * d, m, ws.pre.data(), &ws, &a, &b);
    if (needs_row_stats(s)) {
      out.norm_a.insert(out.norm_a.end(), a.begin(), a.end());
      if (s.input_norm == SaeInputNorm::LayerNorm)
        out.norm_b.insert(out.norm_b.end(), b.begin(), b.end());
    }
    parallel_for(
        m,
        [&](int64_t r0, int64_t r1, int) {
          for (int64_t r = r0; r < r1; ++r) {
            const float* p = ws.pre.data() + r * S;
            int64_t c = 0;
            for (int64_t j = 0; j < S; ++j) c += p[j] != 0.0f;
            ws.counts[size_t(r)] = c;
          }
        },
        4);
    size_t base = out.index.size();
    for (int64_t r = 0; r < m; ++r)
      out.row_ptr[size_t(c0 + r) + 1] = out.row_ptr[size_t(c0 + r)] + ws.counts[size_t(r)];
    out.index.resize(size_t(out.row_ptr[size_t(c0 + m)]));
    out.value.resize(out.index.size());
    parallel_for(
        m,
        [&](int64_t r0, int64_t r1, int) {
          for (int64_t r = r0; r < r1; ++r) {
            const float* p = ws.pre.data() + r * S;
            size_t o = size_t(out.row_ptr[size_t(c0 + r)]);
            for (int64_t j = 0; j < S; ++j)
              if (p[j] != 0.0f) {
                out.index[o] = int32_t(j);
                out.value[o] = p[j];
                ++o;
              }
          }
        },
        4);
    (void)base;
  }
}

SaeCodes sae_encode(const Sae& s, const float* x, int64_t n) {
  SaeCodes c;
  sae_encode(s, x, n, c);
  return c;
}

void sae_encode_latents(const Sae& s, const float* x, int64_t n,
                        const std::vector<int32_t>& latents, float* out) {
  if (s.arch == SaeArch::TopK)
    fail(s.source_path, "encode_latents", "a TopK SAE needs every latent to decide which fire");
  const int64_t m = int64_t(latents.size()), d = s.d_in;
  for (int32_t j : latents)
    check(j >= 0 && j < s.d_sae, s.source_path, "latent",
          std::to_string(j) + " outside [0, " + std::to_string(s.d_sae) + ")");
  if (m == 0 || n == 0) return;
  std::vector<float> w(static_cast<size_t>(d * m));
  for (int64_t i = 0; i < d; ++i)
    for (int64_t c = 0; c < m; ++c)
      w[size_t(i * m + c)] = s.W_enc.data[size_t(i * s.d_sae + latents[size_t(c)])];
  SaeWorkspace ws;
  const float* x_in = prepare_input(s, x, n, ws, nullptr, nullptr);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < m; ++c) out[r * m + c] = s.b_enc.data[size_t(latents[size_t(c)])];
  gemm(false, false, n, m, d, x_in, d, w.data(), m, 1.0f, out, m);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < m; ++c) {
      float& v = out[r * m + c];
      float th = s.arch == SaeArch::JumpRelu
                     ? std::max(s.threshold.data[size_t(latents[size_t(c)])], 0.0f)
                     : 0.0f;
      v = v > th ? v : 0.0f;
    }
}

namespace {

void output_norm_row(const Sae& s, float* o, const float* na, const float* nb, int64_t r) {
  const int64_t d = s.d_in;
  if (s.input_norm == SaeInputNorm::ConstantNormRescale) {
    float c = na[r];
    for (int64_t i = 0; i < d; ++i) o[i] /= c;
  } else if (s.input_norm == SaeInputNorm::LayerNorm) {
    float mu = na[r], sd = nb[r];
    for (int64_t i = 0; i < d; ++i) o[i] = o[i] * sd + mu;
  }
}

void check_stats(const Sae& s, int64_t rows, const std::vector<float>* a,
                 const std::vector<float>* b) {
  if (s.input_norm == SaeInputNorm::ConstantNormRescale)
    check(a && int64_t(a->size()) == rows, s.source_path, "decode",
          "constant_norm_rescale needs the per-row coefficients from encode");
  if (s.input_norm == SaeInputNorm::LayerNorm)
    check(a && b && int64_t(a->size()) == rows && int64_t(b->size()) == rows, s.source_path,
          "decode", "layer_norm needs the per-row mean and std from encode");
}

}  // namespace

void sae_decode(const Sae& s, const SaeCodes& c, float* x_hat) {
  check(c.d_sae == s.d_sae && int64_t(c.row_ptr.size()) == c.rows + 1, s.source_path, "decode",
        "codes do not match this SAE");
  check_stats(s, c.rows, &c.norm_a, &c.norm_b);
  const int64_t d = s.d_in;
  std::vector<float> dn;
  if (s.arch == SaeArch::TopK && s.rescale_acts_by_decoder_norm) dn = decoder_row_norms(s);
  parallel_for(
      c.rows,
      [&](int64_t r0, int64_t r1, int) {
        for (int64_t r = r0; r < r1; ++r) {
          float* o = x_hat + r * d;
          std::memcpy(o, s.b_dec.ptr(), size_t(d) * sizeof(float));
          for (int64_t e = c.row_ptr[size_t(r)]; e < c.row_ptr[size_t(r) + 1]; ++e) {
            int32_t j = c.index[size_t(e)];
            float v = c.value[size_t(e)];
            if (!dn.empty()) v /= dn[size_t(j)];
            const float* w = s.W_dec.ptr() + int64_t(j) * d;
            for (int64_t i = 0; i < d; ++i) o[i] += v * w[i];
          }
          output_norm_row(s, o, c.norm_a.data(), c.norm_b.data(), r);
        }
      },
      8);
}

void sae_decode_dense(const Sae& s, const float* acts, int64_t n, float* x_hat,
                      const std::vector<float>* norm_a, const std::vector<float>* norm_b) {
  check_stats(s, n, norm_a, norm_b);
  const int64_t d = s.d_in, S = s.d_sae;
  for (int64_t r = 0; r < n; ++r)
    std::memcpy(x_hat + r * d, s.b_dec.ptr(), size_t(d) * sizeof(float));
  if (s.arch == SaeArch::TopK && s.rescale_acts_by_decoder_norm) {
    std::vector<float> dn = decoder_row_norms(s), scaled(acts, acts + n * S);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t j = 0; j < S; ++j) scaled[size_t(r * S + j)] /= dn[size_t(j)];
    gemm(false, false, n, d, S, scaled.data(), S, s.W_dec.ptr(), d, 1.0f, x_hat, d);
  } else {
    gemm(false, false, n, d, S, acts, S, s.W_dec.ptr(), d, 1.0f, x_hat, d);
  }
  const float* na = norm_a ? norm_a->data() : nullptr;
  const float* nb = norm_b ? norm_b->data() : nullptr;
  for (int64_t r = 0; r < n; ++r) output_norm_row(s, x_hat + r * d, na, nb, r);
}

void sae_reconstruct(const Sae& s, const float* x, int64_t n, float* x_hat, SaeWorkspace* ws) {
  SaeCodes c;
  sae_encode(s, x, n, c, ws);
  sae_decode(s, c, x_hat);
}

void sae_error_term(const Sae& s, const float* x, const SaeCodes& codes, float* err) {
  sae_decode(s, codes, err);
  const int64_t total = codes.rows * s.d_in;
  for (int64_t i = 0; i < total; ++i) err[i] = x[i] - err[i];
}

void sae_error_term(const Sae& s, const float* x, int64_t n, float* err, SaeWorkspace* ws) {
  SaeCodes c;
  sae_encode(s, x, n, c, ws);
  sae_error_term(s, x, c, err);
}

std::vector<LatentValue> top_latents(const SaeCodes& c, int64_t row, int64_t k) {
  std::vector<LatentValue> v;
  for (int64_t e = c.row_ptr[size_t(row)]; e < c.row_ptr[size_t(row) + 1]; ++e)
    v.push_back({c.index[size_t(e)], c.value[size_t(e)]});
  auto better = [](const LatentValue& a, const LatentValue& b) {
    return a.value > b.value || (a.value == b.value && a.latent < b.latent);
  };
  k = std::min<int64_t>(k, int64_t(v.size()));
  std::partial_sort(v.begin(), v.begin() + k, v.end(), better);
  v.resize(size_t(k));
  return v;
}

std::vector<LatentValue> top_latents(const float* acts_row, int64_t d_sae, int64_t k) {
  sae_detail::TopKHeap heap;
  heap.select(acts_row, d_sae, std::min(k, d_sae));
  std::vector<LatentValue> v;
  for (const auto& e : heap.items)
    if (e.value != 0.0f) v.push_back({e.index, e.value});
  std::sort(v.begin(), v.end(), [](const LatentValue& a, const LatentValue& b) {
    return a.value > b.value || (a.value == b.value && a.latent < b.latent);
  });
  return v;
}

}  // namespace knowscope
