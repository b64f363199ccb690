// The uncertainty analysis on captured residuals: Welch-t scoring of every latent (error vs
// correct, train split, min over entity types), then the top latent and the baselines evaluated
// as classifiers of a wrong answer on the class-balanced test split.
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "knowscope/core/error.h"
#include "knowscope/hooks/hook_names.h"
#include "knowscope/sae/encode.h"
#include "knowscope/study/stats.h"
#include "knowscope/study/uncertainty.h"

namespace knowscope::study {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Welch's t needs two values per group; a type with fewer is not scored (t would be NaN -> 0 for
// every latent and decide the min over types).
constexpr size_t kMinPerClass = 2;

int error_label(PromptClass c) { return c == PromptClass::correct ? 0 : 1; }

Summary5 summarise(std::vector<double> v) {
  Summary5 s;
  s.n = v.size();
  if (v.empty()) {
    s.mean = s.median = s.q1 = s.q3 = s.max = kNaN;
    return s;
  }
  std::sort(v.begin(), v.end());
  auto q = [&](double f) {  // numpy.percentile, linear
    const double pos = f * double(v.size() - 1);
    const size_t i = size_t(std::floor(pos));
    return i + 1 >= v.size() ? v.back() : v[i] + (pos - double(i)) * (v[i + 1] - v[i]);
  };
  s.mean = mean(v);
  s.median = q(0.5);
  s.q1 = q(0.25);
  s.q3 = q(0.75);
  s.max = v.back();
  return s;
}

struct Candidate {
  double score = 0, diff = 0;
  size_t layer_index = 0;
  int64_t latent = 0;
  std::map<std::string, double> per_type;
  double mean_error = 0, mean_correct = 0;
};

// Higher score first, then the larger mean difference, then layer and latent order.
bool better(const Candidate& a, const Candidate& b) {
  if (a.score != b.score) return a.score > b.score;
  if (a.diff != b.diff) return a.diff > b.diff;
  if (a.layer_index != b.layer_index) return a.layer_index < b.layer_index;
  return a.latent < b.latent;
}

// Indices of `subset` (prompt indices) kept by class-balanced subsampling of their labels.
std::vector<size_t> balanced(const std::vector<size_t>& subset, const std::vector<int>& labels,
                             uint64_t seed) {
  std::vector<int> y;
  for (size_t i : subset) y.push_back(labels[i]);
  std::vector<size_t> out;
  for (size_t k : balanced_subsample(y, seed)) out.push_back(subset[k]);
  return out;
}

std::vector<double> pick(const std::vector<double>& v, const std::vector<size_t>& idx) {
  std::vector<double> out;
  for (size_t i : idx) out.push_back(v[i]);
  return out;
}
std::vector<int> pick(const std::vector<int>& v, const std::vector<size_t>& idx) {
  std::vector<int> out;
  for (size_t i : idx) out.push_back(v[i]);
  return out;
}

RocEntry evaluate(const std::string& name, const std::string& kind, const std::string& hook,
                  const std::vector<double>& scores, const std::vector<int>& labels,
                  const std::vector<size_t>& threshold_set, const std::vector<size_t>& test_set,
                  const std::vector<size_t>& test_all, const UncertaintyConfig& config) {
  RocEntry r;
  r.name = name;
  r.kind = kind;
  r.hook = hook;
  const auto ts = pick(scores, test_set);
  const auto ty = pick(labels, test_set);
  r.n = ts.size();
  for (int y : ty) (y ? r.n_error : r.n_correct)++;
  r.auroc = auroc(ts, ty);
  r.auroc_all_test = auroc(pick(scores, test_all), pick(labels, test_all));
  const RocCurve c = roc_curve(ts, ty);
  r.fpr = c.fpr;
  r.tpr = c.tpr;
  r.thresholds = c.thresholds;
  r.threshold = best_f1_threshold(pick(scores, threshold_set), pick(labels, threshold_set),
                                  config.n_thresholds)
                    .threshold;
  const Confusion k = confusion_at(ts, ty, r.threshold);
  r.f1 = f1_score(k);
  r.accuracy = accuracy(k);
  r.precision = precision(k);
  r.recall = recall(k);
  if (config.bootstrap > 0) {
    std::vector<double> s2;
    std::vector<int> y2;
    const Interval ci = bootstrap_ci(
        ts.size(),
        [&](std::span<const size_t> idx) {
          s2.clear();
          y2.clear();
          int pos = 0;
          for (size_t i : idx) {
            s2.push_back(ts[i]);
            y2.push_back(ty[i]);
            pos += ty[i];
          }
          if (pos == 0 || pos == int(idx.size())) return kNaN;
          return auroc(s2, y2);
        },
        config.bootstrap, 0.95, config.seed);
    if (!std::isnan(ci.lo)) r.auroc_ci = std::make_pair(ci.lo, ci.hi);
  }
  return r;
}

}  // namespace

UncertaintyResult analyse_uncertainty(std::span<const UncertaintyPrompt> prompts,
                                      std::span<const LayerResiduals> layers,
                                      const UncertaintyConfig& config) {
  UncertaintyResult r;
  r.config = config;
  r.n_prompts = prompts.size();
  const size_t n = prompts.size();
  std::vector<int> labels(n);
  for (size_t i = 0; i < n; ++i) {
    const UncertaintyPrompt& p = prompts[i];
    labels[i] = error_label(p.cls);
    ClassCounts& a = r.split_counts[std::string(split_name(p.split))];
    ClassCounts& b = r.type_counts[p.entity_type][std::string(split_name(p.split))];
    for (ClassCounts* c : {&a, &b}) {
      if (p.cls == PromptClass::correct) ++c->correct;
      if (p.cls == PromptClass::error) ++c->error;
      if (p.cls == PromptClass::error_known) ++c->error_known;
    }
  }
  for (const char* s : {"train", "validation", "test"}) r.split_counts[s];  // always listed

  // Scoring rows per type: train split, correct vs error (known-entity errors left out).
  std::map<std::string, std::pair<std::vector<size_t>, std::vector<size_t>>> groups;
  for (size_t i = 0; i < n; ++i) {
    const UncertaintyPrompt& p = prompts[i];
    auto& g = groups[p.entity_type];  // every type appears, so excluded types get listed
    if (p.split != SplitName::train || p.cls == PromptClass::error_known) continue;
    (p.cls == PromptClass::error ? g.first : g.second).push_back(i);
  }
  std::vector<std::string> scored;
  for (const auto& [type, g] : groups) {
    if (g.first.size() >= kMinPerClass && g.second.size() >= kMinPerClass)
      scored.push_back(type);
    else
      r.types_excluded.push_back(type);
  }
  r.types_scored = scored;
  if (scored.empty()) {
    r.status = "insufficient_data";
    r.reason =
        "no entity type has at least 2 correct and 2 error prompts (unknown entities) in "
        "the train split";
    return r;
  }

  // Score every latent of every layer; keep the `top` best overall and each layer's best.
  std::vector<Candidate> top;
  std::vector<std::vector<double>> best_column(layers.size());
  const size_t keep = size_t(std::max(1, config.top));
  for (size_t li = 0; li < layers.size(); ++li) {
    const LayerResiduals& L = layers[li];
    if (!L.sae) fail("analyse_uncertainty", L.sae_hook, "no SAE");
    if (L.resid.size() != n * size_t(L.d_model) || L.sae->d_in != L.d_model)
      fail("analyse_uncertainty", L.sae_hook, "residuals do not match the prompts and the SAE");
    const PaperLatent first = paper_latent_for(L.sae_hook, 0);
    const int64_t d_sae = L.sae->d_sae;
    std::vector<float> acts(n * size_t(d_sae));
    sae_encode_dense(*L.sae, L.resid.data(), int64_t(n), acts.data());
    std::vector<float> colmajor(acts.size());  // [d_sae, n] so each latent's values are contiguous
    for (size_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < d_sae; ++j) colmajor[size_t(j) * n + i] = acts[i * size_t(d_sae) + j];
    acts.clear();
    acts.shrink_to_fit();

    Candidate layer_best;
    bool have_best = false;
    std::vector<double> err, cor;
    for (int64_t j = 0; j < d_sae; ++j) {
      const float* col = colmajor.data() + size_t(j) * n;
      Candidate c;
      c.layer_index = li;
      c.latent = j;
      c.score = std::numeric_limits<double>::infinity();
      double sum_e = 0, sum_c = 0;
      size_t n_e = 0, n_c = 0;
      for (const std::string& type : scored) {
        const auto& g = groups.at(type);
        err.clear();
        cor.clear();
        for (size_t i : g.first) err.push_back(col[i]);
        for (size_t i : g.second) cor.push_back(col[i]);
        const double t = welch_t_test(err, cor).t;  // oriented: error > correct is positive
        c.per_type[type] = t;
        c.score = std::min(c.score, t);
        for (double v : err) sum_e += v;
        for (double v : cor) sum_c += v;
        n_e += err.size();
        n_c += cor.size();
      }
      c.mean_error = sum_e / double(n_e);
      c.mean_correct = sum_c / double(n_c);
      c.diff = c.mean_error - c.mean_correct;
      if (!have_best || better(c, layer_best)) {
        layer_best = c;
        have_best = true;
      }
      if (top.size() < keep || better(c, top.back())) {
        top.insert(std::upper_bound(top.begin(), top.end(), c, better), c);
        if (top.size() > keep) top.pop_back();
      }
    }
    best_column[li].assign(colmajor.begin() + size_t(layer_best.latent) * n,
                           colmajor.begin() + size_t(layer_best.latent + 1) * n);
    LayerBest lb;
    lb.layer = first.layer;
    lb.hook = first.resid_pre_hook();
    lb.sae_hook = L.sae_hook;
    lb.d_sae = d_sae;
    lb.best = PaperLatent{first.layer, layer_best.latent}.str();
    lb.best_score = layer_best.score;
    r.layers.push_back(lb);
  }
  if (top.empty()) {
    r.status = "insufficient_data";
    r.reason = "the SAE set has no layers";
    return r;
  }
  for (const Candidate& c : top) {
    const LayerResiduals& L = layers[c.layer_index];
    const PaperLatent pl = paper_latent_for(L.sae_hook, c.latent);
    LatentScore s;
    s.id = pl.str();
    s.layer = pl.layer;
    s.latent = c.latent;
    s.hook = pl.resid_pre_hook();
    s.sae_hook = L.sae_hook;
    s.score = c.score;
    s.per_type = c.per_type;
    s.mean_error = c.mean_error;
    s.mean_correct = c.mean_correct;
    r.top_latents.push_back(std::move(s));
  }
  const Candidate& best = top.front();
  const LayerResiduals& best_layer = layers[best.layer_index];
  const std::vector<double>& latent_scores = best_column[best.layer_index];
  {
    std::map<std::string, std::vector<double>> by_class;
    for (size_t i = 0; i < n; ++i)
      by_class[std::string(prompt_class_name(prompts[i].cls))].push_back(latent_scores[i]);
    for (const char* c : {"correct", "error", "error_known"})
      r.top_activation[c] = summarise(by_class[c]);
  }

  // Evaluation sets: balanced test; threshold on balanced validation, else balanced train.
  std::vector<size_t> train_all, val_all, test_all;
  for (size_t i = 0; i < n; ++i)
    (prompts[i].split == SplitName::train        ? train_all
     : prompts[i].split == SplitName::validation ? val_all
                                                 : test_all)
        .push_back(i);
  const std::vector<size_t> test = balanced(test_all, labels, config.seed);
  const std::vector<size_t> val = balanced(val_all, labels, config.seed);
  r.test_unbalanced = test_all.size();
  r.test_n = test.size();
  for (size_t i : test) (labels[i] ? r.test_error : r.test_correct)++;
  r.val_n = val.size();
  for (size_t i : val) (labels[i] ? r.val_error : r.val_correct)++;
  std::vector<size_t> threshold_set = val;
  if (val.empty()) {
    threshold_set = balanced(train_all, labels, config.seed);
    r.threshold_split = "train";
    r.notes.push_back(
        "validation lacks a class: the F1 threshold is chosen on the balanced train "
        "split");
  }
  if (test.empty() || threshold_set.empty()) {
    r.status = "insufficient_data";
    r.reason = test.empty() ? "the test split lacks correct or error prompts"
                            : "neither validation nor train has both classes for the threshold";
    return r;
  }

  const PaperLatent pl = paper_latent_for(best_layer.sae_hook, best.latent);
  r.roc.push_back(evaluate(pl.str(), "latent", pl.resid_pre_hook(), latent_scores, labels,
                           threshold_set, test, test_all, config));

  // Probe on the residual at the top latent's hook, trained on the scoring rows of train.
  {
    std::vector<float> x;
    std::vector<int> y;
    const size_t d = size_t(best_layer.d_model);
    for (size_t i : train_all) {
      if (prompts[i].cls == PromptClass::error_known) continue;
      x.insert(x.end(), best_layer.resid.begin() + long(i * d),
               best_layer.resid.begin() + long((i + 1) * d));
      y.push_back(labels[i]);
    }
    const int pos = int(std::count(y.begin(), y.end(), 1));
    if (pos == 0 || pos == int(y.size())) {
      r.notes.push_back("probe not trained: the train split has one class only");
    } else {
      LogisticOptions o;
      o.balanced = true;
      o.max_iter = 10000;
      const LogisticModel m = fit_logistic(x, y.size(), d, y, o);
      if (!m.converged) r.notes.push_back("probe: L-BFGS did not reach its tolerance");
      const std::vector<double> p = predict_proba(m, best_layer.resid, n, d);
      r.roc.push_back(evaluate("logistic probe", "probe", best_layer.sae_hook, p, labels,
                               threshold_set, test, test_all, config));
    }
  }

  if (config.greedy_tokens > 0) {
    std::vector<double> first(n), meanlp(n);
    bool finite = true;
    for (size_t i = 0; i < n; ++i) {
      first[i] = 1 - prompts[i].first_token_prob;
      meanlp[i] = -prompts[i].mean_logprob;
      finite = finite && std::isfinite(first[i]) && std::isfinite(meanlp[i]);
    }
    if (finite) {
      r.roc.push_back(evaluate("1 - p(first greedy token)", "greedy_first_token", "", first, labels,
                               threshold_set, test, test_all, config));
      r.roc.push_back(evaluate("-mean log p(greedy answer)", "greedy_mean_logprob", "", meanlp,
                               labels, threshold_set, test, test_all, config));
    } else {
      r.notes.push_back("greedy-answer baselines skipped: no greedy answer probabilities");
    }
  }
  return r;
}

}  // namespace knowscope::study
