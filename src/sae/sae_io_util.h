// Shared pieces of the SAE readers. Private to sae/.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "knowscope/core/tensor.h"
#include "knowscope/sae/sae.h"

namespace knowscope::sae_detail {

// Float32 copy of a tensor (F32, F16, BF16 or F64) whose shape must equal `shape`.
Tensor to_f32(const TensorView& t, const Shape& shape, const std::string& where,
              const std::string& field);
// The tensor named `name` in `tensors`, or Error listing the names present.
const TensorView& find_tensor(const std::map<std::string, TensorView>& tensors,
                              const std::string& name, const std::string& where);
// "float32" / "float16" / "bfloat16" for the weights' dtype.
std::string dtype_label(DType t);

nlohmann::json read_json_file(const std::string& path);

// After the weights are in: validates, checks decoder norms, applies the overrides.
void finish_loaded_sae(Sae& sae, const std::string& where, double norm_tolerance,
                       const std::string& hook_override, const std::string& model_override);

}  // namespace knowscope::sae_detail
