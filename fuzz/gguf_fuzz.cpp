// libFuzzer target for read_gguf: any input must read or throw knowscope::Error, and a file that
// reads must have every tensor readable end to end (dequantize and dot each row).
#include <cstdint>
#include <vector>

#include "fuzz_input.h"
#include "knowscope/core/error.h"
#include "knowscope/core/quant.h"
#include "knowscope/io/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace knowscope;
  try {
    GgufFile g = read_gguf(fuzz::input_path(data, size));
    for (const auto& t : g.tensors) {
      TensorView v = g.view(t);
      if (v.dtype == DType::Q8_1 || v.numel() == 0 || v.cols() > (1 << 20)) continue;
      std::vector<float> row(size_t(v.cols())), x(size_t(v.cols()), 1.0f);
      for (int64_t r = 0; r < v.rows() && r < 64; ++r) {
        dequantize_row(v.dtype, v.row(r), row.data(), v.cols());
        volatile float s = dot_row(v.dtype, v.row(r), x.data(), v.cols());
        (void)s;
      }
    }
  } catch (const Error&) {
  }
  return 0;
}
