// Capture against independent recomputations: HF transformers' hidden states (fixtures), attention
// patterns recomputed here from captured q and k, and batched against one-by-one runs.
#include "knowscope/hooks/capture.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "hooks_test_util.h"
#include "knowscope/core/half.h"
#include "knowscope/hooks/hook_names.h"
#include "knowscope/io/atomic_file.h"
#include "model/forward_fixtures.h"

namespace knowscope {
namespace {

namespace fs = std::filesystem;

CapturePrompt all_positions(std::vector<int32_t> tokens) {
  CapturePrompt p;
  p.tokens = std::move(tokens);
  for (size_t i = 0; i < p.tokens.size(); ++i) p.positions.push_back(int64_t(i));
  return p;
}

class CaptureVsHf : public ::testing::TestWithParam<std::string> {};

// Residual stream at every layer, the embeddings and the final norm equal HF's hidden states.
TEST_P(CaptureVsHf, ResidualStreamMatchesTransformers) {
  test::ModelFixture fx = test::load_model_fixture("tiny", GetParam());
  Model m = test::tiny_hf_model(GetParam());
  const auto& resid = fx.manifest.at("resid");
  std::vector<int32_t> ids;
  for (const auto& seq : fx.manifest.at("sequences"))
    if (seq.at("name") == resid.at("sequence")) ids = test::json_ids(seq.at("input_ids"));
  ASSERT_FALSE(ids.empty());
  std::vector<CapturePrompt> prompts = {all_positions(ids)};
  CaptureOptions opt;
  opt.hooks.push_back({"hook_embed", {}});
  for (int l = 0; l < m.config.n_layers; ++l)
    opt.hooks.push_back({"blocks." + std::to_string(l) + ".hook_resid_post", {}});
  opt.hooks.push_back({"ln_final.hook_normalized", {}});
  CaptureResult r = capture(m, prompts, opt);
  ASSERT_EQ(r.rows(), int64_t(ids.size()));
  const int64_t n = r.rows() * m.config.d_model;
  auto check = [&](const std::string& hook, const std::string& tensor) {
    std::vector<float> ref = fx.floats(tensor);
    ASSERT_EQ(int64_t(ref.size()), n) << tensor;
    double scale = 0;
    for (float x : ref) scale = std::max(scale, double(std::fabs(x)));
    const double diff = test::max_abs_diff(r.hook(hook).data.ptr(), ref.data(), n);
    EXPECT_LE(diff, 2e-5 * std::max(1.0, scale)) << hook << " vs " << tensor;
  };
  check("hook_embed", resid.at("embed_tensor"));
  for (int l = 0; l < m.config.n_layers; ++l)
    check("blocks." + std::to_string(l) + ".hook_resid_post",
          resid.at("post_tensors")[size_t(l)].get<std::string>());
  check("ln_final.hook_normalized", resid.at("final_norm_tensor"));
  // A wrong layer must not match: the check can fail.
  std::vector<float> post0 = fx.floats(resid.at("post_tensors")[0]);
  EXPECT_GT(test::max_abs_diff(r.hook("blocks.1.hook_resid_post").data.ptr(), post0.data(), n),
            1e-2);
}

INSTANTIATE_TEST_SUITE_P(Tiny, CaptureVsHf,
                         ::testing::Values("gemma3", "gemma2", "llama", "qwen2", "llama3rope"));

// hook_pattern equals softmax(scale * q.k) with the causal/sliding mask and softcap, computed here
// from the captured q and k (GQA: query head h reads kv head h / (H / Hkv)).
TEST(Capture, PatternEqualsSoftmaxOfCapturedQK) {
  for (const char* name : {"gemma3", "gemma2", "llama"}) {
    Model m = test::tiny_hf_model(name);
    const ModelConfig& c = m.config;
    const int T = 13;
    std::vector<CapturePrompt> prompts = {all_positions(test::ramp_tokens(T, c.vocab_size, 1))};
    CaptureOptions opt;
    for (int l = 0; l < c.n_layers; ++l) {
      const std::string b = "blocks." + std::to_string(l) + ".attn.";
      opt.hooks.push_back({b + "hook_q", {}});
      opt.hooks.push_back({b + "hook_k", {}});
      opt.hooks.push_back({b + "hook_pattern", {}});
      opt.hooks.push_back({b + "hook_attn_scores", {}});
    }
    CaptureResult r = capture(m, prompts, opt);
    const int H = c.n_heads, D = c.head_dim, group = c.n_heads / c.n_kv_heads;
    double worst = 0, worst_scores = 0;
    for (int l = 0; l < c.n_layers; ++l) {
      const std::string b = "blocks." + std::to_string(l) + ".attn.";
      const CapturedHook& q = r.hook(b + "hook_q");
      const CapturedHook& k = r.hook(b + "hook_k");
      const CapturedHook& pat = r.hook(b + "hook_pattern");
      const CapturedHook& sc = r.hook(b + "hook_attn_scores");
      ASSERT_EQ(pat.row_shape, (Shape{H, T}));
      const int64_t window = c.is_sliding(l) ? c.sliding_window : 0;
      for (int i = 0; i < T; ++i)
        for (int h = 0; h < H; ++h) {
          const int64_t lo = window > 0 ? std::max<int64_t>(0, i - window + 1) : 0;
          std::vector<double> s(size_t(T), -INFINITY);
          double mx = -INFINITY;
          for (int64_t j = lo; j <= i; ++j) {
            double dot = 0;
            for (int e = 0; e < D; ++e)
              dot += double(q.row(i)[h * D + e]) * k.row(j)[(h / group) * D + e];
            dot *= c.query_scale;
            if (c.attn_softcap > 0) dot = c.attn_softcap * std::tanh(dot / c.attn_softcap);
            s[size_t(j)] = dot;
            mx = std::max(mx, dot);
          }
          double z = 0;
          for (int64_t j = lo; j <= i; ++j) z += std::exp(s[size_t(j)] - mx);
          for (int j = 0; j < T; ++j) {
            const double p = (j >= lo && j <= i) ? std::exp(s[size_t(j)] - mx) / z : 0.0;
            worst = std::max(worst, std::fabs(p - pat.row(i)[h * T + j]));
            const float got = sc.row(i)[h * T + j];
            if (j >= lo && j <= i) {
              worst_scores = std::max(worst_scores, std::fabs(s[size_t(j)] - got));
            } else {
              EXPECT_TRUE(std::isinf(got) && got < 0)
                  << name << " l" << l << " q" << i << " k" << j;
            }
          }
        }
    }
    EXPECT_LE(worst, 1e-5) << name;
    EXPECT_LE(worst_scores, 1e-4) << name;
  }
}

// Chunked batches give the same rows as one prompt per call; heads and positions select slices.
TEST(Capture, BatchedEqualsOneByOneAndHeadsSelectSlices) {
  Model m = test::tiny_hf_model("gemma3");
  const ModelConfig& c = m.config;
  std::vector<CapturePrompt> prompts;
  for (int i = 0; i < 5; ++i) {
    CapturePrompt p;
    p.tokens = test::ramp_tokens(4 + 3 * i, c.vocab_size, i);
    p.positions = i % 2 ? std::vector<int64_t>{0, int64_t(p.tokens.size()) - 1}
                        : std::vector<int64_t>{int64_t(p.tokens.size()) - 2};
    prompts.push_back(p);
  }
  CaptureOptions opt;
  opt.hooks = {{"blocks.2.hook_resid_post", {}},
               {"blocks.1.attn.hook_z", {3, 1}},
               {"blocks.1.attn.hook_z", {}},
               {"blocks.3.attn.hook_pattern", {2}},
               {"blocks.0.mlp.hook_post", {}}};
  CaptureResult batched = capture(m, prompts, opt);
  ASSERT_EQ(batched.rows(), 1 + 2 + 1 + 2 + 1);
  const int64_t keys = int64_t(prompts.back().tokens.size());
  EXPECT_EQ(batched.hook("blocks.3.attn.hook_pattern").row_shape, (Shape{1, keys}));
  double worst = 0;
  for (size_t p = 0; p < prompts.size(); ++p) {
    std::vector<CapturePrompt> one = {prompts[p]};
    CaptureResult single = capture(m, one, opt);
    for (int64_t sr = 0; sr < single.rows(); ++sr) {
      const int64_t br = batched.find_row(int(p), single.position[size_t(sr)]);
      ASSERT_GE(br, 0);
      EXPECT_EQ(batched.token[size_t(br)], single.token[size_t(sr)]);
      for (size_t h = 0; h < opt.hooks.size(); ++h) {
        const CapturedHook& a = batched.hooks[h];
        const CapturedHook& b = single.hooks[h];
        // Pattern rows of a shorter prompt are padded with zeros up to the longest prompt.
        const int64_t n =
            a.point == HookPoint::Pattern ? int64_t(prompts[p].tokens.size()) : a.row_numel();
        worst = std::max(worst, test::max_abs_diff(a.row(br), b.row(sr), n));
        if (a.point == HookPoint::Pattern) {
          for (int64_t j = n; j < a.row_numel(); ++j) EXPECT_EQ(a.row(br)[j], 0.0f);
        }
      }
    }
  }
  EXPECT_LE(worst, 1e-5);
  // Head selection: z heads {3, 1} are those slices of the full z, in that order.
  const CapturedHook& sel = batched.hooks[1];
  const CapturedHook& full = batched.hooks[2];
  ASSERT_EQ(sel.row_shape, (Shape{2, c.head_dim}));
  for (int64_t r = 0; r < batched.rows(); ++r) {
    EXPECT_TRUE(test::bit_equal(sel.row(r), full.row(r) + 3 * c.head_dim, c.head_dim));
    EXPECT_TRUE(test::bit_equal(sel.row(r) + c.head_dim, full.row(r) + 1 * c.head_dim, c.head_dim));
  }
}

// Stopping after the last requested block gives what the full pass gives.
TEST(Capture, EarlyStopMatchesFullPass) {
  Model m = test::tiny_hf_model("llama");
  std::vector<CapturePrompt> prompts = {
      all_positions(test::ramp_tokens(9, m.config.vocab_size, 3))};
  CaptureOptions early, full;
  early.hooks = {{"blocks.0.hook_resid_post", {}}};
  full.hooks = {{"blocks.0.hook_resid_post", {}}, {"ln_final.hook_normalized", {}}};
  CaptureResult a = capture(m, prompts, early), b = capture(m, prompts, full);
  const CapturedHook& x = a.hook("blocks.0.hook_resid_post");
  EXPECT_TRUE(
      test::bit_equal(x.data.ptr(), b.hook("blocks.0.hook_resid_post").data.ptr(), x.data.numel()));
}

TEST(Capture, ClearErrors) {
  Model m = test::tiny_hf_model("gemma3");
  std::vector<CapturePrompt> prompts = {
      all_positions(test::ramp_tokens(5, m.config.vocab_size, 0))};
  auto err = [&](std::vector<HookRequest> hooks) {
    CaptureOptions opt;
    opt.hooks = std::move(hooks);
    return test::error_text([&] { capture(m, prompts, opt); });
  };
  EXPECT_NE(err({{"blocks.6.hook_resid_post", {}}}).find("out of range"), std::string::npos);
  EXPECT_NE(err({{"blocks.1.hook_resid", {}}}).find("valid forms"), std::string::npos);
  EXPECT_NE(err({{"blocks.1.attn.hook_z", {4}}}).find("head 4 out of range"), std::string::npos);
  EXPECT_NE(err({{"blocks.1.attn.hook_k", {2}}}).find("head 2 out of range"), std::string::npos);
  EXPECT_NE(err({{"blocks.1.hook_resid_pre", {0}}}).find("has no heads"), std::string::npos);
  EXPECT_NE(err({}).find("no hook"), std::string::npos);
  prompts[0].positions = {7};
  EXPECT_NE(err({{"blocks.1.hook_resid_pre", {}}}).find("position 7"), std::string::npos);
}

TEST(Capture, TextPromptsWithSubstringPositions) {
  Model m = load_model(test::fixture("models/gguf/llama-f32.gguf"));
  ASSERT_TRUE(m.tokenizer);
  CapturePrompt p = make_capture_prompt(*m.tokenizer, "The movie '12 Angry Men' is",
                                        parse_position_spec("substring:12 Angry Men"));
  ASSERT_EQ(p.positions.size(), 1u);
  std::string upto = m.tokenizer->decode({p.tokens.begin(), p.tokens.begin() + p.positions[0] + 1});
  EXPECT_NE(upto.find("12 Angry Men"), std::string::npos) << upto;
  EXPECT_THROW(make_capture_prompt(*m.tokenizer, "The movie", parse_position_spec("substring:Up")),
               Error);
}

std::string bf_probe_path(const std::string& dir) { return dir + "/capture.json"; }

// Disk shards: same rows as in memory, SAE index layout, resumable, atomic per shard.
TEST(CaptureDisk, ShardsRoundTripAndResume) {
  Model m = test::tiny_hf_model("gemma3");
  std::vector<CapturePrompt> prompts;
  for (int i = 0; i < 5; ++i) {
    CapturePrompt p;
    p.tokens = test::ramp_tokens(3 + i, m.config.vocab_size, i);
    p.positions = {0, int64_t(p.tokens.size()) - 1};
    prompts.push_back(p);
  }
  CaptureOptions opt;
  opt.hooks = {{"blocks.2.hook_resid_post", {}}, {"blocks.1.attn.hook_z", {0, 2}}};
  opt.max_batch_prompts = 2;
  CaptureResult mem = capture(m, prompts, opt);
  const std::string dir = test::temp_dir() + "/cap";
  DiskCaptureOptions disk;
  disk.folder = dir;
  disk.prompts_per_shard = 2;
  disk.model_name = "tiny-gemma3";
  DiskCaptureSummary s = capture_to_disk(m, prompts, opt, disk);
  EXPECT_EQ(s.shards, 3);
  EXPECT_EQ(s.shards_skipped, 0);
  EXPECT_EQ(s.rows, 10);
  CaptureResult back = read_capture(dir);
  ASSERT_EQ(back.rows(), mem.rows());
  EXPECT_EQ(back.prompt, mem.prompt);
  EXPECT_EQ(back.position, mem.position);
  EXPECT_EQ(back.token, mem.token);
  for (size_t h = 0; h < mem.hooks.size(); ++h) {
    EXPECT_EQ(back.hooks[h].row_shape, mem.hooks[h].row_shape);
    EXPECT_TRUE(test::bit_equal(back.hooks[h].data.ptr(), mem.hooks[h].data.ptr(),
                                mem.hooks[h].data.numel()));
  }
  // The SAE activation layout (sae/activations.h).
  nlohmann::json idx = nlohmann::json::parse(read_file(dir + "/blocks.1.attn.hook_z/index.json"));
  EXPECT_EQ(idx["format"], "knowscope.activations");
  EXPECT_EQ(idx["version"], 1);
  EXPECT_EQ(idx["d_in"], 2 * m.config.head_dim);
  EXPECT_EQ(idx["total_rows"], 10);
  EXPECT_EQ(idx["hook_name"], "blocks.1.attn.hook_z");
  EXPECT_EQ(idx["shards"].size(), 3u);

  // Rerun: everything is skipped. Remove one shard: only it is recomputed.
  s = capture_to_disk(m, prompts, opt, disk);
  EXPECT_EQ(s.shards_skipped, 3);
  fs::remove(dir + "/blocks.2.hook_resid_post/shard_00001.safetensors");
  s = capture_to_disk(m, prompts, opt, disk);
  EXPECT_EQ(s.shards_skipped, 2);
  back = read_capture(dir);
  EXPECT_TRUE(test::bit_equal(back.hooks[0].data.ptr(), mem.hooks[0].data.ptr(),
                              mem.hooks[0].data.numel()));
  // Another request in the same folder is refused.
  prompts[4].positions = {1};
  std::string msg = test::error_text([&] { capture_to_disk(m, prompts, opt, disk); });
  EXPECT_NE(msg.find("different capture"), std::string::npos) << msg;

  // Damaged folders give errors, not crashes.
  write_file_atomic(bf_probe_path(dir),
                    "{\"format\": \"knowscope.capture\", \"version\": 1, "
                    "\"hooks\": [{\"name\": 3}]}");
  EXPECT_THROW(read_capture(dir), Error);
  EXPECT_THROW(read_capture(dir + "/missing"), Error);

  // bf16 shards: within bf16 rounding.
  prompts[4].positions = {0, 6};
  DiskCaptureOptions bf = disk;
  bf.folder = test::temp_dir() + "/cap_bf16";
  bf.dtype = DType::BF16;
  capture_to_disk(m, prompts, opt, bf);
  back = read_capture(bf.folder);
  nlohmann::json bidx =
      nlohmann::json::parse(read_file(bf.folder + "/blocks.2.hook_resid_post/index.json"));
  EXPECT_EQ(bidx["dtype"], "bfloat16");
  const CapturedHook& a = back.hooks[0];
  const CapturedHook& b = mem.hooks[0];
  for (int64_t i = 0; i < a.data.numel(); ++i)
    ASSERT_EQ(a.data.data[size_t(i)], bf16_to_f32(f32_to_bf16(b.data.data[size_t(i)])));
}

}  // namespace
}  // namespace knowscope
