// dot_row: one quantized weight row against a float32 activation vector, the inner loop of
// single-token generation. Each kernel unpacks 16 quants at a time straight into float lanes and
// accumulates w * x in float32 (FMA), with no temporary row. The result differs from
// dot(dequantize_row(w), x) only by float32 rounding (summation order, fused multiply-adds).
#include <cstring>

#include "core/quant_blocks.h"
#include "core/quant_simd.h"
#include "knowscope/core/error.h"
#include "knowscope/core/half.h"
#include "knowscope/core/quant.h"

namespace knowscope {
namespace {

using namespace quant;

// Scalar fallback: dequantize one block onto the stack, then dot it. Also used for the types
// without a vector kernel on the build's instruction set.
float dot_by_blocks(DType t, const uint8_t* row, const float* x, int64_t n) {
  const auto& info = dtype_info(t);
  const int64_t be = info.block_size;
  float buf[QK_K];
  float sum = 0.0f;
  for (int64_t i = 0; i < n; i += be) {
    quant::dequantize_row_scalar(t, row + (i / be) * int64_t(info.block_bytes), buf, be);
    float s = 0.0f;
    for (int64_t j = 0; j < be; ++j) s += buf[j] * x[i + j];
    sum += s;
  }
  return sum;
}

template <typename Conv>
float dot_plain_scalar(const uint8_t* row, size_t elem_bytes, const float* x, int64_t n,
                       Conv conv) {
  float s[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; ++k) s[k] += conv(row + (i + k) * elem_bytes) * x[i + k];
  for (; i < n; ++i) s[0] += conv(row + i * elem_bytes) * x[i];
  return (s[0] + s[1]) + (s[2] + s[3]);
}

float f32_at(const uint8_t* p) { return load_f32(p); }
float f16_at(const uint8_t* p) { return load_f16(p); }
float bf16_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return bf16_to_f32(h);
}

#if defined(KNOWSCOPE_QUANT_SIMD)
using namespace simd;

template <typename Load>
float dot_plain(const uint8_t* row, size_t elem_bytes, const float* x, int64_t n, Load load16f,
                float (*scalar_at)(const uint8_t*)) {
  F16x a0 = zero(), a1 = zero(), a2 = zero(), a3 = zero();
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    a0 = fma(load16f(row + (i + 0) * elem_bytes), load(x + i + 0), a0);
    a1 = fma(load16f(row + (i + 16) * elem_bytes), load(x + i + 16), a1);
    a2 = fma(load16f(row + (i + 32) * elem_bytes), load(x + i + 32), a2);
    a3 = fma(load16f(row + (i + 48) * elem_bytes), load(x + i + 48), a3);
  }
  for (; i + 16 <= n; i += 16) a0 = fma(load16f(row + i * elem_bytes), load(x + i), a0);
  float s = hsum(add(add(a0, a1), add(a2, a3)));
  for (; i < n; ++i) s += scalar_at(row + i * elem_bytes) * x[i];
  return s;
}

float dot_q8_0(const uint8_t* b, const float* x, int64_t nb) {
  F16x acc0 = zero(), acc1 = zero();
  for (int64_t i = 0; i < nb; ++i, b += q8_0::bytes, x += QK) {
    const F16x d = set1(load_f16(b + q8_0::d));
    const __m128i q0 = load16(b + q8_0::qs), q1 = load16(b + q8_0::qs + 16);
    F16x s = mul(from_i8(q0), load(x));
    s = fma(from_i8(q1), load(x + 16), s);
    if (i & 1)
      acc1 = fma(d, s, acc1);
    else
      acc0 = fma(d, s, acc0);
  }
  return hsum(add(acc0, acc1));
}

// Q4_0 / Q5_0: w = d * (q - offset); the offset is folded into the int8 quants. (The 4- and
// 5-bit kernels here serve AVX2; AVX-512 builds use the table kernels further down.)
[[maybe_unused]] float dot_q4_0(const uint8_t* b, const float* x, int64_t nb) {
  F16x acc = zero();
  const __m128i eight = _mm_set1_epi8(8);
  for (int64_t i = 0; i < nb; ++i, b += q4_0::bytes, x += QK) {
    const F16x d = set1(load_f16(b + q4_0::d));
    const __m128i q = load16(b + q4_0::qs);
    F16x s = mul(from_i8(_mm_sub_epi8(low_nibbles(q), eight)), load(x));
    s = fma(from_i8(_mm_sub_epi8(high_nibbles(q), eight)), load(x + 16), s);
    acc = fma(d, s, acc);
  }
  return hsum(acc);
}

[[maybe_unused]] float dot_q5_0(const uint8_t* b, const float* x, int64_t nb) {
  F16x acc = zero();
  const __m128i sixteen = _mm_set1_epi8(16);
  for (int64_t i = 0; i < nb; ++i, b += q5_0::bytes, x += QK) {
    const F16x d = set1(load_f16(b + q5_0::d));
    const uint32_t qh = load_u32(b + q5_0::qh);
    const __m128i q = load16(b + q5_0::qs);
    const __m128i lo = _mm_or_si128(low_nibbles(q), bits_to_0x10(qh));
    const __m128i hi = _mm_or_si128(high_nibbles(q), bits_to_0x10(qh >> 16));
    F16x s = mul(from_i8(_mm_sub_epi8(lo, sixteen)), load(x));
    s = fma(from_i8(_mm_sub_epi8(hi, sixteen)), load(x + 16), s);
    acc = fma(d, s, acc);
  }
  return hsum(acc);
}

// Q4_1 / Q5_1: w = d q + m, so sum w x = d sum(q x) + m sum(x).
[[maybe_unused]] float dot_q4_1(const uint8_t* b, const float* x, int64_t nb) {
  F16x acc = zero();
  for (int64_t i = 0; i < nb; ++i, b += q4_1::bytes, x += QK) {
    const F16x d = set1(load_f16(b + q4_1::d));
    const F16x m = set1(load_f16(b + q4_1::m));
    const __m128i q = load16(b + q4_1::qs);
    const F16x x0 = load(x), x1 = load(x + 16);
    acc = fma(fma(d, from_u8(low_nibbles(q)), m), x0, acc);
    acc = fma(fma(d, from_u8(high_nibbles(q)), m), x1, acc);
  }
  return hsum(acc);
}

[[maybe_unused]] float dot_q5_1(const uint8_t* b, const float* x, int64_t nb) {
  F16x acc = zero();
  for (int64_t i = 0; i < nb; ++i, b += q5_1::bytes, x += QK) {
    const F16x d = set1(load_f16(b + q5_1::d));
    const F16x m = set1(load_f16(b + q5_1::m));
    const uint32_t qh = load_u32(b + q5_1::qh);
    const __m128i q = load16(b + q5_1::qs);
    const __m128i lo = _mm_or_si128(low_nibbles(q), bits_to_0x10(qh));
    const __m128i hi = _mm_or_si128(high_nibbles(q), bits_to_0x10(qh >> 16));
    acc = fma(fma(d, from_u8(lo), m), load(x), acc);
    acc = fma(fma(d, from_u8(hi), m), load(x + 16), acc);
  }
  return hsum(acc);
}

// Q4_K: 8 sub-blocks of 32; w = (d sc_j) q - (dmin m_j).
[[maybe_unused]] float dot_q4_k(const uint8_t* b, const float* x, int64_t nb) {
  F16x acc0 = zero(), acc1 = zero();
  for (int64_t i = 0; i < nb; ++i, b += q4_k::bytes, x += QK_K) {
    const float d = load_f16(b + q4_k::d), dmin = load_f16(b + q4_k::dmin);
    alignas(32) float dsc[8], dmn[8];
    {
      uint8_t sc[8], mn[8];
      k4_scales_mins(b + q4_k::scales, sc, mn);
      scale8_u8(sc, d, dsc);
      scale8_u8(mn, dmin, dmn);
    }
    const uint8_t* qs = b + q4_k::qs;
    for (int c = 0; c < 4; ++c) {
      const F16x d0 = set1(dsc[2 * c]), mm0 = set1(dmn[2 * c]);
      const F16x d1 = set1(dsc[2 * c + 1]), mm1 = set1(dmn[2 * c + 1]);
      const __m128i qa = load16(qs + 32 * c), qb = load16(qs + 32 * c + 16);
      const float* xc = x + 64 * c;
      acc0 = fma(fms(d0, from_u8(low_nibbles(qa)), mm0), load(xc), acc0);
      acc1 = fma(fms(d0, from_u8(low_nibbles(qb)), mm0), load(xc + 16), acc1);
      acc0 = fma(fms(d1, from_u8(high_nibbles(qa)), mm1), load(xc + 32), acc0);
      acc1 = fma(fms(d1, from_u8(high_nibbles(qb)), mm1), load(xc + 48), acc1);
    }
  }
  return hsum(add(acc0, acc1));
}

float dot_q5_k(const uint8_t* b, const float* x, int64_t nb) {
  F16x acc0 = zero(), acc1 = zero();
  for (int64_t i = 0; i < nb; ++i, b += q5_k::bytes, x += QK_K) {
    const float d = load_f16(b + q5_k::d), dmin = load_f16(b + q5_k::dmin);
    alignas(32) float dsc[8], dmn[8];
    {
      uint8_t sc[8], mn[8];
      k4_scales_mins(b + q5_k::scales, sc, mn);
      scale8_u8(sc, d, dsc);
      scale8_u8(mn, dmin, dmn);
    }
    const uint8_t* qs = b + q5_k::qs;
    const __m128i ha = load16(b + q5_k::qh), hb = load16(b + q5_k::qh + 16);
    for (int c = 0; c < 4; ++c) {
      const F16x d0 = set1(dsc[2 * c]), mm0 = set1(dmn[2 * c]);
      const F16x d1 = set1(dsc[2 * c + 1]), mm1 = set1(dmn[2 * c + 1]);
      const __m128i qa = load16(qs + 32 * c), qb = load16(qs + 32 * c + 16);
      const __m128i la = _mm_or_si128(low_nibbles(qa), _mm_slli_epi16(bit_of(ha, 2 * c), 4));
      const __m128i lb = _mm_or_si128(low_nibbles(qb), _mm_slli_epi16(bit_of(hb, 2 * c), 4));
      const __m128i ua = _mm_or_si128(high_nibbles(qa), _mm_slli_epi16(bit_of(ha, 2 * c + 1), 4));
      const __m128i ub = _mm_or_si128(high_nibbles(qb), _mm_slli_epi16(bit_of(hb, 2 * c + 1), 4));
      const float* xc = x + 64 * c;
      acc0 = fma(fms(d0, from_u8(la), mm0), load(xc), acc0);
      acc1 = fma(fms(d0, from_u8(lb), mm0), load(xc + 16), acc1);
      acc0 = fma(fms(d1, from_u8(ua), mm1), load(xc + 32), acc0);
      acc1 = fma(fms(d1, from_u8(ub), mm1), load(xc + 48), acc1);
    }
  }
  return hsum(add(acc0, acc1));
}

// Q6_K: 16 sub-blocks of 16; w = (d sc) (q - 32). Elements 128 h + 32 t + l.
float dot_q6_k(const uint8_t* b, const float* x, int64_t nb) {
  F16x acc0 = zero(), acc1 = zero();
  const __m128i off = _mm_set1_epi8(32);
  for (int64_t i = 0; i < nb; ++i, b += q6_k::bytes, x += QK_K) {
    const float d = load_f16(b + q6_k::d);
    alignas(64) float dsc[16];
    scale16_i8(reinterpret_cast<const int8_t*>(b + q6_k::scales), d, dsc);
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = b + q6_k::ql + 64 * h;
      const uint8_t* qh = b + q6_k::qh + 32 * h;
      const __m128i l0 = load16(ql), l1 = load16(ql + 16), l2 = load16(ql + 32),
                    l3 = load16(ql + 48);
      const __m128i h0 = load16(qh), h1 = load16(qh + 16);
      const __m128i lows[4][2] = {{low_nibbles(l0), low_nibbles(l1)},
                                  {low_nibbles(l2), low_nibbles(l3)},
                                  {high_nibbles(l0), high_nibbles(l1)},
                                  {high_nibbles(l2), high_nibbles(l3)}};
      for (int t = 0; t < 4; ++t) {
        const int e = 128 * h + 32 * t;
        const __m128i qa =
            _mm_sub_epi8(_mm_or_si128(lows[t][0], _mm_slli_epi16(crumbs(h0, t), 4)), off);
        const __m128i qb =
            _mm_sub_epi8(_mm_or_si128(lows[t][1], _mm_slli_epi16(crumbs(h1, t), 4)), off);
        const F16x da = set1(dsc[e / 16]), db = set1(dsc[e / 16 + 1]);
        acc0 = fma(mul(da, from_i8(qa)), load(x + e), acc0);
        acc1 = fma(mul(db, from_i8(qb)), load(x + e + 16), acc1);
      }
    }
  }
  return hsum(add(acc0, acc1));
}

// Q2_K: 16 sub-blocks of 16; w = (d sc&15) q - (dmin sc>>4).
float dot_q2_k(const uint8_t* b, const float* x, int64_t nb) {
  F16x acc0 = zero(), acc1 = zero();
  for (int64_t i = 0; i < nb; ++i, b += q2_k::bytes, x += QK_K) {
    const float d = load_f16(b + q2_k::d), dmin = load_f16(b + q2_k::dmin);
    alignas(64) float dl[16], ml[16];
    {
      const __m128i sc = load16(b + q2_k::scales);
      scale16_u8(low_nibbles(sc), d, dl);
      scale16_u8(high_nibbles(sc), dmin, ml);
    }
    for (int h = 0; h < 2; ++h) {
      const __m128i q0 = load16(b + q2_k::qs + 32 * h), q1 = load16(b + q2_k::qs + 32 * h + 16);
      for (int s = 0; s < 4; ++s) {
        const int e = 128 * h + 32 * s;
        const F16x da = set1(dl[e / 16]), ma = set1(ml[e / 16]);
        const F16x db = set1(dl[e / 16 + 1]), mb = set1(ml[e / 16 + 1]);
        acc0 = fma(fms(da, from_u8(crumbs(q0, s)), ma), load(x + e), acc0);
        acc1 = fma(fms(db, from_u8(crumbs(q1, s)), mb), load(x + e + 16), acc1);
      }
    }
  }
  return hsum(add(acc0, acc1));
}

// Q3_K: q = low 2 bits - (high bit clear ? 4 : 0); w = (d scale) q.
float dot_q3_k(const uint8_t* b, const float* x, int64_t nb) {
  F16x acc0 = zero(), acc1 = zero();
  const __m128i four = _mm_set1_epi8(4);
  for (int64_t i = 0; i < nb; ++i, b += q3_k::bytes, x += QK_K) {
    const float d = load_f16(b + q3_k::d);
    alignas(64) float dl[16];
    {
      int8_t sc[16];
      for (int k = 0; k < 16; ++k) sc[k] = int8_t(q3k_scale(b + q3_k::scales, k));
      scale16_i8(sc, d, dl);
    }
    const __m128i m0 = load16(b + q3_k::hmask), m1 = load16(b + q3_k::hmask + 16);
    for (int h = 0; h < 2; ++h) {
      const __m128i q0 = load16(b + q3_k::qs + 32 * h), q1 = load16(b + q3_k::qs + 32 * h + 16);
      for (int s = 0; s < 4; ++s) {
        const int e = 128 * h + 32 * s;
        const __m128i qa = _mm_sub_epi8(
            _mm_or_si128(crumbs(q0, s), _mm_slli_epi16(bit_of(m0, 4 * h + s), 2)), four);
        const __m128i qb = _mm_sub_epi8(
            _mm_or_si128(crumbs(q1, s), _mm_slli_epi16(bit_of(m1, 4 * h + s), 2)), four);
        const F16x da = set1(dl[e / 16]);
        const F16x db = set1(dl[e / 16 + 1]);
        acc0 = fma(mul(da, from_i8(qa)), load(x + e), acc0);
        acc1 = fma(mul(db, from_i8(qb)), load(x + e + 16), acc1);
      }
    }
  }
  return hsum(add(acc0, acc1));
}

float dot_q8_k(const uint8_t* b, const float* x, int64_t nb) {
  F16x acc = zero();
  for (int64_t i = 0; i < nb; ++i, b += q8_k::bytes, x += QK_K) {
    const F16x d = set1(load_f32(b + q8_k::d));
    F16x s = zero();
    for (int j = 0; j < QK_K; j += 16) s = fma(from_i8(load16(b + q8_k::qs + j)), load(x + j), s);
    acc = fma(d, s, acc);
  }
  return hsum(acc);
}
#endif  // KNOWSCOPE_QUANT_SIMD

#if defined(__AVX512F__)
// AVX-512 kernels for the 4- and 5-bit formats: a block's 16 (or 32) possible weight values go in
// one (or two) registers, and each quant picks its weight with a permute (vpermps / vpermt2ps use
// only the low 4 / 5 bits of each index), instead of converting integers to floats and scaling.
// The table entries are computed exactly as dequantize_row computes the weights.
namespace avx512 {

inline __m512 iota_minus(float offset) {
  return _mm512_sub_ps(_mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                       _mm512_set1_ps(offset));
}
inline __m512i bytes16(const uint8_t* p) { return _mm512_cvtepu8_epi32(load16(p)); }

// Q4_0: table[k] = (k - 8) d.
float dot_q4_0(const uint8_t* b, const float* x, int64_t nb) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  const __m512 k = iota_minus(8);
  for (int64_t i = 0; i < nb; ++i, b += q4_0::bytes, x += QK) {
    const __m512 table = _mm512_mul_ps(k, _mm512_set1_ps(load_f16(b + q4_0::d)));
    const __m512i v = bytes16(b + q4_0::qs);
    acc0 = _mm512_fmadd_ps(_mm512_permutexvar_ps(v, table), _mm512_loadu_ps(x), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(v, 4), table),
                           _mm512_loadu_ps(x + 16), acc1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

// Q4_1: table[k] = k d + m.
float dot_q4_1(const uint8_t* b, const float* x, int64_t nb) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  const __m512 k = iota_minus(0);
  for (int64_t i = 0; i < nb; ++i, b += q4_1::bytes, x += QK) {
    const __m512 table = _mm512_add_ps(_mm512_mul_ps(k, _mm512_set1_ps(load_f16(b + q4_1::d))),
                                       _mm512_set1_ps(load_f16(b + q4_1::m)));
    const __m512i v = bytes16(b + q4_1::qs);
    acc0 = _mm512_fmadd_ps(_mm512_permutexvar_ps(v, table), _mm512_loadu_ps(x), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(v, 4), table),
                           _mm512_loadu_ps(x + 16), acc1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

// Q5_0 / Q5_1: 32 values in two registers; bit 4 of the index comes from qh through a mask.
template <bool kMin>
float dot_q5(const uint8_t* b, const float* x, int64_t nb) {
  constexpr int bytes = kMin ? q5_1::bytes : q5_0::bytes;
  constexpr int qh_at = kMin ? q5_1::qh : q5_0::qh, qs_at = kMin ? q5_1::qs : q5_0::qs;
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  const __m512 k_lo = iota_minus(kMin ? 0 : 16), k_hi = iota_minus(kMin ? -16 : 0);
  const __m512i low4 = _mm512_set1_epi32(15), bit4 = _mm512_set1_epi32(16);
  for (int64_t i = 0; i < nb; ++i, b += bytes, x += QK) {
    const __m512 d = _mm512_set1_ps(load_f16(b));
    __m512 t_lo = _mm512_mul_ps(k_lo, d), t_hi = _mm512_mul_ps(k_hi, d);
    if constexpr (kMin) {
      const __m512 m = _mm512_set1_ps(load_f16(b + q5_1::m));
      t_lo = _mm512_add_ps(t_lo, m);
      t_hi = _mm512_add_ps(t_hi, m);
    }
    const uint32_t qh = load_u32(b + qh_at);
    const __m512i v = bytes16(b + qs_at);
    const __m512i lo = _mm512_and_si512(v, low4), hi = _mm512_srli_epi32(v, 4);
    const __m512i ilo = _mm512_mask_or_epi32(lo, __mmask16(qh & 0xFFFF), lo, bit4);
    const __m512i ihi = _mm512_mask_or_epi32(hi, __mmask16(qh >> 16), hi, bit4);
    acc0 = _mm512_fmadd_ps(_mm512_permutex2var_ps(t_lo, ilo, t_hi), _mm512_loadu_ps(x), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_permutex2var_ps(t_lo, ihi, t_hi), _mm512_loadu_ps(x + 16), acc1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

// Q4_K: one 16-entry table per sub-block of 32, table[k] = (d sc) k - (dmin m).
float dot_q4_k(const uint8_t* b, const float* x, int64_t nb) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  const __m512 k = iota_minus(0);
  for (int64_t i = 0; i < nb; ++i, b += q4_k::bytes, x += QK_K) {
    const float d = load_f16(b + q4_k::d), dmin = load_f16(b + q4_k::dmin);
    alignas(32) float dsc[8], dmn[8];
    {
      uint8_t sc[8], mn[8];
      k4_scales_mins(b + q4_k::scales, sc, mn);
      scale8_u8(sc, d, dsc);
      scale8_u8(mn, dmin, dmn);
    }
    const uint8_t* qs = b + q4_k::qs;
    for (int c = 0; c < 4; ++c) {
      const __m512 t0 = _mm512_fmsub_ps(k, _mm512_set1_ps(dsc[2 * c]), _mm512_set1_ps(dmn[2 * c]));
      const __m512 t1 =
          _mm512_fmsub_ps(k, _mm512_set1_ps(dsc[2 * c + 1]), _mm512_set1_ps(dmn[2 * c + 1]));
      const __m512i va = bytes16(qs + 32 * c), vb = bytes16(qs + 32 * c + 16);
      const float* xc = x + 64 * c;
      acc0 = _mm512_fmadd_ps(_mm512_permutexvar_ps(va, t0), _mm512_loadu_ps(xc), acc0);
      acc1 = _mm512_fmadd_ps(_mm512_permutexvar_ps(vb, t0), _mm512_loadu_ps(xc + 16), acc1);
      acc0 = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(va, 4), t1),
                             _mm512_loadu_ps(xc + 32), acc0);
      acc1 = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(vb, 4), t1),
                             _mm512_loadu_ps(xc + 48), acc1);
    }
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

}  // namespace avx512
#endif  // __AVX512F__

}  // namespace

float dot_row(DType t, const void* row, const float* x, int64_t n) {
  const auto& info = dtype_info(t);
  if (n < 0 || n % info.block_size != 0)
    fail("", "dot_row",
         std::string(info.name) + " row of " + std::to_string(n) +
             " elements is not a multiple of the block size " + std::to_string(info.block_size));
#if defined(KNOWSCOPE_QUANT_SIMD)
  const uint8_t* r = static_cast<const uint8_t*>(row);
  const int64_t nb = n / info.block_size;
  switch (t) {
    case DType::F32:
      return dot_plain(
          r, 4, x, n, [](const uint8_t* p) { return load(reinterpret_cast<const float*>(p)); },
          f32_at);
#if defined(__AVX512F__) || defined(KNOWSCOPE_QUANT_F16C)
    case DType::F16:
      return dot_plain(
          r, 2, x, n, [](const uint8_t* p) { return from_f16(p); }, f16_at);
#endif
    case DType::BF16:
      return dot_plain(
          r, 2, x, n, [](const uint8_t* p) { return from_bf16(p); }, bf16_at);
#if defined(__AVX512F__)
    case DType::Q4_0:
      return avx512::dot_q4_0(r, x, nb);
    case DType::Q4_1:
      return avx512::dot_q4_1(r, x, nb);
    case DType::Q5_0:
      return avx512::dot_q5<false>(r, x, nb);
    case DType::Q5_1:
      return avx512::dot_q5<true>(r, x, nb);
    case DType::Q4_K:
      return avx512::dot_q4_k(r, x, nb);
#else
    case DType::Q4_0:
      return dot_q4_0(r, x, nb);
    case DType::Q4_1:
      return dot_q4_1(r, x, nb);
    case DType::Q5_0:
      return dot_q5_0(r, x, nb);
    case DType::Q5_1:
      return dot_q5_1(r, x, nb);
    case DType::Q4_K:
      return dot_q4_k(r, x, nb);
#endif
    case DType::Q8_0:
      return dot_q8_0(r, x, nb);
    case DType::Q2_K:
      return dot_q2_k(r, x, nb);
    case DType::Q3_K:
      return dot_q3_k(r, x, nb);
    case DType::Q5_K:
      return dot_q5_k(r, x, nb);
    case DType::Q6_K:
      return dot_q6_k(r, x, nb);
    case DType::Q8_K:
      return dot_q8_k(r, x, nb);
    default:
      break;
  }
#endif
  return quant::dot_row_scalar(t, row, x, n);
}

float quant::dot_row_scalar(DType t, const void* row, const float* x, int64_t n) {
  const uint8_t* r = static_cast<const uint8_t*>(row);
  switch (t) {
    case DType::F32:
      return dot_plain_scalar(r, 4, x, n, f32_at);
    case DType::F16:
      return dot_plain_scalar(r, 2, x, n, f16_at);
    case DType::BF16:
      return dot_plain_scalar(r, 2, x, n, bf16_at);
    default:
      return dot_by_blocks(t, r, x, n);
  }
}

}  // namespace knowscope
