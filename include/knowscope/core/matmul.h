// The linear layer over weights in any supported dtype, computed from the file's own format.
#pragma once

#include <cstdint>

#include "knowscope/core/tensor.h"

namespace knowscope {

// y[T, out] = x[T, in] . W[out, in]^T (+ bias[out] when bias != nullptr). W may be F32, F16, BF16
// or any GGML block type that dequantize_row/dot_row support; `in` must be a multiple of its block
// size. y must not alias x. Threads: knowscope::parallel_for over output rows.
//
// One token (generation): dot_row per output row straight from the quantized blocks. Prompts:
// each thread dequantizes a panel of W's rows into its own reused float32 scratch and calls
// single-threaded cblas_sgemm on it (F32 weights go to sgemm directly). See LinearPath. The first
// call sets OpenBLAS to one thread, so that BLAS threads never compete with ours.
void linear(const float* x, int64_t T, const TensorView& w, float* y, const float* bias = nullptr);

// How linear() computes. Auto (the default) picks by T: one row -> Dot; 7..12 rows -> Rows; else
// Gemm (thresholds measured with bench_forward on the 2-core machine). The others force a path
// for tests and benchmarks; all compute the same math, rounding differs.
enum class LinearPath {
  Auto,
  Dot,   // dot_row from the quantized blocks, per output row and token
  Rows,  // each weight row dequantized once into L1, then dotted with all T rows
  Gemm,  // panels of rows dequantized into a float32 scratch, then cblas_sgemm
};
LinearPath linear_path();
void set_linear_path(LinearPath p);

// Makes OpenBLAS single-threaded (idempotent); callers that use cblas directly inside
// parallel_for should call it first.
void blas_use_one_thread();

}  // namespace knowscope
