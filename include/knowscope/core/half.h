// IEEE half and bfloat16 conversions (exact, round-to-nearest-even on the way down).
#pragma once

#include <cstdint>
#include <cstring>
#ifndef __FLT16_MAX__
#include <immintrin.h>  // clang 14 on x86 has no _Float16: use the F16C intrinsics
#endif

namespace knowscope {

inline float bf16_to_f32(uint16_t h) {
  uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline uint16_t f32_to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return uint16_t((bits >> 16) | 0x40);  // quiet NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return uint16_t(bits >> 16);
}

inline float f16_to_f32(uint16_t h) {
  // Hardware conversion where the compiler offers it (F16C); exact either way.
#ifdef __FLT16_MAX__
  _Float16 v;
  std::memcpy(&v, &h, 2);
  return float(v);
#else
  return _cvtsh_ss(h);
#endif
}

inline uint16_t f32_to_f16(float f) {
#ifdef __FLT16_MAX__
  _Float16 v = _Float16(f);
  uint16_t h;
  std::memcpy(&h, &v, 2);
  return h;
#else
  return _cvtss_sh(f, 0);  // round to nearest even
#endif
}

}  // namespace knowscope
