// Statistics the study needs, each checked against scipy / sklearn fixtures
// (tools/make_stats_fixtures.py): moments, Welch's t-test, ROC / AUROC, F1 and its best threshold,
// Wilson and bootstrap intervals, L2 logistic regression, difference-of-means directions and
// class-balanced subsampling. Binary labels are ints, 1 = positive, 0 = negative; anything else
// throws Error. Matrices are row-major `rows x cols` spans.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <vector>

namespace knowscope::study {

// ---- moments (src/study/stats_moments.cpp) ----
double mean(std::span<const double> x);                    // NaN when empty
double variance(std::span<const double> x, int ddof = 1);  // NaN when size <= ddof
double stddev(std::span<const double> x, int ddof = 1);    // sqrt(variance)

// ---- Welch's t-test (src/study/stats_ttest.cpp) ----
// scipy.stats.ttest_ind(a, b, equal_var=False):
//   t  = (mean_a - mean_b) / sqrt(var_a/n_a + var_b/n_b)      (ddof 1 variances)
//   df = (var_a/n_a + var_b/n_b)^2 / ((var_a/n_a)^2/(n_a-1) + (var_b/n_b)^2/(n_b-1))
// Where scipy gives t = NaN (a group of fewer than 2, or both groups constant and equal) the
// paper's code replaces it by 0; so do we, and then the p-values are 1 (two-sided) and 0.5
// (one-sided) and `degenerate` is set. Both groups constant but different means gives t = +-inf,
// p = 0 (scipy: the same).
struct WelchTest {
  double t = 0;
  double df = 0;
  double p_two_sided = 1;  // alternative mean_a != mean_b
  double p_greater = 0.5;  // alternative mean_a > mean_b
  double p_less = 0.5;     // alternative mean_a < mean_b
  double mean_a = 0, mean_b = 0;
  size_t n_a = 0, n_b = 0;
  bool degenerate = false;  // t was NaN and was replaced by 0
};
WelchTest welch_t_test(std::span<const double> a, std::span<const double> b);

// Regularised incomplete beta I_x(a, b) (a, b > 0, 0 <= x <= 1), by its continued fraction.
double regularized_incomplete_beta(double a, double b, double x);
// Survival function P(T > t) of Student's t with df > 0 degrees of freedom (df = inf: normal);
// relative error about 1e-12 for moderate df, 1e-9 at df = 1e6 (lgamma cancellation).
double student_t_sf(double t, double df);

// ---- ROC, AUROC, F1 (src/study/stats_roc.cpp) ----
// sklearn.metrics.roc_auc_score(labels, scores): the area under the ROC curve with ties counted
// half (= Mann-Whitney U / (n_pos n_neg)). Throws when a class is absent.
double auroc(std::span<const double> scores, std::span<const int> labels);

// sklearn.metrics.roc_curve(labels, scores, drop_intermediate=False): one point per distinct
// score, thresholds descending, prefixed by (0, 0) at threshold +inf (sklearn >= 1.3).
struct RocCurve {
  std::vector<double> fpr, tpr, thresholds;
};
RocCurve roc_curve(std::span<const double> scores, std::span<const int> labels);

// Confusion counts when score >= threshold predicts positive.
struct Confusion {
  size_t tp = 0, fp = 0, tn = 0, fn = 0;
};
Confusion confusion_at(std::span<const double> scores, std::span<const int> labels,
                       double threshold);
double f1_score(const Confusion& c);   // sklearn f1_score: 0 when tp + fp + fn == 0 or tp == 0
double accuracy(const Confusion& c);   // (tp + tn) / n; NaN when n == 0
double precision(const Confusion& c);  // 0 when nothing is predicted positive (sklearn's warning)
double recall(const Confusion& c);     // 0 when there is no positive
double f1_at_threshold(std::span<const double> scores, std::span<const int> labels,
                       double threshold);

// The paper's threshold choice (spec 6): n evenly spaced thresholds
// numpy.linspace(min(scores), max(scores), n), each predicting positive for score >= threshold;
// the first threshold with the highest F1 wins. Empty scores throw.
struct ThresholdChoice {
  double threshold = 0;
  double f1 = 0;
};
ThresholdChoice best_f1_threshold(std::span<const double> scores, std::span<const int> labels,
                                  int n_thresholds = 100);

// ---- intervals (src/study/stats_intervals.cpp) ----
struct Interval {
  double lo = 0, hi = 0;
};
// Wilson score interval for `successes` of `n` (statsmodels proportion_confint(method="wilson")),
// z = 1.959963984540054 for 95 %. n == 0 gives [0, 1].
Interval wilson_interval(size_t successes, size_t n, double z = 1.959963984540054);

// Percentile bootstrap: `resamples` times draw n indices with replacement (SplitMix64 seeded by
// `seed`, unbiased bounded draws, so the result is the same on every platform), evaluate
// `statistic` on them, and return the (1-level)/2 and (1+level)/2 quantiles (numpy's linear
// interpolation). Resamples where the statistic is NaN (e.g. one class only) are skipped.
Interval bootstrap_ci(size_t n, const std::function<double(std::span<const size_t>)>& statistic,
                      int resamples = 1000, double level = 0.95, uint64_t seed = 0);

// ---- sampling (src/study/stats_sampling.cpp) ----
// Deterministic generator for the study's seeded choices (SplitMix64).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next();
  uint64_t below(uint64_t bound);  // uniform in [0, bound), bound > 0, without modulo bias
 private:
  uint64_t state_;
};

// Every index of the minority class plus an equal number of majority indices drawn without
// replacement (partial Fisher-Yates with SplitMix64(seed)); returned sorted ascending. With equal
// classes everything is kept; with a class absent the result is empty.
std::vector<size_t> balanced_subsample(std::span<const int> labels, uint64_t seed = 0);

// ---- directions (src/study/stats_directions.cpp) ----
// mean(x[labels == 1]) - mean(x[labels == 0]) over rows, length cols; unit length with
// `normalize` (a zero difference stays zero). Throws when a class is absent.
std::vector<double> mean_difference_direction(std::span<const float> x, size_t rows, size_t cols,
                                              std::span<const int> labels, bool normalize = true);
// x . direction per row.
std::vector<double> project_rows(std::span<const float> x, size_t rows, size_t cols,
                                 std::span<const double> direction);

// ---- logistic regression (src/study/stats_logistic.cpp) ----
// sklearn LogisticRegression(penalty="l2", C, fit_intercept, class_weight=None|"balanced",
// solver="lbfgs") minimises  C * sum_i w_i log-loss_i + 0.5 |coef|^2  (intercept unpenalised);
// we minimise the same objective with L-BFGS to a tight gradient tolerance: coefficients agree
// with sklearn run to tol 1e-12 within 1e-6 relative (tests); sklearn's default tol 1e-4 stops
// earlier, about 1e-4 away.
// "balanced" weights are n / (2 n_class). Features are used as given (no scaling).
struct LogisticOptions {
  double C = 1.0;
  bool fit_intercept = true;
  bool balanced = false;
  int max_iter = 10000;
  double gradient_tolerance = 1e-9;  // on max |gradient| / max(1, |objective|)
};
struct LogisticModel {
  std::vector<double> coef;  // cols
  double intercept = 0;
  int iterations = 0;
  bool converged = false;
  double objective = 0;
};
LogisticModel fit_logistic(std::span<const float> x, size_t rows, size_t cols,
                           std::span<const int> labels, const LogisticOptions& options = {});
// P(label = 1) per row.
std::vector<double> predict_proba(const LogisticModel& model, std::span<const float> x, size_t rows,
                                  size_t cols);
// coef . x + intercept per row.
std::vector<double> decision_function(const LogisticModel& model, std::span<const float> x,
                                      size_t rows, size_t cols);

}  // namespace knowscope::study
