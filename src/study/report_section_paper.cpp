// Report section: each headline number of the paper (paper-method.md §8) beside ours, with n and
// intervals. The rows are built into the data as "comparison" (so the page and the browser test
// read the same values); every value of ours is copied from the stage results by JSON pointer.
#include <cmath>

#include "study/report_html.h"

namespace knowscope::study::report {
namespace {

struct Item {
  Item(std::string l, std::string p, int d = 3, std::string c = "", std::string count = "")
      : label(std::move(l)),
        pointer(std::move(p)),
        digits(d),
        ci(std::move(c)),
        n(std::move(count)) {}
  std::string label, pointer;
  int digits = 3;
  std::string ci, n;  // pointers to a [lo, hi] interval and a count shown with the value
};

json item(const json& data, const Item& it) {
  json j = {{"label", it.label},
            {"from", it.pointer},
            {"value", at(data, it.pointer)},
            {"digits", it.digits}};
  if (!it.ci.empty() && at(data, it.ci).is_array()) j["ci"] = at(data, it.ci);
  if (!it.n.empty() && at(data, it.n).is_number()) j["n"] = at(data, it.n);
  return j;
}

// The refusal condition `name` of the set about `entities` entities; its pointer, or "".
std::string condition_ptr(const json& data, const std::string& entities, const std::string& name) {
  const json& sets = at(data, "/steering/refusal/sets");
  if (!sets.is_array()) return "";
  for (size_t i = 0; i < sets.size(); ++i) {
    if (sets[i].value("entities", "") != entities) continue;
    const auto& conds = sets[i].value("conditions", json::array());
    for (size_t c = 0; c < conds.size(); ++c)
      if (conds[c].value("name", "") == name)
        return "/steering/refusal/sets/" + std::to_string(i) + "/conditions/" + std::to_string(c);
  }
  return "";
}

std::vector<Item> rate_items(const json& data, const std::string& cond) {
  std::vector<Item> out;
  if (cond.empty()) return out;
  for (const auto& [t, v] : at(data, cond + "/per_type").items()) {
    const std::string p = cond + "/per_type/" + ptr_part(t);
    out.push_back({t, p + "/refusal_rate", 2, p + "/refusal_ci", p + "/n"});
  }
  return out;
}

std::string best_layer_ptr(const json& data, const std::string& key) {
  const json& layers = at(data, "/latents/layers");
  if (!layers.is_array() || layers.empty()) return "";
  size_t best = 0;
  for (size_t i = 1; i < layers.size(); ++i)
    if (layers[i].value(key, -1e9) > layers[best].value(key, -1e9)) best = i;
  return "/latents/layers/" + std::to_string(best);
}

std::string yesno_ptr(const json& data, const std::string& entities) {
  const json& sets = at(data, "/steering/yesno/sets");
  if (sets.is_array())
    for (size_t i = 0; i < sets.size(); ++i)
      if (sets[i].value("entities", "") == entities)
        return "/steering/yesno/sets/" + std::to_string(i) + "/per_type/all";
  return "";
}

std::string side_ptr(const json& data, const std::string& name) {
  const json& sides = at(data, "/heads/steer/sides");
  if (sides.is_array())
    for (size_t i = 0; i < sides.size(); ++i)
      if (sides[i].value("name", "") == name) return "/heads/steer/sides/" + std::to_string(i);
  return "";
}

}  // namespace

json build_comparison(const json& data) {
  json rows = json::array();
  auto row = [&](std::string no, std::string what, std::string paper, std::string paper_model,
                 std::vector<Item> items) {
    json r = {{"row", no},
              {"experiment", what},
              {"paper", paper},
              {"paper_model", paper_model},
              {"ours", json::array()}};
    for (const auto& it : items)
      if (!it.pointer.empty() && !at(data, it.pointer).is_null())
        r["ours"].push_back(item(data, it));
    rows.push_back(r);
  };
  std::vector<Item> counts;
  if (at(data, "/labels/counts").is_object())
    for (const auto& [t, v] : at(data, "/labels/counts").items()) {
      counts.push_back({t + " labelled", "/labels/counts/" + ptr_part(t) + "/total", 0});
      counts.push_back({t + " known", "/labels/counts/" + ptr_part(t) + "/known", 0});
      counts.push_back({t + " unknown", "/labels/counts/" + ptr_part(t) + "/unknown", 0});
    }
  row("1", "Dataset size (entities per type)", "player 7487 · movie 10895 · city 7904 · song 8448",
      "—", counts);
  const std::string bk = best_layer_ptr(data, "maxmin_known"),
                    bu = best_layer_ptr(data, "maxmin_unknown");
  row("2", "Separation-score profile: best MaxMin known / unknown and its layer",
      "known ≈ 0.65 at L13; unknown ≈ 0.29; plateau from ≈ L9", "Gemma 2 2B",
      bk.empty() ? std::vector<Item>{}
                 : std::vector<Item>{{"MaxMin known", bk + "/maxmin_known", 3},
                                     {"at layer", bk + "/layer", 0},
                                     {"MaxMin unknown", bu + "/maxmin_unknown", 3},
                                     {"at layer", bu + "/layer", 0}});
  row("3", "Top known / unknown latent (score = min over types; n scoring entities)",
      "L13F7957 / L15F11898", "Gemma 2 2B",
      {{"known latent", "/latents/known/0/id", 0},
       {"score", "/latents/known/0/score", 3},
       {"unknown latent", "/latents/unknown/0/id", 0},
       {"score", "/latents/unknown/0/score", 3},
       {"n known", "/latents/known/0/n_known", 0},
       {"n unknown", "/latents/known/0/n_unknown", 0}});
  row("6", "Refusal on unknown entities, unknown-latent steering",
      "100 · 97 · 92 · 82 /100 (P·C·M·S)", "Gemma 2 2B IT, α = 400",
      rate_items(data, condition_ptr(data, "unknown", "steer_unknown")));
  row("6b", "Refusal on unknown entities, original", "33 · 67 · 21 · 7 /100", "Gemma 2 2B IT",
      rate_items(data, condition_ptr(data, "unknown", "original")));
  row("7", "Refusal on unknown entities, known-latent steering", "14 · 20 · 8 · 10 /100",
      "Gemma 2 2B IT", rate_items(data, condition_ptr(data, "unknown", "steer_known")));
  row("8", "Refusal on unknown entities, orthogonalized model", "2 · 44 · 4 · 5 /100",
      "Gemma 2 2B IT", rate_items(data, condition_ptr(data, "unknown", "orthogonalized")));
  row("10", "Steering α (unknown latent) and its factor of the residual norm",
      "400–550 ≈ 2 × residual norm", "Gemma 2 IT",
      {{"α", "/steering/refusal/latents/unknown/alpha", 1},
       {"factor", "/steering/refusal/latents/unknown/factor", 2},
       {"mean ‖resid‖", "/steering/refusal/latents/unknown/mean_resid_norm", 1}});
  const std::string uk = side_ptr(data, "unknown_latent_on_known"),
                    ku = side_ptr(data, "known_latent_on_unknown");
  row("11", "Attention change, unknown latent on known prompts (mean dA)",
      "L18H5 ≈ −0.16, L20H3 ≈ −0.11", "Gemma 2 2B, α = 100",
      uk.empty() ? std::vector<Item>{}
                 : std::vector<Item>{{"mean dA", uk + "/latent/mean_dA", 4},
                                     {"n prompts", uk + "/n_prompts", 0}});
  row("12", "Attention significance: known latent ↑, random latents beaten", "10/10 (2B)",
      "Gemma 2 2B",
      ku.empty() ? std::vector<Item>{}
                 : std::vector<Item>{{"beaten", ku + "/beaten", 0}, {"of", ku + "/of", 0}});
  row("13", "Attention significance: unknown latent ↓, random latents beaten", "9/10 (2B)",
      "Gemma 2 2B",
      uk.empty() ? std::vector<Item>{}
                 : std::vector<Item>{{"beaten", uk + "/beaten", 0}, {"of", uk + "/of", 0}});
  const std::string yk = yesno_ptr(data, "known");
  row("14", "Yes/No logit difference, unknown latent on known prompts (orig → steered)",
      "≈ 6.3 → 4.6", "Gemma 2 9B",
      yk.empty() ? std::vector<Item>{}
                 : std::vector<Item>{{"original", yk + "/original/mean", 2},
                                     {"steered", yk + "/steered/mean", 2},
                                     {"n", yk + "/n", 0}});
  row("15", "Uncertainty latent as a classifier of wrong answers (AUROC / F1)", "73.2 / 72",
      "Gemma 2B IT (L13F3130)",
      {{"score", "/uncertainty/roc/0/name", 0},
       {"AUROC", "/uncertainty/roc/0/auroc", 3},
       {"F1", "/uncertainty/roc/0/f1", 3},
       {"n", "/uncertainty/roc/0/n", 0}});
  row("17", "Generic-text firing frequency of the top known / unknown latent", "0.006 / 0.005",
      "Gemma 2 2B (FineWeb)",
      {{"known", "/latents/known/0/generic_freq", 4},
       {"unknown", "/latents/unknown/0/generic_freq", 4},
       {"tokens", "/latents/counts/generic/tokens", 0}});
  return rows;
}

Section section_paper(const json& data) {
  Section s{"paper", "Beside the paper", ""};
  const json& rows = at(data, "/comparison");
  s.html =
      "<p>The paper's headline numbers (Ferrando et al., ICLR 2025; paper-method.md §8) and "
      "ours on this run's model. The models differ, so these are comparisons of shape, not "
      "replications of value.</p>\n<table><tr><th>#</th><th>experiment</th><th>paper</th>"
      "<th>paper's model</th><th>this run</th></tr>\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const json& r = rows[i];
    std::string ours;
    const auto& items = r.value("ours", json::array());
    for (size_t k = 0; k < items.size(); ++k) {
      const std::string p = "/comparison/" + std::to_string(i) + "/ours/" + std::to_string(k);
      const int digits = items[k].value("digits", 3);
      ours += (k ? "; " : "") + esc(items[k].value("label", "")) + " " +
              (items[k]["value"].is_number() ? num_span(data, p + "/value", digits)
                                             : "<b>" + esc(fmt(items[k]["value"])) + "</b>");
      if (items[k].contains("ci"))
        ours += " [" + num_span(data, p + "/ci/0", digits) + ", " +
                num_span(data, p + "/ci/1", digits) + "]";
      if (items[k].contains("n")) ours += " <small>n " + num_span(data, p + "/n") + "</small>";
    }
    if (items.empty()) ours = "<span class=\"missing\">not measured in this run</span>";
    s.html += "<tr><td>" + esc(r.value("row", "")) + "</td><td>" + esc(r.value("experiment", "")) +
              "</td><td>" + esc(r.value("paper", "")) + "</td><td>" +
              esc(r.value("paper_model", "")) + "</td><td>" + ours + "</td></tr>\n";
  }
  s.html += "</table>\n";
  return s;
}

}  // namespace knowscope::study::report
