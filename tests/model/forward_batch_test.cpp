// Batching, KV-cache decoding, early stops and hooks: each must give the same numbers as the plain
// one-sequence forward pass (which forward_tiny_test checks against transformers and llama.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "forward_fixtures.h"
#include "knowscope/core/error.h"
#include "knowscope/core/matmul.h"
#include "knowscope/model/forward.h"

namespace knowscope {
namespace {

// The default linear kernel (LinearPath::Tiles) computes every output with the same arithmetic
// whatever the number of rows, so a batch is bitwise equal to each sequence alone (asserted).
// The other paths (LinearPath::Dot|Rows|Gemm; OpenBLAS picks kernels and blockings by matrix
// size) change float32 rounding (~1e-7 relative per product), not the math, so the tolerance
// that also covers them is relative to the logits' range:
// |diff| <= 2e-5 * max|logit|. The tiny Gemma 2 model, built so that both softcaps saturate,
// amplifies float32 rounding about 100x (it is also the furthest from transformers, 1.7e-4), so
// it gets 1e-4 (observed 1.9e-5).
double same_math_rel(const std::string& model) { return model == "gemma2" ? 1e-4 : 2e-5; }

std::vector<std::vector<int32_t>> fixture_sequences(const std::string& name) {
  auto fx = test::load_model_fixture("tiny", name);
  std::vector<std::vector<int32_t>> seqs;
  for (const auto& s : fx.manifest.at("sequences"))
    seqs.push_back(test::json_ids(s.at("input_ids")));
  return seqs;
}

double max_abs_diff(const float* a, const float* b, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(double(a[i]) - b[i]));
  return m;
}

double scale_of(const Tensor& t) {
  double m = 1;
  for (float v : t.data) m = std::max(m, std::fabs(double(v)));
  return m;
}

class ForwardBatch : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!test::model_fixture_exists("tiny", GetParam())) GTEST_SKIP() << "fixture missing";
    seqs_ = fixture_sequences(GetParam());
    auto fx = test::load_model_fixture("tiny", GetParam());
    std::string path = GetParam() == "llama"
                           ? test::fixture("models/gguf/llama-f32.gguf")  // Adjacent RoPE path
                           : test::fixture("models/" + fx.manifest.at("hf_dir").get<std::string>());
    model_ = load_model(path);
    double m = 1;
    for (const auto& sq : seqs_) m = std::max(m, scale_of(forward_all_logits(model_, sq)));
    tol_ = same_math_rel(GetParam()) * m;
  }
  double tol_ = 0;
  std::vector<std::vector<int32_t>> seqs_;
  Model model_;
};

TEST_P(ForwardBatch, BatchOfDifferentLengthsEqualsEachAlone) {
  const int64_t V = model_.config.vocab_size;
  std::vector<SequenceInput> batch;
  for (const auto& s : seqs_) batch.push_back({s, nullptr});
  ForwardState st;
  ForwardOptions opt;
  opt.logits = LogitsMode::All;
  forward(model_, batch, opt, st);
  int64_t row = 0;
  double worst = 0;
  bool bitwise = true;
  for (const auto& s : seqs_) {
    Tensor alone = forward_all_logits(model_, s);
    const float* b = st.logits.ptr() + row * V;
    double d = max_abs_diff(alone.ptr(), b, alone.numel());
    bitwise &= std::memcmp(alone.ptr(), b, size_t(alone.numel()) * 4) == 0;
    worst = std::max(worst, d);
    EXPECT_LE(d, tol_) << "sequence of length " << s.size();
    row += int64_t(s.size());
  }
  std::printf(
      "%s: batch of %zu sequences vs each alone: max|diff| %.2e = %.1e of the logit "
      "range (%s)\n",
      GetParam().c_str(), seqs_.size(), worst, worst / tol_ * same_math_rel(GetParam()),
      bitwise ? "bitwise equal" : "not bitwise");
  EXPECT_TRUE(bitwise) << "the default linear kernel must not depend on the batch";

  // With the sgemm path forced for every row count, only BLAS blocking could differ.
  set_linear_path(LinearPath::Gemm);
  forward(model_, batch, opt, st);
  row = 0;
  worst = 0;
  for (const auto& s : seqs_) {
    Tensor alone = forward_all_logits(model_, s);
    worst = std::max(worst, max_abs_diff(alone.ptr(), st.logits.ptr() + row * V, alone.numel()));
    row += int64_t(s.size());
  }
  set_linear_path(LinearPath::Auto);
  std::printf("%s: same with the sgemm path everywhere: max|diff| %.2e\n", GetParam().c_str(),
              worst);
  EXPECT_LE(worst, tol_);
}

TEST_P(ForwardBatch, LastLogitsEqualTheLastRowOfAll) {
  const int64_t V = model_.config.vocab_size;
  std::vector<SequenceInput> batch;
  for (const auto& s : seqs_) batch.push_back({s, nullptr});
  ForwardState all, last, none;
  ForwardOptions opt;
  opt.logits = LogitsMode::All;
  forward(model_, batch, opt, all);
  opt.logits = LogitsMode::Last;
  forward(model_, batch, opt, last);
  opt.logits = LogitsMode::None;
  forward(model_, batch, opt, none);
  EXPECT_EQ(none.logits.numel(), 0);
  ASSERT_EQ(last.logits.shape[0], int64_t(seqs_.size()));
  for (size_t s = 0; s < seqs_.size(); ++s) {
    int64_t r = all.layout.seqs[s].row_begin + all.layout.seqs[s].n_new - 1;
    EXPECT_EQ(last.layout.logit_rows[s], r);
    EXPECT_LE(max_abs_diff(last.logits.ptr() + int64_t(s) * V, all.logits.ptr() + r * V, V), tol_);
  }
  // The residual stream does not depend on the logits mode.
  EXPECT_EQ(0, std::memcmp(none.resid.ptr(), all.resid.ptr(), size_t(all.resid.numel()) * 4));
}

TEST_P(ForwardBatch, KvCacheDecodeEqualsFullSequence) {
  const auto& s = seqs_.back();  // the longest: 20 tokens, past the sliding window of 4
  const int64_t T = int64_t(s.size()), V = model_.config.vocab_size;
  Tensor full = forward_all_logits(model_, s);
  for (int64_t split : {int64_t(1), int64_t(5), T - 1}) {
    KVCache cache = make_kv_cache(model_.config);
    ForwardState st;
    ForwardOptions opt;
    opt.logits = LogitsMode::All;
    // Prefill in two chunks, then one token at a time.
    int64_t half = split / 2;
    for (auto [b, e] : {std::pair<int64_t, int64_t>{0, half}, {half, split}}) {
      if (e <= b) continue;
      SequenceInput in{std::span<const int32_t>(s.data() + b, size_t(e - b)), &cache};
      forward(model_, std::span<const SequenceInput>(&in, 1), opt, st);
      EXPECT_LE(max_abs_diff(st.logits.ptr(), full.ptr() + b * V, (e - b) * V), tol_);
    }
    opt.logits = LogitsMode::Last;
    double worst = 0;
    for (int64_t i = split; i < T; ++i) {
      SequenceInput in{std::span<const int32_t>(s.data() + i, 1), &cache};
      forward(model_, std::span<const SequenceInput>(&in, 1), opt, st);
      worst = std::max(worst, max_abs_diff(st.logits.ptr(), full.ptr() + i * V, V));
    }
    EXPECT_EQ(cache.n_past, T);
    EXPECT_LE(worst, tol_) << "prefill " << split;
  }
}

TEST_P(ForwardBatch, SequencesDecodeTogetherAsAlone) {
  // Three prompts of different lengths, each with its cache, then 4 decode steps in one batch.
  const int64_t V = model_.config.vocab_size;
  std::vector<const std::vector<int32_t>*> prompts = {&seqs_[1], &seqs_[2], &seqs_[4]};
  std::vector<KVCache> caches;
  for (size_t i = 0; i < prompts.size(); ++i) caches.push_back(make_kv_cache(model_.config));
  std::vector<SequenceInput> batch;
  for (size_t i = 0; i < prompts.size(); ++i) batch.push_back({*prompts[i], &caches[i]});
  ForwardState st;
  ForwardOptions opt;
  forward(model_, batch, opt, st);  // batched prefill
  std::vector<int32_t> next(prompts.size());
  std::vector<std::vector<int32_t>> grown;
  for (auto* p : prompts) grown.push_back(*p);
  for (int step = 0; step < 4; ++step) {
    batch.clear();
    for (size_t i = 0; i < prompts.size(); ++i) {
      next[i] = int32_t((7 * step + 13 * i + 1) % V);
      grown[i].push_back(next[i]);
      batch.push_back({std::span<const int32_t>(&next[i], 1), &caches[i]});
    }
    forward(model_, batch, opt, st);
    for (size_t i = 0; i < prompts.size(); ++i) {
      Tensor ref = forward_all_logits(model_, grown[i]);
      EXPECT_LE(max_abs_diff(st.logits.ptr() + int64_t(i) * V,
                             ref.ptr() + (int64_t(grown[i].size()) - 1) * V, V),
                tol_)
          << "sequence " << i << " step " << step;
    }
  }
}

TEST_P(ForwardBatch, CopiedCacheContinuesIdentically) {
  KVCache a = make_kv_cache(model_.config), b;
  ForwardState st;
  ForwardOptions opt;
  SequenceInput in{seqs_[3], &a};
  forward(model_, std::span<const SequenceInput>(&in, 1), opt, st);
  copy_kv_cache(a, b);
  EXPECT_EQ(b.n_past, a.n_past);
  int32_t tok = 3;
  SequenceInput ia{std::span<const int32_t>(&tok, 1), &a},
      ib{std::span<const int32_t>(&tok, 1), &b};
  forward(model_, std::span<const SequenceInput>(&ia, 1), opt, st);
  std::vector<float> la(st.logits.data);
  forward(model_, std::span<const SequenceInput>(&ib, 1), opt, st);
  EXPECT_EQ(la, st.logits.data);  // same inputs, same code path: bitwise
}

TEST_P(ForwardBatch, StopAfterLayerLeavesThatLayersResidPost) {
  const auto& s = seqs_.back();
  const int L = model_.config.n_layers / 2;
  std::vector<float> captured;
  ForwardHooks hooks;
  hooks.wants = [&](HookPoint p, int layer) { return p == HookPoint::ResidPost && layer == L; };
  hooks.fn = [&](const HookEvent& e) { captured.assign(e.data, e.data + e.rows * e.cols); };
  ForwardState full, part;
  ForwardOptions opt;
  opt.hooks = &hooks;
  SequenceInput in{s, nullptr};
  forward(model_, std::span<const SequenceInput>(&in, 1), opt, full);
  ForwardOptions stop;
  stop.stop_after_layer = L;
  forward(model_, std::span<const SequenceInput>(&in, 1), stop, part);
  EXPECT_EQ(part.logits.numel(), 0);
  ASSERT_EQ(captured.size(), part.resid.data.size());
  EXPECT_EQ(captured, part.resid.data);
  // Not with a cache: the later layers would be missing from it.
  KVCache cache = make_kv_cache(model_.config);
  SequenceInput ic{s, &cache};
  if (L < model_.config.n_layers - 1) {
    EXPECT_THROW(forward(model_, std::span<const SequenceInput>(&ic, 1), stop, part), Error);
  }
}

TEST_P(ForwardBatch, PatternHookSeesCausalSlidingRowsAndCanSteer) {
  const ModelConfig& c = model_.config;
  const auto& s = seqs_.back();
  const int64_t T = int64_t(s.size());
  int pattern_calls = 0;
  ForwardHooks hooks;
  hooks.wants = [](HookPoint p, int) {
    return p == HookPoint::Pattern || p == HookPoint::AttnScores || p == HookPoint::ResidPost;
  };
  hooks.fn = [&](const HookEvent& e) {
    if (e.point == HookPoint::AttnScores || e.point == HookPoint::Pattern) {
      ASSERT_EQ(e.rows, c.n_heads * T);
      ASSERT_EQ(e.cols, T);
      const int64_t window = c.is_sliding(e.layer) ? c.sliding_window : T + 1;
      for (int64_t h = 0; h < c.n_heads; ++h)
        for (int64_t i = 0; i < T; ++i) {
          const float* row = e.data + (h * T + i) * T;
          double sum = 0;
          for (int64_t j = 0; j < T; ++j) {
            bool visible = j <= i && i - j < window;
            if (e.point == HookPoint::AttnScores) {
              EXPECT_EQ(std::isinf(row[j]) && row[j] < 0, !visible)
                  << e.layer << " " << i << " " << j;
            } else {
              if (!visible) {
                EXPECT_EQ(row[j], 0.0f);
              }
              sum += row[j];
            }
          }
          if (e.point == HookPoint::Pattern) {
            EXPECT_NEAR(sum, 1.0, 1e-5);
          }
        }
      if (e.point == HookPoint::Pattern) ++pattern_calls;
    }
    // Steering: zero the residual stream after the last block -> the final RMSNorm maps zeros to
    // zeros, so every logit is exactly 0 (final softcap keeps 0 at 0).
    if (e.point == HookPoint::ResidPost && e.layer == c.n_layers - 1)
      std::fill(e.data, e.data + e.rows * e.cols, 0.0f);
  };
  ForwardState st;
  ForwardOptions opt;
  opt.logits = LogitsMode::All;
  opt.hooks = &hooks;
  SequenceInput in{s, nullptr};
  forward(model_, std::span<const SequenceInput>(&in, 1), opt, st);
  EXPECT_EQ(pattern_calls, c.n_layers);
  for (float v : st.logits.data) ASSERT_EQ(v, 0.0f);

  // Hooks that observe without changing anything leave the logits as without hooks.
  ForwardHooks watch;
  watch.fn = [](const HookEvent&) {};
  opt.hooks = &watch;
  forward(model_, std::span<const SequenceInput>(&in, 1), opt, st);
  Tensor plain = forward_all_logits(model_, s);
  EXPECT_LE(max_abs_diff(st.logits.ptr(), plain.ptr(), plain.numel()), tol_);
}

TEST_P(ForwardBatch, RejectsBadInputs) {
  ForwardState st;
  ForwardOptions opt;
  std::vector<int32_t> bad = {0, model_.config.vocab_size};
  SequenceInput in{bad, nullptr};
  EXPECT_THROW(forward(model_, std::span<const SequenceInput>(&in, 1), opt, st), Error);
  std::vector<int32_t> empty;
  SequenceInput e{empty, nullptr};
  EXPECT_THROW(forward(model_, std::span<const SequenceInput>(&e, 1), opt, st), Error);
  KVCache cache = make_kv_cache(model_.config);
  std::vector<int32_t> ok = {1, 2};
  SequenceInput twice[2] = {{ok, &cache}, {ok, &cache}};
  EXPECT_THROW(forward(model_, std::span<const SequenceInput>(twice, 2), opt, st), Error);
  opt.stop_after_layer = model_.config.n_layers;
  SequenceInput fine{ok, nullptr};
  EXPECT_THROW(forward(model_, std::span<const SequenceInput>(&fine, 1), opt, st), Error);
}

INSTANTIATE_TEST_SUITE_P(Archs, ForwardBatch,
                         ::testing::Values("gemma3", "gemma2", "llama", "qwen2"));

}  // namespace
}  // namespace knowscope
