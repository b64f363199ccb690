// In-memory capture: plan the hooks, run prompts in chunks, copy the selected rows and heads.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <set>

#include "capture_plan.h"
#include "knowscope/core/error.h"

namespace knowscope {
namespace hooks_detail {

std::vector<CapturedHook> plan_capture(const ModelConfig& c, const std::vector<HookRequest>& reqs,
                                       int64_t keys) {
  if (reqs.empty()) fail("capture", "hooks", "no hook requested");
  std::vector<CapturedHook> plan;
  std::set<std::string> seen;
  for (const HookRequest& r : reqs) {
    HookName hn = parse_hook_name(r.name, c.n_layers);
    CapturedHook h;
    h.name = hook_name(hn);
    h.point = hn.point;
    h.layer = hn.layer;
    std::string key = h.name;
    for (int x : r.heads) {
      key += ',';
      key += std::to_string(x);
    }
    if (!seen.insert(key).second) fail("capture", r.name, "requested twice");
    if (!r.heads.empty() && !hook_has_heads(hn.point))
      fail("capture", r.name,
           "has no heads (heads can be chosen for attn.hook_q/k/v/z/attn_scores/pattern)");
    const int n_heads = hook_heads(c, hn.point);
    if (hook_has_heads(hn.point)) {
      if (r.heads.empty()) {
        for (int x = 0; x < n_heads; ++x) h.heads.push_back(x);
      } else {
        std::set<int> distinct;
        for (int x : r.heads) {
          if (x < 0 || x >= n_heads)
            fail("capture", r.name,
                 "head " + std::to_string(x) + " out of range: this hook has " +
                     std::to_string(n_heads) + " heads (0.." + std::to_string(n_heads - 1) + ")");
          if (!distinct.insert(x).second)
            fail("capture", r.name, "head " + std::to_string(x) + " listed twice");
        }
        h.heads = r.heads;
      }
      const int64_t inner = hook_is_per_sequence(hn.point) ? keys : c.head_dim;
      h.row_shape = {int64_t(h.heads.size()), inner};
    } else {
      h.row_shape = {hook_cols(c, hn.point)};
    }
    plan.push_back(std::move(h));
  }
  return plan;
}

int64_t check_prompts(std::span<const CapturePrompt> prompts) {
  int64_t longest = 0;
  for (size_t p = 0; p < prompts.size(); ++p) {
    const CapturePrompt& cp = prompts[p];
    const std::string where = "capture prompt " + std::to_string(p);
    const int64_t n = int64_t(cp.tokens.size());
    if (n == 0) fail(where, "tokens", "no tokens");
    for (size_t i = 0; i < cp.positions.size(); ++i) {
      const int64_t pos = cp.positions[i];
      if (pos < 0 || pos >= n)
        fail(where, "position " + std::to_string(pos),
             "outside the prompt's " + std::to_string(n) + " tokens");
      if (i > 0 && pos <= cp.positions[i - 1])
        fail(where, "positions", "must be ascending and distinct");
    }
    longest = std::max(longest, n);
  }
  return longest;
}

namespace {

// Rows of the current chunk: which batch row (or sequence + query) fills which output row.
struct ChunkRows {
  std::vector<int64_t> batch_row, out_row;  // per-row hooks
  std::vector<size_t> seq_first;            // per sequence: first index into the lists above
  std::vector<int64_t> query;               // query index within its sequence
};

}  // namespace

CaptureResult run_capture(const Model& model, std::span<const CapturePrompt> prompts, size_t p0,
                          size_t p1, const CaptureOptions& opt,
                          const std::vector<CapturedHook>& plan, Progress* progress) {
  const ModelConfig& c = model.config;
  CaptureResult res;
  res.hooks = plan;
  int64_t total = 0;
  for (size_t p = p0; p < p1; ++p) total += int64_t(prompts[p].positions.size());
  for (CapturedHook& h : res.hooks) {
    Shape s{total};
    s.insert(s.end(), h.row_shape.begin(), h.row_shape.end());
    h.data = Tensor(s);
  }
  res.prompt.reserve(size_t(total));
  for (size_t p = p0; p < p1; ++p)
    for (int64_t pos : prompts[p].positions) {
      res.prompt.push_back(int32_t(p));
      res.position.push_back(pos);
      res.token.push_back(prompts[p].tokens[size_t(pos)]);
    }

  // Stop after the deepest block any hook reads; ln_final needs the whole pass.
  int deepest = -1;
  bool needs_final = false;
  for (const CapturedHook& h : plan) {
    if (h.point == HookPoint::FinalNorm) needs_final = true;
    deepest = std::max(deepest, h.layer);
  }

  auto rows = std::make_shared<ChunkRows>();
  HookSet cap(c);
  for (size_t k = 0; k < res.hooks.size(); ++k) {
    CapturedHook* out = &res.hooks[k];
    const int64_t D = c.head_dim;
    if (hook_is_per_sequence(out->point)) {
      const float pad = out->point == HookPoint::Pattern ? 0.0f : -INFINITY;
      cap.add(out->point, out->layer, [out, rows, pad](const HookEvent& ev, auto) {
        const ChunkRows& cr = *rows;
        const size_t s = size_t(ev.seq);
        const int64_t T = ev.layout->seqs[s].n_new, S = ev.cols, K = out->row_shape[1];
        const int64_t numel = out->row_numel();
        for (size_t i = cr.seq_first[s]; i < cr.seq_first[s + 1]; ++i) {
          float* dst = out->data.ptr() + cr.out_row[i] * numel;
          for (size_t hi = 0; hi < out->heads.size(); ++hi) {
            const float* src = ev.data + (int64_t(out->heads[hi]) * T + cr.query[i]) * S;
            std::memcpy(dst + int64_t(hi) * K, src, size_t(S) * sizeof(float));
            std::fill(dst + int64_t(hi) * K + S, dst + int64_t(hi + 1) * K, pad);
          }
        }
      });
    } else {
      cap.add(out->point, out->layer, [out, rows, D](const HookEvent& ev, auto) {
        const ChunkRows& cr = *rows;
        const int64_t numel = out->row_numel();
        for (size_t i = 0; i < cr.batch_row.size(); ++i) {
          const float* src = ev.data + cr.batch_row[i] * ev.cols;
          float* dst = out->data.ptr() + cr.out_row[i] * numel;
          if (out->heads.empty()) {
            std::memcpy(dst, src, size_t(numel) * sizeof(float));
          } else {
            for (size_t hi = 0; hi < out->heads.size(); ++hi)
              std::memcpy(dst + int64_t(hi) * D, src + int64_t(out->heads[hi]) * D,
                          size_t(D) * sizeof(float));
          }
        }
      });
    }
  }
  const ForwardHooks combined = combine_hooks(
      opt.interventions ? opt.interventions->forward_hooks() : nullptr, cap.forward_hooks());

  ForwardOptions fo;
  fo.logits = LogitsMode::None;
  fo.stop_after_layer = needs_final ? -1 : std::max(deepest, 0);
  fo.hooks = &combined;
  fo.numerics = opt.numerics;
  ForwardState st;
  std::vector<SequenceInput> inputs;
  std::vector<SeqInfo> infos;
  int64_t out_base = 0;
  size_t p = p0;
  while (p < p1) {
    // A chunk: as many prompts as fit the limits (at least one).
    size_t q = p;
    int64_t tokens = 0;
    while (q < p1 && int(q - p) < std::max(1, opt.max_batch_prompts)) {
      const int64_t n = int64_t(prompts[q].tokens.size());
      if (q > p && tokens + n > opt.max_batch_tokens) break;
      tokens += n;
      ++q;
    }
    inputs.clear();
    infos.clear();
    ChunkRows& cr = *rows;
    cr.batch_row.clear();
    cr.out_row.clear();
    cr.query.clear();
    cr.seq_first.clear();
    int64_t row_begin = 0;
    for (size_t k = p; k < q; ++k) {
      inputs.push_back({prompts[k].tokens, nullptr});
      infos.push_back({int(k), 0, -1});
      cr.seq_first.push_back(cr.batch_row.size());
      for (int64_t pos : prompts[k].positions) {
        cr.batch_row.push_back(row_begin + pos);
        cr.query.push_back(pos);
        cr.out_row.push_back(out_base++);
      }
      row_begin += int64_t(prompts[k].tokens.size());
    }
    cr.seq_first.push_back(cr.batch_row.size());
    if (opt.interventions) opt.interventions->set_batch(infos);
    forward(model, inputs, fo, st);
    if (progress) progress->advance(int64_t(q - p));
    p = q;
  }
  if (opt.interventions) opt.interventions->clear_batch();
  return res;
}

}  // namespace hooks_detail

CapturePrompt make_capture_prompt(const Tokenizer& tok, const std::string& text,
                                  const PositionSpec& spec, const EncodeOptions& enc,
                                  SubstringRule rule, const std::string& where) {
  std::vector<TokenSpan> spans = tok.encode_spans(text, enc);
  CapturePrompt cp;
  for (const TokenSpan& s : spans) cp.tokens.push_back(s.id);
  PositionContext ctx;
  ctx.n_tokens = int64_t(cp.tokens.size());
  ctx.text = text;
  ctx.spans = &spans;
  ctx.ids = &cp.tokens;
  ctx.tok = &tok;
  ctx.rule = rule;
  cp.positions = resolve_positions(spec, ctx, where);
  return cp;
}

const CapturedHook& CaptureResult::hook(const std::string& name) const {
  std::string names;
  for (const CapturedHook& h : hooks) {
    if (h.name == name) return h;
    names += (names.empty() ? "" : ", ") + h.name;
  }
  fail("capture", name, "not captured (captured: " + names + ")");
}

int64_t CaptureResult::find_row(int prompt_index, int64_t pos) const {
  // Rows are ordered by prompt, then position: binary search.
  auto lo = std::lower_bound(prompt.begin(), prompt.end(), prompt_index);
  for (auto it = lo; it != prompt.end() && *it == prompt_index; ++it)
    if (position[size_t(it - prompt.begin())] == pos) return int64_t(it - prompt.begin());
  return -1;
}

std::vector<float> mean_rows(const CapturedHook& h) {
  const int64_t n = h.data.shape.empty() ? 0 : h.data.shape[0], m = h.row_numel();
  std::vector<double> acc(size_t(m), 0.0);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < m; ++i) acc[size_t(i)] += h.row(r)[i];
  std::vector<float> out(static_cast<size_t>(m));
  for (int64_t i = 0; i < m; ++i) out[size_t(i)] = n ? float(acc[size_t(i)] / double(n)) : 0.0f;
  return out;
}

CaptureResult capture(const Model& model, std::span<const CapturePrompt> prompts,
                      const CaptureOptions& opt) {
  const int64_t keys = hooks_detail::check_prompts(prompts);
  auto plan = hooks_detail::plan_capture(model.config, opt.hooks, keys);
  std::unique_ptr<Progress> progress;
  if (opt.progress)
    progress = std::make_unique<Progress>("capture", int64_t(prompts.size()), "prompt");
  CaptureResult r =
      hooks_detail::run_capture(model, prompts, 0, prompts.size(), opt, plan, progress.get());
  if (progress) progress->finish();
  return r;
}

}  // namespace knowscope
