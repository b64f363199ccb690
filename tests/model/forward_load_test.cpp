// Loading: config from GGUF metadata and from config.json agree (the GGUFs are llama.cpp's
// conversions of the HF folders), norm weights agree after the (1 + w) offset, and malformed or
// unsupported files fail with an Error that names the file and the field.
#include <gtest/gtest.h>

#include <cmath>

#include "forward_fixtures.h"
#include "forward_synthetic.h"
#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/model/forward.h"

namespace knowscope {
namespace {

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

void expect_contains(const std::string& text, const std::vector<std::string>& parts) {
  EXPECT_FALSE(text.empty()) << "expected an Error";
  for (const auto& p : parts)
    EXPECT_NE(text.find(p), std::string::npos) << "'" << p << "' not in: " << text;
}

// ---- the tiny fixtures: HF folder vs llama.cpp's GGUF conversion ----------------------------

struct Pair {
  std::string name, gguf;
};

class ConfigPair : public ::testing::TestWithParam<Pair> {};

TEST_P(ConfigPair, GgufMetadataAndConfigJsonAgree) {
  const Pair& p = GetParam();
  if (!test::model_fixture_exists("tiny", p.name)) GTEST_SKIP() << "fixture missing";
  Model hf = load_model(test::fixture("models/hf/" + p.name));
  Model gg = load_model(test::fixture("models/gguf/" + p.gguf));
  const ModelConfig &a = hf.config, &b = gg.config;
  EXPECT_EQ(a.arch, b.arch);
  EXPECT_EQ(a.n_layers, b.n_layers);
  EXPECT_EQ(a.d_model, b.d_model);
  EXPECT_EQ(a.n_heads, b.n_heads);
  EXPECT_EQ(a.n_kv_heads, b.n_kv_heads);
  EXPECT_EQ(a.head_dim, b.head_dim);
  EXPECT_EQ(a.d_ff, b.d_ff);
  EXPECT_EQ(a.vocab_size, b.vocab_size);
  EXPECT_EQ(a.rope_dim, b.rope_dim);
  EXPECT_FLOAT_EQ(a.rms_eps, b.rms_eps);
  EXPECT_FLOAT_EQ(a.rope_base, b.rope_base);
  EXPECT_FLOAT_EQ(a.rope_base_local, b.rope_base_local);
  EXPECT_FLOAT_EQ(a.rope_freq_scale, b.rope_freq_scale);
  EXPECT_EQ(a.sliding_window, b.sliding_window);
  EXPECT_EQ(a.layer_sliding, b.layer_sliding);
  EXPECT_FLOAT_EQ(a.query_scale, b.query_scale);
  EXPECT_FLOAT_EQ(a.attn_softcap, b.attn_softcap);
  EXPECT_FLOAT_EQ(a.final_softcap, b.final_softcap);
  EXPECT_EQ(a.qk_norm, b.qk_norm);
  EXPECT_EQ(a.qkv_bias, b.qkv_bias);
  EXPECT_EQ(a.activation, b.activation);
  EXPECT_EQ(a.post_norms, b.post_norms);
  EXPECT_FLOAT_EQ(a.embed_scale, b.embed_scale);
  EXPECT_EQ(a.tied_embeddings, b.tied_embeddings);
  // llama3 scaling: our factors from config.json equal the converter's rope_freqs.weight.
  ASSERT_EQ(a.rope_freq_factors.size(), b.rope_freq_factors.size());
  for (size_t i = 0; i < a.rope_freq_factors.size(); ++i)
    EXPECT_NEAR(a.rope_freq_factors[i], b.rope_freq_factors[i], 1e-6 * b.rope_freq_factors[i]) << i;
  // Llama's converter permutes Q/K rows for adjacent-pair RoPE; the others keep rotate_half.
  EXPECT_EQ(b.rope_style, a.arch == "llama" ? RopeStyle::Adjacent : RopeStyle::Neox);
  EXPECT_EQ(a.rope_style, RopeStyle::Neox);

  // Norm weights: HF Gemma stores w and uses (1 + w); the converter stored w + 1 (in float32).
  EXPECT_EQ(hf.weights.norm_offset, (a.arch == "gemma3" || a.arch == "gemma2") ? 1.0f : 0.0f);
  EXPECT_EQ(gg.weights.norm_offset, 0.0f);
  EXPECT_EQ(hf.weights.output_norm, gg.weights.output_norm);
  for (int l = 0; l < a.n_layers; ++l) {
    const LayerWeights &x = hf.weights.layers[size_t(l)], &y = gg.weights.layers[size_t(l)];
    EXPECT_EQ(x.attn_norm, y.attn_norm) << l;
    EXPECT_EQ(x.ffn_norm, y.ffn_norm) << l;
    EXPECT_EQ(x.post_attn_norm, y.post_attn_norm) << l;
    EXPECT_EQ(x.post_ffn_norm, y.post_ffn_norm) << l;
    EXPECT_EQ(x.q_norm, y.q_norm) << l;
    EXPECT_EQ(x.k_norm, y.k_norm) << l;
    EXPECT_EQ(x.q_bias.size(), y.q_bias.size()) << l;
  }
}

INSTANTIATE_TEST_SUITE_P(Tiny, ConfigPair,
                         ::testing::Values(Pair{"gemma3", "gemma3-f32.gguf"},
                                           Pair{"gemma2", "gemma2-f32.gguf"},
                                           Pair{"llama", "llama-f32.gguf"},
                                           Pair{"llama3rope", "llama3rope-f32.gguf"},
                                           Pair{"qwen2", "qwen2-f32.gguf"}),
                         [](const auto& p) { return p.param.name; });

TEST(ConfigHf, Gemma3FollowsLayerTypesAndQueryPreAttnScalar) {
  if (!test::model_fixture_exists("tiny", "gemma3_scalar")) GTEST_SKIP() << "fixture missing";
  ModelConfig c = config_from_hf(test::fixture("models/hf/gemma3_scalar"));
  EXPECT_EQ(c.arch, "gemma3");
  ASSERT_EQ(c.n_layers, 2);
  EXPECT_TRUE(c.is_sliding(0));   // layer_types says [sliding, full] ...
  EXPECT_FALSE(c.is_sliding(1));  // ... although the pattern 6 would make layer 1 sliding
  EXPECT_FLOAT_EQ(c.query_scale, 1.0f / 8.0f);  // query_pre_attn_scalar 64, not head_dim 32
}

TEST(ConfigHf, Gemma2DefaultsAndSoftcaps) {
  if (!test::model_fixture_exists("tiny", "gemma2")) GTEST_SKIP() << "fixture missing";
  ModelConfig c = config_from_hf(test::fixture("models/hf/gemma2/config.json"));
  EXPECT_EQ(c.activation, Activation::GeluTanh);
  EXPECT_GT(c.attn_softcap, 0.0f);
  EXPECT_GT(c.final_softcap, 0.0f);
  for (int l = 0; l < c.n_layers; ++l) EXPECT_EQ(c.is_sliding(l), l % 2 == 0) << l;
}

TEST(ConfigHf, TransformersFiveRopeParameters) {
  // transformers 5 writes rope_parameters, nested per layer type for Gemma 3.
  const std::string dir = test::temp_dir();
  write_file_atomic(dir + "/config.json", R"({
    "model_type": "gemma3_text", "hidden_size": 64, "intermediate_size": 128,
    "num_hidden_layers": 6, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32,
    "vocab_size": 512, "sliding_window": 8, "query_pre_attn_scalar": 32,
    "rope_parameters": {"full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1000000.0},
                        "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}}})");
  ModelConfig c = config_from_hf(dir);
  EXPECT_FLOAT_EQ(c.rope_base, 1e6f);
  EXPECT_FLOAT_EQ(c.rope_base_local, 1e4f);
  EXPECT_FLOAT_EQ(c.rope_freq_scale, 0.125f);
  for (int l = 0; l < 6; ++l) EXPECT_EQ(c.is_sliding(l), l != 5) << l;

  write_file_atomic(dir + "/config.json", R"({
    "model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
    "num_attention_heads": 4, "vocab_size": 512, "max_position_embeddings": 64,
    "rope_parameters": {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0,
      "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}})");
  ModelConfig l = config_from_hf(dir);
  EXPECT_EQ(l.n_kv_heads, 4);
  EXPECT_EQ(l.head_dim, 16);
  ASSERT_EQ(l.rope_freq_factors.size(), 8u);
  // Wavelength 2 pi < 8192 / 4: unscaled; 2 pi * 10000^(14/16) = 19869 > 8192: divided by 8.
  EXPECT_FLOAT_EQ(l.rope_freq_factors[0], 1.0f);
  EXPECT_FLOAT_EQ(l.rope_freq_factors[7], 8.0f);
}

TEST(ConfigHf, UnknownArchitectureAndBadFieldsNameTheFile) {
  const std::string dir = test::temp_dir();
  write_file_atomic(dir + "/config.json", R"({"model_type": "mamba", "hidden_size": 64})");
  expect_contains(
      error_of([&] { config_from_hf(dir); }),
      {dir + "/config.json", "model_type", "mamba", "gemma3", "gemma2", "llama", "qwen2"});
  write_file_atomic(dir + "/config.json", R"({"model_type": "llama", "hidden_size": 64})");
  expect_contains(error_of([&] { config_from_hf(dir); }),
                  {"config.json", "num_hidden_layers", "missing"});
  write_file_atomic(dir + "/config.json", R"({"model_type": "llama", "hidden_size": "big",
    "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 512})");
  expect_contains(error_of([&] { config_from_hf(dir); }), {"hidden_size", "number"});
  write_file_atomic(dir + "/config.json", "{ not json");
  expect_contains(error_of([&] { config_from_hf(dir); }), {"config.json", "invalid JSON"});
  write_file_atomic(dir + "/config.json", R"({"model_type": "llama", "hidden_size": 64,
    "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
    "num_key_value_heads": 3, "vocab_size": 512})");
  expect_contains(error_of([&] { config_from_hf(dir); }), {"n_kv_heads", "does not divide"});
  write_file_atomic(dir + "/config.json", R"({"model_type": "llama", "hidden_size": 64,
    "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 512,
    "rope_scaling": {"rope_type": "yarn", "factor": 4.0}})");
  expect_contains(error_of([&] { config_from_hf(dir); }),
                  {"rope_scaling", "yarn", "not supported"});
}

// ---- malformed GGUF models (written with our writer) -----------------------------------------

class BadGguf : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::temp_dir();
    shape_.n_layers = 2;
    weights_ = test::make_synthetic_weights(shape_, 11);
  }
  std::string write(const test::SyntheticWeights& w, std::map<std::string, GgufValue> meta) {
    std::string path = dir_ + "/m" + std::to_string(n_++) + ".gguf";
    test::write_synthetic_gguf(path, shape_, w, DType::F32, meta);
    return path;
  }
  std::string dir_;
  int n_ = 0;
  test::SyntheticShape shape_;
  test::SyntheticWeights weights_;
};

TEST_F(BadGguf, WellFormedLoads) {
  Model m = load_model(write(weights_, test::synthetic_metadata(shape_)));
  EXPECT_EQ(m.config.n_layers, 2);
  EXPECT_EQ(m.tokenizer, nullptr);  // no tokenizer in this file: the model still runs
  std::vector<int32_t> ids = {1, 2, 3};
  EXPECT_EQ(forward_all_logits(m, ids).shape, (Shape{3, shape_.vocab}));
}

TEST_F(BadGguf, UnsupportedArchitectureListsTheSupportedOnes) {
  auto meta = test::synthetic_metadata(shape_, "mamba");
  std::string path = write(weights_, meta);
  expect_contains(error_of([&] { load_model(path); }),
                  {path, "general.architecture", "mamba", "gemma3, gemma2, llama, qwen2"});
}

TEST_F(BadGguf, MissingMetadataKey) {
  auto meta = test::synthetic_metadata(shape_);
  meta.erase("gemma3.block_count");
  std::string path = write(weights_, meta);
  expect_contains(error_of([&] { load_model(path); }), {path, "gemma3.block_count", "missing"});
}

TEST_F(BadGguf, MissingTensor) {
  auto w = weights_;
  w.tensors.erase("blk.1.ffn_up.weight");
  std::string path = write(w, test::synthetic_metadata(shape_));
  expect_contains(error_of([&] { load_model(path); }), {path, "blk.1.ffn_up.weight", "missing"});
}

TEST_F(BadGguf, WrongShape) {
  auto w = weights_;
  w.tensors["blk.0.attn_q.weight"].first = {128, 256};  // same element count, wrong shape
  std::string path = write(w, test::synthetic_metadata(shape_));
  expect_contains(error_of([&] { load_model(path); }),
                  {path, "blk.0.attn_q.weight", "expected shape [256, 128]", "[128, 256]"});
  auto w2 = weights_;
  w2.tensors["blk.0.attn_k_norm.weight"].first = {32};
  w2.tensors["blk.0.attn_k_norm.weight"].second.resize(32);
  std::string p2 = write(w2, test::synthetic_metadata(shape_));
  expect_contains(error_of([&] { load_model(p2); }), {p2, "blk.0.attn_k_norm.weight", "[64]"});
}

TEST_F(BadGguf, HeadCountsThatDoNotDivide) {
  auto meta = test::synthetic_metadata(shape_);
  meta["gemma3.attention.head_count_kv"] = gguf_u32(3);
  std::string path = write(weights_, meta);
  expect_contains(error_of([&] { load_model(path); }), {path, "n_kv_heads"});
}

TEST(LoadModel, NeitherFileNorFolder) {
  expect_contains(error_of([] { load_model("/no/such/model.gguf"); }), {"/no/such/model.gguf"});
  const std::string dir = test::temp_dir();
  expect_contains(error_of([&] { load_model(dir); }), {dir, "config.json", "missing"});
  write_file_atomic(dir + "/notes.txt", "hello");
  expect_contains(error_of([&] { load_model(dir + "/notes.txt"); }), {"notes.txt", "not a GGUF"});
}

}  // namespace
}  // namespace knowscope
