// Helpers shared by the GGUF and safetensors weight mappers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "knowscope/core/tensor.h"

namespace knowscope::detail {

// A small float tensor (norm scale, bias) as float32 plus `offset`; it must be 1-D with n values
// and F32, F16 or BF16.
std::vector<float> small_vector_f32(const TensorView& t, int64_t n, float offset,
                                    const std::string& where);

// Plain-typed data (F32/F16/BF16) must be aligned to its element size before kernels read it as
// such; an unaligned view is copied into owned storage (kept alive by `storage`).
TensorView aligned_view(const TensorView& t, std::vector<std::shared_ptr<const void>>& storage);

}  // namespace knowscope::detail
