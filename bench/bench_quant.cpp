// Throughput of dequantize_row and dot_row per type, one thread: GB/s of weight bytes read and
// elements per second. The matrix (1024 x 2048) is a little larger than L2, like one weight matrix
// of a small model. Quick: `bench_quant --benchmark_min_time=0.1` (Google Benchmark flags).
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "knowscope/core/dtype.h"
#include "knowscope/core/half.h"
#include "knowscope/core/quant.h"

namespace {

using knowscope::DType;

constexpr int64_t kRows = 1024, kCols = 2048;

// Byte offsets of the f16 scales inside a block; they get sane values so that no inf/NaN
// (whose arithmetic can be slower) enters the timing.
std::vector<int> scale_offsets(DType t) {
  switch (t) {
    case DType::Q4_0:
    case DType::Q5_0:
    case DType::Q8_0:
      return {0};
    case DType::Q4_1:
    case DType::Q5_1:
    case DType::Q4_K:
    case DType::Q5_K:
      return {0, 2};
    case DType::Q2_K:
      return {80, 82};
    case DType::Q3_K:
      return {108};
    case DType::Q6_K:
      return {208};
    default:
      return {};
  }
}

std::vector<unsigned char> random_matrix(DType t) {
  const auto& info = knowscope::dtype_info(t);
  const size_t bytes = knowscope::dtype_row_bytes(t, kCols) * kRows;
  std::vector<unsigned char> m(bytes);
  std::mt19937 rng(42);
  std::normal_distribution<float> normal;
  if (!info.quantized) {
    std::vector<float> row(kCols);
    for (int64_t r = 0; r < kRows; ++r) {
      for (auto& v : row) v = normal(rng);
      knowscope::quantize_row(t, row.data(), m.data() + r * (bytes / kRows), kCols);
    }
    return m;
  }
  for (auto& b : m) b = static_cast<unsigned char>(rng());
  if (t == DType::Q8_K) {
    for (size_t b = 0; b < bytes; b += info.block_bytes) {
      float d = 0.01f;
      std::memcpy(&m[b], &d, 4);
    }
  }
  for (int off : scale_offsets(t))
    for (size_t b = 0; b < bytes; b += info.block_bytes) {
      uint16_t h = knowscope::f32_to_f16(0.001f * float(1 + rng() % 100));
      std::memcpy(&m[b + size_t(off)], &h, 2);
    }
  return m;
}

void set_counters(benchmark::State& state, size_t weight_bytes) {
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(weight_bytes));
  state.SetItemsProcessed(int64_t(state.iterations()) * kRows * kCols);
}

void BM_dequantize_row(benchmark::State& state, DType t) {
  auto m = random_matrix(t);
  const size_t row_bytes = knowscope::dtype_row_bytes(t, kCols);
  std::vector<float> out(kCols);
  for (auto _ : state) {
    for (int64_t r = 0; r < kRows; ++r) {
      knowscope::dequantize_row(t, m.data() + r * row_bytes, out.data(), kCols);
      benchmark::DoNotOptimize(out.data());
    }
    benchmark::ClobberMemory();
  }
  set_counters(state, m.size());
}

void BM_dot_row(benchmark::State& state, DType t) {
  auto m = random_matrix(t);
  const size_t row_bytes = knowscope::dtype_row_bytes(t, kCols);
  std::vector<float> x(kCols, 0.5f);
  for (auto _ : state) {
    float acc = 0;
    for (int64_t r = 0; r < kRows; ++r)
      acc += knowscope::dot_row(t, m.data() + r * row_bytes, x.data(), kCols);
    benchmark::DoNotOptimize(acc);
  }
  set_counters(state, m.size());
}

const DType kTypes[] = {DType::F32,  DType::F16,  DType::BF16, DType::Q8_0, DType::Q4_0,
                        DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q2_K, DType::Q3_K,
                        DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::Q8_K};

int register_all = [] {
  for (DType t : kTypes) {
    const std::string name = knowscope::dtype_name(t);
    benchmark::RegisterBenchmark(("dot_row/" + name).c_str(), BM_dot_row, t);
    benchmark::RegisterBenchmark(("dequantize_row/" + name).c_str(), BM_dequantize_row, t);
  }
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
