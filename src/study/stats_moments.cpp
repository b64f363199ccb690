// Means and variances in double precision (two-pass, like numpy).
#include <cmath>
#include <limits>

#include "knowscope/study/stats.h"

namespace knowscope::study {

double mean(std::span<const double> x) {
  if (x.empty()) return std::numeric_limits<double>::quiet_NaN();
  double s = 0;
  for (double v : x) s += v;
  return s / static_cast<double>(x.size());
}

double variance(std::span<const double> x, int ddof) {
  if (static_cast<long long>(x.size()) <= ddof) return std::numeric_limits<double>::quiet_NaN();
  const double m = mean(x);
  double s = 0;
  for (double v : x) s += (v - m) * (v - m);
  return s / static_cast<double>(static_cast<long long>(x.size()) - ddof);
}

double stddev(std::span<const double> x, int ddof) { return std::sqrt(variance(x, ddof)); }

}  // namespace knowscope::study
