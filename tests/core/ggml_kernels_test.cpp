// The emulation of llama.cpp's CPU kernels (core/ggml_kernels.h) against those kernels
// themselves: tests/fixtures/quant/ggml_kernels.json holds what libggml-cpu's vec_dot, its
// activation quantizers and ggml_vec_dot_f16 returned (tools/make_ggml_kernel_fixtures.py, via
// ctypes). Everything is compared bit for bit. The kernels that are not exported (tinyBLAS, the
// repacked Q4_K gemm/gemv, the tiled Q6_K kernel, softmax) are covered by the real-model test
// (tests/model/forward_real_test.cpp, LlamaCppArithmeticReproducesLlamaCppBitForBit).
#include "knowscope/core/ggml_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "test_paths.h"

namespace knowscope {
namespace {

std::vector<unsigned char> read_bytes(const std::string& rel) {
  return test::fixture_bytes("quant/" + rel);
}

const nlohmann::json& fixture() {
  static const nlohmann::json m = [] {
    auto b = read_bytes("ggml_kernels.json");
    return nlohmann::json::parse(b.begin(), b.end());
  }();
  return m;
}

// Activation row r, its first n values.
std::vector<float> activation(int r, int64_t n) {
  static const std::vector<float> all = [] {
    auto b = read_bytes(fixture()["activations"]["file"].get<std::string>());
    std::vector<float> v(b.size() / 4);
    std::memcpy(v.data(), b.data(), v.size() * 4);
    return v;
  }();
  const int64_t n_max = fixture()["activations"]["n_max"];
  return {all.begin() + r * n_max, all.begin() + r * n_max + n};
}

TEST(GgmlKernels, MatmulEqualsGgmlVecDotBitForBit) {
  const nlohmann::json& fx = fixture();
  const int n_act = fx["activations"]["rows"];
  ASSERT_GE(fx["dots"].size(), 12u);
  for (const auto& set : fx["dots"]) {
    const DType t = *dtype_from_name(set["type"].get<std::string>());
    ASSERT_TRUE(ggml_numerics::has_kernel_order(t)) << set["type"];
    const int64_t n = set["n"], m = set["rows"];
    const std::vector<unsigned char> raw = read_bytes(set["raw"].get<std::string>());
    TensorView W{set["raw"].get<std::string>(), t, {m, n}, raw.data(), raw.size()};
    std::vector<float> x;
    for (int r = 0; r < n_act; ++r) {
      const std::vector<float> row = activation(r, n);
      x.insert(x.end(), row.begin(), row.end());
    }
    // Fewer than 8 rows and not Q4_K: ggml's vec_dot path, the one the fixture called.
    std::vector<float> out(size_t(n_act * m));
    ggml_numerics::matmul(W, x.data(), n_act, out.data());
    for (int64_t o = 0; o < m; ++o)
      for (int r = 0; r < n_act; ++r) {
        const float want = set["out"][size_t(o)][size_t(r)].get<float>();
        EXPECT_EQ(out[size_t(r * m + o)], want)
            << set["type"] << " " << set["raw"] << " row " << o << " activation " << r << " ("
            << set["kernel"] << ")";
      }
  }
}

TEST(GgmlKernels, ActivationQuantizationEqualsGgml) {
  const nlohmann::json& fx = fixture();
  for (const char* fmt : {"Q8_0", "Q8_1", "Q8_K"}) {
    const auto& q = fx["quantized"][fmt];
    const int64_t n = q["n"];
    const bool k = std::string(fmt) == "Q8_K";
    for (size_t r = 0; r < q["rows"].size(); ++r) {
      const std::vector<float> x = activation(int(r), n);
      std::vector<float> d(size_t(n / (k ? 256 : 32)));
      std::vector<int8_t> codes(static_cast<size_t>(n));
      if (k)
        ggml_numerics::quantize_q8_k(x.data(), n, d.data(), codes.data(), false);
      else
        ggml_numerics::quantize_q8_0(x.data(), n, d.data(), codes.data());
      const auto& want = q["rows"][r];
      for (size_t b = 0; b < d.size(); ++b) EXPECT_EQ(d[b], want["d"][b].get<float>()) << fmt;
      int differing = 0;
      for (size_t i = 0; i < codes.size(); ++i) differing += codes[i] != want["q"][i].get<int>();
      EXPECT_EQ(differing, 0) << fmt << " activation row " << r;
    }
  }
}

// Row 2 of the activations has a first block whose largest magnitude, 9.5, occurs with both
// signs (+9.5 at 5, -9.5 at 17): ggml's one-row Q8_K quantizer takes the first, its 4-row packer
// the positive one; the sign of the chosen value sets the sign of the scale.
TEST(GgmlKernels, Q8KSignRuleOnTies) {
  std::vector<float> x = activation(2, 256);
  ASSERT_EQ(x[5], 9.5f);
  ASSERT_EQ(x[17], -9.5f);
  float d_first, d_positive;
  std::vector<int8_t> q(256);
  ggml_numerics::quantize_q8_k(x.data(), 256, &d_first, q.data(), false);
  EXPECT_EQ(q[5], -127);  // max = +9.5 either way: iscale = -127/9.5
  EXPECT_EQ(q[17], 127);
  ggml_numerics::quantize_q8_k(x.data(), 256, &d_positive, q.data(), true);
  EXPECT_EQ(d_first, d_positive);
  for (float& v : x) v = -v;  // now -9.5 comes first
  ggml_numerics::quantize_q8_k(x.data(), 256, &d_first, q.data(), false);
  EXPECT_EQ(q[5], -127);  // max = -9.5: iscale = +127/9.5
  ggml_numerics::quantize_q8_k(x.data(), 256, &d_positive, q.data(), true);
  EXPECT_EQ(q[5], 127);  // max = +9.5: iscale = -127/9.5
  EXPECT_EQ(d_first, -d_positive);
}

TEST(GgmlKernels, DotF16EqualsGgmlVecDotF16) {
  for (const auto& c : fixture()["f16"]) {
    const std::vector<float> x = c["x"].get<std::vector<float>>();
    const std::vector<float> y = c["y"].get<std::vector<float>>();
    EXPECT_EQ(ggml_numerics::dot_f16(x.data(), y.data(), int64_t(x.size()), false),
              c["dot"].get<float>())
        << "n = " << c["n"];
  }
}

// The vector exp against libm's expf: ggml_v_expf is accurate to about 1.5 ulp, so the two agree
// within 2 ulp over the softmax's range, and it saturates to 0 below about -104.
TEST(GgmlKernels, VectorExpIsExpToTwoUlp) {
  for (float x = -87.0f; x <= 0.0f; x += 0.01337f) {
    const float want = std::exp(x), got = ggml_numerics::v_expf(x);
    EXPECT_LE(std::fabs(got - want), 2.0f * (std::nextafter(want, 1e30f) - want)) << x;
  }
  EXPECT_EQ(ggml_numerics::v_expf(-300.0f), 0.0f);
  EXPECT_EQ(ggml_numerics::v_expf(0.0f), 1.0f);
}

TEST(GgmlKernels, SoftmaxSumsToOneAndMasksInfinity) {
  std::vector<float> row = {1.0f,  2.0f,  -INFINITY, 0.5f, 3.0f, -INFINITY, 0.0f, 1.5f, 2.5f,
                            -1.0f, 0.25f, -INFINITY, 4.0f, 1.0f, 2.0f,      0.0f, 1.0f};
  ggml_numerics::softmax(row.data(), int64_t(row.size()));
  double sum = 0;
  for (float v : row) sum += v;
  EXPECT_NEAR(sum, 1.0, 1e-6);
  EXPECT_EQ(row[2], 0.0f);
  EXPECT_EQ(row[5], 0.0f);
  EXPECT_GT(row[12], row[4]);
}

TEST(GgmlKernels, RejectsTypesWithoutAKernelOrder) {
  std::vector<unsigned char> raw(dtype_row_bytes(DType::BF16, 256));
  TensorView W{"w", DType::BF16, {1, 256}, raw.data(), raw.size()};
  std::vector<float> x(256, 1.0f), out(1);
  EXPECT_FALSE(ggml_numerics::has_kernel_order(DType::BF16));
  EXPECT_THROW(ggml_numerics::matmul(W, x.data(), 1, out.data()), std::exception);
}

}  // namespace
}  // namespace knowscope
