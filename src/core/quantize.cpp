// quantize_row: ggml's reference round-to-nearest quantizers (quantize_row_*_ref), bit-exact.
// Like the dequantizers, exactness needs the same separately rounded float operations, so FMA
// contraction is off in this file.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "core/quant_blocks.h"
#include "knowscope/core/error.h"
#include "knowscope/core/half.h"
#include "knowscope/core/quant.h"

namespace knowscope {
namespace {

using namespace quant;

void store_f16(uint8_t* p, float v) {
  uint16_t h = f32_to_f16(v);
  std::memcpy(p, &h, 2);
}

// The element of largest magnitude, keeping its sign (first one on ties).
float signed_absmax(const float* x, int n) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < n; ++j)
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  return max;
}

void min_max(const float* x, int n, float& mn, float& mx) {
  mn = FLT_MAX;
  mx = -FLT_MAX;
  for (int j = 0; j < n; ++j) {
    mn = std::min(mn, x[j]);
    mx = std::max(mx, x[j]);
  }
}

void q4_0_block(const float* x, uint8_t* b) {
  const float d = signed_absmax(x, QK) / -8;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  store_f16(b + q4_0::d, d);
  for (int j = 0; j < QK / 2; ++j) {
    const int lo = std::min(15, int(int8_t(x[j] * id + 8.5f)));
    const int hi = std::min(15, int(int8_t(x[j + QK / 2] * id + 8.5f)));
    b[q4_0::qs + j] = uint8_t(lo | (hi << 4));
  }
}

void q4_1_block(const float* x, uint8_t* b) {
  float mn, mx;
  min_max(x, QK, mn, mx);
  const float d = (mx - mn) / 15;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  store_f16(b + q4_1::d, d);
  store_f16(b + q4_1::m, mn);
  for (int j = 0; j < QK / 2; ++j) {
    const int lo = std::min(15, int(int8_t((x[j] - mn) * id + 0.5f)));
    const int hi = std::min(15, int(int8_t((x[j + QK / 2] - mn) * id + 0.5f)));
    b[q4_1::qs + j] = uint8_t(lo | (hi << 4));
  }
}

void q5_0_block(const float* x, uint8_t* b) {
  const float d = signed_absmax(x, QK) / -16;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  store_f16(b + q5_0::d, d);
  uint32_t qh = 0;
  for (int j = 0; j < QK / 2; ++j) {
    const int lo = std::min(31, int(int8_t(x[j] * id + 16.5f)));
    const int hi = std::min(31, int(int8_t(x[j + QK / 2] * id + 16.5f)));
    b[q5_0::qs + j] = uint8_t((lo & 0xF) | ((hi & 0xF) << 4));
    qh |= uint32_t((lo >> 4) & 1) << j;
    qh |= uint32_t((hi >> 4) & 1) << (j + QK / 2);
  }
  std::memcpy(b + q5_0::qh, &qh, 4);
}

void q5_1_block(const float* x, uint8_t* b) {
  float mn, mx;
  min_max(x, QK, mn, mx);
  const float d = (mx - mn) / 31;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  store_f16(b + q5_1::d, d);
  store_f16(b + q5_1::m, mn);
  uint32_t qh = 0;
  for (int j = 0; j < QK / 2; ++j) {
    const int lo = std::min(31, int(uint8_t((x[j] - mn) * id + 0.5f)));
    const int hi = std::min(31, int(uint8_t((x[j + QK / 2] - mn) * id + 0.5f)));
    b[q5_1::qs + j] = uint8_t((lo & 0xF) | ((hi & 0xF) << 4));
    qh |= uint32_t((lo >> 4) & 1) << j;
    qh |= uint32_t((hi >> 4) & 1) << (j + QK / 2);
  }
  std::memcpy(b + q5_1::qh, &qh, 4);
}

void q8_0_block(const float* x, uint8_t* b) {
  float amax = 0.0f;
  for (int j = 0; j < QK; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  store_f16(b + q8_0::d, d);
  for (int j = 0; j < QK; ++j) b[q8_0::qs + j] = uint8_t(int8_t(std::round(x[j] * id)));
}

using BlockFn = void (*)(const float*, uint8_t*);

template <BlockFn fn>
void blocks(const float* src, void* dst, int64_t n, int block_elems, int block_bytes) {
  uint8_t* b = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < n / block_elems; ++i) fn(src + i * block_elems, b + i * block_bytes);
}

}  // namespace

bool has_quantizer(DType t) {
  switch (t) {
    case DType::F32:
    case DType::F16:
    case DType::BF16:
    case DType::Q4_0:
    case DType::Q4_1:
    case DType::Q5_0:
    case DType::Q5_1:
    case DType::Q8_0:
      return true;
    default:
      return false;
  }
}

void quantize_row(DType t, const float* src, void* dst, int64_t n) {
  const auto& info = dtype_info(t);
  if (n < 0 || n % info.block_size != 0)
    fail("", "quantize_row",
         std::string(info.name) + " row of " + std::to_string(n) +
             " elements is not a multiple of the block size " + std::to_string(info.block_size));
  if (n == 0) return;
  uint8_t* out = static_cast<uint8_t*>(dst);
  switch (t) {
    case DType::F32:
      std::memcpy(dst, src, size_t(n) * 4);
      return;
    case DType::F16:
      for (int64_t i = 0; i < n; ++i) store_f16(out + 2 * i, src[i]);
      return;
    case DType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h = f32_to_bf16(src[i]);
        std::memcpy(out + 2 * i, &h, 2);
      }
      return;
    case DType::Q4_0:
      blocks<q4_0_block>(src, dst, n, QK, q4_0::bytes);
      return;
    case DType::Q4_1:
      blocks<q4_1_block>(src, dst, n, QK, q4_1::bytes);
      return;
    case DType::Q5_0:
      blocks<q5_0_block>(src, dst, n, QK, q5_0::bytes);
      return;
    case DType::Q5_1:
      blocks<q5_1_block>(src, dst, n, QK, q5_1::bytes);
      return;
    case DType::Q8_0:
      blocks<q8_0_block>(src, dst, n, QK, q8_0::bytes);
      return;
    default:
      break;
  }
  fail("", "quantize_row", "no quantizer for " + dtype_name(t));
}

}  // namespace knowscope
