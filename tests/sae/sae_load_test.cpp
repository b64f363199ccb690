// Every fixture SAE (Gemma Scope 1 npz stored/deflated, Gemma Scope 2, SAELens v5/v6 layouts in
// f32/f16/bf16) loads with the right settings and encodes/decodes the fixture inputs as numpy's
// reference (tools/make_sae_fixtures.py) does.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/io/npy.h"
#include "knowscope/sae/encode.h"
#include "knowscope/sae/sae_io.h"
#include "sae/sae_fixtures.h"
#include "test_paths.h"

namespace knowscope {
namespace {

TEST(SaeLoad, EveryFixtureMatchesNumpyReference) {
  auto meta = test::sae_fixture_meta();
  auto x = test::sae_fixture_inputs();
  auto expected = read_npz(test::fixture("sae/expected.npz"));
  ASSERT_GE(meta.size(), 10u);
  for (auto& [name, m] : meta.items()) {
    SCOPED_TRACE(name);
    Sae sae = load_sae(test::fixture("sae/" + m["folder"].get<std::string>()));
    std::string arch = m["arch"];
    EXPECT_STREQ(sae_arch_name(sae.arch), arch.c_str());
    EXPECT_EQ(sae.d_in, 16);
    EXPECT_EQ(sae.d_sae, 48);
    if (arch == "topk") {
      EXPECT_EQ(sae.k, m["k"].get<int64_t>());
    }
    EXPECT_EQ(sae.apply_b_dec_to_input, m["apply_b_dec_to_input"].get<bool>());
    EXPECT_STREQ(sae_input_norm_name(sae.input_norm),
                 m["normalize_activations"].get<std::string>().c_str());
    EXPECT_EQ(sae.rescale_acts_by_decoder_norm, m["rescale_acts_by_decoder_norm"].get<bool>());
    EXPECT_EQ(sae.hook_name, m["hook_name"].get<std::string>());
    EXPECT_EQ(sae.model_name, m["model_name"].get<std::string>());
    EXPECT_EQ(sae.source_dtype, m["dtype"].get<std::string>());

    const int64_t n = x.shape[0];
    std::vector<float> acts(size_t(n * sae.d_sae)), recon(size_t(n * sae.d_in));
    sae_encode_dense(sae, x.ptr(), n, acts.data());
    SaeCodes codes = sae_encode(sae, x.ptr(), n);
    sae_decode(sae, codes, recon.data());
    auto want_acts = npy_to_f32(expected.at(name + ".acts"), name);
    auto want_recon = npy_to_f32(expected.at(name + ".recon"), name);
    ASSERT_EQ(want_acts.size(), acts.size());
    double max_err = 0;
    for (size_t i = 0; i < acts.size(); ++i) {
      EXPECT_NEAR(acts[i], want_acts[i], 1e-4 * (1 + std::fabs(want_acts[i]))) << i;
      EXPECT_EQ(acts[i] != 0.0f, want_acts[i] != 0.0f) << "active set differs at " << i;
      max_err = std::max(max_err, double(std::fabs(acts[i] - want_acts[i])));
    }
    for (size_t i = 0; i < recon.size(); ++i)
      EXPECT_NEAR(recon[i], want_recon[i], 1e-4 * (1 + std::fabs(want_recon[i]))) << i;
    // Sparse and dense encodes agree exactly.
    for (int64_t r = 0; r < n; ++r)
      for (int64_t j = 0; j < sae.d_sae; ++j)
        EXPECT_EQ(codes.get(r, int32_t(j)), acts[size_t(r * sae.d_sae + j)]);
    EXPECT_LT(max_err, 1e-4);
  }
}

TEST(SaeLoad, FormatSpecificFacts) {
  Sae gs1 = load_sae(test::fixture("sae/gs1_stored/layer_3"));  // folder with params.npz
  EXPECT_EQ(gs1.source_format, "gemma_scope_npz");
  EXPECT_EQ(hook_layer(gs1.hook_name), 3);
  EXPECT_TRUE(gs1.warnings.empty()) << gs1.warnings[0];  // unit decoder rows, no extra arrays

  Sae gs2 =
      load_sae(test::fixture("sae/gs2/resid_post/layer_7_width_16k_l0_small/params.safetensors"));
  EXPECT_EQ(gs2.source_format, "gemma_scope_2");
  EXPECT_EQ(gs2.hf_hook_name, "model.layers.7.output");

  SaeLoadOptions opt;
  opt.hook_name = "blocks.4.hook_resid_post";
  opt.model_name = "gemma-3-270m";
  Sae over = load_sae(test::fixture("sae/gs1_stored/layer_3/params.npz"), opt);
  EXPECT_EQ(over.hook_name, "blocks.4.hook_resid_post");
  EXPECT_EQ(over.model_name, "gemma-3-270m");

  // Non-unit decoder rows are reported.
  Sae rescale = load_sae(test::fixture("sae/saelens_v6_topk_rescale"));
  ASSERT_FALSE(rescale.warnings.empty());
  EXPECT_NE(rescale.warnings[0].find("decoder rows"), std::string::npos);
  DecoderNormStats st = decoder_norm_stats(rescale);
  EXPECT_GT(st.far_from_one, 0);
  EXPECT_LT(st.min, st.mean);
  EXPECT_LT(st.mean, st.max);
}

TEST(SaeLoad, HfHookNames) {
  EXPECT_EQ(hf_hook_to_tl("model.layers.12.output"), "blocks.12.hook_resid_post");
  EXPECT_EQ(hf_hook_to_tl("model.layers.3.self_attn.o_proj.input"), "blocks.3.attn.hook_z");
  EXPECT_EQ(hf_hook_to_tl("model.layers.17.post_feedforward_layernorm.output"),
            "blocks.17.hook_mlp_out");
  EXPECT_EQ(hf_hook_to_tl("model.layers.5.pre_feedforward_layernorm.output"),
            "blocks.5.hook_mlp_in");
  EXPECT_EQ(hf_hook_to_tl("model.embed_tokens.output"), "");
  EXPECT_EQ(hook_layer("blocks.12.hook_resid_post"), 12);
  EXPECT_EQ(hook_layer("hook_embed"), -1);
}

TEST(SaeLoad, FoldingDecoderNormsKeepsOutputs) {
  Sae s = load_sae(test::fixture("sae/saelens_v6_jumprelu_constnorm"));
  // Give the decoder non-unit rows, fold them back, and compare reconstructions.
  for (int64_t j = 0; j < s.d_sae; ++j)
    for (int64_t i = 0; i < s.d_in; ++i)
      s.W_dec.data[size_t(j * s.d_in + i)] *= 1.0f + 0.1f * float(j % 5);
  auto x = test::sae_fixture_inputs();
  std::vector<float> before(size_t(x.shape[0] * s.d_in)), after(before.size());
  sae_reconstruct(s, x.ptr(), x.shape[0], before.data());
  fold_decoder_norms(s);
  EXPECT_EQ(decoder_norm_stats(s, 1e-5).far_from_one, 0);
  sae_reconstruct(s, x.ptr(), x.shape[0], after.data());
  for (size_t i = 0; i < before.size(); ++i) EXPECT_NEAR(before[i], after[i], 1e-4);
  Sae topk = load_sae(test::fixture("sae/saelens_v6_topk_f16"));
  EXPECT_THROW(fold_decoder_norms(topk), Error);
}

}  // namespace
}  // namespace knowscope
