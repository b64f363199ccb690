// GGUF tensor names -> ModelWeights (views into the mapped file).
#include "knowscope/core/error.h"
#include "knowscope/io/gguf.h"
#include "knowscope/model/weights.h"
#include "model/weights_util.h"

namespace knowscope {
namespace {

struct GgufTensors {
  const GgufFile& g;
  ModelWeights& w;

  const GgufTensorInfo* find(const std::string& name) const { return g.find_tensor(name); }

  TensorView matrix(const std::string& name) const {
    const GgufTensorInfo* t = find(name);
    if (!t) fail(g.path, "tensor '" + name + "'", "missing");
    return detail::aligned_view(g.view(*t), w.storage);
  }

  // Norm scales and biases; empty when absent and not required.
  std::vector<float> vec(const std::string& name, int64_t n, bool required,
                         float offset = 0) const {
    const GgufTensorInfo* t = find(name);
    if (!t) {
      if (required) fail(g.path, "tensor '" + name + "'", "missing");
      return {};
    }
    return detail::small_vector_f32(g.view(*t), n, offset, g.path);
  }
};

}  // namespace

ModelWeights weights_from_gguf(const GgufFile& g, const ModelConfig& c) {
  ModelWeights w;
  w.storage.push_back(std::shared_ptr<const void>(g.file, g.file.get()));
  w.norm_offset = 0.0f;  // the converter already stored Gemma's norms as w + 1
  GgufTensors gt{g, w};
  const int64_t d = c.d_model, hd = c.head_dim, qd = c.n_q_dim(), kvd = c.n_kv_dim();

  w.token_embd = gt.matrix("token_embd.weight");
  w.output = gt.find("output.weight") ? gt.matrix("output.weight") : w.token_embd;
  w.output_norm = gt.vec("output_norm.weight", d, true);
  w.layers.resize(size_t(c.n_layers));
  for (int l = 0; l < c.n_layers; ++l) {
    LayerWeights& L = w.layers[size_t(l)];
    const std::string b = "blk." + std::to_string(l) + ".";
    L.attn_norm = gt.vec(b + "attn_norm.weight", d, true);
    L.ffn_norm = gt.vec(b + "ffn_norm.weight", d, true);
    if (c.post_norms) {
      L.post_attn_norm = gt.vec(b + "post_attention_norm.weight", d, true);
      L.post_ffn_norm = gt.vec(b + "post_ffw_norm.weight", d, true);
    }
    if (c.qk_norm) {
      L.q_norm = gt.vec(b + "attn_q_norm.weight", hd, true);
      L.k_norm = gt.vec(b + "attn_k_norm.weight", hd, true);
    }
    L.q = gt.matrix(b + "attn_q.weight");
    L.k = gt.matrix(b + "attn_k.weight");
    L.v = gt.matrix(b + "attn_v.weight");
    L.o = gt.matrix(b + "attn_output.weight");
    L.gate = gt.matrix(b + "ffn_gate.weight");
    L.up = gt.matrix(b + "ffn_up.weight");
    L.down = gt.matrix(b + "ffn_down.weight");
    L.q_bias = gt.vec(b + "attn_q.bias", qd, c.qkv_bias);
    L.k_bias = gt.vec(b + "attn_k.bias", kvd, c.qkv_bias);
    L.v_bias = gt.vec(b + "attn_v.bias", kvd, c.qkv_bias);
    L.o_bias = gt.vec(b + "attn_output.bias", d, c.o_bias);
  }
  validate_weights(w, c, g.path);
  return w;
}

}  // namespace knowscope
