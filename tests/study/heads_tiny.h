// The study's tiny random Gemma 3 (tiny_model.h: same character vocabulary and sizes) with a
// sliding window wide enough that the last token of a mechanistic prompt sees the entity: the
// shared tiny model's window of 8 hides it, which would leave attention to the entity 0.
#pragma once

#include "study/tiny_model.h"

namespace knowscope::study::test_heads {

inline const Model& heads_model() {
  static const Model m = [] {
    int vocab = 0;
    auto md = test_tiny::tiny_tokenizer_metadata(&vocab);
    test::SyntheticShape s;
    s.n_layers = 2;
    s.d_model = 64;
    s.n_heads = 2;
    s.n_kv_heads = 1;
    s.head_dim = 32;
    s.d_ff = 128;
    s.vocab = vocab;
    s.window = 256;
    for (auto& [k, v] : test::synthetic_metadata(s)) md[k] = v;
    md["gemma3.context_length"] = gguf_u32(2048);
    const std::string p = test::temp_dir() + "/tiny-heads.gguf";
    test::write_synthetic_gguf(p, s, test::make_synthetic_weights(s, 23), DType::F32, md);
    return load_model(p);
  }();
  return m;
}

}  // namespace knowscope::study::test_heads
