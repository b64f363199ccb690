#include "test_paths.h"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "knowscope/model/registry.h"

namespace knowscope::test {

std::string fixture(const std::string& rel) {
  return std::string(KNOWSCOPE_SOURCE_DIR) + "/tests/fixtures/" + rel;
}

std::string temp_dir() {
  static std::atomic<int> counter{0};
  std::string dir = std::string(KNOWSCOPE_BINARY_DIR) + "/test_tmp/" + std::to_string(getpid()) +
                    "_" + std::to_string(counter++);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::optional<std::string> cached_model(const std::string& name) {
  for (const auto& m : known_models()) {
    if (m.name != name) continue;
    std::string path = cache_dir() + "/models/" + m.file;
    if (std::filesystem::exists(path)) return path;
  }
  return std::nullopt;
}

bool models_required() {
  const char* v = std::getenv("KNOWSCOPE_REQUIRE_MODELS");
  return v && std::string(v) == "1";
}

}  // namespace knowscope::test
