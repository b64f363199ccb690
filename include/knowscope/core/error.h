// Errors: every failure names where it happened (file, field) and what was expected.
#pragma once

#include <stdexcept>
#include <string>

namespace knowscope {

// The one exception type of the library. `what()` is a complete, user-facing sentence.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws Error("<where>: <field>: <message>"), e.g. "model.gguf: tensor 'blk.0.attn_q.weight':
// offset 123 past end of file (size 100)". `field` may be empty.
[[noreturn]] void fail(const std::string& where, const std::string& field,
                       const std::string& message);

// Throws unless `ok`. The message is only built on failure.
inline void check(bool ok, const std::string& where, const std::string& field,
                  const std::string& message) {
  if (!ok) fail(where, field, message);
}

}  // namespace knowscope
