// A 16-lane float vector over AVX-512 (one register) or AVX2 (two), so that each quantized
// kernel is written once. Byte work happens in 128-bit SSE registers (16 quants at a time), which
// both instruction sets share. Private to src/core.
#pragma once

#if defined(__AVX512F__) || defined(__AVX2__)
#define KNOWSCOPE_QUANT_SIMD 1
// GCC 12 warns about the _mm512_undefined_* inside its own intrinsics (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstdint>

namespace knowscope::simd {

#if defined(__AVX512F__)
struct F16x {
  __m512 v;
};
inline F16x zero() { return {_mm512_setzero_ps()}; }
inline F16x set1(float a) { return {_mm512_set1_ps(a)}; }
inline F16x load(const float* p) { return {_mm512_loadu_ps(p)}; }
inline void store(float* p, F16x a) { _mm512_storeu_ps(p, a.v); }
inline F16x add(F16x a, F16x b) { return {_mm512_add_ps(a.v, b.v)}; }
inline F16x sub(F16x a, F16x b) { return {_mm512_sub_ps(a.v, b.v)}; }
inline F16x mul(F16x a, F16x b) { return {_mm512_mul_ps(a.v, b.v)}; }
inline F16x fma(F16x a, F16x b, F16x c) { return {_mm512_fmadd_ps(a.v, b.v, c.v)}; }
// a * b - c
inline F16x fms(F16x a, F16x b, F16x c) { return {_mm512_fmsub_ps(a.v, b.v, c.v)}; }
inline float hsum(F16x a) { return _mm512_reduce_add_ps(a.v); }
inline F16x from_u8(__m128i b) { return {_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b))}; }
inline F16x from_i8(__m128i b) { return {_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(b))}; }
inline F16x from_f16(const void* p) {
  return {_mm512_cvtph_ps(_mm256_loadu_si256(static_cast<const __m256i*>(p)))};
}
inline F16x from_bf16(const void* p) {
  __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256(static_cast<const __m256i*>(p)));
  return {_mm512_castsi512_ps(_mm512_slli_epi32(w, 16))};
}
#else
struct F16x {
  __m256 lo, hi;
};
inline F16x zero() { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }
inline F16x set1(float a) { return {_mm256_set1_ps(a), _mm256_set1_ps(a)}; }
inline F16x load(const float* p) { return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}; }
inline void store(float* p, F16x a) {
  _mm256_storeu_ps(p, a.lo);
  _mm256_storeu_ps(p + 8, a.hi);
}
inline F16x add(F16x a, F16x b) { return {_mm256_add_ps(a.lo, b.lo), _mm256_add_ps(a.hi, b.hi)}; }
inline F16x sub(F16x a, F16x b) { return {_mm256_sub_ps(a.lo, b.lo), _mm256_sub_ps(a.hi, b.hi)}; }
inline F16x mul(F16x a, F16x b) { return {_mm256_mul_ps(a.lo, b.lo), _mm256_mul_ps(a.hi, b.hi)}; }
#if defined(__FMA__)
inline F16x fma(F16x a, F16x b, F16x c) {
  return {_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)};
}
inline F16x fms(F16x a, F16x b, F16x c) {
  return {_mm256_fmsub_ps(a.lo, b.lo, c.lo), _mm256_fmsub_ps(a.hi, b.hi, c.hi)};
}
#else
inline F16x fma(F16x a, F16x b, F16x c) { return add(mul(a, b), c); }
inline F16x fms(F16x a, F16x b, F16x c) { return sub(mul(a, b), c); }
#endif
inline float hsum(F16x a) {
  __m256 s = _mm256_add_ps(a.lo, a.hi);
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  q = _mm_add_ss(q, _mm_movehdup_ps(q));
  return _mm_cvtss_f32(q);
}
inline F16x from_u8(__m128i b) {
  return {_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b)),
          _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(b, 8)))};
}
inline F16x from_i8(__m128i b) {
  return {_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b)),
          _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(b, 8)))};
}
#if defined(__F16C__)
#define KNOWSCOPE_QUANT_F16C 1
inline F16x from_f16(const void* p) {
  const __m128i* q = static_cast<const __m128i*>(p);
  return {_mm256_cvtph_ps(_mm_loadu_si128(q)), _mm256_cvtph_ps(_mm_loadu_si128(q + 1))};
}
#endif
inline F16x from_bf16(const void* p) {
  const __m128i* q = static_cast<const __m128i*>(p);
  __m256i lo = _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(q)), 16);
  __m256i hi = _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(q + 1)), 16);
  return {_mm256_castsi256_ps(lo), _mm256_castsi256_ps(hi)};
}
#endif

// 16 bytes helpers (SSE2/SSSE3).
inline __m128i load16(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
inline __m128i low_nibbles(__m128i b) { return _mm_and_si128(b, _mm_set1_epi8(0x0F)); }
inline __m128i high_nibbles(__m128i b) {
  return _mm_and_si128(_mm_srli_epi16(b, 4), _mm_set1_epi8(0x0F));
}
// Bits 2s..2s+1 of each byte, s in 0..3.
inline __m128i crumbs(__m128i b, int s) {
  return _mm_and_si128(_mm_srl_epi16(b, _mm_cvtsi32_si128(2 * s)), _mm_set1_epi8(3));
}
// Bit `bit` of each byte, as 0 or 1.
inline __m128i bit_of(__m128i b, int bit) {
  return _mm_and_si128(_mm_srl_epi16(b, _mm_cvtsi32_si128(bit)), _mm_set1_epi8(1));
}
// Byte j = 0x10 if bit j of `bits` is set, else 0 (j < 16): the fifth bit of Q5_0 / Q5_1.
inline __m128i bits_to_0x10(uint32_t bits) {
  const __m128i v = _mm_set1_epi16(short(bits & 0xFFFF));
  const __m128i spread =
      _mm_shuffle_epi8(v, _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
  const __m128i sel = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  const __m128i set = _mm_cmpeq_epi8(_mm_and_si128(spread, sel), sel);
  return _mm_and_si128(set, _mm_set1_epi8(0x10));
}

// out[j] = d * float(v[j]) for 16 int8 (or 8 uint8) values: the per-sub-block scales of a
// K-quant block, computed once per block and broadcast from memory afterwards.
inline void scale16_i8(const int8_t* v, float d, float* out) {
  store(out, mul(set1(d), from_i8(load16(v))));
}
inline void scale16_u8(__m128i v, float d, float* out) { store(out, mul(set1(d), from_u8(v))); }
inline void scale8_u8(const uint8_t* v, float d, float* out) {
  const __m256 f = _mm256_cvtepi32_ps(
      _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(v))));
  _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_set1_ps(d), f));
}

}  // namespace knowscope::simd
#endif
