// linear() over every weight dtype, on every path (the batch-invariant tiles; dot_row per row;
// dequantize-once rows; dequantized panels + sgemm),
// against a double-precision product of the dequantized weights (dequantize_row is checked
// against the gguf package in the quant tests).
#include "knowscope/core/matmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "knowscope/core/error.h"
#include "knowscope/core/half.h"
#include "knowscope/core/parallel.h"
#include "knowscope/core/quant.h"

namespace knowscope {
namespace {

struct Weight {
  std::vector<unsigned char> bytes;
  TensorView view;
};

// Random weights [rows, cols] in dtype t: quantized from floats where a quantizer exists; else
// random block bytes with sane fp16 scales at the block layout's scale offsets.
Weight make_weight(DType t, int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  Weight w;
  const size_t rb = dtype_row_bytes(t, cols);
  w.bytes.resize(rb * size_t(rows));
  if (has_quantizer(t)) {
    std::vector<float> row(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
      for (auto& v : row) v = nd(rng);
      quantize_row(t, row.data(), w.bytes.data() + size_t(r) * rb, cols);
    }
  } else {
    for (auto& b : w.bytes) b = static_cast<unsigned char>(rng());
    // fp16 scale fields (d, and dmin where present) per 256-element K-quant block.
    std::vector<size_t> offs;
    if (t == DType::Q4_K || t == DType::Q5_K) offs = {0, 2};
    if (t == DType::Q6_K) offs = {208};
    if (t == DType::Q3_K) offs = {108};
    if (t == DType::Q2_K) offs = {80, 82};
    const size_t bb = dtype_info(t).block_bytes;
    std::uniform_real_distribution<float> sd(0.001f, 0.02f);
    for (size_t blk = 0; blk < w.bytes.size() / bb; ++blk)
      for (size_t o : offs) {
        uint16_t h = f32_to_f16(sd(rng));
        std::memcpy(w.bytes.data() + blk * bb + o, &h, 2);
      }
  }
  w.view = {"w", t, {rows, cols}, w.bytes.data(), w.bytes.size()};
  return w;
}

void check_linear(DType t, int64_t T, int64_t out, int64_t in, bool with_bias) {
  Weight w = make_weight(t, out, in, 17u + uint32_t(t));
  std::mt19937 rng(99);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(T * in)), bias(static_cast<size_t>(out)),
      y(static_cast<size_t>(T * out));
  for (auto& v : x) v = nd(rng);
  for (auto& v : bias) v = nd(rng);
  linear(x.data(), T, w.view, y.data(), with_bias ? bias.data() : nullptr);

  std::vector<float> deq(static_cast<size_t>(in));
  for (int64_t r = 0; r < out; ++r) {
    dequantize_row(t, w.view.row(r), deq.data(), in);
    for (int64_t s = 0; s < T; ++s) {
      double ref = with_bias ? bias[size_t(r)] : 0.0, mag = 0;
      for (int64_t i = 0; i < in; ++i) {
        ref += double(deq[size_t(i)]) * x[size_t(s * in + i)];
        mag += std::fabs(double(deq[size_t(i)]) * x[size_t(s * in + i)]);
      }
      ASSERT_NEAR(y[size_t(s * out + r)], ref, 1e-5 * mag + 1e-5)
          << dtype_name(t) << " T=" << T << " row " << r << " token " << s;
    }
  }
}

class LinearDtype : public ::testing::TestWithParam<DType> {};

TEST_P(LinearDtype, AllPathsMatchDoublePrecision) {
  const DType t = GetParam();
  const int64_t in = dtype_info(t).block_size == 256 ? 512 : 96;
  for (int64_t T : {1, 2, 5, 9, 33}) {
    for (LinearPath p : {LinearPath::Dot, LinearPath::Rows, LinearPath::Gemm, LinearPath::Tiles,
                         LinearPath::Auto}) {
      set_linear_path(p);
      check_linear(t, T, 70, in, (T + int64_t(p)) % 2 == 1);
    }
  }
  set_linear_path(LinearPath::Auto);
}

INSTANTIATE_TEST_SUITE_P(Types, LinearDtype,
                         ::testing::Values(DType::F32, DType::F16, DType::BF16, DType::Q8_0,
                                           DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1,
                                           DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K,
                                           DType::Q6_K),
                         [](const auto& p) { return dtype_name(p.param); });

TEST(Linear, ManyRowsAcrossPanelsAndThreads) {
  // More output rows than one panel holds, so several threads each take panels.
  check_linear(DType::Q8_0, 40, 1100, 256, true);
  check_linear(DType::F32, 40, 1100, 256, false);
  check_linear(DType::Q4_K, 10, 1100, 256, false);  // the row kernel, several threads
}

// The default path computes each row of y the same way whatever the other rows of x: one row
// alone, inside batches of several sizes, at any position, and with one or two threads, gives
// bit-identical outputs. (The sgemm path does not: its kernels change with the row count.)
TEST(Linear, DefaultPathIsBatchInvariant) {
  const int threads = num_threads();
  for (DType t : {DType::F32, DType::Q8_0, DType::Q4_K, DType::Q6_K, DType::Q5_0}) {
    // 100 columns for F32 exercises the masked last step; block types need whole blocks.
    const int64_t in = t == DType::F32 ? 100 : dtype_info(t).block_size == 256 ? 512 : 160;
    const int64_t out = 997;  // not a multiple of the tile or panel sizes
    Weight w = make_weight(t, out, in, 5u + uint32_t(t));
    std::mt19937 rng(7);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    const int64_t T = 37;
    std::vector<float> x(static_cast<size_t>(T * in)), bias(static_cast<size_t>(out)),
        y(static_cast<size_t>(T * out));
    for (auto& v : x) v = nd(rng);
    for (auto& v : bias) v = nd(rng);
    set_num_threads(2);
    linear(x.data(), T, w.view, y.data(), bias.data());
    for (int64_t start : {int64_t(0), int64_t(3), int64_t(36)})
      for (int64_t n : {int64_t(1), int64_t(2), int64_t(5), int64_t(9)}) {
        if (start + n > T) continue;
        set_num_threads(n % 2 ? 1 : 2);
        std::vector<float> part(static_cast<size_t>(n * out));
        linear(x.data() + start * in, n, w.view, part.data(), bias.data());
        for (int64_t i = 0; i < n * out; ++i)
          ASSERT_EQ(std::memcmp(&part[size_t(i)], &y[size_t(start * out + i)], 4), 0)
              << dtype_name(t) << " rows " << start << "+" << n << " output " << i;
      }
  }
  set_num_threads(threads);
}

TEST(Linear, RejectsBadWeights) {
  std::vector<float> buf(16), x(4), y(4);
  TensorView v{"w1d", DType::F32, {16}, buf.data(), 64};
  EXPECT_THROW(linear(x.data(), 1, v, y.data()), Error);
}

}  // namespace
}  // namespace knowscope
