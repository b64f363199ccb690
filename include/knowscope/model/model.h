// A loaded model: config, weights (views into the mapped files) and tokenizer.
#pragma once

#include <memory>
#include <string>

#include "knowscope/model/config.h"
#include "knowscope/model/tokenizer.h"
#include "knowscope/model/weights.h"

namespace knowscope {

struct Model {
  std::string path;    // as given to load_model
  std::string format;  // "gguf" or "hf"
  ModelConfig config;
  ModelWeights weights;
  // From the GGUF metadata, or tokenizer.json in the HF folder; null when the files hold none.
  std::shared_ptr<const Tokenizer> tokenizer;
};

// `path`: a .gguf file, or a Hugging Face folder (config.json, model.safetensors or
// model.safetensors.index.json with shards, optional tokenizer.json). Known model names
// ("gemma-3-270m") are resolved in the cache (model/registry.h). Throws Error naming the file and
// field on anything unsupported or malformed.
Model load_model(const std::string& path);

// Only the tokenizer of a model (same paths and names as load_model), without mapping the weights:
// for commands that only tokenize. Throws Error when the files hold no tokenizer.
std::shared_ptr<const Tokenizer> load_tokenizer(const std::string& path);

}  // namespace knowscope
