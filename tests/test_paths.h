// Where tests find fixtures and the real models.
#pragma once

#include <optional>
#include <string>

namespace knowscope::test {

std::string fixture(const std::string& rel);  // <source>/tests/fixtures/<rel>
std::string temp_dir();                       // a fresh folder under the build tree
// Path of a known model in the cache, or nullopt (tests then GTEST_SKIP, except in CI where
// KNOWSCOPE_REQUIRE_MODELS=1 makes a missing model a failure).
std::optional<std::string> cached_model(const std::string& name);
bool models_required();

}  // namespace knowscope::test
