// Where labelling reads its dataset and keeps its results.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "knowscope/core/error.h"
#include "knowscope/io/mapped_file.h"
#include "knowscope/model/registry.h"
#include "knowscope/study/labelling.h"
#include "study/labelling_hash.h"

namespace knowscope::study {
namespace {

namespace fs = std::filesystem;

std::string safe_name(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  return s.empty() ? "model" : s;
}

uint64_t hash_file(const std::string& path, uint64_t seed) {
  MappedFile f(path);
  return hash_bytes(f.data(), f.size(), seed);
}

// A folder: config.json, tokenizer.json and the weight files, by name, in name order.
uint64_t hash_folder(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    const std::string ext = e.path().extension().string();
    if (name == "config.json" || name == "tokenizer.json" || ext == ".safetensors" ||
        name == "model.safetensors.index.json")
      files.push_back(name);
  }
  std::sort(files.begin(), files.end());
  check(!files.empty(), dir.string(), "",
        "no config.json or weight files to identify the model by");
  uint64_t h = 0;
  for (const auto& f : files) h = hash_file((dir / f).string(), hash_string(f, h));
  return h;
}

std::optional<std::string> find_upwards(fs::path start) {
  std::error_code ec;
  for (fs::path p = start; !p.empty(); p = p.parent_path()) {
    if (fs::exists(p / "data" / "entities" / "manifest.json", ec))
      return (p / "data" / "entities").string();
    if (p == p.parent_path()) break;
  }
  return std::nullopt;
}

}  // namespace

std::string model_cache_id(const std::string& model_arg) {
  for (const auto& m : known_models())
    if (m.name == model_arg) return m.name;
  const std::string resolved = resolve_model_path(model_arg);
  std::error_code ec;
  for (const auto& m : known_models()) {
    const fs::path cached = fs::path(cache_dir()) / "models" / m.file;
    if (fs::exists(cached, ec) && fs::equivalent(cached, resolved, ec)) return m.name;
  }
  fs::path p = fs::absolute(resolved);
  if (fs::is_directory(p)) {
    const std::string stem =
        p.filename().empty() ? p.parent_path().filename().string() : p.filename().string();
    return safe_name(stem) + "-" + hex64(hash_folder(p));
  }
  return safe_name(p.stem().string()) + "-" + hex64(hash_file(p.string(), 0));
}

std::string default_labelling_dir(const std::string& model_id, const LabellingConfig& config) {
  return (fs::path(cache_dir()) / "labels" / model_id / labelling_config_hash(config)).string();
}

std::string find_entity_dir() {
  std::string looked;
  if (const char* d = std::getenv("KNOWSCOPE_DATA"); d && *d) {
    fs::path p = fs::path(d) / "entities";
    if (fs::exists(p / "manifest.json")) return p.string();
    fail(p.string(), "", "KNOWSCOPE_DATA is set but this folder holds no manifest.json");
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    if (auto found = find_upwards(exe.parent_path())) return *found;
    looked += "above " + exe.parent_path().string() + ", ";
  }
  fs::path cwd = fs::current_path(ec);
  if (!ec) {
    if (auto found = find_upwards(cwd)) return *found;
    looked += "above " + cwd.string() + ", ";
  }
  fail("entity dataset", "",
       "no data/entities/manifest.json found (looked " + looked +
           "and $KNOWSCOPE_DATA is unset); pass --entities FILE or set KNOWSCOPE_DATA to the "
           "repository's data folder");
}

std::vector<Entity> load_dataset(const std::string& dir, std::span<const std::string> types) {
  std::vector<std::string> list(types.begin(), types.end());
  if (list.empty())
    for (auto t : entity_types()) list.emplace_back(t);
  std::vector<Entity> out;
  for (const auto& t : list) {
    const std::string path = (fs::path(dir) / (t + ".jsonl")).string();
    check(fs::exists(path), path, "",
          "no such file: the dataset has no entities of type '" + t + "'");
    for (auto& e : load_entities(path)) {
      check(e.entity_type == t, path, "entity_type",
            "'" + e.name + "' has type '" + e.entity_type + "' in the file of type '" + t + "'");
      out.push_back(std::move(e));
    }
  }
  return out;
}

}  // namespace knowscope::study
