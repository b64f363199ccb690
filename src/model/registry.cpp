#include "knowscope/model/registry.h"

#include <cstdlib>
#include <filesystem>

#include "knowscope/core/error.h"

namespace knowscope {

const std::vector<KnownModel>& known_models() {
  static const std::vector<KnownModel> models = {
      {"gemma-3-270m", "gemma-3-270m-q4_k_m.gguf",
       "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
       "Gemma 3 270M base (pt), GGUF Q4_K_M (default)"},
      {"smollm2-135m-instruct", "SmolLM2-135M-Instruct.Q4_1.gguf",
       "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
       "SmolLM2-135M-Instruct, GGUF Q4_1, Llama architecture, chat model"},
  };
  return models;
}

std::string cache_dir() {
  if (const char* home = std::getenv("KNOWSCOPE_HOME"); home && *home) return home;
  const char* user_home = std::getenv("HOME");
  return std::string(user_home && *user_home ? user_home : ".") + "/.cache/knowscope";
}

std::string resolve_model_path(const std::string& name_or_path) {
  namespace fs = std::filesystem;
  if (fs::exists(name_or_path)) return name_or_path;
  std::string names;
  for (const auto& m : known_models()) {
    if (m.name == name_or_path) {
      std::string path = cache_dir() + "/models/" + m.file;
      if (!fs::exists(path))
        fail(name_or_path, "", "model not in the cache (expected " + path +
                                   "); run scripts/fetch_models.sh " + m.name);
      return path;
    }
    names += (names.empty() ? "" : ", ") + m.name;
  }
  fail(name_or_path, "", "no such file or folder, and not a known model name (known: " + names + ")");
}

}  // namespace knowscope
