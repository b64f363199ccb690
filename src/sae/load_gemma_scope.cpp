// Gemma Scope 1 (params.npz) and Gemma Scope 2 (params.safetensors + config.json) readers.
// Facts from SAELens's gemma_2_sae_huggingface_loader / get_gemma_3_config_from_hf: JumpReLU,
// apply_b_dec_to_input false, no normalisation, float32; hooks from the folder name or config.json.
#include <filesystem>
#include <regex>

#include "knowscope/core/error.h"
#include "knowscope/io/npy.h"
#include "knowscope/io/safetensors.h"
#include "knowscope/sae/sae_io.h"
#include "sae_io_util.h"

namespace knowscope {
namespace fs = std::filesystem;
using namespace sae_detail;

namespace {

// The last "layer_N" in the path, or -1.
int layer_from_path(const std::string& path) {
  static const std::regex re(R"(layer_(\d+))");
  int layer = -1;
  for (auto it = std::sregex_iterator(path.begin(), path.end(), re); it != std::sregex_iterator();
       ++it)
    layer = std::stoi((*it)[1]);
  return layer;
}

Tensor npz_member(const std::map<std::string, NpyArray>& m, const std::string& name,
                  const Shape& shape, const std::string& where) {
  auto it = m.find(name);
  if (it == m.end()) {
    std::string lower = name;
    lower[0] = char(std::tolower(lower[0]));
    it = m.find(lower);  // some conversions write w_enc / w_dec
  }
  if (it == m.end()) {
    std::string have;
    for (const auto& kv : m) have += (have.empty() ? "" : ", ") + kv.first;
    fail(where, "array '" + name + "'", "missing (archive has: " + have + ")");
  }
  const NpyArray& a = it->second;
  if (a.shape != shape)
    fail(where, "array '" + name + "'",
         "shape " + shape_str(a.shape) + ", expected " + shape_str(shape));
  Tensor t;
  t.shape = shape;
  t.data = npy_to_f32(a, where + ": array '" + name + "'");
  return t;
}

}  // namespace

Sae load_gemma_scope_npz(const std::string& path, const SaeLoadOptions& opt) {
  auto arrays = read_npz(path);
  auto enc = arrays.find("W_enc");
  if (enc == arrays.end()) enc = arrays.find("w_enc");
  if (enc == arrays.end()) fail(path, "array 'W_enc'", "missing");
  if (enc->second.shape.size() != 2)
    fail(path, "array 'W_enc'",
         "shape " + shape_str(enc->second.shape) + ", expected [d_in, d_sae]");
  const int64_t d_in = enc->second.shape[0], d_sae = enc->second.shape[1];

  Sae s;
  s.arch = SaeArch::JumpRelu;
  s.d_in = d_in;
  s.d_sae = d_sae;
  s.W_enc = npz_member(arrays, "W_enc", {d_in, d_sae}, path);
  s.W_dec = npz_member(arrays, "W_dec", {d_sae, d_in}, path);
  s.b_enc = npz_member(arrays, "b_enc", {d_sae}, path);
  s.b_dec = npz_member(arrays, "b_dec", {d_in}, path);
  s.threshold = npz_member(arrays, "threshold", {d_sae}, path);
  for (const auto& kv : arrays) {
    static const char* known[] = {"W_enc", "w_enc", "W_dec",    "w_dec",
                                  "b_enc", "b_dec", "threshold"};
    if (std::find(std::begin(known), std::end(known), kv.first) == std::end(known))
      s.warnings.push_back("ignored array '" + kv.first + "' in " + path);
  }
  s.source_dtype = enc->second.type == NpyType::F16   ? "float16"
                   : enc->second.type == NpyType::F64 ? "float64"
                                                      : "float32";
  s.apply_b_dec_to_input = false;
  s.input_norm = SaeInputNorm::None;
  s.source_format = "gemma_scope_npz";
  s.source_path = path;

  // Hook and model from the path, as SAELens derives them from the repo and folder names.
  const std::string p = fs::absolute(path).string();
  std::smatch m;
  static const std::regex repo(R"(gemma-scope-(2b|9b|27b)(?:-(pt|it))?-(res|mlp|att)\b)");
  std::string site = "res";
  if (std::regex_search(p, m, repo)) {
    s.model_name = "gemma-2-" + m[1].str() + (m[2].str() == "it" ? "-it" : "");
    site = m[3];
  }
  int layer = layer_from_path(p);
  if (p.find("embedding") != std::string::npos && layer < 0) {
    s.hook_name = "hook_embed";
  } else if (layer >= 0) {
    std::string l = std::to_string(layer);
    s.hook_name = site == "mlp"   ? "blocks." + l + ".hook_mlp_out"
                  : site == "att" ? "blocks." + l + ".attn.hook_z"
                                  : "blocks." + l + ".hook_resid_post";
  }
  finish_loaded_sae(s, path, opt.decoder_norm_tolerance, opt.hook_name, opt.model_name);
  return s;
}

Sae load_gemma_scope2(const std::string& folder_in, const SaeLoadOptions& opt) {
  fs::path folder = folder_in;
  if (fs::is_regular_file(folder)) folder = folder.parent_path();
  const std::string params = (folder / "params.safetensors").string();
  const fs::path config_path = folder / "config.json";

  Sae s;
  s.arch = SaeArch::JumpRelu;
  s.apply_b_dec_to_input = false;
  s.input_norm = SaeInputNorm::None;
  s.source_format = "gemma_scope_2";
  s.source_path = folder.string();
  std::string folder_name = fs::absolute(folder).string();

  std::string hf_in, hf_out;
  if (fs::exists(config_path)) {
    const std::string where = config_path.string();
    nlohmann::json cfg = read_json_file(where);
    if (!cfg.is_object()) fail(where, "", "expected a JSON object");
    std::string arch = cfg.value("architecture", "");
    if (arch != "jump_relu") fail(where, "architecture", "'" + arch + "', expected 'jump_relu'");
    if (cfg.contains("type") && cfg["type"].is_string() && cfg["type"] != "sae")
      fail(where, "type",
           "'" + cfg["type"].get<std::string>() +
               "': only SAEs are supported (not transcoders or crosscoders)");
    if (cfg.value("affine_connection", false))
      fail(where, "affine_connection",
           "true: transcoders with a skip connection are not supported");
    if (cfg.contains("hf_hook_point_in") && cfg["hf_hook_point_in"].is_string())
      hf_in = cfg["hf_hook_point_in"];
    if (cfg.contains("hf_hook_point_out") && cfg["hf_hook_point_out"].is_string())
      hf_out = cfg["hf_hook_point_out"];
    if (!hf_out.empty() && !hf_in.empty() && hf_out != hf_in)
      fail(where, "hf_hook_point_out",
           "'" + hf_out + "' differs from hf_hook_point_in '" + hf_in +
               "': a transcoder, which is not supported");
    if (cfg.contains("model_name") && cfg["model_name"].is_string()) {
      // SAELens's normalisation of the model name.
      std::string mn = cfg["model_name"];
      if (mn.find("google") == std::string::npos) mn = "google/" + mn;
      if (auto pos = mn.find("-v3"); pos != std::string::npos) mn.replace(pos, 3, "-3");
      if (mn.find("270m") != std::string::npos)
        if (auto pos = mn.find("-pt"); pos != std::string::npos) mn.erase(pos, 3);
      s.model_name = mn;
    }
  }
  if (folder_name.find("transcoder") != std::string::npos ||
      folder_name.find("/clt") != std::string::npos)
    fail(folder.string(), "folder", "transcoders and CLTs are not supported");

  if (!hf_in.empty()) {
    s.hf_hook_name = hf_in;
    s.hook_name = hf_hook_to_tl(hf_in);
    if (s.hook_name.empty())
      s.warnings.push_back("no TransformerLens name known for hook '" + hf_in + "'");
  } else {
    int layer = layer_from_path(folder_name);
    if (layer >= 0) {
      std::string l = std::to_string(layer);
      if (folder_name.find("resid_post") != std::string::npos)
        s.hook_name = "blocks." + l + ".hook_resid_post";
      else if (folder_name.find("attn_out") != std::string::npos)
        s.hook_name = "blocks." + l + ".attn.hook_z";
      else if (folder_name.find("mlp_out") != std::string::npos)
        s.hook_name = "blocks." + l + ".hook_mlp_out";
    }
  }

  SafetensorsFile st = read_safetensors(params);
  auto key = [&](const std::string& lower) -> const TensorView& {
    if (st.tensors.count(lower)) return st.tensors.at(lower);
    std::string upper = lower;
    upper[0] = char(std::toupper(upper[0]));
    if (st.tensors.count(upper)) return st.tensors.at(upper);
    return find_tensor(st.tensors, lower, params);
  };
  if (st.tensors.count("affine_skip_connection"))
    fail(params, "tensor 'affine_skip_connection'", "a transcoder, which is not supported");
  const TensorView& w_enc = key("w_enc");
  if (w_enc.shape.size() != 2)
    fail(params, "tensor 'w_enc'", "shape " + shape_str(w_enc.shape) + ", expected [d_in, d_sae]");
  s.d_in = w_enc.shape[0];
  s.d_sae = w_enc.shape[1];
  s.W_enc = to_f32(w_enc, {s.d_in, s.d_sae}, params, "tensor 'w_enc'");
  s.W_dec = to_f32(key("w_dec"), {s.d_sae, s.d_in}, params, "tensor 'w_dec'");
  s.b_enc = to_f32(key("b_enc"), {s.d_sae}, params, "tensor 'b_enc'");
  s.b_dec = to_f32(key("b_dec"), {s.d_in}, params, "tensor 'b_dec'");
  s.threshold = to_f32(key("threshold"), {s.d_sae}, params, "tensor 'threshold'");
  s.source_dtype = dtype_label(w_enc.dtype);
  for (const auto& kv : st.tensors) {
    static const char* known[] = {"w_enc", "W_enc", "w_dec",    "W_dec",
                                  "b_enc", "b_dec", "threshold"};
    if (std::find(std::begin(known), std::end(known), kv.first) == std::end(known))
      s.warnings.push_back("ignored tensor '" + kv.first + "' in " + params);
  }
  finish_loaded_sae(s, params, opt.decoder_norm_tolerance, opt.hook_name, opt.model_name);
  return s;
}

}  // namespace knowscope
