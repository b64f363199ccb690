// Pieces shared by the files that reproduce llama.cpp's kernels (ggml_kernels.cpp,
// ggml_weights.cpp, ggml_float_kernels.cpp): ggml's horizontal reductions, and weight rows decoded
// to integer codes. Private to src/core.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "knowscope/core/dtype.h"
#include "knowscope/core/tensor.h"

namespace knowscope::ggml_numerics {

// _mm256 horizontal sum (hsum_float_8): halves added, then pairs, then the last two.
inline float reduce8(const float* l) {
  const float r0 = l[4] + l[0], r1 = l[5] + l[1], r2 = l[6] + l[2], r3 = l[7] + l[3];
  return (r0 + r2) + (r1 + r3);
}

// GCC's _mm512_reduce_add_ps: 256-bit halves added, then as reduce8.
inline float reduce16(const float* a) {
  float t[8];
  for (int i = 0; i < 8; ++i) t[i] = a[i + 8] + a[i];
  return reduce8(t);
}

struct WeightRow {              // one weight row: codes per element, per-block factors
  std::vector<int8_t> q;        // Q4_0 / Q5_0 / Q8_0 / Q3_K: signed value; Q4_K: 0..15; Q6_K: 0..63
  std::vector<float> d, dmin;   // per block (f16 values)
  std::vector<int32_t> sc, mn;  // per sub-block: Q4_K / Q5_K 8 per 256 (scale, min), Q3_K / Q6_K 16
  // The K-quants' codes times their sub-block scale (Q6_K: also with the offset of 32 taken
  // off), so that the exact integer sums are plain dot products the compiler vectorizes.
  std::vector<int16_t> scaled, scaled_centered;
};

// Decodes one row of n weights of type t (the quantized types of has_kernel_order).
void decode_row(DType t, const uint8_t* row, int64_t n, WeightRow& w);

// sum of a[i] * b[i], exact in int32.
inline int32_t idot(const int16_t* a, const int8_t* b, int n) {
  int32_t s = 0;
  for (int i = 0; i < n; ++i) s += int32_t(a[i]) * int32_t(b[i]);
  return s;
}

// matmul (ggml_kernels.h) for F32 / F16 weights (ggml_float_kernels.cpp).
void matmul_float(const TensorView& W, const float* x, std::span<const int64_t> calls, float* out);

}  // namespace knowscope::ggml_numerics
