#include "model/weights_util.h"

#include <cstdint>
#include <cstring>

#include "knowscope/core/error.h"
#include "knowscope/core/half.h"

namespace knowscope::detail {

std::vector<float> small_vector_f32(const TensorView& t, int64_t n, float offset,
                                    const std::string& where) {
  const std::string field = "tensor '" + t.name + "'";
  if (t.shape.size() != 1 || t.shape[0] != n)
    fail(where, field, "expected shape [" + std::to_string(n) + "], got " + shape_str(t.shape));
  size_t elem = t.dtype == DType::F32                               ? 4
                : (t.dtype == DType::F16 || t.dtype == DType::BF16) ? 2
                                                                    : 0;
  if (elem == 0) fail(where, field, "expected F32, F16 or BF16, got " + dtype_name(t.dtype));
  if (t.nbytes != size_t(n) * elem)
    fail(where, field,
         "holds " + std::to_string(t.nbytes) + " bytes, expected " +
             std::to_string(size_t(n) * elem));
  std::vector<float> out(static_cast<size_t>(n));
  const auto* bytes = static_cast<const unsigned char*>(t.data);
  for (int64_t i = 0; i < n; ++i) {
    float v;
    if (t.dtype == DType::F32) {
      std::memcpy(&v, bytes + 4 * i, 4);
    } else {
      uint16_t h;
      std::memcpy(&h, bytes + 2 * i, 2);
      v = t.dtype == DType::F16 ? f16_to_f32(h) : bf16_to_f32(h);
    }
    out[size_t(i)] = v + offset;
  }
  return out;
}

TensorView aligned_view(const TensorView& t, std::vector<std::shared_ptr<const void>>& storage) {
  size_t align = t.dtype == DType::F32                               ? 4
                 : (t.dtype == DType::F16 || t.dtype == DType::BF16) ? 2
                                                                     : 1;
  if (t.empty() || reinterpret_cast<uintptr_t>(t.data) % align == 0) return t;
  auto copy = std::make_shared<std::vector<float>>((t.nbytes + 3) / 4);
  std::memcpy(copy->data(), t.data, t.nbytes);
  TensorView out = t;
  out.data = copy->data();
  storage.push_back(std::shared_ptr<const void>(copy, copy->data()));
  return out;
}

}  // namespace knowscope::detail
