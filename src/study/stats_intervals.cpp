// Confidence intervals: Wilson for proportions, percentile bootstrap for anything else.
#include <algorithm>
#include <cmath>
#include <limits>

#include "knowscope/core/error.h"
#include "knowscope/study/stats.h"

namespace knowscope::study {
namespace {

// numpy.percentile(sorted, 100 q) with the default linear interpolation.
double quantile_sorted(const std::vector<double>& v, double q) {
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t i = static_cast<size_t>(std::floor(pos));
  if (i + 1 >= v.size()) return v.back();
  const double frac = pos - static_cast<double>(i);
  return v[i] + frac * (v[i + 1] - v[i]);
}

}  // namespace

Interval wilson_interval(size_t successes, size_t n, double z) {
  if (successes > n) fail("wilson_interval", "successes", "exceeds n");
  if (n == 0) return {0, 1};
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(successes) / nn;
  const double z2 = z * z;
  const double denom = 1 + z2 / nn;
  const double center = (p + z2 / (2 * nn)) / denom;
  const double half = z / denom * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

Interval bootstrap_ci(size_t n, const std::function<double(std::span<const size_t>)>& statistic,
                      int resamples, double level, uint64_t seed) {
  if (n == 0) fail("bootstrap_ci", "n", "must be positive");
  if (resamples < 1) fail("bootstrap_ci", "resamples", "must be positive");
  if (!(level > 0 && level < 1)) fail("bootstrap_ci", "level", "must be in (0, 1)");
  SplitMix64 rng(seed);
  std::vector<size_t> idx(n);
  std::vector<double> values;
  values.reserve(static_cast<size_t>(resamples));
  for (int r = 0; r < resamples; ++r) {
    for (size_t& i : idx) i = static_cast<size_t>(rng.below(n));
    const double v = statistic(idx);
    if (!std::isnan(v)) values.push_back(v);
  }
  if (values.empty())
    return {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
  std::sort(values.begin(), values.end());
  return {quantile_sorted(values, (1 - level) / 2), quantile_sorted(values, (1 + level) / 2)};
}

}  // namespace knowscope::study
