// Synthetic activations from a known sparse dictionary, for training tests: each row is a sparse
// nonnegative combination of a few true unit directions. Recovery = fraction of true directions
// that some decoder row matches with cosine >= 0.9.
#pragma once

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "knowscope/sae/activations.h"
#include "knowscope/sae/sae.h"
#include "knowscope/sae/train.h"

namespace knowscope::test {

struct SyntheticDictionary {
  int64_t d = 0, n = 0;
  std::vector<float> dirs;  // [n, d], unit rows
  int min_active = 3, max_active = 5;
  uint64_t seed = 0;
  float coef_lo = 0.5f, coef_hi = 1.5f;  // coefficients uniform in [lo, hi)
};

inline SyntheticDictionary make_dictionary(int64_t d, int64_t n, uint64_t seed, int min_active = 3,
                                           int max_active = 5) {
  SyntheticDictionary D{d, n, std::vector<float>(size_t(d * n)), min_active, max_active, seed};
  Rng rng(seed);
  for (int64_t f = 0; f < n; ++f) {
    double s = 0;
    for (int64_t i = 0; i < d; ++i) {
      float v = rng.normal();
      D.dirs[size_t(f * d + i)] = v;
      s += double(v) * v;
    }
    for (int64_t i = 0; i < d; ++i) D.dirs[size_t(f * d + i)] /= float(std::sqrt(s));
  }
  return D;
}

// An endless, deterministic stream of rows (its own RNG, seeded from the dictionary).
struct SyntheticStream {
  const SyntheticDictionary& D;
  Rng rng;
  explicit SyntheticStream(const SyntheticDictionary& dict, uint64_t stream_seed = 7)
      : D(dict), rng(dict.seed * 31 + stream_seed) {}
  int64_t operator()(float* out, int64_t rows) {
    std::vector<int64_t> chosen;
    for (int64_t r = 0; r < rows; ++r) {
      float* x = out + r * D.d;
      std::fill(x, x + D.d, 0.0f);
      int m = D.min_active + int(rng.below(uint64_t(D.max_active - D.min_active + 1)));
      chosen.clear();
      while (int(chosen.size()) < m) {
        int64_t f = int64_t(rng.below(uint64_t(D.n)));
        if (std::find(chosen.begin(), chosen.end(), f) == chosen.end()) chosen.push_back(f);
      }
      const float coef_lo = D.coef_lo, coef_hi = D.coef_hi;
      for (int64_t f : chosen) {
        float c = coef_lo + (coef_hi - coef_lo) * float(rng.uniform());  // nonnegative
        for (int64_t i = 0; i < D.d; ++i) x[i] += c * D.dirs[size_t(f * D.d + i)];
      }
    }
    return rows;
  }
};

// Fraction of the true directions matched by some decoder row at cosine >= min_cos.
inline double recovered_fraction(const Sae& sae, const SyntheticDictionary& D,
                                 double min_cos = 0.9) {
  std::vector<float> norms = decoder_row_norms(sae);
  int64_t hit = 0;
  for (int64_t f = 0; f < D.n; ++f) {
    double best = -1;
    for (int64_t j = 0; j < sae.d_sae; ++j) {
      double dot = 0;
      for (int64_t i = 0; i < D.d; ++i)
        dot += double(D.dirs[size_t(f * D.d + i)]) * sae.W_dec.data[size_t(j * D.d + i)];
      best = std::max(best, dot / std::max(1e-12, double(norms[size_t(j)])));
    }
    hit += best >= min_cos;
  }
  return double(hit) / double(D.n);
}

// Small trained SAEs (d_in 16, d_sae 48: the fixture inputs' width) for the SAELens export check.
inline std::map<std::string, Sae> trained_saes_for_export() {
  static const SyntheticDictionary D = make_dictionary(16, 40, 3, 2, 3);
  std::map<std::string, Sae> out;
  const std::pair<const char*, SaeTrainArch> archs[] = {{"jumprelu", SaeTrainArch::JumpRelu},
                                                        {"topk", SaeTrainArch::TopK},
                                                        {"batchtopk", SaeTrainArch::BatchTopK},
                                                        {"relu", SaeTrainArch::Relu}};
  for (auto [name, arch] : archs) {
    SyntheticStream stream(D);
    auto src = make_callback_source(16, [&](float* o, int64_t n) { return stream(o, n); });
    SaeTrainConfig c;
    c.arch = arch;
    c.d_sae = 48;
    c.k = 3;
    c.batch_size = 256;
    c.total_steps = 150;
    c.shuffle_buffer_rows = 2048;
    c.lr = 3e-3f;
    c.lr_warmup_steps = 10;
    c.sparsity_warmup_steps = 50;
    c.l0_coefficient = 0.02f;
    c.l1_coefficient = 0.05f;
    c.bandwidth = 0.05f;
    c.init_threshold = 0.05f;
    c.b_dec_init_rows = 512;
    c.apply_b_dec_to_input = arch != SaeTrainArch::JumpRelu;
    c.dead_tokens = 5000;
    c.show_progress = false;
    c.hook_name = "blocks.2.hook_resid_post";
    c.model_name = "synthetic";
    out[name] = train_sae(*src, c).sae;
  }
  return out;
}

}  // namespace knowscope::test
