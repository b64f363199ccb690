// ROC curves, AUROC and F1 for binary scores, following sklearn's definitions.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "knowscope/core/error.h"
#include "knowscope/study/stats.h"

namespace knowscope::study {
namespace {

void check_binary(std::span<const double> scores, std::span<const int> labels, const char* where) {
  if (scores.size() != labels.size())
    fail(where, "labels",
         "has " + std::to_string(labels.size()) + " entries for " + std::to_string(scores.size()) +
             " scores");
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] != 0 && labels[i] != 1)
      fail(where, "labels[" + std::to_string(i) + "]",
           "must be 0 or 1, got " + std::to_string(labels[i]));
  for (size_t i = 0; i < scores.size(); ++i)
    if (std::isnan(scores[i])) fail(where, "scores[" + std::to_string(i) + "]", "is NaN");
}

}  // namespace

RocCurve roc_curve(std::span<const double> scores, std::span<const int> labels) {
  check_binary(scores, labels, "roc_curve");
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t i, size_t j) { return scores[i] > scores[j]; });
  RocCurve c;
  c.fpr.push_back(0);
  c.tpr.push_back(0);
  c.thresholds.push_back(std::numeric_limits<double>::infinity());
  double tp = 0, fp = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    (labels[order[k]] == 1 ? tp : fp) += 1;
    // one point at the last index of each run of equal scores
    if (k + 1 == order.size() || scores[order[k + 1]] != scores[order[k]]) {
      c.tpr.push_back(tp);
      c.fpr.push_back(fp);
      c.thresholds.push_back(scores[order[k]]);
    }
  }
  if (tp == 0 || fp == 0)
    fail("roc_curve", "labels",
         "needs both classes (positives " + std::to_string(int(tp)) + ", negatives " +
             std::to_string(int(fp)) + ")");
  for (double& v : c.tpr) v /= tp;
  for (double& v : c.fpr) v /= fp;
  return c;
}

double auroc(std::span<const double> scores, std::span<const int> labels) {
  const RocCurve c = roc_curve(scores, labels);
  double area = 0;  // trapezoids, as sklearn.metrics.auc
  for (size_t i = 1; i < c.fpr.size(); ++i)
    area += (c.fpr[i] - c.fpr[i - 1]) * (c.tpr[i] + c.tpr[i - 1]) / 2;
  return area;
}

Confusion confusion_at(std::span<const double> scores, std::span<const int> labels,
                       double threshold) {
  check_binary(scores, labels, "confusion_at");
  Confusion c;
  for (size_t i = 0; i < scores.size(); ++i) {
    const bool predicted = scores[i] >= threshold;
    if (labels[i] == 1)
      ++(predicted ? c.tp : c.fn);
    else
      ++(predicted ? c.fp : c.tn);
  }
  return c;
}

double f1_score(const Confusion& c) {
  const double denom = 2.0 * c.tp + c.fp + c.fn;
  return denom == 0 ? 0 : 2.0 * c.tp / denom;
}

double accuracy(const Confusion& c) {
  const size_t n = c.tp + c.fp + c.tn + c.fn;
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  return static_cast<double>(c.tp + c.tn) / static_cast<double>(n);
}

double precision(const Confusion& c) {
  return c.tp + c.fp == 0 ? 0 : static_cast<double>(c.tp) / static_cast<double>(c.tp + c.fp);
}

double recall(const Confusion& c) {
  return c.tp + c.fn == 0 ? 0 : static_cast<double>(c.tp) / static_cast<double>(c.tp + c.fn);
}

double f1_at_threshold(std::span<const double> scores, std::span<const int> labels,
                       double threshold) {
  return f1_score(confusion_at(scores, labels, threshold));
}

ThresholdChoice best_f1_threshold(std::span<const double> scores, std::span<const int> labels,
                                  int n_thresholds) {
  check_binary(scores, labels, "best_f1_threshold");
  if (scores.empty()) fail("best_f1_threshold", "scores", "is empty");
  if (n_thresholds < 1) fail("best_f1_threshold", "n_thresholds", "must be at least 1");
  const auto [lo_it, hi_it] = std::minmax_element(scores.begin(), scores.end());
  const double lo = *lo_it, hi = *hi_it;
  const double step = n_thresholds > 1 ? (hi - lo) / (n_thresholds - 1) : 0;
  ThresholdChoice best{lo, -1};
  for (int i = 0; i < n_thresholds; ++i) {
    // numpy.linspace: start + i * step, the last one exactly stop
    const double threshold = (i == n_thresholds - 1 && n_thresholds > 1) ? hi : lo + i * step;
    const double f1 = f1_at_threshold(scores, labels, threshold);
    if (f1 > best.f1) best = {threshold, f1};
  }
  return best;
}

}  // namespace knowscope::study
