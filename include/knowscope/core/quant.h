// Dequantization and dot products straight from GGML block formats, without materialising weights.
#pragma once

#include <cstdint>

#include "knowscope/core/dtype.h"
#include "knowscope/core/tensor.h"

namespace knowscope {

// dst[0..n) = dequantized src; n a multiple of the block size. Supports F32, F16, BF16, Q4_0, Q4_1,
// Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K (and converts F64, I8, I16, I32, I64).
// Bit-exact with ggml's dequantize_row_*.
void dequantize_row(DType t, const void* src, float* dst, int64_t n);

// sum_i dequant(row)[i] * x[i], in float32 arithmetic. Fused: no temporary row. Differs from
// the dot product of dequantize_row's output only by float32 rounding (order of the sums, FMA).
float dot_row(DType t, const void* row, const float* x, int64_t n);

// Rows [row_begin, row_end) of `w` (rows = last dimension) dequantized into dst, row-major,
// (row_end - row_begin) * w.cols() floats: for the GEMM path (dequantize a panel, then sgemm).
void dequantize_rows(const TensorView& w, int64_t row_begin, int64_t row_end, float* dst);

// y[r] = dot_row(w.row(r), x) for every row r of `w`, split over the thread pool (parallel_for).
// x has w.cols() floats, y has w.rows().
void matvec(const TensorView& w, const float* x, float* y);

// Quantizers (used to write synthetic models and tests): reference round-to-nearest as ggml's
// quantize_row_*_ref for Q4_0, Q4_1, Q5_0, Q5_1, Q8_0; F32, F16 and BF16. Throws Error for types
// without a quantizer (has_quantizer says which).
void quantize_row(DType t, const float* src, void* dst, int64_t n);
bool has_quantizer(DType t);

}  // namespace knowscope
