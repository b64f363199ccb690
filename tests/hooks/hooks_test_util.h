// Shared helpers of the hooks tests: tiny fixture models and comparisons.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "knowscope/core/error.h"
#include "knowscope/model/forward.h"
#include "knowscope/model/model.h"
#include "test_paths.h"

namespace knowscope::test {

// A tiny random model from its Hugging Face folder (float32 weights).
inline Model tiny_hf_model(const std::string& name) {
  return load_model(fixture("models/hf/" + name));
}

inline std::vector<int32_t> ramp_tokens(int n, int vocab, int seed) {
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) t[size_t(i)] = int32_t((seed * 131 + i * 37 + 2) % vocab);
  t[0] = 2;  // BOS of the Gemma fixtures
  return t;
}

inline double max_abs_diff(const float* a, const float* b, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(double(a[i]) - double(b[i])));
  return m;
}

inline bool bit_equal(const float* a, const float* b, int64_t n) {
  return std::memcmp(a, b, size_t(n) * sizeof(float)) == 0;
}

// All-position logits of several sequences (no cache), optionally with hooks.
inline Tensor batch_logits(const Model& m, const std::vector<std::vector<int32_t>>& seqs,
                           const ForwardHooks* hooks = nullptr) {
  std::vector<SequenceInput> in;
  for (const auto& s : seqs) in.push_back({s, nullptr});
  ForwardOptions fo;
  fo.logits = LogitsMode::All;
  fo.hooks = hooks;
  ForwardState st;
  forward(m, in, fo, st);
  return std::move(st.logits);
}

inline std::string error_text(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace knowscope::test
