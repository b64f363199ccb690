// Report section: uncertainty latents (paper §6): the top latent's ROC curve and AUROC / F1 on
// the balanced test split, beside the baselines.
#include "study/report_html.h"

namespace knowscope::study::report {

Section section_uncertainty(const json& data) {
  Section s{"uncertainty", "Predicting wrong answers", ""};
  std::string& h = s.html;
  const json& u = at(data, "/uncertainty");
  const json& roc = at(data, "/uncertainty/roc");
  if (u.is_object() && u.value("status", "ok") != "ok") {
    h = "<p class=\"missing\">Not available: the uncertainty stage reports " +
        esc(u.value("status", "")) + ": " + esc(u.value("reason", "")) + "</p>\n";
    return s;
  }
  if (!u.is_object() || !roc.is_array() || roc.empty()) {
    h = missing_note(data, "uncertainty", "the uncertainty ROC curve");
    return s;
  }
  h += "<p>Each score read at " + esc(fmt(at(data, "/uncertainty/position/rule"))) +
       " (e.g. token <code>" + esc(fmt(at(data, "/uncertainty/position/example_token"))) +
       "</code>) as a predictor of a wrong answer, on a class-balanced test split; F1 at the "
       "threshold that maximised it on the " +
       esc(fmt(at(data, "/uncertainty/evaluation/threshold_split"))) +
       " split. AUROC intervals: "
       "bootstrap 95%.</p>\n" +
       canvas("chart-roc", "roc", "", 520, 440) +
       "<table><tr><th>score</th><th>hook</th><th>AUROC</th><th>AUROC 95% CI</th><th>F1</th>"
       "<th>n test (error / correct)</th></tr>\n";
  for (size_t i = 0; i < roc.size(); ++i) {
    const std::string p = "/uncertainty/roc/" + std::to_string(i);
    std::string ci;  // appended piecewise: GCC 12 warns falsely (-Wrestrict) on "[" + string
    if (at(data, p + "/auroc_ci").is_array()) {
      ci += "[";
      ci += num_span(data, p + "/auroc_ci/0");
      ci += ", ";
      ci += num_span(data, p + "/auroc_ci/1");
      ci += "]";
    }
    h += "<tr><th>" + esc(roc[i].value("name", "")) + "</th><td><code>" +
         esc(roc[i].value("hook", "")) + "</code></td>" + num_td(data, p + "/auroc") + "<td>" + ci +
         "</td>" + num_td(data, p + "/f1") + "<td>" + num_span(data, p + "/n") + " (" +
         num_span(data, p + "/n_error") + " / " + num_span(data, p + "/n_correct") +
         ")</td></tr>\n";
  }
  h += "</table>\n";
  const json& notes = at(data, "/uncertainty/notes");
  if (notes.is_array() && !notes.empty()) {
    h += "<ul class=\"note\">";
    for (const auto& n : notes) h += "<li>" + esc(fmt(n)) + "</li>";
    h += "</ul>\n";
  }
  return s;
}

}  // namespace knowscope::study::report
