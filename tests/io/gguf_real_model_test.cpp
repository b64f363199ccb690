// Reads each whole real model and compares with what the gguf Python package saw in it
// (tests/fixtures/io/<model>.tensors.json, from tools/make_quant_fixtures.py): header, every
// metadata value (scalars exactly; arrays by length, first items and a checksum), the tensor table
// (names, types, shapes, offsets, sizes), and per tensor the CRC-32 of the dequantized float32
// bytes (bit-exact over the whole model) plus float64 sum, sum of squares and sum of |v|.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "knowscope/core/quant.h"
#include "knowscope/io/gguf.h"
#include "test_paths.h"

namespace knowscope {
namespace {

std::string upper_type_name(GgufType t) {
  std::string s = gguf_type_name(t);
  for (auto& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

nlohmann::json load_fixture(const std::string& name) {
  std::ifstream in(test::fixture("io/" + name));
  if (!in) throw std::runtime_error("missing fixture io/" + name);
  return nlohmann::json::parse(in);
}

void check_metadata(const GgufFile& g, const nlohmann::json& want) {
  EXPECT_EQ(g.metadata.size(), want.size());
  for (const auto& [key, w] : want.items()) {
    SCOPED_TRACE(key);
    ASSERT_TRUE(g.has(key));
    const GgufValue& v = g.get(key);
    EXPECT_EQ(upper_type_name(v.type), w["type"].get<std::string>());
    if (v.type != GgufType::ARRAY) {
      switch (v.type) {
        case GgufType::STRING:
          EXPECT_EQ(v.as_string(), w["value"].get<std::string>());
          break;
        case GgufType::BOOL:
          EXPECT_EQ(v.as_bool(), w["value"].get<bool>());
          break;
        case GgufType::FLOAT32:
        case GgufType::FLOAT64:
          EXPECT_EQ(v.as_float(), w["value"].get<double>());
          break;
        default:
          EXPECT_EQ(v.as_int(), w["value"].get<int64_t>());
          break;
      }
      continue;
    }
    const GgufArray& a = v.as_array();
    EXPECT_EQ(upper_type_name(a.elem_type), w["elem_type"].get<std::string>());
    ASSERT_EQ(a.items.size(), w["length"].get<size_t>());
    if (a.elem_type == GgufType::STRING) {
      uLong crc = crc32(0L, Z_NULL, 0);
      for (size_t i = 0; i < a.items.size(); ++i) {
        const std::string& s = a.items[i].as_string();
        if (i > 0) crc = crc32(crc, reinterpret_cast<const Bytef*>("\0"), 1);
        crc = crc32(crc, reinterpret_cast<const Bytef*>(s.data()), uInt(s.size()));
        if (i < w["first"].size()) {
          EXPECT_EQ(s, w["first"][i].get<std::string>());
        }
      }
      EXPECT_EQ(uint32_t(crc), w["crc32"].get<uint32_t>());
    } else if (a.elem_type != GgufType::ARRAY) {
      double sum = 0;
      for (size_t i = 0; i < a.items.size(); ++i) {
        double x = a.items[i].as_float();
        sum += x;
        if (i < w["first"].size()) {
          EXPECT_EQ(x, w["first"][i].get<double>());
        }
      }
      EXPECT_NEAR(sum, w["sum"].get<double>(),
                  1e-9 * (1 + std::fabs(sum)) * double(a.items.size()));
    }
  }
}

void check_model(const std::string& model, const std::string& fixture) {
  auto path = test::cached_model(model);
  if (!path) {
    if (test::models_required()) FAIL() << model << " is not in the cache";
    GTEST_SKIP() << model << " is not in the cache";
  }
  nlohmann::json want = load_fixture(fixture);
  GgufFile g = read_gguf(*path);
  EXPECT_EQ(g.file->size(), want["file_size"].get<size_t>());
  EXPECT_EQ(g.version, want["version"].get<uint32_t>());
  EXPECT_EQ(g.alignment, want["alignment"].get<uint64_t>());
  EXPECT_EQ(g.data_offset, want["data_offset"].get<size_t>());
  check_metadata(g, want["metadata"]);

  const auto& wt = want["tensors"];
  ASSERT_EQ(g.tensors.size(), wt.size());
  std::vector<float> row;
  for (size_t i = 0; i < wt.size(); ++i) {
    const auto& t = g.tensors[i];
    const auto& w = wt[i];
    SCOPED_TRACE(t.name);
    EXPECT_EQ(t.name, w["name"].get<std::string>());
    EXPECT_EQ(dtype_name(t.dtype), w["type"].get<std::string>());
    EXPECT_EQ(t.shape, w["shape"].get<Shape>());
    EXPECT_EQ(t.offset, w["offset"].get<uint64_t>());
    EXPECT_EQ(t.nbytes, w["nbytes"].get<size_t>());

    TensorView v = g.view(t);
    row.resize(size_t(v.cols()));
    double sum = 0, sumsq = 0, sumabs = 0;
    uLong crc = crc32(0L, Z_NULL, 0);
    for (int64_t r = 0; r < v.rows(); ++r) {
      dequantize_row(v.dtype, v.row(r), row.data(), v.cols());
      for (float f : row) {
        sum += f;
        sumsq += double(f) * f;
        sumabs += std::fabs(f);
      }
      crc = crc32(crc, reinterpret_cast<const Bytef*>(row.data()), uInt(row.size() * 4));
    }
    EXPECT_EQ(uint32_t(crc), w["crc32"].get<uint32_t>()) << "dequantized values differ";
    // Only the order of the float64 additions differs from numpy's (pairwise) sums: bound the
    // difference by the worst case of sequential summation, n 2^-53 sum |terms| (Higham).
    const double rel = double(v.numel()) * std::ldexp(1.0, -53);
    const double tol = rel * w["sumabs"].get<double>() + 1e-12;
    EXPECT_NEAR(sum, w["sum"].get<double>(), tol);
    EXPECT_NEAR(sumabs, w["sumabs"].get<double>(), tol);
    EXPECT_NEAR(sumsq, w["sumsq"].get<double>(), rel * w["sumsq"].get<double>() + 1e-12);
  }
}

TEST(GgufRealModel, Gemma3_270mMatchesGgufPy) {
  check_model("gemma-3-270m", "gemma-3-270m.tensors.json");
}

TEST(GgufRealModel, SmolLM2_135mMatchesGgufPy) {
  check_model("smollm2-135m-instruct", "smollm2-135m-instruct.tensors.json");
}

}  // namespace
}  // namespace knowscope
