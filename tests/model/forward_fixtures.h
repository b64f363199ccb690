// Reading the forward-pass reference fixtures (tests/fixtures/models/, written by
// tools/make_model_fixtures.py from HF transformers and llama.cpp) in tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "knowscope/core/tensor.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/io/safetensors.h"
#include "test_paths.h"

namespace knowscope::test {

struct ModelFixture {
  nlohmann::json manifest;
  SafetensorsFile ref;

  // A float32 or int32 reference tensor by name; fails the test when absent.
  const TensorView& tensor(const std::string& name) const {
    auto it = ref.tensors.find(name);
    if (it == ref.tensors.end()) throw std::runtime_error("fixture tensor missing: " + name);
    return it->second;
  }
  std::vector<float> floats(const std::string& name) const {
    const TensorView& t = tensor(name);
    if (t.dtype != DType::F32) throw std::runtime_error("fixture tensor not F32: " + name);
    std::vector<float> out(size_t(t.numel()));
    std::memcpy(out.data(), t.data, out.size() * 4);
    return out;
  }
};

// `kind` is "tiny" or "real"; `name` e.g. "gemma3".
inline ModelFixture load_model_fixture(const std::string& kind, const std::string& name) {
  ModelFixture f;
  f.manifest = nlohmann::json::parse(read_file(fixture("models/" + kind + "/" + name + ".json")));
  f.ref = read_safetensors(fixture("models/" + f.manifest.at("reference_file").get<std::string>()));
  return f;
}

inline bool model_fixture_exists(const std::string& kind, const std::string& name) {
  return std::filesystem::exists(fixture("models/" + kind + "/" + name + ".json"));
}

inline std::vector<int32_t> json_ids(const nlohmann::json& j) {
  std::vector<int32_t> ids;
  for (const auto& v : j) ids.push_back(v.get<int32_t>());
  return ids;
}

struct LogitDiff {
  double max_abs = 0;       // over all positions and vocabulary entries
  int argmax_mismatch = 0;  // positions whose top-1 differs
  int ties_excused = 0;     // mismatches where the reference's top-2 margin is below `tie_margin`
  int positions = 0;
};

inline int argmax_of(const float* v, int64_t n) { return int(std::max_element(v, v + n) - v); }

inline double top2_margin(const float* v, int64_t n) {
  float a = -INFINITY, b = -INFINITY;
  for (int64_t i = 0; i < n; ++i) {
    if (v[i] > a) {
      b = a;
      a = v[i];
    } else if (v[i] > b) {
      b = v[i];
    }
  }
  return double(a) - double(b);
}

// Compares [rows, vocab] logits; a top-1 mismatch is excused only where the reference's own top-2
// margin is below tie_margin (a near-tie that any rounding may flip).
inline LogitDiff compare_logits(const float* ours, const float* ref, int64_t rows, int64_t vocab,
                                double tie_margin = 0.0) {
  LogitDiff d;
  d.positions = int(rows);
  for (int64_t r = 0; r < rows; ++r) {
    const float* a = ours + r * vocab;
    const float* b = ref + r * vocab;
    for (int64_t i = 0; i < vocab; ++i)
      d.max_abs = std::max(d.max_abs, std::fabs(double(a[i]) - b[i]));
    if (argmax_of(a, vocab) != argmax_of(b, vocab)) {
      if (top2_margin(b, vocab) < tie_margin)
        ++d.ties_excused;
      else
        ++d.argmax_mismatch;
    }
  }
  return d;
}

}  // namespace knowscope::test
