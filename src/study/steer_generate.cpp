// One steering condition: all prompts in one batched generate() call with a per-prompt steering
// hook; the residual norm that calibrates alpha; refusal / correctness counts per type.
#include <algorithm>
#include <cmath>

#include "knowscope/core/error.h"
#include "knowscope/core/progress.h"
#include "knowscope/hooks/capture.h"
#include "knowscope/hooks/interventions.h"
#include "knowscope/model/generate.h"
#include "knowscope/model/kv_cache.h"
#include "knowscope/model/sampling.h"
#include "knowscope/study/degenerate.h"
#include "knowscope/study/labelling.h"
#include "knowscope/study/steering.h"

namespace knowscope::study {
namespace {

Where steer_where(SteerPositions p, int64_t entity_last) {
  return p == SteerPositions::entity_last ? Where::at({entity_last})
                                          : Where::prompt_from(entity_last);
}

}  // namespace

std::vector<std::vector<SteerOutcome>> generate_steered_groups(
    const Model& model, SteerFormat format, const std::vector<SteerPrompt>& prompts,
    const std::vector<SteerIntervention>& groups, int max_new_tokens, Progress* progress) {
  std::vector<std::vector<SteerOutcome>> out(groups.size(),
                                             std::vector<SteerOutcome>(prompts.size()));
  const size_t n = prompts.size(), total = n * groups.size();
  if (total == 0 || max_new_tokens <= 0) return out;
  if (!model.tokenizer) throw Error("steering: the model has no tokenizer");
  const Tokenizer& tok = *model.tokenizer;
  // Sequence g * n + i is prompt i under condition g; each condition's hook targets only its own.
  HookSet hs(model.config);
  for (size_t g = 0; g < groups.size(); ++g) {
    const SteerIntervention& st = groups[g];
    if (!st.latent || st.alpha == 0) continue;
    std::vector<Where> wheres(total, Where::none());
    for (size_t i = 0; i < n; ++i)
      wheres[g * n + i] = steer_where(st.positions, prompts[i].entity_last);
    add_steering(hs, st.latent->hook, Targets::each(std::move(wheres)), float(st.alpha),
                 st.latent->direction);
  }
  const ForwardHooks* hooks = hs.empty() ? nullptr : hs.forward_hooks();

  // The prompts share a prefix (the few-shot page, the chat preamble) that no condition steers:
  // prefill it once and copy its keys and values (this is most of the prompt work).
  int64_t shared = int64_t(prompts[0].tokens.size());
  for (const auto& p : prompts) {
    int64_t k = 0;
    const int64_t lim = std::min<int64_t>(shared, int64_t(p.tokens.size()));
    while (k < lim && p.tokens[size_t(k)] == prompts[0].tokens[size_t(k)]) ++k;
    shared = std::min({k, p.entity_last, int64_t(p.tokens.size()) - 1});
  }
  shared = std::max<int64_t>(shared, 0);
  KVCache base = make_kv_cache(model.config);
  ForwardState state;
  if (shared > 0) {
    const SequenceInput in{std::span<const int32_t>(prompts[0].tokens.data(), size_t(shared)),
                           &base};
    ForwardOptions fo;
    fo.logits = LogitsMode::None;
    forward(model, std::span<const SequenceInput>(&in, 1), fo, state);
  }

  GenerateOptions defaults;
  const auto stop_vec = resolve_stop_tokens(model, defaults);
  const size_t chunk = 32;
  const int64_t vocab = model.config.vocab_size;
  std::vector<KVCache> caches;
  std::vector<int32_t> one(1);
  for (size_t c0 = 0; c0 < total; c0 += chunk) {
    const size_t c1 = std::min(total, c0 + chunk), m = c1 - c0;
    while (caches.size() < m) caches.push_back(make_kv_cache(model.config));
    std::vector<std::vector<int32_t>> gen(m);
    std::vector<int32_t> next(m);
    std::vector<bool> done(m, false);
    std::vector<AnswerLineScanner> scanners(m, AnswerLineScanner(PromptFormat::fewshot));
    std::vector<SeqInfo> infos;
    std::vector<SequenceInput> inputs;
    std::vector<size_t> rows;  // chunk index of each input
    auto accept = [&](size_t j, const float* logits) {
      const int32_t t = argmax(logits, vocab);
      gen[j].push_back(t);
      next[j] = t;
      bool end = int(gen[j].size()) >= max_new_tokens ||
                 std::find(stop_vec.begin(), stop_vec.end(), t) != stop_vec.end();
      if (format == SteerFormat::fewshot) {
        one[0] = t;
        end |= scanners[j].feed(tok.decode(one, /*skip_special=*/true));
      }
      if (end) {
        done[j] = true;
        if (progress) progress->advance(1);
      }
    };
    // Prefill what follows the shared prefix, steered.
    for (size_t j = 0; j < m; ++j) {
      const SteerPrompt& p = prompts[(c0 + j) % n];
      if (shared > 0)
        copy_kv_cache(base, caches[j]);
      else
        caches[j].clear();
      inputs.push_back(
          {std::span<const int32_t>(p.tokens.data() + shared, p.tokens.size() - size_t(shared)),
           &caches[j]});
      infos.push_back({int(c0 + j), 0, int64_t(p.tokens.size())});
    }
    ForwardOptions fo;
    fo.logits = LogitsMode::Last;
    fo.hooks = hooks;
    hs.set_batch(infos);
    forward(model, inputs, fo, state);
    for (size_t j = 0; j < m; ++j) accept(j, state.logits.ptr() + int64_t(j) * vocab);
    // Decode, one token per live sequence per call (generated positions are never steered).
    for (;;) {
      inputs.clear();
      infos.clear();
      rows.clear();
      for (size_t j = 0; j < m; ++j) {
        if (done[j]) continue;
        const SteerPrompt& p = prompts[(c0 + j) % n];
        inputs.push_back({std::span<const int32_t>(&next[j], 1), &caches[j]});
        infos.push_back({int(c0 + j), 0, int64_t(p.tokens.size())});
        rows.push_back(j);
      }
      if (inputs.empty()) break;
      hs.set_batch(infos);
      forward(model, inputs, fo, state);
      for (size_t r = 0; r < rows.size(); ++r)
        accept(rows[r], state.logits.ptr() + int64_t(r) * vocab);
    }
    for (size_t j = 0; j < m; ++j) {
      std::vector<int32_t> toks = gen[j];
      if (!toks.empty() &&
          std::find(stop_vec.begin(), stop_vec.end(), toks.back()) != stop_vec.end())
        toks.pop_back();
      const size_t g = (c0 + j) / n, i = (c0 + j) % n;
      SteerOutcome& o = out[g][i];
      o.completion = tok.decode(toks, /*skip_special=*/true);
      o.refusal = steer_is_refusal(format, o.completion);
      o.correct = steer_is_correct(format, prompts[i].prompt_type, prompts[i].answer, o.completion);
      o.degenerate = !o.refusal && is_degenerate(o.completion);
    }
  }
  return out;
}

std::vector<SteerOutcome> generate_steered(const Model& model, SteerFormat format,
                                           const std::vector<SteerPrompt>& prompts,
                                           const SteerIntervention& steer, int max_new_tokens) {
  return std::move(generate_steered_groups(model, format, prompts, {steer}, max_new_tokens)[0]);
}

SteerCalibration calibrate_resid_norm(const Model& model, const std::vector<SteerPrompt>& prompts,
                                      int layer) {
  SteerCalibration cal;
  cal.hook = "blocks." + std::to_string(layer) + ".hook_resid_pre";
  if (prompts.empty()) return cal;
  std::vector<CapturePrompt> cps;
  for (const auto& p : prompts) cps.push_back({p.tokens, {p.entity_last}});
  CaptureOptions opt;
  opt.hooks = {{cal.hook, {}}};
  const CaptureResult r = capture(model, cps, opt);
  const CapturedHook& h = r.hook(cal.hook);
  double sum = 0;
  for (int64_t i = 0; i < r.rows(); ++i) {
    double n2 = 0;
    for (int64_t k = 0; k < h.row_numel(); ++k) n2 += double(h.row(i)[k]) * h.row(i)[k];
    sum += std::sqrt(n2);
  }
  cal.n_prompts = int(r.rows());
  cal.mean_resid_norm = sum / double(r.rows());
  return cal;
}

RateTable rate_table(const std::vector<std::string>& types, const std::vector<SteerPrompt>& prompts,
                     const std::vector<SteerOutcome>& outcomes) {
  RateTable t;
  for (const auto& ty : types) t.push_back({ty, {}});
  t.push_back({"all", {}});
  for (size_t i = 0; i < prompts.size(); ++i) {
    for (auto& [name, cell] : t) {
      if (name != prompts[i].entity_type && name != "all") continue;
      ++cell.n;
      cell.refusals += outcomes[i].refusal ? 1 : 0;
      cell.correct += outcomes[i].correct ? 1 : 0;
      cell.degenerate += outcomes[i].degenerate ? 1 : 0;
    }
  }
  return t;
}

const RateCell& table_cell(const RateTable& t, const std::string& type) {
  for (const auto& [name, cell] : t)
    if (name == type) return cell;
  throw Error("rate table: no entity type '" + type + "'");
}

}  // namespace knowscope::study
