// Frequencies, separation scores, MaxMin, bands, global selection and random controls.
#include "knowscope/study/latents_scores.h"

#include <algorithm>
#include <limits>

#include "knowscope/core/error.h"
#include "knowscope/study/latents_pyrandom.h"

namespace knowscope::study {

const char* side_name(Side s) { return s == Side::known ? "known" : "unknown"; }

FiringCounts::FiringCounts(int types, int64_t latents)
    : d_sae(latents),
      n_types(types),
      n_known(types, 0),
      n_unknown(types, 0),
      fires_known(size_t(types) * size_t(latents), 0),
      fires_unknown(size_t(types) * size_t(latents), 0) {}

void FiringCounts::add(int type, bool known, std::span<const int32_t> firing) {
  if (type < 0 || type >= n_types) throw Error("FiringCounts::add: type index out of range");
  (known ? n_known : n_unknown)[type]++;
  int32_t* row = (known ? fires_known : fires_unknown).data() + size_t(type) * size_t(d_sae);
  for (int32_t j : firing) {
    if (j < 0 || j >= d_sae) throw Error("FiringCounts::add: latent index out of range");
    row[j]++;
  }
}

void FiringCounts::add_dense(int type, bool known, const float* acts, double threshold) {
  std::vector<int32_t> firing;
  for (int64_t j = 0; j < d_sae; ++j)
    if (double(acts[j]) > threshold) firing.push_back(int32_t(j));
  add(type, known, firing);
}

int FiringCounts::n(Side label, int type) const {
  return (label == Side::known ? n_known : n_unknown)[type];
}

double FiringCounts::freq(Side label, int type, int64_t latent) const {
  const int count = n(label, type);
  if (count == 0) return 0.0;
  const auto& fires = label == Side::known ? fires_known : fires_unknown;
  return double(fires[size_t(type) * size_t(d_sae) + size_t(latent)]) / double(count);
}

double separation(const FiringCounts& c, Side side, int type, int64_t latent) {
  const double fk = c.freq(Side::known, type, latent), fu = c.freq(Side::unknown, type, latent);
  return side == Side::known ? fk - fu : fu - fk;
}

std::vector<int> scorable_types(const FiringCounts& c, int min_entities) {
  std::vector<int> out;
  const int64_t floor = std::max(1, min_entities);
  for (int t = 0; t < c.n_types; ++t)
    if (c.n_known[t] >= floor && c.n_unknown[t] >= floor) out.push_back(t);
  return out;
}

std::vector<double> min_over_types(const FiringCounts& c, Side side, std::span<const int> types) {
  std::vector<double> out(size_t(c.d_sae), 0.0);
  if (types.empty()) return out;
  for (int64_t j = 0; j < c.d_sae; ++j) {
    double m = std::numeric_limits<double>::infinity();
    for (int t : types) m = std::min(m, separation(c, side, t, j));
    out[j] = m;
  }
  return out;
}

std::vector<double> mean_over_types(const FiringCounts& c, Side side, std::span<const int> types) {
  std::vector<double> out(size_t(c.d_sae), 0.0);
  if (types.empty()) return out;
  for (int64_t j = 0; j < c.d_sae; ++j) {
    double s = 0;
    for (int t : types) s += separation(c, side, t, j);
    out[j] = s / double(types.size());
  }
  return out;
}

MaxMin max_min(const FiringCounts& c, Side side, std::span<const int> types) {
  MaxMin best;
  const std::vector<double> mins = min_over_types(c, side, types);
  for (int64_t j = 0; j < c.d_sae; ++j)
    if (best.latent < 0 || mins[j] > best.value) best = {mins[j], j};
  return best;
}

Band top_band(const FiringCounts& c, Side side, int type, int k) {
  Band b;
  if (c.d_sae == 0 || k <= 0) return b;
  std::vector<double> s(size_t(c.d_sae));
  for (int64_t j = 0; j < c.d_sae; ++j) s[j] = separation(c, side, type, j);
  const size_t kk = std::min<size_t>(size_t(k), s.size());
  std::partial_sort(s.begin(), s.begin() + kk, s.end(), std::greater<double>());
  b.max = s[0];
  b.min = s[kk - 1];
  double sum = 0;
  for (size_t i = 0; i < kk; ++i) sum += s[i];
  b.mean = sum / double(kk);
  return b;
}

std::vector<SelectedLatent> select_latents(std::span<const LayerFiring> layers, Side side,
                                           std::span<const int> types, double generic_freq_cap,
                                           int top_n) {
  std::vector<SelectedLatent> all;
  for (const LayerFiring& lf : layers) {
    const FiringCounts& c = *lf.counts;
    if (int64_t(lf.generic_freq.size()) != c.d_sae)
      throw Error("select_latents: layer " + std::to_string(lf.layer) +
                  ": generic frequencies for " + std::to_string(lf.generic_freq.size()) +
                  " latents, SAE has " + std::to_string(c.d_sae));
    const std::vector<double> mins = min_over_types(c, side, types);
    const std::vector<double> means = mean_over_types(c, side, types);
    for (int64_t j = 0; j < c.d_sae; ++j) {
      if (lf.generic_freq[j] >= generic_freq_cap) continue;  // not specific to entities
      all.push_back({lf.layer, j, mins[j], means[j], lf.generic_freq[j]});
    }
  }
  const auto better = [](const SelectedLatent& a, const SelectedLatent& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.mean_score != b.mean_score) return a.mean_score > b.mean_score;
    if (a.generic_freq != b.generic_freq) return a.generic_freq < b.generic_freq;
    if (a.layer != b.layer) return a.layer < b.layer;
    return a.latent < b.latent;
  };
  const size_t keep = std::min(all.size(), size_t(std::max(top_n, 0)));
  std::partial_sort(all.begin(), all.begin() + keep, all.end(), better);
  all.resize(keep);
  return all;
}

std::vector<int64_t> random_control_latents(const FiringCounts& c, Side side,
                                            std::span<const int> types, int n, uint64_t seed,
                                            int64_t* candidates) {
  const std::vector<double> mins = min_over_types(c, side, types);
  std::vector<int64_t> pool;
  for (int64_t j = 0; j < c.d_sae; ++j)
    if (mins[j] == 0.0) pool.push_back(j);  // the authors drop every |score| > 0
  if (candidates) *candidates = int64_t(pool.size());
  PyRandom rng(seed);
  const size_t k = std::min(pool.size(), size_t(std::max(n, 0)));
  std::vector<int64_t> out;
  for (size_t i : rng.sample(pool.size(), k)) out.push_back(pool[i]);
  return out;
}

std::string latent_id(int layer, int64_t latent) {
  std::string out = "L";  // built by appending: GCC 12 warns falsely on "L" + std::string
  out += std::to_string(layer);
  out += 'F';
  out += std::to_string(latent);
  return out;
}

}  // namespace knowscope::study
