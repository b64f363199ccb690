// llama.cpp's activation formats (core/ggml_numerics.h), checked block by block against their
// definitions; the end-to-end check against llama.cpp itself is in tests/model (tiny GGUFs: 1e-6
// with q8_0 weights, where the exact engine is 0.25 away).
#include "knowscope/core/ggml_numerics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "knowscope/core/error.h"
#include "knowscope/core/ggml_kernels.h"
#include "knowscope/core/half.h"
#include "knowscope/core/matmul.h"
#include "knowscope/core/quant.h"

namespace knowscope {
namespace {

std::vector<float> random_values(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(GgmlNumerics, Q8_0ActivationsAreF16ScaleTimesIntegersUpTo127) {
  std::vector<float> x = random_values(256, 1, 3.0f), y(256);
  ggml_numerics::round_activations(DType::Q8_0, x.data(), y.data(), 256);
  for (int b = 0; b < 8; ++b) {
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[b * 32 + i]));
    const float d = f16_to_f32(f32_to_f16(amax / 127.0f));
    for (int i = 0; i < 32; ++i) {
      const float q = y[b * 32 + i] / d;
      EXPECT_NEAR(q, std::nearbyint(q), 1e-4);
      EXPECT_LE(std::fabs(q), 127.0f);
      // Rounded from x * 127 / amax: off by at most half a step.
      EXPECT_LE(std::fabs(q - x[b * 32 + i] * 127.0f / amax), 0.5f + 1e-4f);
    }
  }
}

TEST(GgmlNumerics, Q8_KActivationsUseTheSignedMaximum) {
  std::vector<float> x = random_values(512, 2, 0.5f), y(512);
  x[7] = -4.0f;   // block 0: the largest magnitude is negative
  x[300] = 5.0f;  // block 1: positive
  ggml_numerics::round_activations(DType::Q4_K, x.data(), y.data(), 512);
  EXPECT_FLOAT_EQ(y[7], -4.0f);
  EXPECT_FLOAT_EQ(y[300], 5.0f);
  const float d0 = 1.0f / (-127.0f / -4.0f), d1 = 1.0f / (-127.0f / 5.0f);
  for (int i = 0; i < 256; ++i) {
    EXPECT_NEAR(y[i] / d0, std::nearbyint(y[i] / d0), 1e-4) << i;
    EXPECT_NEAR(y[256 + i] / d1, std::nearbyint(y[256 + i] / d1), 1e-4) << i;
  }
  std::vector<float> zeros(256, 0.0f), out(256, 1.0f);
  ggml_numerics::round_activations(DType::Q6_K, zeros.data(), out.data(), 256);
  for (float v : out) EXPECT_EQ(v, 0.0f);
}

TEST(GgmlNumerics, RejectsLengthsOffTheActivationBlock) {
  std::vector<float> x(48, 1.0f);
  EXPECT_THROW(ggml_numerics::round_activations(DType::Q8_0, x.data(), x.data(), 48), Error);
  EXPECT_THROW(ggml_numerics::round_activations(DType::Q4_K, x.data(), x.data(), 48 * 4), Error);
}

// Q4_1 weights against Q8_1 activations: ggml's block sum is d_w d_a sum(q_w q_a) + m_w s_a with
// s_a = f16(d * sum(q_a)) (d before its f16 rounding). ggml_numerics::matmul must give that (to
// float rounding), computed here block by block in double.
TEST(GgmlNumerics, Q8_1MinTermMatchesTheBlockFormula) {
  const int64_t in = 128, out = 5;
  std::vector<float> wf = random_values(size_t(in * out), 3, 0.2f);
  for (float& v : wf) v += 0.05f;  // a nonzero min per block
  std::vector<uint8_t> wq(size_t(out) * dtype_row_bytes(DType::Q4_1, in));
  for (int64_t o = 0; o < out; ++o)
    quantize_row(DType::Q4_1, wf.data() + o * in, wq.data() + o * dtype_row_bytes(DType::Q4_1, in),
                 in);
  TensorView w{"w", DType::Q4_1, {out, in}, wq.data(), wq.size()};
  std::vector<float> x = random_values(static_cast<size_t>(in), 4, 2.0f);
  std::vector<float> y(static_cast<size_t>(out));
  ggml_numerics::matmul(w, x.data(), 1, y.data());

  for (int64_t o = 0; o < out; ++o) {
    const auto* row = wq.data() + o * dtype_row_bytes(DType::Q4_1, in);
    double expect = 0;
    for (int64_t b = 0; b < in / 32; ++b) {
      const uint8_t* blk = row + b * 20;
      uint16_t dh, mh;
      std::memcpy(&dh, blk, 2);
      std::memcpy(&mh, blk + 2, 2);
      const double dw = f16_to_f32(dh), mw = f16_to_f32(mh);
      float amax = 0;
      for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[size_t(b * 32 + i)]));
      const float d = amax / 127.0f, id = 127.0f / amax;
      const double da = f16_to_f32(f32_to_f16(d));
      long sumi = 0, sumq = 0;
      for (int i = 0; i < 32; ++i) {
        const int qa = int(std::nearbyint(x[size_t(b * 32 + i)] * id));
        const int qw = i < 16 ? (blk[4 + i] & 0xF) : (blk[4 + i - 16] >> 4);
        sumi += long(qw) * qa;
        sumq += qa;
      }
      const double s = f16_to_f32(f32_to_f16(d * float(sumq)));
      expect += dw * da * double(sumi) + mw * s;
    }
    EXPECT_NEAR(y[size_t(o)], expect, 1e-5 * (1 + std::fabs(expect))) << o;
  }
}

TEST(GgmlNumerics, GeluReadsTheF16TableInsideTenAndPassesThroughOutside) {
  std::vector<float> gate = {-12.0f, -0.3337f, 0.0f, 1.2345f, 9.99f, 11.0f};
  std::vector<float> up = {2.0f, 2.0f, 2.0f, 2.0f, 2.0f, 2.0f}, g = gate;
  ggml_numerics::gelu_table_mul(g.data(), up.data(), int64_t(g.size()));
  auto gelu = [](float x) {
    return 0.5f * x * (1.0f + std::tanh(0.7978845608f * x * (1.0f + 0.044715f * x * x)));
  };
  EXPECT_EQ(g[0], 0.0f);
  EXPECT_EQ(g[5], 22.0f);
  for (size_t i = 1; i < 5; ++i) {
    const float h = f16_to_f32(f32_to_f16(gate[i]));
    EXPECT_NEAR(g[i], 2.0f * f16_to_f32(f32_to_f16(gelu(h))), 1e-3f * (1 + std::fabs(g[i])));
    // f16 output: a representable half times 2.
    EXPECT_EQ(g[i] / 2.0f, f16_to_f32(f32_to_f16(g[i] / 2.0f)));
  }
}

TEST(GgmlNumerics, RopeAnglesFollowTheRepeatedProduct) {
  std::vector<float> c(8), s(8);
  ggml_numerics::rope_angles(7, 10000.0f, 16, nullptr, 1.0f, c.data(), s.data());
  for (int i = 0; i < 8; ++i) {
    const double angle = 7.0 * std::pow(10000.0, -2.0 * i / 16.0);
    EXPECT_NEAR(c[size_t(i)], std::cos(angle), 1e-5);
    EXPECT_NEAR(s[size_t(i)], std::sin(angle), 1e-5);
  }
}

}  // namespace
}  // namespace knowscope
