// libFuzzer target for read_safetensors: any input must read or throw knowscope::Error, and every
// tensor of a file that reads must be readable end to end.
#include <cstdint>
#include <vector>

#include "fuzz_input.h"
#include "knowscope/core/error.h"
#include "knowscope/core/quant.h"
#include "knowscope/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace knowscope;
  try {
    SafetensorsFile st = read_safetensors(fuzz::input_path(data, size));
    for (const auto& [name, v] : st.tensors) {
      if (v.numel() > (1 << 22)) continue;
      std::vector<float> out(size_t(v.numel()));
      dequantize_row(v.dtype, v.data, out.data(), v.numel());
    }
  } catch (const Error&) {
  }
  return 0;
}
