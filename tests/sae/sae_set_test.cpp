// SAE sets: sae_set.json round trip, plain folders of SAELens / Gemma Scope subfolders, lookups,
// the default folder, and malformed sets rejected with the file and field named.
#include "knowscope/sae/sae_set.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/sae/sae_io.h"
#include "test_paths.h"

namespace knowscope {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

Sae small_sae(const std::string& hook, int64_t d_sae = 8) {
  Sae s = make_sae(SaeArch::TopK, 4, d_sae, 2);
  for (int64_t j = 0; j < d_sae; ++j) s.W_dec.data[size_t(j * 4 + j % 4)] = 1.0f;
  for (int64_t j = 0; j < d_sae; ++j) s.W_enc.data[size_t((j % 4) * d_sae + j)] = 1.0f;
  s.hook_name = hook;
  s.model_name = "tiny";
  return s;
}

std::string expect_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no Error thrown";
  return "";
}

// A set folder as train_sae_set writes it: layer folders and the index.
std::string write_set(const std::string& dir, const std::vector<int>& layers) {
  SaeSet set;
  set.dir = dir;
  set.model = "tiny";
  set.hook_template = "blocks.{N}.hook_resid_post";
  for (int l : layers) {
    SaeSetLayer L;
    L.layer_block = l;
    L.hook = "blocks." + std::to_string(l) + ".hook_resid_post";
    L.path = dir + "/layer_" + std::to_string(l);
    L.d_sae = 8;
    L.arch = "topk";
    L.metrics_json = json{{"l0", 2.0 + l}}.dump();
    save_saelens(small_sae(L.hook), L.path);
    set.layers.push_back(L);
  }
  write_sae_set_index(set);
  return dir;
}

TEST(SaeSet, IndexRoundTripAndLookups) {
  const std::string dir = write_set(test::temp_dir() + "/set", {5, 1, 3});
  json idx = json::parse(read_file(dir + "/sae_set.json"));
  EXPECT_EQ(idx["layers"][0]["path"], "layer_5");  // relative inside the set
  SaeSet set = load_sae_set(dir);
  EXPECT_TRUE(set.from_index);
  EXPECT_EQ(set.model, "tiny");
  ASSERT_EQ(set.layers.size(), 3u);
  EXPECT_EQ(set.layers[0].layer_block, 1);  // sorted by block
  EXPECT_EQ(set.layers[2].hook, "blocks.5.hook_resid_post");
  EXPECT_EQ(json::parse(set.layers[1].metrics_json)["l0"], 5.0);
  EXPECT_FALSE(set.layers[0].sae);  // lazy
  const Sae& s = load_layer_sae(set.layers[0]);
  EXPECT_EQ(s.d_sae, 8);
  EXPECT_EQ(s.hook_name, "blocks.1.hook_resid_post");

  ASSERT_NE(find_layer_by_block(set, 3), nullptr);
  EXPECT_EQ(find_layer_by_block(set, 4), nullptr);
  EXPECT_EQ(find_layer_by_hook(set, "blocks.5.hook_resid_post")->layer_block, 5);
  // Paper layer l reads blocks.{l}.hook_resid_pre = blocks.{l-1}.hook_resid_post.
  EXPECT_EQ(find_layer_for_paper_layer(set, 4)->layer_block, 3);
  EXPECT_EQ(find_layer_for_paper_layer(set, 3), nullptr);
  std::string msg = expect_error([&] { layer_by_block(set, 7); });
  EXPECT_NE(msg.find("blocks.1.hook_resid_post, blocks.3.hook_resid_post"), std::string::npos)
      << msg;

  SaeSet loaded = load_sae_set(dir, true);
  for (const auto& L : loaded.layers) EXPECT_TRUE(L.sae);
}

TEST(SaeSet, PlainFolderOfSaeLensAndGemmaScope) {
  const std::string dir = test::temp_dir() + "/plain";
  save_saelens(small_sae("blocks.2.hook_resid_post"), dir + "/a");
  save_saelens(small_sae("blocks.0.hook_resid_post"), dir + "/b");
  // Gemma Scope's nesting: layer_N/width_16k/average_l0_N/params.npz; the hook comes from the
  // path. An npz is not needed to name the hook, only to load it.
  fs::create_directories(dir + "/layer_7/width_16k/average_l0_82");
  write_file_atomic(dir + "/layer_7/width_16k/average_l0_82/params.npz", "x");
  fs::create_directories(dir + "/notes");  // folders without an SAE are ignored
  SaeSet set = load_sae_set(dir);
  EXPECT_FALSE(set.from_index);
  ASSERT_EQ(set.layers.size(), 3u);
  EXPECT_EQ(set.layers[0].hook, "blocks.0.hook_resid_post");
  EXPECT_EQ(set.layers[1].hook, "blocks.2.hook_resid_post");
  EXPECT_EQ(set.layers[2].hook, "blocks.7.hook_resid_post");
  EXPECT_EQ(set.layers[2].layer_block, 7);
  EXPECT_EQ(load_layer_sae(set.layers[1]).d_sae, 8);
}

TEST(SaeSet, Errors) {
  const std::string base = test::temp_dir();
  EXPECT_NE(expect_error([&] { load_sae_set(base + "/missing"); }).find("no such"),
            std::string::npos);
  fs::create_directories(base + "/empty");
  EXPECT_NE(expect_error([&] { load_sae_set(base + "/empty"); }).find("not an SAE set"),
            std::string::npos);

  // Two SAEs under one subfolder: ambiguous.
  fs::create_directories(base + "/two/layer_3/width_1k/l0_10");
  fs::create_directories(base + "/two/layer_3/width_1k/l0_20");
  write_file_atomic(base + "/two/layer_3/width_1k/l0_10/params.npz", "x");
  write_file_atomic(base + "/two/layer_3/width_1k/l0_20/params.npz", "x");
  EXPECT_NE(expect_error([&] { load_sae_set(base + "/two"); }).find("holds 2 SAEs"),
            std::string::npos);

  // Two subfolders on the same hook.
  save_saelens(small_sae("blocks.1.hook_resid_post"), base + "/dup/a");
  save_saelens(small_sae("blocks.1.hook_resid_post"), base + "/dup/b");
  EXPECT_NE(expect_error([&] { load_sae_set(base + "/dup"); }).find("two SAEs read hook"),
            std::string::npos);

  // Malformed indexes name the file and field.
  const std::string dir = write_set(base + "/bad", {1});
  const std::string idx_path = dir + "/sae_set.json";
  const json good = json::parse(read_file(idx_path));
  auto with = [&](const std::function<void(json&)>& edit) {
    json j = good;
    edit(j);
    write_file_atomic(idx_path, j.dump());
    return expect_error([&] { load_sae_set(dir); });
  };
  std::string m = with([](json& j) { j["layers"][0]["path"] = "layer_9"; });
  EXPECT_NE(m.find("sae_set.json: layers[0].path"), std::string::npos) << m;
  m = with([](json& j) { j["layers"][0]["layer_block"] = 2; });
  EXPECT_NE(m.find("layers[0].layer_block"), std::string::npos) << m;
  m = with([](json& j) { j["layers"] = json::array(); });
  EXPECT_NE(m.find("layers: expected a non-empty array"), std::string::npos) << m;
  m = with([](json& j) { j["layers"][0].erase("hook"); });
  EXPECT_NE(m.find("layers[0].hook"), std::string::npos) << m;
  {  // the index loads, then disagrees with the SAE's file
    json j = good;
    j["layers"][0]["d_sae"] = 16;
    write_file_atomic(idx_path, j.dump());
    SaeSet s = load_sae_set(dir);
    m = expect_error([&] { load_layer_sae(s.layers[0]); });
    EXPECT_NE(m.find("d_sae"), std::string::npos) << m;
  }
  write_file_atomic(idx_path, "{\"layers\": [");
  m = expect_error([&] { load_sae_set(dir); });
  EXPECT_NE(m.find("sae_set.json: not valid JSON"), std::string::npos) << m;
}

TEST(SaeSet, DefaultDirUnderTheCache) {
  const std::string home = test::temp_dir();
  const char* old = std::getenv("KNOWSCOPE_HOME");
  std::string saved = old ? old : "";
  setenv("KNOWSCOPE_HOME", home.c_str(), 1);
  EXPECT_EQ(default_sae_set_dir("gemma-3-270m"), home + "/saes/gemma-3-270m/default");
  EXPECT_EQ(default_sae_set_dir("gemma-3-270m", "quick"), home + "/saes/gemma-3-270m/quick");
  // A model file: named after the known model it is, or its stem.
  write_file_atomic(home + "/my-model.gguf", "x");
  EXPECT_EQ(default_sae_set_dir(home + "/my-model.gguf"), home + "/saes/my-model/default");
  if (old)
    setenv("KNOWSCOPE_HOME", saved.c_str(), 1);
  else
    unsetenv("KNOWSCOPE_HOME");
}

}  // namespace
}  // namespace knowscope
