// GGUF metadata values: typed access, convenience constructors, and the GgufFile lookups.
#include <limits>

#include "knowscope/core/error.h"
#include "knowscope/io/gguf.h"

namespace knowscope {
namespace {

std::string where_key(const std::string& key) {
  return key.empty() ? std::string("metadata value") : "metadata '" + key + "'";
}

}  // namespace

const char* gguf_type_name(GgufType t) {
  switch (t) {
    case GgufType::UINT8:
      return "uint8";
    case GgufType::INT8:
      return "int8";
    case GgufType::UINT16:
      return "uint16";
    case GgufType::INT16:
      return "int16";
    case GgufType::UINT32:
      return "uint32";
    case GgufType::INT32:
      return "int32";
    case GgufType::FLOAT32:
      return "float32";
    case GgufType::BOOL:
      return "bool";
    case GgufType::STRING:
      return "string";
    case GgufType::ARRAY:
      return "array";
    case GgufType::UINT64:
      return "uint64";
    case GgufType::INT64:
      return "int64";
    case GgufType::FLOAT64:
      return "float64";
  }
  return "unknown";
}

int64_t GgufValue::as_int(const std::string& key) const {
  if (const auto* u = std::get_if<uint64_t>(&value)) {
    if (*u > uint64_t(std::numeric_limits<int64_t>::max()))
      fail("", where_key(key), "value " + std::to_string(*u) + " does not fit in int64");
    return int64_t(*u);
  }
  if (const auto* i = std::get_if<int64_t>(&value)) return *i;
  fail("", where_key(key), std::string("expected an integer, found ") + gguf_type_name(type));
}

double GgufValue::as_float(const std::string& key) const {
  if (const auto* d = std::get_if<double>(&value)) return *d;
  // Integers are accepted where a float is asked for (e.g. a rope base written as an integer).
  if (const auto* u = std::get_if<uint64_t>(&value)) return double(*u);
  if (const auto* i = std::get_if<int64_t>(&value)) return double(*i);
  fail("", where_key(key), std::string("expected a number, found ") + gguf_type_name(type));
}

bool GgufValue::as_bool(const std::string& key) const {
  if (const auto* b = std::get_if<bool>(&value)) return *b;
  fail("", where_key(key), std::string("expected a bool, found ") + gguf_type_name(type));
}

const std::string& GgufValue::as_string(const std::string& key) const {
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  fail("", where_key(key), std::string("expected a string, found ") + gguf_type_name(type));
}

const GgufArray& GgufValue::as_array(const std::string& key) const {
  if (const auto* a = std::get_if<std::shared_ptr<GgufArray>>(&value))
    if (*a) return **a;
  fail("", where_key(key), std::string("expected an array, found ") + gguf_type_name(type));
}

const GgufValue& GgufFile::get(const std::string& key) const {
  auto it = metadata.find(key);
  if (it == metadata.end()) fail(path, "metadata '" + key + "'", "missing");
  return it->second;
}

// Typed lookups name the file as well as the key, so rethrow with the path in front.
template <typename Fn>
static auto with_path(const std::string& path, Fn&& fn) {
  try {
    return fn();
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
}

std::optional<int64_t> GgufFile::find_int(const std::string& key) const {
  auto it = metadata.find(key);
  if (it == metadata.end()) return std::nullopt;
  return with_path(path, [&] { return it->second.as_int(key); });
}

std::optional<double> GgufFile::find_float(const std::string& key) const {
  auto it = metadata.find(key);
  if (it == metadata.end()) return std::nullopt;
  return with_path(path, [&] { return it->second.as_float(key); });
}

std::optional<std::string> GgufFile::find_string(const std::string& key) const {
  auto it = metadata.find(key);
  if (it == metadata.end()) return std::nullopt;
  return with_path(path, [&] { return it->second.as_string(key); });
}

const GgufTensorInfo* GgufFile::find_tensor(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

TensorView GgufFile::view(const GgufTensorInfo& t) const {
  // The reader checked offset + nbytes against the file size; check again in case `t` was built
  // by hand or the file object was modified.
  if (!file) fail(path, "tensor '" + t.name + "'", "file is not mapped");
  size_t size = file->size();
  if (data_offset > size || t.offset > size - data_offset ||
      t.nbytes > size - data_offset - t.offset)
    fail(path, "tensor '" + t.name + "'", "data lies past the end of the file");
  const unsigned char* base = file->data() + data_offset + t.offset;
  return TensorView{t.name, t.dtype, t.shape, base, t.nbytes};
}

GgufValue gguf_u32(uint32_t v) { return GgufValue{GgufType::UINT32, uint64_t(v)}; }
GgufValue gguf_i32(int32_t v) { return GgufValue{GgufType::INT32, int64_t(v)}; }
GgufValue gguf_u64(uint64_t v) { return GgufValue{GgufType::UINT64, v}; }
GgufValue gguf_i64(int64_t v) { return GgufValue{GgufType::INT64, v}; }
GgufValue gguf_f32(float v) { return GgufValue{GgufType::FLOAT32, double(v)}; }
GgufValue gguf_f64(double v) { return GgufValue{GgufType::FLOAT64, v}; }
GgufValue gguf_bool(bool v) { return GgufValue{GgufType::BOOL, v}; }
GgufValue gguf_str(std::string v) { return GgufValue{GgufType::STRING, std::move(v)}; }

GgufValue gguf_array(GgufType elem_type, std::vector<GgufValue> items) {
  auto a = std::make_shared<GgufArray>();
  a->elem_type = elem_type;
  a->items = std::move(items);
  return GgufValue{GgufType::ARRAY, std::move(a)};
}

GgufValue gguf_str_array(const std::vector<std::string>& v) {
  std::vector<GgufValue> items;
  items.reserve(v.size());
  for (const auto& s : v) items.push_back(gguf_str(s));
  return gguf_array(GgufType::STRING, std::move(items));
}

GgufValue gguf_f32_array(const std::vector<float>& v) {
  std::vector<GgufValue> items;
  items.reserve(v.size());
  for (float f : v) items.push_back(gguf_f32(f));
  return gguf_array(GgufType::FLOAT32, std::move(items));
}

GgufValue gguf_i32_array(const std::vector<int32_t>& v) {
  std::vector<GgufValue> items;
  items.reserve(v.size());
  for (int32_t i : v) items.push_back(gguf_i32(i));
  return gguf_array(GgufType::INT32, std::move(items));
}

}  // namespace knowscope
