// Report sections: the model and data summary, and the stage list.
#include "study/report_html.h"

namespace knowscope::study::report {

Section section_summary(const json& data) {
  Section s{"summary", "Model and data", ""};
  std::string& h = s.html;
  const json& run = at(data, "/run");
  if (run.is_object()) {
    h += "<table><tr><th>model</th><td>" + esc(run.value("model", "")) + "</td></tr>";
    if (run.contains("model_path"))
      h += "<tr><th>model file</th><td><code>" + esc(run.value("model_path", "")) +
           "</code></td></tr>";
    h += "<tr><th>profile</th><td>" + esc(run.value("profile", "")) + "</td></tr>";
    if (run.contains("options") && run["options"].is_object())
      for (const auto& [k, v] : run["options"].items())
        h += "<tr><th>" + esc(k) + "</th><td><code>" +
             esc(v.is_string() ? v.get<std::string>() : v.dump()) + "</code></td></tr>";
    if (run.contains("versions") && run["versions"].is_object())
      for (const auto& [k, v] : run["versions"].items())
        h += "<tr><th>version: " + esc(k) + "</th><td>" +
             esc(v.is_string() ? v.get<std::string>() : v.dump()) + "</td></tr>";
    h += "</table>\n";
  }
  const json& counts = at(data, "/labels/counts");
  if (!counts.is_object()) {
    h += missing_note(data, "labelling", "entity labels");
    return s;
  }
  // The rule this run used, which the quick/default profiles relax (run.h).
  const json& rule = at(data, "/labels/rule");
  const int min_known = rule.is_object() ? rule.value("min_known_attributes", 2) : 2;
  const double min_frac = rule.is_object() ? rule.value("min_correct_fraction", 0.3) : 0.3;
  h += "<p>Entities labelled from the model's own answers (paper §1.4): known = at least " +
       std::to_string(min_known) + " attribute" + (min_known == 1 ? "" : "s") +
       " answered correctly in ≥ " + std::to_string(int(min_frac * 100 + 0.5)) +
       "% of samples, unknown = none" +
       (min_known == 2 ? std::string(" (the paper's rule)")
                       : std::string(" (the paper asks for 2 attributes; relaxed here because "
                                     "the model knows too few entities by that rule)")) +
       ".</p>\n";
  h += "<table><tr><th>type</th><th>known</th><th>unknown</th><th>other</th><th>total</th>"
       "<th>known train/val/test</th><th>unknown train/val/test</th></tr>\n";
  std::vector<std::string> types;  // "all" last
  for (const auto& [type, c] : counts.items())
    if (type != "all") types.push_back(type);
  if (counts.contains("all")) types.push_back("all");
  for (const auto& type : types) {
    const std::string p = "/labels/counts/" + ptr_part(type);
    h += "<tr><th>" + esc(type) + "</th>" + num_td(data, p + "/known") +
         num_td(data, p + "/unknown") + num_td(data, p + "/other") + num_td(data, p + "/total");
    for (const char* label : {"known", "unknown"}) {
      const std::string sp = "/labels/splits/" + ptr_part(type) + "/" + label;
      if (at(data, sp).is_object())
        h += "<td>" + num_span(data, sp + "/train") + " / " + num_span(data, sp + "/validation") +
             " / " + num_span(data, sp + "/test") +
             (at(data, sp + "/fallback") == true ? " (fallback)" : "") + "</td>";
      else
        h += "<td></td>";
    }
    h += "</tr>\n";
  }
  h += "</table>\n" + canvas("chart-labels", "label-counts", "", 560, 260);
  const json& sel = at(data, "/labels/selection");
  if (sel.is_object())
    h += "<p class=\"note\">Selection: " +
         esc(sel.value("per_type", 0) == 0
                 ? std::string("every entity")
                 : std::to_string(sel.value("per_type", 0)) + " entities per type") +
         " of <code>" + esc(sel.value("source", "")) + "</code>, seed " +
         esc(fmt(sel.value("seed", json()))) + ".</p>\n";
  return s;
}

Section section_stages(const json& data) {
  Section s{"stages", "Stages", ""};
  const json& stages = at(data, "/stages");
  if (!stages.is_array() || stages.empty()) {
    s.html =
        "<p class=\"note\">No stage records (this page was rendered from results files "
        "only).</p>\n";
    return s;
  }
  s.html = "<table><tr><th>stage</th><th>status</th><th>seconds</th><th>note</th></tr>\n";
  for (size_t i = 0; i < stages.size(); ++i) {
    const json& st = stages[i];
    const std::string status = st.value("status", "");
    const bool good = status == "ran" || status == "reused";
    s.html += "<tr><th>" + esc(st.value("name", "")) + "</th><td class=\"" + (good ? "ok" : "bad") +
              "\">" + esc(status) + "</td>" +
              num_td(data, "/stages/" + std::to_string(i) + "/seconds", 1) + "<td>" +
              esc(st.value("reason", "")) + "</td></tr>\n";
  }
  s.html += "</table>\n";
  return s;
}

}  // namespace knowscope::study::report
