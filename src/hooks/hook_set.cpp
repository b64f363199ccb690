// HookSet dispatch and row selection.
#include "knowscope/hooks/hook_set.h"

#include <algorithm>

#include "knowscope/core/error.h"
#include "knowscope/hooks/hook_names.h"

namespace knowscope {
namespace {

constexpr int kNumPoints = int(HookPoint::Logits) + 1;

bool is_global(HookPoint p) {
  return p == HookPoint::Embed || p == HookPoint::FinalNorm || p == HookPoint::Logits;
}

// Appends rows [lo, hi) (absolute positions) of sequence s.
void push_range(int s, const SeqSpan& sp, const SeqInfo& info, int64_t plen, int64_t lo, int64_t hi,
                bool per_seq, std::vector<RowRef>& out) {
  lo = std::max(lo, sp.pos_begin);
  hi = std::min(hi, sp.pos_begin + sp.n_new);
  for (int64_t pos = lo; pos < hi; ++pos) {
    const int64_t i = pos - sp.pos_begin;
    out.push_back({s, per_seq ? i : sp.row_begin + i, pos, info.prompt, info.sample, pos >= plen});
  }
}

}  // namespace

const Where& Targets::for_prompt(int prompt) const {
  static const Where kNone = Where::none();
  if (per_prompt.empty()) return where;
  if (prompt < 0 || size_t(prompt) >= per_prompt.size()) return kNone;
  return per_prompt[size_t(prompt)];
}

HookSet::HookSet(const ModelConfig& config)
    : config_(config), slots_(size_t(kNumPoints) * size_t(config.n_layers + 1)) {
  compiled_.wants = [this](HookPoint p, int layer) { return !slots_[slot(p, layer)].empty(); };
  compiled_.fn = [this](const HookEvent& ev) {
    std::span<const SeqInfo> seqs = infos(*ev.layout);
    for (const Handler& h : slots_[slot(ev.point, ev.layer)]) h(ev, seqs);
  };
}

size_t HookSet::slot(HookPoint p, int layer) const {
  const int l = is_global(p) ? 0 : layer + 1;
  if (l < 0 || l > config_.n_layers) return 0;  // never registered: an empty slot
  return size_t(int(p) * (config_.n_layers + 1) + l);
}

void HookSet::add(HookPoint point, int layer, Handler h) {
  if (!is_global(point) && (layer < 0 || layer >= config_.n_layers))
    fail("hooks", hook_name(point, layer),
         "block out of range: the model has " + std::to_string(config_.n_layers) + " blocks");
  if (point == HookPoint::Embed) layer = -1;
  slots_[slot(point, layer)].push_back(std::move(h));
  ++n_handlers_;
  const int reach = point == HookPoint::Embed ? -1
                    : (point == HookPoint::FinalNorm || point == HookPoint::Logits)
                        ? config_.n_layers
                        : layer;
  last_layer_ = std::max(last_layer_, reach);
}

void HookSet::add(const std::string& name, Handler h) {
  HookName hn = parse_hook_name(name, config_.n_layers);
  add(hn.point, hn.layer, std::move(h));
}

void HookSet::set_batch(std::span<const SeqInfo> seqs) { batch_.assign(seqs.begin(), seqs.end()); }

std::span<const SeqInfo> HookSet::infos(const BatchLayout& lay) const {
  if (batch_.size() == lay.seqs.size()) return batch_;
  defaults_.resize(lay.seqs.size());
  for (size_t s = 0; s < lay.seqs.size(); ++s) defaults_[s] = {int(s), 0, -1};
  return defaults_;
}

void HookSet::select_rows(const Targets& t, const HookEvent& ev, std::span<const SeqInfo> seqs,
                          std::vector<RowRef>& out) {
  const BatchLayout& lay = *ev.layout;
  const bool per_seq = ev.seq >= 0;
  const size_t s0 = per_seq ? size_t(ev.seq) : 0;
  const size_t s1 = per_seq ? size_t(ev.seq) + 1 : lay.seqs.size();
  for (size_t s = s0; s < s1; ++s) {
    const SeqSpan& sp = lay.seqs[s];
    const SeqInfo& info = seqs[s];
    const int64_t plen = info.prompt_len < 0 ? sp.n_keys() : info.prompt_len;
    const Where& w = t.for_prompt(info.prompt);
    const int si = int(s);
    switch (w.kind) {
      case Where::Kind::None:
        break;
      case Where::Kind::All:
        push_range(si, sp, info, plen, 0, INT64_MAX, per_seq, out);
        break;
      case Where::Kind::Prompt:
        push_range(si, sp, info, plen, 0, plen, per_seq, out);
        break;
      case Where::Kind::Generated:
        push_range(si, sp, info, plen, plen, INT64_MAX, per_seq, out);
        break;
      case Where::Kind::PromptFrom:
      case Where::Kind::Positions: {
        for (size_t k = 0; k < w.positions.size(); ++k) {
          const int64_t p = w.positions[k];
          const int64_t r = p < 0 ? plen + p : p;
          if (r < 0 || r >= plen)
            fail("hooks", hook_name(ev.point, ev.layer),
                 "position " + std::to_string(p) + " outside prompt " +
                     std::to_string(info.prompt) + " (" + std::to_string(plen) + " tokens)");
          if (w.kind == Where::Kind::PromptFrom) {
            push_range(si, sp, info, plen, r, plen, per_seq, out);
            break;
          }
          push_range(si, sp, info, plen, r, r + 1, per_seq, out);
        }
        break;
      }
    }
  }
}

ForwardHooks combine_hooks(const ForwardHooks* a, const ForwardHooks* b) {
  ForwardHooks h;
  h.wants = [a, b](HookPoint p, int layer) {
    return (a && a->want(p, layer)) || (b && b->want(p, layer));
  };
  h.fn = [a, b](const HookEvent& ev) {
    if (a && a->want(ev.point, ev.layer)) a->fn(ev);
    if (b && b->want(ev.point, ev.layer)) b->fn(ev);
  };
  return h;
}

}  // namespace knowscope
