// Report section: where the top known / unknown latents fire, token by token, on sentences about
// real and invented entities, and their top-activating contexts in the generic corpus.
#include <algorithm>
#include <cmath>
#include <map>

#include "study/report_html.h"

namespace knowscope::study::report {
namespace {

// Tokens with a background whose strength is act / max (green for known, red for unknown);
// the activation is in the title (hover).
std::string highlight(const json& tokens, const json& acts, double max_act, bool known,
                      int mark = -1) {
  std::string h = "<span class=\"hl\">";
  for (size_t i = 0; i < tokens.size(); ++i) {
    const double a = i < acts.size() && acts[i].is_number() ? acts[i].get<double>() : 0.0;
    const double t = max_act > 0 ? std::clamp(a / max_act, 0.0, 1.0) : 0.0;
    char style[96];
    std::snprintf(style, sizeof style, "background:rgba(%s,%.3f)%s",
                  known ? "44,160,44" : "214,39,40", t,
                  int(i) == mark ? ";outline:1px solid #333" : "");
    char title[32];
    std::snprintf(title, sizeof title, "%.3f", a);
    h += "<span class=\"tok\" style=\"" + std::string(style) + "\" title=\"" + title + "\">" +
         esc(tokens[i].is_string() ? tokens[i].get<std::string>() : tokens[i].dump()) + "</span>";
  }
  return h + "</span>";
}

double max_of(const json& acts) {
  double m = 0;
  for (const auto& a : acts)
    if (a.is_number()) m = std::max(m, a.get<double>());
  return m;
}

}  // namespace

Section section_highlights(const json& data) {
  Section s{"highlights", "Where the latents fire", ""};
  std::string& h = s.html;
  const json& examples = at(data, "/latents/examples");
  if (!examples.is_array() || examples.empty()) {
    h += missing_note(data, "latents", "token highlights on example sentences");
  } else {
    // One scale per latent over all examples, so sentences compare.
    std::map<std::string, double> scale;
    for (const auto& ex : examples)
      for (const auto& l : ex.value("latents", json::array()))
        scale[l.value("id", "")] =
            std::max(scale[l.value("id", "")], max_of(l.value("acts", json::array())));
    h += "<p>Activation of the top known (green) and unknown (red) latents on each token; "
         "the outlined token is the entity's last token. Hover a token for its value.</p>\n";
    h += "<table><tr><th>kind</th><th>entity</th><th>latent</th><th>tokens</th></tr>\n";
    for (const auto& ex : examples) {
      const auto& lats = ex.value("latents", json::array());
      for (size_t k = 0; k < lats.size(); ++k) {
        const std::string id = lats[k].value("id", "");
        const bool known = lats[k].value("side", "") == "known";
        h += "<tr><td>" + esc(ex.value("kind", "")) + "</td><td>" + esc(ex.value("entity", "")) +
             "</td><td>" + esc(id) + "</td><td>" +
             highlight(ex.value("tokens", json::array()), lats[k].value("acts", json::array()),
                       scale[id], known, ex.value("entity_token", -1)) +
             "</td></tr>\n";
      }
    }
    h += "</table>\n";
  }
  const json& sentences = at(data, "/latents/generalisation/sentences/latents");
  if (sentences.is_array() && !sentences.empty()) {
    h += "<h3>Firing at the entity in free sentences</h3>\n<table><tr><th>latent</th><th>side"
         "</th><th>fires, real</th><th>fires, invented</th><th>freq real</th><th>freq invented"
         "</th></tr>\n";
    for (size_t i = 0; i < sentences.size(); ++i) {
      const std::string p = "/latents/generalisation/sentences/latents/" + std::to_string(i);
      h += "<tr><td>" + esc(sentences[i].value("id", "")) + "</td><td>" +
           esc(sentences[i].value("side", "")) + "</td>" + num_td(data, p + "/fires_real") +
           num_td(data, p + "/fires_invented") + num_td(data, p + "/freq_real") +
           num_td(data, p + "/freq_invented") + "</tr>\n";
    }
    h += "</table>\n";
  }
  const json& contexts = at(data, "/latents/top_contexts");
  if (!contexts.is_array() || contexts.empty()) {
    h += missing_note(data, "latents", "top-activating contexts");
    return s;
  }
  h += "<h3>Top-activating contexts in the generic corpus</h3>\n";
  for (const auto& lat : contexts) {
    const bool known = lat.value("side", "") == "known";
    h += "<h4>" + esc(lat.value("id", "")) + " (" + esc(lat.value("side", "")) + ", <code>" +
         esc(lat.value("hook", "")) +
         "</code>)</h4>\n<table><tr><th>max</th><th>source</th>"
         "<th>context</th></tr>\n";
    for (const auto& c : lat.value("contexts", json::array())) {
      const json& acts = c.value("acts", json::array());
      h += "<tr><td class=\"num\">" + esc(fmt(c.value("max_act", json()), 2)) + "</td><td>" +
           esc(c.value("source", "")) + "</td><td class=\"ctx\">" +
           highlight(c.value("tokens", json::array()), acts, max_of(acts), known,
                     c.value("max_pos", -1)) +
           "</td></tr>\n";
    }
    h += "</table>\n";
  }
  return s;
}

}  // namespace knowscope::study::report
