// read_gguf on a file written by gguf-py's GGUFWriter (tests/fixtures/io/gguf_writer_all_types.*):
// every metadata value type, nested arrays, alignment 64, several tensor types and ranks.
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "knowscope/io/gguf.h"
#include "test_paths.h"

namespace knowscope {
namespace {

std::string upper(const char* s) {
  std::string out = s;
  for (auto& c : out) c = char(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The value as JSON, to compare with what the script wrote.
nlohmann::json to_json(const GgufValue& v) {
  switch (v.type) {
    case GgufType::STRING:
      return v.as_string();
    case GgufType::BOOL:
      return v.as_bool();
    case GgufType::FLOAT32:
    case GgufType::FLOAT64:
      return v.as_float();
    case GgufType::UINT64:
      return std::get<uint64_t>(v.value);
    case GgufType::ARRAY: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& item : v.as_array().items) a.push_back(to_json(item));
      return a;
    }
    default:
      return v.as_int();
  }
}

TEST(GgufPyWriter, ReadsEverythingGgufWriterWrote) {
  std::ifstream in(test::fixture("io/gguf_writer_all_types.json"));
  auto want = nlohmann::json::parse(in);
  GgufFile g = read_gguf(test::fixture("io/gguf_writer_all_types.gguf"));
  EXPECT_EQ(g.version, want["version"].get<uint32_t>());
  EXPECT_EQ(g.alignment, 64u);
  EXPECT_EQ(g.data_offset, want["data_offset"].get<size_t>());
  EXPECT_EQ(g.metadata.size(), want["metadata"].size());
  for (const auto& [key, w] : want["metadata"].items()) {
    SCOPED_TRACE(key);
    ASSERT_TRUE(g.has(key));
    const GgufValue& v = g.get(key);
    EXPECT_EQ(upper(gguf_type_name(v.type)), w["type"].get<std::string>());
    if (w.contains("elem_type")) {
      EXPECT_EQ(upper(gguf_type_name(v.as_array().elem_type)), w["elem_type"].get<std::string>());
    }
    EXPECT_EQ(to_json(v), w["value"]);
  }
  ASSERT_EQ(g.tensors.size(), want["tensors"].size());
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const auto& t = g.tensors[i];
    const auto& w = want["tensors"][i];
    SCOPED_TRACE(t.name);
    EXPECT_EQ(t.name, w["name"].get<std::string>());
    EXPECT_EQ(dtype_name(t.dtype), w["type"].get<std::string>());
    EXPECT_EQ(t.shape, w["shape"].get<Shape>());
    EXPECT_EQ(t.offset, w["offset"].get<uint64_t>());
    EXPECT_EQ(t.nbytes, w["nbytes"].get<size_t>());
    TensorView v = g.view(t);
    uLong crc = crc32(crc32(0L, Z_NULL, 0), static_cast<const Bytef*>(v.data), uInt(v.nbytes));
    EXPECT_EQ(uint32_t(crc), w["crc32"].get<uint32_t>());
  }
}

}  // namespace
}  // namespace knowscope
