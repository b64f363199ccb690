#include "knowscope/model/registry.h"

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "models_json.h"

namespace knowscope {

const std::vector<KnownModel>& known_models() {
  static const std::vector<KnownModel> models = [] {
    std::vector<KnownModel> out;
    // Keep the parsed document alive: a range-for over a member of a temporary dangles in C++20.
    const auto doc = nlohmann::json::parse(kModelsJson);
    for (const auto& m : doc.at("models"))
      out.push_back({m.at("name"), m.at("file"), m.at("sha256"), m.value("about", "")});
    return out;
  }();
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
        fail(name_or_path, "",
             "model not in the cache (expected " + path +
                 "); fetch it with: python3 scripts/fetch_models.py " + m.name);
      return path;
    }
    names += (names.empty() ? "" : ", ") + m.name;
  }
  fail(name_or_path, "",
       "no such file or folder, and not a known model name (known: " + names + ")");
}

}  // namespace knowscope
