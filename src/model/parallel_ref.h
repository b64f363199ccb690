// parallel_for without an allocation per call (internal to the forward pass).
#pragma once

#include <cstdint>

#include "knowscope/core/parallel.h"

namespace knowscope::detail {

// parallel_for takes a std::function; a lambda with many captures would be heap-allocated by it
// on every call (every layer, every token). This hands it a lambda holding one reference, which
// std::function stores in place.
template <typename F>
void parallel_ranges(int64_t n, F&& body, int64_t min_chunk = 1) {
  parallel_for(
      n, [&body](int64_t b, int64_t e, int t) { body(b, e, t); }, min_chunk);
}

}  // namespace knowscope::detail
