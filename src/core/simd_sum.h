// Horizontal sum of an AVX-512 register in a fixed tree, so results do not depend on the
// compiler's reduction order (and GCC 12's _mm512_reduce_add_ps trips -Wuninitialized).
#pragma once

#if defined(__AVX512F__)
#include <immintrin.h>

namespace knowscope {

inline float hsum16(__m512 v) {
  // Lanes j + 8, then j + 4, j + 2, j + 1, in registers: the same tree as summing a stored copy.
  // Masked forms with a defined source: the plain extract/shuffle/cast intrinsics of GCC 12's
  // headers trip -Wuninitialized (their _mm*_undefined_* operand).
  const __m512 a = _mm512_add_ps(v, _mm512_mask_shuffle_f32x4(v, 0xFFFF, v, v, 0xEE));
  const __m512 b = _mm512_add_ps(a, _mm512_mask_shuffle_f32x4(a, 0xFFFF, a, a, 0x01));
  const __m128 c = _mm512_mask_extractf32x4_ps(_mm_setzero_ps(), 0xF, b, 0);
  const __m128 d = _mm_add_ps(c, _mm_movehl_ps(c, c));
  return _mm_cvtss_f32(_mm_add_ss(d, _mm_movehdup_ps(d)));
}

}  // namespace knowscope
#endif
