// llama.cpp's CPU kernels with their order of float operations (see the header). Compiled with
// -ffp-contract=off: every fused multiply-add here is an explicit std::fma, every other product
// and sum is rounded on its own, as in the SIMD code it reproduces.
#include "knowscope/core/ggml_kernels.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "core/quant_blocks.h"
#include "knowscope/core/error.h"
#include "knowscope/core/half.h"
#include "knowscope/core/parallel.h"

namespace knowscope::ggml_numerics {
namespace {

using quant::QK;
using quant::QK_K;

// _mm256 horizontal sum (hsum_float_8): halves added, then pairs, then the last two.
float reduce8(const float* l) {
  const float r0 = l[4] + l[0], r1 = l[5] + l[1], r2 = l[6] + l[2], r3 = l[7] + l[3];
  return (r0 + r2) + (r1 + r3);
}

// GCC's _mm512_reduce_add_ps: 256-bit halves added, then as reduce8.
float reduce16(const float* a) {
  float t[8];
  for (int i = 0; i < 8; ++i) t[i] = a[i + 8] + a[i];
  return reduce8(t);
}

// ---- activations -------------------------------------------------------------------------

struct Q8Rows {  // quantized activation rows: per block d, per element q, per 16 a sum (Q8_K)
  int64_t n = 0, block = 0;
  std::vector<float> d;
  std::vector<int8_t> q;
  std::vector<int32_t> bsums;
  std::vector<float> block_sum;  // Q8_1: f16(d * sum(q)) per block
  const float* d_row(int64_t r) const { return d.data() + r * (n / block); }
  const int8_t* q_row(int64_t r) const { return q.data() + r * n; }
  const int32_t* bs_row(int64_t r) const { return bsums.data() + r * (n / 16); }
  const float* s_row(int64_t r) const { return block_sum.data() + r * (n / block); }
};

// Q8_0 rows; with_sum: Q8_1, whose block sum s = f16(d * sum(q)) takes the unrounded d.
Q8Rows quantize_rows_q8_0(const float* x, int64_t rows, int64_t n, bool with_sum) {
  Q8Rows a{n,  QK, std::vector<float>(size_t(rows * n / QK)), std::vector<int8_t>(size_t(rows * n)),
           {}, {}};
  for (int64_t r = 0; r < rows; ++r)
    quantize_q8_0(x + r * n, n, a.d.data() + r * (n / QK), a.q.data() + r * n);
  if (with_sum) {
    a.block_sum.resize(a.d.size());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t b = 0; b < n / QK; ++b) {
        const float* xb = x + r * n + b * QK;
        float amax = 0.0f;
        for (int i = 0; i < QK; ++i) amax = std::max(amax, std::fabs(xb[i]));
        int32_t sum = 0;
        for (int i = 0; i < QK; ++i) sum += a.q[size_t(r * n + b * QK + i)];
        a.block_sum[size_t(r * (n / QK) + b)] = f16_to_f32(f32_to_f16(amax / 127.0f * float(sum)));
      }
  }
  return a;
}

// Q8_K rows; the `packed` ones as the 4-row packer quantizes them.
Q8Rows quantize_rows_q8_k(const float* x, int64_t rows, int64_t n,
                          const std::vector<bool>& packed) {
  Q8Rows a{n,
           QK_K,
           std::vector<float>(size_t(rows * n / QK_K)),
           std::vector<int8_t>(size_t(rows * n)),
           std::vector<int32_t>(size_t(rows * n / 16)),
           {}};
  for (int64_t r = 0; r < rows; ++r) {
    int8_t* q = a.q.data() + r * n;
    quantize_q8_k(x + r * n, n, a.d.data() + r * (n / QK_K), q, packed[size_t(r)]);
    int32_t* bs = a.bsums.data() + r * (n / 16);
    for (int64_t g = 0; g < n / 16; ++g) {
      int32_t s = 0;
      for (int i = 0; i < 16; ++i) s += q[g * 16 + i];
      bs[g] = s;
    }
  }
  return a;
}

// ---- weights, decoded to integer codes -----------------------------------------------------

struct WeightRow {              // one weight row: codes per element, per-block factors
  std::vector<int8_t> q;        // Q8_0 / Q5_0: signed value; Q4_K: 0..15; Q6_K: 0..63
  std::vector<float> d, dmin;   // per block (f16 values)
  std::vector<int32_t> sc, mn;  // per sub-block: Q4_K 8 per 256 (scale, min), Q6_K 16 (scale)
  // The K-quants' codes times their sub-block scale (Q6_K: also with the offset of 32 taken
  // off), so that the exact integer sums below are plain dot products the compiler vectorizes.
  std::vector<int16_t> scaled, scaled_centered;
};

// sum of a[i] * b[i], exact in int32.
int32_t idot(const int16_t* a, const int8_t* b, int n) {
  int32_t s = 0;
  for (int i = 0; i < n; ++i) s += int32_t(a[i]) * int32_t(b[i]);
  return s;
}

void decode_row(DType t, const uint8_t* row, int64_t n, WeightRow& w) {
  w.q.resize(size_t(n));
  switch (t) {
    case DType::Q8_0: {
      const int64_t nb = n / QK;
      w.d.resize(size_t(nb));
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * quant::q8_0::bytes;
        w.d[size_t(b)] = quant::load_f16(blk + quant::q8_0::d);
        std::memcpy(w.q.data() + b * QK, blk + quant::q8_0::qs, QK);
      }
      return;
    }
    case DType::Q4_0: {
      const int64_t nb = n / QK;
      w.d.resize(size_t(nb));
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * quant::q4_0::bytes;
        w.d[size_t(b)] = quant::load_f16(blk + quant::q4_0::d);
        const uint8_t* qs = blk + quant::q4_0::qs;
        int8_t* q = w.q.data() + b * QK;
        for (int j = 0; j < 16; ++j) {
          q[j] = int8_t((qs[j] & 0xF) - 8);
          q[j + 16] = int8_t((qs[j] >> 4) - 8);
        }
      }
      return;
    }
    case DType::Q5_0: {
      const int64_t nb = n / QK;
      w.d.resize(size_t(nb));
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * quant::q5_0::bytes;
        w.d[size_t(b)] = quant::load_f16(blk + quant::q5_0::d);
        const uint32_t qh = quant::load_u32(blk + quant::q5_0::qh);
        const uint8_t* qs = blk + quant::q5_0::qs;
        int8_t* q = w.q.data() + b * QK;
        for (int j = 0; j < 16; ++j) {
          q[j] = int8_t(((qs[j] & 0xF) | (((qh >> j) & 1u) << 4)) - 16);
          q[j + 16] = int8_t(((qs[j] >> 4) | (((qh >> (j + 16)) & 1u) << 4)) - 16);
        }
      }
      return;
    }
    case DType::Q4_1:
    case DType::Q5_1: {  // unsigned codes, scale d and min m per block
      const bool five = t == DType::Q5_1;
      const int64_t nb = n / QK;
      const int bytes = five ? quant::q5_1::bytes : quant::q4_1::bytes;
      w.d.resize(size_t(nb));
      w.dmin.resize(size_t(nb));
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * bytes;
        w.d[size_t(b)] = quant::load_f16(blk + (five ? quant::q5_1::d : quant::q4_1::d));
        w.dmin[size_t(b)] = quant::load_f16(blk + (five ? quant::q5_1::m : quant::q4_1::m));
        const uint32_t qh = five ? quant::load_u32(blk + quant::q5_1::qh) : 0;
        const uint8_t* qs = blk + (five ? quant::q5_1::qs : quant::q4_1::qs);
        int8_t* q = w.q.data() + b * QK;
        for (int j = 0; j < 16; ++j) {
          q[j] = int8_t((qs[j] & 0xF) | (((qh >> j) & 1u) << 4));
          q[j + 16] = int8_t((qs[j] >> 4) | (((qh >> (j + 16)) & 1u) << 4));
        }
      }
      return;
    }
    case DType::Q4_K: {
      const int64_t nb = n / QK_K;
      w.d.resize(size_t(nb));
      w.dmin.resize(size_t(nb));
      w.sc.resize(size_t(nb * 8));
      w.mn.resize(size_t(nb * 8));
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * quant::q4_k::bytes;
        w.d[size_t(b)] = quant::load_f16(blk + quant::q4_k::d);
        w.dmin[size_t(b)] = quant::load_f16(blk + quant::q4_k::dmin);
        uint8_t sc[8], mn[8];
        quant::k4_scales_mins(blk + quant::q4_k::scales, sc, mn);
        for (int s = 0; s < 8; ++s) {
          w.sc[size_t(b * 8 + s)] = sc[s];
          w.mn[size_t(b * 8 + s)] = mn[s];
        }
        const uint8_t* qs = blk + quant::q4_k::qs;
        int8_t* q = w.q.data() + b * QK_K;
        for (int j = 0; j < 4; ++j)
          for (int l = 0; l < 32; ++l) {
            q[64 * j + l] = int8_t(qs[32 * j + l] & 0xF);
            q[64 * j + 32 + l] = int8_t(qs[32 * j + l] >> 4);
          }
      }
      w.scaled.resize(size_t(n));
      for (int64_t e = 0; e < n; ++e)
        w.scaled[size_t(e)] = int16_t(w.sc[size_t(e / 32)] * w.q[size_t(e)]);
      return;
    }
    case DType::Q3_K: {  // signed codes -4..3 (2 low bits, the high bit clear means -4)
      const int64_t nb = n / QK_K;
      w.d.resize(size_t(nb));
      w.sc.resize(size_t(nb * 16));
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * quant::q3_k::bytes;
        w.d[size_t(b)] = quant::load_f16(blk + quant::q3_k::d);
        for (int k = 0; k < 16; ++k)
          w.sc[size_t(b * 16 + k)] = quant::q3k_scale(blk + quant::q3_k::scales, k);
        const uint8_t* qs = blk + quant::q3_k::qs;
        const uint8_t* hm = blk + quant::q3_k::hmask;
        int8_t* q = w.q.data() + b * QK_K;
        for (int h = 0; h < 2; ++h)
          for (int j = 0; j < 4; ++j)
            for (int l = 0; l < 32; ++l)
              q[128 * h + 32 * j + l] =
                  int8_t(((qs[32 * h + l] >> (2 * j)) & 3) - ((hm[l] >> (4 * h + j)) & 1 ? 0 : 4));
      }
      w.scaled.resize(size_t(n));
      for (int64_t e = 0; e < n; ++e)
        w.scaled[size_t(e)] = int16_t(w.sc[size_t(e / 16)] * w.q[size_t(e)]);
      return;
    }
    case DType::Q5_K: {
      const int64_t nb = n / QK_K;
      w.d.resize(size_t(nb));
      w.dmin.resize(size_t(nb));
      w.sc.resize(size_t(nb * 8));
      w.mn.resize(size_t(nb * 8));
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * quant::q5_k::bytes;
        w.d[size_t(b)] = quant::load_f16(blk + quant::q5_k::d);
        w.dmin[size_t(b)] = quant::load_f16(blk + quant::q5_k::dmin);
        uint8_t sc[8], mn[8];
        quant::k4_scales_mins(blk + quant::q5_k::scales, sc, mn);
        for (int s = 0; s < 8; ++s) {
          w.sc[size_t(b * 8 + s)] = sc[s];
          w.mn[size_t(b * 8 + s)] = mn[s];
        }
        const uint8_t* qs = blk + quant::q5_k::qs;
        const uint8_t* qh = blk + quant::q5_k::qh;
        int8_t* q = w.q.data() + b * QK_K;
        for (int j = 0; j < 4; ++j)  // 64 elements: low nibbles, then high; qh bits 2j, 2j+1
          for (int l = 0; l < 32; ++l) {
            q[64 * j + l] = int8_t((qs[32 * j + l] & 0xF) | (((qh[l] >> (2 * j)) & 1) << 4));
            q[64 * j + 32 + l] =
                int8_t((qs[32 * j + l] >> 4) | (((qh[l] >> (2 * j + 1)) & 1) << 4));
          }
      }
      w.scaled.resize(size_t(n));
      for (int64_t e = 0; e < n; ++e)
        w.scaled[size_t(e)] = int16_t(w.sc[size_t(e / 32)] * w.q[size_t(e)]);
      return;
    }
    case DType::Q6_K: {
      const int64_t nb = n / QK_K;
      w.d.resize(size_t(nb));
      w.sc.resize(size_t(nb * 16));
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * quant::q6_k::bytes;
        w.d[size_t(b)] = quant::load_f16(blk + quant::q6_k::d);
        const auto* scales = reinterpret_cast<const int8_t*>(blk + quant::q6_k::scales);
        for (int s = 0; s < 16; ++s) w.sc[size_t(b * 16 + s)] = scales[s];
        int8_t* q = w.q.data() + b * QK_K;
        for (int h = 0; h < 2; ++h) {
          const uint8_t* ql = blk + quant::q6_k::ql + 64 * h;
          const uint8_t* qh = blk + quant::q6_k::qh + 32 * h;
          int8_t* qq = q + 128 * h;
          for (int l = 0; l < 32; ++l) {
            qq[l] = int8_t((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4));
            qq[l + 32] = int8_t((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
            qq[l + 64] = int8_t((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
            qq[l + 96] = int8_t((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
          }
        }
      }
      w.scaled.resize(size_t(n));
      w.scaled_centered.resize(size_t(n));
      for (int64_t e = 0; e < n; ++e) {
        const int32_t sc = w.sc[size_t(e / 16)], u = w.q[size_t(e)];
        w.scaled[size_t(e)] = int16_t(sc * u);
        w.scaled_centered[size_t(e)] = int16_t(sc * (u - 32));
      }
      return;
    }
    default:
      fail("ggml kernel", "weight type", std::string(dtype_info(t).name) + " not reproduced");
  }
}

// ---- the kernels, one output each ---------------------------------------------------------

// Q8_0 / Q5_0 against Q8_0 (vec_dot_q8_0_q8_0, vec_dot_q5_0_q8_0, tinyBLAS_Q0_AVX): lane k holds
// the integer sum of elements 4k..4k+3 of each block; lane += d_w*d_a * sum, fused.
// The weight codes of block b are at wq + b * stride, its scale wd[b] (decoded) or, when wd is
// null, the f16 two bytes before the codes (a Q8_0 row read in place).
float dot_q0(const int8_t* wq, int64_t stride, const float* wd, const int8_t* aq, const float* ad,
             int64_t nb) {
  auto w_scale = [&](int64_t b) {
    return wd ? wd[b] : quant::load_f16(reinterpret_cast<const uint8_t*>(wq + b * stride) - 2);
  };
#if defined(__AVX2__) && defined(__FMA__)
  // The same lanes with SIMD (the integer sums are exact, _mm256_fmadd_ps is std::fma per lane).
  __m256 acc = _mm256_setzero_ps();
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t b = 0; b < nb; ++b) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wq + b * stride));
    const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(aq + b * QK));
    const __m256i pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
    const __m256 sums = _mm256_cvtepi32_ps(_mm256_madd_epi16(ones, pairs));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(w_scale(b) * ad[b]), sums, acc);
  }
  alignas(32) float lane[8];
  _mm256_store_ps(lane, acc);
#else
  float lane[8] = {};
  for (int64_t b = 0; b < nb; ++b) {
    const float d = w_scale(b) * ad[b];
    for (int k = 0; k < 8; ++k) {
      int32_t s = 0;
      for (int e = 4 * k; e < 4 * k + 4; ++e) s += int32_t(wq[b * stride + e]) * aq[b * QK + e];
      lane[k] = std::fma(d, float(s), lane[k]);
    }
  }
#endif
  return reduce8(lane);
}

// Q4_0 repacked 8x8 (ggml_gemv/gemm_q4_0_8x8_q8_0, weights with rows in eights): one exact
// integer per block of 32, acc = fma(isum, d_w * d_a, acc).
float dot_q4_0_repacked(const WeightRow& w, const Q8Rows& a, int64_t r) {
  const int8_t* aq = a.q_row(r);
  float acc = 0.0f;
  for (int64_t b = 0; b < a.n / QK; ++b) {
    int32_t s = 0;
    for (int e = 0; e < QK; ++e) s += int32_t(w.q[size_t(b * QK + e)]) * aq[b * QK + e];
    acc = std::fma(float(s), w.d[size_t(b)] * a.d_row(r)[b], acc);
  }
  return acc;
}

// Q4_1 / Q5_1 against Q8_1 (vec_dot_q4_1_q8_1, vec_dot_q5_1_q8_1): the lanes of dot_q0 on the
// unsigned codes, plus the min term m*s summed in a float, fused (GCC contracts its source).
float dot_q1(const WeightRow& w, const Q8Rows& a, int64_t r) {
  const int64_t nb = a.n / QK;
  float summs = 0.0f;
  for (int64_t b = 0; b < nb; ++b) summs = std::fma(w.dmin[size_t(b)], a.s_row(r)[b], summs);
  return dot_q0(w.q.data(), QK, w.d.data(), a.q_row(r), a.d_row(r), nb) + summs;
}

// Q6_K vec_dot: lane k holds elements 4k..4k+3 of each 32, scaled, on unsigned codes; the
// codes' offset of 32 comes off as 32*(bsum*scale) of sub-blocks 2k and 2k+1.
float dot_q6_k_vec(const WeightRow& w, const Q8Rows& a, int64_t r) {
  const int8_t* aq = a.q_row(r);
  const int32_t* bs = a.bs_row(r);
  float lane[8] = {};
  for (int64_t b = 0; b < a.n / QK_K; ++b) {
    const float d = a.d_row(r)[b] * w.d[size_t(b)];
    const int16_t* ws = w.scaled.data() + b * QK_K;
    const int8_t* q8 = aq + b * QK_K;
    const int32_t* sc = w.sc.data() + b * 16;
    const int32_t* bsb = bs + b * 16;
    int32_t group[QK_K / 4];  // sums of 4 consecutive products
    for (int g = 0; g < QK_K / 4; ++g) group[g] = idot(ws + 4 * g, q8 + 4 * g, 4);
    for (int k = 0; k < 8; ++k) {
      int32_t s = 0;
      for (int c = 0; c < 8; ++c) s += group[8 * c + k];
      s -= 32 * (bsb[2 * k] * sc[2 * k] + bsb[2 * k + 1] * sc[2 * k + 1]);
      lane[k] = std::fma(d, float(s), lane[k]);
    }
  }
  return reduce8(lane);
}

// Q6_K / Q3_K tiled kernel (8 rows or more; its AVX2 microtile): one exact integer per
// super-block, then acc = fma(isum * d_w, d_a, acc).
// `centered`: the codes with their offset taken off, times their scale (Q3_K: `scaled`).
float dot_k_tiled(const WeightRow& w, const std::vector<int16_t>& centered, const Q8Rows& a,
                  int64_t r) {
  const int8_t* aq = a.q_row(r);
  float acc = 0.0f;
  for (int64_t b = 0; b < a.n / QK_K; ++b) {
    const int32_t s = idot(centered.data() + b * QK_K, aq + b * QK_K, QK_K);
    const float result = float(s) * w.d[size_t(b)];
    acc = std::fma(result, a.d_row(r)[b], acc);
  }
  return acc;
}

// Q5_K vec_dot: lane k holds elements 4k..4k+3 of each 32, times the sub-block scale, fused per
// super-block; the mins term sum(min * bsum) goes to a float with dmin = -d_a * dmin_w (fused,
// as GCC contracts ggml's source), added after the lanes.
float dot_q5_k_vec(const WeightRow& w, const Q8Rows& a, int64_t r) {
  const int8_t* aq = a.q_row(r);
  const int32_t* bs = a.bs_row(r);
  float lane[8] = {};
  float summs = 0.0f;
  for (int64_t b = 0; b < a.n / QK_K; ++b) {
    const float d = a.d_row(r)[b] * w.d[size_t(b)];
    const float dmin = -a.d_row(r)[b] * w.dmin[size_t(b)];
    const int16_t* ws = w.scaled.data() + b * QK_K;
    const int8_t* q8 = aq + b * QK_K;
    const int32_t* mn = w.mn.data() + b * 8;
    const int32_t* bsb = bs + b * 16;
    int32_t m = 0;
    for (int s = 0; s < 8; ++s) m += mn[s] * (bsb[2 * s] + bsb[2 * s + 1]);
    summs = std::fma(dmin, float(m), summs);
    int32_t group[QK_K / 4];
    for (int g = 0; g < QK_K / 4; ++g) group[g] = idot(ws + 4 * g, q8 + 4 * g, 4);
    for (int k = 0; k < 8; ++k) {
      int32_t sk = 0;
      for (int c = 0; c < 8; ++c) sk += group[8 * c + k];
      lane[k] = std::fma(d, float(sk), lane[k]);
    }
  }
  return reduce8(lane) + summs;
}

// Q3_K vec_dot: as Q5_K's lanes on the signed codes times their scale, without a min term.
float dot_q3_k_vec(const WeightRow& w, const Q8Rows& a, int64_t r) {
  const int8_t* aq = a.q_row(r);
  float lane[8] = {};
  for (int64_t b = 0; b < a.n / QK_K; ++b) {
    const float d = a.d_row(r)[b] * w.d[size_t(b)];
    const int16_t* ws = w.scaled.data() + b * QK_K;
    const int8_t* q8 = aq + b * QK_K;
    int32_t group[QK_K / 4];
    for (int g = 0; g < QK_K / 4; ++g) group[g] = idot(ws + 4 * g, q8 + 4 * g, 4);
    for (int k = 0; k < 8; ++k) {
      int32_t sk = 0;
      for (int c = 0; c < 8; ++c) sk += group[8 * c + k];
      lane[k] = std::fma(d, float(sk), lane[k]);
    }
  }
  return reduce8(lane);
}

// Q5_K tiled kernel (8 rows or more): per super-block one exact integer for the scales and one
// for the mins; res = d_w * isum, res = fma(-dmin_w, imin, res), acc = fma(res, d_a, acc).
float dot_q5_k_tiled(const WeightRow& w, const Q8Rows& a, int64_t r) {
  const int8_t* aq = a.q_row(r);
  const int32_t* bs = a.bs_row(r);
  float acc = 0.0f;
  for (int64_t b = 0; b < a.n / QK_K; ++b) {
    const int32_t s = idot(w.scaled.data() + b * QK_K, aq + b * QK_K, QK_K);
    const int32_t* mn = w.mn.data() + b * 8;
    const int32_t* bsb = bs + b * 16;
    int32_t m = 0;
    for (int sb = 0; sb < 8; ++sb) m += mn[sb] * (bsb[2 * sb] + bsb[2 * sb + 1]);
    float res = float(s) * w.d[size_t(b)];
    res = std::fma(-w.dmin[size_t(b)], float(m), res);
    acc = std::fma(res, a.d_row(r)[b], acc);
  }
  return acc;
}

// Q4_K repacked 8x8: integer dot and min term per `span` elements (256 in gemv, 64 in gemm), each
// folded into its own accumulator with fma; the min accumulator subtracted at the end.
float dot_q4_k_repacked(const WeightRow& w, const Q8Rows& a, int64_t r, int span) {
  const int8_t* aq = a.q_row(r);
  const int32_t* bs = a.bs_row(r);
  float acc = 0.0f, acc_min = 0.0f;
  for (int64_t b = 0; b < a.n / QK_K; ++b) {
    const float dd = w.d[size_t(b)] * a.d_row(r)[b];
    const float dm = w.dmin[size_t(b)] * a.d_row(r)[b];
    const int16_t* ws = w.scaled.data() + b * QK_K;
    const int8_t* q8 = aq + b * QK_K;
    const int32_t* mn = w.mn.data() + b * 8;
    const int32_t* bsb = bs + b * 16;
    for (int e0 = 0; e0 < QK_K; e0 += span) {
      const int32_t s = idot(ws + e0, q8 + e0, span);
      int32_t m = 0;
      for (int sb = e0 / 32; sb < (e0 + span) / 32; ++sb)
        m += mn[sb] * (bsb[2 * sb] + bsb[2 * sb + 1]);
      acc = std::fma(float(s), dd, acc);
      acc_min = std::fma(float(m), dm, acc_min);
    }
  }
  return acc - acc_min;
}

}  // namespace

bool has_kernel_order(DType weight) {
  return weight == DType::Q8_0 || weight == DType::Q4_0 || weight == DType::Q5_0 ||
         weight == DType::Q4_1 || weight == DType::Q5_1 || weight == DType::Q3_K ||
         weight == DType::Q4_K || weight == DType::Q5_K || weight == DType::Q6_K ||
         weight == DType::F32 || weight == DType::F16;
}

namespace {

// F32 / F16 weights: the activations stay f32 or are rounded to f16; llamafile's tinyBLAS takes
// calls of 2+ rows when k is a multiple of 16 and m of 4, vec_dot the rest.
void matmul_float(const TensorView& W, const float* x, std::span<const int64_t> calls, float* out) {
  const bool f16 = W.dtype == DType::F16;
  const int64_t n = W.cols(), m = W.rows();
  int64_t rows = 0;
  for (int64_t k : calls) rows += k;
  std::vector<float> a(x, x + rows * n);
  if (f16)
    for (float& v : a) v = f16_to_f32(f32_to_f16(v));
  std::vector<bool> tiny(static_cast<size_t>(rows));
  for (int64_t r0 = 0, c = 0; c < int64_t(calls.size()); r0 += calls[size_t(c)], ++c)
    for (int64_t r = r0; r < r0 + calls[size_t(c)]; ++r)
      tiny[size_t(r)] = calls[size_t(c)] >= 2 && n % 16 == 0 && m % 4 == 0;
  parallel_for(m, [&](int64_t o0, int64_t o1, int) {
    std::vector<float> w(static_cast<size_t>(n));
    for (int64_t o = o0; o < o1; ++o) {
      const auto* row = static_cast<const uint8_t*>(W.row(o));
      for (int64_t i = 0; i < n; ++i)
        w[size_t(i)] = f16 ? quant::load_f16(row + 2 * i) : quant::load_f32(row + 4 * i);
      for (int64_t r = 0; r < rows; ++r) {
        const float* ar = a.data() + r * n;
        out[r * m + o] = f16 ? dot_f16(w.data(), ar, n, tiny[size_t(r)])
                             : dot_f32(w.data(), ar, n, tiny[size_t(r)]);
      }
    }
  });
}

}  // namespace

void quantize_q8_0(const float* x, int64_t n, float* d, int8_t* q) {
  if (n % QK != 0) fail("activations", "length", "not a multiple of 32");
  for (int64_t b = 0; b < n / QK; ++b) {
    const float* xb = x + b * QK;
    float amax = 0.0f;
    for (int i = 0; i < QK; ++i) amax = std::max(amax, std::fabs(xb[i]));
    // d = amax/127 kept as f16; the values are scaled by 127/amax, not 1/d.
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    d[b] = f16_to_f32(f32_to_f16(amax / 127.0f));
    for (int i = 0; i < QK; ++i) q[b * QK + i] = int8_t(std::nearbyint(xb[i] * id));
  }
}

void quantize_q8_k(const float* x, int64_t n, float* d, int8_t* q, bool positive_max_first) {
  if (n % QK_K != 0) fail("activations", "length", "not a multiple of 256");
  for (int64_t b = 0; b < n / QK_K; ++b) {
    const float* xb = x + b * QK_K;
    int8_t* qb = q + b * QK_K;
    float max = 0.0f, amax = 0.0f;
    bool positive = false;
    for (int i = 0; i < QK_K; ++i) {
      const float ax = std::fabs(xb[i]);
      if (ax > amax) {
        amax = ax;
        max = xb[i];
      }
    }
    for (int i = 0; i < QK_K && positive_max_first; ++i) positive = positive || xb[i] == amax;
    if (positive) max = amax;
    if (amax == 0.0f) {
      d[b] = 0.0f;
      std::fill(qb, qb + QK_K, int8_t(0));
      continue;
    }
    const float iscale = -127.0f / max;
    for (int i = 0; i < QK_K; ++i)
      qb[i] = int8_t(std::min(127, int(std::nearbyint(iscale * xb[i]))));
    d[b] = 1.0f / iscale;
  }
}

void matmul(const TensorView& W, const float* x, std::span<const int64_t> calls, float* out) {
  const DType t = W.dtype;
  if (!has_kernel_order(t))
    fail(W.name, "type", std::string(dtype_info(t).name) + ": no llama.cpp kernel order here");
  if (t == DType::F32 || t == DType::F16) return matmul_float(W, x, calls, out);
  const int64_t n = W.cols(), m = W.rows();
  // Per activation row: the rows of its call, and its index there (ggml picks its kernel by both).
  std::vector<std::pair<int64_t, int64_t>> call_of;
  for (int64_t k : calls)
    for (int64_t i = 0; i < k; ++i) call_of.emplace_back(k, i);
  const int64_t rows = int64_t(call_of.size());
  // Q4_K: ggml packs each call's rows in fours for its gemm and quantizes the rest one by one.
  auto q4k_gemm = [](int64_t call_rows, int64_t i) {
    return call_rows > 3 && i < call_rows - call_rows % 4;
  };
  Q8Rows a;
  if (t == DType::Q3_K || t == DType::Q4_K || t == DType::Q5_K || t == DType::Q6_K) {
    std::vector<bool> packed(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r)
      packed[size_t(r)] =
          t == DType::Q4_K && q4k_gemm(call_of[size_t(r)].first, call_of[size_t(r)].second);
    a = quantize_rows_q8_k(x, rows, n, packed);
  } else {
    a = quantize_rows_q8_0(x, rows, n, t == DType::Q4_1 || t == DType::Q5_1);
  }
  parallel_for(m, [&](int64_t o0, int64_t o1, int) {
    WeightRow w;
    for (int64_t o = o0; o < o1; ++o) {
      const auto* row = static_cast<const uint8_t*>(W.row(o));
      if (t == DType::Q8_0) {  // read in place
        const auto* codes = reinterpret_cast<const int8_t*>(row + quant::q8_0::qs);
        for (int64_t r = 0; r < rows; ++r)
          out[r * m + o] =
              dot_q0(codes, quant::q8_0::bytes, nullptr, a.q_row(r), a.d_row(r), n / QK);
        continue;
      }
      decode_row(t, row, n, w);
      for (int64_t r = 0; r < rows; ++r) {
        const auto [call_rows, i] = call_of[size_t(r)];
        float v;
        if (t == DType::Q4_K)
          v = dot_q4_k_repacked(w, a, r, q4k_gemm(call_rows, i) ? 64 : QK_K);
        else if (t == DType::Q6_K)
          v = call_rows >= 8 ? dot_k_tiled(w, w.scaled_centered, a, r) : dot_q6_k_vec(w, a, r);
        else if (t == DType::Q3_K)
          v = call_rows >= 8 ? dot_k_tiled(w, w.scaled, a, r) : dot_q3_k_vec(w, a, r);
        else if (t == DType::Q5_K)
          v = call_rows >= 8 ? dot_q5_k_tiled(w, a, r) : dot_q5_k_vec(w, a, r);
        else if (t == DType::Q4_0 && m % 8 == 0)  // repacked for AVX2 when rows come in eights
          v = dot_q4_0_repacked(w, a, r);
        else if (t == DType::Q4_1 || t == DType::Q5_1)
          v = dot_q1(w, a, r);
        else
          v = dot_q0(w.q.data(), QK, w.d.data(), a.q_row(r), a.d_row(r), n / QK);
        out[r * m + o] = v;
      }
    }
  });
}

void matmul(const TensorView& W, const float* x, int64_t rows, float* out) {
  const int64_t one_call[1] = {rows};
  matmul(W, x, std::span<const int64_t>(one_call, rows > 0 ? 1 : 0), out);
}

namespace {

// tinyBLAS<16, __m512>: one accumulator of 16 lanes over the whole length.
float dot_16_lanes(const float* x, const float* y, int64_t n) {
  float lane[16] = {};
  for (int64_t i = 0; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; ++l) lane[l] = std::fma(x[i + l], y[i + l], lane[l]);
  return reduce16(lane);
}

// ggml_vec_dot_f16 / _f32: four accumulators of 16 lanes over steps of 64, folded (0+2, 1+3,
// then both) and reduced; returns the reduced sum, *np the elements covered.
float dot_4x16_lanes(const float* x, const float* y, int64_t n, int64_t* np) {
  float acc[4][16] = {};
  *np = n & ~int64_t(63);
  for (int64_t i = 0; i < *np; i += 64)
    for (int j = 0; j < 4; ++j)
      for (int l = 0; l < 16; ++l)
        acc[j][l] = std::fma(x[i + 16 * j + l], y[i + 16 * j + l], acc[j][l]);
  float folded[16];
  for (int l = 0; l < 16; ++l) folded[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
  return reduce16(folded);
}

}  // namespace

float dot_f32(const float* x, const float* y, int64_t n, bool batched) {
  if (batched) return dot_16_lanes(x, y, n);
  int64_t np;
  float sum = dot_4x16_lanes(x, y, n, &np);
  for (int64_t i = np; i < n; ++i) sum = sum + x[i] * y[i];  // in float, not fused
  return sum;
}

void softcap(float* x, int64_t n, float cap) {
  const float inv = 1.0f / cap;
  for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i] * inv) * cap;
}

float dot_f16(const float* x, const float* y, int64_t n, bool batched) {
  if (batched) return dot_16_lanes(x, y, n);
  int64_t np;
  double sum = double(dot_4x16_lanes(x, y, n, &np));  // ggml keeps this sum in a double
  for (int64_t i = np; i < n; ++i) sum += double(x[i] * y[i]);
  return float(sum);
}

float v_expf(float x) {
  const float r = 0x1.8p23f;
  const float z = std::fma(x, 0x1.715476p+0f, r);
  const float n = z - r;
  const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
  const float u = b * b;
  const float j = std::fma(std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                                    std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                           u, std::fma(0x1.ffffecp-1f, b, 1.0f));
  if (std::fabs(n) > 192.0f) return n <= 0.0f ? 0.0f : std::numeric_limits<float>::infinity();
  return std::ldexp(j, int(n));
}

void softmax(float* x, int64_t n) {
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) max = std::max(max, x[i]);
  double sum = 0.0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    float v[16];
    for (int l = 0; l < 16; ++l) {
      const float xi = x[i + l];
      v[l] = xi == -std::numeric_limits<float>::infinity() ? 0.0f : v_expf(xi - max);
      x[i + l] = v[l];
    }
    sum += double(reduce16(v));
  }
  for (; i < n; ++i) {
    const float v = std::exp(x[i] - max);
    sum += double(v);
    x[i] = v;
  }
  const float inv = float(1.0 / sum);
  for (int64_t k = 0; k < n; ++k) x[k] *= inv;
}

}  // namespace knowscope::ggml_numerics
