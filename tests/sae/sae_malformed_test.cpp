// Malformed SAE folders are rejected with errors naming the file and the field.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/io/npy.h"
#include "knowscope/io/safetensors.h"
#include "knowscope/sae/sae_io.h"
#include "test_paths.h"

namespace knowscope {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::string copy_fixture(const std::string& rel) {
  std::string dir = test::temp_dir() + "/sae";
  fs::copy(test::fixture("sae/" + rel), dir, fs::copy_options::recursive);
  return dir;
}

void expect_fail(const std::string& path, const std::vector<std::string>& parts) {
  try {
    load_sae(path);
    ADD_FAILURE() << "no error; expected one mentioning " << parts[0];
  } catch (const Error& e) {
    std::string what = e.what();
    for (const auto& p : parts)
      EXPECT_NE(what.find(p), std::string::npos) << "'" << p << "' not in: " << what;
  }
}

void edit_cfg(const std::string& dir, const std::function<void(json&)>& f,
              const char* file = "cfg.json") {
  json c = json::parse(read_file(dir + "/" + file));
  f(c);
  write_file_atomic(dir + "/" + file, c.dump());
}

// Rewrites sae_weights.safetensors with `f` applied to the tensors (as float32 copies).
void edit_weights(const std::string& dir,
                  const std::function<void(std::vector<SafetensorsWriteTensor>&)>& f,
                  const char* file = "sae_weights.safetensors") {
  std::vector<SafetensorsWriteTensor> ts;
  {
    SafetensorsFile st = read_safetensors(dir + "/" + file);
    for (auto& [name, v] : st.tensors) {
      SafetensorsWriteTensor w{name, v.dtype, v.shape, {}};
      const auto* p = static_cast<const unsigned char*>(v.data);
      w.data.assign(p, p + v.nbytes);
      ts.push_back(std::move(w));
    }
  }
  f(ts);
  write_safetensors(dir + "/" + file, ts);
}

SafetensorsWriteTensor* find(std::vector<SafetensorsWriteTensor>& ts, const std::string& name) {
  for (auto& t : ts)
    if (t.name == name) return &t;
  return nullptr;
}

TEST(SaeMalformed, SaeLensConfig) {
  std::string d = copy_fixture("saelens_v6_standard");
  write_file_atomic(d + "/cfg.json", "{not json");
  expect_fail(d, {"cfg.json", "invalid JSON"});

  d = copy_fixture("saelens_v6_standard");
  edit_cfg(d, [](json& c) { c["architecture"] = "gated"; });
  expect_fail(d, {"cfg.json", "architecture", "gated"});

  d = copy_fixture("saelens_v6_standard");
  edit_cfg(d, [](json& c) { c.erase("d_in"); });
  expect_fail(d, {"cfg.json", "d_in"});

  d = copy_fixture("saelens_v6_standard");
  edit_cfg(d, [](json& c) { c["d_sae"] = 64; });
  expect_fail(d, {"sae_weights.safetensors", "W_enc", "[16, 48]", "[16, 64]"});

  d = copy_fixture("saelens_v6_topk_f16");
  edit_cfg(d, [](json& c) { c["k"] = -3; });
  expect_fail(d, {"cfg.json", "k"});

  d = copy_fixture("saelens_v6_topk_f16");
  edit_cfg(d, [](json& c) { c["k"] = 1000; });
  expect_fail(d, {"k", "outside"});

  d = copy_fixture("saelens_v6_standard");
  edit_cfg(d, [](json& c) { c["normalize_activations"] = "whitening"; });
  expect_fail(d, {"cfg.json", "normalize_activations", "whitening"});

  d = copy_fixture("saelens_v5_topk");
  edit_cfg(d, [](json& c) { c["activation_fn_str"] = "gelu"; });
  expect_fail(d, {"cfg.json", "activation_fn", "gelu"});
}

TEST(SaeMalformed, SaeLensWeights) {
  std::string d = copy_fixture("saelens_v6_standard");
  edit_weights(d, [](auto& ts) { ts.erase(ts.begin() + 1); });  // drops one of W_dec/W_enc/b_*
  expect_fail(d, {"sae_weights.safetensors", "missing"});

  d = copy_fixture("saelens_v6_standard");
  edit_weights(d, [](auto& ts) {
    auto* t = find(ts, "b_enc");
    t->dtype = DType::I32;
  });
  expect_fail(d, {"sae_weights.safetensors", "b_enc", "I32"});

  d = copy_fixture("saelens_v6_standard");
  edit_weights(d, [](auto& ts) {
    auto* t = find(ts, "W_dec");
    float nan = std::nanf("");
    std::memcpy(t->data.data() + 40, &nan, 4);
  });
  expect_fail(d, {"W_dec", "non-finite"});

  d = copy_fixture("saelens_v6_jumprelu_constnorm");
  edit_weights(d, [](auto& ts) { ts.erase(ts.begin() + long(find(ts, "threshold") - ts.data())); });
  expect_fail(d, {"sae_weights.safetensors", "threshold", "missing"});

  d = copy_fixture("saelens_v6_standard");
  edit_weights(d, [](auto& ts) {
    std::vector<float> f(48, 2.0f);
    SafetensorsWriteTensor t{"scaling_factor", DType::F32, {48}, {}};
    t.data.resize(48 * 4);
    std::memcpy(t.data.data(), f.data(), t.data.size());
    ts.push_back(t);
  });
  expect_fail(d, {"scaling_factor", "finetuning_scaling_factor"});
}

TEST(SaeMalformed, GemmaScope2) {
  const std::string rel = "gs2/resid_post/layer_7_width_16k_l0_small";
  std::string d = copy_fixture(rel);
  edit_cfg(
      d, [](json& c) { c["architecture"] = "topk"; }, "config.json");
  expect_fail(d, {"config.json", "architecture", "jump_relu"});

  d = copy_fixture(rel);
  edit_cfg(
      d,
      [](json& c) { c["hf_hook_point_out"] = "model.layers.7.post_feedforward_layernorm.output"; },
      "config.json");
  expect_fail(d, {"config.json", "transcoder"});

  d = copy_fixture(rel);
  edit_cfg(
      d, [](json& c) { c["affine_connection"] = true; }, "config.json");
  expect_fail(d, {"config.json", "affine_connection"});

  d = copy_fixture(rel);
  edit_weights(
      d,
      [](auto& ts) {
        find(ts, "w_dec")->shape = {16, 48};
      },
      "params.safetensors");
  expect_fail(d, {"params.safetensors", "w_dec", "expected [48, 16]"});
}

TEST(SaeMalformed, GemmaScope1) {
  std::string d = copy_fixture("gs1_stored/layer_3");
  auto arrays = read_npz(d + "/params.npz");
  arrays.erase("threshold");
  write_npz(d + "/params.npz", arrays, false);
  expect_fail(d, {"params.npz", "threshold", "missing"});

  d = copy_fixture("gs1_stored/layer_3");
  arrays = read_npz(d + "/params.npz");
  arrays.at("b_dec").shape = {4, 4};
  write_npz(d + "/params.npz", arrays, true);
  expect_fail(d, {"params.npz", "b_dec", "[4, 4]"});

  d = copy_fixture("gs1_stored/layer_3");
  std::string bytes = read_file(d + "/params.npz");
  write_file_atomic(d + "/params.npz", bytes.substr(0, bytes.size() - 30));
  expect_fail(d, {"params.npz", "zip"});
}

TEST(SaeMalformed, NothingToLoad) {
  std::string d = test::temp_dir();
  expect_fail(d, {d, "holds no SAE"});
  expect_fail(d + "/absent", {"no such file"});
}

}  // namespace
}  // namespace knowscope
