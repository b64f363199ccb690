// A tiny Gemma 3 model with a planted steering effect, for the steering tests.
//
// Residual dimensions 0 ("unknown") and 1 ("known") are never written by the model itself: the
// input embedding has no component there and the rows of every W_O and W_down that write them are
// zero (the post-norms scale per dimension, so zeros stay zeros). Only steering puts anything
// there. The untied unembedding reads them: " sorry" gets +s on dim 0 and -s on dim 1, " No" +y on
// dim 0, " Yes" +y on dim 1, every other token 0 on both. So adding direction e0 at the last
// prompt position makes the model answer " sorry" (a refusal: is_refusal's "sorry"), adding e1
// makes it say " Yes", and a random direction moves " sorry" by s * (r0 - r1) only, about as
// much as the other tokens move.
//
// With `natural_refusal` the input embedding of ':' (the last token of every few-shot prompt,
// "A:") also has a component on dim 0, so the unsteered model refuses through that direction,
// and projecting e0 out of the weights (orthogonalize_weights) removes exactly that.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "knowscope/model/model.h"
#include "model/forward_synthetic.h"
#include "test_paths.h"

namespace knowscope::study::test_steer {

inline constexpr int kUnknownDim = 0, kKnownDim = 1, kDModel = 64;

struct PlantedVocab {
  std::vector<std::string> tokens;
  int sorry = -1, yes = -1, no = -1, colon = -1;
};

inline PlantedVocab planted_vocab() {
  PlantedVocab v;
  v.tokens = {"<unk>", "<s>", "</s>", "\xE2\x96\x81", "\n"};
  const std::string chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'?.,=:-";
  for (char c : chars) {
    if (c == ':') v.colon = int(v.tokens.size());
    v.tokens.push_back(std::string(1, c));
  }
  v.sorry = int(v.tokens.size());
  v.tokens.push_back("\xE2\x96\x81sorry");
  v.yes = int(v.tokens.size());
  v.tokens.push_back("\xE2\x96\x81Yes");
  v.no = int(v.tokens.size());
  v.tokens.push_back("\xE2\x96\x81No");
  return v;
}

inline std::string planted_model_path(bool natural_refusal) {
  const PlantedVocab pv = planted_vocab();
  const int vocab = int(pv.tokens.size());
  std::vector<int32_t> types(pv.tokens.size(), 1);
  types[0] = 2;
  types[1] = types[2] = 3;
  std::vector<float> scores(pv.tokens.size(), -1.0f);
  std::map<std::string, GgufValue> md = {{"tokenizer.ggml.model", gguf_str("llama")},
                                         {"tokenizer.ggml.tokens", gguf_str_array(pv.tokens)},
                                         {"tokenizer.ggml.scores", gguf_f32_array(scores)},
                                         {"tokenizer.ggml.token_type", gguf_i32_array(types)},
                                         {"tokenizer.ggml.bos_token_id", gguf_u32(1)},
                                         {"tokenizer.ggml.eos_token_id", gguf_u32(2)},
                                         {"tokenizer.ggml.unknown_token_id", gguf_u32(0)}};
  test::SyntheticShape s;
  s.n_layers = 2;
  s.d_model = kDModel;
  s.n_heads = 2;
  s.n_kv_heads = 1;
  s.head_dim = 32;
  s.d_ff = 128;
  s.vocab = vocab;
  for (auto& [k, v] : test::synthetic_metadata(s)) md[k] = v;
  md["gemma3.context_length"] = gguf_u32(2048);

  test::SyntheticWeights w = test::make_synthetic_weights(s, 23);
  const int64_t d = kDModel;
  auto& emb = w.tensors["token_embd.weight"].second;
  std::vector<float> out = emb;  // untied unembedding, same random rows
  for (int64_t t = 0; t < vocab; ++t)
    for (int dim : {kUnknownDim, kKnownDim}) {
      emb[size_t(t * d + dim)] = 0.0f;
      out[size_t(t * d + dim)] = 0.0f;
    }
  auto plant = [&](int token, float on_unknown, float on_known) {
    for (int64_t i = 0; i < d; ++i) out[size_t(token * d + i)] = 0.0f;
    out[size_t(token * d + kUnknownDim)] = on_unknown;
    out[size_t(token * d + kKnownDim)] = on_known;
  };
  // Small enough that a random direction (which moves " sorry" by s * (r0 - r1) * |normed|) stays
  // below the other tokens' logits, large enough to win when the residual points along e0.
  plant(pv.sorry, 0.1f, -0.1f);
  plant(pv.no, 0.08f, 0.0f);
  plant(pv.yes, 0.0f, 0.08f);
  // Large against the rest of the residual (the post-norm outputs have RMS ~1 per dimension).
  if (natural_refusal) emb[size_t(pv.colon * d + kUnknownDim)] = 10.0f;
  w.tensors["output.weight"] = {Shape{vocab, d}, out};
  for (int l = 0; l < s.n_layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    for (const char* name : {"attn_output.weight", "ffn_down.weight"}) {
      auto& [shape, vals] = w.tensors[b + name];
      const int64_t cols = shape[1];
      for (int dim : {kUnknownDim, kKnownDim})
        for (int64_t c = 0; c < cols; ++c) vals[size_t(dim * cols + c)] = 0.0f;
    }
  }
  const std::string p =
      test::temp_dir() + (natural_refusal ? "/steer-planted-natural.gguf" : "/steer-planted.gguf");
  test::write_synthetic_gguf(p, s, w, DType::F32, md);
  return p;
}

inline const Model& planted_model(bool natural_refusal = false) {
  static const Model clean = load_model(planted_model_path(false));
  static const Model natural = load_model(planted_model_path(true));
  return natural_refusal ? natural : clean;
}

}  // namespace knowscope::study::test_steer
