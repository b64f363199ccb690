// GGML block layouts (byte offsets inside one block) and the scale unpacking the K-quants share.
// Private to src/core; the formats are documented in ggml's ggml-common.h and gguf-py's quants.py.
#pragma once

#include <cstdint>
#include <cstring>

#include "knowscope/core/dtype.h"
#include "knowscope/core/half.h"

namespace knowscope::quant {

constexpr int QK = 32;     // elements per block of the legacy formats (Q4_0 ... Q8_0)
constexpr int QK_K = 256;  // elements per super-block of the K-quants

inline float load_f16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return f16_to_f32(h);
}

inline float load_f32(const uint8_t* p) {
  float f;
  std::memcpy(&f, p, 4);
  return f;
}

inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Byte offsets of the fields of each block.
namespace q4_0 {
constexpr int d = 0, qs = 2, bytes = 18;
}
namespace q4_1 {
constexpr int d = 0, m = 2, qs = 4, bytes = 20;
}
namespace q5_0 {
constexpr int d = 0, qh = 2, qs = 6, bytes = 22;
}
namespace q5_1 {
constexpr int d = 0, m = 2, qh = 4, qs = 8, bytes = 24;
}
namespace q8_0 {
constexpr int d = 0, qs = 2, bytes = 34;
}
namespace q2_k {
constexpr int scales = 0, qs = 16, d = 80, dmin = 82, bytes = 84;
}
namespace q3_k {
constexpr int hmask = 0, qs = 32, scales = 96, d = 108, bytes = 110;
}
namespace q4_k {
constexpr int d = 0, dmin = 2, scales = 4, qs = 16, bytes = 144;
}
namespace q5_k {
constexpr int d = 0, dmin = 2, scales = 4, qh = 16, qs = 48, bytes = 176;
}
namespace q6_k {
constexpr int ql = 0, qh = 128, scales = 192, d = 208, bytes = 210;
}
namespace q8_k {
constexpr int d = 0, qs = 4, bsums = 260, bytes = 292;
}

// Q4_K / Q5_K: eight 6-bit scales and eight 6-bit mins packed in 12 bytes. Sub-block j < 4 keeps
// its low 6 bits in bytes j (scale) and j + 4 (min); j >= 4 splits them between the nibbles of
// byte j + 4 and the top 2 bits of bytes j - 4 and j.
inline void k4_scale_min(const uint8_t* s, int j, uint8_t& scale, uint8_t& min) {
  if (j < 4) {
    scale = s[j] & 63;
    min = s[j + 4] & 63;
  } else {
    scale = uint8_t((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4));
    min = uint8_t((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
}

// All eight scales and mins of a Q4_K / Q5_K block at once (same result as k4_scale_min), with
// 32-bit operations over the 12 packed bytes: bytes 0..3 hold scale j & 63 and bytes 4..7 min j &
// 63 (j < 4) with the top 2 bits of scale/min j + 4 above them; bytes 8..11 hold the low nibbles of
// scale (low) and min (high) j + 4.
inline void k4_scales_mins(const uint8_t* s, uint8_t scales[8], uint8_t mins[8]) {
  uint32_t u[3];
  std::memcpy(u, s, 12);
  const uint32_t low6 = 0x3f3f3f3f, low4 = 0x0f0f0f0f, low2 = 0x03030303;
  const uint32_t sc_lo = u[0] & low6, mn_lo = u[1] & low6;
  const uint32_t sc_hi = (u[2] & low4) | (((u[0] >> 6) & low2) << 4);
  const uint32_t mn_hi = ((u[2] >> 4) & low4) | (((u[1] >> 6) & low2) << 4);
  std::memcpy(scales, &sc_lo, 4);
  std::memcpy(scales + 4, &sc_hi, 4);
  std::memcpy(mins, &mn_lo, 4);
  std::memcpy(mins + 4, &mn_hi, 4);
}

// Q3_K: sixteen 6-bit signed scales (offset 32) in 12 bytes: low nibbles in bytes 0..7 (sub-blocks
// 0..7 low nibble, 8..15 high nibble), the top 2 bits in bytes 8..11.
inline int q3k_scale(const uint8_t* s, int k) {
  int low = k < 8 ? (s[k] & 0xF) : (s[k - 8] >> 4);
  int high = (s[8 + (k & 3)] >> (2 * (k >> 2))) & 3;
  return (low | (high << 4)) - 32;
}

// The portable scalar paths behind dequantize_row and dot_row, exposed so that tests can check
// the vector kernels against them on any machine.
void dequantize_row_scalar(DType t, const void* src, float* dst, int64_t n);
float dot_row_scalar(DType t, const void* row, const float* x, int64_t n);

}  // namespace knowscope::quant
