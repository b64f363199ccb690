// A set of SAEs on one model, one per layer: what the study reads its latents from.
//
// Folder layout (written by train_sae_set, sae/train_set.h):
//   <dir>/sae_set.json  {"format": "knowscope.sae_set", "version": 1, "model": "gemma-3-270m",
//                        "hook_template": "blocks.{N}.hook_resid_post",
//                        "layers": [{"layer_block": 6, "hook": "blocks.6.hook_resid_post",
//                                    "path": "layer_6", "d_sae": 4096, "arch": "topk",
//                                    "metrics": {...}}, ...],
//                        "corpus": {...}, "train": {...}}
//   <dir>/layer_N/      one SAELens folder (cfg.json + sae_weights.safetensors) per layer
// sae_set.json is written last, so a folder with it is complete.
//
// load_sae_set also accepts a plain folder of SAE subfolders (SAELens, Gemma Scope, Gemma Scope 2;
// Gemma Scope's nested layer_N/width_16k/average_l0_82/ included when each layer_N holds exactly
// one SAE): hooks then come from the SAEs' own config files or folder names.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "knowscope/sae/sae.h"

namespace knowscope {

struct SaeSetLayer {
  int layer_block = -1;  // N of blocks.N.<hook>; -1 for hooks outside blocks (hook_embed)
  std::string hook;      // "blocks.6.hook_resid_post"
  std::string path;      // the SAE's folder (or file), absolute or relative to the cwd
  int64_t d_sae = 0;     // 0 when unknown until loaded (plain folders)
  std::string arch;      // "topk", "jumprelu", "relu"; empty when unknown until loaded
  std::string metrics_json = "{}";  // per-layer metrics (sae/sae_eval.h), a JSON object
  std::shared_ptr<const Sae> sae;   // loaded by load_layer_sae (or load_sae_set(dir, true))
};

struct SaeSet {
  std::string dir;
  std::string model;                // as recorded; empty for plain folders without it
  std::string hook_template;        // "blocks.{N}.hook_resid_post"
  std::vector<SaeSetLayer> layers;  // ascending layer_block
  std::string corpus_json = "{}";   // what the SAEs were trained on (sae_set.json "corpus")
  std::string train_json = "{}";    // training configuration (sae_set.json "train")
  bool from_index = false;          // true when read from sae_set.json
};

// Reads <dir>/sae_set.json, or scans a plain folder of SAEs. With load_weights, every layer's SAE
// is loaded now; otherwise on the first load_layer_sae. Throws Error naming the file and field.
SaeSet load_sae_set(const std::string& dir, bool load_weights = false);

// The layer's SAE, loaded once (its hook forced to the set's hook for that layer).
const Sae& load_layer_sae(SaeSetLayer& layer);

// Lookups; nullptr when absent.
const SaeSetLayer* find_layer_by_block(const SaeSet& set, int layer_block);
const SaeSetLayer* find_layer_by_hook(const SaeSet& set, const std::string& hook);
// The layer whose SAE reads blocks.{l}.hook_resid_pre, i.e. the paper's layer l (an SAE on
// blocks.{l}.hook_resid_pre or on blocks.{l-1}.hook_resid_post); nullptr when the set has none.
const SaeSetLayer* find_layer_for_paper_layer(const SaeSet& set, int paper_layer);
// Throwing forms for user input: the error lists the set's layers.
SaeSetLayer& layer_by_block(SaeSet& set, int layer_block);
SaeSetLayer& layer_by_hook(SaeSet& set, const std::string& hook);

// Where the default set of a model lives: $KNOWSCOPE_HOME/saes/<model>/<profile>, with <model>
// the file name without extension when given a path ("gemma-3-270m-q4_k_m.gguf" ->
// "gemma-3-270m-q4_k_m").
std::string default_sae_set_dir(const std::string& model_id,
                                const std::string& profile = "default");

// Writes <dir>/sae_set.json atomically from `set` (paths relative to dir when inside it).
void write_sae_set_index(const SaeSet& set);

}  // namespace knowscope
