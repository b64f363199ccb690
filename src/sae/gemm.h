// Row-major sgemm split over knowscope threads (OpenBLAS itself single-threaded). Private to sae/.
#pragma once

#include <cstdint>

namespace knowscope::sae_detail {

// C[M, N] = op(A)[M, K] . op(B)[K, N] + beta * C. op(A) is A [M, K] (lda) or, with trans_a, the
// transpose of A [K, M]; op(B) is B [K, N] (ldb) or, with trans_b, the transpose of B [N, K].
// Splits M across threads when M is large enough, else N. Deterministic for a given thread count.
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

}  // namespace knowscope::sae_detail
