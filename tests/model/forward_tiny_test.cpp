// Tiny random models of every supported architecture, loaded from their Hugging Face folders and
// from llama.cpp's GGUF conversions, against logits of HF transformers and llama.cpp
// (tests/fixtures/models/tiny/*.json, made by tools/make_model_fixtures.py).
#include <gtest/gtest.h>

#include <cstdio>

#include "forward_fixtures.h"
#include "knowscope/model/forward.h"
#include "knowscope/model/generate.h"

namespace knowscope {
namespace {

using test::compare_logits;
using test::json_ids;
using test::LogitDiff;

// Float32 everywhere, same formulas: only summation order and transcendental rounding differ.
constexpr double kTol = 1e-3;

class TinyForward : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!test::model_fixture_exists("tiny", GetParam()))
      GTEST_SKIP() << "fixture tiny/" << GetParam() << ".json not generated yet";
    fx_ = test::load_model_fixture("tiny", GetParam());
  }
  std::string hf_dir() const {
    return test::fixture("models/" + fx_.manifest.at("hf_dir").get<std::string>());
  }
  test::ModelFixture fx_;
};

TEST_P(TinyForward, HfFolderLogitsMatchTransformers) {
  Model m = load_model(hf_dir());
  EXPECT_EQ(m.format, "hf");
  double worst = 0;
  for (const auto& seq : fx_.manifest.at("sequences")) {
    std::vector<int32_t> ids = json_ids(seq.at("input_ids"));
    Tensor logits = forward_all_logits(m, ids);
    std::vector<float> ref = fx_.floats(seq.at("hf_logits_tensor").get<std::string>());
    ASSERT_EQ(logits.numel(), int64_t(ref.size()));
    LogitDiff d =
        compare_logits(logits.ptr(), ref.data(), int64_t(ids.size()), m.config.vocab_size);
    std::printf("  %s hf %s (T=%zu): max|diff| %.2e, top-1 mismatches %d\n", GetParam().c_str(),
                seq.at("name").get<std::string>().c_str(), ids.size(), d.max_abs,
                d.argmax_mismatch);
    EXPECT_LE(d.max_abs, kTol) << seq.at("name");
    EXPECT_EQ(d.argmax_mismatch, 0) << seq.at("name");
    worst = std::max(worst, d.max_abs);
  }
  std::printf("%s HF folder vs transformers: max|diff| %.2e over all sequences\n",
              GetParam().c_str(), worst);
}

TEST_P(TinyForward, GgufLogitsMatchTransformersAndLlamaCpp) {
  if (!fx_.manifest.contains("ggufs") || fx_.manifest.at("ggufs").empty())
    GTEST_SKIP() << "no GGUF conversion for this model (HF only)";
  for (const auto& [outtype, info] : fx_.manifest.at("ggufs").items()) {
    Model m = load_model(test::fixture("models/" + info.at("path").get<std::string>()));
    EXPECT_EQ(m.format, "gguf");
    // The exact answer for this file is transformers on its weights as stored (dequantized by the
    // gguf package; for f32 the HF logits themselves): float32 throughout, like us.
    // llama.cpp's own distance from that answer (f16/8-bit activations, its f16 GELU table) bounds
    // how far it may be from us, by the triangle inequality.
    const double llama_vs_exact =
        info.at("max_abs_diff_vs_hf_gguf_weights_all_sequences").get<double>();
    const double tol_llama = llama_vs_exact + kTol;
    double worst_exact = 0, worst_llama = 0;
    for (const auto& seq : fx_.manifest.at("sequences")) {
      std::vector<int32_t> ids = json_ids(seq.at("input_ids"));
      Tensor logits = forward_all_logits(m, ids);
      const int64_t T = int64_t(ids.size()), V = m.config.vocab_size;
      const auto& lc_info = seq.at("llama_cpp").at(outtype);
      std::vector<float> exact =
          fx_.floats(lc_info.at("hf_gguf_weights_logits_tensor").get<std::string>());
      std::vector<float> lc = fx_.floats(lc_info.at("logits_tensor").get<std::string>());
      LogitDiff de = compare_logits(logits.ptr(), exact.data(), T, V, 2 * kTol);
      LogitDiff dl = compare_logits(logits.ptr(), lc.data(), T, V, 2 * tol_llama);
      worst_exact = std::max(worst_exact, de.max_abs);
      worst_llama = std::max(worst_llama, dl.max_abs);
      EXPECT_LE(de.max_abs, kTol) << outtype << " " << seq.at("name");
      EXPECT_EQ(de.argmax_mismatch, 0) << outtype << " " << seq.at("name");
      EXPECT_LE(dl.max_abs, tol_llama) << outtype << " " << seq.at("name");
      EXPECT_EQ(dl.argmax_mismatch, 0) << outtype << " " << seq.at("name");
      if (de.ties_excused + dl.ties_excused)
        std::printf("  %s %s %s: top-1 near-ties excused: %d vs transformers, %d vs llama.cpp\n",
                    GetParam().c_str(), outtype.c_str(), seq.at("name").get<std::string>().c_str(),
                    de.ties_excused, dl.ties_excused);
    }
    std::printf(
        "%s GGUF %s: max|diff| vs transformers on the same weights %.2e, vs llama.cpp %.2e "
        "(llama.cpp vs transformers %.2e)\n",
        GetParam().c_str(), outtype.c_str(), worst_exact, worst_llama, llama_vs_exact);
  }
}

// llama.cpp's arithmetic reproduced (Numerics::LlamaCppF32Cache, as the fixtures ran llama.cpp
// with an f32 KV cache): every logit of every fixture sequence equals llama.cpp's bit for bit, for
// every architecture and weight type here (f32, f16, q8_0; Gemma 2's softcaps included), where
// the exact engine is off by llama.cpp's rounding noise (printed).
TEST_P(TinyForward, GgufLlamaCppArithmeticMatchesLlamaCpp) {
  if (!fx_.manifest.contains("ggufs") || fx_.manifest.at("ggufs").empty())
    GTEST_SKIP() << "no GGUF conversion for this model (HF only)";
  for (const auto& [outtype, info] : fx_.manifest.at("ggufs").items()) {
    Model m = load_model(test::fixture("models/" + info.at("path").get<std::string>()));
    const double llama_vs_exact =
        info.at("max_abs_diff_vs_hf_gguf_weights_all_sequences").get<double>();
    double worst = 0;
    for (const auto& seq : fx_.manifest.at("sequences")) {
      std::vector<int32_t> ids = json_ids(seq.at("input_ids"));
      Tensor logits = forward_all_logits(m, ids, Numerics::LlamaCppF32Cache);
      const int64_t T = int64_t(ids.size()), V = m.config.vocab_size;
      std::vector<float> lc =
          fx_.floats(seq.at("llama_cpp").at(outtype).at("logits_tensor").get<std::string>());
      ASSERT_EQ(lc.size(), size_t(T * V));
      int differing = 0;
      for (int64_t i = 0; i < T * V; ++i) {
        worst = std::max(worst, std::fabs(double(logits.ptr()[i]) - double(lc[size_t(i)])));
        differing += logits.ptr()[i] != lc[size_t(i)];
      }
      EXPECT_EQ(differing, 0) << outtype << " " << seq.at("name") << ": largest difference "
                              << worst;
    }
    std::printf(
        "%s GGUF %s with llama.cpp's arithmetic: max|diff| vs llama.cpp %.2e (exact engine: "
        "%.2e)\n",
        GetParam().c_str(), outtype.c_str(), worst, llama_vs_exact);
  }
}

TEST_P(TinyForward, ResidualStreamMatchesTransformersHiddenStates) {
  Model m = load_model(hf_dir());
  const auto& rs = fx_.manifest.at("resid");
  std::vector<int32_t> ids;
  for (const auto& seq : fx_.manifest.at("sequences"))
    if (seq.at("name") == rs.at("sequence")) ids = json_ids(seq.at("input_ids"));
  ASSERT_FALSE(ids.empty());
  const int64_t T = int64_t(ids.size()), d = m.config.d_model;

  std::vector<std::vector<float>> post(size_t(m.config.n_layers));
  std::vector<float> embed, final_norm;
  ForwardHooks hooks;
  hooks.wants = [](HookPoint p, int) {
    return p == HookPoint::Embed || p == HookPoint::ResidPost || p == HookPoint::FinalNorm;
  };
  hooks.fn = [&](const HookEvent& e) {
    std::vector<float> rows(e.data, e.data + e.rows * e.cols);
    if (e.point == HookPoint::Embed) embed = rows;
    if (e.point == HookPoint::ResidPost) post[size_t(e.layer)] = rows;
    if (e.point == HookPoint::FinalNorm) final_norm = rows;
  };
  ForwardState st;
  ForwardOptions opt;
  opt.logits = LogitsMode::Last;
  opt.hooks = &hooks;
  SequenceInput in{ids, nullptr};
  forward(m, std::span<const SequenceInput>(&in, 1), opt, st);

  auto check = [&](const std::vector<float>& ours, const std::string& name) {
    std::vector<float> ref = fx_.floats(name);
    ASSERT_EQ(ours.size(), size_t(T * d)) << name;
    double max_abs = 0, scale = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
      max_abs = std::max(max_abs, std::fabs(double(ours[i]) - ref[i]));
      scale = std::max(scale, std::fabs(double(ref[i])));
    }
    std::printf("  %s %s: max|diff| %.2e (max|ref| %.2f)\n", GetParam().c_str(), name.c_str(),
                max_abs, scale);
    EXPECT_LE(max_abs, 1e-5 * std::max(1.0, scale) + 1e-5) << name;
  };
  check(embed, rs.at("embed_tensor").get<std::string>());
  for (int l = 0; l < m.config.n_layers; ++l)
    check(post[size_t(l)], rs.at("post_tensors")[size_t(l)].get<std::string>());
  check(final_norm, rs.at("final_norm_tensor").get<std::string>());
}

TEST_P(TinyForward, GreedyContinuationsMatchTransformers) {
  Model m = load_model(hf_dir());
  for (const auto& g : fx_.manifest.at("greedy")) {
    std::vector<int32_t> prompt = json_ids(g.at("prompt_ids"));
    std::vector<int32_t> expect = json_ids(g.at("new_ids"));
    GenerateOptions opt;
    opt.max_new_tokens = g.at("max_new_tokens").get<int>();
    opt.default_stop_tokens = g.at("eos_stopping").get<bool>();
    auto out = generate(m, {prompt}, opt);
    ASSERT_EQ(out.size(), 1u);
    const auto& got = out[0].tokens;
    size_t first_diff = 0;
    while (first_diff < std::min(got.size(), expect.size()) &&
           got[first_diff] == expect[first_diff])
      ++first_diff;
    if (first_diff == expect.size() && got.size() == expect.size()) continue;
    // A divergence is excused only at a step where HF's own top-2 margin is within our tolerance.
    const double margin = g.at("top1_minus_top2_logit_per_step")[first_diff].get<double>();
    std::printf("  %s greedy diverges at step %zu; HF top-2 margin there %.2e\n",
                GetParam().c_str(), first_diff, margin);
    EXPECT_LT(margin, 2 * kTol) << "greedy continuation differs from transformers at step "
                                << first_diff;
  }
}

INSTANTIATE_TEST_SUITE_P(Archs, TinyForward,
                         ::testing::Values("gemma3", "gemma3_scalar", "gemma2", "llama",
                                           "llama3rope", "qwen2"));

}  // namespace
}  // namespace knowscope
