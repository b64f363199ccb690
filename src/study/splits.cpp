#include "knowscope/study/splits.h"

#include <cmath>
#include <numeric>

#include "knowscope/core/error.h"

namespace knowscope::study {

LegacyMt19937::LegacyMt19937(uint32_t seed) {
  key_[0] = seed;
  for (uint32_t i = 1; i < 624; ++i)
    key_[i] = 1812433253u * (key_[i - 1] ^ (key_[i - 1] >> 30)) + i;
  pos_ = 624;
}

void LegacyMt19937::twist() {
  constexpr uint32_t kUpper = 0x80000000u, kLower = 0x7fffffffu, kMatrix = 0x9908b0dfu;
  for (int i = 0; i < 624; ++i) {
    uint32_t y = (key_[i] & kUpper) | (key_[(i + 1) % 624] & kLower);
    key_[i] = key_[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? kMatrix : 0u);
  }
  pos_ = 0;
}

uint32_t LegacyMt19937::next_uint32() {
  if (pos_ >= 624) twist();
  uint32_t y = key_[pos_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

uint32_t LegacyMt19937::random_interval(uint32_t max) {
  if (max == 0) return 0;
  uint32_t mask = max;  // smallest all-ones mask >= max
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  uint32_t value;
  while ((value = next_uint32() & mask) > max) {
  }
  return value;
}

std::vector<int64_t> legacy_permutation(int64_t n, uint32_t seed) {
  if (n < 0 || n > static_cast<int64_t>(UINT32_MAX))
    fail("permutation", "n", std::to_string(n) + " outside [0, 2^32)");
  std::vector<int64_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), 0);
  LegacyMt19937 rng(seed);
  for (int64_t i = n - 1; i >= 1; --i) {
    auto j = static_cast<int64_t>(rng.random_interval(static_cast<uint32_t>(i)));
    std::swap(perm[i], perm[j]);
  }
  return perm;
}

TrainTestIndices train_test_split_indices(size_t n, double test_size, uint32_t seed) {
  if (!(test_size > 0 && test_size < 1))
    fail("train_test_split", "test_size",
         std::to_string(test_size) + " should be a float in the (0, 1) range");
  auto n_test = static_cast<size_t>(std::ceil(test_size * static_cast<double>(n)));
  size_t n_train = n - n_test;
  if (n_train == 0)
    fail("train_test_split", "",
         "with n_samples=" + std::to_string(n) + ", test_size=" + std::to_string(test_size) +
             " the resulting train set will be empty (sklearn raises here)");
  auto perm = legacy_permutation(static_cast<int64_t>(n), seed);
  TrainTestIndices out;
  out.test.assign(perm.begin(), perm.begin() + static_cast<std::ptrdiff_t>(n_test));
  out.train.assign(perm.begin() + static_cast<std::ptrdiff_t>(n_test), perm.end());
  return out;
}

namespace {

bool split_possible(size_t n, double test_size) {
  return n > 0 && n - static_cast<size_t>(std::ceil(test_size * static_cast<double>(n))) > 0;
}

}  // namespace

SplitIndices split_indices(size_t n, uint32_t seed, bool strict) {
  SplitIndices out;
  std::vector<size_t> rest;
  if (strict || split_possible(n, 0.5)) {
    auto first = train_test_split_indices(n, 0.5, seed);
    out.train = std::move(first.train);
    rest = std::move(first.test);
  } else {
    out.fallback = true;
    for (size_t i = 0; i < n; ++i) out.train.push_back(i);  // n is 0 or 1
    return out;
  }
  if (strict || split_possible(rest.size(), 0.8)) {
    auto second = train_test_split_indices(rest.size(), 0.8, seed);
    for (size_t i : second.train) out.validation.push_back(rest[i]);
    for (size_t i : second.test) out.test.push_back(rest[i]);
  } else {
    out.fallback = true;
    out.test = std::move(rest);
  }
  return out;
}

std::vector<TypeSplits> split_entities(std::span<const EntityLabel> labels, uint32_t seed,
                                       bool strict) {
  std::vector<TypeSplits> out;
  std::vector<std::vector<std::string>> known, unknown;
  for (const auto& l : labels) {
    size_t t = 0;
    while (t < out.size() && out[t].entity_type != l.entity_type) ++t;
    if (t == out.size()) {
      out.push_back({l.entity_type, {}, {}});
      known.emplace_back();
      unknown.emplace_back();
    }
    if (l.knowledge == Knowledge::known) known[t].push_back(l.entity);
    if (l.knowledge == Knowledge::unknown) unknown[t].push_back(l.entity);
  }
  auto assign = [&](const std::vector<std::string>& names, NameSplit& dst,
                    const std::string& what) {
    SplitIndices s;
    try {
      s = split_indices(names.size(), seed, strict);
    } catch (const Error& e) {
      fail(what, "", e.what());
    }
    for (size_t i : s.train) dst.train.push_back(names[i]);
    for (size_t i : s.validation) dst.validation.push_back(names[i]);
    for (size_t i : s.test) dst.test.push_back(names[i]);
    dst.fallback = s.fallback;
  };
  for (size_t t = 0; t < out.size(); ++t) {
    assign(known[t], out[t].known, out[t].entity_type + " known entities");
    assign(unknown[t], out[t].unknown, out[t].entity_type + " unknown entities");
  }
  return out;
}

}  // namespace knowscope::study
