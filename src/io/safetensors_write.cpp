// safetensors writer: JSON header (__metadata__ first, then tensors in the given order with
// contiguous data_offsets), padded with spaces to a multiple of 8 bytes, then the data.
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/io/safetensors.h"

namespace knowscope {
namespace {

const char* safetensors_dtype(DType t) {
  switch (t) {
    case DType::F64:
      return "F64";
    case DType::F32:
      return "F32";
    case DType::F16:
      return "F16";
    case DType::BF16:
      return "BF16";
    case DType::I64:
      return "I64";
    case DType::I32:
      return "I32";
    case DType::I16:
      return "I16";
    case DType::I8:
      return "I8";
    default:
      return nullptr;
  }
}

}  // namespace

void write_safetensors(const std::string& path, const std::vector<SafetensorsWriteTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    auto& m = header["__metadata__"] = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
  }
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    const std::string field = "tensor '" + t.name + "'";
    if (t.name == "__metadata__") fail(path, field, "reserved name");
    if (!names.insert(t.name).second) fail(path, field, "duplicate tensor name");
    const char* dt = safetensors_dtype(t.dtype);
    if (!dt)
      fail(path, field, "dtype " + dtype_name(t.dtype) + " cannot be written to safetensors");
    for (int64_t d : t.shape)
      if (d < 0) fail(path, field, "negative dimension in " + shape_str(t.shape));
    const size_t expect = size_t(shape_numel(t.shape)) * dtype_info(t.dtype).block_bytes;
    if (t.data.size() != expect)
      fail(path, field,
           "holds " + std::to_string(t.data.size()) + " bytes, " + dt + " " + shape_str(t.shape) +
               " needs " + std::to_string(expect));
    header[t.name] = {
        {"dtype", dt}, {"shape", t.shape}, {"data_offsets", {offset, offset + expect}}};
    offset += expect;
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + h.size() + size_t(offset));
  const uint64_t n = h.size();
  out.append(reinterpret_cast<const char*>(&n), 8);
  out += h;
  for (const auto& t : tensors)
    out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size());
  write_file_atomic(path, out);
}

}  // namespace knowscope
