// The Sae struct: construction, validation, decoder norms, weight folds and hook-name helpers.
#include "knowscope/sae/sae.h"

#include <cmath>
#include <cstdio>
#include <regex>

#include "knowscope/core/error.h"

namespace knowscope {

const char* sae_arch_name(SaeArch a) {
  switch (a) {
    case SaeArch::Relu:
      return "relu";
    case SaeArch::JumpRelu:
      return "jumprelu";
    case SaeArch::TopK:
      return "topk";
  }
  return "?";
}

const char* sae_input_norm_name(SaeInputNorm n) {
  switch (n) {
    case SaeInputNorm::None:
      return "none";
    case SaeInputNorm::ExpectedAverageOnlyIn:
      return "expected_average_only_in";
    case SaeInputNorm::ConstantNormRescale:
      return "constant_norm_rescale";
    case SaeInputNorm::LayerNorm:
      return "layer_norm";
  }
  return "?";
}

Sae make_sae(SaeArch arch, int64_t d_in, int64_t d_sae, int64_t k) {
  Sae s;
  s.arch = arch;
  s.d_in = d_in;
  s.d_sae = d_sae;
  s.k = k;
  s.W_enc = Tensor({d_in, d_sae});
  s.b_enc = Tensor({d_sae});
  s.W_dec = Tensor({d_sae, d_in});
  s.b_dec = Tensor({d_in});
  if (arch == SaeArch::JumpRelu) s.threshold = Tensor({d_sae});
  return s;
}

void validate_sae(const Sae& s, const std::string& where) {
  check(s.d_in > 0 && s.d_sae > 0, where, "d_in/d_sae",
        "must be positive (got " + std::to_string(s.d_in) + ", " + std::to_string(s.d_sae) + ")");
  check(s.d_sae <= INT32_MAX, where, "d_sae", "too large for 32-bit latent indices");
  auto want = [&](const Tensor& t, const Shape& shape, const char* name) {
    if (t.shape != shape || t.numel() != shape_numel(shape))
      fail(where, name, "shape " + shape_str(t.shape) + ", expected " + shape_str(shape));
    for (float v : t.data)
      if (!std::isfinite(v)) fail(where, name, "holds a non-finite value");
  };
  want(s.W_enc, {s.d_in, s.d_sae}, "W_enc");
  want(s.b_enc, {s.d_sae}, "b_enc");
  want(s.W_dec, {s.d_sae, s.d_in}, "W_dec");
  want(s.b_dec, {s.d_in}, "b_dec");
  if (s.arch == SaeArch::JumpRelu) {
    want(s.threshold, {s.d_sae}, "threshold");
  } else if (!s.threshold.data.empty()) {
    fail(where, "threshold", std::string("present for a ") + sae_arch_name(s.arch) + " SAE");
  }
  if (s.arch == SaeArch::TopK)
    check(s.k > 0 && s.k <= s.d_sae, where, "k",
          std::to_string(s.k) + " outside [1, d_sae = " + std::to_string(s.d_sae) + "]");
}

std::vector<float> decoder_row_norms(const Sae& s) {
  std::vector<float> out(static_cast<size_t>(s.d_sae));
  for (int64_t j = 0; j < s.d_sae; ++j) {
    const float* r = s.W_dec.ptr() + j * s.d_in;
    double acc = 0;
    for (int64_t i = 0; i < s.d_in; ++i) acc += double(r[i]) * r[i];
    out[size_t(j)] = float(std::sqrt(acc));
  }
  return out;
}

DecoderNormStats decoder_norm_stats(const Sae& s, double tolerance) {
  DecoderNormStats st;
  std::vector<float> n = decoder_row_norms(s);
  if (n.empty()) return st;
  st.min = st.max = n[0];
  double sum = 0;
  for (float v : n) {
    st.min = std::min<double>(st.min, v);
    st.max = std::max<double>(st.max, v);
    sum += v;
    if (std::fabs(v - 1.0) > tolerance) ++st.far_from_one;
  }
  st.mean = sum / double(n.size());
  return st;
}

DecoderNormStats check_decoder_norms(Sae& s, double tolerance) {
  DecoderNormStats st = decoder_norm_stats(s, tolerance);
  if (st.far_from_one > 0) {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "%lld of %lld decoder rows differ from unit norm by more than %g (min %.6g, mean "
                  "%.6g, max %.6g); steering strengths are then not residual-space lengths",
                  (long long)st.far_from_one, (long long)s.d_sae, tolerance, st.min, st.mean,
                  st.max);
    s.warnings.push_back(buf);
  }
  return st;
}

void fold_decoder_norms(Sae& s) {
  if (s.arch == SaeArch::TopK && !s.rescale_acts_by_decoder_norm)
    fail(s.source_path, "W_dec",
         "folding decoder norms would change which latents a TopK SAE selects");
  std::vector<float> n = decoder_row_norms(s);
  for (int64_t j = 0; j < s.d_sae; ++j) {
    float nj = std::max(n[size_t(j)], 1e-8f);
    float* r = s.W_dec.ptr() + j * s.d_in;
    for (int64_t i = 0; i < s.d_in; ++i) r[i] /= nj;
    for (int64_t i = 0; i < s.d_in; ++i) s.W_enc.data[size_t(i * s.d_sae + j)] *= nj;
    s.b_enc.data[size_t(j)] *= nj;
    if (!s.threshold.data.empty()) s.threshold.data[size_t(j)] *= nj;
  }
}

void fold_input_scale(Sae& s, float scale) {
  // With x' = scale * x: pre' = ((scale x - a b_dec) W_enc + b_enc). Dividing every latent by
  // scale gives pre'/scale = (x - a b_dec/scale) W_enc + b_enc/scale, and x_hat = x_hat'/scale =
  // (acts'/scale) W_dec + b_dec/scale: the decoder rows stay as they are.
  float inv = 1.0f / scale;
  for (float& v : s.b_enc.data) v *= inv;
  for (float& v : s.b_dec.data) v *= inv;
  for (float& v : s.threshold.data) v *= inv;
}

int hook_layer(const std::string& hook_name) {
  static const std::regex re(R"(^blocks\.(\d+)\.)");
  std::smatch m;
  if (std::regex_search(hook_name, m, re)) return std::stoi(m[1]);
  return -1;
}

std::string hf_hook_to_tl(const std::string& hf) {
  static const std::regex re(R"(^model\.layers\.(\d+)\.(.*)$)");
  std::smatch m;
  if (!std::regex_match(hf, m, re)) return "";
  std::string n = m[1], rest = m[2];
  if (rest == "output") return "blocks." + n + ".hook_resid_post";
  if (rest == "input") return "blocks." + n + ".hook_resid_pre";
  if (rest == "self_attn.o_proj.input") return "blocks." + n + ".attn.hook_z";
  if (rest == "self_attn.o_proj.output") return "blocks." + n + ".hook_attn_out";
  if (rest == "post_feedforward_layernorm.output" || rest == "mlp.output")
    return "blocks." + n + ".hook_mlp_out";
  if (rest == "pre_feedforward_layernorm.output") return "blocks." + n + ".hook_mlp_in";
  return "";
}

}  // namespace knowscope
