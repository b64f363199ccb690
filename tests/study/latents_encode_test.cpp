// encode_latents (the selected latents of an SAE) against the full dense encode, for JumpReLU
// (per-latent path) and TopK (dense path: which latents survive depends on all of them).
#include <gtest/gtest.h>

#include <random>

#include "knowscope/sae/encode.h"
#include "study/latents_internal.h"

namespace knowscope::study::latents_detail {
namespace {

Sae random_sae(SaeArch arch, int64_t d, int64_t n, int64_t k) {
  Sae s = make_sae(arch, d, n, k);
  std::mt19937 rng(1);
  std::normal_distribution<float> g(0.0f, 1.0f);
  for (int64_t i = 0; i < d * n; ++i) s.W_enc.ptr()[i] = g(rng);
  for (int64_t i = 0; i < d * n; ++i) s.W_dec.ptr()[i] = g(rng);
  for (int64_t j = 0; j < n; ++j) s.b_enc.ptr()[j] = 0.1f * g(rng);
  if (arch == SaeArch::JumpRelu)
    for (int64_t j = 0; j < n; ++j) s.threshold.ptr()[j] = 0.5f;
  return s;
}

TEST(LatentsEncode, SelectedLatentsEqualTheDenseEncode) {
  const int64_t d = 12, n = 40, rows = 7;
  std::vector<float> x(size_t(rows * d));
  std::mt19937 rng(2);
  std::normal_distribution<float> g(0.0f, 1.0f);
  for (float& v : x) v = g(rng);
  const std::vector<int32_t> pick = {3, 0, 39, 17};
  for (SaeArch arch : {SaeArch::JumpRelu, SaeArch::TopK}) {
    const Sae sae = random_sae(arch, d, n, 5);
    std::vector<float> dense(size_t(rows * n));
    sae_encode_dense(sae, x.data(), rows, dense.data());
    const auto got = encode_latents(sae, x.data(), rows, pick);
    ASSERT_EQ(got.size(), size_t(rows) * pick.size());
    int nonzero = 0;
    for (int64_t r = 0; r < rows; ++r)
      for (size_t k = 0; k < pick.size(); ++k) {
        const float want = dense[size_t(r * n + pick[k])];
        EXPECT_NEAR(got[size_t(r) * pick.size() + k], want, 1e-5f) << sae_arch_name(arch);
        nonzero += want != 0.0f;
      }
    EXPECT_GT(nonzero, 0) << sae_arch_name(arch);
  }
}

}  // namespace
}  // namespace knowscope::study::latents_detail
