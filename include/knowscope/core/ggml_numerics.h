// llama.cpp's CPU arithmetic, reproduced for comparisons against it (Numerics::LlamaCpp in the
// forward pass). The exact engine never uses these.
//
// ggml does not multiply float activations by quantized weights: it first rounds each activation
// row to the weight type's "vec_dot type" and takes integer dot products block by block.
//   Q4_0, Q5_0, Q8_0 weights    -> Q8_0 activations: blocks of 32, d = amax/127 stored as f16,
//                                  q = round-half-even(x * 127/amax)
//   Q4_1, Q5_1                  -> Q8_1: as Q8_0, plus s = f16(d * sum(q)) that multiplies the
//                                  weight block's min m (instead of sum of the activations)
//   Q2_K .. Q6_K                -> Q8_K: blocks of 256, iscale = -127/max (max: the value of
//                                  largest magnitude, with its sign), q = round(iscale x), d =
//                                  1/iscale
//   F16 / BF16                  -> the activations rounded to f16 / bf16
// Its KV cache is f16, the query is rounded to f16 for Q.K, and the attention probabilities are
// rounded to f16 for P.V (no flash attention). GELU reads a 65,536-entry table indexed by the f16
// of its input. These facts are ggml's numeric formats; the code here is ours.
#pragma once

#include <cstdint>

#include "knowscope/core/ops.h"
#include "knowscope/core/tensor.h"

namespace knowscope::ggml_numerics {

// y[n] = the activations x[n] as ggml's matmul sees them against weights of type `weight`, as
// floats (d * q). y may alias x. n must be a multiple of the activation block (32 or 256). For
// the weight types whose kernels are not reproduced (ggml_kernels.h); Q4_1 / Q5_1 (Q8_1, whose
// min term needs the block sums) only through ggml_numerics::matmul.
void round_activations(DType weight, const float* x, float* y, int64_t n);

// f16 round trip of every element (round to nearest even), in place.
void round_f16(float* x, int64_t n);

// gate[i] = gelu_table(gate[i]) * up[i], where gelu_table reads ggml's f16 GELU table (0 below
// -10, identity above 10).
void gelu_table_mul(float* gate, const float* up, int64_t n);

// gate[i] = silu(gate[i]) * up[i] as ggml's swiglu: x / (1 + e^-x) with its vector exp
// (ggml_kernels.h, v_expf) over chunks of 16, libm's expf for the rest.
void silu_mul(float* gate, const float* up, int64_t n);

// ggml's rms_norm then mul: squares in float summed in double, mean and 1/sqrt in float.
void rmsnorm(const float* x, const float* w, float* y, int64_t n, float eps);

// ggml's RoPE angles for one position: theta_i = freq_scale * pos * base^(-2i/rot_dim) /
// factor_i, the power built by repeated float multiplication; cos/sin in float. Writes rot_dim/2
// values to each of cos and sin.
void rope_angles(int64_t pos, float base, int64_t rot_dim, const float* freq_factors,
                 float freq_scale, float* cos, float* sin);

// ggml's rotation (as knowscope::rope), with the contraction GCC gives its source on an FMA
// machine made explicit: x0*cos - x1*sin = fma(x0, cos, -(x1*sin)), x0*sin + x1*cos =
// fma(x0, sin, x1*cos). Explicit, so that the result does not depend on our compiler.
void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t rot_dim, RopeStyle style,
          const float* cos, const float* sin);

}  // namespace knowscope::ggml_numerics
