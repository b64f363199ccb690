// The latents that steering adds: an SAE decoder row at blocks.{l}.hook_resid_pre, unit-normalised
// (docs/steering.md). Read from latents.json (the latents stage) or named directly ("L5F123")
// with an SAE set folder.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace knowscope::study {

struct SteerLatent {
  std::string id;                // "L5F123"
  int layer = 0;                 // l: steered at blocks.{l}.hook_resid_pre
  int64_t latent = 0;            // j
  std::string hook;              // "blocks.5.hook_resid_pre"
  std::string sae_hook;          // the SAE's own hook, e.g. "blocks.4.hook_resid_post"
  std::vector<float> direction;  // W_dec[j] / |W_dec[j]|
  double raw_norm = 0;           // |W_dec[j]|
};

struct SteeringLatents {
  SteerLatent known, unknown;
  std::vector<SteerLatent> random_known, random_unknown;  // controls, same layer as the latent
  std::string latents_file;                               // "" when named directly
  std::string sae_set;
};

// How to find them. Either `latents_file` (its known[0], unknown[0] and random_controls; the
// `known_id`/`unknown_id` override which entry), or `known_id` + `unknown_id` with `random_*`
// ids, or, when those are empty, `n_random` latents drawn with `seed` from the latent's SAE
// (uniformly among latents other than the chosen one: without scores the paper's "score 0"
// condition cannot be checked).
struct LatentSource {
  std::string latents_file;
  std::string sae_set;  // folder with sae_set.json, or SAELens / Gemma Scope subfolders
  std::string known_id, unknown_id;
  std::vector<std::string> random_known_ids, random_unknown_ids;
  int n_random = 10;  // at most this many controls per side (from the file too)
  uint64_t seed = 42;
};

SteeringLatents load_steering_latents(const LatentSource& source);

// The SAE folder in `sae_set` that reads blocks.{layer}.hook_resid_pre (or the same tensor as
// blocks.{layer-1}.hook_resid_post); throws Error listing what the set holds.
std::string find_sae_for_layer(const std::string& sae_set, int layer);

// A latent's unit direction from an SAE folder (any format load_sae reads).
SteerLatent latent_from_sae(const std::string& sae_folder, int layer, int64_t latent);

// A latent from an explicit direction (tests, diff-of-means directions); normalised here.
SteerLatent latent_from_direction(std::string id, int layer, std::vector<float> direction);

}  // namespace knowscope::study
