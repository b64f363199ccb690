// Reconstruction and sparsity metrics (SAELens evals.py definitions) and the downstream CE / KL
// scores from clean, spliced and zero-ablated logits.
#include "knowscope/sae/metrics.h"

#include <cmath>

#include "knowscope/core/error.h"
#include "knowscope/core/parallel.h"

namespace knowscope {

SaeMetricsAccumulator::SaeMetricsAccumulator(int64_t d_in, int64_t d_sae, double dense_threshold)
    : d_in_(d_in),
      d_sae_(d_sae),
      dense_threshold_(dense_threshold),
      sum_x_(size_t(d_in), 0.0),
      fired_(size_t(d_sae), 0) {}

void SaeMetricsAccumulator::add(const float* x, const float* x_hat, const SaeCodes& codes) {
  const int64_t n = codes.rows, d = d_in_;
  check(codes.d_sae == d_sae_, "metrics", "codes", "d_sae differs from the accumulator's");
  if (n == 0) return;
  std::vector<double> batch_mean(size_t(d), 0.0);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < d; ++i) batch_mean[size_t(i)] += x[r * d + i];
  for (int64_t i = 0; i < d; ++i) {
    sum_x_[size_t(i)] += batch_mean[size_t(i)];
    batch_mean[size_t(i)] /= double(n);
  }
  for (int64_t r = 0; r < n; ++r) {
    const float* xr = x + r * d;
    const float* yr = x_hat + r * d;
    double sq = 0, res = 0, ny = 0, dot = 0, centred = 0;
    for (int64_t i = 0; i < d; ++i) {
      double xv = xr[i], yv = yr[i], e = xv - yv, c = xv - batch_mean[size_t(i)];
      sq += xv * xv;
      res += e * e;
      ny += yv * yv;
      dot += xv * yv;
      centred += c * c;
    }
    sum_sq_norm_ += sq;
    sum_sq_resid_ += res;
    double nx = std::sqrt(sq), nyr = std::sqrt(ny);
    sum_cos_ += dot / (nx * nyr);
    sum_l2_ratio_ += nyr / (std::fabs(nx) < 1e-4 ? 1.0 : nx);
    sum_ev_legacy_ += 1.0 - res / centred;
    double l1 = 0;
    int64_t l0 = 0;
    for (int64_t e = codes.row_ptr[size_t(r)]; e < codes.row_ptr[size_t(r) + 1]; ++e) {
      float v = codes.value[size_t(e)];
      if (v != 0.0f) {
        ++l0;
        ++fired_[size_t(codes.index[size_t(e)])];
      }
      l1 += std::fabs(v);
    }
    sum_l0_ += double(l0);
    sum_l1_ += l1;
  }
  tokens_ += n;
}

SaeMetrics SaeMetricsAccumulator::result() const {
  SaeMetrics m;
  m.tokens = tokens_;
  if (tokens_ == 0) return m;
  const double n = double(tokens_);
  m.l0 = sum_l0_ / n;
  m.l1 = sum_l1_ / n;
  m.mse = sum_sq_resid_ / n;
  double mean_sq = 0;
  for (double s : sum_x_) mean_sq += (s / n) * (s / n);
  double total_var = sum_sq_norm_ / n - mean_sq;
  // As SAELens's ExplainedVarianceCalculator: degenerate variance gives 1 or 0.
  if (total_var < 1e-10)
    m.explained_variance = m.mse < 1e-10 ? 1.0 : 0.0;
  else
    m.explained_variance = 1.0 - m.mse / total_var;
  m.fvu = 1.0 - m.explained_variance;
  m.explained_variance_legacy = sum_ev_legacy_ / n;
  m.cossim = sum_cos_ / n;
  m.l2_ratio = sum_l2_ratio_ / n;
  m.firing_frequency.resize(size_t(d_sae_));
  int64_t dead = 0, dense = 0;
  for (int64_t j = 0; j < d_sae_; ++j) {
    double f = double(fired_[size_t(j)]) / n;
    m.firing_frequency[size_t(j)] = f;
    dead += fired_[size_t(j)] == 0;
    dense += f > dense_threshold_;
  }
  m.dead_fraction = double(dead) / double(d_sae_);
  m.dense_fraction = double(dense) / double(d_sae_);
  return m;
}

SaeMetrics evaluate_sae(const Sae& sae, const float* x, int64_t n, double dense_threshold) {
  SaeMetricsAccumulator acc(sae.d_in, sae.d_sae, dense_threshold);
  SaeWorkspace ws;
  SaeCodes codes;
  const int64_t chunk = 4096;
  std::vector<float> x_hat;
  for (int64_t r = 0; r < n; r += chunk) {
    int64_t m = std::min(chunk, n - r);
    sae_encode(sae, x + r * sae.d_in, m, codes, &ws);
    x_hat.resize(size_t(m * sae.d_in));
    sae_decode(sae, codes, x_hat.data());
    acc.add(x + r * sae.d_in, x_hat.data(), codes);
  }
  return acc.result();
}

namespace {

// log sum_v exp(l[v]) in double.
double log_sum_exp(const float* l, int64_t V) {
  float mx = l[0];
  for (int64_t v = 1; v < V; ++v) mx = std::max(mx, l[v]);
  double s = 0;
  for (int64_t v = 0; v < V; ++v) s += std::exp(double(l[v]) - mx);
  return double(mx) + std::log(s);
}

}  // namespace

std::vector<double> token_cross_entropy(const float* logits, int64_t T, int64_t V,
                                        const int32_t* targets) {
  std::vector<double> out(size_t(T), 0.0);
  parallel_for(T, [&](int64_t t0, int64_t t1, int) {
    for (int64_t t = t0; t < t1; ++t) {
      int32_t y = targets[t];
      if (y < 0) continue;
      if (y >= V)
        fail("cross entropy", "target",
             std::to_string(y) + " outside the vocabulary of " + std::to_string(V));
      const float* l = logits + t * V;
      out[size_t(t)] = log_sum_exp(l, V) - double(l[y]);
    }
  });
  return out;
}

std::vector<double> token_kl_divergence(const float* clean, const float* other, int64_t T,
                                        int64_t V) {
  std::vector<double> out(size_t(T), 0.0);
  parallel_for(T, [&](int64_t t0, int64_t t1, int) {
    for (int64_t t = t0; t < t1; ++t) {
      const float* p = clean + t * V;
      const float* q = other + t * V;
      double lp = log_sum_exp(p, V), lq = log_sum_exp(q, V), kl = 0;
      for (int64_t v = 0; v < V; ++v) {
        double logp = double(p[v]) - lp, logq = double(q[v]) - lq;
        double pv = std::exp(logp);
        if (pv > 0) kl += pv * (logp - logq);
      }
      out[size_t(t)] = kl;
    }
  });
  return out;
}

void DownstreamAccumulator::add(const float* clean, const float* spliced, const float* ablated,
                                int64_t T, int64_t V, const int32_t* targets) {
  auto ce_c = token_cross_entropy(clean, T, V, targets);
  auto ce_s = token_cross_entropy(spliced, T, V, targets);
  auto ce_a = token_cross_entropy(ablated, T, V, targets);
  auto kl_s = token_kl_divergence(clean, spliced, T, V);
  auto kl_a = token_kl_divergence(clean, ablated, T, V);
  for (int64_t t = 0; t < T; ++t) {
    if (targets[t] < 0) continue;
    ce_clean_ += ce_c[size_t(t)];
    ce_sae_ += ce_s[size_t(t)];
    ce_abl_ += ce_a[size_t(t)];
    kl_sae_ += kl_s[size_t(t)];
    kl_abl_ += kl_a[size_t(t)];
    ++tokens_;
  }
}

DownstreamScores DownstreamAccumulator::result() const {
  DownstreamScores s;
  s.tokens = tokens_;
  if (tokens_ == 0) return s;
  const double n = double(tokens_);
  s.ce_clean = ce_clean_ / n;
  s.ce_sae = ce_sae_ / n;
  s.ce_ablation = ce_abl_ / n;
  s.kl_sae = kl_sae_ / n;
  s.kl_ablation = kl_abl_ / n;
  s.ce_loss_score = (s.ce_ablation - s.ce_sae) / (s.ce_ablation - s.ce_clean);
  s.kl_div_score = (s.kl_ablation - s.kl_sae) / s.kl_ablation;
  return s;
}

}  // namespace knowscope
