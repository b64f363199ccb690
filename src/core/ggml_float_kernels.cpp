// llama.cpp's float kernels (see ggml_kernels.h): F32 / F16 dot products in tinyBLAS's and
// vec_dot's lanes, ggml's vector exp, softmax and softcap. Compiled with -ffp-contract=off.
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include "core/ggml_lanes.h"
#include "core/quant_blocks.h"
#include "knowscope/core/ggml_kernels.h"
#include "knowscope/core/half.h"
#include "knowscope/core/parallel.h"

namespace knowscope::ggml_numerics {

namespace {

// tinyBLAS<16, __m512>: one accumulator of 16 lanes over the whole length.
float dot_16_lanes(const float* x, const float* y, int64_t n) {
  float lane[16] = {};
  for (int64_t i = 0; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; ++l) lane[l] = std::fma(x[i + l], y[i + l], lane[l]);
  return reduce16(lane);
}

// ggml_vec_dot_f16 / _f32: four accumulators of 16 lanes over steps of 64, folded (0+2, 1+3,
// then both) and reduced; returns the reduced sum, *np the elements covered.
float dot_4x16_lanes(const float* x, const float* y, int64_t n, int64_t* np) {
  float acc[4][16] = {};
  *np = n & ~int64_t(63);
  for (int64_t i = 0; i < *np; i += 64)
    for (int j = 0; j < 4; ++j)
      for (int l = 0; l < 16; ++l)
        acc[j][l] = std::fma(x[i + 16 * j + l], y[i + 16 * j + l], acc[j][l]);
  float folded[16];
  for (int l = 0; l < 16; ++l) folded[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
  return reduce16(folded);
}

}  // namespace

float dot_f32(const float* x, const float* y, int64_t n, bool batched) {
  if (batched) return dot_16_lanes(x, y, n);
  int64_t np;
  float sum = dot_4x16_lanes(x, y, n, &np);
  for (int64_t i = np; i < n; ++i) sum = sum + x[i] * y[i];  // in float, not fused
  return sum;
}

void softcap(float* x, int64_t n, float cap) {
  const float inv = 1.0f / cap;
  for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i] * inv) * cap;
}

float dot_f16(const float* x, const float* y, int64_t n, bool batched) {
  if (batched) return dot_16_lanes(x, y, n);
  int64_t np;
  double sum = double(dot_4x16_lanes(x, y, n, &np));  // ggml keeps this sum in a double
  for (int64_t i = np; i < n; ++i) sum += double(x[i] * y[i]);
  return float(sum);
}

float v_expf(float x) {
  const float r = 0x1.8p23f;
  const float z = std::fma(x, 0x1.715476p+0f, r);
  const float n = z - r;
  const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
  const float u = b * b;
  const float j = std::fma(std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                                    std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                           u, std::fma(0x1.ffffecp-1f, b, 1.0f));
  if (std::fabs(n) > 192.0f) return n <= 0.0f ? 0.0f : std::numeric_limits<float>::infinity();
  return std::ldexp(j, int(n));
}

void softmax(float* x, int64_t n) {
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) max = std::max(max, x[i]);
  double sum = 0.0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    float v[16];
    for (int l = 0; l < 16; ++l) {
      const float xi = x[i + l];
      v[l] = xi == -std::numeric_limits<float>::infinity() ? 0.0f : v_expf(xi - max);
      x[i + l] = v[l];
    }
    sum += double(reduce16(v));
  }
  for (; i < n; ++i) {
    const float v = std::exp(x[i] - max);
    sum += double(v);
    x[i] = v;
  }
  const float inv = float(1.0 / sum);
  for (int64_t k = 0; k < n; ++k) x[k] *= inv;
}

// F32 / F16 weights: the activations stay f32 or are rounded to f16; llamafile's tinyBLAS takes
// calls of 2+ rows when k is a multiple of 16 and m of 4, vec_dot the rest.
void matmul_float(const TensorView& W, const float* x, std::span<const int64_t> calls, float* out) {
  const bool f16 = W.dtype == DType::F16;
  const int64_t n = W.cols(), m = W.rows();
  int64_t rows = 0;
  for (int64_t k : calls) rows += k;
  std::vector<float> a(x, x + rows * n);
  if (f16)
    for (float& v : a) v = f16_to_f32(f32_to_f16(v));
  std::vector<bool> tiny(static_cast<size_t>(rows));
  for (int64_t r0 = 0, c = 0; c < int64_t(calls.size()); r0 += calls[size_t(c)], ++c)
    for (int64_t r = r0; r < r0 + calls[size_t(c)]; ++r)
      tiny[size_t(r)] = calls[size_t(c)] >= 2 && n % 16 == 0 && m % 4 == 0;
  parallel_for(m, [&](int64_t o0, int64_t o1, int) {
    std::vector<float> w(static_cast<size_t>(n));
    for (int64_t o = o0; o < o1; ++o) {
      const auto* row = static_cast<const uint8_t*>(W.row(o));
      for (int64_t i = 0; i < n; ++i)
        w[size_t(i)] = f16 ? quant::load_f16(row + 2 * i) : quant::load_f32(row + 4 * i);
      for (int64_t r = 0; r < rows; ++r) {
        const float* ar = a.data() + r * n;
        out[r * m + o] = f16 ? dot_f16(w.data(), ar, n, tiny[size_t(r)])
                             : dot_f32(w.data(), ar, n, tiny[size_t(r)]);
      }
    }
  });
}

}  // namespace knowscope::ggml_numerics
