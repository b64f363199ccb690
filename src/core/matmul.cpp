#include "knowscope/core/matmul.h"

#include <cblas.h>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

#include "core/linear_tiles.h"
#include "core/simd_sum.h"
#include "knowscope/core/error.h"
#include "knowscope/core/ops.h"
#include "knowscope/core/parallel.h"
#include "knowscope/core/quant.h"

namespace knowscope {
namespace {

std::atomic<LinearPath> g_path{LinearPath::Auto};

// parallel_for takes a std::function, which heap-allocates a lambda with many captures on every
// call (every layer, every token); a lambda holding one reference is stored in place.
template <typename F>
void parallel_ranges(int64_t n, F&& body, int64_t min_chunk = 1) {
  parallel_for(
      n, [&body](int64_t b, int64_t e, int t) { body(b, e, t); }, min_chunk);
}

// Rows of W per sgemm panel: about 512 KiB of float32, so a panel stays in L2 (1 MiB here) while
// the sgemm sweeps over x (measured: 128 KiB panels lose ~10% to repacking x, 512 KiB and more
// are equal).
int64_t panel_rows(int64_t in, int64_t out) {
  int64_t p = (512 * 1024 / 4) / std::max<int64_t>(1, in);
  p = std::clamp<int64_t>(p / 16 * 16, 16, 4096);
  return std::min(p, out);
}

void check_args(const float* x, int64_t T, const TensorView& w, const float* y) {
  if (w.shape.size() != 2)
    fail(w.name, "shape", "linear weight must be 2-D, got " + shape_str(w.shape));
  if (T < 0) fail(w.name, "rows", "negative row count");
  if (T > 0 && (!x || !y || !w.data)) fail(w.name, "data", "null pointer passed to linear");
}

void linear_dot(const float* x, int64_t T, const TensorView& w, float* y, const float* bias) {
  const int64_t in = w.cols(), out = w.rows();
  const DType dt = w.dtype;
  const size_t rb = w.row_bytes();
  const char* base = static_cast<const char*>(w.data);
  parallel_ranges(
      out,
      [&](int64_t r0, int64_t r1, int) {
        for (int64_t r = r0; r < r1; ++r) {
          const void* row = base + size_t(r) * rb;
          float b = bias ? bias[r] : 0.0f;
          for (int64_t t = 0; t < T; ++t) {
            float d = dt == DType::F32 ? dot_f32(static_cast<const float*>(row), x + t * in, in)
                                       : dot_row(dt, row, x + t * in, in);
            y[t * out + r] = d + b;
          }
        }
      },
      64);
}

// Four dot products of one (dequantized) weight row with four activation rows: the weights are
// loaded once for all four.
void dot4(const float* w, const float* x0, const float* x1, const float* x2, const float* x3,
          int64_t n, float* out) {
#if defined(__AVX512F__)
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 wv = _mm512_loadu_ps(w + i);
    a0 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x0 + i), a0);
    a1 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x1 + i), a1);
    a2 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x2 + i), a2);
    a3 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x3 + i), a3);
  }
  float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  for (; i < n; ++i) {
    t0 += w[i] * x0[i];
    t1 += w[i] * x1[i];
    t2 += w[i] * x2[i];
    t3 += w[i] * x3[i];
  }
  out[0] = hsum16(a0) + t0;
  out[1] = hsum16(a1) + t1;
  out[2] = hsum16(a2) + t2;
  out[3] = hsum16(a3) + t3;
#else
  out[0] = dot_f32(w, x0, n);
  out[1] = dot_f32(w, x1, n);
  out[2] = dot_f32(w, x2, n);
  out[3] = dot_f32(w, x3, n);
#endif
}

// A few rows (2 <= T < the sgemm threshold): dequantize each weight row once into a buffer that
// stays in L1, then take its dot products with all T activation rows.
void linear_rows(const float* x, int64_t T, const TensorView& w, float* y, const float* bias) {
  const int64_t in = w.cols(), out = w.rows();
  const size_t rb = w.row_bytes();
  const char* base = static_cast<const char*>(w.data);
  const bool is_f32 = w.dtype == DType::F32;
  parallel_ranges(
      out,
      [&](int64_t r0, int64_t r1, int) {
        thread_local std::vector<float> buf;
        if (buf.size() < size_t(in)) buf.resize(size_t(in));
        float d[4];
        for (int64_t r = r0; r < r1; ++r) {
          const float* wr = reinterpret_cast<const float*>(base + size_t(r) * rb);
          if (!is_f32) {
            dequantize_row(w.dtype, base + size_t(r) * rb, buf.data(), in);
            wr = buf.data();
          }
          const float b = bias ? bias[r] : 0.0f;
          int64_t t = 0;
          for (; t + 4 <= T; t += 4) {
            dot4(wr, x + t * in, x + (t + 1) * in, x + (t + 2) * in, x + (t + 3) * in, in, d);
            for (int k = 0; k < 4; ++k) y[(t + k) * out + r] = d[k] + b;
          }
          for (; t < T; ++t) y[t * out + r] = dot_f32(wr, x + t * in, in) + b;
        }
      },
      64);
}

void linear_gemm(const float* x, int64_t T, const TensorView& w, float* y, const float* bias) {
  blas_use_one_thread();
  const int64_t in = w.cols(), out = w.rows();
  const int64_t P = panel_rows(in, out);
  const int64_t n_panels = (out + P - 1) / P;
  const size_t rb = w.row_bytes();
  const char* base = static_cast<const char*>(w.data);
  const bool is_f32 = w.dtype == DType::F32;
  parallel_ranges(n_panels, [&](int64_t p0, int64_t p1, int) {
    thread_local std::vector<float> scratch;
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t r0 = p * P, rows = std::min(P, out - r0);
      const float* panel;
      if (is_f32) {
        panel = reinterpret_cast<const float*>(base + size_t(r0) * rb);
      } else {
        if (scratch.size() < size_t(rows * in)) scratch.resize(size_t(rows * in));
        for (int64_t r = 0; r < rows; ++r)
          dequantize_row(w.dtype, base + size_t(r0 + r) * rb, scratch.data() + r * in, in);
        panel = scratch.data();
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(T), int(rows), int(in), 1.0f, x,
                  int(in), panel, int(in), 0.0f, y + r0, int(out));
      if (bias)
        for (int64_t t = 0; t < T; ++t) {
          float* yr = y + t * out + r0;
          for (int64_t r = 0; r < rows; ++r) yr[r] += bias[r0 + r];
        }
    }
  });
}

}  // namespace

void blas_use_one_thread() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

LinearPath linear_path() { return g_path.load(); }
void set_linear_path(LinearPath p) { g_path.store(p); }

void linear(const float* x, int64_t T, const TensorView& w, float* y, const float* bias) {
  check_args(x, T, w, y);
  if (T == 0 || w.rows() == 0) return;
  LinearPath path = g_path.load();
  switch (path) {
    case LinearPath::Auto:
    case LinearPath::Tiles:
      return tiles::linear_tiles(x, T, w, y, bias);
    case LinearPath::Dot:
      return linear_dot(x, T, w, y, bias);
    case LinearPath::Rows:
      return linear_rows(x, T, w, y, bias);
    case LinearPath::Gemm:
      return linear_gemm(x, T, w, y, bias);
  }
}

}  // namespace knowscope
