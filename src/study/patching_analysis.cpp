// run_patching: the resid_pre grid and the per-head sweep, grouped by entity type.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <set>

#include "knowscope/hooks/hook_names.h"
#include "knowscope/study/patching.h"

namespace knowscope::study {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The metric of one site over the pairs `idx` of a group.
double group_metric(const std::vector<double>& patched, const std::vector<size_t>& idx,
                    const PairLogitDiffs& base) {
  std::vector<double> p, c, u;
  for (size_t k : idx) {
    p.push_back(patched[k]);
    c.push_back(base.clean[k]);
    u.push_back(base.corrupt[k]);
  }
  return patching_metric(p, c, u);
}

}  // namespace

PatchingResult run_patching(const Model& model, std::span<const HeadPrompt> prompts,
                            std::span<const PromptPair> pairs, const PatchingOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  const ModelConfig& cfg = model.config;
  PatchingResult r;
  r.model = cfg.name;
  r.n_layers = cfg.n_layers;
  r.n_heads = cfg.n_heads;
  r.layers = opt.layers;
  if (r.layers.empty())
    for (int l = 0; l < cfg.n_layers; ++l) r.layers.push_back(l);
  r.roles = position_roles();

  // Sites: resid_pre at (layer, role) for the roles that differ between clean and corrupt, then
  // each head's z at the last position.
  const size_t n_roles = r.roles.size();
  std::vector<int> run_roles;
  for (size_t ro = 0; ro < n_roles; ++ro)
    if (r.roles[ro] != "bos" && r.roles[ro] != "prefix") run_roles.push_back(int(ro));
  std::vector<PatchSite> sites;
  for (int l : r.layers)
    for (int ro : run_roles) {
      PatchSite s{hook_name(HookPoint::ResidPre, l), {}, -1, ro};
      sites.push_back(s);
    }
  const size_t head_begin = sites.size();
  if (opt.heads)
    for (int l : r.layers)
      for (int h = 0; h < cfg.n_heads; ++h) sites.push_back({hook_name(HookPoint::Z, l), {h}, -1});

  const PairLogitDiffs base = pair_logit_diffs(model, prompts, pairs, opt.run);
  const auto patched = patched_logit_diffs(model, prompts, pairs, sites, opt.run);

  for (size_t k = 0; k < pairs.size(); ++k) {
    const auto& c = prompts[size_t(pairs[k].clean)];
    const auto& u = prompts[size_t(pairs[k].corrupt)];
    r.pairs.push_back({c.entity_type, c.prompt_type, c.entity, u.entity, c.text, u.text, c.answer,
                       u.answer, int64_t(c.tokens.size()), c.entity_last, base.clean[k],
                       base.corrupt[k]});
  }

  // Groups: all pairs, then each type in order of appearance.
  std::vector<std::pair<std::string, std::vector<size_t>>> groups = {{"all", {}}};
  for (size_t k = 0; k < pairs.size(); ++k) {
    groups[0].second.push_back(k);
    const std::string& type = r.pairs[k].entity_type;
    auto it = std::find_if(groups.begin() + 1, groups.end(),
                           [&](const auto& g) { return g.first == type; });
    if (it == groups.end()) {
      groups.push_back({type, {}});
      it = groups.end() - 1;
    }
    it->second.push_back(k);
  }

  for (const auto& [name, idx] : groups) {
    PatchingGroup g;
    g.name = name;
    g.pairs = int(idx.size());
    std::set<std::string> ce, ue;
    double sc = 0, su = 0;
    for (size_t k : idx) {
      ce.insert(r.pairs[k].clean_entity);
      ue.insert(r.pairs[k].corrupt_entity);
      sc += base.clean[k];
      su += base.corrupt[k];
    }
    g.clean_entities = int(ce.size());
    g.corrupt_entities = int(ue.size());
    g.ld_clean = idx.empty() ? kNaN : sc / double(idx.size());
    g.ld_corrupt = idx.empty() ? kNaN : su / double(idx.size());
    for (size_t li = 0; li < r.layers.size(); ++li) {
      std::vector<double> row(n_roles, kNaN);
      for (size_t j = 0; j < run_roles.size(); ++j) {
        // Pairs without a position of this role drop out of its cell (and its baselines).
        const auto& patched_site = patched[li * run_roles.size() + j];
        std::vector<size_t> have;
        for (size_t k : idx)
          if (std::isfinite(patched_site[k])) have.push_back(k);
        row[size_t(run_roles[j])] = group_metric(patched_site, have, base);
      }
      g.resid.push_back(std::move(row));
      if (opt.heads) {
        std::vector<double> hrow;
        for (int h = 0; h < cfg.n_heads; ++h)
          hrow.push_back(
              group_metric(patched[head_begin + li * size_t(cfg.n_heads) + size_t(h)], idx, base));
        g.heads.push_back(std::move(hrow));
      }
    }
    r.groups.push_back(std::move(g));
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

std::vector<RankedHead> rank_patched_heads(const PatchingResult& r) {
  std::vector<RankedHead> out;
  if (r.groups.empty()) return out;
  const auto& g = r.groups[0];
  for (size_t li = 0; li < g.heads.size(); ++li)
    for (size_t h = 0; h < g.heads[li].size(); ++h)
      if (std::isfinite(g.heads[li][h])) out.push_back({r.layers[li], int(h), g.heads[li][h]});
  std::stable_sort(out.begin(), out.end(),
                   [](const RankedHead& a, const RankedHead& b) { return a.value > b.value; });
  return out;
}

}  // namespace knowscope::study
