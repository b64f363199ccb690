// Shared access to the SAE fixtures written by tools/make_sae_fixtures.py.
#pragma once

#include <nlohmann/json.hpp>

#include "knowscope/core/tensor.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/io/npy.h"
#include "test_paths.h"

namespace knowscope::test {

inline nlohmann::json sae_fixture_meta() {
  return nlohmann::json::parse(read_file(fixture("sae/sae_fixtures.json")));
}

// inputs.npy: [8, 16] float32
inline Tensor sae_fixture_inputs() {
  NpyArray a = read_npy(fixture("sae/inputs.npy"));
  Tensor t;
  t.shape = a.shape;
  t.data = npy_to_f32(a, "inputs.npy");
  return t;
}

}  // namespace knowscope::test
