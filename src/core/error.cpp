#include "knowscope/core/error.h"

namespace knowscope {

void fail(const std::string& where, const std::string& field, const std::string& message) {
  std::string text = where;
  if (!field.empty()) text += (text.empty() ? "" : ": ") + field;
  text += (text.empty() ? "" : ": ") + message;
  throw Error(text);
}

}  // namespace knowscope
