#include "sae_io_util.h"

#include <cstring>

#include "knowscope/core/error.h"
#include "knowscope/core/half.h"
#include "knowscope/io/atomic_file.h"

namespace knowscope::sae_detail {

Tensor to_f32(const TensorView& t, const Shape& shape, const std::string& where,
              const std::string& field) {
  if (t.shape != shape)
    fail(where, field, "shape " + shape_str(t.shape) + ", expected " + shape_str(shape));
  const int64_t n = shape_numel(shape);
  size_t item = t.dtype == DType::F32 ? 4 : t.dtype == DType::F64 ? 8 : 2;
  if (t.dtype != DType::F32 && t.dtype != DType::F16 && t.dtype != DType::BF16 &&
      t.dtype != DType::F64)
    fail(where, field,
         "dtype " + dtype_name(t.dtype) + " not supported (expected F32, F16, BF16 or F64)");
  if (t.nbytes != size_t(n) * item || (n > 0 && t.data == nullptr))
    fail(where, field,
         "holds " + std::to_string(t.nbytes) + " bytes, shape " + shape_str(shape) + " of " +
             dtype_name(t.dtype) + " needs " + std::to_string(size_t(n) * item));
  Tensor out(shape);
  const auto* src = static_cast<const unsigned char*>(t.data);
  float* dst = out.ptr();
  switch (t.dtype) {
    case DType::F32:
      std::memcpy(dst, src, size_t(n) * 4);
      break;
    case DType::F64:
      for (int64_t i = 0; i < n; ++i) {
        double v;
        std::memcpy(&v, src + 8 * i, 8);
        dst[i] = float(v);
      }
      break;
    case DType::F16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        dst[i] = f16_to_f32(h);
      }
      break;
    default:  // BF16
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        dst[i] = bf16_to_f32(h);
      }
  }
  return out;
}

const TensorView& find_tensor(const std::map<std::string, TensorView>& tensors,
                              const std::string& name, const std::string& where) {
  auto it = tensors.find(name);
  if (it == tensors.end()) {
    std::string have;
    for (const auto& kv : tensors) have += (have.empty() ? "" : ", ") + kv.first;
    fail(where, "tensor '" + name + "'", "missing (file has: " + have + ")");
  }
  return it->second;
}

std::string dtype_label(DType t) {
  switch (t) {
    case DType::F16:
      return "float16";
    case DType::BF16:
      return "bfloat16";
    case DType::F64:
      return "float64";
    default:
      return "float32";
  }
}

nlohmann::json read_json_file(const std::string& path) {
  std::string text = read_file(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail(path, "", std::string("invalid JSON: ") + e.what());
  }
}

void finish_loaded_sae(Sae& sae, const std::string& where, double norm_tolerance,
                       const std::string& hook_override, const std::string& model_override) {
  if (!hook_override.empty()) sae.hook_name = hook_override;
  if (!model_override.empty()) sae.model_name = model_override;
  validate_sae(sae, where);
  check_decoder_norms(sae, norm_tolerance);
  if (sae.hook_name.empty())
    sae.warnings.push_back("no hook point known for this SAE; set SaeLoadOptions::hook_name");
}

}  // namespace knowscope::sae_detail
