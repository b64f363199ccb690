// Element types of tensors, including GGML's quantized block formats. Values equal GGML's type ids
// so that GGUF files map directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace knowscope {

enum class DType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  BF16 = 30,
};

struct DTypeInfo {
  const char* name;    // "Q4_K"
  int64_t block_size;  // elements per block (1 for plain types)
  size_t block_bytes;  // bytes per block
  bool quantized;
};

// Info for a known type id; nullopt for ids this library does not handle.
std::optional<DTypeInfo> dtype_info(uint32_t ggml_type_id);
const DTypeInfo& dtype_info(DType t);  // for a valid DType
std::string dtype_name(DType t);
// Parses "F32", "bf16", "Q4_K" ... (case-insensitive); nullopt if unknown.
std::optional<DType> dtype_from_name(const std::string& name);

// Bytes for `n` elements of `t`; `n` must be a multiple of the block size.
size_t dtype_row_bytes(DType t, int64_t n);

}  // namespace knowscope
