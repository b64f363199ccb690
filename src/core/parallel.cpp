#include "knowscope/core/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace knowscope {
namespace {

int default_threads() {
  if (const char* env = std::getenv("KNOWSCOPE_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

// Workers wait on a generation counter; each job runs fn on chunk `thread_index`. A forward pass
// posts hundreds of short jobs per token, so both sides spin briefly on atomics before sleeping on
// a condition variable: a futex wake per job would cost more than the job.
class Pool {
 public:
  explicit Pool(int n) { resize(n); }
  ~Pool() { stop(); }

  int size() const { return n_; }

  void resize(int n) {
    stop();
    n_ = std::max(1, n);
    quit_.store(false);
    // New workers must only wake for jobs posted after they exist.
    uint64_t start_generation = generation_.load();
    for (int i = 1; i < n_; ++i)
      workers_.emplace_back([this, i, start_generation] { loop(i, start_generation); });
  }

  void run(const std::function<void(int)>& job) {
    if (n_ == 1) return job(0);
    std::unique_lock<std::mutex> lock(run_mu_);  // one job at a time
    job_ = &job;
    error_ = nullptr;
    pending_.store(n_ - 1, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    { std::lock_guard<std::mutex> g(mu_); }  // a sleeper either sees the new generation or the notify
    cv_.notify_all();
    std::exception_ptr mine;
    try {
      job(0);
    } catch (...) {
      mine = std::current_exception();
    }
    for (int spins = 0; pending_.load(std::memory_order_acquire) != 0;) {
      if (++spins < kSpins) {
        cpu_relax();
        continue;
      }
      std::unique_lock<std::mutex> g(mu_);
      done_cv_.wait(g, [this] { return pending_.load(std::memory_order_acquire) == 0; });
    }
    job_ = nullptr;
    if (mine) std::rethrow_exception(mine);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // About a third of a millisecond of PAUSE instructions.
  static constexpr int kSpins = 1 << 14;

  static void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  void loop(int index, uint64_t seen) {
    for (;;) {
      uint64_t now;
      for (int spins = 0; (now = generation_.load(std::memory_order_acquire)) == seen;) {
        if (quit_.load(std::memory_order_relaxed)) return;
        if (++spins < kSpins) {
          cpu_relax();
          continue;
        }
        std::unique_lock<std::mutex> g(mu_);
        cv_.wait(g, [&] {
          return quit_.load() || generation_.load(std::memory_order_acquire) != seen;
        });
        spins = 0;
      }
      if (quit_.load()) return;
      seen = now;
      std::exception_ptr err;
      try {
        (*job_)(index);
      } catch (...) {
        err = std::current_exception();
      }
      if (err) {
        std::lock_guard<std::mutex> g(mu_);
        if (!error_) error_ = err;
      }
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> g(mu_);
        done_cv_.notify_one();
      }
    }
  }

  void stop() {
    quit_.store(true);
    { std::lock_guard<std::mutex> g(mu_); }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  int n_ = 1;
  std::vector<std::thread> workers_;
  std::mutex run_mu_, mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int)>* job_ = nullptr;
  std::atomic<int> pending_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> quit_{false};
  std::exception_ptr error_;
};

Pool& pool() {
  static Pool p(default_threads());
  return p;
}

}  // namespace

int num_threads() { return pool().size(); }
void set_num_threads(int n) { pool().resize(n); }

void parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn,
                  int64_t min_chunk) {
  if (n <= 0) return;
  int threads = num_threads();
  int64_t chunks =
      std::min<int64_t>(threads, (n + min_chunk - 1) / std::max<int64_t>(1, min_chunk));
  if (chunks <= 1) return fn(0, n, 0);
  // One pointer in the capture keeps std::function inside its small buffer: no allocation per call.
  struct Job {
    int64_t n, chunks;
    const std::function<void(int64_t, int64_t, int)>* fn;
  } job{n, chunks, &fn};
  const Job* j = &job;
  pool().run([j](int t) {
    if (t >= j->chunks) return;
    int64_t begin = j->n * t / j->chunks, end = j->n * (t + 1) / j->chunks;
    if (begin < end) (*j->fn)(begin, end, t);
  });
}

}  // namespace knowscope
