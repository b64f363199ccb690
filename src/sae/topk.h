// Selection of the k largest values of a row (ties: the lower index wins), in O(n) with a size-k
// heap. Private to sae/.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace knowscope::sae_detail {

struct TopKHeap {
  struct Item {
    float value;
    int32_t index;
  };
  std::vector<Item> items;  // after select(): the k best, in heap order

  struct Better {  // a functor, so that the heap algorithms inline it
    bool operator()(const Item& a, const Item& b) const {
      return a.value > b.value || (a.value == b.value && a.index < b.index);
    }
  };
  static constexpr Better better{};

  void select(const float* v, int64_t n, int64_t k) {
    items.clear();
    k = std::min(k, n);
    if (k <= 0) return;
    if (k * 8 > n) {  // a large share is kept: partition instead of a heap
      for (int64_t j = 0; j < n; ++j) items.push_back({v[j], int32_t(j)});
      if (k < n) std::nth_element(items.begin(), items.begin() + (k - 1), items.end(), better);
      items.resize(size_t(k));
      return;
    }
    for (int64_t j = 0; j < k; ++j) items.push_back({v[j], int32_t(j)});
    // With comparator better(), the heap's front is the worst of the kept items.
    std::make_heap(items.begin(), items.end(), better);
    float worst = items.front().value;
    auto consider = [&](int64_t j) {
      if (v[j] > worst) {  // a later index never wins a tie
        std::pop_heap(items.begin(), items.end(), better);
        items.back() = {v[j], int32_t(j)};
        std::push_heap(items.begin(), items.end(), better);
        worst = items.front().value;
      }
    };
    int64_t j = k;
    // Blocks of 16 with a vectorizable count first: most blocks hold nothing better.
    for (; j + 16 <= n; j += 16) {
      int hits = 0;
      for (int q = 0; q < 16; ++q) hits += v[j + q] > worst;
      if (hits)
        for (int q = 0; q < 16; ++q) consider(j + q);
    }
    for (; j < n; ++j) consider(j);
  }
};

}  // namespace knowscope::sae_detail
