// SAELens cfg.json + sae_weights.safetensors. Both cfg layouts: SAELens 6 (architecture at the top,
// hook and model under "metadata") and earlier ones (flat; hook_point or hook_name;
// activation_fn_str; normalize_activations as a bool), converted as SAELens's handle_pre_6_0_config
// does.
#include <cmath>
#include <filesystem>

#include "knowscope/core/error.h"
#include "knowscope/io/safetensors.h"
#include "knowscope/sae/sae_io.h"
#include "sae_io_util.h"

namespace knowscope {
namespace fs = std::filesystem;
using namespace sae_detail;
using nlohmann::json;

namespace {

// Major version of a "6.3.0" / "6.0.0-rc.0" string; 0 when absent or unparsable.
int major_version(const json& v) {
  if (!v.is_string()) return 0;
  std::string s = v;
  try {
    return std::stoi(s);
  } catch (...) {
    return 0;
  }
}

std::string str_or(const json& cfg, const char* key, const std::string& dflt) {
  auto it = cfg.find(key);
  return it != cfg.end() && it->is_string() ? it->get<std::string>() : dflt;
}

}  // namespace

Sae load_saelens(const std::string& folder_in, const SaeLoadOptions& opt) {
  fs::path folder = folder_in;
  if (fs::is_regular_file(folder)) folder = folder.parent_path();
  const std::string cfg_path = (folder / "cfg.json").string();
  const std::string weights_path = (folder / "sae_weights.safetensors").string();
  json cfg = read_json_file(cfg_path);
  if (!cfg.is_object()) fail(cfg_path, "", "expected a JSON object");

  json meta =
      cfg.contains("metadata") && cfg["metadata"].is_object() ? cfg["metadata"] : json::object();
  int version = major_version(cfg.value("sae_lens_version", json()));
  if (version == 0) version = major_version(meta.value("sae_lens_version", json()));
  const bool v6 = version >= 6;

  Sae s;
  s.source_format = "saelens";
  s.source_path = folder.string();

  // Architecture.
  std::string arch;
  if (v6) {
    arch = str_or(cfg, "architecture", "");
    if (arch.empty()) fail(cfg_path, "architecture", "missing");
  } else {
    arch = str_or(cfg, "architecture", "standard");
    std::string act = str_or(cfg, "activation_fn", str_or(cfg, "activation_fn_str", "relu"));
    if (act == "topk") {
      auto kw = cfg.find("activation_fn_kwargs");
      if (kw != cfg.end() && kw->is_object() && kw->contains("k")) {
        arch = "topk";
        cfg["k"] = (*kw)["k"];
      }
    } else if (act != "relu" && arch == "standard") {
      fail(cfg_path, "activation_fn", "'" + act + "' not supported (expected relu or topk)");
    }
  }
  if (arch == "standard") {
    s.arch = SaeArch::Relu;
  } else if (arch == "jumprelu") {
    s.arch = SaeArch::JumpRelu;
  } else if (arch == "topk") {
    s.arch = SaeArch::TopK;
    auto k = cfg.find("k");
    if (k == cfg.end()) {
      s.k = 100;  // SAELens's TopKSAEConfig default
    } else if (!k->is_number_integer() || k->get<int64_t>() <= 0) {
      fail(cfg_path, "k", "expected a positive integer");
    } else {
      s.k = k->get<int64_t>();
    }
    s.rescale_acts_by_decoder_norm = cfg.value("rescale_acts_by_decoder_norm", false);
  } else {
    fail(cfg_path, "architecture",
         "'" + arch + "' not supported (expected standard, jumprelu or topk)");
  }

  auto dim = [&](const char* key) -> int64_t {
    auto it = cfg.find(key);
    if (it == cfg.end() || !it->is_number_integer() || it->get<int64_t>() <= 0)
      fail(cfg_path, key, "missing or not a positive integer");
    return it->get<int64_t>();
  };
  s.d_in = dim("d_in");
  s.d_sae = dim("d_sae");
  s.apply_b_dec_to_input = cfg.value("apply_b_dec_to_input", true);

  const json& norm = cfg.contains("normalize_activations") ? cfg["normalize_activations"] : json();
  std::string norm_name = "none";
  if (norm.is_boolean())
    norm_name = norm.get<bool>() ? "expected_average_only_in" : "none";
  else if (norm.is_string())
    norm_name = norm.get<std::string>();
  else if (!norm.is_null())
    fail(cfg_path, "normalize_activations", "expected a string, bool or null");
  if (norm_name == "none")
    s.input_norm = SaeInputNorm::None;
  else if (norm_name == "expected_average_only_in")
    s.input_norm = SaeInputNorm::ExpectedAverageOnlyIn;
  else if (norm_name == "constant_norm_rescale")
    s.input_norm = SaeInputNorm::ConstantNormRescale;
  else if (norm_name == "layer_norm")
    s.input_norm = SaeInputNorm::LayerNorm;
  else
    fail(cfg_path, "normalize_activations", "'" + norm_name + "' not supported");
  if (s.input_norm == SaeInputNorm::ExpectedAverageOnlyIn)
    s.warnings.push_back(
        "normalize_activations is expected_average_only_in: the training-time scale was not folded "
        "into the weights; encode uses raw inputs, as SAELens's encode does");

  // Hook and model: metadata in v6, top level before (hook_point in the oldest files).
  auto pick = [&](const char* key) {
    std::string v = str_or(meta, key, "");
    if (v.empty()) v = str_or(cfg, key, "");
    return v;
  };
  s.hook_name = pick("hook_name");
  if (s.hook_name.empty()) s.hook_name = str_or(cfg, "hook_point", "");
  s.model_name = pick("model_name");
  const json& head = meta.contains("hook_head_index")  ? meta["hook_head_index"]
                     : cfg.contains("hook_head_index") ? cfg["hook_head_index"]
                                                       : cfg.value("hook_point_head_index", json());
  if (!head.is_null())
    s.warnings.push_back("hook_head_index is set: the SAE reads one attention head of " +
                         s.hook_name);
  if (str_or(cfg, "reshape_activations", "none") == "hook_z")
    s.warnings.push_back("reshape_activations is hook_z: inputs are the heads of hook_z flattened");

  // Weights.
  SafetensorsFile st = read_safetensors(weights_path);
  const TensorView& w_enc = find_tensor(st.tensors, "W_enc", weights_path);
  s.source_dtype = dtype_label(w_enc.dtype);
  s.W_enc = to_f32(w_enc, {s.d_in, s.d_sae}, weights_path, "tensor 'W_enc'");
  s.W_dec = to_f32(find_tensor(st.tensors, "W_dec", weights_path), {s.d_sae, s.d_in}, weights_path,
                   "tensor 'W_dec'");
  s.b_enc = to_f32(find_tensor(st.tensors, "b_enc", weights_path), {s.d_sae}, weights_path,
                   "tensor 'b_enc'");
  s.b_dec = to_f32(find_tensor(st.tensors, "b_dec", weights_path), {s.d_in}, weights_path,
                   "tensor 'b_dec'");
  std::vector<std::string> used = {"W_enc", "W_dec", "b_enc", "b_dec"};
  if (s.arch == SaeArch::JumpRelu) {
    if (st.tensors.count("threshold")) {
      s.threshold =
          to_f32(st.tensors.at("threshold"), {s.d_sae}, weights_path, "tensor 'threshold'");
      used.push_back("threshold");
    } else if (st.tensors.count("log_threshold")) {  // older JumpReLU training checkpoints
      s.threshold =
          to_f32(st.tensors.at("log_threshold"), {s.d_sae}, weights_path, "tensor 'log_threshold'");
      for (float& v : s.threshold.data) v = std::exp(v);
      used.push_back("log_threshold");
    } else {
      find_tensor(st.tensors, "threshold", weights_path);  // throws, listing what is there
    }
  }
  if (st.tensors.count("scaling_factor")) {
    used.push_back("scaling_factor");
    Tensor f =
        to_f32(st.tensors.at("scaling_factor"), {s.d_sae}, weights_path, "tensor 'scaling_factor'");
    bool ones = std::all_of(f.data.begin(), f.data.end(), [](float v) { return v == 1.0f; });
    if (!ones) {
      if (!cfg.value("finetuning_scaling_factor", false))
        fail(weights_path, "tensor 'scaling_factor'",
             "present but cfg.json's finetuning_scaling_factor is false");
      // acts * scale . W_dec == acts . (scale-scaled rows of W_dec)
      for (int64_t j = 0; j < s.d_sae; ++j)
        for (int64_t i = 0; i < s.d_in; ++i)
          s.W_dec.data[size_t(j * s.d_in + i)] *= f.data[size_t(j)];
    }
  }
  for (const auto& kv : st.tensors)
    if (std::find(used.begin(), used.end(), kv.first) == used.end())
      s.warnings.push_back("ignored tensor '" + kv.first + "' in " + weights_path);
  finish_loaded_sae(s, cfg_path, opt.decoder_norm_tolerance, opt.hook_name, opt.model_name);
  return s;
}

}  // namespace knowscope
