// Attribute-extraction heads (rule in docs/attention.md), attention.json and its table.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "knowscope/study/heads_attention.h"
#include "study/heads_json.h"

namespace knowscope::study {

using nlohmann::json;

void select_extraction_heads(AttentionResult& r, const PatchingResult* patching,
                             const ExtractionRule& rule) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto find = [&](int layer, int head) -> const HeadAttention* {
    for (const auto& h : r.heads)
      if (h.layer == layer && h.head == head) return &h;
    return nullptr;
  };
  r.by_patching.clear();
  r.by_gap.clear();
  r.selected.clear();
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "selected = in the top %d heads by patching metric at the last position (metric > "
                "0) and known-unknown attention gap > 0 with one-tailed Welch p < %.3g; ordered "
                "by patching metric",
                rule.top_patching, rule.alpha);
  r.rule = buf;

  std::vector<ExtractionHead> gap;
  for (const auto& h : r.heads)
    if (std::isfinite(h.gap)) gap.push_back({h.layer, h.head, nan, h.gap, h.p_greater});
  std::stable_sort(gap.begin(), gap.end(),
                   [](const auto& a, const auto& b) { return a.gap > b.gap; });
  for (size_t i = 0; i < gap.size() && i < 10; ++i) r.by_gap.push_back(gap[i]);
  if (!patching) return;

  const auto ranked = rank_patched_heads(*patching);
  for (size_t i = 0; i < ranked.size() && i < 10; ++i) {
    const HeadAttention* h = find(ranked[i].layer, ranked[i].head);
    r.by_patching.push_back({ranked[i].layer, ranked[i].head, ranked[i].value, h ? h->gap : nan,
                             h ? h->p_greater : nan});
  }
  for (size_t i = 0; i < ranked.size() && int(i) < rule.top_patching; ++i) {
    const HeadAttention* h = find(ranked[i].layer, ranked[i].head);
    if (!h || !(ranked[i].value > 0) || !(h->gap > 0) || !(h->p_greater < rule.alpha)) continue;
    r.selected.push_back({h->layer, h->head, ranked[i].value, h->gap, h->p_greater});
  }
}

namespace {

json stat_json(const GroupStat& s) {
  return {{"mean", num(s.mean)}, {"std", num(s.std)}, {"n", s.n}};
}

json extraction_json(const std::vector<ExtractionHead>& v, bool metric, bool gap) {
  json out = json::array();
  for (const auto& e : v) {
    json j = {{"id", head_id(e.layer, e.head)}, {"layer", e.layer}, {"head", e.head}};
    if (metric) j["metric"] = num(e.metric);
    if (gap) {
      j["gap"] = num(e.gap);
      j["p_greater"] = num(e.p_greater);
    }
    out.push_back(j);
  }
  return out;
}

}  // namespace

std::string attention_to_json(const AttentionResult& r) {
  json j;
  j["format"] = "knowscope-heads-attention";
  j["version"] = 1;
  j["model"] = r.model;
  j["labels"] = r.labels;
  j["n_layers"] = r.n_layers;
  j["n_heads"] = r.n_heads;
  j["n_prompts"] = {{"known", r.known_prompts}, {"unknown", r.unknown_prompts}};
  j["n_entities"] = {{"known", r.known_entities}, {"unknown", r.unknown_entities}};
  json heads = json::array();
  for (const auto& h : r.heads)
    heads.push_back({{"id", head_id(h.layer, h.head)},
                     {"layer", h.layer},
                     {"head", h.head},
                     {"known", stat_json(h.known)},
                     {"unknown", stat_json(h.unknown)},
                     {"gap", num(h.gap)},
                     {"t", num(h.t)},
                     {"p_two", num(h.p_two)},
                     {"p_greater", num(h.p_greater)}});
  j["heads"] = heads;
  json types = json::object();
  for (const auto& t : r.by_type)
    types[t.type] = {{"n_known", t.n_known},
                     {"n_unknown", t.n_unknown},
                     {"known_mean", num_grid(t.known_mean)},
                     {"unknown_mean", num_grid(t.unknown_mean)}};
  j["by_type"] = types;
  j["extraction_heads"] = {{"rule", r.rule},
                           {"by_patching", extraction_json(r.by_patching, true, false)},
                           {"by_gap", extraction_json(r.by_gap, false, true)},
                           {"selected", extraction_json(r.selected, true, true)}};
  j["seconds"] = r.seconds;
  return j.dump(1) + "\n";
}

std::string attention_table(const AttentionResult& r, int top) {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "attention last -> last entity token: %d known prompts (%d entities), %d unknown "
                "(%d entities)\n",
                r.known_prompts, r.known_entities, r.unknown_prompts, r.unknown_entities);
  out += buf;
  std::vector<const HeadAttention*> order;
  for (const auto& h : r.heads) order.push_back(&h);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto* a, const auto* b) { return a->gap > b->gap; });
  out += "head     known(mean+-std)   unknown(mean+-std)   gap      p(known>unknown)\n";
  for (int i = 0; i < top && size_t(i) < order.size(); ++i) {
    const auto& h = *order[size_t(i)];
    std::snprintf(buf, sizeof buf, "%-7s  %.3f+-%.3f        %.3f+-%.3f          %+.3f   %.3g\n",
                  head_id(h.layer, h.head).c_str(), h.known.mean, h.known.std, h.unknown.mean,
                  h.unknown.std, h.gap, h.p_greater);
    out += buf;
  }
  out += "\n" + r.rule + "\nselected:";
  if (r.selected.empty()) out += " none";
  for (const auto& e : r.selected) {
    std::snprintf(buf, sizeof buf, " %s (metric %.3f, gap %+.3f, p %.3g)",
                  head_id(e.layer, e.head).c_str(), e.metric, e.gap, e.p_greater);
    out += buf;
  }
  out += "\n";
  return out;
}

}  // namespace knowscope::study
