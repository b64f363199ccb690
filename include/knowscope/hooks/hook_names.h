// TransformerLens hook names <-> (HookPoint, layer), and the paper's latent notation "L13F7957".
#pragma once

#include <cstdint>
#include <string>

#include "knowscope/model/forward.h"

namespace knowscope {

struct HookName {
  HookPoint point = HookPoint::ResidPre;
  int layer = -1;  // block index; -1 for hook_embed and ln_final.hook_normalized
  bool operator==(const HookName&) const = default;
};

// "blocks.6.hook_resid_post" -> {ResidPost, 6}; "hook_embed"; "ln_final.hook_normalized". With
// n_layers > 0 the layer must be in [0, n_layers). Throws Error listing the valid forms otherwise.
HookName parse_hook_name(const std::string& name, int n_layers = -1);
std::string hook_name(HookPoint point, int layer);
inline std::string hook_name(const HookName& h) { return hook_name(h.point, h.layer); }
// Every valid form, for error messages and --help.
std::string hook_name_forms();

// True for hooks whose buffer is [rows, H*D] or [rows, Hkv*D] per head (q, k, v, z) or per
// sequence [H*T, S] (attn_scores, pattern): these accept a head selection.
bool hook_has_heads(HookPoint p);
// True for attn_scores and pattern: called once per sequence with [H*T, S], not per batch row.
bool hook_is_per_sequence(HookPoint p);
// Columns of a per-row hook's buffer (d_model, H*D, Hkv*D, d_ff); -1 for per-sequence hooks.
int64_t hook_cols(const ModelConfig& c, HookPoint p);
// Heads of a head hook: n_kv_heads for k and v, n_heads otherwise.
int hook_heads(const ModelConfig& c, HookPoint p);

// The paper's latent notation: L<l>F<j> is latent j of the SAE reading blocks.<l>.hook_resid_pre,
// which is the same tensor as blocks.<l-1>.hook_resid_post (Gemma Scope folder layer_<l-1>).
struct PaperLatent {
  int layer = 0;  // l: the block whose input the SAE reads
  int64_t latent = 0;
  std::string resid_pre_hook() const;   // "blocks.13.hook_resid_pre"
  std::string resid_post_hook() const;  // "blocks.12.hook_resid_post" (empty for l = 0: hook_embed)
  std::string str() const;              // "L13F7957"
  // "L13F7957 = latent 7957 on blocks.13.hook_resid_pre (= blocks.12.hook_resid_post, Gemma
  // Scope layer_12)"
  std::string describe() const;
};
PaperLatent parse_paper_latent(const std::string& text);  // "L13F7957" (case-insensitive)
// The paper's name of latent `latent` of an SAE on `sae_hook` (resid_post of l-1 or resid_pre of
// l); throws for other hooks.
PaperLatent paper_latent_for(const std::string& sae_hook, int64_t latent);

}  // namespace knowscope
