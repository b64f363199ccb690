// Quantized weights: a random Gemma 3-shaped model written with our GGUF writer in F32, F16, BF16,
// Q8_0, Q4_0, Q4_1, Q5_0 and Q5_1. Two checks per type:
//  - exact: the quantized file gives the same logits as an F32 file holding the quantized values
//    (dequantized), i.e. the fused quantized kernels compute the same math;
//  - close: its logits stay near the unquantized model's: the relative RMS error of the logits is
//  at
//    most 10x the relative RMS error that quantization put into the weights (errors of the ~43
//    matmuls on the way add up roughly as sqrt(43) ~ 6.6; random Gaussian weights are the worst
//    case for block quantizers, so Q4 logits move by ~40% here).
#include <gtest/gtest.h>

#include <cmath>

#include "forward_synthetic.h"
#include "knowscope/core/matmul.h"
#include "knowscope/model/forward.h"
#include "test_paths.h"

namespace knowscope {
namespace {

struct Stats {
  double max_abs = 0, rms_diff = 0, rms_ref = 0;
  double top1_agree = 0;
};

Stats compare(const Tensor& a, const Tensor& b, int64_t V) {
  Stats s;
  double sd = 0, sr = 0;
  int64_t rows = a.numel() / V, agree = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = a.ptr() + r * V;
    const float* y = b.ptr() + r * V;
    int64_t ax = 0, ay = 0;
    for (int64_t i = 0; i < V; ++i) {
      double d = double(x[i]) - y[i];
      s.max_abs = std::max(s.max_abs, std::fabs(d));
      sd += d * d;
      sr += double(y[i]) * y[i];
      if (x[i] > x[ax]) ax = i;
      if (y[i] > y[ay]) ay = i;
    }
    agree += ax == ay;
  }
  s.rms_diff = std::sqrt(sd / double(a.numel()));
  s.rms_ref = std::sqrt(sr / double(a.numel()));
  s.top1_agree = double(agree) / double(rows);
  return s;
}

class QuantizedModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(test::temp_dir());
    weights_ = new test::SyntheticWeights(test::make_synthetic_weights(shape_, 4242));
    test::write_synthetic_gguf(*dir_ + "/f32.gguf", shape_, *weights_, DType::F32,
                               test::synthetic_metadata(shape_));
    ref_ = new Model(load_model(*dir_ + "/f32.gguf"));
    std::mt19937 rng(7);
    tokens_ = new std::vector<int32_t>(40);
    for (auto& t : *tokens_) t = int32_t(rng() % uint32_t(shape_.vocab));
    ref_logits_ = new Tensor(forward_all_logits(*ref_, *tokens_));
  }
  static void TearDownTestSuite() {
    delete ref_logits_;
    delete tokens_;
    delete ref_;
    delete weights_;
    delete dir_;
  }

  static inline test::SyntheticShape shape_;
  static inline std::string* dir_ = nullptr;
  static inline test::SyntheticWeights* weights_ = nullptr;
  static inline Model* ref_ = nullptr;
  static inline std::vector<int32_t>* tokens_ = nullptr;
  static inline Tensor* ref_logits_ = nullptr;
};

TEST_F(QuantizedModel, ConfigComesFromTheMetadata) {
  const ModelConfig& c = ref_->config;
  EXPECT_EQ(c.arch, "gemma3");
  EXPECT_EQ(c.n_layers, 6);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.vocab_size, 1024);
  EXPECT_TRUE(c.tied_embeddings);
  EXPECT_TRUE(c.qk_norm);
  EXPECT_FLOAT_EQ(c.query_scale, 1.0f / 8.0f);
  EXPECT_FLOAT_EQ(c.embed_scale, std::sqrt(128.0f));
  EXPECT_FLOAT_EQ(c.rope_base, 1e6f);
  EXPECT_FLOAT_EQ(c.rope_base_local, 1e4f);  // llama.cpp's Gemma 3 default
  for (int l = 0; l < 6; ++l) EXPECT_EQ(c.is_sliding(l), l != 5) << l;
}

class QuantizedType : public QuantizedModel, public ::testing::WithParamInterface<DType> {};

TEST_P(QuantizedType, MatchesItsDequantizedValuesAndStaysCloseToFloat32) {
  const DType t = GetParam();
  const std::string name = dtype_name(t);
  test::write_synthetic_gguf(*dir_ + "/" + name + ".gguf", shape_, *weights_, t,
                             test::synthetic_metadata(shape_));
  test::write_synthetic_gguf(*dir_ + "/" + name + "-deq.gguf", shape_, *weights_, DType::F32,
                             test::synthetic_metadata(shape_), test::round_trip_through(t));
  Model q = load_model(*dir_ + "/" + name + ".gguf");
  Model deq = load_model(*dir_ + "/" + name + "-deq.gguf");
  EXPECT_EQ(q.weights.layers[0].q.dtype, t);
  const int64_t V = shape_.vocab;

  // Both linear paths: the dot_row path (one token at a time) and the sgemm path (the prompt).
  Tensor lq = forward_all_logits(q, *tokens_);
  Tensor ld = forward_all_logits(deq, *tokens_);
  set_linear_path(LinearPath::Dot);
  Tensor lq_dot = forward_all_logits(q, *tokens_);
  set_linear_path(LinearPath::Auto);

  Stats exact = compare(lq, ld, V), exact_dot = compare(lq_dot, ld, V);
  Stats close = compare(lq, *ref_logits_, V);
  std::printf(
      "%-5s vs its dequantized F32 twin: max|diff| %.2e (sgemm path), %.2e (dot path); vs "
      "the unquantized model: rms diff %.4f of rms %.3f, max %.3f, top-1 agreement %.0f%%\n",
      name.c_str(), exact.max_abs, exact_dot.max_abs, close.rms_diff, close.rms_ref, close.max_abs,
      100 * close.top1_agree);
  // Same math, float32 rounding only.
  EXPECT_LE(exact.max_abs, 1e-4 * std::max(1.0, close.rms_ref * 10));
  EXPECT_LE(exact_dot.max_abs, 1e-4 * std::max(1.0, close.rms_ref * 10));
  // Relative RMS error quantization puts into the 2-D weights.
  double werr = 0, wref = 0;
  for (const auto& [wname, sv] : weights_->tensors) {
    if (sv.first.size() != 2) continue;
    std::vector<float> v = sv.second;
    test::round_trip_through(t)(v, sv.first.back());
    for (size_t i = 0; i < v.size(); ++i) {
      werr += double(v[i] - sv.second[i]) * (v[i] - sv.second[i]);
      wref += double(sv.second[i]) * sv.second[i];
    }
  }
  const double weight_rel = std::sqrt(werr / wref), logit_rel = close.rms_diff / close.rms_ref;
  std::printf("      weights' relative rms error %.2e, logits' %.2e (ratio %.1f)\n", weight_rel,
              logit_rel, weight_rel > 0 ? logit_rel / weight_rel : 0.0);
  EXPECT_LE(logit_rel, 10 * weight_rel + 1e-6) << name;
}

INSTANTIATE_TEST_SUITE_P(Types, QuantizedType,
                         ::testing::Values(DType::F32, DType::F16, DType::BF16, DType::Q8_0,
                                           DType::Q5_0, DType::Q5_1, DType::Q4_0, DType::Q4_1),
                         [](const auto& p) { return dtype_name(p.param); });

}  // namespace
}  // namespace knowscope
