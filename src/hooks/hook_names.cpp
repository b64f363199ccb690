// Hook names as TransformerLens spells them, and the paper's L<l>F<j> latent notation.
#include "knowscope/hooks/hook_names.h"

#include <cctype>
#include <cstring>

#include "knowscope/core/error.h"

namespace knowscope {
namespace {

constexpr HookPoint kBlockPoints[] = {
    HookPoint::ResidPre,   HookPoint::Q,       HookPoint::K,      HookPoint::V,
    HookPoint::AttnScores, HookPoint::Pattern, HookPoint::Z,      HookPoint::AttnOut,
    HookPoint::ResidMid,   HookPoint::MlpPost, HookPoint::MlpOut, HookPoint::ResidPost,
};

// Digits only, no sign, no leading '+', at most 9 of them.
bool parse_small_int(const std::string& s, int64_t& out) {
  if (s.empty() || s.size() > 9) return false;
  out = 0;
  for (char ch : s) {
    if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
    out = out * 10 + (ch - '0');
  }
  return true;
}

[[noreturn]] void bad_name(const std::string& name, const std::string& why) {
  fail("hook name", "'" + name + "'", why + "; valid forms: " + hook_name_forms());
}

}  // namespace

std::string hook_name_forms() {
  std::string s = "hook_embed, ";
  for (HookPoint p : kBlockPoints) s += std::string("blocks.{l}.") + hook_point_name(p) + ", ";
  s += "ln_final.hook_normalized (l: 0-based block index)";
  return s;
}

std::string hook_name(HookPoint p, int layer) {
  if (p == HookPoint::Embed || p == HookPoint::FinalNorm || p == HookPoint::Logits)
    return hook_point_name(p);
  return "blocks." + std::to_string(layer) + "." + hook_point_name(p);
}

HookName parse_hook_name(const std::string& name, int n_layers) {
  if (name == "hook_embed") return {HookPoint::Embed, -1};
  if (name == "ln_final.hook_normalized") return {HookPoint::FinalNorm, -1};
  const std::string prefix = "blocks.";
  if (name.compare(0, prefix.size(), prefix) != 0) bad_name(name, "unknown hook");
  const size_t dot = name.find('.', prefix.size());
  if (dot == std::string::npos) bad_name(name, "no hook after the block index");
  int64_t layer = 0;
  if (!parse_small_int(name.substr(prefix.size(), dot - prefix.size()), layer))
    bad_name(name, "the block index must be a non-negative integer");
  const std::string rest = name.substr(dot + 1);
  for (HookPoint p : kBlockPoints)
    if (rest == hook_point_name(p)) {
      if (n_layers > 0 && layer >= n_layers)
        fail("hook name", "'" + name + "'",
             "block " + std::to_string(layer) + " out of range: the model has " +
                 std::to_string(n_layers) + " blocks (0.." + std::to_string(n_layers - 1) + ")");
      return {p, int(layer)};
    }
  bad_name(name, "unknown hook '" + rest + "' in block " + std::to_string(layer));
}

bool hook_has_heads(HookPoint p) {
  return p == HookPoint::Q || p == HookPoint::K || p == HookPoint::V || p == HookPoint::Z ||
         p == HookPoint::AttnScores || p == HookPoint::Pattern;
}

bool hook_is_per_sequence(HookPoint p) {
  return p == HookPoint::AttnScores || p == HookPoint::Pattern;
}

int64_t hook_cols(const ModelConfig& c, HookPoint p) {
  switch (p) {
    case HookPoint::Q:
    case HookPoint::Z:
      return c.n_q_dim();
    case HookPoint::K:
    case HookPoint::V:
      return c.n_kv_dim();
    case HookPoint::MlpPost:
      return c.d_ff;
    case HookPoint::AttnScores:
    case HookPoint::Pattern:
      return -1;
    case HookPoint::Logits:
      return c.vocab_size;
    default:
      return c.d_model;
  }
}

int hook_heads(const ModelConfig& c, HookPoint p) {
  return (p == HookPoint::K || p == HookPoint::V) ? c.n_kv_heads : c.n_heads;
}

std::string PaperLatent::resid_pre_hook() const {
  return "blocks." + std::to_string(layer) + ".hook_resid_pre";
}
std::string PaperLatent::resid_post_hook() const {
  return layer == 0 ? std::string() : "blocks." + std::to_string(layer - 1) + ".hook_resid_post";
}
std::string PaperLatent::str() const {
  std::string s(1, 'L');
  s += std::to_string(layer);
  s += 'F';
  s += std::to_string(latent);
  return s;
}
std::string PaperLatent::describe() const {
  std::string s = str() + " = latent " + std::to_string(latent) + " on " + resid_pre_hook();
  if (layer == 0) return s + " (= hook_embed)";
  return s + " (= " + resid_post_hook() + ", Gemma Scope layer_" + std::to_string(layer - 1) + ")";
}

PaperLatent parse_paper_latent(const std::string& text) {
  auto bad = [&]() -> PaperLatent {
    fail("latent", "'" + text + "'",
         "expected the paper's notation L<layer>F<latent>, e.g. L13F7957 (latent 7957 of the SAE "
         "on blocks.13.hook_resid_pre = blocks.12.hook_resid_post)");
  };
  if (text.size() < 4 || (text[0] != 'L' && text[0] != 'l')) return bad();
  const size_t f = text.find_first_of("Ff", 1);
  if (f == std::string::npos) return bad();
  int64_t layer = 0, latent = 0;
  if (!parse_small_int(text.substr(1, f - 1), layer) ||
      !parse_small_int(text.substr(f + 1), latent))
    return bad();
  return {int(layer), latent};
}

PaperLatent paper_latent_for(const std::string& sae_hook, int64_t latent) {
  HookName h = parse_hook_name(sae_hook);
  if (h.point == HookPoint::ResidPre) return {h.layer, latent};
  if (h.point == HookPoint::ResidPost) return {h.layer + 1, latent};
  if (h.point == HookPoint::Embed) return {0, latent};
  fail("latent", sae_hook,
       "the paper's L<l>F<j> notation names residual-stream SAEs only (hook_resid_pre / "
       "hook_resid_post)");
}

}  // namespace knowscope
