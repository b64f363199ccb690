// The study's tiny random Gemma 3 (tiny_model.h: same character vocabulary and sizes) with a
// sliding window wide enough that the last token of a mechanistic prompt sees the entity: the
// shared tiny model's window of 8 hides it, which would leave attention to the entity 0.
#pragma once

#include "study/tiny_model.h"

namespace knowscope::study::test_heads {

inline const Model& heads_model() {
  static const Model m = load_model(test_tiny::write_tiny_gguf("tiny-heads.gguf", 256, 23));
  return m;
}

}  // namespace knowscope::study::test_heads
