// llama.cpp's quantized kernels with their order of float operations (see the header): the
// activation quantizers, one function per kernel, and matmul's dispatch. Like every ggml_*.cpp
// here compiled with -ffp-contract=off: every fused multiply-add is an explicit std::fma, every
// other product and sum is rounded on its own, as in the SIMD code it reproduces.
#include "knowscope/core/ggml_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "core/ggml_lanes.h"
#include "core/quant_blocks.h"
#include "knowscope/core/error.h"
#include "knowscope/core/half.h"
#include "knowscope/core/parallel.h"

namespace knowscope::ggml_numerics {
namespace {

using quant::QK;
using quant::QK_K;

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

// Q8_0 rows; with_sum: Q8_1, with its block sums.
Q8Rows quantize_rows_q8_0(const float* x, int64_t rows, int64_t n, bool with_sum) {
  Q8Rows a{n,  QK, std::vector<float>(size_t(rows * n / QK)), std::vector<int8_t>(size_t(rows * n)),
           {}, {}};
  if (with_sum) a.block_sum.resize(a.d.size());
  for (int64_t r = 0; r < rows; ++r)
    quantize_q8_0(x + r * n, n, a.d.data() + r * (n / QK), a.q.data() + r * n,
                  with_sum ? a.block_sum.data() + r * (n / QK) : nullptr);
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

// The integer lanes of ggml's K-quant vec_dot over one super-block: lane k sums the scaled
// products of elements 4k..4k+3 of each 32 (exact).
void k_lanes(const int16_t* scaled, const int8_t* q8, int32_t lane[8]) {
  for (int k = 0; k < 8; ++k) lane[k] = 0;
  for (int c = 0; c < 8; ++c)
    for (int k = 0; k < 8; ++k) lane[k] += idot(scaled + 32 * c + 4 * k, q8 + 32 * c + 4 * k, 4);
}

// Q6_K vec_dot: the lanes on unsigned codes; the codes' offset of 32 comes off as
// 32*(bsum*scale) of sub-blocks 2k and 2k+1 in lane k.
float dot_q6_k_vec(const WeightRow& w, const Q8Rows& a, int64_t r) {
  const int32_t* bs = a.bs_row(r);
  float lane[8] = {};
  for (int64_t b = 0; b < a.n / QK_K; ++b) {
    const float d = a.d_row(r)[b] * w.d[size_t(b)];
    const int32_t* sc = w.sc.data() + b * 16;
    const int32_t* bsb = bs + b * 16;
    int32_t s[8];
    k_lanes(w.scaled.data() + b * QK_K, a.q_row(r) + b * QK_K, s);
    for (int k = 0; k < 8; ++k) {
      s[k] -= 32 * (bsb[2 * k] * sc[2 * k] + bsb[2 * k + 1] * sc[2 * k + 1]);
      lane[k] = std::fma(d, float(s[k]), lane[k]);
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

// Q5_K / Q3_K vec_dot: the lanes, fused per super-block. Q5_K's min term sum(min * bsum) goes
// to a float with dmin = -d_a * dmin_w (fused, as GCC contracts ggml's source), added after the
// lanes; Q3_K (signed codes) has none.
float dot_q5_q3_k_vec(const WeightRow& w, const Q8Rows& a, int64_t r, bool has_min) {
  const int32_t* bs = a.bs_row(r);
  float lane[8] = {};
  float summs = 0.0f;
  for (int64_t b = 0; b < a.n / QK_K; ++b) {
    const float d = a.d_row(r)[b] * w.d[size_t(b)];
    if (has_min) {
      const int32_t* mn = w.mn.data() + b * 8;
      const int32_t* bsb = bs + b * 16;
      int32_t m = 0;
      for (int k = 0; k < 8; ++k) m += mn[k] * (bsb[2 * k] + bsb[2 * k + 1]);
      summs = std::fma(-a.d_row(r)[b] * w.dmin[size_t(b)], float(m), summs);
    }
    int32_t s[8];
    k_lanes(w.scaled.data() + b * QK_K, a.q_row(r) + b * QK_K, s);
    for (int k = 0; k < 8; ++k) lane[k] = std::fma(d, float(s[k]), lane[k]);
  }
  return reduce8(lane) + summs;
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

// Q4_K and Q2_K repacked 8x8: integer dot and min term per `span` elements (256 in gemv; 64 for
// Q4_K, 128 for Q2_K in gemm), each folded into its own accumulator with fma; the min accumulator
// subtracted at the end. `sub`: elements per scale and min (32 for Q4_K, 16 for Q2_K).
float dot_k_repacked(const WeightRow& w, const Q8Rows& a, int64_t r, int span, int sub) {
  const int8_t* aq = a.q_row(r);
  const int32_t* bs = a.bs_row(r);
  const int per_block = QK_K / sub;
  float acc = 0.0f, acc_min = 0.0f;
  for (int64_t b = 0; b < a.n / QK_K; ++b) {
    const float dd = w.d[size_t(b)] * a.d_row(r)[b];
    const float dm = w.dmin[size_t(b)] * a.d_row(r)[b];
    const int16_t* ws = w.scaled.data() + b * QK_K;
    const int8_t* q8 = aq + b * QK_K;
    const int32_t* mn = w.mn.data() + b * per_block;
    const int32_t* bsb = bs + b * 16;
    for (int e0 = 0; e0 < QK_K; e0 += span) {
      const int32_t s = idot(ws + e0, q8 + e0, span);
      int32_t m = 0;
      for (int k = e0 / sub; k < (e0 + span) / sub; ++k) {
        int32_t bsum = 0;  // the activations' sum over this scale's elements
        for (int g = k * sub / 16; g < (k + 1) * sub / 16; ++g) bsum += bsb[g];
        m += mn[k] * bsum;
      }
      acc = std::fma(float(s), dd, acc);
      acc_min = std::fma(float(m), dm, acc_min);
    }
  }
  return acc - acc_min;
}

}  // namespace

bool has_kernel_order(const TensorView& W) {
  // Q4_K and Q2_K are reproduced as ggml repacks them, which needs the rows in eights.
  if ((W.dtype == DType::Q4_K || W.dtype == DType::Q2_K) && W.rows() % 8 != 0) return false;
  return has_kernel_order(W.dtype);
}

bool has_kernel_order(DType weight) {
  return weight == DType::Q8_0 || weight == DType::Q4_0 || weight == DType::Q5_0 ||
         weight == DType::Q2_K || weight == DType::Q4_1 || weight == DType::Q5_1 ||
         weight == DType::Q3_K || weight == DType::Q4_K || weight == DType::Q5_K ||
         weight == DType::Q6_K || weight == DType::F32 || weight == DType::F16;
}

void quantize_q8_0(const float* x, int64_t n, float* d, int8_t* q, float* block_sum) {
  if (n % QK != 0) fail("activations", "length", "not a multiple of 32");
  for (int64_t b = 0; b < n / QK; ++b) {
    const float* xb = x + b * QK;
    float amax = 0.0f;
    for (int i = 0; i < QK; ++i) amax = std::max(amax, std::fabs(xb[i]));
    // d = amax/127 kept as f16; the values are scaled by 127/amax, not 1/d.
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    d[b] = f16_to_f32(f32_to_f16(amax / 127.0f));
    int32_t sum = 0;
    for (int i = 0; i < QK; ++i) {
      q[b * QK + i] = int8_t(std::nearbyint(xb[i] * id));
      sum += q[b * QK + i];
    }
    // Q8_1: s = f16(d * sum(q)) with d before its f16 rounding.
    if (block_sum) block_sum[b] = f16_to_f32(f32_to_f16(amax / 127.0f * float(sum)));
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
  if (!has_kernel_order(W))
    fail(W.name, "type", std::string(dtype_info(t).name) + ": no llama.cpp kernel order here");
  if (t == DType::F32 || t == DType::F16) return matmul_float(W, x, calls, out);
  const int64_t n = W.cols(), m = W.rows();
  // Per activation row: the rows of its call, and its index there (ggml picks its kernel by both).
  std::vector<std::pair<int64_t, int64_t>> call_of;
  for (int64_t k : calls)
    for (int64_t i = 0; i < k; ++i) call_of.emplace_back(k, i);
  const int64_t rows = int64_t(call_of.size());
  // Q4_K / Q2_K: ggml packs each call's rows in fours for its gemm and quantizes the rest one by
  // one.
  auto packed_gemm = [](int64_t call_rows, int64_t i) {
    return call_rows > 3 && i < call_rows - call_rows % 4;
  };
  Q8Rows a;
  const bool repacked = t == DType::Q4_K || t == DType::Q2_K;
  if (repacked || t == DType::Q3_K || t == DType::Q5_K || t == DType::Q6_K) {
    std::vector<bool> packed(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r)
      packed[size_t(r)] =
          repacked && packed_gemm(call_of[size_t(r)].first, call_of[size_t(r)].second);
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
          v = dot_k_repacked(w, a, r, packed_gemm(call_rows, i) ? 64 : QK_K, 32);
        else if (t == DType::Q2_K)
          v = dot_k_repacked(w, a, r, packed_gemm(call_rows, i) ? 128 : QK_K, 16);
        else if (t == DType::Q6_K)
          v = call_rows >= 8 ? dot_k_tiled(w, w.scaled_centered, a, r) : dot_q6_k_vec(w, a, r);
        else if (t == DType::Q3_K)
          v = call_rows >= 8 ? dot_k_tiled(w, w.scaled, a, r) : dot_q5_q3_k_vec(w, a, r, false);
        else if (t == DType::Q5_K)
          v = call_rows >= 8 ? dot_q5_k_tiled(w, a, r) : dot_q5_q3_k_vec(w, a, r, true);
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

}  // namespace knowscope::ggml_numerics
