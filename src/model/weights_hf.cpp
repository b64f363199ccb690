// Hugging Face safetensors names -> ModelWeights (views into the mapped files).
#include "knowscope/core/error.h"
#include "knowscope/io/safetensors.h"
#include "knowscope/model/weights.h"
#include "model/weights_util.h"

namespace knowscope {
namespace {

struct HfTensors {
  const SafetensorsSet& st;
  ModelWeights& w;
  std::string where;
  std::string prefix;  // "model." or a multimodal wrapper's language-model prefix

  const TensorView* find(const std::string& name) const {
    auto it = st.tensors.find(name);
    return it == st.tensors.end() ? nullptr : &it->second;
  }

  TensorView matrix(const std::string& name) const {
    const TensorView* t = find(name);
    if (!t) fail(where, "tensor '" + name + "'", "missing");
    TensorView v = *t;
    v.name = name;
    return detail::aligned_view(v, w.storage);
  }

  std::vector<float> vec(const std::string& name, int64_t n, bool required, float offset) const {
    const TensorView* t = find(name);
    if (!t) {
      if (required) fail(where, "tensor '" + name + "'", "missing");
      return {};
    }
    TensorView v = *t;
    v.name = name;
    return detail::small_vector_f32(v, n, offset, where);
  }
};

}  // namespace

ModelWeights weights_from_safetensors(const SafetensorsSet& st, const ModelConfig& c,
                                      const std::string& where) {
  ModelWeights w;
  for (const auto& f : st.files)
    w.storage.push_back(std::shared_ptr<const void>(f.file, f.file.get()));
  const bool gemma = c.arch == "gemma3" || c.arch == "gemma2";
  // HF Gemma stores w and computes x * (1 + w); fold the 1 in here so both formats agree.
  w.norm_offset = gemma ? 1.0f : 0.0f;
  const float off = w.norm_offset;

  HfTensors ht{st, w, where, ""};
  for (const char* p : {"model.", "model.language_model.", "language_model.model."})
    if (ht.find(std::string(p) + "embed_tokens.weight")) {
      ht.prefix = p;
      break;
    }
  if (ht.prefix.empty())
    fail(where, "tensor 'model.embed_tokens.weight'",
         "missing (also looked for model.language_model. and language_model.model. prefixes)");
  const std::string& p = ht.prefix;
  const int64_t d = c.d_model, hd = c.head_dim, qd = c.n_q_dim(), kvd = c.n_kv_dim();

  w.token_embd = ht.matrix(p + "embed_tokens.weight");
  if (c.tied_embeddings) {
    w.output = w.token_embd;
  } else {
    std::string head = "lm_head.weight";
    if (!ht.find(head) && p == "language_model.model.") head = "language_model.lm_head.weight";
    w.output = ht.matrix(head);
  }
  w.output_norm = ht.vec(p + "norm.weight", d, true, off);
  w.layers.resize(size_t(c.n_layers));
  for (int l = 0; l < c.n_layers; ++l) {
    LayerWeights& L = w.layers[size_t(l)];
    const std::string b = p + "layers." + std::to_string(l) + ".";
    L.attn_norm = ht.vec(b + "input_layernorm.weight", d, true, off);
    if (gemma) {
      L.post_attn_norm = ht.vec(b + "post_attention_layernorm.weight", d, true, off);
      L.ffn_norm = ht.vec(b + "pre_feedforward_layernorm.weight", d, true, off);
      L.post_ffn_norm = ht.vec(b + "post_feedforward_layernorm.weight", d, true, off);
    } else {
      L.ffn_norm = ht.vec(b + "post_attention_layernorm.weight", d, true, off);
    }
    if (c.qk_norm) {
      L.q_norm = ht.vec(b + "self_attn.q_norm.weight", hd, true, off);
      L.k_norm = ht.vec(b + "self_attn.k_norm.weight", hd, true, off);
    }
    L.q = ht.matrix(b + "self_attn.q_proj.weight");
    L.k = ht.matrix(b + "self_attn.k_proj.weight");
    L.v = ht.matrix(b + "self_attn.v_proj.weight");
    L.o = ht.matrix(b + "self_attn.o_proj.weight");
    L.gate = ht.matrix(b + "mlp.gate_proj.weight");
    L.up = ht.matrix(b + "mlp.up_proj.weight");
    L.down = ht.matrix(b + "mlp.down_proj.weight");
    L.q_bias = ht.vec(b + "self_attn.q_proj.bias", qd, c.qkv_bias, 0);
    L.k_bias = ht.vec(b + "self_attn.k_proj.bias", kvd, c.qkv_bias, 0);
    L.v_bias = ht.vec(b + "self_attn.v_proj.bias", kvd, c.qkv_bias, 0);
    L.o_bias = ht.vec(b + "self_attn.o_proj.bias", d, c.o_bias, 0);
  }
  validate_weights(w, c, where);
  return w;
}

}  // namespace knowscope
