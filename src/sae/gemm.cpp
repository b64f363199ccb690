#include "gemm.h"

#include <cblas.h>

#include <algorithm>

#include "knowscope/core/matmul.h"
#include "knowscope/core/parallel.h"

namespace knowscope::sae_detail {

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  blas_use_one_thread();
  const CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
  auto run = [&](int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    // Row m of op(A) starts at A + m*lda (no trans) or column m of A (trans); column n of op(B)
    // starts at B + n (no trans) or row n of B (trans).
    const float* a = trans_a ? A + m0 : A + m0 * lda;
    const float* b = trans_b ? B + n0 * ldb : B + n0;
    cblas_sgemm(CblasRowMajor, ta, tb, int(m1 - m0), int(n1 - n0), int(K), 1.0f, a, int(lda), b,
                int(ldb), beta, C + m0 * ldc + n0, int(ldc));
  };
  const int threads = num_threads();
  if (threads <= 1 || (M * N * std::max<int64_t>(K, 1)) < (int64_t(1) << 18)) {
    run(0, M, 0, N);
    return;
  }
  if (M >= 16 * int64_t(threads)) {
    parallel_for(
        M, [&](int64_t b, int64_t e, int) { run(b, e, 0, N); }, 16);
  } else {
    // Few rows: split the columns in multiples of 16 floats.
    int64_t blocks = (N + 15) / 16;
    parallel_for(blocks,
                 [&](int64_t b, int64_t e, int) { run(0, M, b * 16, std::min(N, e * 16)); });
  }
}

}  // namespace knowscope::sae_detail
