// SAE evaluation with the model in the loop: activation metrics and spliced downstream scores.
#include "knowscope/sae/sae_eval.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/core/progress.h"
#include "knowscope/hooks/hook_names.h"
#include "knowscope/hooks/interventions.h"
#include "knowscope/model/forward.h"
#include "knowscope/sae/corpus.h"
#include "knowscope/sae/encode.h"

namespace knowscope {
namespace {

// Consecutive sequences up to `max_tokens` tokens per batch (a longer sequence runs alone).
std::vector<std::pair<size_t, size_t>> batches(const std::vector<std::vector<int32_t>>& seqs,
                                               int64_t max_tokens) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t b = 0;
  while (b < seqs.size()) {
    size_t e = b;
    int64_t tok = 0;
    while (e < seqs.size() && (e == b || tok + int64_t(seqs[e].size()) <= max_tokens))
      tok += int64_t(seqs[e++].size());
    out.emplace_back(b, e);
    b = e;
  }
  return out;
}

std::vector<SequenceInput> inputs(const std::vector<std::vector<int32_t>>& seqs, size_t b,
                                  size_t e) {
  std::vector<SequenceInput> in;
  for (size_t i = b; i < e; ++i) in.push_back({std::span<const int32_t>(seqs[i]), nullptr});
  return in;
}

void check_sae(const Model& model, const Sae* sae) {
  if (!sae) fail("sae eval", "sae", "null SAE");
  if (sae->hook_name.empty()) fail("sae eval", "hook", "the SAE names no hook");
  HookName hn = parse_hook_name(sae->hook_name, model.config.n_layers);
  const int64_t cols = hook_cols(model.config, hn.point);
  if (cols != sae->d_in)
    fail("sae eval", sae->hook_name,
         "the hook is " + std::to_string(cols) + " wide, the SAE reads " +
             std::to_string(sae->d_in));
}

int64_t count_tokens(const std::vector<std::vector<int32_t>>& seqs) {
  int64_t n = 0;
  for (const auto& s : seqs) n += int64_t(s.size());
  return n;
}

}  // namespace

std::vector<SaeEvalResult> evaluate_saes_on_model(
    const Model& model, const std::vector<const Sae*>& saes,
    const std::vector<std::vector<int32_t>>& act_sequences,
    const std::vector<std::vector<int32_t>>& ce_sequences, const SaeEvalConfig& cfg) {
  for (const Sae* s : saes) check_sae(model, s);
  // The BOS row is left alone; a sequence without BOS (SmolLM2 adds none) keeps its first token.
  const Targets skip_first =
      Where::prompt_from(sequences_start_with_bos(model, act_sequences) &&
                                 sequences_start_with_bos(model, ce_sequences)
                             ? 1
                             : 0);
  std::vector<SaeEvalResult> res(saes.size());
  for (size_t i = 0; i < saes.size(); ++i) res[i].hook = saes[i]->hook_name;

  // Activation metrics: one pass per batch, every SAE reading its hook.
  if (!act_sequences.empty()) {
    std::vector<SaeMetricsAccumulator> acc;
    for (const Sae* s : saes) acc.emplace_back(s->d_in, s->d_sae, cfg.dense_threshold);
    HookSet hs(model.config);
    auto ws = std::make_shared<SaeWorkspace>();
    auto x_hat = std::make_shared<std::vector<float>>();
    auto codes = std::make_shared<SaeCodes>();
    for (size_t i = 0; i < saes.size(); ++i) {
      const Sae* sae = saes[i];
      SaeMetricsAccumulator* a = &acc[i];
      add_row_edit(
          hs, sae->hook_name, skip_first,
          [sae, a, ws, x_hat, codes](float* x, int64_t n, int64_t d, std::span<const RowRef>) {
            sae_encode(*sae, x, n, *codes, ws.get());
            x_hat->resize(size_t(n * d));
            sae_decode(*sae, *codes, x_hat->data());
            a->add(x, x_hat->data(), *codes);  // x is left as it was
          });
    }
    ForwardOptions fo;
    fo.logits = LogitsMode::None;
    fo.stop_after_layer = std::max(0, std::min(hs.last_layer(), model.config.n_layers - 1));
    fo.hooks = hs.forward_hooks();
    ForwardState st;
    auto bs = batches(act_sequences, cfg.batch_tokens);
    std::unique_ptr<Progress> prog;
    if (cfg.progress)
      prog =
          std::make_unique<Progress>("SAE eval: activations", count_tokens(act_sequences), "tok");
    for (auto [b, e] : bs) {
      auto in = inputs(act_sequences, b, e);
      forward(model, in, fo, st);
      if (prog) prog->advance(st.layout.rows);
    }
    if (prog) prog->finish();
    for (size_t i = 0; i < saes.size(); ++i) res[i].activations = acc[i].result();
  }

  // Downstream: clean logits once per batch, then per SAE the spliced and zero-ablated runs.
  if (!ce_sequences.empty()) {
    std::vector<DownstreamAccumulator> acc(saes.size());
    auto bs = batches(ce_sequences, cfg.logits_batch_tokens);
    std::unique_ptr<Progress> prog;
    if (cfg.progress)
      prog = std::make_unique<Progress>("SAE eval: spliced CE", int64_t(bs.size()), "batch");
    ForwardState st;
    ForwardOptions fo;
    fo.logits = LogitsMode::All;
    std::vector<float> clean, spliced;
    std::vector<int32_t> targets;
    SaeWorkspace ws;
    for (auto [b, e] : bs) {
      auto in = inputs(ce_sequences, b, e);
      targets.clear();
      for (size_t s = b; s < e; ++s) {
        const auto& q = ce_sequences[s];
        for (size_t t = 0; t < q.size(); ++t) targets.push_back(t + 1 < q.size() ? q[t + 1] : -1);
      }
      fo.hooks = nullptr;
      forward(model, in, fo, st);
      const int64_t T = st.logits.shape[0], V = st.logits.shape[1];
      check(T == int64_t(targets.size()), "sae eval", "logits", "one row per token expected");
      clean.assign(st.logits.ptr(), st.logits.ptr() + T * V);
      for (size_t i = 0; i < saes.size(); ++i) {
        const Sae* sae = saes[i];
        {
          HookSet hs(model.config);
          add_row_edit(hs, sae->hook_name, skip_first,
                       [sae, &ws](float* x, int64_t n, int64_t, std::span<const RowRef>) {
                         std::vector<float> xh(size_t(n * sae->d_in));
                         sae_reconstruct(*sae, x, n, xh.data(), &ws);
                         std::memcpy(x, xh.data(), xh.size() * sizeof(float));
                       });
          fo.hooks = hs.forward_hooks();
          forward(model, in, fo, st);
          spliced.assign(st.logits.ptr(), st.logits.ptr() + T * V);
        }
        {
          HookSet hs(model.config);
          add_row_edit(hs, sae->hook_name, skip_first,
                       [](float* x, int64_t n, int64_t d, std::span<const RowRef>) {
                         std::fill(x, x + n * d, 0.0f);
                       });
          fo.hooks = hs.forward_hooks();
          forward(model, in, fo, st);
        }
        acc[i].add(clean.data(), spliced.data(), st.logits.ptr(), T, V, targets.data());
      }
      if (prog) prog->advance();
    }
    if (prog) prog->finish();
    for (size_t i = 0; i < saes.size(); ++i) res[i].downstream = acc[i].result();
  }
  return res;
}

std::string sae_eval_to_json(const SaeEvalResult& r) {
  const SaeMetrics& m = r.activations;
  nlohmann::json j = {{"tokens", m.tokens},
                      {"l0", m.l0},
                      {"mse", m.mse},
                      {"fvu", m.fvu},
                      {"explained_variance", m.explained_variance},
                      {"cossim", m.cossim},
                      {"l2_ratio", m.l2_ratio},
                      {"dead_fraction", m.dead_fraction},
                      {"dense_fraction", m.dense_fraction}};
  const DownstreamScores& d = r.downstream;
  if (d.tokens > 0) {
    j["ce_tokens"] = d.tokens;
    j["ce_clean"] = d.ce_clean;
    j["ce_sae"] = d.ce_sae;
    j["ce_ablation"] = d.ce_ablation;
    j["ce_loss_score"] = d.ce_loss_score;
    j["kl_sae"] = d.kl_sae;
    j["kl_ablation"] = d.kl_ablation;
    j["kl_div_score"] = d.kl_div_score;
  }
  return j.dump();
}

}  // namespace knowscope
