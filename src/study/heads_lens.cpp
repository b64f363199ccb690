// Head logit lens: a head's output at the last position through ln_final's weight and W_U.
#include "knowscope/study/heads_lens.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "knowscope/core/error.h"
#include "knowscope/core/matmul.h"
#include "knowscope/hooks/capture.h"
#include "knowscope/hooks/hook_names.h"
#include "study/heads_json.h"

namespace knowscope::study {

using nlohmann::json;

std::vector<float> head_output(const Model& model, int layer, int head, std::span<const float> z) {
  const ModelConfig& c = model.config;
  if (layer < 0 || layer >= c.n_layers || head < 0 || head >= c.n_heads)
    fail("head lens", head_id(layer, head), "no such head in this model");
  if (int64_t(z.size()) != int64_t(c.n_q_dim()))
    fail("head lens", head_id(layer, head), "hook_z row of the wrong width");
  // W_O applied to z with every other head zeroed: exactly the head's own columns of W_O.
  std::vector<float> masked(z.size(), 0.0f);
  const size_t D = size_t(c.head_dim);
  std::copy(z.begin() + ptrdiff_t(size_t(head) * D), z.begin() + ptrdiff_t(size_t(head + 1) * D),
            masked.begin() + ptrdiff_t(size_t(head) * D));
  std::vector<float> out(size_t(c.d_model));
  linear(masked.data(), 1, model.weights.layers[size_t(layer)].o, out.data());
  return out;
}

std::vector<float> lens_scores(const Model& model, std::span<const float> head_out) {
  const ModelConfig& c = model.config;
  if (int64_t(head_out.size()) != c.d_model) fail("head lens", "head output", "not d_model wide");
  std::vector<float> x(head_out.begin(), head_out.end());
  const auto& w = model.weights.output_norm;
  if (w.size() == x.size())
    for (size_t i = 0; i < x.size(); ++i) x[i] *= w[i];
  std::vector<float> scores(size_t(c.vocab_size));
  linear(x.data(), 1, model.weights.output, scores.data());
  return scores;
}

HeadRef parse_head_id(const std::string& text) {
  int l = -1, h = -1;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%*[Ll]%d%*[Hh]%d%c", &l, &h, &tail) != 2 || l < 0 || h < 0)
    fail("--heads", text, "expected a head like L9H2 (layer 9, head 2, 0-based)");
  return {l, h};
}

LensResult run_head_lens(const Model& model, std::span<const HeadPrompt> prompts,
                         std::span<const HeadRef> heads, int top_k) {
  const ModelConfig& c = model.config;
  LensResult r;
  r.model = c.name;
  r.top_k = top_k;
  if (prompts.empty() || heads.empty()) return r;
  std::vector<CapturePrompt> cps;
  for (const auto& p : prompts) cps.push_back({p.tokens, {p.last()}});
  CaptureOptions co;
  std::vector<int> layers;
  for (const auto& h : heads) {
    if (h.layer < 0 || h.layer >= c.n_layers || h.head < 0 || h.head >= c.n_heads)
      fail("head lens", head_id(h.layer, h.head), "no such head in this model");
    if (std::find(layers.begin(), layers.end(), h.layer) == layers.end()) {
      layers.push_back(h.layer);
      co.hooks.push_back({hook_name(HookPoint::Z, h.layer), {}});
    }
  }
  const CaptureResult res = capture(model, cps, co);
  for (const auto& h : heads) {
    const CapturedHook& z = res.hook(hook_name(HookPoint::Z, h.layer));
    for (size_t i = 0; i < prompts.size(); ++i) {
      const auto& p = prompts[i];
      const int64_t row = res.find_row(int(i), p.last());
      const auto out = head_output(model, h.layer, h.head,
                                   std::span<const float>(z.row(row), size_t(z.row_numel())));
      const auto scores = lens_scores(model, out);
      std::vector<int32_t> order(scores.size());
      std::iota(order.begin(), order.end(), 0);
      const size_t k = std::min(size_t(top_k), order.size());
      std::partial_sort(order.begin(), order.begin() + ptrdiff_t(k), order.end(),
                        [&](int32_t a, int32_t b) {
                          return scores[size_t(a)] > scores[size_t(b)] ||
                                 (scores[size_t(a)] == scores[size_t(b)] && a < b);
                        });
      LensEntry e{h.layer, h.head, p.entity, p.entity_type, p.text, p.answer, -1, {}};
      for (size_t j = 0; j < k; ++j)
        e.tokens.push_back({order[j],
                            model.tokenizer ? model.tokenizer->decode({order[j]}) : std::string(),
                            scores[size_t(order[j])]});
      if (p.answer_token >= 0 && size_t(p.answer_token) < scores.size()) {
        const float s = scores[size_t(p.answer_token)];
        int64_t rank = 0;
        for (size_t v = 0; v < scores.size(); ++v)
          rank += (scores[v] > s || (scores[v] == s && int32_t(v) < p.answer_token)) ? 1 : 0;
        e.answer_rank = rank;
      }
      r.entries.push_back(std::move(e));
    }
  }
  return r;
}

std::string lens_to_json(const LensResult& r) {
  json j;
  j["format"] = "knowscope-heads-lens";
  j["version"] = 1;
  j["model"] = r.model;
  j["labels"] = r.labels;
  j["top_k"] = r.top_k;
  json entries = json::array();
  for (const auto& e : r.entries) {
    json toks = json::array();
    for (const auto& t : e.tokens)
      toks.push_back({{"id", t.id}, {"text", t.text}, {"score", num(t.score)}});
    entries.push_back({{"id", head_id(e.layer, e.head)},
                       {"layer", e.layer},
                       {"head", e.head},
                       {"entity", e.entity},
                       {"entity_type", e.entity_type},
                       {"prompt", e.prompt},
                       {"answer", e.answer},
                       {"answer_rank", e.answer_rank < 0 ? json(nullptr) : json(e.answer_rank)},
                       {"tokens", toks}});
  }
  j["entries"] = entries;
  return j.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string lens_table(const LensResult& r, int show) {
  std::string out;
  for (const auto& e : r.entries) {
    out += head_id(e.layer, e.head) + "  " + e.prompt + "  [answer" + e.answer + ", rank " +
           (e.answer_rank < 0 ? std::string("-") : std::to_string(e.answer_rank)) + "]\n   ";
    for (int i = 0; i < show && size_t(i) < e.tokens.size(); ++i)
      out += " '" + e.tokens[size_t(i)].text + "'";
    out += "\n";
  }
  return out;
}

}  // namespace knowscope::study
