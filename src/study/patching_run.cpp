// Patched forward passes: many (site, pair) runs batched into each forward call.
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <set>

#include "knowscope/core/error.h"
#include "knowscope/core/matmul.h"
#include "knowscope/core/ops.h"
#include "knowscope/core/progress.h"
#include "knowscope/hooks/capture.h"
#include "knowscope/hooks/interventions.h"
#include "knowscope/model/forward.h"
#include "knowscope/study/patching.h"

namespace knowscope::study {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_pairs(std::span<const HeadPrompt> prompts, std::span<const PromptPair> pairs) {
  for (const auto& p : pairs) {
    if (p.clean < 0 || p.corrupt < 0 || size_t(p.clean) >= prompts.size() ||
        size_t(p.corrupt) >= prompts.size())
      fail("patching", "pairs", "a pair indexes outside the prompt list");
    const auto& c = prompts[size_t(p.clean)];
    const auto& u = prompts[size_t(p.corrupt)];
    if (c.tokens.size() != u.tokens.size())
      fail("patching", c.text, "clean and corrupt prompts differ in length");
    if (c.answer_token < 0 || u.answer_token < 0)
      fail("patching", c.text, "a prompt of the pair has no answer token");
  }
}

// The logit of token `tok` from a residual row after the last block: final RMSNorm, one row of
// W_U, the final softcap. Same math as the forward pass's unembedding for that token.
double answer_logit(const Model& model, const float* normed, int32_t tok) {
  const TensorView& u = model.weights.output;
  TensorView row = u;
  row.shape = {1, u.cols()};
  row.data = u.row(tok);
  row.nbytes = u.row_bytes();
  float y = 0;
  linear(normed, 1, row, &y);
  const float cap = model.config.final_softcap;
  return cap > 0 ? double(cap * std::tanh(y / cap)) : double(y);
}

// Runs `seqs` in chunks of at most max_tokens (a longer sequence alone) and hands each sequence's
// normalised last residual row (ln_final output) to `sink(index, row)`. `prepare(begin, end)` may
// set up hooks for the chunk [begin, end) and returns them (or null).
template <class Prepare, class Sink>
void run_chunks(const Model& model, const std::vector<const std::vector<int32_t>*>& seqs,
                int64_t max_tokens, Prepare prepare, Sink sink, Progress* progress) {
  ForwardState state;
  const int64_t d = model.config.d_model;
  std::vector<float> normed(static_cast<size_t>(d));
  size_t begin = 0;
  while (begin < seqs.size()) {
    size_t end = begin;
    int64_t tokens = 0;
    while (end < seqs.size() &&
           (end == begin || tokens + int64_t(seqs[end]->size()) <= max_tokens)) {
      tokens += int64_t(seqs[end]->size());
      ++end;
    }
    std::vector<SequenceInput> batch;
    for (size_t i = begin; i < end; ++i) batch.push_back({*seqs[i], nullptr});
    ForwardOptions fo;
    fo.logits = LogitsMode::None;
    fo.hooks = prepare(begin, end);
    forward(model, batch, fo, state);
    for (size_t i = begin; i < end; ++i) {
      const SeqSpan& sp = state.layout.seqs[i - begin];
      const float* last = state.resid.ptr() + (sp.row_begin + sp.n_new - 1) * d;
      rmsnorm(last, model.weights.output_norm.data(), normed.data(), d, model.config.rms_eps);
      sink(i, normed.data());
    }
    if (progress) progress->advance(int64_t(end - begin));
    begin = end;
  }
}

double logit_diff(const Model& model, const float* normed, const HeadPrompt& clean,
                  const HeadPrompt& corrupt) {
  return answer_logit(model, normed, clean.answer_token) -
         answer_logit(model, normed, corrupt.answer_token);
}

}  // namespace

PairLogitDiffs pair_logit_diffs(const Model& model, std::span<const HeadPrompt> prompts,
                                std::span<const PromptPair> pairs, const PatchRunOptions& opt) {
  check_pairs(prompts, pairs);
  std::vector<const std::vector<int32_t>*> seqs;
  for (const auto& p : pairs) seqs.push_back(&prompts[size_t(p.clean)].tokens);
  for (const auto& p : pairs) seqs.push_back(&prompts[size_t(p.corrupt)].tokens);
  PairLogitDiffs out;
  out.clean.assign(pairs.size(), kNaN);
  out.corrupt.assign(pairs.size(), kNaN);
  run_chunks(
      model, seqs, opt.max_batch_tokens,
      [](size_t, size_t) -> const ForwardHooks* { return nullptr; },
      [&](size_t i, const float* normed) {
        const size_t k = i % pairs.size();
        const auto& pr = pairs[k];
        const double ld =
            logit_diff(model, normed, prompts[size_t(pr.clean)], prompts[size_t(pr.corrupt)]);
        (i < pairs.size() ? out.clean : out.corrupt)[k] = ld;
      },
      nullptr);
  return out;
}

std::vector<std::vector<double>> patched_logit_diffs(const Model& model,
                                                     std::span<const HeadPrompt> prompts,
                                                     std::span<const PromptPair> pairs,
                                                     std::span<const PatchSite> sites,
                                                     const PatchRunOptions& opt) {
  check_pairs(prompts, pairs);
  std::vector<std::vector<double>> out(sites.size(), std::vector<double>(pairs.size(), kNaN));
  if (sites.empty() || pairs.empty()) return out;

  // The clean activations: every hook the sites patch, all heads, every position; capture prompt
  // k is the clean prompt of pair k.
  std::vector<HookRequest> requests;
  std::set<std::string> hooks;
  for (const auto& s : sites)
    if (hooks.insert(s.hook).second) requests.push_back({s.hook, {}});
  std::vector<CapturePrompt> clean;
  for (const auto& p : pairs) {
    CapturePrompt cp{prompts[size_t(p.clean)].tokens, {}};
    for (int64_t i = 0; i < int64_t(cp.tokens.size()); ++i) cp.positions.push_back(i);
    clean.push_back(std::move(cp));
  }
  CaptureOptions co;
  co.hooks = requests;
  co.max_batch_tokens = opt.max_batch_tokens;
  auto source = std::make_shared<const CaptureResult>(capture(model, clean, co));

  // Work items (site, pair) with at least one position to patch, site-major.
  struct Item {
    size_t site, pair;
    std::vector<int64_t> pos;  // absolute positions; empty: all
  };
  std::vector<Item> items;
  for (size_t s = 0; s < sites.size(); ++s)
    for (size_t k = 0; k < pairs.size(); ++k) {
      const HeadPrompt& u = prompts[size_t(pairs[k].corrupt)];
      const int64_t n = int64_t(u.tokens.size());
      Item it{s, k, {}};
      if (sites[s].role >= 0) {
        for (int64_t p = 0; p < n; ++p)
          if (position_role(u, p) == sites[s].role) it.pos.push_back(p);
        if (it.pos.empty()) continue;
      } else if (sites[s].position != PatchSite::kAllPositions) {
        const int64_t p = sites[s].position < 0 ? sites[s].position + n : sites[s].position;
        if (p < 0 || p >= n) continue;
        it.pos.push_back(p);
      }
      items.push_back(std::move(it));
    }
  std::vector<const std::vector<int32_t>*> seqs;
  for (const auto& it : items) seqs.push_back(&prompts[size_t(pairs[it.pair].corrupt)].tokens);

  std::unique_ptr<HookSet> hs;
  std::optional<Progress> progress;
  if (opt.progress) progress.emplace("patching", int64_t(items.size()), "runs");
  run_chunks(
      model, seqs, opt.max_batch_tokens,
      [&](size_t begin, size_t end) -> const ForwardHooks* {
        // Batch sequence j is prompt j of this chunk; each site patches only its own sequences,
        // from the capture row of its pair's clean prompt.
        hs = std::make_unique<HookSet>(model.config);
        std::vector<SeqInfo> infos;
        std::vector<int> source_prompt;
        for (size_t i = begin; i < end; ++i) {
          infos.push_back({int(i - begin), 0, int64_t(seqs[i]->size())});
          source_prompt.push_back(int(items[i].pair));
        }
        size_t i = begin;
        while (i < end) {
          const size_t site = items[i].site;
          std::vector<Where> where(end - begin, Where::none());
          for (; i < end && items[i].site == site; ++i)
            where[i - begin] = items[i].pos.empty() ? Where::all() : Where::at(items[i].pos);
          add_patch(*hs, sites[site].hook, Targets::each(std::move(where)), source,
                    sites[site].heads, source_prompt);
        }
        hs->set_batch(infos);
        return hs->forward_hooks();
      },
      [&](size_t i, const float* normed) {
        const auto& pr = pairs[items[i].pair];
        out[items[i].site][items[i].pair] =
            logit_diff(model, normed, prompts[size_t(pr.clean)], prompts[size_t(pr.corrupt)]);
      },
      progress ? &*progress : nullptr);
  if (progress) progress->finish();
  return out;
}

double patching_metric(std::span<const double> patched, std::span<const double> clean,
                       std::span<const double> corrupt) {
  auto mean = [](std::span<const double> v) {
    double s = 0;
    int n = 0;
    for (double x : v)
      if (std::isfinite(x)) s += x, ++n;
    return n ? s / n : kNaN;
  };
  const double p = mean(patched), c = mean(clean), u = mean(corrupt);
  const double denom = c - u;
  if (!std::isfinite(p) || !std::isfinite(denom) || denom == 0) return kNaN;
  return (p - u) / denom;
}

}  // namespace knowscope::study
