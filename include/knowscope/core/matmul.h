// The linear layer over weights in any supported dtype, computed from the file's own format.
#pragma once

#include <cstdint>

#include "knowscope/core/tensor.h"

namespace knowscope {

// y[T, out] = x[T, in] . W[out, in]^T (+ bias[out] when bias != nullptr). W may be F32, F16, BF16
// or any GGML block type that dequantize_row/dot_row support; `in` must be a multiple of its block
// size. y must not alias x. Threads: knowscope::parallel_for over output rows.
//
// By default (LinearPath::Tiles) each thread dequantizes panels of W's rows into a reused float32
// scratch and computes tiles of 4 x 6 outputs with its own AVX-512 kernel, every output by the
// same arithmetic whatever T: a row of y does not depend on the other rows of x (batch
// invariance: generation gives the same tokens alone and in any batch). See LinearPath.
void linear(const float* x, int64_t T, const TensorView& w, float* y, const float* bias = nullptr);

// How linear() computes. Auto (the default) is Tiles for every T. The others are the earlier
// paths, kept for tests and benchmarks; all compute the same math, rounding differs, and only
// Tiles is batch-invariant.
enum class LinearPath {
  Auto,
  Tiles,  // panels dequantized into a float32 scratch, then the batch-invariant tile kernel
  Dot,    // dot_row from the quantized blocks, per output row and token
  Rows,   // each weight row dequantized once into L1, then dotted with all T rows
  Gemm,   // panels of rows dequantized into a float32 scratch, then cblas_sgemm (one BLAS thread)
};
LinearPath linear_path();
void set_linear_path(LinearPath p);

// Makes OpenBLAS single-threaded (idempotent); callers that use cblas directly inside
// parallel_for should call it first.
void blas_use_one_thread();

}  // namespace knowscope
