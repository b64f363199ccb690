// The batch-invariant linear kernel: every output y[t, r] is computed by the same arithmetic
// whatever T, the tile it falls in and the thread count, so that a sequence's results do not
// depend on which other sequences share its forward call.
#pragma once

#include <cstdint>

#include "knowscope/core/tensor.h"

namespace knowscope::tiles {

// y[T, out] = x[T, in] . W^T (+ bias). Each weight row is dequantized (bit-exact with ggml) into a
// float32 panel; each output is one 16-lane fused multiply-add chain over k in order (a masked
// last step when in % 16 != 0), summed by the fixed tree of hsum16, plus the bias. Tiles of
// 4 activation rows x 6 weight rows keep 24 such chains in registers.
void linear_tiles(const float* x, int64_t T, const TensorView& w, float* y, const float* bias);

}  // namespace knowscope::tiles
