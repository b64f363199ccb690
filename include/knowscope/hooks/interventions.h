// Interventions: handlers added to a HookSet that change activations during the forward pass.
// They compose (several on one HookSet, applied in the order added) and act per prompt within a
// batch through Targets. All validate hook names, sizes and heads when added and throw Error.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "knowscope/hooks/capture.h"
#include "knowscope/hooks/hook_set.h"

namespace knowscope {

// x[pos] += coef * vector at a per-row hook (resid_pre/mid/post, attn_out, mlp_out, hook_embed,
// ln_final, q/k/v/z, mlp.hook_post); vector.size() must equal the hook's width. The paper's
// steering is add_steering(hs, "blocks.{l}.hook_resid_pre", ..., alpha, W_dec[j]).
void add_steering(HookSet& hs, const std::string& hook, const Targets& where, float coef,
                  std::vector<float> vector);

// The generic edit: the selected rows of a per-row hook, gathered into a contiguous [n, cols]
// block, are handed to `fn`, which may change them in place; they are written back. Rows `fn`
// leaves alone stay bit-identical. SAE latent edits (sae/sae_intervention.h) are built on this.
using RowEditFn =
    std::function<void(float* rows, int64_t n, int64_t cols, std::span<const RowRef> refs)>;
void add_row_edit(HookSet& hs, const std::string& hook, const Targets& where, RowEditFn fn);

// Zero or mean ablation of attention heads: their slice of blocks.{layer}.attn.hook_z is replaced
// by 0 or by `means` (per head: means[h * head_dim .. +head_dim], a [n_heads * head_dim] vector
// such as mean_rows() of a z capture).
enum class Ablation { Zero, Mean };
void add_head_ablation(HookSet& hs, int layer, std::vector<int> heads, const Targets& where,
                       Ablation mode = Ablation::Zero, std::vector<float> means = {});

// Activation patching: at the selected rows, the hook's activation (or only `heads` of it, for
// q/k/v/z/pattern/attn_scores) is replaced by the row that `source` captured for the same
// position of prompt source_prompt[p] (default: the same prompt index p). The source must hold
// the hook with those heads; a missing (prompt, position) row is an error. Pattern/attn_scores
// rows are patched per query row [head, key]; the source's key width must cover the target's.
void add_patch(HookSet& hs, const std::string& hook, const Targets& where,
               std::shared_ptr<const CaptureResult> source, std::vector<int> heads = {},
               std::vector<int> source_prompt = {});

}  // namespace knowscope
