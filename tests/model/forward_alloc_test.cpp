// Decoding allocates nothing once warm: every forward-pass buffer is reused. Counted by replacing
// the global operator new for this test binary (counting only; it still allocates).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "forward_fixtures.h"
#include "knowscope/core/parallel.h"
#include "knowscope/model/forward.h"
#include "knowscope/model/sampling.h"

namespace {
std::atomic<long> g_news{0};
}

// These replacements pair malloc with free on purpose; GCC's check sees through the inlining and
// cannot tell.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(size_t n) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
// The nothrow forms too (std::stable_sort's temporary buffer uses them): every form must pair
// with the free() below, or AddressSanitizer reports an alloc-dealloc mismatch.
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  g_news.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void* operator new[](size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace knowscope {
namespace {

TEST(ForwardAllocations, DecodeStepsAllocateNothingOnceWarm) {
  if (!test::model_fixture_exists("tiny", "gemma3")) GTEST_SKIP() << "fixture missing";
  // Greedy, one worker: the thread pool's own dispatch (core/parallel.cpp) wraps each job in a
  // std::function that may allocate; the forward pass itself must not.
  const int saved_threads = num_threads();
  set_num_threads(1);
  Model m = load_model(test::fixture("models/gguf/gemma3-q8_0.gguf"));
  const int B = 5;
  std::vector<KVCache> caches;
  for (int b = 0; b < B; ++b) caches.push_back(make_kv_cache(m.config, 64));
  ForwardState st;
  ForwardOptions opt;
  std::vector<int32_t> prompt = {2, 100, 200, 300, 17};
  std::vector<SequenceInput> in;
  for (int b = 0; b < B; ++b) in.push_back({prompt, &caches[size_t(b)]});
  forward(m, in, opt, st);
  std::vector<int32_t> next(B, 5);
  std::vector<Sampler> samplers;
  for (int b = 0; b < B; ++b) samplers.emplace_back(SamplingParams{}, b);
  long worst = 0;
  for (int step = 0; step < 8; ++step) {
    const long before = g_news.load();
    for (int b = 0; b < B; ++b)
      in[size_t(b)] = {std::span<const int32_t>(&next[size_t(b)], 1), &caches[size_t(b)]};
    forward(m, in, opt, st);
    for (int b = 0; b < B; ++b) {
      const float* row = st.logits.ptr() + int64_t(b) * m.config.vocab_size;
      next[size_t(b)] = samplers[size_t(b)].sample(row, m.config.vocab_size);
      (void)log_softmax_at(row, m.config.vocab_size, next[size_t(b)]);
    }
    if (step >= 2) worst = std::max(worst, g_news.load() - before);  // after warm-up
  }
  set_num_threads(saved_threads);
  EXPECT_EQ(worst, 0) << "allocations in one decode step of " << B << " sequences";
}

}  // namespace
}  // namespace knowscope
