#include "knowscope/core/ops.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "core/simd_sum.h"

namespace knowscope {
namespace {


// e^x by range reduction x = n ln2 + r (|r| <= ln2/2) and a degree-6 polynomial for e^r (Cephes
// expf coefficients), then scaling by 2^n through the exponent bits. Branch-free so loops
// vectorize.
inline float exp_one(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  // Adding 1.5 * 2^23 rounds to the nearest integer in the low mantissa bits (no floor call, which
  // would keep the loop scalar); those bits are also n itself.
  constexpr float kRound = 12582912.0f;
  float xc = std::min(std::max(x, -87.33654f), 88.37626f);
  float t = xc * kLog2e + kRound;
  float fn = t - kRound;
  int32_t n = std::bit_cast<int32_t>(t) - std::bit_cast<int32_t>(kRound);
  float r = xc - fn * kLn2Hi - fn * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * r * r + r + 1.0f;
  float scale = std::bit_cast<float>(uint32_t(n + 127) << 23);
  y *= scale;
  return x < -87.33654f ? 0.0f : y;
}

inline float tanh_one(float x) {
  // tanh(x) = 1 - 2 / (e^{2x} + 1); saturates cleanly at +-1 because exp_one clamps.
  return 1.0f - 2.0f / (exp_one(2.0f * x) + 1.0f);
}

constexpr float kGeluC = 0.7978845608028654f;  // sqrt(2/pi)

inline float gelu_one(float x) {
  return 0.5f * x * (1.0f + tanh_one(kGeluC * (x + 0.044715f * x * x * x)));
}

inline float silu_one(float x) { return x / (1.0f + exp_one(-x)); }

}  // namespace

float tanh_fast(float x) { return tanh_one(x); }
float gelu_tanh_scalar(float x) { return gelu_one(x); }

void rmsnorm(const float* x, const float* w, float* y, int64_t n, float eps) {
  // Eight independent double accumulators: vectorizable, and the order is fixed.
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += double(x[i + j]) * double(x[i + j]);
  for (; i < n; ++i) acc[0] += double(x[i]) * double(x[i]);
  double sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  float inv = float(1.0 / std::sqrt(sum / double(n) + double(eps)));
  if (w) {
    for (int64_t k = 0; k < n; ++k) y[k] = (x[k] * inv) * w[k];
  } else {
    for (int64_t k = 0; k < n; ++k) y[k] = x[k] * inv;
  }
}

void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t rot_dim, RopeStyle style,
          const float* cos, const float* sin) {
  const int64_t half = rot_dim / 2;
  for (int64_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim;
    if (style == RopeStyle::Neox) {
      float* a = v;
      float* b = v + half;
      for (int64_t i = 0; i < half; ++i) {
        float x0 = a[i], x1 = b[i];
        a[i] = x0 * cos[i] - x1 * sin[i];
        b[i] = x0 * sin[i] + x1 * cos[i];
      }
    } else {
      for (int64_t i = 0; i < half; ++i) {
        float x0 = v[2 * i], x1 = v[2 * i + 1];
        v[2 * i] = x0 * cos[i] - x1 * sin[i];
        v[2 * i + 1] = x0 * sin[i] + x1 * cos[i];
      }
    }
  }
}

void rope_inv_freq(float base, int64_t rot_dim, const float* freq_factors, float* inv_freq) {
  for (int64_t i = 0; i < rot_dim / 2; ++i) {
    double f = 1.0 / std::pow(double(base), double(2 * i) / double(rot_dim));
    if (freq_factors) f /= double(freq_factors[i]);
    inv_freq[i] = float(f);
  }
}

void exp_inplace(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = exp_one(x[i]);
}

float max_f32(const float* x, int64_t n) {
  // Sixteen lanes: a plain max reduction does not vectorize without -ffast-math.
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  float m[16] = {kNegInf, kNegInf, kNegInf, kNegInf, kNegInf, kNegInf, kNegInf, kNegInf,
                 kNegInf, kNegInf, kNegInf, kNegInf, kNegInf, kNegInf, kNegInf, kNegInf};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; ++j) m[j] = m[j] > x[i + j] ? m[j] : x[i + j];
  for (; i < n; ++i) m[0] = m[0] > x[i] ? m[0] : x[i];
  for (int j = 1; j < 16; ++j) m[0] = m[0] > m[j] ? m[0] : m[j];
  return m[0];
}

void softmax(float* x, int64_t n) {
  if (n <= 0) return;
  const float mx = max_f32(x, n);
  if (mx == -std::numeric_limits<float>::infinity()) {
    std::fill(x, x + n, 0.0f);
    return;
  }
  for (int64_t i = 0; i < n; ++i) x[i] = exp_one(x[i] - mx);
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += double(x[i + j]);
  for (; i < n; ++i) acc[0] += double(x[i]);
  double sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  float inv = float(1.0 / sum);
  for (int64_t k = 0; k < n; ++k) x[k] *= inv;
}

float dot_f32(const float* a, const float* b, int64_t n) {
#if defined(__AVX512F__)
  // Four independent 16-lane chains (FMA latency would bound a single one), then a fixed tree.
  __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    c0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), c0);
    c1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), c1);
    c2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), c2);
    c3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), c3);
  }
  for (; i + 16 <= n; i += 16)
    c0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), c0);
  if (i < n) {
    const __mmask16 m = __mmask16((1u << (n - i)) - 1);
    c1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), c1);
  }
  return hsum16(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)));
#else
  // Sixteen partial sums in a fixed order: vectorizes without -ffast-math.
  float acc[16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; ++j) acc[j] += a[i + j] * b[i + j];
  for (; i < n; ++i) acc[0] += a[i] * b[i];
  for (int w = 8; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) acc[j] += acc[j + w];
  return acc[0];
#endif
}

void axpy(float a, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void gelu_tanh(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = gelu_one(x[i]);
}

void silu(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = silu_one(x[i]);
}

void softcap(float* x, int64_t n, float cap) {
  for (int64_t i = 0; i < n; ++i) x[i] = cap * tanh_one(x[i] / cap);
}

void gelu_tanh_mul(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) gate[i] = gelu_one(gate[i]) * up[i];
}

void silu_mul(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) gate[i] = silu_one(gate[i]) * up[i];
}

}  // namespace knowscope
