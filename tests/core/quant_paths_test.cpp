// The vector kernels against the portable scalar paths, on random valid blocks of every type, so
// that a machine without AVX2 (which only runs the scalar paths) and this one agree; plus the row
// helpers and argument checks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "core/quant_blocks.h"
#include "knowscope/core/error.h"
#include "knowscope/core/half.h"
#include "knowscope/core/quant.h"

namespace knowscope {
namespace {

const DType kTypes[] = {DType::F32,  DType::F16,  DType::BF16, DType::Q4_0, DType::Q4_1,
                        DType::Q5_0, DType::Q5_1, DType::Q8_0, DType::Q2_K, DType::Q3_K,
                        DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::Q8_K};

// Random bytes, with the scale fields set to finite values (as in tools/make_quant_fixtures.py).
std::vector<unsigned char> random_row(DType t, int64_t n, std::mt19937& rng) {
  const auto& info = dtype_info(t);
  std::vector<unsigned char> b(dtype_row_bytes(t, n));
  for (auto& c : b) c = static_cast<unsigned char>(rng());
  std::normal_distribution<float> normal;
  auto f16_at = [&](size_t at) {
    uint16_t h = f32_to_f16(normal(rng) * 0.05f);
    std::memcpy(&b[at], &h, 2);
  };
  std::vector<int> offs;
  switch (t) {
    case DType::F32:
      for (int64_t i = 0; i < n; ++i) {
        float f = normal(rng);
        std::memcpy(&b[size_t(4 * i)], &f, 4);
      }
      return b;
    case DType::F16:
      for (int64_t i = 0; i < n; ++i) f16_at(size_t(2 * i));
      return b;
    case DType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h = f32_to_bf16(normal(rng));
        std::memcpy(&b[size_t(2 * i)], &h, 2);
      }
      return b;
    case DType::Q4_0:
    case DType::Q5_0:
    case DType::Q8_0:
      offs = {0};
      break;
    case DType::Q4_1:
    case DType::Q5_1:
    case DType::Q4_K:
    case DType::Q5_K:
      offs = {0, 2};
      break;
    case DType::Q2_K:
      offs = {80, 82};
      break;
    case DType::Q3_K:
      offs = {108};
      break;
    case DType::Q6_K:
      offs = {208};
      break;
    case DType::Q8_K:
      for (size_t at = 0; at < b.size(); at += info.block_bytes) {
        float d = std::fabs(normal(rng)) * 0.01f;
        std::memcpy(&b[at], &d, 4);
      }
      return b;
    default:
      break;
  }
  for (size_t at = 0; at < b.size(); at += info.block_bytes)
    for (int o : offs) f16_at(at + size_t(o));
  return b;
}

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

TEST(QuantPaths, VectorDequantizeEqualsScalarBitForBit) {
  std::mt19937 rng(1);
  for (DType t : kTypes) {
    for (int64_t n : {256, 512, 1024 + 256}) {
      auto row = random_row(t, n, rng);
      std::vector<float> a(static_cast<size_t>(n)), b(static_cast<size_t>(n));
      dequantize_row(t, row.data(), a.data(), n);
      quant::dequantize_row_scalar(t, row.data(), b.data(), n);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(bits(a[i]), bits(b[i])) << dtype_name(t) << " n " << n << " i " << i;
    }
  }
}

// dot_row (vector) and the scalar path against the float64 dot of the dequantized row, within the
// float32 bound justified in quant_fixture_test.cpp: gamma(n + 2) sum |w x|.
TEST(QuantPaths, DotRowsWithinFloat32Bound) {
  std::mt19937 rng(2);
  std::normal_distribution<float> normal;
  for (DType t : kTypes) {
    for (int64_t n : {256, 2048}) {
      auto row = random_row(t, n, rng);
      std::vector<float> w(static_cast<size_t>(n)), x(static_cast<size_t>(n));
      for (auto& v : x) v = normal(rng);
      quant::dequantize_row_scalar(t, row.data(), w.data(), n);
      double ref = 0, abs_ref = 0;
      for (int64_t i = 0; i < n; ++i) {
        ref += double(w[i]) * x[i];
        abs_ref += std::fabs(double(w[i]) * x[i]);
      }
      const double u = std::ldexp(1.0, -24), k = double(n + 2);
      const double tol = k * u / (1 - k * u) * abs_ref + 1e-30;
      EXPECT_NEAR(dot_row(t, row.data(), x.data(), n), ref, tol) << dtype_name(t) << " n " << n;
      EXPECT_NEAR(quant::dot_row_scalar(t, row.data(), x.data(), n), ref, tol)
          << dtype_name(t) << " scalar n " << n;
    }
  }
}

TEST(QuantPaths, PlainTypesWithOddLengths) {
  std::mt19937 rng(3);
  for (DType t : {DType::F32, DType::F16, DType::BF16}) {
    for (int64_t n : {0, 1, 15, 17, 63, 65, 100}) {
      auto row = random_row(t, n, rng);
      std::vector<float> w(static_cast<size_t>(n) + 1), x(static_cast<size_t>(n) + 1, 0.5f);
      dequantize_row(t, row.data(), w.data(), n);
      double ref = 0;
      for (int64_t i = 0; i < n; ++i) ref += double(w[i]) * 0.5;
      EXPECT_NEAR(dot_row(t, row.data(), x.data(), n), ref, 1e-5 * (1 + std::fabs(ref)));
    }
  }
}

TEST(QuantPaths, RowHelpers) {
  std::mt19937 rng(4);
  const int64_t rows = 37, cols = 512;
  std::vector<unsigned char> m;
  for (int64_t r = 0; r < rows; ++r) {
    auto row = random_row(DType::Q4_K, cols, rng);
    m.insert(m.end(), row.begin(), row.end());
  }
  TensorView w{"w", DType::Q4_K, {rows, cols}, m.data(), m.size()};
  std::vector<float> panel(size_t(5 * cols)), one(static_cast<size_t>(cols));
  dequantize_rows(w, 10, 15, panel.data());
  for (int64_t r = 10; r < 15; ++r) {
    dequantize_row(DType::Q4_K, w.row(r), one.data(), cols);
    EXPECT_EQ(std::memcmp(one.data(), panel.data() + (r - 10) * cols, cols * 4), 0);
  }
  EXPECT_THROW(dequantize_rows(w, 30, 38, panel.data()), Error);
  EXPECT_THROW(dequantize_rows(w, 5, 4, panel.data()), Error);

  std::vector<float> x(static_cast<size_t>(cols), 0.25f), y(static_cast<size_t>(rows));
  matvec(w, x.data(), y.data());
  for (int64_t r = 0; r < rows; ++r)
    EXPECT_EQ(y[r], dot_row(DType::Q4_K, w.row(r), x.data(), cols)) << r;
  TensorView short_view = w;
  short_view.nbytes -= 1;
  EXPECT_THROW(matvec(short_view, x.data(), y.data()), Error);
}

TEST(QuantPaths, ArgumentChecks) {
  std::vector<unsigned char> b(1024);
  std::vector<float> f(1024);
  EXPECT_THROW(dequantize_row(DType::Q4_K, b.data(), f.data(), 100), Error);
  EXPECT_THROW(dot_row(DType::Q8_0, b.data(), f.data(), 33), Error);
  EXPECT_THROW(quantize_row(DType::Q4_K, f.data(), b.data(), 256), Error);
  EXPECT_FALSE(has_quantizer(DType::Q6_K));
  EXPECT_THROW(dequantize_row(DType::Q8_1, b.data(), f.data(), 32), Error);
}

TEST(QuantPaths, QuantizeThenDequantizeIsClose) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  std::vector<float> x(256), y(256);
  for (auto& v : x) v = normal(rng);
  // Worst-case error per element is half a quantization step (plus f16 rounding of the scale).
  const std::pair<DType, float> cases[] = {
      {DType::Q8_0, 0.02f}, {DType::Q5_0, 0.15f}, {DType::Q5_1, 0.1f},  {DType::Q4_0, 0.3f},
      {DType::Q4_1, 0.25f}, {DType::F16, 0.002f}, {DType::BF16, 0.02f}, {DType::F32, 0.0f}};
  for (auto [t, tol] : cases) {
    std::vector<unsigned char> q(dtype_row_bytes(t, 256));
    quantize_row(t, x.data(), q.data(), 256);
    dequantize_row(t, q.data(), y.data(), 256);
    for (int i = 0; i < 256; ++i) ASSERT_NEAR(y[i], x[i], tol) << dtype_name(t) << " " << i;
  }
}

}  // namespace
}  // namespace knowscope
