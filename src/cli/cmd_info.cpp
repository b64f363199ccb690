// knowscope info: metadata and tensor table of a GGUF file or a Hugging Face folder.
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/io/gguf.h"
#include "knowscope/io/safetensors.h"
#include "knowscope/model/registry.h"

namespace knowscope::cli {
namespace {

struct InfoOptions {
  std::string model = "gemma-3-270m";
  bool json = false;
  bool tensors = true;
};

// Short rendering of a metadata value: long arrays are summarised, long strings cut.
nlohmann::json value_json(const GgufValue& v, bool full) {
  switch (v.type) {
    case GgufType::STRING: {
      const auto& s = v.as_string();
      return full || s.size() <= 120 ? s : s.substr(0, 117) + "...";
    }
    case GgufType::BOOL:
      return v.as_bool();
    case GgufType::FLOAT32:
    case GgufType::FLOAT64:
      return v.as_float();
    case GgufType::ARRAY: {
      const auto& a = v.as_array();
      if (!full && a.items.size() > 8) return "[" + std::to_string(a.items.size()) + " items]";
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : a.items) out.push_back(value_json(item, full));
      return out;
    }
    default:
      return v.as_int();
  }
}

int info_gguf(const std::string& path, const InfoOptions& opt) {
  GgufFile f = read_gguf(path);
  nlohmann::json out;
  out["path"] = path;
  out["format"] = "gguf";
  out["version"] = f.version;
  out["file_bytes"] = f.file->size();
  for (const auto& [k, v] : f.metadata) out["metadata"][k] = value_json(v, false);
  std::map<std::string, int> type_counts;
  int64_t params = 0;
  for (const auto& t : f.tensors) {
    type_counts[dtype_name(t.dtype)]++;
    params += shape_numel(t.shape);
    if (opt.tensors)
      out["tensors"].push_back({{"name", t.name},
                                {"type", dtype_name(t.dtype)},
                                {"shape", t.shape},
                                {"offset", t.offset},
                                {"bytes", t.nbytes}});
  }
  out["tensor_types"] = type_counts;
  out["parameters"] = params;
  if (opt.json) {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("%s: GGUF v%u, %zu tensors, %.1fM parameters, %.1f MB\n", path.c_str(), f.version,
              f.tensors.size(), params / 1e6, f.file->size() / 1e6);
  for (const auto& [k, v] : out["metadata"].items())
    std::printf("  %-44s %s\n", k.c_str(), v.dump().c_str());
  std::printf("tensor types:");
  for (const auto& [k, n] : type_counts) std::printf(" %s x%d", k.c_str(), n);
  std::printf("\n");
  if (opt.tensors)
    for (const auto& t : f.tensors)
      std::printf("  %-36s %-5s %-16s %10zu bytes\n", t.name.c_str(), dtype_name(t.dtype).c_str(),
                  shape_str(t.shape).c_str(), t.nbytes);
  return 0;
}

int info_hf(const std::string& path, const InfoOptions& opt) {
  nlohmann::json out;
  out["path"] = path;
  out["format"] = "huggingface";
  std::string config_path = path + "/config.json";
  if (std::filesystem::exists(config_path))
    out["config"] = nlohmann::json::parse(read_file(config_path));
  SafetensorsSet set = read_safetensors_set(path);
  int64_t params = 0;
  for (const auto& [name, t] : set.tensors) {
    params += t.numel();
    if (opt.tensors)
      out["tensors"].push_back(
          {{"name", name}, {"type", dtype_name(t.dtype)}, {"shape", t.shape}, {"bytes", t.nbytes}});
  }
  out["parameters"] = params;
  if (opt.json) {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("%s: Hugging Face folder, %zu tensors in %zu file(s), %.1fM parameters\n",
              path.c_str(), set.tensors.size(), set.files.size(), params / 1e6);
  if (out.contains("config")) std::printf("config.json: %s\n", out["config"].dump().c_str());
  if (opt.tensors)
    for (const auto& [name, t] : set.tensors)
      std::printf("  %-56s %-5s %s\n", name.c_str(), dtype_name(t.dtype).c_str(),
                  shape_str(t.shape).c_str());
  return 0;
}

}  // namespace

Runner add_info(CLI::App& app) {
  auto opt = std::make_shared<InfoOptions>();
  auto* cmd = app.add_subcommand("info", "Show a model's metadata and tensor table");
  cmd->add_option("-m,--model", opt->model, "Model name in the cache, .gguf file or HF folder")
      ->capture_default_str();
  cmd->add_flag("--json", opt->json, "Print JSON");
  cmd->add_flag("!--no-tensors", opt->tensors, "Omit the tensor table");
  return [opt] {
    std::string path = resolve_model_path(opt->model);
    return std::filesystem::is_directory(path) ? info_hf(path, *opt) : info_gguf(path, *opt);
  };
}

}  // namespace knowscope::cli
