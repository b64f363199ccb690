// study/stats.h against numpy / scipy / sklearn values written by tools/make_stats_fixtures.py,
// plus properties where no reference shares our random generator (bootstrap, subsampling).
#include "knowscope/study/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "knowscope/core/error.h"
#include "test_paths.h"

namespace knowscope::study {
namespace {

using nlohmann::json;

json load(const std::string& name) {
  std::ifstream f(test::fixture("stats/" + name + ".json"));
  EXPECT_TRUE(f.good()) << name;
  std::stringstream ss;
  ss << f.rdbuf();
  return json::parse(ss.str());
}

double num(const json& v) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
  }
  return v.get<double>();
}

std::vector<double> vec(const json& v) {
  std::vector<double> out;
  for (const auto& e : v) out.push_back(num(e));
  return out;
}
std::vector<int> ivec(const json& v) { return v.get<std::vector<int>>(); }
std::vector<float> fvec(const json& v) { return v.get<std::vector<float>>(); }

void expect_rel(double got, double want, double rel, const std::string& what) {
  if (std::isnan(want)) {
    EXPECT_TRUE(std::isnan(got)) << what;
  } else if (std::isinf(want)) {
    EXPECT_EQ(got, want) << what;
  } else {
    EXPECT_NEAR(got, want, rel * std::max(1e-300, std::fabs(want))) << what;
  }
}

TEST(Stats, MomentsMatchNumpy) {
  const json fixture = load("moments");  // kept alive for the loop
  for (const auto& c : fixture["cases"]) {
    const auto x = vec(c["x"]);
    expect_rel(mean(x), num(c["mean"]), 1e-13, "mean");
    expect_rel(variance(x, 0), num(c["var0"]), 1e-12, "var0");
    expect_rel(variance(x, 1), num(c["var1"]), 1e-12, "var1");
    expect_rel(stddev(x, 1), num(c["std1"]), 1e-12, "std1");
  }
  EXPECT_TRUE(std::isnan(mean(std::vector<double>{})));
}

TEST(Stats, WelchMatchesScipy) {
  int i = 0;
  const json fixture = load("ttest");  // kept alive for the loop
  for (const auto& c : fixture["cases"]) {
    const std::string what = "case " + std::to_string(i++);
    const auto a = vec(c["a"]), b = vec(c["b"]);
    const WelchTest w = welch_t_test(a, b);
    expect_rel(w.t, num(c["t"]), 1e-11, what + " t");
    const bool raw_nan = std::isnan(num(c["t_raw"]));
    EXPECT_EQ(w.degenerate, raw_nan) << what;
    if (raw_nan || std::isinf(w.t)) {
      if (std::isinf(w.t)) {
        EXPECT_EQ(w.p_two_sided, 0);
        EXPECT_EQ(w.p_greater, num(c["p_greater"]));
      } else {
        EXPECT_EQ(w.p_two_sided, 1);  // our documented choice where scipy gives NaN
      }
      continue;
    }
    expect_rel(w.df, num(c["df"]), 1e-11, what + " df");
    expect_rel(w.p_two_sided, num(c["p_two_sided"]), 1e-9, what + " p2");
    expect_rel(w.p_greater, num(c["p_greater"]), 1e-9, what + " p>");
    expect_rel(w.p_less, num(c["p_less"]), 1e-9, what + " p<");
    EXPECT_EQ(w.n_a, a.size());
  }
}

TEST(Stats, IncompleteBetaAndStudentT) {
  const json j = load("special")["cases"];
  for (const auto& c : j["betainc"])
    expect_rel(regularized_incomplete_beta(c["a"], c["b"], c["x"]), c["value"].get<double>(), 1e-11,
               "betainc a=" + c["a"].dump() + " b=" + c["b"].dump() + " x=" + c["x"].dump());
  for (const auto& c : j["t_sf"])
    expect_rel(student_t_sf(c["t"], c["df"]), c["sf"].get<double>(), 1e-9,
               "t_sf t=" + c["t"].dump() + " df=" + c["df"].dump());
  EXPECT_THROW(regularized_incomplete_beta(0, 1, 0.5), Error);
  EXPECT_THROW(student_t_sf(1, 0), Error);
}

TEST(Stats, RocAndAurocMatchSklearn) {
  const json fixture = load("roc");  // kept alive for the loop
  for (const auto& c : fixture["cases"]) {
    const auto s = vec(c["scores"]);
    const auto y = ivec(c["labels"]);
    expect_rel(auroc(s, y), c["auroc"].get<double>(), 1e-12, "auroc");
    const RocCurve r = roc_curve(s, y);
    const auto fpr = vec(c["fpr"]), tpr = vec(c["tpr"]), thr = vec(c["thresholds"]);
    ASSERT_EQ(r.fpr.size(), fpr.size());
    for (size_t i = 0; i < fpr.size(); ++i) {
      EXPECT_NEAR(r.fpr[i], fpr[i], 1e-12);
      EXPECT_NEAR(r.tpr[i], tpr[i], 1e-12);
      EXPECT_EQ(r.thresholds[i], thr[i]);
    }
  }
}

TEST(Stats, RocRejectsBadLabels) {
  const std::vector<double> s = {0.1, 0.2, 0.3};
  EXPECT_THROW(auroc(s, std::vector<int>{1, 1, 1}), Error);
  EXPECT_THROW(auroc(s, std::vector<int>{0, 2, 1}), Error);
  EXPECT_THROW(auroc(s, std::vector<int>{0, 1}), Error);
}

TEST(Stats, F1AndBestThresholdMatchSklearn) {
  const json fixture = load("f1");  // kept alive for the loop
  for (const auto& c : fixture["cases"]) {
    const auto s = vec(c["scores"]);
    const auto y = ivec(c["labels"]);
    for (const auto& at : c["at"])
      EXPECT_NEAR(f1_at_threshold(s, y, at["threshold"]), at["f1"].get<double>(), 1e-12);
    const ThresholdChoice best = best_f1_threshold(s, y, 100);
    EXPECT_NEAR(best.threshold, c["best_threshold"].get<double>(), 1e-12);
    EXPECT_NEAR(best.f1, c["best_f1"].get<double>(), 1e-12);
  }
  const Confusion k{3, 1, 4, 2};
  EXPECT_DOUBLE_EQ(accuracy(k), 0.7);
  EXPECT_DOUBLE_EQ(precision(k), 0.75);
  EXPECT_DOUBLE_EQ(recall(k), 0.6);
}

TEST(Stats, WilsonMatchesScipy) {
  const json fixture = load("wilson");  // kept alive for the loop
  for (const auto& c : fixture["cases"]) {
    const Interval w = wilson_interval(c["successes"], c["n"]);
    EXPECT_NEAR(w.lo, c["lo"].get<double>(), 1e-12) << c.dump();
    EXPECT_NEAR(w.hi, c["hi"].get<double>(), 1e-12) << c.dump();
  }
  EXPECT_THROW(wilson_interval(3, 2), Error);
}

TEST(Stats, LogisticMatchesSklearn) {
  const json fixture = load("logistic");  // kept alive for the loop
  for (const auto& c : fixture["cases"]) {
    const size_t rows = c["rows"], cols = c["cols"];
    const auto x = fvec(c["x"]);
    const auto y = ivec(c["labels"]);
    LogisticOptions o;
    o.C = c["C"];
    o.balanced = c["balanced"];
    const LogisticModel m = fit_logistic(x, rows, cols, y, o);
    EXPECT_TRUE(m.converged);
    const auto coef = vec(c["coef"]);
    double max_coef = 0;
    for (double v : coef) max_coef = std::max(max_coef, std::fabs(v));
    for (size_t k = 0; k < cols; ++k)
      EXPECT_NEAR(m.coef[k], coef[k], 1e-6 * max_coef) << "coef " << k << " " << c["balanced"];
    EXPECT_NEAR(m.intercept, c["intercept"].get<double>(), 1e-6 * std::max(1.0, max_coef));
    const auto xt = fvec(c["x_test"]);
    const auto p = predict_proba(m, xt, xt.size() / cols, cols);
    const auto want = vec(c["proba_test"]);
    for (size_t k = 0; k < want.size(); ++k) EXPECT_NEAR(p[k], want[k], 1e-5);
  }
}

TEST(Stats, LogisticRejectsOneClass) {
  const std::vector<float> x = {1, 2, 3, 4};
  EXPECT_THROW(fit_logistic(x, 4, 1, std::vector<int>{1, 1, 1, 1}), Error);
}

TEST(Stats, DirectionsMatchNumpy) {
  const json c = load("directions")["cases"][0];
  const size_t rows = c["rows"], cols = c["cols"];
  const auto x = fvec(c["x"]);
  const auto y = ivec(c["labels"]);
  const auto raw = mean_difference_direction(x, rows, cols, y, false);
  const auto unit = mean_difference_direction(x, rows, cols, y, true);
  const auto want_raw = vec(c["raw"]), want_unit = vec(c["unit"]), want_proj = vec(c["projection"]);
  for (size_t k = 0; k < cols; ++k) {
    EXPECT_NEAR(raw[k], want_raw[k], 1e-12);
    EXPECT_NEAR(unit[k], want_unit[k], 1e-12);
  }
  const auto proj = project_rows(x, rows, cols, unit);
  for (size_t r = 0; r < rows; ++r) EXPECT_NEAR(proj[r], want_proj[r], 1e-11);
}

TEST(Stats, BalancedSubsampleKeepsMinorityAndIsSeeded) {
  std::vector<int> y(100, 0);
  for (int i = 0; i < 100; i += 5) y[i] = 1;  // 20 positives
  const auto a = balanced_subsample(y, 7);
  const auto b = balanced_subsample(y, 7);
  const auto c = balanced_subsample(y, 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  ASSERT_EQ(a.size(), 40u);
  int pos = 0;
  for (size_t i : a) pos += y[i];
  EXPECT_EQ(pos, 20);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(std::set<size_t>(a.begin(), a.end()).size(), a.size());
  EXPECT_TRUE(balanced_subsample(std::vector<int>{1, 1}, 0).empty());
  // every majority item is drawn about equally often over seeds
  std::vector<int> hits(100, 0);
  for (uint64_t s = 0; s < 2000; ++s)
    for (size_t i : balanced_subsample(y, s)) ++hits[i];
  for (int i = 0; i < 100; ++i) {
    if (y[i] == 1)
      EXPECT_EQ(hits[i], 2000);
    else
      EXPECT_NEAR(hits[i], 500, 80) << i;  // 2000 * 20 / 80
  }
}

TEST(Stats, BootstrapCoversTheMean) {
  std::vector<double> x;
  SplitMix64 rng(3);
  for (int i = 0; i < 400; ++i) x.push_back(static_cast<double>(rng.below(1000)) / 100.0);
  auto stat = [&](std::span<const size_t> idx) {
    double s = 0;
    for (size_t i : idx) s += x[i];
    return s / static_cast<double>(idx.size());
  };
  const Interval ci = bootstrap_ci(x.size(), stat, 500, 0.95, 11);
  const double m = mean(x);
  const double se = stddev(x) / std::sqrt(400.0);
  EXPECT_LT(ci.lo, m);
  EXPECT_GT(ci.hi, m);
  // width close to the normal-theory 2 * 1.96 * se
  EXPECT_NEAR(ci.hi - ci.lo, 2 * 1.96 * se, 0.25 * 2 * 1.96 * se);
  const Interval again = bootstrap_ci(x.size(), stat, 500, 0.95, 11);
  EXPECT_EQ(ci.lo, again.lo);
  EXPECT_EQ(ci.hi, again.hi);
}

}  // namespace
}  // namespace knowscope::study
