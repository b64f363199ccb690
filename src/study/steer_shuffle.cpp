// Python's random.shuffle after random.seed(n): the paper shuffles the refusal prompts this way
// (spec 4.2, random.seed(42)), so the first N prompts per type are the ones the authors would take.
#include <algorithm>
#include <array>
#include <cstdint>
#include <numeric>
#include <vector>

#include "knowscope/study/steering_prompts.h"

namespace knowscope::study {
namespace {

// CPython's _randommodule.c: MT19937 seeded by init_by_array with the seed's 32-bit words.
class PyMt {
 public:
  explicit PyMt(uint32_t seed) {
    init_genrand(19650218u);
    const uint32_t key[1] = {seed};
    const int key_length = 1;
    int i = 1, j = 0;
    for (int k = std::max(n_, key_length); k; --k) {
      mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525u)) + key[j] + uint32_t(j);
      ++i;
      ++j;
      if (i >= n_) {
        mt_[0] = mt_[n_ - 1];
        i = 1;
      }
      if (j >= key_length) j = 0;
    }
    for (int k = n_ - 1; k; --k) {
      mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941u)) - uint32_t(i);
      ++i;
      if (i >= n_) {
        mt_[0] = mt_[n_ - 1];
        i = 1;
      }
    }
    mt_[0] = 0x80000000u;
  }

  uint32_t next() {
    if (pos_ >= n_) twist();
    uint32_t y = mt_[size_t(pos_++)];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
  }

  // random._randbelow_with_getrandbits(n), n < 2^32.
  uint32_t below(uint32_t n) {
    int k = 0;
    while (k < 32 && (uint64_t(1) << k) <= n) ++k;  // n.bit_length()
    uint32_t r = next() >> (32 - k);
    while (r >= n) r = next() >> (32 - k);
    return r;
  }

 private:
  static constexpr int n_ = 624;
  void init_genrand(uint32_t s) {
    mt_[0] = s;
    for (int i = 1; i < n_; ++i)
      mt_[size_t(i)] =
          1812433253u * (mt_[size_t(i - 1)] ^ (mt_[size_t(i - 1)] >> 30)) + uint32_t(i);
    pos_ = n_;
  }
  void twist() {
    for (int i = 0; i < n_; ++i) {
      const uint32_t y = (mt_[size_t(i)] & 0x80000000u) | (mt_[size_t((i + 1) % n_)] & 0x7fffffffu);
      mt_[size_t(i)] = mt_[size_t((i + 397) % n_)] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
    }
    pos_ = 0;
  }
  std::array<uint32_t, 624> mt_{};
  int pos_ = 624;
};

}  // namespace

std::vector<size_t> python_shuffled_indices(size_t n, uint32_t seed) {
  std::vector<size_t> x(n);
  std::iota(x.begin(), x.end(), size_t(0));
  if (n < 2) return x;
  PyMt rng(seed);
  for (size_t i = n - 1; i >= 1; --i) {
    const size_t j = rng.below(uint32_t(i + 1));
    std::swap(x[i], x[j]);
  }
  return x;
}

}  // namespace knowscope::study
