// SAE latent edits inside the forward pass (sae/sae_intervention.h), and the hooks layer's capture
// shards read back as an SAE activation source (sae/activations.h).
#include "knowscope/sae/sae_intervention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "knowscope/core/error.h"
#include "knowscope/hooks/capture.h"
#include "knowscope/model/forward.h"
#include "knowscope/model/model.h"
#include "knowscope/sae/activations.h"
#include "test_paths.h"

namespace knowscope {
namespace {

Model tiny_model() { return load_model(test::fixture("models/hf/gemma3")); }

CapturePrompt all_positions(int n, int vocab, int seed) {
  CapturePrompt p;
  for (int i = 0; i < n; ++i) {
    p.tokens.push_back(int32_t((seed * 131 + i * 37 + 2) % vocab));
    p.positions.push_back(i);
  }
  p.tokens[0] = 2;
  return p;
}

// A JumpReLU SAE with random weights, thresholds low enough that several latents fire.
std::shared_ptr<Sae> random_sae(int64_t d, int64_t n, const std::string& hook) {
  auto s = std::make_shared<Sae>(make_sae(SaeArch::JumpRelu, d, n));
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (float& x : s->W_enc.data) x = nd(rng) / std::sqrt(float(d));
  for (float& x : s->W_dec.data) x = nd(rng) / std::sqrt(float(d));
  for (float& x : s->b_enc.data) x = 0.1f * nd(rng);
  for (float& x : s->b_dec.data) x = 0.1f * nd(rng);
  for (float& x : s->threshold.data) x = 0.05f;
  s->hook_name = hook;
  return s;
}

Tensor logits_of(const Model& m, const CapturePrompt& p, const HookSet* hs) {
  SequenceInput in{p.tokens, nullptr};
  ForwardOptions fo;
  fo.logits = LogitsMode::All;
  fo.hooks = hs ? hs->forward_hooks() : nullptr;
  ForwardState st;
  forward(m, std::span<const SequenceInput>(&in, 1), fo, st);
  return std::move(st.logits);
}

TEST(SaeIntervention, UnchangedLatentIsExactAndSetMovesAlongItsDecoderRow) {
  Model m = tiny_model();
  const int64_t d = m.config.d_model;
  const std::string hook = "blocks.2.hook_resid_pre";
  auto sae = random_sae(d, 48, hook);
  CapturePrompt p = all_positions(9, m.config.vocab_size, 1);
  Tensor plain = logits_of(m, p, nullptr);

  // Scale by 1 and clamping far away change nothing: bit-identical logits.
  HookSet same(m.config);
  add_sae_latent_edit(same, sae, Where::all(),
                      {{5, LatentOp::Scale, 1.0f}, {7, LatentOp::ClampMin, -1e9f}});
  Tensor s = logits_of(m, p, &same);
  EXPECT_EQ(std::memcmp(s.ptr(), plain.ptr(), size_t(plain.numel()) * 4), 0);

  // Set latent j to v at position 4: x' = x + (v - a_j(x)) W_dec[j], a_j computed here by hand.
  const int32_t j = 11;
  const float v = 3.0f;
  std::vector<CapturePrompt> prompts = {p};
  CaptureOptions opt;
  opt.hooks = {{hook, {}}};
  CaptureResult before = capture(m, prompts, opt);
  HookSet set(m.config);
  add_sae_latent_edit(set, sae, Where::at({4}), {{j, LatentOp::Set, v}});
  opt.interventions = &set;
  CaptureResult after = capture(m, prompts, opt);
  const float* x = before.hooks[0].row(4);
  double pre = sae->b_enc.data[size_t(j)];
  for (int64_t i = 0; i < d; ++i) pre += double(x[i]) * sae->W_enc.data[size_t(i * 48 + j)];
  const double a = pre > sae->threshold.data[size_t(j)] ? pre : 0.0;
  double worst = 0;
  for (int64_t i = 0; i < d; ++i) {
    const double want = x[i] + (v - a) * sae->W_dec.data[size_t(j * d + i)];
    worst = std::max(worst, std::fabs(want - after.hooks[0].row(4)[i]));
  }
  EXPECT_LE(worst, 1e-4);
  EXPECT_EQ(std::memcmp(after.hooks[0].row(3), before.hooks[0].row(3), size_t(d) * 4), 0);

  HookSet bad(m.config);
  EXPECT_THROW(add_sae_latent_edit(bad, sae, Where::all(), {{48, LatentOp::Set, 1}}), Error);
  EXPECT_THROW(add_sae_latent_edit(bad, sae, Where::all(), {{1, LatentOp::Set, 1}},
                                   "blocks.2.mlp.hook_post"),
               Error);
  EXPECT_EQ(sae_latent_direction(*sae, j).size(), size_t(d));
}

// capture_to_disk writes the layout the SAE trainer reads.
TEST(SaeIntervention, CaptureShardsAreAnActivationSource) {
  Model m = tiny_model();
  std::vector<CapturePrompt> prompts;
  for (int i = 0; i < 5; ++i) prompts.push_back(all_positions(3 + i, m.config.vocab_size, i));
  CaptureOptions opt;
  opt.hooks = {{"blocks.1.hook_resid_post", {}}};
  opt.max_batch_prompts = 2;  // the same batches as the shards: bit-identical rows
  CaptureResult mem = capture(m, prompts, opt);
  DiskCaptureOptions disk;
  disk.folder = test::temp_dir() + "/acts";
  disk.prompts_per_shard = 2;
  capture_to_disk(m, prompts, opt, disk);
  ActivationIndex idx = read_activation_index(disk.folder + "/blocks.1.hook_resid_post");
  EXPECT_EQ(idx.d_in, m.config.d_model);
  EXPECT_EQ(idx.total_rows, mem.rows());
  EXPECT_EQ(idx.hook_name, "blocks.1.hook_resid_post");
  auto src = make_shard_source(disk.folder + "/blocks.1.hook_resid_post", false);
  std::vector<float> rows(size_t(mem.rows() * m.config.d_model));
  EXPECT_EQ(src->read(rows.data(), mem.rows() + 5), mem.rows());
  EXPECT_EQ(std::memcmp(rows.data(), mem.hooks[0].data.ptr(), rows.size() * 4), 0);
}

}  // namespace
}  // namespace knowscope
