// End to end on the tiny random Gemma 3: labelled entities whose names differ only in their last
// character (known end in 'q', unknown in 'z'), an SAE set in SAELens format with planted latents
// (latent 0 reads the known-minus-unknown direction of the residual at the last entity token, so
// it fires on exactly the known entities; latent 1 the reverse; latent 2 fires on everything;
// latents 3..7 have random directions and also fire on everything; latents 8.. never fire), a small
// generic corpus and two free sentences.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "knowscope/core/error.h"
#include "knowscope/hooks/capture.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/sae/sae_io.h"
#include "knowscope/study/labels_file.h"
#include "knowscope/study/latents.h"
#include "knowscope/study/templates.h"
#include "study/tiny_model.h"

namespace knowscope::study {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Fixture {
  std::string dir, labels, sae_set, corpus, sentences;
};

std::vector<std::pair<std::string, std::string>> entity_names() {  // (type, name)
  std::vector<std::pair<std::string, std::string>> out;
  for (const char* type : {"player", "movie"})
    for (int i = 0; i < 16; ++i) {
      std::string name = std::string("K") + char('a' + i % 8) + char('m' + i / 8);
      name += i % 2 == 0 ? 'q' : 'z';  // even: known
      out.push_back({type, name});
    }
  return out;
}

std::string write_labels(const std::string& dir) {
  std::vector<GenerationRecord> records;
  for (const auto& [type, name] : entity_names()) {
    const bool known = name.back() == 'q';
    int attr = 0;
    for (const auto& t : prompt_templates()) {
      if (t.entity_type != type || attr == 3) continue;
      ++attr;
      GenerationRecord r;
      r.entity = name;
      r.entity_type = type;
      r.prompt_type = std::string(t.prompt_type);
      r.correct_answer = "x";
      r.prompt = "p";
      r.format = PromptFormat::base;
      r.greedy_completion = "g";
      r.sampled_completions.assign(10, "s");
      r.greedy_label = CompletionLabel::error;
      r.label = CompletionLabel::error;
      r.sampled_labels.assign(10, known ? CompletionLabel::correct : CompletionLabel::error);
      records.push_back(r);
    }
  }
  const std::string path = dir + "/labels.json";
  write_labels_file(path, build_labels(records));
  return path;
}

// Residual at blocks.0.hook_resid_post, last entity token, per entity (names order).
std::vector<std::vector<float>> entity_residuals(const Model& model) {
  std::vector<CapturePrompt> prompts;
  for (const auto& [type, name] : entity_names()) {
    PositionSpec spec;
    spec.kind = PositionSpec::Kind::Substring;
    spec.substring = name;
    prompts.push_back(make_capture_prompt(*model.tokenizer, entity_activation_prompt(name, type),
                                          spec, {}, SubstringRule::PaperDecode));
  }
  CaptureOptions opt;
  opt.hooks = {{"blocks.0.hook_resid_post", {}}};
  const CaptureResult r = capture(model, prompts, opt);
  const CapturedHook& h = r.hook("blocks.0.hook_resid_post");
  std::vector<std::vector<float>> out(prompts.size());
  for (int64_t row = 0; row < r.rows(); ++row)
    out[size_t(r.prompt[row])].assign(h.row(row), h.row(row) + h.row_numel());
  return out;
}

std::string write_sae_set(const std::string& dir, const Model& model) {
  const int64_t d = model.config.d_model, n = 16;
  const auto xs = entity_residuals(model);
  const auto names = entity_names();
  std::vector<double> dir_v(size_t(d), 0.0);
  int nk = 0, nu = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const bool known = names[i].second.back() == 'q';
    (known ? nk : nu)++;
    for (int64_t c = 0; c < d; ++c) dir_v[c] += (known ? 1.0 : -1.0) * xs[i][c];
  }
  for (int64_t c = 0; c < d; ++c) dir_v[c] /= double(nk);  // nk == nu
  double min_known = 1e300, max_unknown = -1e300;
  for (size_t i = 0; i < xs.size(); ++i) {
    double p = 0;
    for (int64_t c = 0; c < d; ++c) p += dir_v[c] * xs[i][c];
    if (names[i].second.back() == 'q')
      min_known = std::min(min_known, p);
    else
      max_unknown = std::max(max_unknown, p);
  }
  EXPECT_LT(max_unknown, min_known) << "the planted direction must separate the entities";
  const double mid = 0.5 * (min_known + max_unknown);
  std::mt19937 rng(5);
  std::normal_distribution<float> g(0.0f, 0.1f);
  for (int block : {0, 1}) {
    Sae sae = make_sae(SaeArch::JumpRelu, d, n);
    sae.hook_name = "blocks." + std::to_string(block) + ".hook_resid_post";
    sae.model_name = "tiny";
    float* we = sae.W_enc.ptr();
    for (int64_t c = 0; c < d; ++c)
      for (int64_t j = 0; j < n; ++j) we[c * n + j] = g(rng);
    for (int64_t c = 0; c < d; ++c) {
      we[c * n + 0] = float(dir_v[c]);
      we[c * n + 1] = float(-dir_v[c]);
      we[c * n + 2] = 0.0f;
    }
    float* be = sae.b_enc.ptr();
    for (int64_t j = 0; j < n; ++j) be[j] = j >= 8 ? -1e6f : 1e4f;  // 3..7: fire everywhere
    be[0] = float(-mid);
    be[1] = float(mid);
    be[2] = 1.0f;  // fires everywhere
    float* th = sae.threshold.ptr();
    for (int64_t j = 0; j < n; ++j) th[j] = 1e-3f;
    float* wd = sae.W_dec.ptr();
    for (int64_t j = 0; j < n; ++j)
      for (int64_t c = 0; c < d; ++c) wd[j * d + c] = c == j ? 1.0f : 0.0f;
    save_saelens(sae, dir + "/saes/layer_" + std::to_string(block));
  }
  return dir + "/saes";
}

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture x;
    x.dir = test::temp_dir() + "/latents-e2e";
    fs::create_directories(x.dir);
    const Model& model = test_tiny::tiny_model();
    x.labels = write_labels(x.dir);
    x.sae_set = write_sae_set(x.dir, model);
    x.corpus = x.dir + "/corpus.jsonl";
    std::ofstream c(x.corpus);
    std::mt19937 rng(3);
    for (int docn = 0; docn < 30; ++docn) {
      std::string text;
      for (int w = 0; w < 8; ++w) {
        if (w) text += ' ';
        for (int k = 0; k < 4; ++k) text += char('a' + rng() % 26);
      }
      c << json({{"text", text}, {"source", "test"}}).dump() << "\n";
    }
    c.close();
    x.sentences = x.dir + "/sentences.json";
    json s = {{"sentences",
               {{{"text", "I met Kamq today."},
                 {"entity", "Kamq"},
                 {"kind", "real"},
                 {"begin", 6},
                 {"end", 10}},
                {{"text", "I met Kanz today."},
                 {"entity", "Kanz"},
                 {"kind", "invented"},
                 {"begin", 6},
                 {"end", 10}}}}};
    write_file_atomic(x.sentences, s.dump());
    return x;
  }();
  return f;
}

LatentsConfig config(double cap) {
  const Fixture& f = fixture();
  LatentsConfig c;
  c.model_name = "tiny";
  c.labels = f.labels;
  c.sae_set = f.sae_set;
  c.corpus = f.corpus;
  c.sentences = f.sentences;
  c.generic_docs = 30;
  c.context_docs = 10;
  c.generic_freq_cap = cap;
  c.progress = false;
  return c;
}

TEST(LatentsRun, FindsThePlantedLatentsEndToEnd) {
  const LatentsResult r = run_latents(test_tiny::tiny_model(), config(1.01));  // filter off
  const json j = json::parse(latents_to_json(r));
  // The SAE on the last block's output is not scored; the other is layer 1.
  ASSERT_EQ(j["sae_set"]["layers"].size(), 1u);
  EXPECT_EQ(j["sae_set"]["layers"][0]["layer"], 1);
  ASSERT_EQ(j["sae_set"]["skipped"].size(), 1u);
  EXPECT_EQ(j["sae_set"]["skipped"][0]["sae_hook"], "blocks.1.hook_resid_post");
  EXPECT_EQ(j["types"], json({"player", "movie"}));
  EXPECT_EQ(j["counts"]["entities"]["all"]["known"], 16);
  EXPECT_EQ(j["counts"]["entities"]["all"]["unknown"], 16);
  const json& k0 = j["known"][0];
  EXPECT_EQ(k0["id"], "L1F0");
  EXPECT_EQ(k0["hook"], "blocks.1.hook_resid_pre");
  EXPECT_EQ(k0["sae_hook"], "blocks.0.hook_resid_post");
  EXPECT_DOUBLE_EQ(k0["score"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(k0["per_type"]["movie"].get<double>(), 1.0);
  EXPECT_EQ(k0["n_known"].get<int>() + k0["n_unknown"].get<int>(),
            j["counts"]["selection"]["all"]["known"].get<int>() +
                j["counts"]["selection"]["all"]["unknown"].get<int>());
  EXPECT_EQ(j["unknown"][0]["id"], "L1F1");
  EXPECT_DOUBLE_EQ(j["unknown"][0]["score"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["layers"][0]["maxmin_known"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["layers"][0]["top5_known"]["player"]["max"].get<double>(), 1.0);
  // Generic frequencies: latent 2 fires on everything, latents 8.. never.
  ASSERT_GT(j["counts"]["generic"]["tokens"].get<int>(), 20);
  for (const json& l : j["known"]) {
    if (l["latent"] == 2) {
      EXPECT_DOUBLE_EQ(l["generic_freq"].get<double>(), 1.0);
    }
    if (l["latent"].get<int>() >= 8) {
      EXPECT_DOUBLE_EQ(l["generic_freq"].get<double>(), 0.0);
    }
  }
  // Controls: 8 never-firing latents + latents 2..7 (fire on all: score 0) are the candidates.
  for (const char* side : {"known", "unknown"}) {
    const json& rc = j["random_controls"][side];
    EXPECT_EQ(rc.size(), 10u) << side;
    EXPECT_EQ(j["random_controls"]["candidates"][side], 14);
    for (const json& l : rc) {
      EXPECT_EQ(l["layer"], 1);
      EXPECT_DOUBLE_EQ(l["score"].get<double>(), 0.0);
    }
  }
  // The planted latent classifies the held-out entities perfectly.
  EXPECT_DOUBLE_EQ(j["probes"]["top_latents"]["known"]["auroc"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["probes"]["top_latents"]["known"]["accuracy"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["probes"]["top_latents"]["known"]["auroc_within_type"].get<double>(), 1.0);
  ASSERT_EQ(j["probes"]["layers"].size(), 1u);
  EXPECT_GE(j["probes"]["layers"][0]["diff_means"]["auroc"].get<double>(), 0.9);
  EXPECT_GT(j["probes"]["n"]["heldout"]["all"]["known"].get<int>(), 0);
  // Leave one type out: selected on the other type, still separates.
  ASSERT_EQ(j["generalisation"]["leave_one_type_out"].size(), 2u);
  for (const json& e : j["generalisation"]["leave_one_type_out"]) {
    EXPECT_EQ(e["known"]["id"], "L1F0");
    EXPECT_DOUBLE_EQ(e["known"]["held_out"]["score"].get<double>(), 1.0);
    EXPECT_DOUBLE_EQ(e["known"]["held_out"]["auroc"].get<double>(), 1.0);
  }
  // Sentences: the planted latents at the entity's last token ('q' vs 'z').
  const json& sl = j["generalisation"]["sentences"]["latents"];
  ASSERT_FALSE(sl.empty());
  EXPECT_EQ(sl[0]["id"], "L1F0");
  EXPECT_EQ(j["generalisation"]["sentences"]["n_real"], 1);
  ASSERT_EQ(j["examples"].size(), 2u);
  for (const json& ex : j["examples"]) {
    const size_t n = ex["tokens"].size();
    EXPECT_EQ(ex["tokens"][ex["entity_token"].get<size_t>()], ex["kind"] == "real" ? "q" : "z");
    for (const json& l : ex["latents"]) EXPECT_EQ(l["acts"].size(), n);
  }
  // Top contexts: the maximum is inside the window and equals max_act.
  bool any = false;
  for (const json& lc : j["top_contexts"])
    for (const json& c : lc["contexts"]) {
      any = true;
      const size_t p = c["max_pos"].get<size_t>();
      ASSERT_LT(p, c["acts"].size());
      EXPECT_NEAR(c["acts"][p].get<double>(), c["max_act"].get<double>(), 1e-5);
      EXPECT_EQ(c["tokens"].size(), c["acts"].size());
    }
  EXPECT_TRUE(any);
  EXPECT_FALSE(format_latents_summary(r).empty());
}

TEST(LatentsRun, GenericFilterDropsLatentsAboveTheCap) {
  const LatentsResult r = run_latents(test_tiny::tiny_model(), config(0.02));
  for (const auto* list : {&r.known, &r.unknown})
    for (const auto& l : *list) {
      EXPECT_LT(l.generic_freq, 0.02) << l.id;
      EXPECT_NE(l.latent, 2) << "fires on every generic token";
    }
  EXPECT_EQ(r.generic_docs_read, 30);
}

TEST(LatentsRun, BadSentencesFileNamesTheField) {
  const std::string p = fixture().dir + "/bad_sentences.json";
  write_file_atomic(p, R"({"sentences": [{"text": "abc", "entity": "x", "kind": "real",
                       "begin": 0, "end": 1}]})");
  try {
    read_free_sentences(p);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sentences[0].begin/end"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace knowscope::study
