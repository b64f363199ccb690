// GGUF reader. Layout (little-endian): "GGUF", u32 version, u64 tensor_count, u64 kv_count, the
// key/value pairs, the tensor infos (name, u32 n_dims, u64 ne[n_dims], u32 type, u64 offset),
// padding to general.alignment, then the tensor data. Every count, length, shape and offset is
// checked against the bytes that remain before anything is allocated or read.
#include <algorithm>
#include <cstring>
#include <limits>

#include "knowscope/core/error.h"
#include "knowscope/io/gguf.h"

namespace knowscope {
namespace {

constexpr int kMaxDims = 4;         // GGML_MAX_DIMS
constexpr int kMaxArrayDepth = 16;  // nesting of arrays in arrays; real files use 1
constexpr uint64_t kMaxAlignment = uint64_t(1) << 30;

// Smallest encoding of one value of each type: bounds element counts by the bytes that remain.
size_t min_value_bytes(GgufType t) {
  switch (t) {
    case GgufType::UINT8:
    case GgufType::INT8:
    case GgufType::BOOL:
      return 1;
    case GgufType::UINT16:
    case GgufType::INT16:
      return 2;
    case GgufType::UINT32:
    case GgufType::INT32:
    case GgufType::FLOAT32:
      return 4;
    case GgufType::UINT64:
    case GgufType::INT64:
    case GgufType::FLOAT64:
      return 8;
    case GgufType::STRING:
      return 8;  // u64 length
    case GgufType::ARRAY:
      return 4 + 8;  // elem type, count
  }
  return 1;
}

bool known_value_type(uint32_t t) { return t <= uint32_t(GgufType::FLOAT64); }

class Cursor {
 public:
  Cursor(const std::string& path, const unsigned char* data, size_t size)
      : path_(path), data_(data), size_(size) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  // `suffix` is appended to the field name in the message; strings are only built on failure,
  // since this runs once per token of a 262k-entry vocabulary.
  void need(size_t n, const std::string& field, const char* suffix = "") const {
    if (n > remaining())
      fail(path_, field + suffix,
           "needs " + std::to_string(n) + " bytes at offset " + std::to_string(pos_) +
               " but the file ends at " + std::to_string(size_) + " (truncated?)");
  }

  template <typename T>
  T read(const std::string& field, const char* suffix = "") {
    need(sizeof(T), field, suffix);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string read_string(const std::string& field) {
    uint64_t len = read<uint64_t>(field, " (string length)");
    if (len > remaining())
      fail(path_, field,
           "string length " + std::to_string(len) + " at offset " + std::to_string(pos_ - 8) +
               " runs past the end of the file (" + std::to_string(remaining()) + " bytes remain)");
    std::string s(reinterpret_cast<const char*>(data_ + pos_), size_t(len));
    pos_ += size_t(len);
    return s;
  }

 private:
  const std::string& path_;
  const unsigned char* data_;
  size_t size_;
  size_t pos_ = 0;
};

GgufValue read_value(Cursor& c, const std::string& path, GgufType type, const std::string& field,
                     int depth);

GgufValue read_array(Cursor& c, const std::string& path, const std::string& field, int depth) {
  if (depth >= kMaxArrayDepth)
    fail(path, field, "arrays nested deeper than " + std::to_string(kMaxArrayDepth) + " levels");
  uint32_t elem = c.read<uint32_t>(field, " (array element type)");
  if (!known_value_type(elem))
    fail(path, field, "unknown array element type " + std::to_string(elem) + " (expected 0..12)");
  auto elem_type = GgufType(elem);
  uint64_t count = c.read<uint64_t>(field, " (array length)");
  if (count > c.remaining() / min_value_bytes(elem_type))
    fail(path, field,
         "array length " + std::to_string(count) + " cannot fit in the " +
             std::to_string(c.remaining()) + " bytes that remain");
  auto arr = std::make_shared<GgufArray>();
  arr->elem_type = elem_type;
  arr->items.reserve(size_t(count));
  for (uint64_t i = 0; i < count; ++i)
    arr->items.push_back(read_value(c, path, elem_type, field, depth + 1));
  return GgufValue{GgufType::ARRAY, std::move(arr)};
}

GgufValue read_value(Cursor& c, const std::string& path, GgufType type, const std::string& field,
                     int depth) {
  switch (type) {
    case GgufType::UINT8:
      return {type, uint64_t(c.read<uint8_t>(field))};
    case GgufType::INT8:
      return {type, int64_t(c.read<int8_t>(field))};
    case GgufType::UINT16:
      return {type, uint64_t(c.read<uint16_t>(field))};
    case GgufType::INT16:
      return {type, int64_t(c.read<int16_t>(field))};
    case GgufType::UINT32:
      return {type, uint64_t(c.read<uint32_t>(field))};
    case GgufType::INT32:
      return {type, int64_t(c.read<int32_t>(field))};
    case GgufType::UINT64:
      return {type, c.read<uint64_t>(field)};
    case GgufType::INT64:
      return {type, c.read<int64_t>(field)};
    case GgufType::FLOAT32:
      return {type, double(c.read<float>(field))};
    case GgufType::FLOAT64:
      return {type, c.read<double>(field)};
    case GgufType::BOOL: {
      uint8_t b = c.read<uint8_t>(field);
      if (b > 1) fail(path, field, "bool value " + std::to_string(b) + " (expected 0 or 1)");
      return {type, b == 1};
    }
    case GgufType::STRING:
      return {type, c.read_string(field)};
    case GgufType::ARRAY:
      return read_array(c, path, field, depth);
  }
  fail(path, field, "unknown value type " + std::to_string(uint32_t(type)));
}

uint64_t checked_alignment(const GgufFile& g) {
  auto it = g.metadata.find("general.alignment");
  if (it == g.metadata.end()) return 32;
  const GgufValue& v = it->second;
  if (!std::holds_alternative<uint64_t>(v.value) && !std::holds_alternative<int64_t>(v.value))
    fail(g.path, "metadata 'general.alignment'", "expected an integer (uint32)");
  int64_t a = std::holds_alternative<uint64_t>(v.value)
                  ? int64_t(std::min<uint64_t>(std::get<uint64_t>(v.value), kMaxAlignment * 2))
                  : std::get<int64_t>(v.value);
  if (a <= 0 || uint64_t(a) > kMaxAlignment || (a & (a - 1)) != 0)
    fail(g.path, "metadata 'general.alignment'",
         "alignment " + std::to_string(a) + " is not a power of two in [1, 2^30]");
  return uint64_t(a);
}

void read_tensor_info(Cursor& c, GgufFile& g, uint64_t index) {
  GgufTensorInfo t;
  std::string field = "tensor #" + std::to_string(index);
  t.name = c.read_string(field + " name");
  field = "tensor '" + t.name + "'";
  uint32_t n_dims = c.read<uint32_t>(field + " n_dims");
  if (n_dims > uint32_t(kMaxDims))
    fail(g.path, field + " n_dims",
         std::to_string(n_dims) + " dimensions (at most " + std::to_string(kMaxDims) + ")");
  uint64_t ne[kMaxDims] = {1, 1, 1, 1};
  for (uint32_t d = 0; d < n_dims; ++d) {
    ne[d] = c.read<uint64_t>(field + " ne[" + std::to_string(d) + "]");
    if (ne[d] > uint64_t(std::numeric_limits<int64_t>::max()))
      fail(g.path, field + " ne[" + std::to_string(d) + "]",
           "dimension " + std::to_string(ne[d]) + " is negative or too large");
  }
  uint32_t type = c.read<uint32_t>(field + " type");
  auto info = dtype_info(type);
  if (!info)
    fail(g.path, field + " type", "unknown or unsupported tensor type " + std::to_string(type));
  t.dtype = DType(type);
  t.offset = c.read<uint64_t>(field + " offset");

  // Shape: row-major, outermost first = reversed ne.
  for (uint32_t d = n_dims; d-- > 0;) t.shape.push_back(int64_t(ne[d]));
  uint64_t numel = 1;
  for (uint32_t d = 0; d < n_dims; ++d)
    if (__builtin_mul_overflow(numel, ne[d], &numel) || numel > uint64_t(INT64_MAX))
      fail(g.path, field + " shape", "element count of " + shape_str(t.shape) + " overflows");
  uint64_t row = n_dims == 0 ? 1 : ne[0];
  if (row % uint64_t(info->block_size) != 0)
    fail(g.path, field + " shape",
         std::string(info->name) + " rows of " + std::to_string(row) +
             " elements are not a multiple of the block size " + std::to_string(info->block_size));
  uint64_t nbytes = 0;
  if (__builtin_mul_overflow(numel / uint64_t(info->block_size), uint64_t(info->block_bytes),
                             &nbytes) ||
      nbytes > uint64_t(std::numeric_limits<size_t>::max()))
    fail(g.path, field + " shape", "byte size of " + shape_str(t.shape) + " overflows");
  t.nbytes = size_t(nbytes);
  g.tensors.push_back(std::move(t));
}

void check_tensor_data(GgufFile& g, size_t file_size) {
  size_t data_size = g.data_offset <= file_size ? file_size - g.data_offset : 0;
  std::vector<const GgufTensorInfo*> by_offset;
  for (const auto& t : g.tensors) {
    std::string field = "tensor '" + t.name + "'";
    if (t.offset % g.alignment != 0)
      fail(g.path, field + " offset",
           "offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
               std::to_string(g.alignment));
    if (t.offset > data_size || t.nbytes > data_size - t.offset)
      fail(g.path, field + " offset",
           "data [" + std::to_string(t.offset) + ", " + std::to_string(t.offset + t.nbytes) +
               ") of " + std::to_string(t.nbytes) +
               " bytes runs past the end of the data section (" + std::to_string(data_size) +
               " bytes from file offset " + std::to_string(g.data_offset) + ")");
    if (t.nbytes > 0) by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](auto* a, auto* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const auto* prev = by_offset[i - 1];
    const auto* cur = by_offset[i];
    if (cur->offset < prev->offset + prev->nbytes)
      fail(g.path, "tensor '" + cur->name + "' offset",
           "data at " + std::to_string(cur->offset) + " overlaps tensor '" + prev->name + "' at [" +
               std::to_string(prev->offset) + ", " + std::to_string(prev->offset + prev->nbytes) +
               ")");
  }
}

}  // namespace

GgufFile read_gguf(const std::string& path) {
  GgufFile g;
  g.path = path;
  g.file = std::make_shared<MappedFile>(path);
  Cursor c(path, g.file->data(), g.file->size());

  c.need(4, "magic");
  if (std::memcmp(g.file->data(), "GGUF", 4) != 0)
    fail(path, "magic", "not a GGUF file (the first 4 bytes are not \"GGUF\")");
  c.read<uint32_t>("magic");
  g.version = c.read<uint32_t>("version");
  if (g.version == 1) fail(path, "version", "GGUF v1 is not supported (v2 and v3 are)");
  if (g.version != 2 && g.version != 3) {
    bool swapped = __builtin_bswap32(g.version) == 2 || __builtin_bswap32(g.version) == 3;
    fail(path, "version",
         swapped ? "big-endian GGUF is not supported"
                 : "unsupported version " + std::to_string(g.version) + " (expected 2 or 3)");
  }
  uint64_t n_tensors = c.read<uint64_t>("tensor_count");
  uint64_t n_kv = c.read<uint64_t>("metadata_kv_count");
  // A key/value pair takes at least 8 (key length) + 4 (type) + 1 bytes; a tensor info at least
  // 8 (name length) + 4 (n_dims) + 4 (type) + 8 (offset).
  if (n_kv > c.remaining() / 13)
    fail(path, "metadata_kv_count",
         std::to_string(n_kv) + " pairs cannot fit in a file of " + std::to_string(g.file->size()) +
             " bytes");
  if (n_tensors > c.remaining() / 24)
    fail(path, "tensor_count",
         std::to_string(n_tensors) + " tensors cannot fit in a file of " +
             std::to_string(g.file->size()) + " bytes");

  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = c.read_string("metadata #" + std::to_string(i) + " key");
    std::string field = "metadata '" + key + "'";
    uint32_t type = c.read<uint32_t>(field + " type");
    if (!known_value_type(type))
      fail(path, field, "unknown value type " + std::to_string(type) + " (expected 0..12)");
    GgufValue v = read_value(c, path, GgufType(type), field, 0);
    if (!g.metadata.emplace(key, std::move(v)).second) fail(path, field, "duplicate key");
  }
  g.alignment = checked_alignment(g);

  if (n_tensors > c.remaining() / 24)
    fail(path, "tensor_count",
         std::to_string(n_tensors) + " tensor infos cannot fit in the " +
             std::to_string(c.remaining()) + " bytes after the metadata");
  g.tensors.reserve(size_t(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) read_tensor_info(c, g, i);
  {
    std::vector<std::string> names;
    names.reserve(g.tensors.size());
    for (const auto& t : g.tensors) names.push_back(t.name);
    std::sort(names.begin(), names.end());
    auto dup = std::adjacent_find(names.begin(), names.end());
    if (dup != names.end()) fail(path, "tensor '" + *dup + "'", "duplicate tensor name");
  }

  uint64_t pos = c.pos();
  g.data_offset = size_t((pos + g.alignment - 1) / g.alignment * g.alignment);
  check_tensor_data(g, g.file->size());
  return g;
}

}  // namespace knowscope
