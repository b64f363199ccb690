// CPython's `random` module, for the paper's two seeded draws (paper-method.md 2.2, 3.3):
// `random.seed(10); random.choices(words)` per generic document and
// `random.seed(42); random.sample(candidates, 10)` for the random-latent controls. MT19937 seeded
// by init_by_array with the integer's 32-bit words (as random.seed(int) does), random() from two
// draws (53 bits), getrandbits and the rejection-sampling randbelow, and sample's two algorithms
// (pool for small populations, set of seen indices for large ones). Checked against CPython 3.11
// (tools/make_latents_fixtures.py).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace knowscope::study {

class PyRandom {
 public:
  explicit PyRandom(uint64_t seed);  // random.seed(seed) for a non-negative int
  uint32_t next_uint32();            // genrand_uint32
  double random();                   // random.random(): [0, 1), 53 bits
  uint64_t getrandbits(int k);       // 0 <= k <= 64
  uint64_t randbelow(uint64_t n);    // _randbelow_with_getrandbits; 0 for n == 0
  // random.choices(population) with k = 1 over a population of n: floor(random() * n).
  std::size_t choice_index(std::size_t n);
  // random.sample(range(n), k): indices in draw order. Throws Error when k > n.
  std::vector<std::size_t> sample(std::size_t n, std::size_t k);

 private:
  void twist();
  std::array<uint32_t, 624> mt_{};
  int pos_ = 624;
};

}  // namespace knowscope::study
