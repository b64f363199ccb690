// Where tests find fixtures and the real models.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace knowscope::test {

std::string fixture(const std::string& rel);  // <source>/tests/fixtures/<rel>
std::string temp_dir();                       // a fresh folder under the build tree
// The bytes of tests/fixtures/<rel>; throws naming the file when it is missing.
std::vector<unsigned char> fixture_bytes(const std::string& rel);
// Path of a known model in the cache, or nullopt (tests then GTEST_SKIP, except in CI where
// KNOWSCOPE_REQUIRE_MODELS=1 makes a missing model a failure).
std::optional<std::string> cached_model(const std::string& name);
bool models_required();

}  // namespace knowscope::test
