// Encode/decode paths agree with each other and with a float64 recomputation from the weights:
// chunked sparse encode vs dense, sparse vs dense decode, selected-latent encode, error term, top
// latents, several thread counts.
#include <gtest/gtest.h>

#include <cmath>

#include "knowscope/core/error.h"
#include "knowscope/sae/activations.h"
#include "knowscope/sae/encode.h"
#include "knowscope/sae/sae_io.h"
#include "sae/sae_fixtures.h"
#include "test_paths.h"

namespace knowscope {
namespace {

// A random JumpReLU SAE big enough that sae_encode works in several row chunks.
Sae random_sae(SaeArch arch, int64_t d, int64_t S, uint64_t seed) {
  Sae s = make_sae(arch, d, S, arch == SaeArch::TopK ? 7 : 0);
  Rng rng(seed);
  for (float& v : s.W_enc.data) v = rng.normal() / std::sqrt(float(d));
  for (float& v : s.W_dec.data) v = rng.normal() / std::sqrt(float(d));
  for (float& v : s.b_enc.data) v = 0.1f * rng.normal();
  for (float& v : s.b_dec.data) v = 0.1f * rng.normal();
  for (float& v : s.threshold.data) v = 0.3f + 0.2f * float(rng.uniform());
  return s;
}

std::vector<float> random_rows(int64_t n, int64_t d, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(size_t(n * d));
  for (float& v : x) v = rng.normal();
  return x;
}

TEST(SaeEncode, ChunkedSparseEqualsDenseAndFloat64) {
  for (SaeArch arch : {SaeArch::JumpRelu, SaeArch::Relu, SaeArch::TopK}) {
    SCOPED_TRACE(sae_arch_name(arch));
    const int64_t d = 24, S = 40000, n = 300;  // chunk = 2^22 / S = 104 rows: three chunks
    Sae s = random_sae(arch, d, S, 3);
    s.apply_b_dec_to_input = arch != SaeArch::JumpRelu;
    auto x = random_rows(n, d, 4);
    std::vector<float> dense(size_t(n * S));
    sae_encode_dense(s, x.data(), n, dense.data());
    SaeCodes codes = sae_encode(s, x.data(), n);
    ASSERT_EQ(codes.rows, n);
    int64_t nnz = 0;
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t e = codes.row_ptr[size_t(r)]; e < codes.row_ptr[size_t(r) + 1]; ++e) {
        EXPECT_EQ(codes.value[size_t(e)], dense[size_t(r * S + codes.index[size_t(e)])]);
        if (e > codes.row_ptr[size_t(r)]) {
          EXPECT_LT(codes.index[size_t(e - 1)], codes.index[size_t(e)]);
        }
      }
      for (int64_t j = 0; j < S; ++j) nnz += dense[size_t(r * S + j)] != 0.0f;
    }
    EXPECT_EQ(nnz, codes.nnz());
    if (arch == SaeArch::TopK) {
      EXPECT_LE(codes.nnz(), n * 7);
    }
    // Spot-check pre-activations and activations against float64 sums.
    for (int64_t r : {0L, 150L, 299L})
      for (int64_t j : {0L, 12345L, 39999L}) {
        double pre = s.b_enc.data[size_t(j)];
        for (int64_t i = 0; i < d; ++i)
          pre += (double(x[size_t(r * d + i)]) -
                  (s.apply_b_dec_to_input ? s.b_dec.data[size_t(i)] : 0.0)) *
                 s.W_enc.data[size_t(i * S + j)];
        float got = dense[size_t(r * S + j)];
        if (got != 0.0f) {
          EXPECT_NEAR(got, pre, 1e-4);
        }
        if (arch == SaeArch::Relu) {
          EXPECT_EQ(got != 0.0f, pre > 0);
        }
        if (arch == SaeArch::JumpRelu && std::fabs(pre - s.threshold.data[size_t(j)]) > 1e-4) {
          EXPECT_EQ(got != 0.0f, pre > s.threshold.data[size_t(j)]);
        }
      }
    // Sparse decode equals dense (sgemm) decode, up to float summation order over thousands of
    // active latents.
    std::vector<float> a(size_t(n * d)), b(size_t(n * d));
    sae_decode(s, codes, a.data());
    sae_decode_dense(s, dense.data(), n, b.data());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 2e-3);
  }
}

TEST(SaeEncode, RowByRowEqualsBatch) {
  // One row at a time takes the column-split sgemm path, a batch the row-split one.
  Sae s = random_sae(SaeArch::JumpRelu, 32, 5000, 8);
  auto x = random_rows(65, 32, 9);
  SaeCodes batch = sae_encode(s, x.data(), 65);
  for (int64_t r = 0; r < 65; ++r) {
    SaeCodes one = sae_encode(s, x.data() + r * 32, 1);
    ASSERT_EQ(one.nnz(), batch.row_nnz(r)) << r;
    for (int64_t e = 0; e < one.nnz(); ++e) {
      EXPECT_EQ(one.index[size_t(e)], batch.index[size_t(batch.row_ptr[size_t(r)] + e)]);
      EXPECT_NEAR(one.value[size_t(e)], batch.value[size_t(batch.row_ptr[size_t(r)] + e)], 1e-5);
    }
  }
}

TEST(SaeEncode, SelectedLatentsMatchFullEncode) {
  Sae s = random_sae(SaeArch::JumpRelu, 16, 300, 5);
  auto x = random_rows(9, 16, 6);
  std::vector<int32_t> latents = {299, 0, 17, 17, 150};
  std::vector<float> some(9 * latents.size()), all(9 * 300);
  sae_encode_latents(s, x.data(), 9, latents, some.data());
  sae_encode_dense(s, x.data(), 9, all.data());
  for (int64_t r = 0; r < 9; ++r)
    for (size_t c = 0; c < latents.size(); ++c)
      EXPECT_NEAR(some[size_t(r) * latents.size() + c], all[size_t(r * 300 + latents[c])], 1e-5);
  EXPECT_THROW(sae_encode_latents(s, x.data(), 9, {300}, some.data()), Error);
  Sae topk = random_sae(SaeArch::TopK, 16, 300, 5);
  EXPECT_THROW(sae_encode_latents(topk, x.data(), 9, {1}, some.data()), Error);
}

TEST(SaeEncode, ErrorTermAndTopLatents) {
  Sae s = load_sae(test::fixture("sae/saelens_v6_standard_layernorm"));
  auto x = test::sae_fixture_inputs();
  const int64_t n = x.shape[0], d = s.d_in;
  SaeCodes codes = sae_encode(s, x.ptr(), n);
  std::vector<float> recon(size_t(n * d)), err(size_t(n * d)), err2(size_t(n * d));
  sae_decode(s, codes, recon.data());
  sae_error_term(s, x.ptr(), codes, err.data());
  sae_error_term(s, x.ptr(), n, err2.data());
  for (size_t i = 0; i < err.size(); ++i) {
    EXPECT_FLOAT_EQ(err[i], x.data[i] - recon[i]);
    EXPECT_EQ(err[i], err2[i]);
  }
  // decode(codes) + error term reproduces x (what steering relies on).
  for (size_t i = 0; i < err.size(); ++i) EXPECT_NEAR(recon[i] + err[i], x.data[i], 1e-5);

  std::vector<float> dense(size_t(n * s.d_sae));
  sae_encode_dense(s, x.ptr(), n, dense.data());
  for (int64_t r = 0; r < n; ++r) {
    auto top = top_latents(codes, r, 4);
    auto top_dense = top_latents(dense.data() + r * s.d_sae, s.d_sae, 4);
    ASSERT_EQ(top.size(), top_dense.size());
    for (size_t i = 0; i < top.size(); ++i) {
      EXPECT_EQ(top[i].latent, top_dense[i].latent);
      EXPECT_EQ(top[i].value, top_dense[i].value);
      if (i) {
        EXPECT_GE(top[i - 1].value, top[i].value);
      }
    }
    // Nothing outside the top 4 is larger than the 4th.
    if (top.size() == 4)
      for (int64_t j = 0; j < s.d_sae; ++j) {
        bool in = false;
        for (auto& t : top) in |= t.latent == j;
        if (!in) {
          EXPECT_LE(dense[size_t(r * s.d_sae + j)], top[3].value);
        }
      }
  }
}

TEST(SaeEncode, DecodeRejectsMismatchedCodes) {
  Sae s = load_sae(test::fixture("sae/saelens_v6_jumprelu_constnorm"));
  SaeCodes c;
  c.rows = 1;
  c.d_sae = s.d_sae;
  c.row_ptr = {0, 0};
  std::vector<float> out(size_t(s.d_in));
  EXPECT_THROW(sae_decode(s, c, out.data()),
               Error);  // constant_norm_rescale needs its coefficients
  c.d_sae = 3;
  EXPECT_THROW(sae_decode(s, c, out.data()), Error);
}

}  // namespace
}  // namespace knowscope
