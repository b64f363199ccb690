// GGUF v3 writer: header, metadata, tensor infos, then each tensor's data padded to the alignment.
// Validates what it is given (value types, array element types, shapes against data sizes) so that
// it never writes a file the reader would reject.
#include <cstring>
#include <limits>
#include <set>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/io/gguf.h"

namespace knowscope {
namespace {

class Out {
 public:
  explicit Out(const std::string& path) : path_(path) {}
  std::string& bytes() { return buf_; }
  const std::string& path() const { return path_; }

  template <typename T>
  void put(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    buf_.append(b, sizeof(T));
  }
  void put_string(const std::string& s) {
    put<uint64_t>(s.size());
    buf_.append(s);
  }
  void pad_to(uint64_t alignment) {
    size_t padded = size_t((buf_.size() + alignment - 1) / alignment * alignment);
    buf_.resize(padded, '\0');
  }

 private:
  std::string path_;
  std::string buf_;
};

template <typename T>
T checked_int(const Out& o, const GgufValue& v, const std::string& field) {
  // Accept either signed or unsigned storage as long as the value fits the declared width.
  if (const auto* u = std::get_if<uint64_t>(&v.value)) {
    if (*u <= uint64_t(std::numeric_limits<T>::max())) return T(*u);
    fail(o.path(), field, "value " + std::to_string(*u) + " does not fit the declared type");
  }
  if (const auto* i = std::get_if<int64_t>(&v.value)) {
    if constexpr (std::is_signed_v<T>) {
      if (*i >= int64_t(std::numeric_limits<T>::min()) &&
          *i <= int64_t(std::numeric_limits<T>::max()))
        return T(*i);
    } else {
      if (*i >= 0 && uint64_t(*i) <= uint64_t(std::numeric_limits<T>::max())) return T(*i);
    }
    fail(o.path(), field, "value " + std::to_string(*i) + " does not fit the declared type");
  }
  fail(o.path(), field, "declared an integer type but holds no integer");
}

void put_value(Out& o, const GgufValue& v, const std::string& field) {
  switch (v.type) {
    case GgufType::UINT8:
      o.put(checked_int<uint8_t>(o, v, field));
      return;
    case GgufType::INT8:
      o.put(checked_int<int8_t>(o, v, field));
      return;
    case GgufType::UINT16:
      o.put(checked_int<uint16_t>(o, v, field));
      return;
    case GgufType::INT16:
      o.put(checked_int<int16_t>(o, v, field));
      return;
    case GgufType::UINT32:
      o.put(checked_int<uint32_t>(o, v, field));
      return;
    case GgufType::INT32:
      o.put(checked_int<int32_t>(o, v, field));
      return;
    case GgufType::UINT64:
      o.put(checked_int<uint64_t>(o, v, field));
      return;
    case GgufType::INT64:
      o.put(checked_int<int64_t>(o, v, field));
      return;
    case GgufType::FLOAT32:
    case GgufType::FLOAT64: {
      const auto* d = std::get_if<double>(&v.value);
      if (!d) fail(o.path(), field, "declared a float type but holds no float");
      if (v.type == GgufType::FLOAT32)
        o.put(float(*d));
      else
        o.put(*d);
      return;
    }
    case GgufType::BOOL: {
      const auto* b = std::get_if<bool>(&v.value);
      if (!b) fail(o.path(), field, "declared bool but holds no bool");
      o.put<uint8_t>(*b ? 1 : 0);
      return;
    }
    case GgufType::STRING: {
      const auto* s = std::get_if<std::string>(&v.value);
      if (!s) fail(o.path(), field, "declared string but holds no string");
      o.put_string(*s);
      return;
    }
    case GgufType::ARRAY: {
      const auto* a = std::get_if<std::shared_ptr<GgufArray>>(&v.value);
      if (!a || !*a) fail(o.path(), field, "declared array but holds no array");
      o.put<uint32_t>(uint32_t((*a)->elem_type));
      o.put<uint64_t>((*a)->items.size());
      for (const auto& item : (*a)->items) {
        if (item.type != (*a)->elem_type)
          fail(o.path(), field, "array item type differs from the array's element type");
        put_value(o, item, field);
      }
      return;
    }
  }
  fail(o.path(), field, "unknown value type " + std::to_string(uint32_t(v.type)));
}

}  // namespace

void write_gguf(const std::string& path, const std::map<std::string, GgufValue>& metadata,
                const std::vector<GgufWriteTensor>& tensors, uint64_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > (uint64_t(1) << 30))
    fail(path, "alignment", std::to_string(alignment) + " is not a power of two in [1, 2^30]");
  std::map<std::string, GgufValue> kv = metadata;
  auto al = kv.find("general.alignment");
  if (al != kv.end()) {
    if (al->second.as_int("general.alignment") != int64_t(alignment))
      fail(path, "metadata 'general.alignment'", "differs from the alignment argument");
  } else if (alignment != 32) {
    kv["general.alignment"] = gguf_u32(uint32_t(alignment));
  }

  Out o(path);
  o.bytes().append("GGUF", 4);
  o.put<uint32_t>(3);
  o.put<uint64_t>(tensors.size());
  o.put<uint64_t>(kv.size());
  for (const auto& [key, value] : kv) {
    o.put_string(key);
    o.put<uint32_t>(uint32_t(value.type));
    put_value(o, value, "metadata '" + key + "'");
  }

  std::set<std::string> names;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    std::string field = "tensor '" + t.name + "'";
    if (!names.insert(t.name).second) fail(path, field, "duplicate tensor name");
    if (t.shape.size() > 4) fail(path, field, "more than 4 dimensions");
    for (int64_t d : t.shape)
      if (d < 0) fail(path, field, "negative dimension in " + shape_str(t.shape));
    auto info = dtype_info(uint32_t(t.dtype));
    if (!info) fail(path, field, "unknown tensor type " + std::to_string(uint32_t(t.dtype)));
    TensorView v{t.name, t.dtype, t.shape, nullptr, 0};
    if (v.cols() % info->block_size != 0)
      fail(path, field,
           std::string(info->name) + " rows of " + std::to_string(v.cols()) +
               " elements are not a multiple of the block size " +
               std::to_string(info->block_size));
    size_t expect = size_t(v.rows()) * v.row_bytes();
    if (t.data.size() != expect)
      fail(path, field,
           "holds " + std::to_string(t.data.size()) + " bytes, " + dtype_name(t.dtype) + " " +
               shape_str(t.shape) + " needs " + std::to_string(expect));
    o.put_string(t.name);
    o.put<uint32_t>(uint32_t(t.shape.size()));
    for (size_t d = t.shape.size(); d-- > 0;) o.put<uint64_t>(uint64_t(t.shape[d]));
    o.put<uint32_t>(uint32_t(t.dtype));
    o.put<uint64_t>(offset);
    offset += (t.data.size() + alignment - 1) / alignment * alignment;
  }
  o.pad_to(alignment);
  for (const auto& t : tensors) {
    o.bytes().append(reinterpret_cast<const char*>(t.data.data()), t.data.size());
    o.pad_to(alignment);
  }
  write_file_atomic(path, o.bytes());
}

}  // namespace knowscope
