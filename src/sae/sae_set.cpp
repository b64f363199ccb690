// SAE sets: sae_set.json, plain folders of SAEs, lookups and the default location.
#include "knowscope/sae/sae_set.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "knowscope/core/error.h"
#include "knowscope/hooks/hook_names.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/model/registry.h"
#include "knowscope/sae/sae_io.h"

namespace knowscope {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

int block_of(const std::string& hook) {
  try {
    return parse_hook_name(hook).layer;
  } catch (const Error&) {
    return hook_layer(hook);
  }
}

std::string str_field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The hook an SAE folder reads, from its config files or its path, without loading weights.
std::string hook_of_folder(const fs::path& folder) {
  const std::string where = folder.string();
  if (fs::exists(folder / "cfg.json")) {
    json cfg;
    try {
      cfg = json::parse(read_file((folder / "cfg.json").string()));
    } catch (const json::exception& e) {
      fail((folder / "cfg.json").string(), "", std::string("not valid JSON: ") + e.what());
    }
    std::string h;
    if (cfg.contains("metadata") && cfg["metadata"].is_object())
      h = str_field(cfg["metadata"], "hook_name");
    if (h.empty()) h = str_field(cfg, "hook_name");
    if (h.empty()) h = str_field(cfg, "hook_point");
    if (!h.empty()) return h;
  }
  if (fs::exists(folder / "config.json")) {
    json cfg;
    try {
      cfg = json::parse(read_file((folder / "config.json").string()));
    } catch (const json::exception& e) {
      fail((folder / "config.json").string(), "", std::string("not valid JSON: ") + e.what());
    }
    std::string h = hf_hook_to_tl(str_field(cfg, "hf_hook_point_in"));
    if (!h.empty()) return h;
  }
  // Gemma Scope folder names: .../gemma-scope-2b-pt-res/layer_12/width_16k/average_l0_82.
  static const std::regex re(R"(layer_(\d+))");
  std::string p = fs::absolute(folder).generic_string(), last;
  for (auto it = std::sregex_iterator(p.begin(), p.end(), re); it != std::sregex_iterator(); ++it)
    last = (*it)[1].str();
  if (last.empty()) return "";
  if (p.find("-mlp") != std::string::npos) return "blocks." + last + ".hook_mlp_out";
  if (p.find("-att") != std::string::npos) return "blocks." + last + ".attn.hook_z";
  return "blocks." + last + ".hook_resid_post";
}

bool holds_sae(const fs::path& p) {
  return fs::exists(p / "cfg.json") || fs::exists(p / "params.safetensors") ||
         fs::exists(p / "params.npz");
}

// SAE folders at or below `p` (at most `depth` levels down), sorted.
void find_sae_folders(const fs::path& p, int depth, std::vector<fs::path>& out) {
  if (holds_sae(p)) {
    out.push_back(p);
    return;
  }
  if (depth == 0) return;
  std::vector<fs::path> subs;
  for (const auto& e : fs::directory_iterator(p))
    if (e.is_directory()) subs.push_back(e.path());
  std::sort(subs.begin(), subs.end());
  for (const auto& s : subs) find_sae_folders(s, depth - 1, out);
}

SaeSet scan_plain_folder(const std::string& dir) {
  SaeSet set;
  set.dir = dir;
  std::vector<fs::path> subs;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory()) subs.push_back(e.path());
  std::sort(subs.begin(), subs.end());
  for (const auto& sub : subs) {
    std::vector<fs::path> found;
    find_sae_folders(sub, 3, found);
    if (found.empty()) continue;
    if (found.size() > 1) {
      std::string list;
      for (const auto& f : found) list += "\n  " + f.string();
      fail(sub.string(), "",
           "holds " + std::to_string(found.size()) +
               " SAEs; a set takes one per subfolder (keep one, or pass a folder of folders "
               "that each hold one):" +
               list);
    }
    SaeSetLayer L;
    L.path = found[0].string();
    L.hook = hook_of_folder(found[0]);
    if (L.hook.empty())
      fail(L.path, "hook",
           "cannot tell which hook this SAE reads (no hook_name in cfg.json, no hf_hook_point_in "
           "in config.json, no layer_N in the path)");
    L.layer_block = block_of(L.hook);
    set.layers.push_back(std::move(L));
  }
  if (set.layers.empty())
    fail(dir, "",
         "not an SAE set: no sae_set.json, and no subfolder holds an SAE (cfg.json, "
         "params.safetensors or params.npz)");
  return set;
}

SaeSet read_index(const std::string& dir) {
  const std::string file = (fs::path(dir) / "sae_set.json").string();
  json j;
  try {
    j = json::parse(read_file(file));
  } catch (const json::exception& e) {
    fail(file, "", std::string("not valid JSON: ") + e.what());
  }
  check(j.is_object(), file, "", "expected a JSON object");
  SaeSet set;
  set.dir = dir;
  set.from_index = true;
  set.model = str_field(j, "model");
  set.hook_template = str_field(j, "hook_template");
  if (j.contains("corpus")) set.corpus_json = j["corpus"].dump();
  if (j.contains("train")) set.train_json = j["train"].dump();
  check(j.contains("layers") && j["layers"].is_array() && !j["layers"].empty(), file, "layers",
        "expected a non-empty array");
  for (size_t i = 0; i < j["layers"].size(); ++i) {
    const json& e = j["layers"][i];
    const std::string field = "layers[" + std::to_string(i) + "]";
    check(e.is_object(), file, field, "expected an object");
    SaeSetLayer L;
    L.hook = str_field(e, "hook");
    check(!L.hook.empty(), file, field + ".hook", "expected a hook name string");
    std::string rel = str_field(e, "path");
    check(!rel.empty(), file, field + ".path", "expected the SAE folder (a string)");
    L.path = fs::path(rel).is_absolute() ? rel : (fs::path(dir) / rel).string();
    check(fs::exists(L.path), file, field + ".path", "'" + L.path + "' does not exist");
    if (e.contains("layer_block")) {
      check(e["layer_block"].is_number_integer(), file, field + ".layer_block",
            "expected an integer");
      L.layer_block = e["layer_block"].get<int>();
      check(L.layer_block == block_of(L.hook), file, field + ".layer_block",
            std::to_string(L.layer_block) + " does not match hook '" + L.hook + "'");
    } else {
      L.layer_block = block_of(L.hook);
    }
    if (e.contains("d_sae")) {
      check(e["d_sae"].is_number_integer() && e["d_sae"].get<int64_t>() > 0, file, field + ".d_sae",
            "expected a positive integer");
      L.d_sae = e["d_sae"].get<int64_t>();
    }
    L.arch = str_field(e, "arch");
    if (e.contains("metrics")) {
      check(e["metrics"].is_object(), file, field + ".metrics", "expected an object");
      L.metrics_json = e["metrics"].dump();
    }
    set.layers.push_back(std::move(L));
  }
  return set;
}

}  // namespace

SaeSet load_sae_set(const std::string& dir, bool load_weights) {
  if (!fs::exists(dir)) fail(dir, "", "no such SAE set folder");
  if (!fs::is_directory(dir))
    fail(dir, "", "an SAE set is a folder (with sae_set.json or SAE subfolders)");
  SaeSet set =
      fs::exists(fs::path(dir) / "sae_set.json") ? read_index(dir) : scan_plain_folder(dir);
  std::stable_sort(
      set.layers.begin(), set.layers.end(),
      [](const SaeSetLayer& a, const SaeSetLayer& b) { return a.layer_block < b.layer_block; });
  for (size_t i = 1; i < set.layers.size(); ++i)
    if (set.layers[i].hook == set.layers[i - 1].hook)
      fail(dir, "layers",
           "two SAEs read hook '" + set.layers[i].hook + "' (" + set.layers[i - 1].path + " and " +
               set.layers[i].path + ")");
  if (load_weights)
    for (auto& L : set.layers) load_layer_sae(L);
  return set;
}

const Sae& load_layer_sae(SaeSetLayer& layer) {
  if (!layer.sae) {
    SaeLoadOptions opt;
    opt.hook_name = layer.hook;
    auto s = std::make_shared<Sae>(load_sae(layer.path, opt));
    if (layer.d_sae != 0 && layer.d_sae != s->d_sae)
      fail(layer.path, "d_sae",
           "the SAE has " + std::to_string(s->d_sae) + " latents but its set says " +
               std::to_string(layer.d_sae));
    layer.d_sae = s->d_sae;
    layer.arch = sae_arch_name(s->arch);
    layer.sae = std::move(s);
  }
  return *layer.sae;
}

const SaeSetLayer* find_layer_by_block(const SaeSet& set, int layer_block) {
  for (const auto& L : set.layers)
    if (L.layer_block == layer_block) return &L;
  return nullptr;
}

const SaeSetLayer* find_layer_by_hook(const SaeSet& set, const std::string& hook) {
  for (const auto& L : set.layers)
    if (L.hook == hook) return &L;
  return nullptr;
}

const SaeSetLayer* find_layer_for_paper_layer(const SaeSet& set, int paper_layer) {
  const std::string pre = "blocks." + std::to_string(paper_layer) + ".hook_resid_pre";
  const std::string post = "blocks." + std::to_string(paper_layer - 1) + ".hook_resid_post";
  for (const auto& L : set.layers)
    if (L.hook == pre || L.hook == post) return &L;
  return nullptr;
}

namespace {
std::string layer_list(const SaeSet& set) {
  std::string s;
  for (const auto& L : set.layers) s += (s.empty() ? "" : ", ") + L.hook;
  return s;
}
}  // namespace

SaeSetLayer& layer_by_block(SaeSet& set, int layer_block) {
  for (auto& L : set.layers)
    if (L.layer_block == layer_block) return L;
  fail(set.dir, "layers",
       "no SAE on block " + std::to_string(layer_block) + "; the set has " + layer_list(set));
}

SaeSetLayer& layer_by_hook(SaeSet& set, const std::string& hook) {
  for (auto& L : set.layers)
    if (L.hook == hook) return L;
  fail(set.dir, "layers", "no SAE on hook '" + hook + "'; the set has " + layer_list(set));
}

std::string default_sae_set_dir(const std::string& model_id, const std::string& profile) {
  std::string name = model_id;
  fs::path p(model_id);
  if (fs::exists(p)) {
    std::string file = p.filename().string();
    name = p.stem().string();
    for (const auto& m : known_models())
      if (m.file == file) name = m.name;
    if (fs::is_directory(p)) name = p.filename().string();
  }
  check(!name.empty(), model_id, "", "cannot name an SAE set folder after this model");
  return (fs::path(cache_dir()) / "saes" / name / profile).string();
}

void write_sae_set_index(const SaeSet& set) {
  json j;
  j["format"] = "knowscope.sae_set";
  j["version"] = 1;
  j["model"] = set.model;
  j["hook_template"] = set.hook_template;
  j["layers"] = json::array();
  const fs::path root = fs::absolute(set.dir).lexically_normal();
  for (const auto& L : set.layers) {
    fs::path p = fs::absolute(L.path).lexically_normal();
    fs::path rel = p.lexically_relative(root);
    bool inside = !rel.empty() && rel.begin()->string() != "..";
    j["layers"].push_back({{"layer_block", L.layer_block},
                           {"hook", L.hook},
                           {"path", inside ? rel.generic_string() : p.string()},
                           {"d_sae", L.d_sae},
                           {"arch", L.arch},
                           {"metrics", json::parse(L.metrics_json)}});
  }
  j["corpus"] = json::parse(set.corpus_json);
  j["train"] = json::parse(set.train_json);
  write_file_atomic((fs::path(set.dir) / "sae_set.json").string(), j.dump(2) + "\n");
}

}  // namespace knowscope
