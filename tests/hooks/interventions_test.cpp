// Interventions: steering, row edits, head ablation, patching and weight orthogonalization, each
// checked against a property that an independent run establishes (bit-identity, causality,
// clean logits, zero component along the direction).
#include "knowscope/hooks/interventions.h"

#include <gtest/gtest.h>

#include <random>

#include "hooks_test_util.h"
#include "knowscope/hooks/capture.h"
#include "knowscope/hooks/hook_names.h"
#include "knowscope/hooks/orthogonalize.h"

namespace knowscope {
namespace {

std::vector<float> random_vector(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = nd(rng);
  return v;
}

CapturePrompt all_positions(std::vector<int32_t> tokens) {
  CapturePrompt p;
  p.tokens = std::move(tokens);
  for (size_t i = 0; i < p.tokens.size(); ++i) p.positions.push_back(int64_t(i));
  return p;
}

TEST(Steering, ZeroCoefficientIsBitIdentical) {
  Model m = test::tiny_hf_model("gemma3");
  const auto seqs = std::vector<std::vector<int32_t>>{test::ramp_tokens(9, m.config.vocab_size, 1),
                                                      test::ramp_tokens(5, m.config.vocab_size, 2)};
  Tensor plain = test::batch_logits(m, seqs);
  HookSet hs(m.config);
  for (int l = 0; l < m.config.n_layers; ++l)
    add_steering(hs, "blocks." + std::to_string(l) + ".hook_resid_pre", Where::all(), 0.0f,
                 random_vector(m.config.d_model, 7));
  add_steering(hs, "blocks.2.attn.hook_z", Where::all(), 0.0f,
               random_vector(m.config.n_q_dim(), 8));
  add_row_edit(hs, "blocks.3.hook_mlp_out", Where::all(), [](float*, int64_t, int64_t, auto) {});
  Tensor hooked = test::batch_logits(m, seqs, hs.forward_hooks());
  ASSERT_EQ(plain.numel(), hooked.numel());
  EXPECT_TRUE(test::bit_equal(plain.ptr(), hooked.ptr(), plain.numel()));
  // A non-zero coefficient does change them (the test can fail).
  HookSet hs2(m.config);
  add_steering(hs2, "blocks.2.hook_resid_pre", Where::all(), 0.5f,
               random_vector(m.config.d_model, 7));
  Tensor steered = test::batch_logits(m, seqs, hs2.forward_hooks());
  EXPECT_GT(test::max_abs_diff(plain.ptr(), steered.ptr(), plain.numel()), 1e-3);
}

// Steering position p at resid_pre of block l: the captured resid_pre is x + coef * v exactly at
// p, and causality keeps every earlier position's logits bit-identical.
TEST(Steering, ActsAtItsPositionsOnlyAndPerPrompt) {
  Model m = test::tiny_hf_model("llama");
  const int64_t V = m.config.vocab_size, d = m.config.d_model;
  const auto a = test::ramp_tokens(10, int(V), 3), b = test::ramp_tokens(7, int(V), 4);
  std::vector<float> v = random_vector(d, 11);
  Tensor plain = test::batch_logits(m, {a, b});

  HookSet hs(m.config);
  // Prompt 0: position 4 only; prompt 1: nothing.
  add_steering(hs, "blocks.1.hook_resid_pre", Targets::each({Where::at({4}), Where::none()}), 2.0f,
               v);
  Tensor steered = test::batch_logits(m, {a, b}, hs.forward_hooks());
  EXPECT_TRUE(test::bit_equal(plain.ptr(), steered.ptr(), 4 * V));  // before 4
  EXPECT_GT(test::max_abs_diff(plain.ptr() + 4 * V, steered.ptr() + 4 * V, V), 1e-4);
  EXPECT_TRUE(test::bit_equal(plain.ptr() + 10 * V, steered.ptr() + 10 * V, 7 * V));  // prompt 1

  // The capture (after the steering, at the same hook) sees x + coef * v at position 4 only.
  std::vector<CapturePrompt> prompts = {all_positions(a)};
  CaptureOptions opt;
  opt.hooks = {{"blocks.1.hook_resid_pre", {}}};
  CaptureResult before = capture(m, prompts, opt);
  opt.interventions = &hs;
  CaptureResult after = capture(m, prompts, opt);
  const CapturedHook& x0 = before.hooks[0];
  const CapturedHook& x1 = after.hooks[0];
  for (int64_t p = 0; p < 10; ++p)
    for (int64_t i = 0; i < d; ++i) {
      const float want = p == 4 ? x0.row(p)[i] + 2.0f * v[size_t(i)] : x0.row(p)[i];
      ASSERT_EQ(x1.row(p)[i], want) << p << " " << i;
    }

  // Negative positions count from the prompt's end; PromptFrom covers the rest of the prompt.
  HookSet neg(m.config), from(m.config);
  add_steering(neg, "blocks.1.hook_resid_pre", Where::at({-6}), 2.0f, v);
  add_steering(from, "blocks.1.hook_resid_pre", Where::prompt_from(-3), 2.0f, v);
  // (Same batch shape as the reference: a different row count may round differently.)
  Tensor plain_a = test::batch_logits(m, {a});
  Tensor steered_a = test::batch_logits(m, {a}, hs.forward_hooks());
  Tensor sn = test::batch_logits(m, {a}, neg.forward_hooks());
  EXPECT_TRUE(test::bit_equal(sn.ptr(), steered_a.ptr(), 10 * V));
  Tensor sf = test::batch_logits(m, {a}, from.forward_hooks());
  EXPECT_TRUE(test::bit_equal(sf.ptr(), plain_a.ptr(), 7 * V));
  EXPECT_GT(test::max_abs_diff(sf.ptr() + 7 * V, plain_a.ptr() + 7 * V, V), 1e-4);
}

TEST(Steering, ClearErrors) {
  Model m = test::tiny_hf_model("gemma3");
  HookSet hs(m.config);
  std::string msg = test::error_text(
      [&] { add_steering(hs, "blocks.1.hook_resid_pre", Where::all(), 1, std::vector<float>(3)); });
  EXPECT_NE(msg.find("vector has 3 values, the hook is 64 wide"), std::string::npos) << msg;
  msg = test::error_text([&] {
    add_steering(hs, "blocks.1.attn.hook_pattern", Where::all(), 1, std::vector<float>(3));
  });
  EXPECT_NE(msg.find("per-token hook"), std::string::npos) << msg;
  EXPECT_THROW(add_steering(hs, "blocks.9.hook_resid_pre", Where::all(), 1, {}), Error);
  EXPECT_THROW(add_head_ablation(hs, 1, {4}, Where::all()), Error);
  EXPECT_THROW(add_head_ablation(hs, 1, {0}, Where::all(), Ablation::Mean, {1.0f}), Error);
  // A position past the prompt is reported when the forward pass reaches it.
  HookSet far(m.config);
  add_steering(far, "blocks.0.hook_resid_pre", Where::at({12}), 1,
               std::vector<float>(size_t(m.config.d_model), 1.0f));
  msg = test::error_text(
      [&] { test::batch_logits(m, {test::ramp_tokens(5, 512, 0)}, far.forward_hooks()); });
  EXPECT_NE(msg.find("position 12 outside prompt 0 (5 tokens)"), std::string::npos) << msg;
  EXPECT_TRUE(hs.empty());
}

// Ablating a head zeroes its z slice only; earlier layers and other heads are untouched, later
// layers change.
TEST(HeadAblation, ChangesOnlyThatHeadAndDownstream) {
  Model m = test::tiny_hf_model("gemma3");
  const ModelConfig& c = m.config;
  std::vector<CapturePrompt> prompts = {all_positions(test::ramp_tokens(8, c.vocab_size, 5))};
  CaptureOptions opt;
  for (int l = 0; l < c.n_layers; ++l) {
    opt.hooks.push_back({"blocks." + std::to_string(l) + ".hook_resid_post", {}});
    opt.hooks.push_back({"blocks." + std::to_string(l) + ".attn.hook_z", {}});
  }
  CaptureResult clean = capture(m, prompts, opt);
  HookSet hs(c);
  const int L = 2, H = 1;
  add_head_ablation(hs, L, {H}, Where::all());
  opt.interventions = &hs;
  CaptureResult abl = capture(m, prompts, opt);
  const int64_t D = c.head_dim;
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string rp = "blocks." + std::to_string(l) + ".hook_resid_post";
    const std::string zn = "blocks." + std::to_string(l) + ".attn.hook_z";
    const int64_t n = clean.hook(rp).data.numel();
    if (l < L) {
      EXPECT_TRUE(test::bit_equal(clean.hook(rp).data.ptr(), abl.hook(rp).data.ptr(), n)) << l;
      EXPECT_TRUE(test::bit_equal(clean.hook(zn).data.ptr(), abl.hook(zn).data.ptr(),
                                  clean.hook(zn).data.numel()));
    } else {
      EXPECT_GT(test::max_abs_diff(clean.hook(rp).data.ptr(), abl.hook(rp).data.ptr(), n), 1e-4)
          << l;
    }
  }
  const CapturedHook& z0 = clean.hook("blocks.2.attn.hook_z");
  const CapturedHook& z1 = abl.hook("blocks.2.attn.hook_z");
  for (int64_t r = 0; r < clean.rows(); ++r)
    for (int h = 0; h < c.n_heads; ++h)
      for (int64_t e = 0; e < D; ++e) {
        const float got = z1.row(r)[h * D + e];
        if (h == H) {
          ASSERT_EQ(got, 0.0f);
        } else {
          ASSERT_EQ(got, z0.row(r)[h * D + e]);
        }
      }

  // Mean ablation writes the given means.
  HookSet mean(c);
  std::vector<float> means = mean_rows(z0);
  add_head_ablation(mean, L, {0, 3}, Where::at({-1}), Ablation::Mean, means);
  opt.interventions = &mean;
  CaptureResult ma = capture(m, prompts, opt);
  const CapturedHook& zm = ma.hook("blocks.2.attn.hook_z");
  const int64_t last = clean.rows() - 1;
  for (int h : {0, 3}) EXPECT_TRUE(test::bit_equal(zm.row(last) + h * D, means.data() + h * D, D));
  EXPECT_TRUE(test::bit_equal(zm.row(0), z0.row(0), zm.row_numel()));
}

// Patching every position of resid_pre at block l with a clean run's capture reproduces the clean
// logits exactly; patching one head of z moves only part of the way.
TEST(Patching, FullResidPrePatchGivesCleanLogits) {
  Model m = test::tiny_hf_model("gemma2");
  const ModelConfig& c = m.config;
  const auto clean = test::ramp_tokens(9, c.vocab_size, 1);
  auto corrupt = clean;
  corrupt[3] = (corrupt[3] + 5) % c.vocab_size;
  corrupt[4] = (corrupt[4] + 9) % c.vocab_size;
  Tensor clean_logits = test::batch_logits(m, {clean});
  Tensor corrupt_logits = test::batch_logits(m, {corrupt});
  ASSERT_GT(test::max_abs_diff(clean_logits.ptr(), corrupt_logits.ptr(), clean_logits.numel()),
            1e-3);
  std::vector<CapturePrompt> prompts = {all_positions(clean)};
  CaptureOptions opt;
  for (int l = 0; l < c.n_layers; ++l)
    opt.hooks.push_back({"blocks." + std::to_string(l) + ".hook_resid_pre", {}});
  opt.hooks.push_back({"blocks.1.attn.hook_z", {}});
  opt.hooks.push_back({"blocks.2.attn.hook_pattern", {}});
  auto src = std::make_shared<const CaptureResult>(capture(m, prompts, opt));
  for (int l = 0; l < c.n_layers; ++l) {
    HookSet hs(c);
    add_patch(hs, "blocks." + std::to_string(l) + ".hook_resid_pre", Where::all(), src);
    Tensor patched = test::batch_logits(m, {corrupt}, hs.forward_hooks());
    EXPECT_TRUE(test::bit_equal(patched.ptr(), clean_logits.ptr(), clean_logits.numel())) << l;
  }
  // One head of z at the last position: changes the last logits, not the earlier ones.
  HookSet one(c);
  add_patch(one, "blocks.1.attn.hook_z", Where::at({-1}), src, {2});
  Tensor p1 = test::batch_logits(m, {corrupt}, one.forward_hooks());
  const int64_t V = c.vocab_size;
  EXPECT_TRUE(test::bit_equal(p1.ptr(), corrupt_logits.ptr(), 8 * V));
  EXPECT_GT(test::max_abs_diff(p1.ptr() + 8 * V, corrupt_logits.ptr() + 8 * V, V), 1e-5);
  // Pattern patching of every head at every position of a late layer, plus the z heads feeding
  // nothing else: the pattern alone moves the logits towards clean.
  HookSet pat(c);
  add_patch(pat, "blocks.2.attn.hook_pattern", Where::all(), src);
  Tensor pp = test::batch_logits(m, {corrupt}, pat.forward_hooks());
  EXPECT_GT(test::max_abs_diff(pp.ptr(), corrupt_logits.ptr(), pp.numel()), 1e-5);
  // Errors: a hook the source lacks, a head it did not keep, a prompt it has no row for.
  HookSet bad(c);
  EXPECT_THROW(add_patch(bad, "blocks.0.hook_mlp_out", Where::all(), src), Error);
  std::string msg = test::error_text([&] {
    add_patch(bad, "blocks.1.hook_resid_pre", Where::all(), src, {}, {3});
    test::batch_logits(m, {corrupt}, bad.forward_hooks());
  });
  EXPECT_NE(msg.find("no row for prompt 3"), std::string::npos) << msg;
}

// Orthogonalized weights have no component along the direction; on a model without post-norms
// (Llama) no block can write it, so the residual stream has none at any layer.
TEST(Orthogonalize, RemovesTheDirectionFromEveryResidualWrite) {
  for (const char* name : {"llama", "gemma3"}) {
    Model m = test::tiny_hf_model(name);
    const ModelConfig& c = m.config;
    const int64_t d = c.d_model;
    std::vector<float> dir = random_vector(d, 5);
    double nn = 0;
    for (float x : dir) nn += double(x) * x;
    std::vector<double> u(static_cast<size_t>(d));
    for (int64_t i = 0; i < d; ++i) u[size_t(i)] = dir[size_t(i)] / std::sqrt(nn);
    Model o = orthogonalize_weights(m, dir);
    auto row_dot = [&](const TensorView& t, int64_t r) {
      const float* p = static_cast<const float*>(t.data) + r * t.cols();
      double s = 0;
      for (int64_t i = 0; i < d; ++i) s += p[i] * u[size_t(i)];
      return s;
    };
    ASSERT_EQ(o.weights.token_embd.dtype, DType::F32);
    double worst = 0;
    for (int64_t r = 0; r < o.weights.token_embd.rows(); ++r)
      worst = std::max(worst, std::fabs(row_dot(o.weights.token_embd, r)));
    for (const LayerWeights& L : o.weights.layers)
      for (const TensorView* w : {&L.o, &L.down}) {
        const float* p = static_cast<const float*>(w->data);
        const int64_t n = w->cols();
        for (int64_t j = 0; j < n; ++j) {
          double s = 0;
          for (int64_t i = 0; i < d; ++i) s += p[i * n + j] * u[size_t(i)];
          worst = std::max(worst, std::fabs(s));
        }
      }
    EXPECT_LE(worst, 1e-6) << name;
    // Unaffected weights are still views of the original files; the unembedding is untouched.
    EXPECT_EQ(o.weights.layers[0].q.data, m.weights.layers[0].q.data);
    EXPECT_EQ(o.weights.output.data, m.weights.output.data);
    EXPECT_NE(o.weights.token_embd.data, m.weights.token_embd.data);

    std::vector<CapturePrompt> prompts = {all_positions(test::ramp_tokens(7, c.vocab_size, 2))};
    CaptureOptions opt;
    opt.hooks.push_back({"hook_embed", {}});
    for (int l = 0; l < c.n_layers; ++l)
      opt.hooks.push_back({"blocks." + std::to_string(l) + ".hook_resid_post", {}});
    CaptureResult before = capture(m, prompts, opt), after = capture(o, prompts, opt);
    auto along = [&](const CapturedHook& h) {
      double w = 0;
      for (int64_t r = 0; r < h.data.shape[0]; ++r) {
        double s = 0;
        for (int64_t i = 0; i < d; ++i) s += h.row(r)[i] * u[size_t(i)];
        w = std::max(w, std::fabs(s));
      }
      return w;
    };
    EXPECT_GT(along(before.hook("hook_embed")), 1e-3) << name;
    EXPECT_LE(along(after.hook("hook_embed")), 1e-5) << name;
    const std::string last = "blocks." + std::to_string(c.n_layers - 1) + ".hook_resid_post";
    if (!c.post_norms) {
      EXPECT_LE(along(after.hook(last)), 1e-4) << name;
    }
    EXPECT_THROW(orthogonalize_weights(m, std::vector<float>(size_t(d), 0.0f)), Error);
    EXPECT_THROW(orthogonalize_weights(m, std::vector<float>(3, 1.0f)), Error);
  }
}

}  // namespace
}  // namespace knowscope
