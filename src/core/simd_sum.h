// Horizontal sum of an AVX-512 register in a fixed tree, so results do not depend on the
// compiler's reduction order (and GCC 12's _mm512_reduce_add_ps trips -Wuninitialized).
#pragma once

#if defined(__AVX512F__)
#include <immintrin.h>

namespace knowscope {

inline float hsum16(__m512 v) {
  alignas(64) float t[16];
  _mm512_store_ps(t, v);
  for (int w = 8; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) t[j] += t[j + w];
  return t[0];
}

}  // namespace knowscope
#endif
