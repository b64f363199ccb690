// Reading SAEs from Gemma Scope 1 (params.npz), Gemma Scope 2 (params.safetensors + config.json)
// and SAELens (cfg.json + sae_weights.safetensors, v5 and v6 layouts; f32/f16/bf16 weights), and
// writing SAELens format so that sae_lens.SAE.load_from_disk reads our SAEs.
#pragma once

#include <string>

#include "knowscope/sae/sae.h"

namespace knowscope {

struct SaeLoadOptions {
  std::string hook_name;   // overrides the hook derived from the files or the path
  std::string model_name;  // overrides the model name
  // Decoder rows whose norm differs from 1 by more than this get a warning in Sae::warnings.
  double decoder_norm_tolerance = 1e-2;
};

// Detects the format: a folder with cfg.json (SAELens), with params.safetensors (Gemma Scope 2) or
// with params.npz (Gemma Scope 1); or a path to one of those files. Throws Error listing what was
// looked for when nothing matches.
Sae load_sae(const std::string& path, const SaeLoadOptions& opt = {});

// Gemma Scope 1: params.npz with W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc, b_dec, threshold.
// The hook comes from the path: ".../layer_N/..." -> blocks.N.hook_resid_post (hook_mlp_out for a
// path containing "-mlp", attn.hook_z for "-att", hook_embed for "embedding"); the model from a
// "gemma-scope-2b-pt-res" style component when present.
Sae load_gemma_scope_npz(const std::string& npz_path, const SaeLoadOptions& opt = {});

// Gemma Scope 2: <folder>/params.safetensors (w_enc, w_dec, b_enc, b_dec, threshold) and, when
// present, <folder>/config.json (architecture "jump_relu", model_name, hf_hook_point_in/out, ...).
// Transcoders and crosscoders are rejected.
Sae load_gemma_scope2(const std::string& folder, const SaeLoadOptions& opt = {});

// SAELens: <folder>/cfg.json + <folder>/sae_weights.safetensors. Architectures standard, jumprelu
// (threshold or log_threshold) and topk; a finetuning scaling_factor is folded into W_dec.
Sae load_saelens(const std::string& folder, const SaeLoadOptions& opt = {});

// Writes <folder>/sae_weights.safetensors and <folder>/cfg.json (SAELens 6 layout), each file
// atomically; creates the folder. `extra_metadata_json` (a JSON object, may be empty) is merged
// into cfg.json's "metadata".
void save_saelens(const Sae& sae, const std::string& folder,
                  const std::string& extra_metadata_json = "");

}  // namespace knowscope
