// uncertainty.json (docs/uncertainty.md) and the one-screen summary.
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "knowscope/study/uncertainty.h"

namespace knowscope::study {
namespace {

using nlohmann::ordered_json;

// Non-finite numbers become null (JSON has no inf / nan).
ordered_json number(double v) { return std::isfinite(v) ? ordered_json(v) : ordered_json(); }

ordered_json numbers(const std::vector<double>& v) {
  ordered_json a = ordered_json::array();
  for (double x : v) a.push_back(number(x));
  return a;
}

ordered_json counts_json(const ClassCounts& c) {
  return {{"correct", c.correct}, {"error", c.error}, {"error_known", c.error_known}};
}

ordered_json latent_json(const LatentScore& s) {
  ordered_json per_type = ordered_json::object();
  for (const auto& [t, v] : s.per_type) per_type[t] = number(v);
  return {{"id", s.id},
          {"layer", s.layer},
          {"latent", s.latent},
          {"hook", s.hook},
          {"sae_hook", s.sae_hook},
          {"score", number(s.score)},
          {"per_type", per_type},
          {"mean_error", number(s.mean_error)},
          {"mean_correct", number(s.mean_correct)}};
}

ordered_json roc_json(const RocEntry& e) {
  ordered_json j = {
      {"name", e.name}, {"kind", e.kind}, {"hook", e.hook}, {"auroc", number(e.auroc)}};
  j["auroc_ci"] = e.auroc_ci
                      ? ordered_json::array({number(e.auroc_ci->first), number(e.auroc_ci->second)})
                      : ordered_json();
  j["auroc_all_test"] = number(e.auroc_all_test);
  j["f1"] = number(e.f1);
  j["threshold"] = number(e.threshold);
  j["accuracy"] = number(e.accuracy);
  j["precision"] = number(e.precision);
  j["recall"] = number(e.recall);
  j["n"] = e.n;
  j["n_error"] = e.n_error;
  j["n_correct"] = e.n_correct;
  j["fpr"] = numbers(e.fpr);
  j["tpr"] = numbers(e.tpr);
  j["thresholds"] = numbers(e.thresholds);
  return j;
}

}  // namespace

std::string UncertaintyResult::to_json() const {
  ordered_json j;
  j["format"] = "knowscope.uncertainty";
  j["version"] = 1;
  j["status"] = status;
  j["reason"] = reason;
  j["model"] = model;
  j["sae_set"] = sae_set;
  j["labels"] = labels;
  j["labels_format"] = labels_format;
  j["prompt_format"] = prompt_format;
  j["position"] = {{"rule", position_rule},
                   {"example_prompt", example_prompt},
                   {"example_token", example_token}};
  j["config"] = {{"include_other", config.include_other},
                 {"per_type", config.per_type},
                 {"seed", config.seed},
                 {"n_thresholds", config.n_thresholds},
                 {"greedy_tokens", config.greedy_tokens},
                 {"bootstrap", config.bootstrap},
                 {"top", config.top}};
  ordered_json splits = ordered_json::object();
  for (const char* s : {"train", "validation", "test"}) {
    auto it = split_counts.find(s);
    splits[s] = counts_json(it == split_counts.end() ? ClassCounts{} : it->second);
  }
  ordered_json per_type = ordered_json::object();
  for (const auto& [type, m] : type_counts) {
    ordered_json t = ordered_json::object();
    for (const auto& [s, c] : m) t[s] = counts_json(c);
    per_type[type] = t;
  }
  j["counts"] = {{"prompts", n_prompts},
                 {"excluded_refusal", excluded_refusal},
                 {"splits", splits},
                 {"per_type", per_type}};
  j["types_scored"] = types_scored;
  j["types_excluded"] = types_excluded;
  ordered_json ls = ordered_json::array();
  for (const LayerBest& l : layers)
    ls.push_back({{"layer", l.layer},
                  {"hook", l.hook},
                  {"sae_hook", l.sae_hook},
                  {"d_sae", l.d_sae},
                  {"best", l.best},
                  {"best_score", number(l.best_score)}});
  j["layers"] = ls;
  ordered_json top = ordered_json::array();
  for (const LatentScore& s : top_latents) top.push_back(latent_json(s));
  j["top_latents"] = top;
  if (top_latents.empty()) {
    j["top_latent"] = nullptr;
  } else {
    ordered_json t = latent_json(top_latents.front());
    ordered_json act = ordered_json::object();
    for (const auto& [cls, s] : top_activation)
      act[cls] = {{"n", s.n},           {"mean", number(s.mean)}, {"median", number(s.median)},
                  {"q1", number(s.q1)}, {"q3", number(s.q3)},     {"max", number(s.max)}};
    t["activation"] = act;
    j["top_latent"] = t;
  }
  j["evaluation"] = {
      {"threshold_split", threshold_split},
      {"test",
       {{"n", test_n},
        {"n_error", test_error},
        {"n_correct", test_correct},
        {"n_unbalanced", test_unbalanced},
        {"seed", config.seed}}},
      {"validation", {{"n", val_n}, {"n_error", val_error}, {"n_correct", val_correct}}}};
  ordered_json roc_list = ordered_json::array();
  for (const RocEntry& e : roc) roc_list.push_back(roc_json(e));
  j["roc"] = roc_list;
  j["paper"] = {{"model", "gemma-2b-it"}, {"latent", "L13F3130"}, {"auroc", 0.732}, {"f1", 0.72}};
  j["notes"] = notes;
  j["seconds"] = number(seconds);
  return j.dump(1) + "\n";
}

std::string format_uncertainty_summary(const UncertaintyResult& r) {
  std::string s;
  char buf[256];
  s += "uncertainty: " + r.model + ", prompts " + r.prompt_format + " (" + r.position_rule + "), " +
       std::to_string(r.n_prompts) + " prompts, " + std::to_string(r.excluded_refusal) +
       " greedy refusals excluded\n";
  for (const char* sp : {"train", "validation", "test"}) {
    auto it = r.split_counts.find(sp);
    const ClassCounts c = it == r.split_counts.end() ? ClassCounts{} : it->second;
    std::snprintf(buf, sizeof buf, "  %-10s correct %4d  error %4d  error(known entity) %4d\n", sp,
                  c.correct, c.error, c.error_known);
    s += buf;
  }
  if (!r.types_scored.empty()) {
    s += "  types scored:";
    for (const auto& t : r.types_scored) s += " " + t;
    if (!r.types_excluded.empty()) {
      s += "; excluded (< 2 prompts of a class in train):";
      for (const auto& t : r.types_excluded) s += " " + t;
    }
    s += "\n";
  }
  if (r.status != "ok") s += "status: " + r.status + ": " + r.reason + "\n";
  for (size_t i = 0; i < r.top_latents.size() && i < 5; ++i) {
    const LatentScore& l = r.top_latents[i];
    std::snprintf(
        buf, sizeof buf, "  #%zu %s on %s (SAE %s): min t %.3f, mean error %.3f vs %.3f\n", i + 1,
        l.id.c_str(), l.hook.c_str(), l.sae_hook.c_str(), l.score, l.mean_error, l.mean_correct);
    s += buf;
  }
  if (!r.roc.empty()) {
    std::snprintf(buf, sizeof buf,
                  "  balanced test: n %zu (%zu error, %zu correct); threshold on %s\n", r.test_n,
                  r.test_error, r.test_correct, r.threshold_split.c_str());
    s += buf;
    for (const RocEntry& e : r.roc) {
      std::snprintf(buf, sizeof buf, "  %-28s AUROC %.3f", e.name.c_str(), e.auroc);
      s += buf;
      if (e.auroc_ci) {
        std::snprintf(buf, sizeof buf, " [%.3f, %.3f]", e.auroc_ci->first, e.auroc_ci->second);
        s += buf;
      }
      std::snprintf(buf, sizeof buf, "  F1 %.3f  (AUROC on all %zu test prompts %.3f)\n", e.f1,
                    r.test_unbalanced, e.auroc_all_test);
      s += buf;
    }
    s += "  paper (Gemma 2B IT, L13F3130): AUROC 0.732, F1 0.72\n";
  }
  for (const auto& n : r.notes) s += "  note: " + n + "\n";
  return s;
}

}  // namespace knowscope::study
