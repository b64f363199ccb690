// safetensors: files written by the Python `safetensors` library (tools/make_quant_fixtures.py)
// read back with the values it stored; sharded folders; our writer round-trips.
#include "knowscope/io/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/core/quant.h"
#include "test_paths.h"

namespace knowscope {
namespace {

nlohmann::json expected() {
  std::ifstream in(test::fixture("io/safetensors_expected.json"));
  return nlohmann::json::parse(in);
}

// Elements as double (F64 and I64 exactly; others through dequantize_row, exact for them too).
std::vector<double> values(const TensorView& v) {
  std::vector<double> out(size_t(v.numel()));
  if (v.dtype == DType::F64) {
    std::memcpy(out.data(), v.data, out.size() * 8);
  } else if (v.dtype == DType::I64) {
    for (size_t i = 0; i < out.size(); ++i) {
      int64_t x;
      std::memcpy(&x, static_cast<const char*>(v.data) + 8 * i, 8);
      out[i] = double(x);
    }
  } else {
    std::vector<float> f(out.size());
    dequantize_row(v.dtype, v.data, f.data(), int64_t(f.size()));
    for (size_t i = 0; i < f.size(); ++i) out[i] = f[i];
  }
  return out;
}

void check_tensors(const std::map<std::string, TensorView>& got, const nlohmann::json& want) {
  for (const auto& [name, w] : want.items()) {
    SCOPED_TRACE(name);
    auto it = got.find(name);
    ASSERT_NE(it, got.end());
    const TensorView& v = it->second;
    EXPECT_EQ(v.name, name);
    EXPECT_EQ(dtype_name(v.dtype), w["dtype"].get<std::string>());
    EXPECT_EQ(v.shape, w["shape"].get<Shape>());
    auto vals = values(v);
    ASSERT_EQ(vals.size(), w["values"].size());
    for (size_t i = 0; i < vals.size(); ++i) EXPECT_EQ(vals[i], w["values"][i].get<double>()) << i;
  }
}

TEST(Safetensors, ReadsEveryDtypeWrittenByThePythonLibrary) {
  auto want = expected()["st_all_dtypes.safetensors"];
  SafetensorsFile st = read_safetensors(test::fixture("io/st_all_dtypes.safetensors"));
  EXPECT_EQ(st.metadata, want["metadata"].get<decltype(st.metadata)>());
  EXPECT_EQ(st.tensors.size(), want["tensors"].size());
  check_tensors(st.tensors, want["tensors"]);
  EXPECT_EQ(st.unsupported, want["unsupported"].get<decltype(st.unsupported)>());
  EXPECT_EQ(st.tensors.at("scalar").numel(), 1);
  EXPECT_EQ(st.tensors.at("empty").numel(), 0);
}

TEST(Safetensors, ReadsShardedFolderThroughItsIndex) {
  auto want = expected()["st_sharded"];
  SafetensorsSet set = read_safetensors_set(test::fixture("io/st_sharded"));
  EXPECT_EQ(set.files.size(), 2u);
  EXPECT_EQ(set.tensors.size(), want["tensors"].size());
  check_tensors(set.tensors, want["tensors"]);
}

TEST(Safetensors, SetOfOneFileAndFolderWithModelSafetensors) {
  std::string dir = test::temp_dir();
  std::filesystem::copy_file(test::fixture("io/st_all_dtypes.safetensors"),
                             dir + "/model.safetensors");
  auto want = expected()["st_all_dtypes.safetensors"]["tensors"];
  check_tensors(read_safetensors_set(dir).tensors, want);
  check_tensors(read_safetensors_set(dir + "/model.safetensors").tensors, want);
  EXPECT_EQ(read_safetensors_set(dir).unsupported.size(), 2u);
  // A folder with one differently named file (SAELens: sae_weights.safetensors).
  std::string sae = test::temp_dir();
  std::filesystem::copy_file(test::fixture("io/st_all_dtypes.safetensors"),
                             sae + "/sae_weights.safetensors");
  check_tensors(read_safetensors_set(sae).tensors, want);
  // Two candidates and no index: ambiguous.
  std::filesystem::copy_file(test::fixture("io/st_all_dtypes.safetensors"),
                             sae + "/other.safetensors");
  EXPECT_THROW(read_safetensors_set(sae), Error);
  EXPECT_THROW(read_safetensors_set(test::temp_dir()), Error);  // empty folder
}

TEST(Safetensors, IndexNamingATensorItsShardLacksFails) {
  std::string dir = test::temp_dir();
  for (const auto& e : std::filesystem::directory_iterator(test::fixture("io/st_sharded")))
    std::filesystem::copy_file(e.path(), dir + "/" + e.path().filename().string());
  nlohmann::json idx = {{"weight_map",
                         {{"a.weight", "model-00001-of-00002.safetensors"},
                          {"ghost", "model-00002-of-00002.safetensors"}}}};
  std::ofstream(dir + "/model.safetensors.index.json") << idx.dump();
  try {
    read_safetensors_set(dir);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ghost"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("model-00002-of-00002.safetensors"), std::string::npos);
  }
  std::ofstream(dir + "/model.safetensors.index.json")
      << R"({"weight_map": {"a.weight": "../escape.safetensors"}})";
  EXPECT_THROW(read_safetensors_set(dir), Error);
  std::ofstream(dir + "/model.safetensors.index.json") << "{not json";
  EXPECT_THROW(read_safetensors_set(dir), Error);
}

template <typename T>
std::vector<unsigned char> bytes_of(const std::vector<T>& v) {
  std::vector<unsigned char> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

TEST(Safetensors, WriterRoundTrips) {
  std::string path = test::temp_dir() + "/out.safetensors";
  std::vector<SafetensorsWriteTensor> ts = {
      {"w", DType::F32, {2, 2}, bytes_of<float>({1, -2, 3.5f, 1e-30f})},
      {"h", DType::F16, {3}, bytes_of<uint16_t>({0x3c00, 0xc000, 0x0001})},
      {"b", DType::BF16, {1}, bytes_of<uint16_t>({0x3f80})},
      {"d", DType::F64, {1}, bytes_of<double>({0.1})},
      {"i", DType::I64, {2}, bytes_of<int64_t>({-1, int64_t(1) << 60})},
      {"j", DType::I32, {1}, bytes_of<int32_t>({7})},
      {"k", DType::I16, {1}, bytes_of<int16_t>({-7})},
      {"c", DType::I8, {1, 1}, bytes_of<int8_t>({-3})},
      {"s", DType::F32, {}, bytes_of<float>({9})},
      {"z", DType::F32, {0}, {}},
  };
  write_safetensors(path, ts, {{"format", "pt"}});
  SafetensorsFile st = read_safetensors(path);
  EXPECT_EQ(st.metadata.at("format"), "pt");
  ASSERT_EQ(st.tensors.size(), ts.size());
  for (const auto& t : ts) {
    SCOPED_TRACE(t.name);
    const TensorView& v = st.tensors.at(t.name);
    EXPECT_EQ(v.dtype, t.dtype);
    EXPECT_EQ(v.shape, t.shape);
    ASSERT_EQ(v.nbytes, t.data.size());
    if (v.nbytes > 0) {
      EXPECT_EQ(std::memcmp(v.data, t.data.data(), v.nbytes), 0);
    }
  }
  // Data starts 8-byte aligned, as the Python library does it.
  uint64_t n;
  std::memcpy(&n, st.file->data(), 8);
  EXPECT_EQ(n % 8, 0u);

  EXPECT_THROW(
      write_safetensors(path, {{"q", DType::Q4_K, {256}, std::vector<unsigned char>(144)}}), Error);
  EXPECT_THROW(write_safetensors(path, {{"w", DType::F32, {2}, bytes_of<float>({1})}}), Error);
  EXPECT_THROW(write_safetensors(path, {{"w", DType::F32, {1}, bytes_of<float>({1})},
                                        {"w", DType::F32, {1}, bytes_of<float>({1})}}),
               Error);
}

}  // namespace
}  // namespace knowscope
