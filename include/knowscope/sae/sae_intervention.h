// Editing SAE latents inside the forward pass: at the SAE's hook, set, scale, add to or clamp
// chosen latents while keeping the SAE's error term, i.e. x' = x + decode(a') - decode(a) with
// a = encode(x). A row whose latents do not change is left bit-identical. Built on the hooks
// layer's generic row edit (hooks/interventions.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "knowscope/hooks/interventions.h"
#include "knowscope/sae/sae.h"

namespace knowscope {

enum class LatentOp {
  Set,       // a = value
  Scale,     // a *= value
  Add,       // a += value
  ClampMin,  // a = max(a, value)
  ClampMax,  // a = min(a, value)
};

struct LatentEdit {
  int32_t latent = 0;
  LatentOp op = LatentOp::Set;
  float value = 0.0f;
};

// `hook` empty: the SAE's own hook_name. Throws Error for a latent out of range, a hook the model
// lacks, or a width that is not the SAE's d_in.
void add_sae_latent_edit(HookSet& hs, std::shared_ptr<const Sae> sae, const Targets& where,
                         std::vector<LatentEdit> edits, const std::string& hook = "");

// The latent's decoder row W_dec[latent] (the paper's steering direction), unit-normalised when
// `unit`.
std::vector<float> sae_latent_direction(const Sae& sae, int32_t latent, bool unit = false);

}  // namespace knowscope
