// Shape and dtype checks of a model's weights against its config.
#include "knowscope/core/error.h"
#include "knowscope/model/weights.h"

namespace knowscope {
namespace {

std::string tensor_field(const TensorView& t, const std::string& role) {
  return "tensor '" + (t.name.empty() ? role : t.name) + "'";
}

void check_matrix(const TensorView& t, int64_t rows, int64_t cols, const std::string& role,
                  const std::string& where) {
  if (t.empty()) fail(where, tensor_field(t, role), "missing");
  const std::string field = tensor_field(t, role);
  if (t.shape.size() != 2 || t.shape[0] != rows || t.shape[1] != cols)
    fail(where, field, "expected shape " + shape_str({rows, cols}) + ", got " + shape_str(t.shape));
  const DTypeInfo& info = dtype_info(t.dtype);
  const bool usable =
      info.quantized || t.dtype == DType::F32 || t.dtype == DType::F16 || t.dtype == DType::BF16;
  if (!usable || t.dtype == DType::Q8_1 || t.dtype == DType::Q8_K)
    fail(where, field, "dtype " + dtype_name(t.dtype) + " is not supported for weights");
  if (cols % info.block_size != 0)
    fail(where, field,
         "row length " + std::to_string(cols) + " is not a multiple of the " + dtype_name(t.dtype) +
             " block size " + std::to_string(info.block_size));
  size_t need = size_t(rows) * dtype_row_bytes(t.dtype, cols);
  if (t.nbytes != need)
    fail(where, field,
         "holds " + std::to_string(t.nbytes) + " bytes, expected " + std::to_string(need));
}

void check_vector(const std::vector<float>& v, int64_t n, const std::string& role,
                  const std::string& where, bool required) {
  if (v.empty() && !required) return;
  if (v.size() != size_t(n))
    fail(where, role,
         v.empty() ? "missing"
                   : "expected " + std::to_string(n) + " values, got " + std::to_string(v.size()));
}

}  // namespace

void validate_weights(const ModelWeights& w, const ModelConfig& c, const std::string& where) {
  const int64_t d = c.d_model, qd = c.n_q_dim(), kvd = c.n_kv_dim(), ff = c.d_ff;
  check_matrix(w.token_embd, c.vocab_size, d, "token_embd", where);
  check_matrix(w.output, c.vocab_size, d, "output", where);
  check_vector(w.output_norm, d, "output_norm", where, true);
  if (w.layers.size() != size_t(c.n_layers))
    fail(where, "layers",
         "expected " + std::to_string(c.n_layers) + " blocks, got " +
             std::to_string(w.layers.size()));
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const LayerWeights& L = w.layers[i];
    const std::string b = "block " + std::to_string(i) + " ";
    check_vector(L.attn_norm, d, b + "attn_norm", where, true);
    check_vector(L.ffn_norm, d, b + "ffn_norm", where, true);
    check_vector(L.post_attn_norm, d, b + "post_attn_norm", where, c.post_norms);
    check_vector(L.post_ffn_norm, d, b + "post_ffn_norm", where, c.post_norms);
    if (!c.post_norms && (!L.post_attn_norm.empty() || !L.post_ffn_norm.empty()))
      fail(where, b + "post norms", "present but the architecture has none");
    check_vector(L.q_norm, c.head_dim, b + "q_norm", where, c.qk_norm);
    check_vector(L.k_norm, c.head_dim, b + "k_norm", where, c.qk_norm);
    check_matrix(L.q, qd, d, b + "q", where);
    check_matrix(L.k, kvd, d, b + "k", where);
    check_matrix(L.v, kvd, d, b + "v", where);
    check_matrix(L.o, d, qd, b + "o", where);
    check_matrix(L.gate, ff, d, b + "gate", where);
    check_matrix(L.up, ff, d, b + "up", where);
    check_matrix(L.down, d, ff, b + "down", where);
    check_vector(L.q_bias, qd, b + "q bias", where, c.qkv_bias);
    check_vector(L.k_bias, kvd, b + "k bias", where, c.qkv_bias);
    check_vector(L.v_bias, kvd, b + "v bias", where, c.qkv_bias);
    check_vector(L.o_bias, d, b + "o bias", where, c.o_bias);
  }
}

}  // namespace knowscope
