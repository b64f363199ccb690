// Attention to the last entity token: capture of hook_pattern at the last position.
#include "knowscope/study/heads_attention.h"

#include <chrono>
#include <cmath>
#include <set>

#include "knowscope/core/error.h"
#include "knowscope/hooks/capture.h"
#include "knowscope/hooks/hook_names.h"
#include "knowscope/study/stats.h"

namespace knowscope::study {

std::vector<std::vector<float>> attention_to_entity(const Model& model,
                                                    std::span<const HeadPrompt> prompts,
                                                    const AttentionRunOptions& opt) {
  const ModelConfig& c = model.config;
  std::vector<CapturePrompt> cps;
  for (const auto& p : prompts) {
    if (p.entity_last < 0 || p.entity_last >= int64_t(p.tokens.size()))
      fail("attention", p.text, "entity position outside the prompt");
    cps.push_back({p.tokens, {p.last()}});
  }
  CaptureOptions co;
  for (int l = 0; l < c.n_layers; ++l) co.hooks.push_back({hook_name(HookPoint::Pattern, l), {}});
  co.max_batch_tokens = opt.max_batch_tokens;
  co.interventions = opt.interventions;
  co.progress = opt.progress;
  const CaptureResult res = capture(model, cps, co);
  std::vector<std::vector<float>> out(prompts.size(),
                                      std::vector<float>(size_t(c.n_layers * c.n_heads), 0.0f));
  for (int l = 0; l < c.n_layers; ++l) {
    const CapturedHook& h = res.hooks[size_t(l)];
    const int64_t keys = h.row_shape[1];
    for (size_t i = 0; i < prompts.size(); ++i) {
      const int64_t row = res.find_row(int(i), prompts[i].last());
      if (row < 0) fail("attention", prompts[i].text, "no captured row at the last position");
      const float* r = h.row(row);
      for (int hd = 0; hd < c.n_heads; ++hd)
        out[i][size_t(l * c.n_heads + hd)] = r[hd * keys + prompts[i].entity_last];
    }
  }
  return out;
}

namespace {

GroupStat group_stat(const std::vector<double>& x) { return {mean(x), stddev(x), int(x.size())}; }

}  // namespace

AttentionResult run_attention(const Model& model, std::span<const HeadPrompt> prompts,
                              const PatchingResult* patching, const AttentionRunOptions& opt,
                              const ExtractionRule& rule) {
  const auto t0 = std::chrono::steady_clock::now();
  const ModelConfig& c = model.config;
  AttentionResult r;
  r.model = c.name;
  r.n_layers = c.n_layers;
  r.n_heads = c.n_heads;
  std::vector<HeadPrompt> used;
  std::set<std::string> ke, ue;
  for (const auto& p : prompts) {
    if (p.label == Knowledge::known) {
      ++r.known_prompts;
      ke.insert(p.entity_type + "\t" + p.entity);
    } else if (p.label == Knowledge::unknown) {
      ++r.unknown_prompts;
      ue.insert(p.entity_type + "\t" + p.entity);
    } else {
      continue;
    }
    used.push_back(p);
  }
  r.known_entities = int(ke.size());
  r.unknown_entities = int(ue.size());
  const auto A = attention_to_entity(model, used, opt);

  const size_t n_cells = size_t(c.n_layers * c.n_heads);
  for (size_t cell = 0; cell < n_cells; ++cell) {
    std::vector<double> k, u;
    for (size_t i = 0; i < used.size(); ++i)
      (used[i].label == Knowledge::known ? k : u).push_back(A[i][cell]);
    HeadAttention h;
    h.layer = int(cell) / c.n_heads;
    h.head = int(cell) % c.n_heads;
    h.known = group_stat(k);
    h.unknown = group_stat(u);
    h.gap = h.known.mean - h.unknown.mean;
    if (!k.empty() && !u.empty()) {
      const WelchTest w = welch_t_test(k, u);
      h.t = w.t;
      h.p_two = w.p_two_sided;
      h.p_greater = w.p_greater;
    }
    r.heads.push_back(h);
  }

  // Per type, in order of appearance.
  for (size_t i = 0; i < used.size(); ++i) {
    const std::string& type = used[i].entity_type;
    bool seen = false;
    for (const auto& t : r.by_type) seen = seen || t.type == type;
    if (seen) continue;
    TypeAttention ta;
    ta.type = type;
    ta.known_mean.assign(size_t(c.n_layers), std::vector<double>(size_t(c.n_heads), 0.0));
    ta.unknown_mean = ta.known_mean;
    for (size_t j = 0; j < used.size(); ++j) {
      if (used[j].entity_type != type) continue;
      const bool known = used[j].label == Knowledge::known;
      (known ? ta.n_known : ta.n_unknown)++;
      auto& m = known ? ta.known_mean : ta.unknown_mean;
      for (size_t cell = 0; cell < n_cells; ++cell)
        m[cell / size_t(c.n_heads)][cell % size_t(c.n_heads)] += A[j][cell];
    }
    for (auto& row : ta.known_mean)
      for (double& x : row) x = ta.n_known ? x / ta.n_known : NAN;
    for (auto& row : ta.unknown_mean)
      for (double& x : row) x = ta.n_unknown ? x / ta.n_unknown : NAN;
    r.by_type.push_back(std::move(ta));
  }
  select_extraction_heads(r, patching, rule);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace knowscope::study
