// SAE latent edits as a hooks row edit: encode the selected rows, change the latents, add the
// change of the reconstruction (so the error term is kept exactly).
#include "knowscope/sae/sae_intervention.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "knowscope/core/error.h"
#include "knowscope/hooks/hook_names.h"
#include "knowscope/sae/encode.h"

namespace knowscope {
namespace {

float apply(LatentOp op, float a, float v) {
  switch (op) {
    case LatentOp::Set:
      return v;
    case LatentOp::Scale:
      return a * v;
    case LatentOp::Add:
      return a + v;
    case LatentOp::ClampMin:
      return std::max(a, v);
    case LatentOp::ClampMax:
      return std::min(a, v);
  }
  return a;
}

}  // namespace

void add_sae_latent_edit(HookSet& hs, std::shared_ptr<const Sae> sae, const Targets& where,
                         std::vector<LatentEdit> edits, const std::string& hook) {
  if (!sae) fail("sae edit", "sae", "no SAE given");
  const std::string name = hook.empty() ? sae->hook_name : hook;
  if (name.empty()) fail("sae edit", "hook", "the SAE names no hook: give one");
  HookName hn = parse_hook_name(name, hs.config().n_layers);
  const int64_t cols = hook_cols(hs.config(), hn.point);
  if (cols != sae->d_in)
    fail("sae edit", name,
         "the hook is " + std::to_string(cols) + " wide, the SAE reads " +
             std::to_string(sae->d_in));
  if (edits.empty()) fail("sae edit", name, "no latent edits given");
  for (const LatentEdit& e : edits)
    if (e.latent < 0 || e.latent >= sae->d_sae)
      fail("sae edit", "latent " + std::to_string(e.latent),
           "out of range: the SAE has " + std::to_string(sae->d_sae) + " latents");
  // Nonlinear output normalisation: decode both codes; otherwise the change is linear in W_dec.
  const bool linear_out = sae->input_norm == SaeInputNorm::None ||
                          sae->input_norm == SaeInputNorm::ExpectedAverageOnlyIn;
  struct Scratch {
    std::vector<float> acts, edited, xa, xb, na, nb;
    SaeWorkspace ws;
  };
  auto scratch = std::make_shared<Scratch>();
  add_row_edit(hs, name, where,
               [sae, edits = std::move(edits), linear_out, scratch](float* x, int64_t n, int64_t d,
                                                                    std::span<const RowRef>) {
                 Scratch& s = *scratch;
                 const int64_t S = sae->d_sae;
                 s.acts.resize(size_t(n * S));
                 sae_encode_dense(*sae, x, n, s.acts.data(), &s.ws, &s.na, &s.nb);
                 s.edited = s.acts;
                 bool any = false;
                 for (int64_t r = 0; r < n; ++r)
                   for (const LatentEdit& e : edits) {
                     float& a = s.edited[size_t(r * S + e.latent)];
                     const float b = apply(e.op, a, e.value);
                     any |= b != a;
                     a = b;
                   }
                 if (!any) return;
                 if (linear_out) {
                   for (int64_t r = 0; r < n; ++r)
                     for (const LatentEdit& e : edits) {
                       const size_t k = size_t(r * S + e.latent);
                       float delta = s.edited[k] - s.acts[k];
                       if (delta == 0.0f) continue;
                       s.acts[k] = s.edited[k];  // several edits of one latent: count it once
                       if (sae->arch == SaeArch::TopK && sae->rescale_acts_by_decoder_norm) {
                         double nn = 0;
                         const float* w = sae->W_dec.ptr() + int64_t(e.latent) * d;
                         for (int64_t i = 0; i < d; ++i) nn += double(w[i]) * w[i];
                         delta /= float(std::sqrt(nn));
                       }
                       const float* w = sae->W_dec.ptr() + int64_t(e.latent) * d;
                       float* row = x + r * d;
                       for (int64_t i = 0; i < d; ++i) row[i] += delta * w[i];
                     }
                   return;
                 }
                 s.xa.resize(size_t(n * d));
                 s.xb.resize(size_t(n * d));
                 sae_decode_dense(*sae, s.acts.data(), n, s.xa.data(), &s.na, &s.nb);
                 sae_decode_dense(*sae, s.edited.data(), n, s.xb.data(), &s.na, &s.nb);
                 for (int64_t r = 0; r < n; ++r) {
                   bool changed = false;
                   for (const LatentEdit& e : edits)
                     changed |=
                         s.edited[size_t(r * S + e.latent)] != s.acts[size_t(r * S + e.latent)];
                   if (!changed) continue;
                   for (int64_t i = 0; i < d; ++i)
                     x[r * d + i] += s.xb[size_t(r * d + i)] - s.xa[size_t(r * d + i)];
                 }
               });
}

std::vector<float> sae_latent_direction(const Sae& sae, int32_t latent, bool unit) {
  if (latent < 0 || latent >= sae.d_sae)
    fail("sae", "latent " + std::to_string(latent),
         "out of range: the SAE has " + std::to_string(sae.d_sae) + " latents");
  const float* w = sae.W_dec.ptr() + int64_t(latent) * sae.d_in;
  std::vector<float> v(w, w + sae.d_in);
  if (unit) {
    double nn = 0;
    for (float x : v) nn += double(x) * x;
    if (nn > 0)
      for (float& x : v) x = float(x / std::sqrt(nn));
  }
  return v;
}

}  // namespace knowscope
