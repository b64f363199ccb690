// The transformer's per-row kernels against the formulas written out here in double precision
// (and a few values of PyTorch's gelu(approximate="tanh"), quoted below).
#include "knowscope/core/ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace knowscope {
namespace {

std::vector<float> random_vec(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

TEST(Ops, ExpIsAccurateOverTheFloatRange) {
  std::vector<float> x;
  for (float v = -100.0f; v <= 88.0f; v += 0.0137f) x.push_back(v);
  std::vector<float> y = x;
  exp_inplace(y.data(), int64_t(y.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    double ref = std::exp(double(x[i]));
    if (ref < 1.18e-38) {  // below the smallest normal float: flushed to zero
      EXPECT_LE(y[i], 1.2e-38f) << x[i];
      continue;
    }
    EXPECT_NEAR(y[i] / ref, 1.0, 3e-7) << "x = " << x[i];
  }
  float inf = -INFINITY;
  exp_inplace(&inf, 1);
  EXPECT_EQ(inf, 0.0f);
}

TEST(Ops, RmsNormMatchesFormula) {
  const int64_t n = 77;  // not a multiple of the vector width
  auto x = random_vec(size_t(n), 1, 3.0f);
  auto w = random_vec(size_t(n), 2);
  std::vector<float> y(static_cast<size_t>(n));
  rmsnorm(x.data(), w.data(), y.data(), n, 1e-6f);
  double ss = 0;
  for (float v : x) ss += double(v) * v;
  double inv = 1.0 / std::sqrt(ss / n + 1e-6);
  for (int64_t i = 0; i < n; ++i)
    EXPECT_NEAR(y[size_t(i)], x[size_t(i)] * inv * w[size_t(i)], 1e-5);
  // In place and without weights.
  std::vector<float> z = x;
  rmsnorm(z.data(), nullptr, z.data(), n, 1e-6f);
  for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(z[size_t(i)], x[size_t(i)] * inv, 1e-6);
  // eps matters for tiny inputs: x = [1e-3]*4, eps 1e-6 -> 1e-3 / sqrt(1e-6 + 1e-6).
  std::vector<float> t(4, 1e-3f), u(4);
  rmsnorm(t.data(), nullptr, u.data(), 4, 1e-6f);
  EXPECT_NEAR(u[0], 1e-3 / std::sqrt(2e-6), 1e-5);
}

// Rotation of pairs by angle pos * base^(-2i/rot): Neox pairs (i, i + rot/2), Adjacent (2i, 2i+1).
void check_rope(RopeStyle style) {
  const int64_t heads = 3, hd = 16, rot = 12;  // partial rotation: the last 4 dims stay
  const double base = 10000.0, pos = 7.0;
  auto x = random_vec(size_t(heads * hd), 3);
  std::vector<float> inv(rot / 2), cs(rot / 2), sn(rot / 2);
  rope_inv_freq(float(base), rot, nullptr, inv.data());
  for (int64_t i = 0; i < rot / 2; ++i) {
    EXPECT_NEAR(inv[size_t(i)], std::pow(base, -2.0 * i / rot), 1e-7);
    cs[size_t(i)] = float(std::cos(pos * inv[size_t(i)]));
    sn[size_t(i)] = float(std::sin(pos * inv[size_t(i)]));
  }
  std::vector<float> y = x;
  rope(y.data(), heads, hd, rot, style, cs.data(), sn.data());
  for (int64_t h = 0; h < heads; ++h) {
    const float* a = x.data() + h * hd;
    const float* b = y.data() + h * hd;
    for (int64_t i = 0; i < rot / 2; ++i) {
      int64_t j0 = style == RopeStyle::Neox ? i : 2 * i;
      int64_t j1 = style == RopeStyle::Neox ? i + rot / 2 : 2 * i + 1;
      double th = pos * std::pow(base, -2.0 * i / rot);
      EXPECT_NEAR(b[j0], a[j0] * std::cos(th) - a[j1] * std::sin(th), 2e-6);
      EXPECT_NEAR(b[j1], a[j0] * std::sin(th) + a[j1] * std::cos(th), 2e-6);
    }
    for (int64_t j = rot; j < hd; ++j) EXPECT_EQ(b[j], a[j]);
  }
}

TEST(Ops, RopeNeox) { check_rope(RopeStyle::Neox); }
TEST(Ops, RopeAdjacent) { check_rope(RopeStyle::Adjacent); }

TEST(Ops, RopeFreqFactorsDivideFrequencies) {
  std::vector<float> f = {1.0f, 2.0f, 8.0f}, inv(3);
  rope_inv_freq(500000.0f, 6, f.data(), inv.data());
  for (int i = 0; i < 3; ++i)
    EXPECT_NEAR(inv[size_t(i)], std::pow(500000.0, -2.0 * i / 6) / f[size_t(i)], 1e-9);
}

TEST(Ops, SoftmaxMatchesFormulaAndMasks) {
  auto x = random_vec(37, 4, 5.0f);
  x[3] = -INFINITY;
  x[20] = -INFINITY;
  std::vector<float> y = x;
  softmax(y.data(), int64_t(y.size()));
  double mx = -1e30, sum = 0;
  for (float v : x) mx = std::max(mx, double(v));
  for (float v : x) sum += std::exp(double(v) - mx);
  double total = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR(y[i], std::exp(double(x[i]) - mx) / sum, 1e-7);
    total += y[i];
  }
  EXPECT_EQ(y[3], 0.0f);
  EXPECT_NEAR(total, 1.0, 1e-6);
  // Large values do not overflow.
  std::vector<float> big = {1000.0f, 1000.0f};
  softmax(big.data(), 2);
  EXPECT_FLOAT_EQ(big[0], 0.5f);
  // A fully masked row becomes zeros, not NaN.
  std::vector<float> masked = {-INFINITY, -INFINITY};
  softmax(masked.data(), 2);
  EXPECT_EQ(masked[0], 0.0f);
}

TEST(Ops, GeluTanhMatchesPyTorch) {
  // torch.nn.functional.gelu(x, approximate="tanh") in float64 for these x.
  const double xs[] = {-3, -1, -0.5, 0, 0.5, 1, 2, 3};
  const double ref[] = {
      -0.0036373920817729943, -0.15880800939172324, -0.15428599017485606, 0.0,
      0.34571400982514394,    0.8411919906082768,   1.954597694087775,    2.996362607918227};
  std::vector<float> v(std::begin(xs), std::end(xs));
  gelu_tanh(v.data(), int64_t(v.size()));
  for (size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(v[i], ref[i], 2e-7) << xs[i];
  // And the formula over a wide range, including where tanh saturates.
  for (double x = -12; x <= 12; x += 0.01) {
    double f = 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    EXPECT_NEAR(gelu_tanh_scalar(float(x)), f, 2e-6 * std::max(1.0, std::fabs(x))) << x;
  }
}

TEST(Ops, SiluSoftcapAndGatedProducts) {
  auto x = random_vec(50, 5, 4.0f);
  auto up = random_vec(50, 6);
  std::vector<float> s = x, g = x, gs = x, c = x;
  silu(s.data(), 50);
  gelu_tanh_mul(g.data(), up.data(), 50);
  silu_mul(gs.data(), up.data(), 50);
  softcap(c.data(), 50, 3.0f);
  for (size_t i = 0; i < x.size(); ++i) {
    double xi = x[i];
    double si = xi / (1 + std::exp(-xi));
    double gi = 0.5 * xi * (1 + std::tanh(std::sqrt(2 / M_PI) * (xi + 0.044715 * xi * xi * xi)));
    EXPECT_NEAR(s[i], si, 2e-6 * std::max(1.0, std::fabs(si)));
    EXPECT_NEAR(gs[i], si * up[i], 2e-6 * std::max(1.0, std::fabs(si * up[i])));
    EXPECT_NEAR(g[i], gi * up[i], 2e-6 * std::max(1.0, std::fabs(gi * up[i])));
    EXPECT_NEAR(c[i], 3.0 * std::tanh(xi / 3.0), 1e-6);
  }
  EXPECT_NEAR(tanh_fast(0.3f), std::tanh(0.3), 1e-7);
  EXPECT_EQ(tanh_fast(50.0f), 1.0f);
  EXPECT_EQ(tanh_fast(-50.0f), -1.0f);
}

TEST(Ops, DotAndAxpy) {
  auto a = random_vec(1001, 7), b = random_vec(1001, 8);
  double ref = 0;
  for (size_t i = 0; i < a.size(); ++i) ref += double(a[i]) * b[i];
  EXPECT_NEAR(dot_f32(a.data(), b.data(), 1001), ref, 1e-4);
  std::vector<float> y = b;
  axpy(0.5f, a.data(), y.data(), 1001);
  for (size_t i = 0; i < y.size(); ++i) EXPECT_FLOAT_EQ(y[i], b[i] + 0.5f * a[i]);
}

}  // namespace
}  // namespace knowscope
