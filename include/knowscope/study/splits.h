// Entity splits exactly as the paper made them (spec 1.5): per entity type, the known list and
// the unknown list each go through sklearn's
//   train, rest = train_test_split(L, test_size=0.5, random_state=42)
//   val, test   = train_test_split(rest, test_size=0.8, random_state=42)
// i.e. 50/10/40. sklearn draws numpy.random.RandomState(42).permutation(n) (legacy MT19937 and
// the legacy shuffle), takes test = perm[:ceil(test_size * n)] and train = perm[n_test:].
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "knowscope/study/labels.h"

namespace knowscope::study {

// numpy.random.RandomState(seed)'s bit generator: MT19937 with init_genrand seeding.
class LegacyMt19937 {
 public:
  explicit LegacyMt19937(uint32_t seed);
  uint32_t next_uint32();
  // numpy's random_interval(max): uniform in [0, max] by masked rejection (max < 2^32 here).
  uint32_t random_interval(uint32_t max);

 private:
  void twist();
  std::array<uint32_t, 624> key_{};
  int pos_ = 624;
};

// numpy.random.RandomState(seed).permutation(n): arange(n) shuffled from the end, swapping each
// i = n-1 .. 1 with j = random_interval(i). Throws for n >= 2^32.
std::vector<int64_t> legacy_permutation(int64_t n, uint32_t seed);

struct TrainTestIndices {
  std::vector<size_t> train, test;  // indices into the input list, in permutation order
};
// sklearn.model_selection.train_test_split(range(n), test_size, random_state=seed); throws Error
// where sklearn raises ValueError (test_size outside (0, 1), or an empty train set).
TrainTestIndices train_test_split_indices(size_t n, double test_size, uint32_t seed = 42);

struct SplitIndices {
  std::vector<size_t> train, validation, test;
  bool fallback = false;  // sklearn would have raised; see split_indices
};
// The paper's two splits. Lists too short for sklearn (fewer than 9 items) raise there; here
// with `strict` too, otherwise they fall back: a list of 1 is all train; when the second split is
// impossible the whole rest is test and validation stays empty.
SplitIndices split_indices(size_t n, uint32_t seed = 42, bool strict = false);

struct NameSplit {
  std::vector<std::string> train, validation, test;
  bool fallback = false;
};
struct TypeSplits {
  std::string entity_type;
  NameSplit known, unknown;
};
// Splits of the known and the unknown entities of each type, lists in the order of `labels`
// (types in order of first appearance); "other" entities are left out.
std::vector<TypeSplits> split_entities(std::span<const EntityLabel> labels, uint32_t seed = 42,
                                       bool strict = false);

}  // namespace knowscope::study
