#include "test_paths.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace knowscope::test {

std::string fixture(const std::string& rel) {
  return std::string(KNOWSCOPE_SOURCE_DIR) + "/tests/fixtures/" + rel;
}

std::vector<unsigned char> fixture_bytes(const std::string& rel) {
  std::ifstream in(fixture(rel), std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + rel);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string temp_dir() {
  static std::atomic<int> counter{0};
  std::string dir = std::string(KNOWSCOPE_BINARY_DIR) + "/test_tmp/" + std::to_string(getpid()) +
                    "_" + std::to_string(counter++);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Reads data/models.json itself (not the model layer's registry) so that each layer's tests link
// only that layer.
std::optional<std::string> cached_model(const std::string& name) {
  std::ifstream in(std::string(KNOWSCOPE_SOURCE_DIR) + "/data/models.json");
  const auto doc = nlohmann::json::parse(in);
  const char* home = std::getenv("KNOWSCOPE_HOME");
  const char* user_home = std::getenv("HOME");
  std::string cache =
      home && *home ? home
                    : std::string(user_home && *user_home ? user_home : ".") + "/.cache/knowscope";
  for (const auto& m : doc.at("models")) {
    if (m.at("name") != name) continue;
    std::string path = cache + "/models/" + m.at("file").get<std::string>();
    if (std::filesystem::exists(path)) return path;
  }
  return std::nullopt;
}

bool models_required() {
  const char* v = std::getenv("KNOWSCOPE_REQUIRE_MODELS");
  return v && std::string(v) == "1";
}

}  // namespace knowscope::test
