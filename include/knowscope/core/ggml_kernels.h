// llama.cpp's CPU kernels, their order of float operations reproduced (Numerics::LlamaCpp).
//
// ggml_numerics.h rounds the activations as ggml does; that alone leaves the float sums inside
// each dot product in our order, and on real models a one-ulp difference flips an 8-bit or f16
// rounding somewhere and grows to llama.cpp's whole noise level. Here every product is taken the
// way ggml's x86 build (AVX-512 VNNI, GCC 12, as in the reference fixtures) takes it, in portable
// scalar code with explicit fma, so the result is bit-identical on any machine:
//   - integer block sums (exact), gathered in the same 8 or 16 SIMD lanes;
//   - each lane's float accumulation (fused or not) in block order;
//   - the same horizontal reduction tree, and double accumulators where ggml keeps them.
// Which kernel ggml runs depends on the weight type and the number of activation rows (its
// prompt batch or one generated token), so matmul takes both:
//   Q8_0, Q5_0 weights:  vec_dot / llamafile tinyBLAS (same order): 8 lanes of 4 products,
//                        lane += d_w*d_a * isum (fma), then the 8 lanes reduced.
//   Q4_K, Q2_K (repacked 8x8): rows in groups of 4 -> gemm: fma per 64 (Q2_K: 128) elements;
//                        the rest -> gemv: fma per 256; the min term in a second accumulator,
//                        subtracted at the end.
//   Q4_0:                repacked 8x8 when the weight's rows come in eights: one fma per 32;
//                        else as Q8_0. Q4_1, Q5_1: as Q8_0 plus the min term m*s (fma).
//   Q3_K, Q6_K:          fewer than 8 rows -> vec_dot (8 lanes, fma per 256); else the tiled
//                        kernel (one exact integer per 256, acc = fma(isum*d_w, d_a, acc)).
//   Q5_K:                the same, with its min term (vec_dot: a separate float; tiled: fused
//                        into each super-block's result).
//   F32, F16:            two or more rows (k a multiple of 16, m of 4) -> tinyBLAS (16 lanes);
//                        else vec_dot_f32 / _f16 (4 x 16 lanes).
// Attention with an f16 cache: Q.K and P.V are f16 dot products, 16 lanes (tinyBLAS, two or more
// query rows) or 4x16 lanes (vec_dot_f16, one row); with an f32 cache, f32 ones (Q.K always by
// vec_dot_f32); softmax uses ggml's vector exp and sums 16-element chunks into a double. llama.cpp
// pads the cache to a multiple of 256 positions, masked ones contributing exact zeros, so the lanes
// follow the absolute position. These orders are facts about ggml's arithmetic; the code is ours.
#pragma once

#include <cstdint>
#include <span>

#include "knowscope/core/tensor.h"

namespace knowscope::ggml_numerics {

// True when matmul reproduces ggml's kernel for weights of this type bit for bit; for a given
// weight, also its shape (ggml repacks Q4_K and Q2_K only when its rows come in eights).
bool has_kernel_order(DType weight);
bool has_kernel_order(const TensorView& W);

// out[r, o] = W[o, :] . x[r, :] as ggml computes it for `rows` activation rows in one call
// (rows = the batch ggml sees: the prompt's tokens, or 1 while generating). x is float32
// [rows, W.cols()]; it is quantized here to the weight's activation format.
void matmul(const TensorView& W, const float* x, int64_t rows, float* out);
// The same for several calls at once (llama.cpp evaluates each sequence alone): x holds
// sum(calls) rows, call c its calls[c] consecutive rows. Each weight row is decoded once.
void matmul(const TensorView& W, const float* x, std::span<const int64_t> calls, float* out);

// f16 dot products of f16-representable floats (Q.K, P.V). `batched`: two or more query rows in
// the call (tinyBLAS, n % 16 == 0); otherwise vec_dot_f16. n is the padded length.
float dot_f16(const float* x, const float* y, int64_t n, bool batched);

// The same for float32 (an f32 KV cache, F32 weights): tinyBLAS's 16 lanes, or ggml_vec_dot_f32
// (4 x 16 lanes, reduced in float, the leftover products added one by one, unfused).
float dot_f32(const float* x, const float* y, int64_t n, bool batched);

// ggml's softcap (Gemma 2): tanh(x * (1/cap)) * cap, each step rounded, in place.
void softcap(float* x, int64_t n, float cap);

// ggml's softmax of one attention row in place: x[i] = exp(x[i] - max) / sum, -inf -> 0. The
// row starts at a multiple of 16 positions (ggml's chunks); n is any length.
void softmax(float* x, int64_t n);

// ggml's vector exp (AVX-512 ggml_v_expf), one lane.
float v_expf(float x);

// Activation quantization as the kernels read it: Q8_0 blocks (d as its f16 value) and Q8_K
// blocks. `positive_max_first`: the 4-row Q8_K packer, which takes +amax over -amax on a tie.
// block_sum (when given): Q8_1's per-block f16(d * sum(q)), d before its f16 rounding.
void quantize_q8_0(const float* x, int64_t n, float* d, int8_t* q, float* block_sum = nullptr);
void quantize_q8_k(const float* x, int64_t n, float* d, int8_t* q, bool positive_max_first);

}  // namespace knowscope::ggml_numerics
