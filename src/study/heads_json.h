// JSON helpers shared by the heads / patching results (docs/attention.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace knowscope::study {

std::string head_id(int layer, int head);  // "L9H2"
nlohmann::json num(double x);              // null for NaN and infinities
double num_from(const nlohmann::json& j);  // NaN for null
// [[x]] rows of numbers, NaN as null.
nlohmann::json num_grid(const std::vector<std::vector<double>>& g);

}  // namespace knowscope::study
