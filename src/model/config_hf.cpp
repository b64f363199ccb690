// ModelConfig from a Hugging Face config.json, with transformers' class defaults for absent keys.
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/model/config.h"

namespace knowscope {
namespace {

using json = nlohmann::json;

// Reads one config.json object; `where` names the file in errors.
struct HfReader {
  const json& j;
  std::string where;

  bool has(const char* key) const { return j.contains(key) && !j.at(key).is_null(); }

  double num(const char* key, std::optional<double> dflt = std::nullopt) const {
    if (!has(key)) {
      if (dflt) return *dflt;
      fail(where, key, "missing");
    }
    const json& v = j.at(key);
    if (!v.is_number()) fail(where, key, "expected a number, got " + v.dump());
    return v.get<double>();
  }

  int integer(const char* key, std::optional<int> dflt = std::nullopt) const {
    double v = num(key, dflt ? std::optional<double>(*dflt) : std::nullopt);
    if (v != std::floor(v) || v < 0 || v > double(1 << 30))
      fail(where, key, "expected a non-negative integer, got " + j.at(key).dump());
    return int(v);
  }

  bool boolean(const char* key, bool dflt) const {
    if (!has(key)) return dflt;
    if (!j.at(key).is_boolean()) fail(where, key, "expected true or false");
    return j.at(key).get<bool>();
  }

  std::string str(const char* key, const std::string& dflt) const {
    if (!has(key)) return dflt;
    if (!j.at(key).is_string()) fail(where, key, "expected a string");
    return j.at(key).get<std::string>();
  }
};

double json_num(const json& o, const char* key, const std::string& where, const std::string& ctx) {
  if (!o.contains(key) || !o.at(key).is_number())
    fail(where, ctx + "." + key, "missing or not a number");
  return o.at(key).get<double>();
}

// One RoPE setting: base, type ("default", "linear", "llama3") and its parameters.
struct RopeParams {
  double theta = 10000.0;
  std::string type = "default";
  const json* params = nullptr;  // the dict, for scaling parameters
};

RopeParams rope_from_dict(const json& d, double default_theta, const std::string& where,
                          const std::string& ctx) {
  RopeParams r;
  r.theta = default_theta;
  if (!d.is_object()) fail(where, ctx, "expected an object");
  if (d.contains("rope_theta") && d.at("rope_theta").is_number())
    r.theta = d.at("rope_theta").get<double>();
  if (d.contains("rope_type") && d.at("rope_type").is_string())
    r.type = d.at("rope_type").get<std::string>();
  else if (d.contains("type") && d.at("type").is_string())
    r.type = d.at("type").get<std::string>();
  r.params = &d;
  return r;
}

// HF's llama3 frequency smoothing, expressed as the divisor of each inverse frequency (what GGUF
// stores in rope_freqs.weight).
std::vector<float> llama3_freq_factors(const json& d, double theta, int rope_dim, int max_pos,
                                       const std::string& where) {
  const double factor = json_num(d, "factor", where, "rope_scaling");
  const double low = json_num(d, "low_freq_factor", where, "rope_scaling");
  const double high = json_num(d, "high_freq_factor", where, "rope_scaling");
  double old_ctx = max_pos;
  if (d.contains("original_max_position_embeddings"))
    old_ctx = json_num(d, "original_max_position_embeddings", where, "rope_scaling");
  if (!(factor > 0) || !(high > low) || !(old_ctx > 0))
    fail(where, "rope_scaling", "invalid llama3 parameters");
  const double low_wavelen = old_ctx / low, high_wavelen = old_ctx / high;
  std::vector<float> out(size_t(rope_dim / 2));
  for (int i = 0; i < rope_dim / 2; ++i) {
    double inv_freq = 1.0 / std::pow(theta, double(2 * i) / rope_dim);
    double wavelen = 2 * M_PI / inv_freq;
    double scaled;
    if (wavelen < high_wavelen) {
      scaled = inv_freq;
    } else if (wavelen > low_wavelen) {
      scaled = inv_freq / factor;
    } else {
      double smooth = (old_ctx / wavelen - low) / (high - low);
      scaled = (1 - smooth) * inv_freq / factor + smooth * inv_freq;
    }
    out[size_t(i)] = float(inv_freq / scaled);
  }
  return out;
}

// Applies one RoPE setting to the global layers (linear, llama3) and returns its base.
void apply_global_rope(ModelConfig& c, const RopeParams& r, int max_pos, const std::string& where) {
  c.rope_base = float(r.theta);
  if (r.type == "default") return;
  if (r.type == "linear") {
    double factor = json_num(*r.params, "factor", where, "rope_scaling");
    if (!(factor > 0)) fail(where, "rope_scaling.factor", "must be positive");
    c.rope_freq_scale = float(1.0 / factor);
  } else if (r.type == "llama3") {
    c.rope_freq_factors = llama3_freq_factors(*r.params, r.theta, c.rope_dim, max_pos, where);
  } else {
    fail(where, "rope_scaling",
         "RoPE type '" + r.type + "' is not supported (supported: default, linear, llama3)");
  }
}

Activation parse_activation(const std::string& act, const std::string& where, const char* key) {
  if (act == "silu" || act == "swish") return Activation::Silu;
  if (act == "gelu_pytorch_tanh" || act == "gelu_new" || act == "gelu_tanh")
    return Activation::GeluTanh;
  fail(where, key,
       "activation '" + act + "' is not supported (supported: silu, gelu_pytorch_tanh)");
}

}  // namespace

ModelConfig config_from_hf(const std::string& path) {
  namespace fs = std::filesystem;
  std::string file = fs::is_directory(path) ? (fs::path(path) / "config.json").string() : path;
  json root;
  try {
    root = json::parse(read_file(file));
  } catch (const json::exception& e) {
    fail(file, "", std::string("invalid JSON: ") + e.what());
  }
  if (!root.is_object()) fail(file, "", "expected a JSON object");

  std::string model_type = root.value("model_type", std::string());
  const json* jp = &root;
  if (model_type == "gemma3") {
    // The multimodal wrapper: the language model's settings live in text_config.
    if (!root.contains("text_config") || !root.at("text_config").is_object())
      fail(file, "text_config", "missing (model_type gemma3)");
    jp = &root.at("text_config");
    model_type = "gemma3_text";
  }
  const json& j = *jp;
  HfReader r{j, file};

  ModelConfig c;
  if (model_type == "gemma3_text")
    c.arch = "gemma3";
  else if (model_type == "gemma2" || model_type == "llama" || model_type == "qwen2")
    c.arch = model_type;
  else
    fail(file, "model_type",
         "unsupported architecture '" + model_type +
             "' (supported: gemma3, gemma3_text, gemma2, llama, qwen2)");
  const bool gemma = c.arch == "gemma3" || c.arch == "gemma2";

  fs::path folder = fs::path(file).parent_path();
  c.name = folder.filename().string();
  if (c.name.empty()) c.name = c.arch;
  c.n_layers = r.integer("num_hidden_layers");
  c.d_model = r.integer("hidden_size");
  c.d_ff = r.integer("intermediate_size");
  c.n_heads = r.integer("num_attention_heads");
  c.n_kv_heads = r.integer("num_key_value_heads", c.n_heads);
  c.vocab_size = r.integer("vocab_size");
  if (c.n_heads <= 0) fail(file, "num_attention_heads", "must be positive");
  c.head_dim = r.integer("head_dim", gemma ? 256 : c.d_model / c.n_heads);
  c.context_length = r.integer("max_position_embeddings", 0);
  c.rms_eps = float(r.num("rms_norm_eps", 1e-6));
  c.rope_dim = int(c.head_dim * r.num("partial_rotary_factor", 1.0));
  c.tied_embeddings = r.boolean("tie_word_embeddings", gemma);
  c.layer_sliding.assign(size_t(c.n_layers), false);
  c.query_scale = 1.0f / std::sqrt(float(c.head_dim));

  if (gemma) {
    c.activation =
        parse_activation(r.has("hidden_activation") ? r.str("hidden_activation", "")
                                                    : r.str("hidden_act", "gelu_pytorch_tanh"),
                         file, "hidden_activation");
    c.post_norms = true;
    c.embed_scale = float(std::sqrt(double(c.d_model)));
    c.query_scale = float(std::pow(r.num("query_pre_attn_scalar", 256), -0.5));
    c.qk_norm = c.arch == "gemma3";
    double attn_cap = r.num("attn_logit_softcapping", c.arch == "gemma2" ? 50.0 : 0.0);
    double final_cap = r.num("final_logit_softcapping", c.arch == "gemma2" ? 30.0 : 0.0);
    // An explicit null means "off" in the config (the reader treats null as absent).
    if (j.contains("attn_logit_softcapping") && j.at("attn_logit_softcapping").is_null())
      attn_cap = 0;
    if (j.contains("final_logit_softcapping") && j.at("final_logit_softcapping").is_null())
      final_cap = 0;
    c.attn_softcap = float(attn_cap);
    c.final_softcap = float(final_cap);
    if (r.boolean("use_bidirectional_attention", false))
      fail(file, "use_bidirectional_attention", "bidirectional attention is not supported");
    if (r.boolean("attention_bias", false)) fail(file, "attention_bias", "not supported for Gemma");
  } else {
    c.activation = parse_activation(r.str("hidden_act", "silu"), file, "hidden_act");
    if (c.arch == "qwen2") {
      c.qkv_bias = true;
    } else {
      c.qkv_bias = c.o_bias = r.boolean("attention_bias", false);
      if (r.boolean("mlp_bias", false)) fail(file, "mlp_bias", "MLP biases are not supported");
    }
  }

  // Sliding windows: layer_types when given, else each architecture's rule.
  int window = r.integer("sliding_window", 0);
  if (c.arch == "qwen2" && !r.boolean("use_sliding_window", false)) window = 0;
  if (window > 0) {
    if (j.contains("layer_types") && j.at("layer_types").is_array()) {
      const json& lt = j.at("layer_types");
      if (lt.size() != size_t(c.n_layers))
        fail(file, "layer_types", "expected " + std::to_string(c.n_layers) + " entries");
      for (size_t l = 0; l < lt.size(); ++l) {
        std::string t = lt[l].is_string() ? lt[l].get<std::string>() : "";
        if (t != "sliding_attention" && t != "full_attention")
          fail(file, "layer_types[" + std::to_string(l) + "]",
               "expected sliding_attention or full_attention");
        c.layer_sliding[l] = t == "sliding_attention";
      }
    } else if (c.arch == "gemma3") {
      int pattern = r.integer("sliding_window_pattern", 6);
      for (int l = 0; l < c.n_layers; ++l)
        c.layer_sliding[size_t(l)] = pattern > 0 && (l + 1) % pattern != 0;
    } else if (c.arch == "gemma2") {
      for (int l = 0; l < c.n_layers; ++l) c.layer_sliding[size_t(l)] = l % 2 == 0;
    } else if (c.arch == "qwen2") {
      int first = r.integer("max_window_layers", 28);
      for (int l = 0; l < c.n_layers; ++l) c.layer_sliding[size_t(l)] = l >= first;
    }
    bool any = false;
    for (bool b : c.layer_sliding) any |= b;
    c.sliding_window = any ? window : 0;
  }

  // RoPE: transformers 5 writes rope_parameters (nested per layer type for Gemma 3); older files
  // write rope_theta, rope_scaling and (Gemma 3) rope_local_base_freq.
  const double default_theta = c.arch == "gemma3" ? 1e6 : 10000.0;
  const double default_local = 10000.0;
  const double theta = r.num("rope_theta", default_theta);
  if (j.contains("rope_parameters") && j.at("rope_parameters").is_object()) {
    const json& rp = j.at("rope_parameters");
    if (rp.contains("full_attention") || rp.contains("sliding_attention")) {
      if (rp.contains("full_attention"))
        apply_global_rope(
            c,
            rope_from_dict(rp.at("full_attention"), theta, file, "rope_parameters.full_attention"),
            c.context_length, file);
      else
        c.rope_base = float(theta);
      c.rope_base_local = float(r.num("rope_local_base_freq", default_local));
      if (rp.contains("sliding_attention")) {
        RopeParams local = rope_from_dict(rp.at("sliding_attention"), c.rope_base_local, file,
                                          "rope_parameters.sliding_attention");
        if (local.type != "default")
          fail(file, "rope_parameters.sliding_attention",
               "only default RoPE is supported on sliding layers");
        c.rope_base_local = float(local.theta);
      }
    } else {
      apply_global_rope(c, rope_from_dict(rp, theta, file, "rope_parameters"), c.context_length,
                        file);
      c.rope_base_local =
          c.arch == "gemma3" ? float(r.num("rope_local_base_freq", default_local)) : c.rope_base;
    }
  } else {
    RopeParams g;
    g.theta = theta;
    if (j.contains("rope_scaling") && j.at("rope_scaling").is_object())
      g = rope_from_dict(j.at("rope_scaling"), theta, file, "rope_scaling");
    g.theta = theta;
    apply_global_rope(c, g, c.context_length, file);
    c.rope_base_local =
        c.arch == "gemma3" ? float(r.num("rope_local_base_freq", default_local)) : c.rope_base;
  }
  if (!c.rope_freq_factors.empty() && c.sliding_window > 0)
    fail(file, "rope_scaling",
         "llama3 RoPE scaling together with sliding windows is not supported");

  validate_config(c, file);
  return c;
}

}  // namespace knowscope
