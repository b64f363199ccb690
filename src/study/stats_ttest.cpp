// Welch's t-test with p-values from Student's t distribution through the regularised incomplete
// beta function.
#include <cmath>
#include <limits>

#include "knowscope/core/error.h"
#include "knowscope/study/stats.h"

namespace knowscope::study {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The continued fraction of I_x(a, b) (modified Lentz), converging for x < (a + 1) / (a + b + 2).
double beta_fraction(double a, double b, double x) {
  constexpr double tiny = 1e-300, eps = 1e-16;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    const double m2 = 2.0 * m;
    // even step: d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m))
    double num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    // odd step: d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
    num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double step = d * c;
    h *= step;
    if (std::fabs(step - 1) < eps) break;
  }
  return h;
}

// I_x(a, b) given both x and y = 1 - x, so that x near 1 keeps its precision.
double ibeta(double a, double b, double x, double y) {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log(y);
  if (x < (a + 1) / (a + b + 2)) return std::exp(log_front) * beta_fraction(a, b, x) / a;
  return 1 - std::exp(log_front) * beta_fraction(b, a, y) / b;
}

// P(|T| > |t|) for Student's t with df degrees of freedom.
double two_sided_p(double t, double df) {
  if (std::isnan(t) || std::isnan(df)) return kNaN;
  if (std::isinf(t)) return 0;
  if (std::isinf(df)) return std::erfc(std::fabs(t) / std::sqrt(2.0));
  const double t2 = t * t;
  return ibeta(df / 2, 0.5, df / (df + t2), t2 / (df + t2));
}

}  // namespace

double regularized_incomplete_beta(double a, double b, double x) {
  if (!(a > 0) || !(b > 0) || !(x >= 0 && x <= 1))
    fail("regularized_incomplete_beta", "", "needs a, b > 0 and 0 <= x <= 1");
  return ibeta(a, b, x, 1 - x);
}

double student_t_sf(double t, double df) {
  if (!(df > 0)) fail("student_t_sf", "df", "must be positive");
  const double half = 0.5 * two_sided_p(t, df);
  return t >= 0 ? half : 1 - half;
}

WelchTest welch_t_test(std::span<const double> a, std::span<const double> b) {
  WelchTest r;
  r.n_a = a.size();
  r.n_b = b.size();
  r.mean_a = mean(a);
  r.mean_b = mean(b);
  const double va = variance(a, 1) / static_cast<double>(a.size());
  const double vb = variance(b, 1) / static_cast<double>(b.size());
  const double se2 = va + vb;
  double t = (r.mean_a - r.mean_b) / std::sqrt(se2);
  double df = se2 * se2 /
              (va * va / (static_cast<double>(a.size()) - 1) +
               vb * vb / (static_cast<double>(b.size()) - 1));
  if (std::isnan(t)) {  // the paper's code: np.nan_to_num on the t statistic
    r.degenerate = true;
    r.t = 0;
    r.df = std::isnan(df) ? 0 : df;
    r.p_two_sided = 1;
    r.p_greater = r.p_less = 0.5;
    return r;
  }
  r.t = t;
  r.df = df;
  if (std::isinf(t)) {  // both groups constant, different means
    r.p_two_sided = 0;
    r.p_greater = t > 0 ? 0 : 1;
    r.p_less = t > 0 ? 1 : 0;
    return r;
  }
  r.p_two_sided = two_sided_p(t, df);
  const double half = 0.5 * r.p_two_sided;
  r.p_greater = t >= 0 ? half : 1 - half;
  r.p_less = t >= 0 ? 1 - half : half;
  return r;
}

}  // namespace knowscope::study
