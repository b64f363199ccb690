// SAELens 6 layout: cfg.json (architecture, d_in, d_sae, dtype, apply_b_dec_to_input,
// normalize_activations, metadata with hook and model) + sae_weights.safetensors (W_enc, W_dec,
// b_enc, b_dec, threshold), the files SAE.save_model writes and SAE.load_from_disk reads.
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/io/safetensors.h"
#include "knowscope/sae/sae_io.h"

namespace knowscope {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

SafetensorsWriteTensor f32_tensor(const std::string& name, const Tensor& t) {
  SafetensorsWriteTensor w;
  w.name = name;
  w.dtype = DType::F32;
  w.shape = t.shape;
  w.data.resize(t.data.size() * sizeof(float));
  if (!t.data.empty()) std::memcpy(w.data.data(), t.data.data(), w.data.size());
  return w;
}

}  // namespace

void save_saelens(const Sae& sae, const std::string& folder,
                  const std::string& extra_metadata_json) {
  validate_sae(sae, folder);
  fs::create_directories(folder);

  json meta = json::object();
  // Version 6 layout; a version below 6 would make SAELens reinterpret the file as pre-6.
  meta["sae_lens_version"] = "6.0.0";
  meta["sae_lens_training_version"] = nullptr;
  meta["model_name"] = sae.model_name;
  meta["hook_name"] = sae.hook_name;
  meta["hook_head_index"] = nullptr;
  meta["prepend_bos"] = true;
  if (!sae.hf_hook_name.empty()) meta["hf_hook_name"] = sae.hf_hook_name;
  meta["knowscope_source_format"] = sae.source_format;
  if (!extra_metadata_json.empty()) {
    json extra;
    try {
      extra = json::parse(extra_metadata_json);
    } catch (const json::exception& e) {
      fail(folder, "extra metadata", std::string("invalid JSON: ") + e.what());
    }
    if (!extra.is_object()) fail(folder, "extra metadata", "expected a JSON object");
    for (auto& [k, v] : extra.items()) meta[k] = v;
  }

  json cfg = json::object();
  cfg["d_in"] = sae.d_in;
  cfg["d_sae"] = sae.d_sae;
  cfg["dtype"] = "float32";
  cfg["device"] = "cpu";
  cfg["apply_b_dec_to_input"] = sae.apply_b_dec_to_input;
  cfg["normalize_activations"] = sae_input_norm_name(sae.input_norm);
  cfg["reshape_activations"] = "none";
  cfg["metadata"] = meta;
  if (sae.arch == SaeArch::TopK) {
    cfg["k"] = sae.k;
    cfg["rescale_acts_by_decoder_norm"] = sae.rescale_acts_by_decoder_norm;
  }
  cfg["architecture"] = sae.arch == SaeArch::Relu ? "standard" : sae_arch_name(sae.arch);

  std::vector<SafetensorsWriteTensor> tensors = {
      f32_tensor("W_dec", sae.W_dec), f32_tensor("W_enc", sae.W_enc),
      f32_tensor("b_dec", sae.b_dec), f32_tensor("b_enc", sae.b_enc)};
  if (sae.arch == SaeArch::JumpRelu) tensors.push_back(f32_tensor("threshold", sae.threshold));
  // Weights first, then the config: a folder with a cfg.json always has its weights.
  write_safetensors((fs::path(folder) / "sae_weights.safetensors").string(), tensors);
  write_file_atomic((fs::path(folder) / "cfg.json").string(), cfg.dump(2) + "\n");
}

}  // namespace knowscope
