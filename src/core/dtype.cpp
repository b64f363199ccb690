#include "knowscope/core/dtype.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "knowscope/core/error.h"

namespace knowscope {
namespace {

// QK_K = 256. Block byte sizes as in GGML's block structs.
struct Entry {
  uint32_t id;
  DTypeInfo info;
};
constexpr std::array<Entry, 20> kTypes = {{
    {0, {"F32", 1, 4, false}},
    {1, {"F16", 1, 2, false}},
    {2, {"Q4_0", 32, 2 + 16, true}},
    {3, {"Q4_1", 32, 2 + 2 + 16, true}},
    {6, {"Q5_0", 32, 2 + 4 + 16, true}},
    {7, {"Q5_1", 32, 2 + 2 + 4 + 16, true}},
    {8, {"Q8_0", 32, 2 + 32, true}},
    {9, {"Q8_1", 32, 4 + 32, true}},
    {10, {"Q2_K", 256, 16 + 64 + 2 + 2, true}},
    {11, {"Q3_K", 256, 32 + 64 + 12 + 2, true}},
    {12, {"Q4_K", 256, 2 + 2 + 12 + 128, true}},
    {13, {"Q5_K", 256, 2 + 2 + 12 + 32 + 128, true}},
    {14, {"Q6_K", 256, 128 + 64 + 16 + 2, true}},
    {15, {"Q8_K", 256, 4 + 256 + 32, true}},
    {24, {"I8", 1, 1, false}},
    {25, {"I16", 1, 2, false}},
    {26, {"I32", 1, 4, false}},
    {27, {"I64", 1, 8, false}},
    {28, {"F64", 1, 8, false}},
    {30, {"BF16", 1, 2, false}},
}};

}  // namespace

std::optional<DTypeInfo> dtype_info(uint32_t id) {
  for (const auto& e : kTypes)
    if (e.id == id) return e.info;
  return std::nullopt;
}

const DTypeInfo& dtype_info(DType t) {
  for (const auto& e : kTypes)
    if (e.id == uint32_t(t)) return e.info;
  fail("", "dtype", "unknown type id " + std::to_string(uint32_t(t)));
}

std::string dtype_name(DType t) { return dtype_info(t).name; }

std::optional<DType> dtype_from_name(const std::string& name) {
  std::string up = name;
  std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return std::toupper(c); });
  for (const auto& e : kTypes)
    if (up == e.info.name) return DType(e.id);
  return std::nullopt;
}

size_t dtype_row_bytes(DType t, int64_t n) {
  const auto& info = dtype_info(t);
  if (n % info.block_size != 0)
    fail("", "dtype",
         std::string(info.name) + " row of " + std::to_string(n) +
             " elements is not a multiple of the block size " + std::to_string(info.block_size));
  return size_t(n / info.block_size) * info.block_bytes;
}

}  // namespace knowscope
