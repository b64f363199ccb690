// dequantize_row, dot_row and quantize_row against fixtures written by the gguf Python package
// (tools/make_quant_fixtures.py): real rows of the two models plus random valid blocks per type.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/core/quant.h"
#include "test_paths.h"

namespace knowscope {
namespace {

std::vector<unsigned char> read_bytes(const std::string& rel) {
  return test::fixture_bytes("quant/" + rel);
}

std::vector<float> read_floats(const std::string& rel) {
  auto b = read_bytes(rel);
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), v.size() * 4);
  return v;
}

const nlohmann::json& manifest() {
  static const nlohmann::json m = [] {
    auto b = read_bytes("manifest.json");
    return nlohmann::json::parse(b.begin(), b.end());
  }();
  return m;
}

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

TEST(QuantFixture, CoversEveryTypeOfQuantH) {
  for (const char* t : {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K",
                        "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"})
    EXPECT_TRUE(manifest()["types"].contains(t)) << t;
}

TEST(QuantFixture, DequantizeRowIsBitExact) {
  for (const auto& [tname, sets] : manifest()["types"].items()) {
    DType t = *dtype_from_name(tname);
    for (const auto& s : sets) {
      const int64_t n = s["n"], rows = s["rows"], row_bytes = s["row_bytes"];
      auto raw = read_bytes(s["raw"]);
      auto want = read_floats(s["dequant"]);
      ASSERT_EQ(raw.size(), size_t(rows * row_bytes));
      ASSERT_EQ(int64_t(dtype_row_bytes(t, n)), row_bytes);
      ASSERT_EQ(want.size(), size_t(rows * n));
      std::vector<float> got(static_cast<size_t>(n));
      int64_t mismatches = 0;
      for (int64_t r = 0; r < rows; ++r) {
        dequantize_row(t, raw.data() + r * row_bytes, got.data(), n);
        for (int64_t i = 0; i < n; ++i)
          if (bits(got[i]) != bits(want[r * n + i]) && mismatches++ < 5)
            ADD_FAILURE() << tname << " " << std::string(s["source"]) << " row " << r << " elem "
                          << i << ": got " << got[i] << " want " << want[r * n + i];
      }
      EXPECT_EQ(mismatches, 0) << tname << " " << std::string(s["source"]);
    }
  }
}

// Rigorous float32 error bound for a dot product of n terms in any summation order, with each
// weight possibly rounded once more than the reference (fused dequantization):
// |error| <= gamma(n + 2) * sum |w_i x_i|, gamma(k) = k u / (1 - k u), u = 2^-24 (Higham,
// "Accuracy and Stability of Numerical Algorithms", 3.1). A wrong scale, nibble or sign
// changes terms by about |w_i x_i| itself, far above this bound.
double dot_tolerance(int64_t n, double abs_dot) {
  const double u = std::ldexp(1.0, -24);
  const double k = double(n + 2);
  return k * u / (1 - k * u) * abs_dot + 1e-30;
}

TEST(QuantFixture, DotRowMatchesFloat64ReferenceWithinBound) {
  auto x = read_floats(manifest()["x"]);
  for (const auto& [tname, sets] : manifest()["types"].items()) {
    DType t = *dtype_from_name(tname);
    for (const auto& s : sets) {
      const int64_t n = s["n"], rows = s["rows"], row_bytes = s["row_bytes"];
      auto raw = read_bytes(s["raw"]);
      for (int64_t r = 0; r < rows; ++r) {
        double want = s["dot"][r], abs_dot = s["abs_dot"][r];
        float got = dot_row(t, raw.data() + r * row_bytes, x.data(), n);
        EXPECT_NEAR(got, want, dot_tolerance(n, abs_dot))
            << tname << " " << std::string(s["source"]) << " row " << r;
      }
    }
  }
}

TEST(QuantFixture, QuantizeRowIsBitExact) {
  for (const auto& [tname, q] : manifest()["quantize"].items()) {
    DType t = *dtype_from_name(tname);
    ASSERT_TRUE(has_quantizer(t)) << tname;
    auto src = read_floats(q["src"]);
    auto want = read_bytes(q["out"]);
    const int64_t n = q["n"], rows = q["rows"];
    const size_t row_bytes = dtype_row_bytes(t, n);
    ASSERT_EQ(want.size(), size_t(rows) * row_bytes);
    std::vector<unsigned char> got(row_bytes);
    for (int64_t r = 0; r < rows; ++r) {
      quantize_row(t, src.data() + r * n, got.data(), n);
      for (size_t i = 0; i < row_bytes; ++i)
        ASSERT_EQ(int(got[i]), int(want[r * row_bytes + i]))
            << tname << " row " << r << " byte " << i;
    }
  }
}

}  // namespace
}  // namespace knowscope
