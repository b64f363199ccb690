// The steering results JSON (docs/steering.md "Results JSON"): header, cells with Wilson
// intervals, and one body per stage.
#include <nlohmann/json.hpp>

#include "knowscope/model/model.h"
#include "knowscope/study/stats.h"
#include "knowscope/study/steering.h"

using ordered_json = nlohmann::ordered_json;

namespace knowscope::study {
namespace {

ordered_json latent_json(const SteerLatent& l, const SteerCalibration& cal, double factor) {
  return {{"id", l.id},
          {"layer", l.layer},
          {"latent", l.latent},
          {"hook", l.hook},
          {"sae_hook", l.sae_hook},
          {"raw_norm", l.raw_norm},
          {"mean_resid_norm", cal.mean_resid_norm},
          {"calibration_prompts", cal.n_prompts},
          {"factor", factor},
          {"alpha", factor * cal.mean_resid_norm}};
}

ordered_json ids(const std::vector<SteerLatent>& v) {
  ordered_json a = ordered_json::array();
  for (const auto& l : v) a.push_back(l.id);
  return a;
}

ordered_json header(const SteerContext& ctx, const char* stage, SteerPositions positions,
                    double seconds) {
  const Model& m = *ctx.model;
  ordered_json j;
  j["format"] = "knowscope-steering";
  j["version"] = 1;
  j["stage"] = stage;
  j["model"] = {{"name", ctx.model_name},
                {"path", m.path},
                {"arch", m.config.arch},
                {"chat", ctx.format == SteerFormat::chat}};
  j["prompt_format"] = steer_format_name(ctx.format);
  j["positions"] = steer_positions_name(positions);
  j["labels"] = ctx.labels_path;
  j["dataset"] = ctx.dataset;
  j["latents_file"] = ctx.latents.latents_file.empty() ? ordered_json(nullptr)
                                                       : ordered_json(ctx.latents.latents_file);
  j["sae_set"] = ctx.latents.sae_set;
  j["split"] = ctx.selection.split ? std::string(split_name(*ctx.selection.split)) : "all";
  j["balanced"] = ctx.selection.balanced;
  j["n_per_type"] = ctx.selection.n_per_type;
  j["max_new_tokens"] = ctx.max_new_tokens;
  j["seed"] = ctx.selection.seed;
  j["latents"] = {
      {"known", latent_json(ctx.latents.known, ctx.known_norm, ctx.factor_known)},
      {"unknown", latent_json(ctx.latents.unknown, ctx.unknown_norm, ctx.factor_unknown)}};
  j["random_controls"] = {{"known", ids(ctx.latents.random_known)},
                          {"unknown", ids(ctx.latents.random_unknown)}};
  ordered_json counts = ordered_json::object();
  for (const auto& [t, kc] : ctx.entity_counts) {
    int kp = 0, up = 0;
    for (const auto& p : ctx.known_prompts) kp += p.entity_type == t;
    for (const auto& p : ctx.unknown_prompts) up += p.entity_type == t;
    counts[t] = {{"known_entities", kc.first},
                 {"unknown_entities", kc.second},
                 {"known_prompts", kp},
                 {"unknown_prompts", up}};
  }
  j["counts"] = counts;
  j["seconds"] = seconds;
  return j;
}

ordered_json cell_json(const RateCell& c) {
  ordered_json j;
  j["n"] = c.n;
  auto put = [&](const char* name, int k) {
    const Interval ci = wilson_interval(size_t(k), size_t(c.n));
    j[name] = k;
    j[std::string(name) + "_rate"] = c.n ? double(k) / c.n : 0.0;
    j[std::string(name) + "_ci"] = {ci.lo, ci.hi};
  };
  j["refusals"] = c.refusals;
  j["refusal_rate"] = c.n ? double(c.refusals) / c.n : 0.0;
  const Interval rci = wilson_interval(size_t(c.refusals), size_t(c.n));
  j["refusal_ci"] = {rci.lo, rci.hi};
  put("correct", c.correct);
  put("degenerate", c.degenerate);
  put("answered", c.answered());
  return j;
}

ordered_json table_json(const RateTable& t) {
  ordered_json j = ordered_json::object();
  for (const auto& [name, c] : t) j[name] = cell_json(c);
  return j;
}

ordered_json mean_std(const std::vector<double>& v) {
  if (v.empty()) return {{"mean", nullptr}, {"std", nullptr}, {"n", 0}};
  return {{"mean", mean(v)}, {"std", stddev(v, 0)}, {"n", v.size()}};
}

ordered_json random_table_json(const std::vector<RateTable>& runs) {
  ordered_json j = ordered_json::object();
  if (runs.empty()) return j;
  for (size_t ti = 0; ti < runs[0].size(); ++ti) {
    std::vector<double> rr, cr;
    for (const auto& run : runs) {
      const RateCell& c = run[ti].second;
      rr.push_back(c.n ? double(c.refusals) / c.n : 0.0);
      cr.push_back(c.n ? double(c.correct) / c.n : 0.0);
    }
    j[runs[0][ti].first] = {{"n", runs[0][ti].second.n},     {"controls", runs.size()},
                            {"refusal_rate_mean", mean(rr)}, {"refusal_rate_std", stddev(rr, 0)},
                            {"correct_rate_mean", mean(cr)}, {"correct_rate_std", stddev(cr, 0)},
                            {"refusal_rates", rr},           {"correct_rates", cr}};
  }
  return j;
}

ordered_json example_json(const SteerExample& e, bool sweep) {
  ordered_json j;
  if (sweep) {
    j["factor"] = e.factor;
    j["alpha"] = e.alpha;
  } else {
    j["entities"] = e.entities;
    j["condition"] = e.condition;
    j["entity"] = e.entity;
    j["entity_type"] = e.entity_type;
    j["prompt_type"] = e.prompt_type;
    j["question"] = e.question;
  }
  j["completion"] = e.completion;
  j["refusal"] = e.refusal;
  j["correct"] = e.correct;
  return j;
}

ordered_json examples_json(const std::vector<SteerExample>& v) {
  ordered_json a = ordered_json::array();
  for (const auto& e : v) a.push_back(example_json(e, false));
  return a;
}

std::string dump(const ordered_json& j) {
  // Invalid UTF-8 in a completion must not stop the write.
  return j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

std::string to_json(const SteerContext& ctx, const RefusalResult& r) {
  ordered_json j = header(ctx, "refusal", r.positions, r.seconds);
  ordered_json sets = ordered_json::array();
  for (const auto& s : r.sets) {
    ordered_json conds = ordered_json::array();
    for (const auto& c : s.conditions) {
      ordered_json cj;
      cj["name"] = c.name;
      if (c.is_random()) {
        cj["latents"] = c.random;
        cj["alpha"] = c.alpha;
        cj["per_type"] = random_table_json(c.runs);
      } else {
        cj["latent"] = c.latent.empty() ? ordered_json(nullptr) : ordered_json(c.latent);
        cj["alpha"] = c.alpha;
        cj["per_type"] = table_json(c.runs.at(0));
      }
      conds.push_back(cj);
    }
    sets.push_back({{"entities", s.entities}, {"conditions", conds}});
  }
  j["sets"] = sets;

  ordered_json other = {{"known_latent_on_unknown", ordered_json::object()},
                        {"unknown_latent_on_known", ordered_json::object()}};
  for (const auto& s : r.sets) {
    const ConditionResult* orig = s.find("original");
    if (s.entities == "unknown") {
      if (const ConditionResult* c = s.find("steer_known"))
        for (const auto& [t, cell] : c->runs[0]) {
          const RateCell& o = table_cell(orig->runs[0], t);
          const Interval ci = wilson_interval(size_t(cell.answered()), size_t(cell.n));
          other["known_latent_on_unknown"][t] = {
              {"n", cell.n},
              {"answered", cell.answered()},
              {"answered_rate", cell.n ? double(cell.answered()) / cell.n : 0.0},
              {"answered_ci", {ci.lo, ci.hi}},
              {"degenerate", cell.degenerate},
              {"original_answered_rate", o.n ? double(o.answered()) / o.n : 0.0}};
        }
    } else if (const ConditionResult* c = s.find("steer_unknown")) {
      for (const auto& [t, cell] : c->runs[0]) {
        const RateCell& o = table_cell(orig->runs[0], t);
        const Interval ci = wilson_interval(size_t(cell.correct), size_t(cell.n));
        other["unknown_latent_on_known"][t] = {
            {"n", cell.n},
            {"correct", cell.correct},
            {"correct_rate", cell.n ? double(cell.correct) / cell.n : 0.0},
            {"correct_ci", {ci.lo, ci.hi}},
            {"original_correct_rate", o.n ? double(o.correct) / o.n : 0.0},
            {"refusal_rate", cell.n ? double(cell.refusals) / cell.n : 0.0}};
      }
    }
  }
  j["other_side"] = other;
  ordered_json ex = ordered_json::array();
  for (const auto& e : r.examples) ex.push_back(example_json(e, false));
  j["examples"] = ex;
  return dump(j);
}

std::string to_json(const SteerContext& ctx, const SweepResult& r) {
  ordered_json j = header(ctx, "sweep", r.positions, r.seconds);
  j["split"] = r.split;
  j["latent"] = "unknown";
  j["entities"] = r.entities;
  j["target"] = r.target;
  j["rule"] =
      "smallest positive factor with pooled refusal rate >= target; else the positive factor with "
      "the highest rate";
  j["chosen_factor"] = r.chosen_factor;
  j["chosen_alpha"] = r.chosen_alpha;
  j["target_reached"] = r.target_reached;
  j["raises_refusal"] = r.raises_refusal;
  ordered_json pts = ordered_json::array();
  for (const auto& p : r.points)
    pts.push_back({{"factor", p.factor}, {"alpha", p.alpha}, {"per_type", table_json(p.rates)}});
  j["points"] = pts;
  ordered_json ex;
  if (!r.example_rows.empty()) {
    const auto& e0 = r.example_rows[0];
    ex = {{"entity", e0.entity},
          {"entity_type", e0.entity_type},
          {"prompt_type", e0.prompt_type},
          {"question", e0.question}};
    ordered_json rows = ordered_json::array();
    for (const auto& e : r.example_rows) rows.push_back(example_json(e, true));
    ex["rows"] = rows;
  }
  j["example"] = ex;
  return dump(j);
}

std::string to_json(const SteerContext& ctx, const BalanceResult& r) {
  ordered_json j = header(ctx, "balance", r.positions, r.seconds);
  ordered_json pts = ordered_json::array();
  for (const auto& p : r.points)
    pts.push_back({{"coefficient", p.coefficient},
                   {"latent", p.latent.empty() ? ordered_json(nullptr) : ordered_json(p.latent)},
                   {"alpha", p.alpha},
                   {"unknown_entities", table_json(p.unknown_entities)},
                   {"known_entities", table_json(p.known_entities)},
                   {"examples", examples_json(p.examples)}});
  j["points"] = pts;
  return dump(j);
}

std::string to_json(const SteerContext& ctx, const YesNoResult& r) {
  ordered_json j = header(ctx, "yesno", r.positions, r.seconds);
  j["question_format"] = ctx.format == SteerFormat::chat ? "chat turn, assistant prefix 'Answer:'"
                                                         : "plain text + '\\nAnswer:'";
  j["yes_token"] = r.yes_token;
  j["no_token"] = r.no_token;
  ordered_json sets = ordered_json::array();
  for (const auto& s : r.sets) {
    ordered_json pt = ordered_json::object();
    for (const auto& [name, st] : s.per_type) {
      std::vector<double> pooled;
      for (const auto& v : st.random) pooled.insert(pooled.end(), v.begin(), v.end());
      ordered_json e = {{"n", st.original.size()},
                        {"original", mean_std(st.original)},
                        {"steered", mean_std(st.steered)},
                        {"random", mean_std(pooled)}};
      if (!st.original.empty()) {
        e["delta_steered"] = mean(st.steered) - mean(st.original);
        e["delta_random"] =
            pooled.empty() ? ordered_json(nullptr) : ordered_json(mean(pooled) - mean(st.original));
      }
      pt[name] = e;
    }
    sets.push_back({{"entities", s.entities},
                    {"steer", s.steer},
                    {"latent", s.latent},
                    {"alpha", s.alpha},
                    {"random_latents", s.random},
                    {"per_type", pt}});
  }
  j["sets"] = sets;
  return dump(j);
}

}  // namespace knowscope::study
