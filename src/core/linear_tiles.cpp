#include "core/linear_tiles.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>
#include <vector>

#include "core/quant_blocks.h"
#include "core/quant_simd.h"
#include "core/simd_sum.h"
#include "knowscope/core/parallel.h"
#include "knowscope/core/quant.h"

namespace knowscope::tiles {
namespace {

constexpr int kTx = 4;  // activation rows per tile
constexpr int kRw = 6;  // weight rows per tile

#if defined(__AVX512F__)
// hsum16 of a, b, c and d into out[0], out[4], out[8], out[12]: lanes j + 8, then j + 4, j + 2,
// j + 1, as hsum16 pairs them, with the four sums sharing the shuffles.
inline void store_hsum4(__m512 a, __m512 b, __m512 c, __m512 d, float* out) {
  // [a0..7 + a8..15 | b0..7 + b8..15], the same for c, d.
  const __m512 ab = _mm512_add_ps(_mm512_mask_shuffle_f32x4(a, 0xFFFF, a, b, 0x44),
                                  _mm512_mask_shuffle_f32x4(a, 0xFFFF, a, b, 0xEE));
  const __m512 cd = _mm512_add_ps(_mm512_mask_shuffle_f32x4(c, 0xFFFF, c, d, 0x44),
                                  _mm512_mask_shuffle_f32x4(c, 0xFFFF, c, d, 0xEE));
  // Blocks of four: [a: j + (j + 4) | b: ... | c | d].
  const __m512 e = _mm512_add_ps(_mm512_mask_shuffle_f32x4(ab, 0xFFFF, ab, cd, 0x88),
                                 _mm512_mask_shuffle_f32x4(ab, 0xFFFF, ab, cd, 0xDD));
  // In each block: lanes 0, 1 += lanes 2, 3; then lane 0 += lane 1.
  const __m512 f = _mm512_add_ps(e, _mm512_mask_permute_ps(e, 0xFFFF, e, 0x0E));
  _mm512_store_ps(out, _mm512_add_ps(f, _mm512_mask_permute_ps(f, 0xFFFF, f, 0x01)));
}
#endif

// One tile: TX activation rows (stride ldx) against RW weight rows (stride ldw), each output one
// 16-lane FMA chain over k then the hsum16 tree. y[i * ldy + j] for i < TX, j < RW.
template <int TX, int RW>
void tile(const float* x, int64_t ldx, const float* w, int64_t ldw, int64_t n, float* y,
          int64_t ldy, const float* bias) {
#if defined(__AVX512F__)
  __m512 acc[TX][RW];
#pragma GCC unroll 8
  for (int i = 0; i < TX; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < RW; ++j) acc[i][j] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 16 <= n; k += 16) {
    __m512 xv[TX];
#pragma GCC unroll 8
    for (int i = 0; i < TX; ++i) xv[i] = _mm512_loadu_ps(x + i * ldx + k);
#pragma GCC unroll 8
    for (int j = 0; j < RW; ++j) {
      __m512 wv = _mm512_loadu_ps(w + j * ldw + k);
      // Keep the weights in a register: GCC would otherwise fold the load into each of the TX
      // FMAs, and loads, not FMAs, would bound the loop (one 512-bit load per cycle on Zen 4).
      asm("" : "+v"(wv));
#pragma GCC unroll 8
      for (int i = 0; i < TX; ++i) acc[i][j] = _mm512_fmadd_ps(wv, xv[i], acc[i][j]);
    }
  }
  if (k < n) {
    const __mmask16 m = __mmask16((1u << (n - k)) - 1);
    __m512 xv[TX];
    for (int i = 0; i < TX; ++i) xv[i] = _mm512_maskz_loadu_ps(m, x + i * ldx + k);
    for (int j = 0; j < RW; ++j) {
      const __m512 wv = _mm512_maskz_loadu_ps(m, w + j * ldw + k);
      for (int i = 0; i < TX; ++i) acc[i][j] = _mm512_fmadd_ps(wv, xv[i], acc[i][j]);
    }
  }
  // Horizontal sums four accumulators at a time, paired as hsum16 pairs them.
  constexpr int kN = TX * RW, kGroups = (kN + 3) / 4;
  alignas(64) float sums[kGroups * 16];
#pragma GCC unroll 8
  for (int g = 0; g < kGroups; ++g) {
    __m512 v[4];
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q)
      v[q] = 4 * g + q < kN ? acc[(4 * g + q) / RW][(4 * g + q) % RW] : _mm512_setzero_ps();
    store_hsum4(v[0], v[1], v[2], v[3], sums + 16 * g);
  }
  for (int i = 0; i < TX; ++i)
    for (int j = 0; j < RW; ++j) {
      const float s = sums[16 * ((i * RW + j) / 4) + 4 * ((i * RW + j) % 4)];
      y[i * ldy + j] = bias ? s + bias[j] : s;
    }
#else
  // The same arithmetic lane by lane: sixteen fused chains, then the same tree.
  for (int i = 0; i < TX; ++i)
    for (int j = 0; j < RW; ++j) {
      float a[16] = {};
      const float* xr = x + i * ldx;
      const float* wr = w + j * ldw;
      for (int64_t k = 0; k < n; k += 16)
        for (int l = 0; l < 16 && k + l < n; ++l) a[l] = std::fma(wr[k + l], xr[k + l], a[l]);
      for (int s = 8; s >= 1; s /= 2)
        for (int l = 0; l < s; ++l) a[l] += a[l + s];
      y[i * ldy + j] = bias ? a[0] + bias[j] : a[0];
    }
#endif
}

#if defined(__AVX512F__) && defined(KNOWSCOPE_QUANT_SIMD)
// One activation row against R Q8_0 / Q5_0 weight rows, dequantized in registers by the very
// operations of dequantize_row's vector blocks (vec::q8_0_block, vec::q5_0_block), so the weights
// are the same floats and each output the same FMA chain and tree as tile<1, 4> on a dequantized
// panel: bit-identical, without writing the panel. For generation with one sequence, where the
// write and re-read of dequantized weights would dominate (the 262k x 640 Q8_0 unembedding).
// (Tested by Linear.DefaultPathIsBatchInvariant: one row equals the same row in a batch.)
struct Q8_0Block {
  static constexpr int bytes = quant::q8_0::bytes;
  static void load(const uint8_t* b, __m512& lo, __m512& hi) {
    using namespace simd;
    const F16x d = set1(quant::load_f16(b + quant::q8_0::d));
    lo = mul(from_i8(load16(b + quant::q8_0::qs)), d).v;
    hi = mul(from_i8(load16(b + quant::q8_0::qs + 16)), d).v;
  }
};
struct Q5_0Block {
  static constexpr int bytes = quant::q5_0::bytes;
  static void load(const uint8_t* b, __m512& lo, __m512& hi) {
    using namespace simd;
    const F16x d = set1(quant::load_f16(b + quant::q5_0::d));
    const uint32_t qh = quant::load_u32(b + quant::q5_0::qh);
    const __m128i q = load16(b + quant::q5_0::qs), sixteen = _mm_set1_epi8(16);
    const __m128i l = _mm_or_si128(low_nibbles(q), bits_to_0x10(qh));
    const __m128i h = _mm_or_si128(high_nibbles(q), bits_to_0x10(qh >> 16));
    lo = mul(from_i8(_mm_sub_epi8(l, sixteen)), d).v;
    hi = mul(from_i8(_mm_sub_epi8(h, sixteen)), d).v;
  }
};

template <typename Block, int R>
void fused_rows(const uint8_t* w, size_t rb, const float* x, int64_t n, float* y,
                const float* bias) {
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                   _mm512_setzero_ps()};
  for (int64_t b = 0; b < n / 32; ++b) {
    const __m512 x0 = _mm512_loadu_ps(x + 32 * b), x1 = _mm512_loadu_ps(x + 32 * b + 16);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const uint8_t* blk = w + size_t(r) * rb + size_t(b) * Block::bytes;
      // Fetch ~8 blocks ahead (measured: faster on the 262k-row unembedding).
      _mm_prefetch(reinterpret_cast<const char*>(blk) + 8 * Block::bytes, _MM_HINT_T0);
      __m512 lo, hi;
      Block::load(blk, lo, hi);
      acc[r] = _mm512_fmadd_ps(lo, x0, acc[r]);
      acc[r] = _mm512_fmadd_ps(hi, x1, acc[r]);
    }
  }
  alignas(64) float sums[16];
  store_hsum4(acc[0], acc[1], acc[2], acc[3], sums);
  for (int r = 0; r < R; ++r) y[r] = bias ? sums[4 * r] + bias[r] : sums[4 * r];
}

// Row after row: with four rows interleaved (four chains in flight) the four byte streams
// defeated the prefetchers and it ran slower (measured on the 262k-row unembedding).
template <typename Block>
void fused_matvec(const float* x, const TensorView& w, float* y, const float* bias, int64_t r0,
                  int64_t r1) {
  const size_t rb = w.row_bytes();
  const uint8_t* base = static_cast<const uint8_t*>(w.data);
  for (int64_t r = r0; r < r1; ++r)
    fused_rows<Block, 1>(base + size_t(r) * rb, rb, x, w.cols(), y + r, bias ? bias + r : nullptr);
}
#endif

using TileFn = void (*)(const float*, int64_t, const float*, int64_t, int64_t, float*, int64_t,
                        const float*);

template <int TX, int... RW>
constexpr auto tile_row(std::integer_sequence<int, RW...>) {
  return std::array<TileFn, sizeof...(RW)>{&tile<TX, RW + 1>...};
}

template <int... TX>
constexpr auto tile_table(std::integer_sequence<int, TX...>) {
  return std::array<std::array<TileFn, kRw>, sizeof...(TX)>{
      tile_row<TX + 1>(std::make_integer_sequence<int, kRw>{})...};
}

constexpr auto kTiles = tile_table(std::make_integer_sequence<int, kTx>{});

// Weight rows dequantized at a time: one tile's worth for a few activation rows (it stays in L1
// while they pass), else about 512 KiB of float32 (L2) that all activation tiles sweep.
int64_t panel_rows(int64_t T, int64_t in) {
  if (T <= kTx) return kRw;
  int64_t p = (512 * 1024 / 4) / std::max<int64_t>(1, in);
  return std::clamp<int64_t>(p / kRw * kRw, kRw, 4096 / kRw * kRw);
}

}  // namespace

void linear_tiles(const float* x, int64_t T, const TensorView& w, float* y, const float* bias) {
  const int64_t in = w.cols(), out = w.rows();
  const size_t rb = w.row_bytes();
  const char* base = static_cast<const char*>(w.data);
  const bool is_f32 = w.dtype == DType::F32;
  const int64_t P = panel_rows(T, in);
  const int64_t units = (out + kRw - 1) / kRw;
  // At least ~128k multiply-adds per thread: smaller layers stay on one thread, where a hand-off
  // would cost more than the work (and much more on a busy machine).
  const int64_t min_units =
      std::max<int64_t>(1, (int64_t(1) << 17) / std::max<int64_t>(1, kRw * in * T));
  auto body = [&](int64_t u0, int64_t u1) {
    thread_local std::vector<float> scratch;
    const int64_t r_end = std::min(out, u1 * kRw);
#if defined(__AVX512F__) && defined(KNOWSCOPE_QUANT_SIMD)
    if (T == 1 && w.dtype == DType::Q8_0)
      return fused_matvec<Q8_0Block>(x, w, y, bias, u0 * kRw, r_end);
    if (T == 1 && w.dtype == DType::Q5_0)
      return fused_matvec<Q5_0Block>(x, w, y, bias, u0 * kRw, r_end);
#endif
    for (int64_t p0 = u0 * kRw; p0 < r_end; p0 += P) {
      const int64_t rows = std::min(P, r_end - p0);
      const float* panel;
      if (is_f32) {
        panel = reinterpret_cast<const float*>(base + size_t(p0) * rb);
      } else {
        if (scratch.size() < size_t(rows * in)) scratch.resize(size_t(rows * in));
        for (int64_t r = 0; r < rows; ++r)
          dequantize_row(w.dtype, base + size_t(p0 + r) * rb, scratch.data() + r * in, in);
        panel = scratch.data();
      }
      for (int64_t t0 = 0; t0 < T; t0 += kTx) {
        const int tx = int(std::min<int64_t>(kTx, T - t0));
        for (int64_t j0 = 0; j0 < rows; j0 += kRw) {
          const int rw = int(std::min<int64_t>(kRw, rows - j0));
          kTiles[size_t(tx - 1)][size_t(rw - 1)](x + t0 * in, in, panel + j0 * in, in, in,
                                                 y + t0 * out + p0 + j0, out,
                                                 bias ? bias + p0 + j0 : nullptr);
        }
      }
    }
  };
  // A lambda holding one reference fits std::function's in-place storage: no allocation per call.
  parallel_for(
      units, [&body](int64_t u0, int64_t u1, int) { body(u0, u1); }, min_units);
}

}  // namespace knowscope::tiles
