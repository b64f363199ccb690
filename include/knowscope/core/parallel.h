// A small persistent thread pool. parallel_for splits [0, n) into contiguous chunks, one per
// thread.
#pragma once

#include <cstdint>
#include <functional>

namespace knowscope {

// Number of worker threads used by parallel_for (default: hardware concurrency, or
// KNOWSCOPE_THREADS from the environment).
int num_threads();
void set_num_threads(int n);

// Calls fn(begin, end, thread_index) on disjoint chunks covering [0, n). Runs inline when n is
// small or one thread is configured. Exceptions from workers are rethrown in the caller.
void parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn,
                  int64_t min_chunk = 1);

}  // namespace knowscope
