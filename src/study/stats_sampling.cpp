// Seeded sampling that gives the same result on every platform (std::uniform_int_distribution
// does not).
#include <algorithm>
#include <string>

#include "knowscope/core/error.h"
#include "knowscope/study/stats.h"

namespace knowscope::study {

uint64_t SplitMix64::next() {
  state_ += 0x9e3779b97f4a7c15ULL;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t SplitMix64::below(uint64_t bound) {
  if (bound == 0) fail("SplitMix64::below", "bound", "must be positive");
  // reject the lowest (2^64 mod bound) values so every residue is equally likely
  const uint64_t reject_below = (0 - bound) % bound;
  for (;;) {
    const uint64_t r = next();
    if (r >= reject_below) return r % bound;
  }
}

std::vector<size_t> balanced_subsample(std::span<const int> labels, uint64_t seed) {
  std::vector<size_t> pos, neg;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] == 1)
      pos.push_back(i);
    else if (labels[i] == 0)
      neg.push_back(i);
    else
      fail("balanced_subsample", "labels[" + std::to_string(i) + "]", "must be 0 or 1");
  }
  if (pos.empty() || neg.empty()) return {};
  std::vector<size_t>& major = pos.size() > neg.size() ? pos : neg;
  const std::vector<size_t>& minor = pos.size() > neg.size() ? neg : pos;
  SplitMix64 rng(seed);
  for (size_t i = 0; i < minor.size(); ++i)  // partial Fisher-Yates: first minor.size() picks
    std::swap(major[i], major[i + static_cast<size_t>(rng.below(major.size() - i))]);
  std::vector<size_t> out(minor.begin(), minor.end());
  out.insert(out.end(), major.begin(), major.begin() + static_cast<long>(minor.size()));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace knowscope::study
