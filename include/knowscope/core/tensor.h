// Tensors: a read-only view of typed bytes (weights, usually mmapped), and an owned float32 array
// (activations). Shapes are row-major, outermost first, as in numpy and PyTorch: a GGUF tensor with
// ne = [640, 262144] has shape {262144, 640}. Linear weights are [out_features, in_features].
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "knowscope/core/dtype.h"

namespace knowscope {

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& s);
std::string shape_str(const Shape& s);  // "[262144, 640]"

// A view of a tensor's bytes; it does not own them. Rows are the last dimension.
struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;
  const void* data = nullptr;
  size_t nbytes = 0;

  bool empty() const { return data == nullptr; }
  int64_t numel() const { return shape_numel(shape); }
  int64_t cols() const { return shape.empty() ? 1 : shape.back(); }
  int64_t rows() const { return cols() == 0 ? 0 : numel() / cols(); }
  size_t row_bytes() const { return dtype_row_bytes(dtype, cols()); }
  const void* row(int64_t r) const {
    return static_cast<const char*>(data) + size_t(r) * row_bytes();
  }
};

// Owned contiguous float32 tensor.
struct Tensor {
  Shape shape;
  std::vector<float> data;

  Tensor() = default;
  explicit Tensor(Shape s) : shape(std::move(s)), data(size_t(shape_numel(shape)), 0.0f) {}
  int64_t numel() const { return int64_t(data.size()); }
  float* ptr() { return data.data(); }
  const float* ptr() const { return data.data(); }
  TensorView view(std::string name = {}) const {
    return {std::move(name), DType::F32, shape, data.data(), data.size() * sizeof(float)};
  }
};

}  // namespace knowscope
