// llama.cpp's CPU rounding of activations, KV cache, attention probabilities and GELU (see the
// header for the formats).
#include "knowscope/core/ggml_numerics.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <vector>

#include "core/quant_blocks.h"
#include "knowscope/core/ggml_kernels.h"
#include "knowscope/core/error.h"
#include "knowscope/core/half.h"

namespace knowscope::ggml_numerics {
namespace {

float f16_round(float x) { return f16_to_f32(f32_to_f16(x)); }

// Q8_0 / Q8_1 activation block (x86 path): d = amax/127 kept as f16, q = round-half-even(x * id)
// with id = 127/amax (not 1/d). Returns sum(q) for Q8_1.
int q8_0_block(const float* x, float* y, float* d_unrounded) {
  float amax = 0.0f;
  for (int i = 0; i < quant::QK; ++i) amax = std::max(amax, std::fabs(x[i]));
  const float d = amax / 127.0f;
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  const float dh = f16_round(d);
  int sum = 0;
  for (int i = 0; i < quant::QK; ++i) {
    const int q = int(std::nearbyint(x[i] * id));
    sum += q;
    y[i] = dh * float(q);
  }
  if (d_unrounded) *d_unrounded = d;
  return sum;
}

// Q8_K activation block: the signed value of largest magnitude sets iscale = -127/max.
void q8_k_block(const float* x, float* y) {
  float max = 0.0f, amax = 0.0f;
  for (int i = 0; i < quant::QK_K; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax == 0.0f) {
    std::fill(y, y + quant::QK_K, 0.0f);
    return;
  }
  const float iscale = -127.0f / max;
  const float d = 1.0f / iscale;
  for (int i = 0; i < quant::QK_K; ++i) {
    const int q = std::min(127, int(std::nearbyint(iscale * x[i])));
    y[i] = d * float(q);
  }
}

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

bool uses_q8_1(DType weight) { return weight == DType::Q4_1 || weight == DType::Q5_1; }

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
    case DType::Q4_1:
    case DType::Q5_1:
      if (n % quant::QK != 0) fail("activations", "length", "not a multiple of 32");
      for (int64_t b = 0; b < n; b += quant::QK) q8_0_block(x + b, y + b, nullptr);
      return;
    case DType::Q2_K:
    case DType::Q3_K:
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K:
      if (n % quant::QK_K != 0) fail("activations", "length", "not a multiple of 256");
      for (int64_t b = 0; b < n; b += quant::QK_K) q8_k_block(x + b, y + b);
      return;
    default:
      fail("activations", "weight type",
           std::string(dtype_info(weight).name) + " has no llama.cpp activation format here");
  }
}

void add_q8_1_min_term(const float* x, int64_t T, const TensorView& w, float* y) {
  if (!uses_q8_1(w.dtype)) return;
  const int64_t in = w.cols(), out = w.rows(), nb = in / quant::QK;
  const int m_off = w.dtype == DType::Q4_1 ? quant::q4_1::m : quant::q5_1::m;
  const size_t block_bytes =
      size_t(w.dtype == DType::Q4_1 ? quant::q4_1::bytes : quant::q5_1::bytes);
  std::vector<float> corr(static_cast<size_t>(nb)), scratch(quant::QK);
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t b = 0; b < nb; ++b) {
      float d = 0.0f;
      const int sum = q8_0_block(x + t * in + b * quant::QK, scratch.data(), &d);
      const float s = f16_round(d * float(sum));
      corr[size_t(b)] = s - f16_round(d) * float(sum);
    }
    float* yt = y + t * out;
    for (int64_t o = 0; o < out; ++o) {
      const auto* row = static_cast<const uint8_t*>(w.row(o));
      float acc = 0.0f;
      for (int64_t b = 0; b < nb; ++b)
        acc += quant::load_f16(row + size_t(b) * block_bytes + size_t(m_off)) * corr[size_t(b)];
      yt[o] += acc;
    }
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
  const int64_t stride = style == RopeStyle::Neox ? 1 : 2, offset = style == RopeStyle::Neox ? half : 1;
  for (int64_t h = 0; h < n_heads; ++h)
    for (int64_t i = 0; i < half; ++i) {
      float* a = x + h * head_dim + i * stride;
      const float x0 = a[0], x1 = a[offset];
      a[0] = std::fma(x0, cos[i], -(x1 * sin[i]));
      a[offset] = std::fma(x0, sin[i], x1 * cos[i]);
    }
}

}  // namespace knowscope::ggml_numerics
