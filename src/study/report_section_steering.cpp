// Report sections: refusal and hallucination under steering (with random-latent controls and
// the orthogonalized model), the balance curve, the calibration sweep and the yes/no probe.
#include "study/report_html.h"

namespace knowscope::study::report {
namespace {

// "0.35 [0.18, 0.57] (n 20)" for a cell's rate, as checkable spans.
std::string rate_cell(const json& data, const std::string& cell, const std::string& key) {
  const json& c = at(data, cell);
  if (!c.is_object()) return "<td></td>";
  if (c.contains(key + "_rate_mean"))  // random cell: mean ± std over controls
    return "<td>" + num_span(data, cell + "/" + key + "_rate_mean", 2) + " ± " +
           num_span(data, cell + "/" + key + "_rate_std", 2) + " <small>(n " +
           num_span(data, cell + "/n") + ", " + num_span(data, cell + "/controls") +
           " latents)</small></td>";
  return "<td>" + num_span(data, cell + "/" + key + "_rate", 2) + " <small>[" +
         num_span(data, cell + "/" + key + "_ci/0", 2) + ", " +
         num_span(data, cell + "/" + key + "_ci/1", 2) + "] n " + num_span(data, cell + "/n") +
         "</small></td>";
}

std::string latent_line(const json& data) {
  std::string h;
  for (const char* side : {"known", "unknown"}) {
    const std::string p = std::string("/steering/refusal/latents/") + side;
    if (!at(data, p).is_object()) continue;
    h += "<li>" + std::string(side) + " latent <b>" + esc(fmt(at(data, p + "/id"))) +
         "</b> at <code>" + esc(fmt(at(data, p + "/hook"))) +
         "</code>: α = " + num_span(data, p + "/alpha", 1) + " = " +
         num_span(data, p + "/factor", 2) + " × mean ‖resid‖ " +
         num_span(data, p + "/mean_resid_norm", 1) + " (raw |W_dec| " +
         num_span(data, p + "/raw_norm", 3) + ")</li>";
  }
  return h.empty() ? "" : "<ul>" + h + "</ul>\n";
}

}  // namespace

Section section_refusal(const json& data) {
  Section s{"refusal", "Refusal and hallucination under steering", ""};
  std::string& h = s.html;
  const json& sets = at(data, "/steering/refusal/sets");
  if (!sets.is_array() || sets.empty()) {
    h = missing_note(data, "steering", "refusal rates");
    return s;
  }
  const json& r = at(data, "/steering/refusal");
  h += "<p>Prompts: " + esc(r.value("prompt_format", "")) + " format, steering at " +
       esc(r.value("positions", "")) + ", greedy, " + esc(fmt(r.value("max_new_tokens", json()))) +
       " new tokens, " + esc(r.value("split", "")) +
       " split. Intervals: Wilson 95%; random "
       "controls: mean ± std over latents of the same layer with score 0.</p>\n" +
       latent_line(data);
  for (size_t si = 0; si < sets.size(); ++si) {
    const std::string sp = "/steering/refusal/sets/" + std::to_string(si);
    const std::string ents = sets[si].value("entities", "");
    h += "<h3>Prompts about " + esc(ents) + " entities</h3>\n" +
         canvas("chart-refusal-" + ents, "refusal", ents);
    const json& conds = sets[si].value("conditions", json::array());
    if (conds.empty()) continue;
    std::vector<std::string> types;
    const json per_type0 = conds[0].value("per_type", json::object());
    for (const auto& [t, v] : per_type0.items())
      if (t != "all") types.push_back(t);
    types.push_back("all");
    h += "<table><tr><th>condition</th><th>latent</th><th>α</th>";
    for (const auto& t : types) h += "<th>refusal: " + esc(t) + "</th>";
    h += "</tr>\n";
    for (size_t ci = 0; ci < conds.size(); ++ci) {
      const std::string cp = sp + "/conditions/" + std::to_string(ci);
      const json& c = conds[ci];
      std::string lat = c.contains("latent") ? fmt(c["latent"]) : "";
      if (c.contains("latents") && c["latents"].is_array())
        lat = std::to_string(c["latents"].size()) + " random";
      h += "<tr><th>" + esc(c.value("name", "")) + "</th><td>" + esc(lat) + "</td>" +
           num_td(data, cp + "/alpha", 1);
      for (const auto& t : types) h += rate_cell(data, cp + "/per_type/" + ptr_part(t), "refusal");
      h += "</tr>\n";
    }
    h += "</table>\n";
  }
  const json& other = at(data, "/steering/refusal/other_side");
  if (other.is_object()) {
    h += "<h3>The other side: hallucination and accuracy</h3>\n";
    if (other.contains("known_latent_on_unknown")) {
      h += "<p>Known-latent steering on unknown entities: rate of confident (non-refusing) "
           "answers.</p><table><tr><th>type</th><th>answered, steered</th><th>answered, "
           "original</th></tr>\n";
      for (const auto& [t, v] : other["known_latent_on_unknown"].items()) {
        const std::string p = "/steering/refusal/other_side/known_latent_on_unknown/" + ptr_part(t);
        h += "<tr><th>" + esc(t) + "</th>" + rate_cell(data, p, "answered") +
             num_td(data, p + "/original_answered_rate", 2) + "</tr>\n";
      }
      h += "</table>\n";
    }
    if (other.contains("unknown_latent_on_known")) {
      h += "<p>Unknown-latent steering on known entities: accuracy.</p><table><tr><th>type</th>"
           "<th>correct, steered</th><th>correct, original</th><th>refusal, steered</th></tr>\n";
      for (const auto& [t, v] : other["unknown_latent_on_known"].items()) {
        const std::string p = "/steering/refusal/other_side/unknown_latent_on_known/" + ptr_part(t);
        h += "<tr><th>" + esc(t) + "</th>" + rate_cell(data, p, "correct") +
             num_td(data, p + "/original_correct_rate", 2) + num_td(data, p + "/refusal_rate", 2) +
             "</tr>\n";
      }
      h += "</table>\n";
    }
  }
  const json& examples = at(data, "/steering/refusal/examples");
  if (examples.is_array() && !examples.empty()) {
    h += "<h3>Examples</h3><table><tr><th>set</th><th>condition</th><th>question</th>"
         "<th>completion</th><th>refusal</th></tr>\n";
    for (const auto& e : examples)
      h += "<tr><td>" + esc(e.value("entities", "")) + "</td><td>" + esc(e.value("condition", "")) +
           "</td><td>" + esc(e.value("question", "")) + "</td><td><code>" +
           esc(e.value("completion", "")) + "</code></td><td>" +
           esc(fmt(e.value("refusal", json()))) + "</td></tr>\n";
    h += "</table>\n";
  }
  return s;
}

Section section_balance(const json& data) {
  Section s{"balance", "The balance knob", ""};
  std::string& h = s.html;
  const json& points = at(data, "/steering/balance/points");
  if (!points.is_array() || points.empty()) {
    h += missing_note(data, "steering", "the balance curve");
  } else {
    h += "<p>One signed coefficient c (in units of the mean residual norm) moves from the known "
         "direction (c &lt; 0) to the unknown direction (c &gt; 0): refusal on unknown entities "
         "against correct answers on known entities.</p>\n" +
         canvas("chart-balance", "balance") +
         "<table><tr><th>c</th><th>latent</th><th>α</th><th>refusal, unknown</th>"
         "<th>correct, known</th><th>refusal, known</th></tr>\n";
    for (size_t i = 0; i < points.size(); ++i) {
      const std::string p = "/steering/balance/points/" + std::to_string(i);
      h += "<tr>" + num_td(data, p + "/coefficient", 2) + "<td>" +
           esc(fmt(points[i].value("latent", json()))) + "</td>" + num_td(data, p + "/alpha", 1) +
           rate_cell(data, p + "/unknown_entities/all", "refusal") +
           rate_cell(data, p + "/known_entities/all", "correct") +
           rate_cell(data, p + "/known_entities/all", "refusal") + "</tr>\n";
    }
    h += "</table>\n";
  }
  const json& sweep = at(data, "/steering/sweep");
  if (sweep.is_object() && sweep.contains("points")) {
    h += "<h3>Calibration sweep (" + esc(sweep.value("split", "")) +
         " split)</h3>\n<p>Rule: " + esc(sweep.value("rule", "")) + "; chosen factor " +
         num_span(data, "/steering/sweep/chosen_factor", 2) + " (α " +
         num_span(data, "/steering/sweep/chosen_alpha", 1) + "), target " +
         (sweep.value("target_reached", false) ? "reached" : "not reached") + "." +
         (sweep.value("raises_refusal", true)
              ? std::string()
              : std::string(" No factor raised refusal above the unsteered rate: on this model "
                            "the unknown-entity latent does not push it to refuse.")) +
         "</p>\n" + canvas("chart-sweep", "sweep");
    const json& ex = at(data, "/steering/sweep/example");
    if (ex.is_object()) {
      h += "<p>α sweep on one example (paper Table 6): " + esc(ex.value("question", "")) +
           "</p><table><tr><th>factor</th><th>α</th><th>completion</th><th>refusal</th></tr>\n";
      const auto& rows = ex.value("rows", json::array());
      for (size_t i = 0; i < rows.size(); ++i) {
        const std::string p = "/steering/sweep/example/rows/" + std::to_string(i);
        h += "<tr>" + num_td(data, p + "/factor", 2) + num_td(data, p + "/alpha", 1) +
             "<td><code>" + esc(rows[i].value("completion", "")) + "</code></td><td>" +
             esc(fmt(rows[i].value("refusal", json()))) + "</td></tr>\n";
      }
      h += "</table>\n";
    }
  }
  const json& yesno = at(data, "/steering/yesno/sets");
  if (!yesno.is_array() || yesno.empty()) {
    h += missing_note(data, "steering", "the yes/no self-knowledge probe");
    return s;
  }
  h += "<h3>Yes/no self-knowledge probe</h3>\n<p>logit(\" Yes\") − logit(\" No\") at the last "
       "position of “Are you sure you know the {type} {entity}? Answer yes or no.”</p>\n";
  for (size_t i = 0; i < yesno.size(); ++i) {
    const std::string p = "/steering/yesno/sets/" + std::to_string(i);
    h += "<h4>" + esc(yesno[i].value("entities", "")) + " entities, steered with the " +
         esc(yesno[i].value("steer", "")) + " latent " +
         esc(fmt(yesno[i].value("latent", json()))) + "</h4>\n" +
         canvas("chart-yesno-" + std::to_string(i), "yesno", std::to_string(i), 560, 260);
    h += "<table><tr><th>type</th><th>n</th><th>original</th><th>steered</th><th>random</th>"
         "<th>Δ steered</th><th>Δ random</th></tr>\n";
    const json per_type = yesno[i].value("per_type", json::object());
    for (const auto& [t, v] : per_type.items()) {
      const std::string tp = p + "/per_type/" + ptr_part(t);
      h += "<tr><th>" + esc(t) + "</th>" + num_td(data, tp + "/n") +
           num_td(data, tp + "/original/mean", 2) + num_td(data, tp + "/steered/mean", 2) +
           num_td(data, tp + "/random/mean", 2) + num_td(data, tp + "/delta_steered", 2) +
           num_td(data, tp + "/delta_random", 2) + "</tr>\n";
    }
    h += "</table>\n";
  }
  return s;
}

}  // namespace knowscope::study::report
