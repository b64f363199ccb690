// Batched SAE encode (dense sgemm x . W_enc, then the activation) and sparse decode (only the
// active latents' rows of W_dec), top latents per row, and the error term x - decode(encode(x))
// that steering keeps so that an edited reconstruction changes only what the edit changes. Inputs
// are row-major [n, d_in] float32; threads via parallel_for, OpenBLAS single-threaded.
#pragma once

#include <cstdint>
#include <vector>

#include "knowscope/sae/sae.h"

namespace knowscope {

// Latent codes of n rows in CSR form; indices ascending within a row.
struct SaeCodes {
  int64_t rows = 0;
  int64_t d_sae = 0;
  std::vector<int64_t> row_ptr;  // rows + 1 entries
  std::vector<int32_t> index;
  std::vector<float> value;
  // Per-row statistics of the run-time input normalisation, needed to undo it on decode:
  // ConstantNormRescale: norm_a = coefficient; LayerNorm: norm_a = mean, norm_b = std. Else empty.
  std::vector<float> norm_a, norm_b;

  int64_t nnz() const { return row_ptr.empty() ? 0 : row_ptr.back(); }
  int64_t row_nnz(int64_t r) const { return row_ptr[r + 1] - row_ptr[r]; }
  float get(int64_t row, int32_t latent) const;  // 0 when inactive
};

// Reusable buffers: pass the same workspace to repeated calls so that nothing is allocated once it
// has grown to the batch size.
struct SaeWorkspace {
  std::vector<float> x_in, pre, stats_a, stats_b, norms;
  std::vector<int64_t> counts;
};

// Dense activations acts[n, d_sae] (caller-owned). `norm_a`/`norm_b` receive the per-row input-norm
// statistics when not null (see SaeCodes).
void sae_encode_dense(const Sae& sae, const float* x, int64_t n, float* acts,
                      SaeWorkspace* ws = nullptr, std::vector<float>* norm_a = nullptr,
                      std::vector<float>* norm_b = nullptr);
// Pre-activations pre[n, d_sae] = x_in . W_enc + b_enc (before the activation).
void sae_pre_activations(const Sae& sae, const float* x, int64_t n, float* pre,
                         SaeWorkspace* ws = nullptr);
// Sparse codes, computed in row chunks so that memory stays bounded for large n.
void sae_encode(const Sae& sae, const float* x, int64_t n, SaeCodes& out,
                SaeWorkspace* ws = nullptr);
SaeCodes sae_encode(const Sae& sae, const float* x, int64_t n);

// Activations of selected latents only (Relu and JumpRelu; throws for TopK, whose activation needs
// every latent): out[n, latents.size()].
void sae_encode_latents(const Sae& sae, const float* x, int64_t n,
                        const std::vector<int32_t>& latents, float* out);

// x_hat[rows, d_in] from the codes (b_dec + sum of active rows of W_dec, then the output norm).
void sae_decode(const Sae& sae, const SaeCodes& codes, float* x_hat);
// x_hat from dense activations (sgemm).
void sae_decode_dense(const Sae& sae, const float* acts, int64_t n, float* x_hat,
                      const std::vector<float>* norm_a = nullptr,
                      const std::vector<float>* norm_b = nullptr);

// x_hat = decode(encode(x)).
void sae_reconstruct(const Sae& sae, const float* x, int64_t n, float* x_hat,
                     SaeWorkspace* ws = nullptr);
// err = x - decode(codes), where codes = encode(x) (reuse them when you already have them).
void sae_error_term(const Sae& sae, const float* x, const SaeCodes& codes, float* err);
void sae_error_term(const Sae& sae, const float* x, int64_t n, float* err,
                    SaeWorkspace* ws = nullptr);

struct LatentValue {
  int32_t latent;
  float value;
};
// The k largest activations of one row, largest first (ties: lower latent first).
std::vector<LatentValue> top_latents(const SaeCodes& codes, int64_t row, int64_t k);
std::vector<LatentValue> top_latents(const float* acts_row, int64_t d_sae, int64_t k);

}  // namespace knowscope
