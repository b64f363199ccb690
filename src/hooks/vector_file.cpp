// Vectors from .npy and .safetensors files.
#include "knowscope/hooks/vector_file.h"

#include <cstring>

#include "knowscope/core/error.h"
#include "knowscope/core/half.h"
#include "knowscope/io/npy.h"
#include "knowscope/io/safetensors.h"

namespace knowscope {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Element i of a float tensor view as float.
float element(const TensorView& t, int64_t i) {
  const auto* p = static_cast<const unsigned char*>(t.data);
  switch (t.dtype) {
    case DType::F32: {
      float v;
      std::memcpy(&v, p + 4 * i, 4);
      return v;
    }
    case DType::F64: {
      double v;
      std::memcpy(&v, p + 8 * i, 8);
      return float(v);
    }
    case DType::F16:
    case DType::BF16: {
      uint16_t h;
      std::memcpy(&h, p + 2 * i, 2);
      return t.dtype == DType::F16 ? f16_to_f32(h) : bf16_to_f32(h);
    }
    default:
      return 0.0f;
  }
}

}  // namespace

std::vector<float> load_vector(const std::string& spec) {
  if (ends_with(spec, ".npy")) {
    NpyArray a = read_npy(spec);
    if (!(a.shape.size() == 1 || (a.shape.size() == 2 && a.shape[0] == 1)))
      fail(spec, "shape", "expected a vector [n] or [1, n], got " + shape_str(a.shape));
    return npy_to_f32(a, spec);
  }
  const std::string ext = ".safetensors";
  const size_t at = spec.find(ext);
  if (at == std::string::npos)
    fail(spec, "", "expected a .npy file or FILE.safetensors[:TENSOR[ROW]]");
  const std::string path = spec.substr(0, at + ext.size());
  std::string name = spec.substr(at + ext.size());
  if (!name.empty()) {
    if (name[0] != ':') fail(spec, "", "expected FILE.safetensors[:TENSOR[ROW]]");
    name = name.substr(1);
  }
  int64_t row = -1;
  if (!name.empty() && name.back() == ']') {
    const size_t lb = name.rfind('[');
    if (lb == std::string::npos) fail(spec, "", "unbalanced ']' in the tensor name");
    try {
      size_t used = 0;
      row = std::stoll(name.substr(lb + 1, name.size() - lb - 2), &used);
      if (used != name.size() - lb - 2 || row < 0) throw std::invalid_argument("row");
    } catch (const std::exception&) {
      fail(spec, "", "the row index in [..] must be a non-negative integer");
    }
    name = name.substr(0, lb);
  }
  SafetensorsFile f = read_safetensors(path);
  if (name.empty()) {
    if (f.tensors.size() != 1)
      fail(path, "",
           "holds " + std::to_string(f.tensors.size()) +
               " tensors: name one as FILE.safetensors:TENSOR");
    name = f.tensors.begin()->first;
  }
  auto it = f.tensors.find(name);
  if (it == f.tensors.end()) {
    std::string names;
    for (const auto& [n, t] : f.tensors) names += (names.empty() ? "" : ", ") + n;
    fail(path, "tensor '" + name + "'", "not found (present: " + names + ")");
  }
  const TensorView& t = it->second;
  if (t.dtype != DType::F32 && t.dtype != DType::F64 && t.dtype != DType::F16 &&
      t.dtype != DType::BF16)
    fail(path, "tensor '" + name + "'", "is " + dtype_name(t.dtype) + ", expected a float type");
  int64_t begin = 0, n = 0;
  if (row >= 0) {
    if (t.shape.size() != 2 || row >= t.shape[0])
      fail(path, "tensor '" + name + "'",
           "row " + std::to_string(row) + " needs a 2-D tensor with more rows, got " +
               shape_str(t.shape));
    begin = row * t.shape[1];
    n = t.shape[1];
  } else {
    if (!(t.shape.size() == 1 || (t.shape.size() == 2 && t.shape[0] == 1)))
      fail(path, "tensor '" + name + "'",
           "expected a vector [n] or [1, n] (or pick a row with [ROW]), got " + shape_str(t.shape));
    n = t.numel();
  }
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[size_t(i)] = element(t, begin + i);
  return v;
}

}  // namespace knowscope
