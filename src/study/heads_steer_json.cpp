// steer.json (docs/attention.md) and its table.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "knowscope/study/heads_steer.h"
#include "study/heads_json.h"

namespace knowscope::study {

using nlohmann::json;

namespace {

json condition_json(const SteerCondition& c, bool control, bool vector) {
  json j;
  if (vector) {
    j = {{"seed", c.seed}, {"layer", c.layer}};
  } else {
    j = {{"id", c.id},
         {"layer", c.layer},
         {"latent", c.latent},
         {"hook", c.hook},
         {"raw_norm", num(c.raw_norm)}};
  }
  j["resid_norm"] = num(c.resid_norm);
  j["alpha"] = num(c.alpha);
  j["mean_dA"] = num(c.mean);
  j["std_dA"] = num(c.std);
  if (control) {
    j["t"] = num(c.t);
    j["p"] = num(c.p);
    j["beaten"] = c.beaten;
  }
  return j;
}

}  // namespace

std::string steer_attention_to_json(const SteerAttentionResult& r) {
  json j;
  j["format"] = "knowscope-heads-steer";
  j["version"] = 1;
  j["model"] = r.model;
  j["labels"] = r.labels;
  j["latents"] = r.latents_file.empty() ? json(nullptr) : json(r.latents_file);
  j["sae_set"] = r.sae_set.empty() ? json(nullptr) : json(r.sae_set);
  j["alpha_rule"] = r.alpha_rule;
  j["alpha_factor"] = r.alpha_factor;
  json sides = json::array();
  for (const auto& s : r.sides) {
    json heads = json::array();
    for (const auto& h : s.heads)
      heads.push_back({{"id", head_id(h.layer, h.head)},
                       {"layer", h.layer},
                       {"head", h.head},
                       {"mean", num(h.mean)},
                       {"std", num(h.std)}});
    json randoms = json::array();
    for (const auto& c : s.random_latents) randoms.push_back(condition_json(c, true, false));
    sides.push_back({{"name", s.name},
                     {"prompts_label", s.prompts_label},
                     {"expected", s.expected},
                     {"n_prompts", s.n_prompts},
                     {"n_entities", s.n_entities},
                     {"from_layer", s.from_layer},
                     {"n_heads", s.n_heads},
                     {"n_values", s.n_values},
                     {"latent", condition_json(s.latent, false, false)},
                     {"heads", heads},
                     {"random_latents", randoms},
                     {"random_vector", condition_json(s.random_vector, true, true)},
                     {"beaten", s.beaten},
                     {"of", s.of}});
  }
  j["sides"] = sides;
  j["seconds"] = r.seconds;
  return j.dump(1) + "\n";
}

std::string steer_attention_table(const SteerAttentionResult& r, int top) {
  std::string out = r.alpha_rule + "\n";
  char buf[320];
  for (const auto& s : r.sides) {
    std::snprintf(buf, sizeof buf,
                  "\n%s: %d %s prompts (%d entities), %s (%s) alpha %.1f (resid norm %.1f), heads "
                  "in layers >= %d, mean dA %+.4f +- %.4f (n %lld)\n",
                  s.name.c_str(), s.n_prompts, s.prompts_label.c_str(), s.n_entities,
                  s.latent.id.c_str(), s.latent.hook.c_str(), s.latent.alpha, s.latent.resid_norm,
                  s.from_layer, s.latent.mean, s.latent.std, static_cast<long long>(s.n_values));
    out += buf;
    std::vector<HeadDelta> order = s.heads;
    std::stable_sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
      return s.expected == "greater" ? a.mean > b.mean : a.mean < b.mean;
    });
    out += "  heads by mean dA:";
    for (int i = 0; i < top && size_t(i) < order.size(); ++i) {
      std::snprintf(buf, sizeof buf, " %s %+.3f",
                    head_id(order[size_t(i)].layer, order[size_t(i)].head).c_str(),
                    order[size_t(i)].mean);
      out += buf;
    }
    out += "\n";
    for (const auto& c : s.random_latents) {
      std::snprintf(buf, sizeof buf, "  vs %-10s mean dA %+.4f  t %+.2f  p(%s) %.3g %s\n",
                    c.id.c_str(), c.mean, c.t, s.expected.c_str(), c.p, c.beaten ? "beaten" : "");
      out += buf;
    }
    std::snprintf(buf, sizeof buf, "  vs random vector mean dA %+.4f  t %+.2f  p %.3g %s\n",
                  s.random_vector.mean, s.random_vector.t, s.random_vector.p,
                  s.random_vector.beaten ? "beaten" : "");
    out += buf;
    std::snprintf(buf, sizeof buf, "  random latents beaten: %d of %d\n", s.beaten, s.of);
    out += buf;
  }
  return out;
}

}  // namespace knowscope::study
