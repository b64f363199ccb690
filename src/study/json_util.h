// Small text helpers shared by the study layer: JSON string literals, quoted names.
#pragma once

#include <string>
#include <string_view>

namespace knowscope::study {

// A JSON string literal; UTF-8 kept as is, invalid bytes written as U+FFFD instead of throwing.
std::string json_quote(std::string_view s);

// "'s'" for messages (built by appending: GCC 12 warns falsely on "'" + std::string(...)).
inline std::string single_quoted(std::string_view s) {
  std::string out = "'";
  out += s;
  out += "'";
  return out;
}

}  // namespace knowscope::study
