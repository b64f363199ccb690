// Probe baselines on the raw residual stream (not in the paper, paper-method.md 7): per layer a
// difference-of-means direction and an L2 logistic regression, trained on the train split and
// evaluated on the held-out entities (validation + test).
#include <algorithm>
#include <cmath>
#include <limits>

#include "knowscope/study/stats.h"
#include "study/latents_internal.h"

namespace knowscope::study::latents_detail {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double auroc_or_nan(const std::vector<double>& scores, const std::vector<int>& labels) {
  bool pos = false, neg = false;
  for (int y : labels) (y ? pos : neg) = true;
  return pos && neg ? auroc(scores, labels) : kNaN;
}

double accuracy_at(const std::vector<double>& scores, const std::vector<int>& labels,
                   double threshold) {
  if (scores.empty()) return kNaN;
  size_t right = 0;
  for (size_t i = 0; i < scores.size(); ++i) right += (scores[i] >= threshold) == (labels[i] == 1);
  return double(right) / double(scores.size());
}

void add_count(TypeCounts& c, const EntityRow& e) {
  auto& p = c.per_type[e.entity_type];
  (e.known ? p.first : p.second)++;
  (e.known ? c.known : c.unknown)++;
}

}  // namespace

double mean_within_type_auroc(const std::vector<double>& scores, const std::vector<int>& labels,
                              const std::vector<int>& type_of_row) {
  int max_type = -1;
  for (int t : type_of_row) max_type = std::max(max_type, t);
  double sum = 0;
  int n = 0;
  for (int t = 0; t <= max_type; ++t) {
    std::vector<double> s;
    std::vector<int> y;
    for (size_t i = 0; i < scores.size(); ++i)
      if (type_of_row[i] == t) {
        s.push_back(scores[i]);
        y.push_back(labels[i]);
      }
    const double a = auroc_or_nan(s, y);
    if (std::isnan(a)) continue;
    sum += a;
    ++n;
  }
  return n ? sum / n : kNaN;
}

void run_probes(const std::vector<ScoredLayer>& layers, const std::vector<EntityRow>& entities,
                int64_t d_model, LatentsResult& result) {
  std::vector<size_t> train, held;
  for (size_t i = 0; i < entities.size(); ++i) {
    if (!entities[i].split) continue;
    if (*entities[i].split == SplitName::train) {
      train.push_back(i);
      add_count(result.probe_train, entities[i]);
    } else {
      held.push_back(i);
      add_count(result.probe_heldout, entities[i]);
    }
  }
  std::vector<int> y_train, y_held, type_held;
  for (size_t i : train) y_train.push_back(entities[i].known ? 1 : 0);
  for (size_t i : held) {
    y_held.push_back(entities[i].known ? 1 : 0);
    type_held.push_back(entities[i].type_index);
  }
  const bool trainable = result.probe_train.known > 0 && result.probe_train.unknown > 0;
  if (!trainable)
    result.notes.push_back("probes: the train split lacks known or unknown entities; not trained");
  const size_t d = size_t(d_model);
  for (const ScoredLayer& sl : layers) {
    ProbeLayer p;
    p.layer = sl.layer;
    p.hook = sl.hook;
    p.diff_means = {kNaN, kNaN, kNaN};
    p.logistic = {kNaN, kNaN, kNaN};
    p.logistic_train_accuracy = kNaN;
    if (trainable) {
      std::vector<float> xt(train.size() * d), xh(held.size() * d);
      for (size_t r = 0; r < train.size(); ++r)
        std::copy_n(sl.entity_x.data() + train[r] * d, d, xt.data() + r * d);
      for (size_t r = 0; r < held.size(); ++r)
        std::copy_n(sl.entity_x.data() + held[r] * d, d, xh.data() + r * d);
      // Difference of means, threshold halfway between the projected class means on train.
      const auto dir = mean_difference_direction(xt, train.size(), d, y_train, true);
      const auto pt = project_rows(xt, train.size(), d, dir);
      double mk = 0, mu = 0;
      for (size_t r = 0; r < pt.size(); ++r) (y_train[r] ? mk : mu) += pt[r];
      mk /= double(result.probe_train.known);
      mu /= double(result.probe_train.unknown);
      const auto ph = project_rows(xh, held.size(), d, dir);
      p.diff_means.accuracy = accuracy_at(ph, y_held, 0.5 * (mk + mu));
      p.diff_means.auroc = auroc_or_nan(ph, y_held);
      p.diff_means.auroc_within_type = mean_within_type_auroc(ph, y_held, type_held);
      // L2 logistic regression, sklearn defaults (C = 1, lbfgs), raw features.
      const LogisticModel lr = fit_logistic(xt, train.size(), d, y_train);
      p.logistic_train_accuracy = accuracy_at(predict_proba(lr, xt, train.size(), d), y_train, 0.5);
      const auto prob = predict_proba(lr, xh, held.size(), d);
      p.logistic.accuracy = accuracy_at(prob, y_held, 0.5);
      p.logistic.auroc = auroc_or_nan(prob, y_held);
      p.logistic.auroc_within_type = mean_within_type_auroc(prob, y_held, type_held);
    }
    result.probes.push_back(p);
  }
}

}  // namespace knowscope::study::latents_detail
