// Steering, row edits, head ablation and activation patching as HookSet handlers.
#include "knowscope/hooks/interventions.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <unordered_map>

#include "knowscope/core/error.h"
#include "knowscope/hooks/hook_names.h"

namespace knowscope {
namespace {

// A per-row hook by name, or Error saying why the hook does not take row interventions.
HookName row_hook(const HookSet& hs, const std::string& hook, const char* what) {
  HookName hn = parse_hook_name(hook, hs.config().n_layers);
  if (hook_is_per_sequence(hn.point))
    fail(what, hook,
         "needs a per-token hook (resid, attn_out, mlp_out, q/k/v/z, mlp.hook_post, hook_embed, "
         "ln_final.hook_normalized); attention patterns can only be patched or captured");
  return hn;
}

void check_heads(const std::vector<int>& heads, int n_heads, const char* what,
                 const std::string& hook) {
  std::set<int> seen;
  for (int h : heads) {
    if (h < 0 || h >= n_heads)
      fail(what, hook,
           "head " + std::to_string(h) + " out of range: " + std::to_string(n_heads) +
               " heads (0.." + std::to_string(n_heads - 1) + ")");
    if (!seen.insert(h).second) fail(what, hook, "head " + std::to_string(h) + " listed twice");
  }
}

}  // namespace

void add_steering(HookSet& hs, const std::string& hook, const Targets& where, float coef,
                  std::vector<float> vector) {
  HookName hn = row_hook(hs, hook, "steering");
  const int64_t cols = hook_cols(hs.config(), hn.point);
  if (int64_t(vector.size()) != cols)
    fail("steering", hook,
         "vector has " + std::to_string(vector.size()) + " values, the hook is " +
             std::to_string(cols) + " wide");
  std::vector<RowRef> rows;
  hs.add(hn.point, hn.layer,
         [where, coef, v = std::move(vector), rows](const HookEvent& ev,
                                                    std::span<const SeqInfo> seqs) mutable {
           rows.clear();
           HookSet::select_rows(where, ev, seqs, rows);
           const int64_t n = ev.cols;
           for (const RowRef& r : rows) {
             float* x = ev.data + r.row * n;
             for (int64_t i = 0; i < n; ++i) x[i] += coef * v[size_t(i)];
           }
         });
}

void add_row_edit(HookSet& hs, const std::string& hook, const Targets& where, RowEditFn fn) {
  HookName hn = row_hook(hs, hook, "row edit");
  if (!fn) fail("row edit", hook, "no edit function");
  std::vector<RowRef> rows;
  std::vector<float> block;
  hs.add(hn.point, hn.layer,
         [where, fn = std::move(fn), rows, block](const HookEvent& ev,
                                                  std::span<const SeqInfo> seqs) mutable {
           rows.clear();
           HookSet::select_rows(where, ev, seqs, rows);
           if (rows.empty()) return;
           const int64_t n = int64_t(rows.size()), c = ev.cols;
           block.resize(size_t(n * c));
           for (int64_t i = 0; i < n; ++i)
             std::memcpy(block.data() + i * c, ev.data + rows[size_t(i)].row * c,
                         size_t(c) * sizeof(float));
           fn(block.data(), n, c, rows);
           for (int64_t i = 0; i < n; ++i)
             std::memcpy(ev.data + rows[size_t(i)].row * c, block.data() + i * c,
                         size_t(c) * sizeof(float));
         });
}

void add_head_ablation(HookSet& hs, int layer, std::vector<int> heads, const Targets& where,
                       Ablation mode, std::vector<float> means) {
  const ModelConfig& c = hs.config();
  const std::string hook = hook_name(HookPoint::Z, layer);
  parse_hook_name(hook, c.n_layers);  // range check with the usual message
  if (heads.empty()) fail("head ablation", hook, "no heads given");
  check_heads(heads, c.n_heads, "head ablation", hook);
  const int64_t D = c.head_dim;
  if (mode == Ablation::Mean && int64_t(means.size()) != int64_t(c.n_heads) * D)
    fail("head ablation", hook,
         "mean ablation needs a [n_heads * head_dim] = " + std::to_string(c.n_heads * D) +
             " vector of mean z, got " + std::to_string(means.size()));
  std::vector<RowRef> rows;
  hs.add(HookPoint::Z, layer,
         [where, heads = std::move(heads), mode, m = std::move(means), D, rows](
             const HookEvent& ev, std::span<const SeqInfo> seqs) mutable {
           rows.clear();
           HookSet::select_rows(where, ev, seqs, rows);
           for (const RowRef& r : rows)
             for (int h : heads) {
               float* z = ev.data + r.row * ev.cols + int64_t(h) * D;
               if (mode == Ablation::Zero)
                 std::fill(z, z + D, 0.0f);
               else
                 std::memcpy(z, m.data() + int64_t(h) * D, size_t(D) * sizeof(float));
             }
         });
}

void add_patch(HookSet& hs, const std::string& hook, const Targets& where,
               std::shared_ptr<const CaptureResult> source, std::vector<int> heads,
               std::vector<int> source_prompt) {
  const ModelConfig& c = hs.config();
  HookName hn = parse_hook_name(hook, c.n_layers);
  if (!source) fail("patch", hook, "no source capture");
  const CapturedHook& src = source->hook(hook_name(hn));
  if (!heads.empty() && !hook_has_heads(hn.point))
    fail("patch", hook, "has no heads (heads apply to q/k/v/z/attn_scores/pattern)");
  // Which of the source's kept heads each patched head is.
  std::vector<int> src_slot;
  if (hook_has_heads(hn.point)) {
    if (heads.empty())
      for (int h = 0; h < hook_heads(c, hn.point); ++h) heads.push_back(h);
    check_heads(heads, hook_heads(c, hn.point), "patch", hook);
    for (int h : heads) {
      auto it = std::find(src.heads.begin(), src.heads.end(), h);
      if (it == src.heads.end())
        fail("patch", hook, "the source capture did not keep head " + std::to_string(h));
      src_slot.push_back(int(it - src.heads.begin()));
    }
  } else if (src.row_numel() != hook_cols(c, hn.point)) {
    fail("patch", hook, "the source capture's rows are not this model's width");
  }
  // (prompt, position) -> source row.
  auto key = [](int64_t p, int64_t pos) { return (p << 32) ^ pos; };
  std::unordered_map<int64_t, int64_t> index;
  for (int64_t r = 0; r < source->rows(); ++r)
    index[key(source->prompt[size_t(r)], source->position[size_t(r)])] = r;
  const int64_t D = c.head_dim;
  const bool per_seq = hook_is_per_sequence(hn.point);
  std::vector<RowRef> rows;
  const std::string name = hook_name(hn);
  hs.add(hn.point, hn.layer,
         [=, index = std::move(index), rows = std::move(rows)](
             const HookEvent& ev, std::span<const SeqInfo> seqs) mutable {
           rows.clear();
           HookSet::select_rows(where, ev, seqs, rows);
           const CapturedHook& s = source->hook(name);
           for (const RowRef& r : rows) {
             const int sp = source_prompt.empty() ? r.prompt
                                                  : (size_t(r.prompt) < source_prompt.size()
                                                         ? source_prompt[size_t(r.prompt)]
                                                         : -1);
             auto it = index.find(key(sp, r.pos));
             if (sp < 0 || it == index.end())
               fail("patch", name,
                    "the source capture has no row for prompt " + std::to_string(sp) +
                        " position " + std::to_string(r.pos));
             const float* srow = s.row(it->second);
             if (per_seq) {
               const int64_t T = ev.layout->seqs[size_t(r.seq)].n_new, S = ev.cols,
                             K = s.row_shape[1];
               if (K < S)
                 fail("patch", name,
                      "source rows have " + std::to_string(K) + " keys, the target needs " +
                          std::to_string(S));
               for (size_t i = 0; i < heads.size(); ++i)
                 std::memcpy(ev.data + (int64_t(heads[i]) * T + r.row) * S,
                             srow + int64_t(src_slot[i]) * K, size_t(S) * sizeof(float));
             } else if (src_slot.empty()) {
               std::memcpy(ev.data + r.row * ev.cols, srow, size_t(ev.cols) * sizeof(float));
             } else {
               for (size_t i = 0; i < heads.size(); ++i)
                 std::memcpy(ev.data + r.row * ev.cols + int64_t(heads[i]) * D,
                             srow + int64_t(src_slot[i]) * D, size_t(D) * sizeof(float));
             }
           }
         });
}

}  // namespace knowscope
