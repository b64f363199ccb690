// Whole-matrix helpers over the row kernels: dequantize a panel of rows, matrix-vector product.
#include "knowscope/core/error.h"
#include "knowscope/core/parallel.h"
#include "knowscope/core/quant.h"

namespace knowscope {
namespace {

void check_view(const TensorView& w, const char* what) {
  if (w.empty()) fail(w.name, what, "tensor has no data");
  if (size_t(w.rows()) * w.row_bytes() > w.nbytes)
    fail(w.name, what,
         dtype_name(w.dtype) + " " + shape_str(w.shape) + " needs more than its " +
             std::to_string(w.nbytes) + " bytes");
}

}  // namespace

void dequantize_rows(const TensorView& w, int64_t row_begin, int64_t row_end, float* dst) {
  check_view(w, "dequantize_rows");
  if (row_begin < 0 || row_end < row_begin || row_end > w.rows())
    fail(w.name, "dequantize_rows",
         "rows [" + std::to_string(row_begin) + ", " + std::to_string(row_end) + ") outside [0, " +
             std::to_string(w.rows()) + ")");
  const int64_t cols = w.cols();
  for (int64_t r = row_begin; r < row_end; ++r)
    dequantize_row(w.dtype, w.row(r), dst + (r - row_begin) * cols, cols);
}

void matvec(const TensorView& w, const float* x, float* y) {
  check_view(w, "matvec");
  const int64_t cols = w.cols();
  const size_t row_bytes = w.row_bytes();
  const char* base = static_cast<const char*>(w.data);
  // Chunks of at least ~64 KiB of weights, so that small matrices do not pay for waking threads.
  const int64_t min_rows = std::max<int64_t>(1, int64_t(65536 / std::max<size_t>(row_bytes, 1)));
  parallel_for(
      w.rows(),
      [&](int64_t begin, int64_t end, int) {
        for (int64_t r = begin; r < end; ++r)
          y[r] = dot_row(w.dtype, base + size_t(r) * row_bytes, x, cols);
      },
      min_rows);
}

}  // namespace knowscope
