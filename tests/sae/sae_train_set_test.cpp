// Training a set end to end on the tiny random Gemma 3 over a small corpus: the set folder and
// its index, per-layer metrics, reuse of a finished set, refusal to overwrite a set of another
// configuration, resuming from finished layers, and the layer-list parser.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/sae/sae_io.h"
#include "knowscope/sae/train_set.h"
#include "study/tiny_model.h"
#include "test_paths.h"

namespace knowscope {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

std::string tiny_corpus() {
  const std::string p = test::temp_dir() + "/corpus.jsonl";
  std::string text;
  const char* words[] = {"the", "cat", "is", "of", "mat", "Paris", "red", "sky", "ran", "12"};
  uint32_t r = 7;
  for (int d = 0; d < 60; ++d) {
    std::string doc;
    for (int w = 0; w < 12; ++w) {
      r = r * 1103515245u + 12345u;
      doc += std::string(w ? " " : "") + words[(r >> 16) % 10];
    }
    text += json{{"text", doc + "."}, {"source", d % 2 ? "a" : "b"}}.dump() + "\n";
  }
  write_file_atomic(p, text);
  return p;
}

SaeSetTrainConfig tiny_config(const std::string& out) {
  SaeSetTrainConfig c = sae_set_profile("quick", study::test_tiny::tiny_model().config);
  c.profile = "test";
  c.model_name = "tiny";
  c.layers = {0, 1};
  c.sae.d_sae = 32;
  c.sae.k = 4;
  c.sae.batch_size = 64;
  c.sae.shuffle_buffer_rows = 256;
  c.sae.b_dec_init_rows = 256;
  c.sae.show_progress = false;
  c.train_tokens = 512;
  c.passes = 2;
  c.context = 32;
  c.heldout_docs = 10;
  c.eval_tokens = 200;
  c.eval_ce_tokens = 60;
  c.corpus_path = tiny_corpus();
  c.out_dir = out;
  c.progress = false;
  return c;
}

TEST(SaeTrainSet, EndToEndOnTheTinyModel) {
  const Model& model = study::test_tiny::tiny_model();
  const std::string out = test::temp_dir() + "/set";
  SaeSetTrainConfig c = tiny_config(out);
  SaeSetTrainResult r = train_sae_set(model, c);
  EXPECT_FALSE(r.reused);
  EXPECT_EQ(r.tokens_captured, 512);
  EXPECT_FALSE(fs::exists(out + ".work"));  // work removed without keep_work

  SaeSet set = load_sae_set(out);
  EXPECT_EQ(set.model, "tiny");
  ASSERT_EQ(set.layers.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    auto& L = set.layers[i];
    EXPECT_EQ(L.hook, "blocks." + std::to_string(i) + ".hook_resid_post");
    EXPECT_EQ(L.d_sae, 32);
    EXPECT_EQ(L.arch, "topk");
    json m = json::parse(L.metrics_json);
    for (const char* k : {"l0", "fvu", "mse", "dead_fraction", "dense_fraction", "ce_loss_score",
                          "kl_sae", "ce_clean", "ce_ablation"})
      EXPECT_TRUE(m.contains(k) && m[k].is_number()) << k;
    EXPECT_NEAR(m["l0"].get<double>(), 4.0, 1e-9);  // TopK k = 4
    EXPECT_GT(m["tokens"].get<int64_t>(), 150);
    EXPECT_EQ(m["train"]["steps"], 16);  // 512 tokens x 2 passes / 64
    const Sae& s = load_layer_sae(L);
    EXPECT_EQ(s.hook_name, L.hook);
    EXPECT_EQ(s.d_in, model.config.d_model);
  }
  json idx = json::parse(read_file(out + "/sae_set.json"));
  EXPECT_EQ(idx["format"], "knowscope.sae_set");
  EXPECT_EQ(idx["train"]["sae"]["d_sae"], 32);
  EXPECT_TRUE(idx["corpus"].contains("path"));

  // Same configuration: reused without training.
  SaeSetTrainResult again = train_sae_set(model, c);
  EXPECT_TRUE(again.reused);
  // Another configuration in the same folder: refused unless forced.
  SaeSetTrainConfig c2 = c;
  c2.sae.k = 3;
  EXPECT_THROW(train_sae_set(model, c2), Error);
}

TEST(SaeTrainSet, ResumesFinishedLayersAndRestartsStaleWork) {
  const Model& model = study::test_tiny::tiny_model();
  const std::string out = test::temp_dir() + "/set";
  SaeSetTrainConfig c = tiny_config(out);
  c.keep_work = true;
  train_sae_set(model, c);
  ASSERT_TRUE(fs::exists(out + ".work/layer_0.done.json"));
  // Interrupted after layer 0: no index; layer 1 lost. The rerun keeps layer 0's SAE as it was.
  const std::string w0 = read_file(out + "/layer_0/sae_weights.safetensors");
  fs::remove(out + "/sae_set.json");
  fs::remove(out + ".work/layer_1.done.json");
  fs::remove_all(out + "/layer_1");
  SaeSetTrainResult r = train_sae_set(model, c);
  EXPECT_FALSE(r.reused);
  EXPECT_EQ(read_file(out + "/layer_0/sae_weights.safetensors"), w0);
  json m0 = json::parse(load_sae_set(out).layers[0].metrics_json);
  EXPECT_EQ(m0["train"]["steps"], 16);
  EXPECT_TRUE(fs::exists(out + "/layer_1/cfg.json"));
  // Forcing another configuration starts over.
  SaeSetTrainConfig c2 = c;
  c2.sae.k = 3;
  c2.force = true;
  train_sae_set(model, c2);
  EXPECT_NEAR(json::parse(load_sae_set(out).layers[1].metrics_json)["l0"].get<double>(), 3.0, 1e-9);
}

TEST(SaeTrainSet, LayerLists) {
  EXPECT_EQ(spread_layers(18, 6), (std::vector<int>{2, 5, 8, 11, 14, 17}));
  EXPECT_EQ(spread_layers(4, 9), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(parse_layer_list("all", 3), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(parse_layer_list("spread:2", 18), (std::vector<int>{8, 17}));
  EXPECT_EQ(parse_layer_list("5,1-3,2", 18), (std::vector<int>{1, 2, 3, 5}));
  EXPECT_THROW(parse_layer_list("18", 18), Error);
  EXPECT_THROW(parse_layer_list("1,,2", 18), Error);
  EXPECT_THROW(parse_layer_list("3-1", 18), Error);
  EXPECT_THROW(parse_layer_list("x", 18), Error);
  EXPECT_THROW(parse_layer_list("spread:0", 18), Error);
}

}  // namespace
}  // namespace knowscope
