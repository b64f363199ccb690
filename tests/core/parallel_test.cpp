#include "knowscope/core/parallel.h"

#include <gtest/gtest.h>

#include <atomic>

namespace knowscope {

// Resizing the pool after it has run jobs must not wake new workers for an old job.
TEST(Parallel, ResizeAfterUseRunsEveryChunkOnce) {
  for (int round = 0; round < 3; ++round) {
    set_num_threads(round % 2 ? 2 : 3);
    std::atomic<int64_t> sum{0};
    parallel_for(1000, [&](int64_t b, int64_t e, int) {
      for (int64_t i = b; i < e; ++i) sum += i;
    });
    EXPECT_EQ(sum.load(), 999 * 1000 / 2);
  }
  set_num_threads(2);
}

TEST(Parallel, RethrowsWorkerExceptions) {
  set_num_threads(2);
  EXPECT_THROW(parallel_for(100,
                            [](int64_t b, int64_t, int) {
                              if (b > 0) throw std::runtime_error("worker failed");
                            }),
               std::runtime_error);
}

}  // namespace knowscope
