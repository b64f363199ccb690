// Loads a fixture written by tools/make_study_fixtures.py.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "knowscope/io/atomic_file.h"
#include "test_paths.h"

namespace knowscope::test {

inline nlohmann::json study_fixture(const std::string& name) {
  return nlohmann::json::parse(read_file(fixture("study/" + name)));
}

}  // namespace knowscope::test
