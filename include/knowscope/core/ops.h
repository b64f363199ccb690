// Elementwise and per-row kernels of the transformer: RMSNorm, RoPE, softmax, activations, softcap.
// All float32, written as plain loops that the compiler vectorizes (-O3 -march=native).
#pragma once

#include <cstdint>

namespace knowscope {

// How RoPE pairs dimensions: Neox rotates (i, i + rot/2) (HF rotate_half); Adjacent rotates
// (2i, 2i+1) (GGUF llama, whose Q/K rows were permuted at conversion).
enum class RopeStyle { Neox, Adjacent };

// y = x / sqrt(mean(x^2) + eps) * w, over n elements; w == nullptr means no scale. y may alias x.
// Sums in double so that the result does not depend on how the loop is vectorized.
void rmsnorm(const float* x, const float* w, float* y, int64_t n, float eps);

// Rotates the first rot_dim dims of each of n_heads heads (stride head_dim) in place. cos/sin hold
// rot_dim/2 values: angle i = position * inv_freq[i].
void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t rot_dim, RopeStyle style,
          const float* cos, const float* sin);

// inv_freq[i] = 1 / (base^(2i/rot_dim) * freq_factor[i]) for i < rot_dim/2 (factors may be null).
void rope_inv_freq(float base, int64_t rot_dim, const float* freq_factors, float* inv_freq);

// In-place softmax over n values (max-subtracted). Entries equal to -infinity get probability 0;
// if all are -infinity the row becomes all zeros.
void softmax(float* x, int64_t n);

// e^x for a vector, accurate to about 2 ulp over the float range (underflows to 0 below -87.3).
void exp_inplace(float* x, int64_t n);

// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as PyTorch's gelu(approximate="tanh").
void gelu_tanh(float* x, int64_t n);
// x * sigmoid(x)
void silu(float* x, int64_t n);
// x = cap * tanh(x / cap)
void softcap(float* x, int64_t n, float cap);
// gate[i] = act(gate[i]) * up[i]: the gated MLP's hidden units (GeGLU or SwiGLU).
void gelu_tanh_mul(float* gate, const float* up, int64_t n);
void silu_mul(float* gate, const float* up, int64_t n);

// Largest of n values (-infinity when n == 0; NaNs are not expected).
float max_f32(const float* x, int64_t n);
// sum a[i] b[i] with a fixed summation order (AVX-512: four 16-lane chains, then a tree).
float dot_f32(const float* a, const float* b, int64_t n);
// y += a x
void axpy(float a, const float* x, float* y, int64_t n);

// Scalar helpers, also used by the tests.
float gelu_tanh_scalar(float x);
float tanh_fast(float x);  // vector-friendly tanh accurate to ~1e-7 absolute

}  // namespace knowscope
