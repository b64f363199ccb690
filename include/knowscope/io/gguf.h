// GGUF v2/v3 reader and writer. The reader validates every count, length, offset, shape and type
// against the file size before touching data, and throws Error naming the file and field.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "knowscope/core/tensor.h"
#include "knowscope/io/mapped_file.h"

namespace knowscope {

// GGUF metadata value types (ids as in the spec).
// clang-format off
enum class GgufType : uint32_t {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};
// clang-format on

struct GgufValue;
struct GgufArray {
  GgufType elem_type = GgufType::UINT8;
  std::vector<GgufValue> items;
};
struct GgufValue {
  GgufType type = GgufType::UINT8;
  // Integers of every width are held in int64/uint64; floats in double.
  std::variant<uint64_t, int64_t, double, bool, std::string, std::shared_ptr<GgufArray>> value;

  // Typed access; each throws Error naming `key` if the value is not convertible.
  int64_t as_int(const std::string& key = {}) const;
  double as_float(const std::string& key = {}) const;
  bool as_bool(const std::string& key = {}) const;
  const std::string& as_string(const std::string& key = {}) const;
  const GgufArray& as_array(const std::string& key = {}) const;
};

struct GgufTensorInfo {
  std::string name;
  DType dtype;
  Shape shape;          // row-major (reversed GGUF ne)
  uint64_t offset = 0;  // relative to the data section
  size_t nbytes = 0;
};

struct GgufFile {
  std::string path;
  uint32_t version = 3;
  uint64_t alignment = 32;
  std::map<std::string, GgufValue> metadata;
  std::vector<GgufTensorInfo> tensors;  // file order
  std::shared_ptr<MappedFile> file;
  size_t data_offset = 0;  // start of tensor data in the file

  bool has(const std::string& key) const { return metadata.count(key) != 0; }
  // Throws Error "<path>: metadata '<key>': missing" when absent.
  const GgufValue& get(const std::string& key) const;
  int64_t get_int(const std::string& key) const { return get(key).as_int(key); }
  std::optional<int64_t> find_int(const std::string& key) const;
  std::optional<double> find_float(const std::string& key) const;
  std::optional<std::string> find_string(const std::string& key) const;
  const GgufTensorInfo* find_tensor(const std::string& name) const;
  // View of a tensor's bytes in the mapped file.
  TensorView view(const GgufTensorInfo& t) const;
};

// Reads and validates; tensor data stays mmapped.
GgufFile read_gguf(const std::string& path);

// Writer: used to make synthetic models for tests and to write our own artifacts.
struct GgufWriteTensor {
  std::string name;
  DType dtype;
  Shape shape;                      // row-major
  std::vector<unsigned char> data;  // exactly dtype_row_bytes(dtype, cols) * rows bytes
};
// Writes atomically (temporary file, then rename).
void write_gguf(const std::string& path, const std::map<std::string, GgufValue>& metadata,
                const std::vector<GgufWriteTensor>& tensors, uint64_t alignment = 32);

// Convenience constructors for metadata values.
GgufValue gguf_u32(uint32_t v);
GgufValue gguf_i32(int32_t v);
GgufValue gguf_u64(uint64_t v);
GgufValue gguf_i64(int64_t v);
GgufValue gguf_f32(float v);
GgufValue gguf_f64(double v);
GgufValue gguf_bool(bool v);
GgufValue gguf_str(std::string v);
// An array of `items`, each of which must have type `elem_type` (arrays may nest).
GgufValue gguf_array(GgufType elem_type, std::vector<GgufValue> items);
GgufValue gguf_str_array(const std::vector<std::string>& v);
GgufValue gguf_f32_array(const std::vector<float>& v);
GgufValue gguf_i32_array(const std::vector<int32_t>& v);

// "uint32", "string", ... for messages.
const char* gguf_type_name(GgufType t);

}  // namespace knowscope
