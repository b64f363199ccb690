// Report sections: the layer profile (paper Fig. 2) and the top latents tables.
#include "study/report_html.h"

namespace knowscope::study::report {
namespace {

std::string latent_table(const json& data, const std::string& list_ptr, size_t max_rows) {
  const json& list = at(data, list_ptr);
  if (!list.is_array() || list.empty()) return "<p class=\"note\">(none)</p>\n";
  const json& types = at(data, "/latents/types");
  std::string h =
      "<table><tr><th>#</th><th>latent</th><th>hook (resid_pre)</th><th>SAE hook</th>"
      "<th>score (min over types)</th><th>mean score</th>";
  if (types.is_array())
    for (const auto& t : types) h += "<th>s " + esc(t.get<std::string>()) + "</th>";
  h += "<th>generic freq</th><th>|W_dec|</th></tr>\n";
  for (size_t i = 0; i < list.size() && i < max_rows; ++i) {
    const json& l = list[i];
    const std::string p = list_ptr + "/" + std::to_string(i);
    h += "<tr><td>" + std::to_string(i + 1) + "</td><td><b>" + esc(l.value("id", "")) +
         "</b></td><td><code>" + esc(l.value("hook", "")) + "</code></td><td><code>" +
         esc(l.value("sae_hook", "")) + "</code></td>" + num_td(data, p + "/score") +
         num_td(data, p + "/mean_score");
    if (types.is_array())
      for (const auto& t : types)
        h += num_td(data, p + "/per_type/" + ptr_part(t.get<std::string>()));
    h += num_td(data, p + "/generic_freq", 4) + num_td(data, p + "/decoder_norm") + "</tr>\n";
  }
  h += "</table>\n";
  return h;
}

}  // namespace

Section section_layers(const json& data) {
  Section s{"layers", "Layer profile", ""};
  if (!at(data, "/latents/layers").is_array()) {
    s.html = missing_note(data, "latents", "the per-layer separation scores");
    return s;
  }
  s.html =
      "<p>Per layer l (SAE on <code>blocks.l.hook_resid_pre</code> = "
      "<code>blocks.(l-1).hook_resid_post</code>): MaxMin = max over latents of the minimum "
      "over entity types of the separation score (black), and per type the mean of the 5 best "
      "scores with a band from their min to max (paper Fig. 2).</p>\n" +
      canvas("chart-layers-known", "layer-profile", "known") +
      canvas("chart-layers-unknown", "layer-profile", "unknown");
  const json& layers = at(data, "/latents/layers");
  s.html +=
      "<table><tr><th>layer</th><th>hook</th><th>MaxMin known</th><th>best known</th>"
      "<th>MaxMin unknown</th><th>best unknown</th></tr>\n";
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string p = "/latents/layers/" + std::to_string(i);
    s.html +=
        "<tr>" + num_td(data, p + "/layer") + "<td><code>" + esc(layers[i].value("hook", "")) +
        "</code></td>" + num_td(data, p + "/maxmin_known") + "<td>" +
        esc(layers[i].value("argmax_known", "")) + "</td>" + num_td(data, p + "/maxmin_unknown") +
        "<td>" + esc(layers[i].value("argmax_unknown", "")) + "</td></tr>\n";
  }
  s.html += "</table>\n";
  return s;
}

Section section_top_latents(const json& data) {
  Section s{"latents", "Top latents", ""};
  if (!at(data, "/latents/known").is_array()) {
    s.html = missing_note(data, "latents", "the latent selection");
    return s;
  }
  std::string& h = s.html;
  h += "<p>Global selection (paper Eq. 7): latents ranked by their minimum separation score over "
       "entity types, latents firing on ≥ 2% of generic-text tokens dropped. Latent "
       "<code>L{l}F{j}</code> is latent j of the SAE on <code>blocks.l.hook_resid_pre</code>.";
  const json& n = at(data, "/latents/counts/selection/all");
  if (n.is_object())
    h += " Scored on " + num_span(data, "/latents/counts/selection/all/known") + " known and " +
         num_span(data, "/latents/counts/selection/all/unknown") + " unknown entities.";
  h += "</p>\n<h3>Known-entity latents</h3>\n" + latent_table(data, "/latents/known", 10) +
       "<h3>Unknown-entity latents</h3>\n" + latent_table(data, "/latents/unknown", 10);
  const json& probes = at(data, "/latents/probes/layers");
  if (probes.is_array() && !probes.empty()) {
    h += "<h3>Probe baselines on the raw residual stream (held-out entities)</h3>\n<table><tr>"
         "<th>layer</th><th>diff-of-means acc</th><th>diff-of-means AUROC</th>"
         "<th>logistic acc</th><th>logistic AUROC</th></tr>\n";
    for (size_t i = 0; i < probes.size(); ++i) {
      const std::string p = "/latents/probes/layers/" + std::to_string(i);
      h += "<tr>" + num_td(data, p + "/layer") + num_td(data, p + "/diff_means/accuracy") +
           num_td(data, p + "/diff_means/auroc") + num_td(data, p + "/logistic/accuracy") +
           num_td(data, p + "/logistic/auroc") + "</tr>\n";
    }
    h += "</table>\n";
    for (const char* side : {"known", "unknown"}) {
      const std::string p = std::string("/latents/probes/top_latents/") + side;
      if (at(data, p).is_object())
        h += "<p>Top " + std::string(side) + " latent " + esc(fmt(at(data, p + "/id"))) +
             " as a classifier on the same entities: AUROC " + num_span(data, p + "/auroc") +
             ", accuracy " + num_span(data, p + "/accuracy") + ".</p>\n";
    }
  }
  return s;
}

}  // namespace knowscope::study::report
