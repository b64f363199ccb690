// llama.cpp's CPU rounding of activations, KV cache, attention probabilities and GELU (see the
// header for the formats).
#include "knowscope/core/ggml_numerics.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <vector>

#include "core/quant_blocks.h"
#include "knowscope/core/error.h"
#include "knowscope/core/ggml_kernels.h"
#include "knowscope/core/half.h"

namespace knowscope::ggml_numerics {
namespace {

float f16_round(float x) { return f16_to_f32(f32_to_f16(x)); }

float gelu_f32(float x) {
  constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;
  constexpr float kCoefA = 0.044715f;
  // ggml builds its table with GCC's default contraction: 1 + a*x*x becomes one fma.
  return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * x * std::fma(kCoefA * x, x, 1.0f)));
}

const std::vector<uint16_t>& gelu_table() {
  static std::vector<uint16_t> table;
  static std::once_flag once;
  std::call_once(once, [] {
    table.resize(1u << 16);
    for (uint32_t h = 0; h < (1u << 16); ++h)
      table[h] = f32_to_f16(gelu_f32(f16_to_f32(uint16_t(h))));
  });
  return table;
}

}  // namespace

void round_activations(DType weight, const float* x, float* y, int64_t n) {
  switch (weight) {
    case DType::F32:
      if (y != x) std::copy(x, x + n, y);
      return;
    case DType::F16:
      for (int64_t i = 0; i < n; ++i) y[i] = f16_round(x[i]);
      return;
    case DType::BF16:
      for (int64_t i = 0; i < n; ++i) y[i] = bf16_to_f32(f32_to_bf16(x[i]));
      return;
    case DType::Q4_0:
    case DType::Q5_0:
    case DType::Q8_0:
    case DType::Q2_K:
    case DType::Q3_K:
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K: {
      const bool k = weight != DType::Q4_0 && weight != DType::Q5_0 && weight != DType::Q8_0;
      const int64_t block = k ? quant::QK_K : quant::QK;
      if (n % block != 0)
        fail("activations", "length", k ? "not a multiple of 256" : "not a multiple of 32");
      std::vector<float> d(size_t(n / block));
      std::vector<int8_t> q(static_cast<size_t>(n));
      if (k)
        quantize_q8_k(x, n, d.data(), q.data(), false);
      else
        quantize_q8_0(x, n, d.data(), q.data());
      for (int64_t i = 0; i < n; ++i) y[i] = d[size_t(i / block)] * float(q[size_t(i)]);
      return;
    }
    default:
      fail("activations", "weight type",
           std::string(dtype_info(weight).name) + " has no llama.cpp activation format here");
  }
}

void round_f16(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = f16_round(x[i]);
}

void gelu_table_mul(float* gate, const float* up, int64_t n) {
  const std::vector<uint16_t>& table = gelu_table();
  for (int64_t i = 0; i < n; ++i) {
    const float x = gate[i];
    float g;
    if (x <= -10.0f)
      g = 0.0f;
    else if (x >= 10.0f)
      g = x;
    else
      g = f16_to_f32(table[f32_to_f16(x)]);
    gate[i] = g * up[i];
  }
}

void silu_mul(float* gate, const float* up, int64_t n) {
  const int64_t vec = n / 16 * 16;
  for (int64_t i = 0; i < n; ++i) {
    const float x = gate[i];
    const float e = i < vec ? v_expf(0.0f - x) : std::exp(-x);
    gate[i] = x / (1.0f + e) * up[i];
  }
}

void rmsnorm(const float* x, const float* w, float* y, int64_t n, float eps) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += double(x[i] * x[i]);
  const float mean = float(sum / double(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i] * scale;
    y[i] = w ? v * w[i] : v;
  }
}

void rope_angles(int64_t pos, float base, int64_t rot_dim, const float* freq_factors,
                 float freq_scale, float* cos, float* sin) {
  const float theta_scale = std::pow(base, -2.0f / float(rot_dim));
  float theta = float(pos);
  for (int64_t i = 0; i < rot_dim / 2; ++i) {
    const float ff = freq_factors ? freq_factors[i] : 1.0f;
    const float angle = freq_scale * (theta / ff);
    cos[i] = std::cos(angle);
    sin[i] = std::sin(angle);
    theta *= theta_scale;
  }
}

void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t rot_dim, RopeStyle style,
          const float* cos, const float* sin) {
  const int64_t half = rot_dim / 2;
  // Neox rotates element i with i + half, Adjacent 2i with 2i + 1.
  const int64_t stride = style == RopeStyle::Neox ? 1 : 2,
                offset = style == RopeStyle::Neox ? half : 1;
  for (int64_t h = 0; h < n_heads; ++h)
    for (int64_t i = 0; i < half; ++i) {
      float* a = x + h * head_dim + i * stride;
      const float x0 = a[0], x1 = a[offset];
      a[0] = std::fma(x0, cos[i], -(x1 * sin[i]));
      a[offset] = std::fma(x0, sin[i], x1 * cos[i]);
    }
}

}  // namespace knowscope::ggml_numerics
