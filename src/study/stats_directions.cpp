// Difference-of-means directions and projections onto them.
#include <cmath>
#include <string>

#include "knowscope/core/error.h"
#include "knowscope/study/stats.h"

namespace knowscope::study {

std::vector<double> mean_difference_direction(std::span<const float> x, size_t rows, size_t cols,
                                              std::span<const int> labels, bool normalize) {
  if (x.size() != rows * cols) fail("mean_difference_direction", "x", "size is not rows * cols");
  if (labels.size() != rows) fail("mean_difference_direction", "labels", "size is not rows");
  std::vector<double> sum_pos(cols, 0.0), sum_neg(cols, 0.0);
  size_t n_pos = 0, n_neg = 0;
  for (size_t r = 0; r < rows; ++r) {
    if (labels[r] != 0 && labels[r] != 1)
      fail("mean_difference_direction", "labels[" + std::to_string(r) + "]", "must be 0 or 1");
    std::vector<double>& s = labels[r] == 1 ? sum_pos : sum_neg;
    ++(labels[r] == 1 ? n_pos : n_neg);
    for (size_t c = 0; c < cols; ++c) s[c] += x[r * cols + c];
  }
  if (n_pos == 0 || n_neg == 0)
    fail("mean_difference_direction", "labels", "needs rows of both classes");
  std::vector<double> d(cols);
  double norm2 = 0;
  for (size_t c = 0; c < cols; ++c) {
    d[c] = sum_pos[c] / static_cast<double>(n_pos) - sum_neg[c] / static_cast<double>(n_neg);
    norm2 += d[c] * d[c];
  }
  if (normalize && norm2 > 0)
    for (double& v : d) v /= std::sqrt(norm2);
  return d;
}

std::vector<double> project_rows(std::span<const float> x, size_t rows, size_t cols,
                                 std::span<const double> direction) {
  if (x.size() != rows * cols) fail("project_rows", "x", "size is not rows * cols");
  if (direction.size() != cols) fail("project_rows", "direction", "length is not cols");
  std::vector<double> out(rows, 0.0);
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c) out[r] += x[r * cols + c] * direction[c];
  return out;
}

}  // namespace knowscope::study
