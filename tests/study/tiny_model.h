// A tiny random-weight Gemma 3 model with a small SentencePiece vocabulary, written by our GGUF
// writer, shared by the study tests (labelling, latents, steering, attention, uncertainty).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "knowscope/model/model.h"
#include "model/forward_synthetic.h"
#include "test_paths.h"

namespace knowscope::study::test_tiny {

// A vocabulary of single characters (no byte fallback): newlines come up often in random text,
// so the answer-line stop is exercised.
inline std::map<std::string, GgufValue> tiny_tokenizer_metadata(int* vocab) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>", "\xE2\x96\x81", "\n"};
  std::vector<int32_t> types = {2, 3, 3, 1, 1};
  const std::string chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'?.,=:-";
  for (char c : chars) {
    tokens.push_back(std::string(1, c));
    types.push_back(1);
  }
  for (const char* w : {"\xE2\x96\x81the", "\xE2\x96\x81is", "\xE2\x96\x81of", "\xE2\x96\x81The"}) {
    tokens.push_back(w);
    types.push_back(1);
  }
  std::vector<float> scores(tokens.size(), -1.0f);
  for (size_t i = tokens.size() - 4; i < tokens.size(); ++i) scores[i] = -0.5f;
  *vocab = int(tokens.size());
  return {{"tokenizer.ggml.model", gguf_str("llama")},
          {"tokenizer.ggml.tokens", gguf_str_array(tokens)},
          {"tokenizer.ggml.scores", gguf_f32_array(scores)},
          {"tokenizer.ggml.token_type", gguf_i32_array(types)},
          {"tokenizer.ggml.bos_token_id", gguf_u32(1)},
          {"tokenizer.ggml.eos_token_id", gguf_u32(2)},
          {"tokenizer.ggml.unknown_token_id", gguf_u32(0)}};
}

// Writes the tiny Gemma 3 (character vocabulary, 2 layers, d_model 64) to the temp folder as
// `file`, with this sliding window and weight seed; returns the path.
inline std::string write_tiny_gguf(const std::string& file, int window, uint32_t seed) {
  int vocab = 0;
  auto md = tiny_tokenizer_metadata(&vocab);
  test::SyntheticShape s;
  s.n_layers = 2;
  s.d_model = 64;
  s.n_heads = 2;
  s.n_kv_heads = 1;
  s.head_dim = 32;
  s.d_ff = 128;
  s.vocab = vocab;
  s.window = window;
  for (auto& [k, v] : test::synthetic_metadata(s)) md[k] = v;
  md["gemma3.context_length"] = gguf_u32(2048);
  const std::string p = test::temp_dir() + "/" + file;
  test::write_synthetic_gguf(p, s, test::make_synthetic_weights(s, seed), DType::F32, md);
  return p;
}

inline const std::string& tiny_model_path() {
  static const std::string path = write_tiny_gguf("tiny-labeller.gguf", 8, 17);
  return path;
}

inline const Model& tiny_model() {
  static const Model m = load_model(tiny_model_path());
  return m;
}

}  // namespace knowscope::study::test_tiny
