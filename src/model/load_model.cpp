// load_model: a .gguf file or a Hugging Face folder -> Model.
#include <cstring>
#include <filesystem>
#include <fstream>

#include "knowscope/core/error.h"
#include "knowscope/io/gguf.h"
#include "knowscope/io/safetensors.h"
#include "knowscope/model/model.h"
#include "knowscope/model/registry.h"

namespace knowscope {
namespace {

bool has_gguf_magic(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && std::memcmp(magic, "GGUF", 4) == 0;
}

Model load_gguf(const std::string& path) {
  Model m;
  m.path = path;
  m.format = "gguf";
  GgufFile g = read_gguf(path);
  m.config = config_from_gguf(g);
  m.weights = weights_from_gguf(g, m.config);
  if (g.has("tokenizer.ggml.model")) m.tokenizer = tokenizer_from_gguf(g);
  return m;
}

Model load_hf(const std::string& folder) {
  namespace fs = std::filesystem;
  Model m;
  m.path = folder;
  m.format = "hf";
  if (!fs::exists(fs::path(folder) / "config.json"))
    fail(folder, "config.json", "missing: a Hugging Face model folder needs config.json");
  m.config = config_from_hf(folder);
  SafetensorsSet st = read_safetensors_set(folder);
  m.weights = weights_from_safetensors(st, m.config, folder);
  if (fs::exists(fs::path(folder) / "tokenizer.json")) m.tokenizer = tokenizer_from_hf(folder);
  return m;
}

}  // namespace

Model load_model(const std::string& path_in) {
  namespace fs = std::filesystem;
  const std::string path = resolve_model_path(path_in);
  if (fs::is_directory(path)) return load_hf(path);
  if (fs::path(path).filename() == "config.json")
    return load_hf(fs::path(path).parent_path().string());
  if (has_gguf_magic(path)) return load_gguf(path);
  fail(path, "", "not a GGUF file (no 'GGUF' magic) and not a Hugging Face model folder");
}

std::shared_ptr<const Tokenizer> load_tokenizer(const std::string& path_in) {
  namespace fs = std::filesystem;
  const std::string path = resolve_model_path(path_in);
  if (fs::is_directory(path)) return tokenizer_from_hf(path);
  if (!has_gguf_magic(path))
    fail(path, "", "not a GGUF file (no 'GGUF' magic) and not a Hugging Face model folder");
  GgufFile g = read_gguf(path);
  if (!g.has("tokenizer.ggml.model"))
    fail(path, "metadata 'tokenizer.ggml.model'", "missing: the file holds no tokenizer");
  return tokenizer_from_gguf(g);
}

}  // namespace knowscope
