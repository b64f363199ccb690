// Dequantization and dot products straight from GGML block formats, without materialising weights.
#pragma once

#include <cstdint>

#include "knowscope/core/dtype.h"

namespace knowscope {

// dst[0..n) = dequantized src; n a multiple of the block size. Supports F32, F16, BF16, Q4_0, Q4_1,
// Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K. Bit-exact with ggml's dequantize_row_*.
void dequantize_row(DType t, const void* src, float* dst, int64_t n);

// sum_i dequant(row)[i] * x[i], in float32 arithmetic. Fused: no temporary row.
float dot_row(DType t, const void* row, const float* x, int64_t n);

// Quantizers (used to write synthetic models and tests): reference round-to-nearest as ggml's
// quantize_row_*_ref for Q4_0, Q4_1, Q5_0, Q5_1, Q8_0; F16 and BF16; K-quants where implemented.
// Throws Error for types without a quantizer.
void quantize_row(DType t, const float* src, void* dst, int64_t n);
bool has_quantizer(DType t);

}  // namespace knowscope
