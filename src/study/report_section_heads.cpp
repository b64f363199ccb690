// Report section: attention heads (paper §5): patching heatmaps, attention to the entity known
// vs unknown, the extraction heads, attention change under steering against random latents, and
// the head logit lens.
#include "study/report_html.h"

namespace knowscope::study::report {

Section section_heads(const json& data) {
  Section s{"heads", "Attention heads", ""};
  std::string& h = s.html;
  const json& patching = at(data, "/heads/patching");
  if (!patching.is_object() || !patching.contains("groups")) {
    h += missing_note(data, "heads", "activation patching");
  } else {
    h += "<h3>Activation patching (denoising)</h3>\n<p>" + esc(patching.value("metric", "")) +
         "</p><p class=\"note\">Pairs: " + esc(patching.value("pair_rule", "")) + "</p>\n";
    const auto& groups = patching["groups"];
    h += "<table><tr><th>group</th><th>pairs</th><th>LD clean</th><th>LD corrupt</th></tr>\n";
    for (size_t i = 0; i < groups.size(); ++i) {
      const std::string p = "/heads/patching/groups/" + std::to_string(i);
      h += "<tr><th>" + esc(groups[i].value("name", "")) + "</th>" + num_td(data, p + "/pairs") +
           num_td(data, p + "/ld_clean", 2) + num_td(data, p + "/ld_corrupt", 2) + "</tr>\n";
    }
    h += "</table>\n" + canvas("chart-patching-resid", "patching-resid", "all", 760, 420) +
         canvas("chart-patching-heads", "patching-heads", "all", 560, 420);
    const json& top = patching.value("top_heads", json::array());
    if (!top.empty()) {
      h += "<p>Top heads by patching metric:";
      for (size_t i = 0; i < top.size();
           ++i) {  // appended piecewise: GCC 12 warns falsely (-Wrestrict) on " " + string
        h += " ";
        h += esc(top[i].value("id", ""));
        h += " (";
        h += num_span(data, "/heads/patching/top_heads/" + std::to_string(i) + "/metric", 2);
        h += ")";
      }
      h += "</p>\n";
    }
  }
  const json& attention = at(data, "/heads/attention");
  if (!attention.is_object() || !attention.contains("heads")) {
    h += missing_note(data, "heads", "attention to the entity");
  } else {
    h += "<h3>Attention from the last token to the last entity token</h3>\n<p>" +
         num_span(data, "/heads/attention/n_prompts/known") + " known and " +
         num_span(data, "/heads/attention/n_prompts/unknown") + " unknown prompts.</p>\n" +
         canvas("chart-attention", "attention", "", 900, 320);
    const json& sel = at(data, "/heads/attention/extraction_heads/selected");
    h += "<p>Attribute-extraction heads (rule: " +
         esc(fmt(at(data, "/heads/attention/extraction_heads/rule"))) + "):</p>\n";
    if (sel.is_array() && !sel.empty()) {
      h += "<table><tr><th>head</th><th>patching metric</th><th>gap known−unknown</th>"
           "<th>p (one-tailed)</th></tr>\n";
      for (size_t i = 0; i < sel.size(); ++i) {
        const std::string p = "/heads/attention/extraction_heads/selected/" + std::to_string(i);
        h += "<tr><th>" + esc(sel[i].value("id", "")) + "</th>" + num_td(data, p + "/metric") +
             num_td(data, p + "/gap") + num_td(data, p + "/p_greater", 4) + "</tr>\n";
      }
      h += "</table>\n";
    } else {
      h += "<p class=\"note\">No head meets the rule.</p>\n";
    }
  }
  const json& sides = at(data, "/heads/steer/sides");
  if (!sides.is_array() || sides.empty()) {
    std::string why;  // the stage ran its other parts and said why this one is absent
    for (const auto& st : at(data, "/stages"))
      if (st.value("name", "") == "heads" && st.contains("summary") && st["summary"].is_object() &&
          st["summary"].contains("steer"))
        why = fmt(st["summary"]["steer"]);
    if (why.empty())
      h += missing_note(data, "heads", "attention change under steering");
    else
      h += "<p class=\"missing\">Attention change under steering: " + esc(why) + "</p>\n";
  } else {
    h += "<h3>Attention change under steering (dA)</h3>\n<p>" +
         esc(fmt(at(data, "/heads/steer/alpha_rule"))) + "</p>\n";
    for (size_t i = 0; i < sides.size(); ++i) {
      const std::string p = "/heads/steer/sides/" + std::to_string(i);
      h += "<h4>" + esc(sides[i].value("name", "")) + ": latent " +
           esc(fmt(at(data, p + "/latent/id"))) + ", α " + num_span(data, p + "/latent/alpha", 1) +
           ", " + num_span(data, p + "/n_prompts") + " prompts; beats " +
           num_span(data, p + "/beaten") + " of " + num_span(data, p + "/of") +
           " random latents (one-tailed Welch p &lt; 0.05, expected " +
           esc(sides[i].value("expected", "")) + ")</h4>\n" +
           canvas("chart-dA-" + std::to_string(i), "delta-attention", std::to_string(i), 900, 300) +
           canvas("chart-dA-controls-" + std::to_string(i), "delta-controls", std::to_string(i),
                  760, 260);
    }
  }
  const json& lens = at(data, "/heads/lens/entries");
  if (lens.is_array() && !lens.empty()) {
    h += "<h3>Head logit lens</h3>\n<table><tr><th>head</th><th>prompt</th><th>answer</th>"
         "<th>answer rank</th><th>top tokens</th></tr>\n";
    for (size_t i = 0; i < lens.size() && i < 12; ++i) {
      std::string toks;
      const auto& tl = lens[i].value("tokens", json::array());
      for (size_t k = 0; k < tl.size() && k < 10; ++k)
        toks += (k ? " · " : "") + esc(tl[k].value("text", ""));
      h += "<tr><th>" + esc(lens[i].value("id", "")) + "</th><td>" +
           esc(lens[i].value("prompt", "")) + "</td><td>" + esc(lens[i].value("answer", "")) +
           "</td>" + num_td(data, "/heads/lens/entries/" + std::to_string(i) + "/answer_rank") +
           "<td><code>" + toks + "</code></td></tr>\n";
    }
    h += "</table>\n";
  }
  return s;
}

}  // namespace knowscope::study::report
