// dequantize_row: GGML blocks to float32, bit-exact with ggml's dequantize_row_* (and gguf-py).
// Exactness needs the same float operations in the same order, one rounding each: ggml is C
// compiled without FMA contraction, so contraction is turned off here (GCC would otherwise fuse
// d * q - m into one fmsub with a different rounding).
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "knowscope/core/quant.h"

#include <cstring>

#include "core/quant_blocks.h"
#include "core/quant_simd.h"
#include "knowscope/core/error.h"
#include "knowscope/core/half.h"

namespace knowscope {
namespace {

using namespace quant;

void q4_0_block(const uint8_t* b, float* y) {
  const float d = load_f16(b + q4_0::d);
  const uint8_t* qs = b + q4_0::qs;
  for (int j = 0; j < QK / 2; ++j) {
    y[j] = float((qs[j] & 0xF) - 8) * d;
    y[j + QK / 2] = float((qs[j] >> 4) - 8) * d;
  }
}

void q4_1_block(const uint8_t* b, float* y) {
  const float d = load_f16(b + q4_1::d);
  const float m = load_f16(b + q4_1::m);
  const uint8_t* qs = b + q4_1::qs;
  for (int j = 0; j < QK / 2; ++j) {
    y[j] = float(qs[j] & 0xF) * d + m;
    y[j + QK / 2] = float(qs[j] >> 4) * d + m;
  }
}

void q5_0_block(const uint8_t* b, float* y) {
  const float d = load_f16(b + q5_0::d);
  const uint32_t qh = load_u32(b + q5_0::qh);
  const uint8_t* qs = b + q5_0::qs;
  for (int j = 0; j < QK / 2; ++j) {
    int lo = (qs[j] & 0xF) | int(((qh >> j) & 1) << 4);
    int hi = (qs[j] >> 4) | int(((qh >> (j + 16)) & 1) << 4);
    y[j] = float(lo - 16) * d;
    y[j + QK / 2] = float(hi - 16) * d;
  }
}

void q5_1_block(const uint8_t* b, float* y) {
  const float d = load_f16(b + q5_1::d);
  const float m = load_f16(b + q5_1::m);
  const uint32_t qh = load_u32(b + q5_1::qh);
  const uint8_t* qs = b + q5_1::qs;
  for (int j = 0; j < QK / 2; ++j) {
    int lo = (qs[j] & 0xF) | int(((qh >> j) & 1) << 4);
    int hi = (qs[j] >> 4) | int(((qh >> (j + 16)) & 1) << 4);
    y[j] = float(lo) * d + m;
    y[j + QK / 2] = float(hi) * d + m;
  }
}

void q8_0_block(const uint8_t* b, float* y) {
  const float d = load_f16(b + q8_0::d);
  const int8_t* qs = reinterpret_cast<const int8_t*>(b + q8_0::qs);
  for (int j = 0; j < QK; ++j) y[j] = float(qs[j]) * d;
}

// Element e = 128 h + 32 s + l takes bits 2s..2s+1 of qs[32 h + l]; sub-block of 16 = e / 16.
void q2_k_block(const uint8_t* b, float* y) {
  const float d = load_f16(b + q2_k::d);
  const float dmin = load_f16(b + q2_k::dmin);
  const uint8_t* sc = b + q2_k::scales;
  const uint8_t* qs = b + q2_k::qs;
  for (int e = 0; e < QK_K; ++e) {
    int h = e / 128, s = (e / 32) % 4, l = e % 32;
    int q = (qs[32 * h + l] >> (2 * s)) & 3;
    uint8_t scale = sc[e / 16];
    const float dl = d * float(scale & 0xF);
    const float ml = dmin * float(scale >> 4);
    y[e] = dl * float(q) - ml;
  }
}

// Low 2 bits as Q2_K; the high bit comes from hmask[l] bit (4 h + s), and a clear bit means -4.
void q3_k_block(const uint8_t* b, float* y) {
  const float d = load_f16(b + q3_k::d);
  const uint8_t* hm = b + q3_k::hmask;
  const uint8_t* qs = b + q3_k::qs;
  const uint8_t* sc = b + q3_k::scales;
  for (int e = 0; e < QK_K; ++e) {
    int h = e / 128, s = (e / 32) % 4, l = e % 32;
    int q = (qs[32 * h + l] >> (2 * s)) & 3;
    if (!((hm[l] >> (4 * h + s)) & 1)) q -= 4;
    const float dl = d * float(q3k_scale(sc, e / 16));
    y[e] = dl * float(q);
  }
}

// Element e = 64 c + 32 h + l takes nibble h of qs[32 c + l]; sub-block of 32 = e / 32.
void q4_k_block(const uint8_t* b, float* y) {
  const float d = load_f16(b + q4_k::d);
  const float dmin = load_f16(b + q4_k::dmin);
  const uint8_t* qs = b + q4_k::qs;
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    k4_scale_min(b + q4_k::scales, j, sc, m);
    const float d1 = d * float(sc);
    const float m1 = dmin * float(m);
    const uint8_t* q = qs + 32 * (j / 2);
    const int shift = 4 * (j % 2);
    for (int l = 0; l < 32; ++l) y[32 * j + l] = d1 * float((q[l] >> shift) & 0xF) - m1;
  }
}

// As Q4_K plus a fifth bit: bit j of qh[l] for element 32 j + l.
void q5_k_block(const uint8_t* b, float* y) {
  const float d = load_f16(b + q5_k::d);
  const float dmin = load_f16(b + q5_k::dmin);
  const uint8_t* qs = b + q5_k::qs;
  const uint8_t* qh = b + q5_k::qh;
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    k4_scale_min(b + q5_k::scales, j, sc, m);
    const float d1 = d * float(sc);
    const float m1 = dmin * float(m);
    const uint8_t* q = qs + 32 * (j / 2);
    const int shift = 4 * (j % 2);
    for (int l = 0; l < 32; ++l) {
      int v = ((q[l] >> shift) & 0xF) | (((qh[l] >> j) & 1) << 4);
      y[32 * j + l] = d1 * float(v) - m1;
    }
  }
}

// Element e = 128 h + 32 t + l (l < 32): low nibble from ql[64 h + l + 32 (t & 1)] (nibble t / 2),
// high 2 bits from qh[32 h + l] bits 2t..2t+1; minus 32; sub-block of 16 = e / 16.
void q6_k_block(const uint8_t* b, float* y) {
  const float d = load_f16(b + q6_k::d);
  const uint8_t* ql = b + q6_k::ql;
  const uint8_t* qh = b + q6_k::qh;
  const int8_t* sc = reinterpret_cast<const int8_t*>(b + q6_k::scales);
  for (int e = 0; e < QK_K; ++e) {
    int h = e / 128, t = (e / 32) % 4, l = e % 32;
    int lo = (ql[64 * h + l + 32 * (t & 1)] >> (4 * (t >> 1))) & 0xF;
    int hi = (qh[32 * h + l] >> (2 * t)) & 3;
    int q = (lo | (hi << 4)) - 32;
    y[e] = d * float(sc[e / 16]) * float(q);
  }
}

void q8_k_block(const uint8_t* b, float* y) {
  const float d = load_f32(b + q8_k::d);
  const int8_t* qs = reinterpret_cast<const int8_t*>(b + q8_k::qs);
  for (int j = 0; j < QK_K; ++j) y[j] = d * float(qs[j]);
}

using BlockFn = void (*)(const uint8_t*, float*);

template <BlockFn fn>
void blocks(const void* src, float* dst, int64_t n, int block_elems, int block_bytes) {
  const uint8_t* b = static_cast<const uint8_t*>(src);
  for (int64_t i = 0; i < n / block_elems; ++i) fn(b + i * block_bytes, dst + i * block_elems);
}

template <typename T, typename Conv>
void convert(const void* src, float* dst, int64_t n, Conv conv) {
  const uint8_t* p = static_cast<const uint8_t*>(src);
  for (int64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, p + i * sizeof(T), sizeof(T));
    dst[i] = conv(v);
  }
}

#if defined(KNOWSCOPE_QUANT_SIMD)
// Vector versions: the same operations per element as the scalar blocks above (products of a
// float scale and a small integer, then one add or subtract), so the results are identical.
namespace vec {
using namespace simd;

void q4_0_block(const uint8_t* b, float* y) {
  const F16x d = set1(load_f16(b + q4_0::d));
  const __m128i q = load16(b + q4_0::qs), eight = _mm_set1_epi8(8);
  store(y, mul(from_i8(_mm_sub_epi8(low_nibbles(q), eight)), d));
  store(y + 16, mul(from_i8(_mm_sub_epi8(high_nibbles(q), eight)), d));
}

void q4_1_block(const uint8_t* b, float* y) {
  const F16x d = set1(load_f16(b + q4_1::d)), m = set1(load_f16(b + q4_1::m));
  const __m128i q = load16(b + q4_1::qs);
  store(y, add(mul(from_u8(low_nibbles(q)), d), m));
  store(y + 16, add(mul(from_u8(high_nibbles(q)), d), m));
}

void q5_0_block(const uint8_t* b, float* y) {
  const F16x d = set1(load_f16(b + q5_0::d));
  const uint32_t qh = load_u32(b + q5_0::qh);
  const __m128i q = load16(b + q5_0::qs), sixteen = _mm_set1_epi8(16);
  const __m128i lo = _mm_or_si128(low_nibbles(q), bits_to_0x10(qh));
  const __m128i hi = _mm_or_si128(high_nibbles(q), bits_to_0x10(qh >> 16));
  store(y, mul(from_i8(_mm_sub_epi8(lo, sixteen)), d));
  store(y + 16, mul(from_i8(_mm_sub_epi8(hi, sixteen)), d));
}

void q5_1_block(const uint8_t* b, float* y) {
  const F16x d = set1(load_f16(b + q5_1::d)), m = set1(load_f16(b + q5_1::m));
  const uint32_t qh = load_u32(b + q5_1::qh);
  const __m128i q = load16(b + q5_1::qs);
  const __m128i lo = _mm_or_si128(low_nibbles(q), bits_to_0x10(qh));
  const __m128i hi = _mm_or_si128(high_nibbles(q), bits_to_0x10(qh >> 16));
  store(y, add(mul(from_u8(lo), d), m));
  store(y + 16, add(mul(from_u8(hi), d), m));
}

void q8_0_block(const uint8_t* b, float* y) {
  const F16x d = set1(load_f16(b + q8_0::d));
  store(y, mul(from_i8(load16(b + q8_0::qs)), d));
  store(y + 16, mul(from_i8(load16(b + q8_0::qs + 16)), d));
}

void q2_k_block(const uint8_t* b, float* y) {
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
      store(y + e, sub(mul(da, from_u8(crumbs(q0, s))), ma));
      store(y + e + 16, sub(mul(db, from_u8(crumbs(q1, s))), mb));
    }
  }
}

void q3_k_block(const uint8_t* b, float* y) {
  const float d = load_f16(b + q3_k::d);
  alignas(64) float dl[16];
  {
    int8_t sc[16];
    for (int k = 0; k < 16; ++k) sc[k] = int8_t(q3k_scale(b + q3_k::scales, k));
    scale16_i8(sc, d, dl);
  }
  const __m128i m0 = load16(b + q3_k::hmask), m1 = load16(b + q3_k::hmask + 16);
  const __m128i four = _mm_set1_epi8(4);
  for (int h = 0; h < 2; ++h) {
    const __m128i q0 = load16(b + q3_k::qs + 32 * h), q1 = load16(b + q3_k::qs + 32 * h + 16);
    for (int s = 0; s < 4; ++s) {
      const int e = 128 * h + 32 * s;
      const __m128i qa =
          _mm_sub_epi8(_mm_or_si128(crumbs(q0, s), _mm_slli_epi16(bit_of(m0, 4 * h + s), 2)), four);
      const __m128i qb =
          _mm_sub_epi8(_mm_or_si128(crumbs(q1, s), _mm_slli_epi16(bit_of(m1, 4 * h + s), 2)), four);
      store(y + e, mul(set1(dl[e / 16]), from_i8(qa)));
      store(y + e + 16, mul(set1(dl[e / 16 + 1]), from_i8(qb)));
    }
  }
}

void q4_k_block(const uint8_t* b, float* y) {
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
    float* yc = y + 64 * c;
    store(yc, sub(mul(d0, from_u8(low_nibbles(qa))), mm0));
    store(yc + 16, sub(mul(d0, from_u8(low_nibbles(qb))), mm0));
    store(yc + 32, sub(mul(d1, from_u8(high_nibbles(qa))), mm1));
    store(yc + 48, sub(mul(d1, from_u8(high_nibbles(qb))), mm1));
  }
}

void q5_k_block(const uint8_t* b, float* y) {
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
    float* yc = y + 64 * c;
    store(yc, sub(mul(d0, from_u8(la)), mm0));
    store(yc + 16, sub(mul(d0, from_u8(lb)), mm0));
    store(yc + 32, sub(mul(d1, from_u8(ua)), mm1));
    store(yc + 48, sub(mul(d1, from_u8(ub)), mm1));
  }
}

void q6_k_block(const uint8_t* b, float* y) {
  const float d = load_f16(b + q6_k::d);
  alignas(64) float dsc[16];
  scale16_i8(reinterpret_cast<const int8_t*>(b + q6_k::scales), d, dsc);
  const __m128i off = _mm_set1_epi8(32);
  for (int h = 0; h < 2; ++h) {
    const uint8_t* ql = b + q6_k::ql + 64 * h;
    const uint8_t* qh = b + q6_k::qh + 32 * h;
    const __m128i l0 = load16(ql), l1 = load16(ql + 16), l2 = load16(ql + 32), l3 = load16(ql + 48);
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
      store(y + e, mul(set1(dsc[e / 16]), from_i8(qa)));
      store(y + e + 16, mul(set1(dsc[e / 16 + 1]), from_i8(qb)));
    }
  }
}

void f16_row(const void* src, float* dst, int64_t n) {
  const uint8_t* p = static_cast<const uint8_t*>(src);
  int64_t i = 0;
#if defined(__AVX512F__) || defined(KNOWSCOPE_QUANT_F16C)
  for (; i + 16 <= n; i += 16) store(dst + i, from_f16(p + 2 * i));
#endif
  for (; i < n; ++i) dst[i] = load_f16(p + 2 * i);
}

void bf16_row(const void* src, float* dst, int64_t n) {
  const uint8_t* p = static_cast<const uint8_t*>(src);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) store(dst + i, from_bf16(p + 2 * i));
  for (; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, p + 2 * i, 2);
    dst[i] = bf16_to_f32(h);
  }
}
}  // namespace vec
#endif  // KNOWSCOPE_QUANT_SIMD

}  // namespace

namespace quant {
void dequantize_row_scalar(DType t, const void* src, float* dst, int64_t n) {
  const auto& info = dtype_info(t);
  if (n < 0 || n % info.block_size != 0)
    fail("", "dequantize_row",
         std::string(info.name) + " row of " + std::to_string(n) +
             " elements is not a multiple of the block size " + std::to_string(info.block_size));
  if (n == 0) return;
  switch (t) {
    case DType::F32:
      std::memcpy(dst, src, size_t(n) * 4);
      return;
    case DType::F16:
      convert<uint16_t>(src, dst, n, [](uint16_t h) { return f16_to_f32(h); });
      return;
    case DType::BF16:
      convert<uint16_t>(src, dst, n, [](uint16_t h) { return bf16_to_f32(h); });
      return;
    case DType::F64:
      convert<double>(src, dst, n, [](double v) { return float(v); });
      return;
    case DType::I8:
      convert<int8_t>(src, dst, n, [](int8_t v) { return float(v); });
      return;
    case DType::I16:
      convert<int16_t>(src, dst, n, [](int16_t v) { return float(v); });
      return;
    case DType::I32:
      convert<int32_t>(src, dst, n, [](int32_t v) { return float(v); });
      return;
    case DType::I64:
      convert<int64_t>(src, dst, n, [](int64_t v) { return float(v); });
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
    case DType::Q2_K:
      blocks<q2_k_block>(src, dst, n, QK_K, q2_k::bytes);
      return;
    case DType::Q3_K:
      blocks<q3_k_block>(src, dst, n, QK_K, q3_k::bytes);
      return;
    case DType::Q4_K:
      blocks<q4_k_block>(src, dst, n, QK_K, q4_k::bytes);
      return;
    case DType::Q5_K:
      blocks<q5_k_block>(src, dst, n, QK_K, q5_k::bytes);
      return;
    case DType::Q6_K:
      blocks<q6_k_block>(src, dst, n, QK_K, q6_k::bytes);
      return;
    case DType::Q8_K:
      blocks<q8_k_block>(src, dst, n, QK_K, q8_k::bytes);
      return;
    case DType::Q8_1:
      break;
  }
  fail("", "dequantize_row", "no dequantizer for " + dtype_name(t));
}
}  // namespace quant

void dequantize_row(DType t, const void* src, float* dst, int64_t n) {
#if defined(KNOWSCOPE_QUANT_SIMD)
  const auto& info = dtype_info(t);
  if (n > 0 && n % info.block_size == 0) {
    switch (t) {
      case DType::F16:
        vec::f16_row(src, dst, n);
        return;
      case DType::BF16:
        vec::bf16_row(src, dst, n);
        return;
      case DType::Q4_0:
        blocks<vec::q4_0_block>(src, dst, n, QK, q4_0::bytes);
        return;
      case DType::Q4_1:
        blocks<vec::q4_1_block>(src, dst, n, QK, q4_1::bytes);
        return;
      case DType::Q5_0:
        blocks<vec::q5_0_block>(src, dst, n, QK, q5_0::bytes);
        return;
      case DType::Q5_1:
        blocks<vec::q5_1_block>(src, dst, n, QK, q5_1::bytes);
        return;
      case DType::Q8_0:
        blocks<vec::q8_0_block>(src, dst, n, QK, q8_0::bytes);
        return;
      case DType::Q2_K:
        blocks<vec::q2_k_block>(src, dst, n, QK_K, q2_k::bytes);
        return;
      case DType::Q3_K:
        blocks<vec::q3_k_block>(src, dst, n, QK_K, q3_k::bytes);
        return;
      case DType::Q4_K:
        blocks<vec::q4_k_block>(src, dst, n, QK_K, q4_k::bytes);
        return;
      case DType::Q5_K:
        blocks<vec::q5_k_block>(src, dst, n, QK_K, q5_k::bytes);
        return;
      case DType::Q6_K:
        blocks<vec::q6_k_block>(src, dst, n, QK_K, q6_k::bytes);
        return;
      default:
        break;
    }
  }
#endif
  quant::dequantize_row_scalar(t, src, dst, n);
}

}  // namespace knowscope
