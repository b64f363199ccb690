#include "knowscope/model/sampling.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "knowscope/core/error.h"
#include "knowscope/core/ops.h"

namespace knowscope {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

bool by_prob_desc(const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) {
  return a.first > b.first || (a.first == b.first && a.second < b.second);
}

// sum of x in double, eight lanes (vectorizes; fixed order).
double sum_f64(const float* x, int64_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  const int64_t full = n / 8;
  for (int64_t k = 0; k < full; ++k)
    for (int j = 0; j < 8; ++j) acc[j] += double(x[8 * k + j]);
  for (int64_t i = 8 * full; i < n; ++i) acc[0] += double(x[i]);
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// Index i where the running sum of p first exceeds u (u < sum p): block sums first, then a walk.
int64_t walk(const float* p, int64_t n, double u) {
  constexpr int64_t kBlock = 1024;
  double acc = 0;
  int64_t b = 0;
  for (; b + kBlock < n; b += kBlock) {
    double s = sum_f64(p + b, kBlock);
    if (u < acc + s) break;
    acc += s;
  }
  for (int64_t i = b; i < n; ++i) {
    acc += p[i];
    if (u < acc) return i;
  }
  return -1;  // rounding left u past the end
}

// Smallest power of two 2^e (as a float) such that the tokens with p >= 2^e include the `count`
// largest, or (mass mode) hold at least `mass` of probability. p in (0, 1], so exponents <= 127.
struct ExponentHistogram {
  int64_t count[256];
  double mass[256];
  void build(const float* p, int64_t n) {
    std::fill(count, count + 256, 0);
    std::fill(mass, mass + 256, 0.0);
    for (int64_t i = 0; i < n; ++i) {
      uint32_t e = std::bit_cast<uint32_t>(p[i]) >> 23;  // p >= 0: no sign bit
      ++count[e];
      mass[e] += p[i];
    }
  }
  float threshold_for_count(int64_t k) const {
    int64_t c = 0;
    for (int e = 255; e >= 0; --e) {
      c += count[e];
      if (c >= k) return std::bit_cast<float>(uint32_t(e) << 23);
    }
    return 0.0f;
  }
  float threshold_for_mass(double target) const {
    double m = 0;
    for (int e = 255; e >= 0; --e) {
      m += mass[e];
      if (m >= target) return std::bit_cast<float>(uint32_t(e) << 23);
    }
    return 0.0f;
  }
};

}  // namespace

int32_t argmax(const float* logits, int64_t n) {
  if (n <= 0) fail("sampling", "logits", "empty");
  const float mx = max_f32(logits, n);  // vectorized; then the first index holding it
  for (int64_t i = 0; i < n; ++i)
    if (logits[i] == mx) return int32_t(i);
  int64_t best = 0;  // NaNs: fall back to a scan that skips them
  for (int64_t i = 1; i < n; ++i)
    if (logits[i] > logits[best]) best = i;
  return int32_t(best);
}

double log_softmax_at(const float* logits, int64_t n, int32_t id) {
  if (id < 0 || id >= n) fail("sampling", "token", "id outside the logits");
  const float mx = max_f32(logits, n);
  // exp(l - max) with the vectorized kernel, in blocks on the stack; the sum in double.
  float buf[1024];
  double sum = 0;
  for (int64_t i0 = 0; i0 < n; i0 += 1024) {
    const int64_t m = std::min<int64_t>(1024, n - i0);
    for (int64_t i = 0; i < m; ++i) buf[i] = logits[i0 + i] - mx;
    exp_inplace(buf, m);
    sum += sum_f64(buf, m);
  }
  return double(logits[id]) - double(mx) - std::log(sum);
}

uint64_t derive_seed(uint64_t seed, uint64_t prompt, uint64_t sample) {
  return splitmix64(splitmix64(splitmix64(seed) ^ prompt) ^ (sample * 0x632be59bd9b4e019ull));
}

Sampler::Sampler(SamplingParams params, uint64_t seed) : params_(params), rng_(seed) {
  if (!(params_.top_p > 0.0f) || params_.top_p > 1.0f)
    fail("sampling", "top_p", "must be in (0, 1]");
  if (params_.min_p < 0.0f || params_.min_p > 1.0f) fail("sampling", "min_p", "must be in [0, 1]");
  if (params_.top_k < 0) fail("sampling", "top_k", "must be >= 0");
}

double Sampler::uniform() { return double(rng_() >> 11) * 0x1.0p-53; }

int32_t Sampler::sample(const float* logits, int64_t n) {
  if (params_.greedy()) return argmax(logits, n);
  if (n <= 0) fail("sampling", "logits", "empty");
  const float inv_t = 1.0f / params_.temperature;
  const float mx = max_f32(logits, n);

  // Tempered probabilities, unnormalized: p_i = exp((l_i - max) / T), so the top token has 1.
  probs_.resize(size_t(n));
  float* p = probs_.data();
  for (int64_t i = 0; i < n; ++i) p[i] = (logits[i] - mx) * inv_t;
  exp_inplace(p, n);
  const double total = sum_f64(p, n);

  const bool use_k = params_.top_k > 0 && params_.top_k < n;
  const bool use_p = params_.top_p < 1.0f;
  const bool use_min = params_.min_p > 0.0f;
  if (!use_k && !use_p && !use_min) {
    int64_t i = walk(p, n, uniform() * total);
    return i >= 0 ? int32_t(i) : argmax(logits, n);
  }

  // Every filter keeps a prefix of the tokens in descending order (ties: lower id first), so the
  // kept set is the shortest of the prefixes. Each prefix lies above a threshold read off a
  // histogram of the probabilities' binary exponents; only the tokens above the largest such
  // threshold become candidates, and prefixes are found by selection (nth_element), not sorting.
  ExponentHistogram h;  // 4 KiB on the stack
  h.build(p, n);
  float thr = 0.0f;
  if (use_k) thr = h.threshold_for_count(params_.top_k);  // top-p then needs the top-k mass
  if (!use_k && use_p) thr = h.threshold_for_mass(double(params_.top_p) * total);
  if (use_min && !(use_k && use_p)) thr = std::max(thr, params_.min_p);
  cand_.clear();
  for (int64_t i = 0; i < n; ++i)
    if (p[i] >= thr) cand_.push_back({p[i], int32_t(i)});
  const int64_t m = int64_t(cand_.size());
  auto first = cand_.begin();
  // After this, [0, k) holds the k best candidates (in no particular order).
  auto select = [&](int64_t lo, int64_t hi, int64_t k) {
    if (k > lo && k < hi) std::nth_element(first + lo, first + k, first + hi, by_prob_desc);
  };
  auto mass = [&](int64_t lo, int64_t hi) {
    double s = 0;
    for (int64_t i = lo; i < hi; ++i) s += cand_[size_t(i)].first;
    return s;
  };

  int64_t keep = m;
  if (use_k) {
    keep = std::min<int64_t>(params_.top_k, m);
    select(0, m, keep);
  }
  if (use_p) {
    // HF applies top-k, then top-p on the distribution renormalized over the top-k set.
    const double target = double(params_.top_p) * (use_k ? mass(0, keep) : total);
    // Shortest prefix of [0, keep) with mass >= target: halve the range with selections.
    int64_t lo = 0, hi = keep;
    double before = 0;
    while (hi - lo > 64) {
      const int64_t mid = lo + (hi - lo) / 2;
      select(lo, hi, mid);
      const double left = mass(lo, mid);
      if (before + left >= target) {
        hi = mid;
      } else {
        before += left;
        lo = mid;
      }
    }
    std::sort(first + lo, first + hi, by_prob_desc);
    int64_t i = lo;
    while (i < hi) {
      before += cand_[size_t(i++)].first;
      if (before >= target) break;
    }
    keep = std::min(keep, std::max<int64_t>(i, 1));
  }
  if (use_min) {
    int64_t c = 0;
    for (int64_t i = 0; i < m; ++i) c += cand_[size_t(i)].first >= params_.min_p;
    keep = std::min(keep, std::max<int64_t>(c, 1));
  }
  // The kept set: every token ranking at or above the keep-th best. Draw in token-id order, so the
  // result does not depend on how the selection arranged the candidates.
  select(0, m, keep - 1);
  const std::pair<float, int32_t> last =
      *std::min_element(first, first + keep, [](auto& a, auto& b) { return by_prob_desc(b, a); });
  auto kept = [&](int64_t i) {
    return p[i] > last.first || (p[i] == last.first && int32_t(i) <= last.second);
  };
  double sum = 0;
  for (int64_t j = 0; j < keep; ++j) sum += cand_[size_t(j)].first;
  double u = uniform() * sum, acc = 0;
  for (int64_t i = 0; i < n; ++i)
    if (kept(i)) {
      acc += p[i];
      if (u < acc) return int32_t(i);
    }
  return last.second;
}

}  // namespace knowscope
