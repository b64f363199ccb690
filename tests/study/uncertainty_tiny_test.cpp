// The uncertainty stage end to end on the tiny random Gemma 3 (tests/study/tiny_model.h) with a
// tiny SAE set written in SAELens format: prompts, positions, capture at every SAE hook, the greedy
// baseline, the analysis and uncertainty.json. Numbers are meaningless on random weights; the test
// checks the plumbing: which prompts, which tokens, which rows, and that it is deterministic.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "hooks/hooks_test_util.h"
#include "knowscope/hooks/capture.h"
#include "knowscope/model/generate.h"
#include "knowscope/sae/encode.h"
#include "knowscope/sae/sae_io.h"
#include "knowscope/sae/sae_set.h"
#include "knowscope/study/labels.h"
#include "knowscope/study/stats.h"
#include "knowscope/study/uncertainty.h"
#include "study/tiny_model.h"

namespace knowscope::study {
namespace {

// Labelled records: per type, 9 known entities (first attribute wrong -> error_known, the rest
// correct) and 9 unknown ones (all wrong); one greedy refusal per type.
LabelsFile tiny_labels() {
  std::vector<GenerationRecord> records;
  for (const char* type : {"player", "city"}) {
    for (int e = 0; e < 18; ++e) {
      const bool known = e % 2 == 0;
      int a = 0;
      for (const PromptTemplate& t : prompt_templates()) {
        if (t.entity_type != type) continue;
        GenerationRecord r;
        r.entity = std::string(type) + " " + char('A' + e);
        r.entity_type = type;
        r.prompt_type = std::string(t.prompt_type);
        r.correct_answer = std::string(1, 'x');  // GCC 12 -Wrestrict false positive on = "x"
        r.format = PromptFormat::base;
        const bool correct = known && a > 0;
        const int n_correct = correct ? 5 : 1;
        for (int s = 0; s < 10; ++s)
          r.sampled_labels.push_back(s < n_correct ? CompletionLabel::correct
                                                   : CompletionLabel::error);
        r.sampled_completions.assign(10, "x");
        const bool refusal = e == 3 && a == 1;
        r.greedy_label = r.label =
            refusal ? CompletionLabel::refusal
                    : (correct ? CompletionLabel::correct : CompletionLabel::error);
        records.push_back(std::move(r));
        ++a;
      }
    }
  }
  LabelsFile l = build_labels(records);
  l.model.name = "tiny";
  return l;
}

// Two random ReLU SAEs on blocks.0/1.hook_resid_post, saved as SAELens folders.
const std::string& tiny_sae_set_dir() {
  static const std::string dir = test::temp_dir() + "/uncertainty-saes";
  if (std::filesystem::exists(dir + "/layer_1")) return dir;
  std::filesystem::create_directories(dir);
  for (int layer = 0; layer < 2; ++layer) {
    Sae s = make_sae(SaeArch::Relu, 64, 32);
    SplitMix64 rng(uint64_t(layer) + 5);
    auto u = [&] { return float(double(rng.next() >> 11) / double(1ULL << 53)) - 0.5f; };
    for (float& v : s.W_enc.data) v = u();
    for (float& v : s.W_dec.data) v = u();
    for (float& v : s.b_enc.data) v = 0.1f * u();
    s.hook_name = "blocks." + std::to_string(layer) + ".hook_resid_post";
    save_saelens(s, dir + "/layer_" + std::to_string(layer));
  }
  return dir;
}

UncertaintyConfig tiny_config() {
  UncertaintyConfig c;
  c.greedy_tokens = 2;
  c.bootstrap = 30;
  c.progress = false;
  return c;
}

TEST(UncertaintyTiny, PromptsLabelsAndPositionsFromTheLabelsFile) {
  const Model& model = test_tiny::tiny_model();
  const LabelsFile labels = tiny_labels();
  size_t refusals = 0;
  auto prompts = uncertainty_prompts(model, labels, PromptFormat::base, tiny_config(), &refusals);
  EXPECT_EQ(refusals, 2u);
  // player 3 + city 4 prompt types, 18 entities each, minus the refusals.
  ASSERT_EQ(prompts.size(), 18u * 3 + 18u * 4 - 2);
  int correct = 0, err = 0, err_known = 0;
  for (const auto& p : prompts) {
    correct += p.cls == PromptClass::correct;
    err += p.cls == PromptClass::error;
    err_known += p.cls == PromptClass::error_known;
    EXPECT_EQ(p.cls == PromptClass::error, p.entity_label == Knowledge::unknown);
  }
  EXPECT_EQ(err_known, 18);
  EXPECT_EQ(correct, 9 * 2 + 9 * 3);
  EXPECT_EQ(prompts.front().text,
            "What is the place of birth for the player 'player A'? The city of birth for the "
            "player 'player A' is");
  locate_positions(model, prompts, PromptFormat::base);
  for (const auto& p : prompts) EXPECT_EQ(p.position, int64_t(p.tokens.size()) - 1);

  // Chat format: the marker before the generation prompt's trailing newline.
  auto chat = uncertainty_prompts(model, labels, PromptFormat::free, tiny_config());
  locate_positions(model, chat, PromptFormat::free);
  const Tokenizer& tok = *model.tokenizer;
  for (const auto& p : chat) {
    std::vector<int32_t> head(p.tokens.begin(), p.tokens.begin() + p.position + 1);
    std::vector<int32_t> tail(p.tokens.begin() + p.position + 1, p.tokens.end());
    EXPECT_TRUE(tok.decode(head).ends_with("model")) << tok.decode(head);
    EXPECT_EQ(tok.decode(tail), "\n");
  }
}

TEST(UncertaintyTiny, ChatMlPositionIsTheAssistantMarker) {
  const Model model = test::tiny_hf_model("qwen2");
  auto prompts = uncertainty_prompts(model, tiny_labels(), PromptFormat::free, tiny_config());
  locate_positions(model, prompts, PromptFormat::free);
  const Tokenizer& tok = *model.tokenizer;
  for (size_t i = 0; i < 5; ++i) {
    const auto& p = prompts[i];
    EXPECT_TRUE(p.text.ends_with("<|im_start|>assistant\n")) << p.text;
    std::vector<int32_t> head(p.tokens.begin(), p.tokens.begin() + p.position + 1);
    std::vector<int32_t> tail(p.tokens.begin() + p.position + 1, p.tokens.end());
    EXPECT_TRUE(tok.decode(head).ends_with("assistant")) << tok.decode(head);
    EXPECT_EQ(tok.decode(tail), "\n");
  }
}

TEST(UncertaintyTiny, EndToEndWithAnSaeSet) {
  const Model& model = test_tiny::tiny_model();
  const LabelsFile labels = tiny_labels();
  SaeSet set = load_sae_set(tiny_sae_set_dir());
  ASSERT_EQ(set.layers.size(), 2u);
  const UncertaintyConfig cfg = tiny_config();
  const UncertaintyResult r = run_uncertainty(model, labels, set, cfg);
  ASSERT_EQ(r.status, "ok") << r.reason;
  EXPECT_EQ(r.prompt_format, "base");
  EXPECT_EQ(r.position_rule, "last prompt token");
  EXPECT_EQ(r.excluded_refusal, 2u);
  // The SAE after the last block (paper layer 2 of a 2-block model) is not scored.
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_EQ(r.layers[0].hook, "blocks.1.hook_resid_pre");
  ASSERT_FALSE(r.notes.empty());
  EXPECT_NE(r.notes[0].find("skipped SAE on blocks.1.hook_resid_post"), std::string::npos);
  EXPECT_EQ(r.types_scored.size(), 2u);
  ASSERT_EQ(r.roc.size(), 4u);
  EXPECT_EQ(r.roc[0].name, r.top_latents[0].id);
  for (const RocEntry& e : r.roc) {
    EXPECT_GE(e.auroc, 0);
    EXPECT_LE(e.auroc, 1);
    EXPECT_EQ(e.n, r.test_n);
    EXPECT_EQ(e.n_error, e.n_correct);
  }

  // The top latent's score recomputed independently: capture that hook, encode, Welch per type.
  auto prompts = uncertainty_prompts(model, labels, PromptFormat::base, cfg);
  locate_positions(model, prompts, PromptFormat::base);
  const LatentScore& top = r.top_latents[0];
  std::vector<CapturePrompt> cps;
  for (const auto& p : prompts) cps.push_back({p.tokens, {p.position}});
  CaptureOptions co;
  co.hooks = {{top.sae_hook, {}}};
  co.max_batch_prompts = 7;  // other batching than the stage's
  const CaptureResult cap = capture(model, cps, co);
  const Sae& sae = load_layer_sae(layer_by_hook(set, top.sae_hook));
  std::vector<float> acts(size_t(cap.rows() * sae.d_sae));
  sae_encode_dense(sae, cap.hook(top.sae_hook).data.ptr(), cap.rows(), acts.data());
  double min_t = 1e300;
  for (const std::string& type : r.types_scored) {
    std::vector<double> e, c;
    for (size_t i = 0; i < prompts.size(); ++i) {
      if (prompts[i].entity_type != type || prompts[i].split != SplitName::train) continue;
      const double v = acts[i * size_t(sae.d_sae) + size_t(top.latent)];
      if (prompts[i].cls == PromptClass::error) e.push_back(v);
      if (prompts[i].cls == PromptClass::correct) c.push_back(v);
    }
    min_t = std::min(min_t, welch_t_test(e, c).t);
  }
  EXPECT_NEAR(top.score, min_t, 1e-4 * std::max(1.0, std::fabs(min_t)));

  // Greedy baseline: the first prompt's first-token probability from a plain forward pass.
  const Tensor logits = forward_all_logits(model, prompts[0].tokens);
  const int64_t vocab = logits.shape.back();
  const float* last = logits.ptr() + (int64_t(prompts[0].tokens.size()) - 1) * vocab;
  double mx = last[0], z = 0;
  for (int64_t v = 0; v < vocab; ++v) mx = std::max(mx, double(last[v]));
  for (int64_t v = 0; v < vocab; ++v) z += std::exp(double(last[v]) - mx);
  const double p_first = 1 / z;  // the argmax's probability
  const RocEntry& first = r.roc[2];
  EXPECT_EQ(first.kind, "greedy_first_token");
  // The stage's generate() call gives the argmax's log-probability as the first token's.
  GenerateOptions go;
  go.max_new_tokens = 1;
  const auto comp = generate(model, {prompts[0].tokens}, go);
  EXPECT_NEAR(std::exp(double(comp[0].logprobs[0])), p_first, 1e-4);

  // Deterministic apart from the timing.
  SaeSet set3 = load_sae_set(tiny_sae_set_dir());
  auto a = nlohmann::json::parse(r.to_json());
  auto b = nlohmann::json::parse(run_uncertainty(model, labels, set3, cfg).to_json());
  a.erase("seconds");
  b.erase("seconds");
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace knowscope::study
