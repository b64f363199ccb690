// write_gguf then read_gguf: every metadata value type, nested arrays, alignments, tensor table.
#include <gtest/gtest.h>

#include <cstring>

#include "knowscope/core/error.h"
#include "knowscope/io/gguf.h"
#include "test_paths.h"

namespace knowscope {
namespace {

std::vector<unsigned char> f32_bytes(const std::vector<float>& v) {
  std::vector<unsigned char> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

std::map<std::string, GgufValue> all_value_types() {
  std::map<std::string, GgufValue> kv;
  kv["t.u8"] = GgufValue{GgufType::UINT8, uint64_t(200)};
  kv["t.i8"] = GgufValue{GgufType::INT8, int64_t(-100)};
  kv["t.u16"] = GgufValue{GgufType::UINT16, uint64_t(60000)};
  kv["t.i16"] = GgufValue{GgufType::INT16, int64_t(-30000)};
  kv["t.u32"] = gguf_u32(4000000000u);
  kv["t.i32"] = gguf_i32(-2000000000);
  kv["t.u64"] = gguf_u64(18000000000000000000ull);
  kv["t.i64"] = gguf_i64(-9000000000000000000ll);
  kv["t.f32"] = gguf_f32(0.1f);
  kv["t.f64"] = gguf_f64(0.1);
  kv["t.bool"] = gguf_bool(true);
  kv["t.str"] = gguf_str(std::string("h\xc3\xa9llo\0x", 8));
  kv["t.empty_str"] = gguf_str("");
  kv["t.strs"] = gguf_str_array({"a", "", "ccc"});
  kv["t.f32s"] = gguf_f32_array({1.5f, -2.25f});
  kv["t.i32s"] = gguf_i32_array({1, -2, 3});
  kv["t.empty_arr"] = gguf_array(GgufType::UINT8, {});
  kv["t.nested"] =
      gguf_array(GgufType::ARRAY, {gguf_i32_array({1, 2}), gguf_i32_array({}),
                                   gguf_array(GgufType::ARRAY, {gguf_str_array({"x"})})});
  return kv;
}

TEST(GgufRoundTrip, EveryValueTypeSurvives) {
  std::string path = test::temp_dir() + "/values.gguf";
  write_gguf(path, all_value_types(), {});
  GgufFile g = read_gguf(path);
  EXPECT_EQ(g.version, 3u);
  EXPECT_EQ(g.alignment, 32u);
  EXPECT_TRUE(g.tensors.empty());
  EXPECT_EQ(g.get("t.u8").type, GgufType::UINT8);
  EXPECT_EQ(g.get_int("t.u8"), 200);
  EXPECT_EQ(g.get_int("t.i8"), -100);
  EXPECT_EQ(g.get_int("t.u16"), 60000);
  EXPECT_EQ(g.get_int("t.i16"), -30000);
  EXPECT_EQ(g.get_int("t.u32"), 4000000000ll);
  EXPECT_EQ(g.get_int("t.i32"), -2000000000);
  EXPECT_EQ(std::get<uint64_t>(g.get("t.u64").value), 18000000000000000000ull);
  EXPECT_THROW(g.get_int("t.u64"), Error);  // does not fit int64
  EXPECT_EQ(g.get_int("t.i64"), -9000000000000000000ll);
  EXPECT_EQ(*g.find_float("t.f32"), double(0.1f));
  EXPECT_EQ(*g.find_float("t.f64"), 0.1);
  EXPECT_EQ(g.get("t.f64").type, GgufType::FLOAT64);
  EXPECT_TRUE(g.get("t.bool").as_bool());
  EXPECT_EQ(*g.find_string("t.str"), std::string("h\xc3\xa9llo\0x", 8));
  EXPECT_EQ(*g.find_string("t.empty_str"), "");
  const auto& strs = g.get("t.strs").as_array();
  EXPECT_EQ(strs.elem_type, GgufType::STRING);
  ASSERT_EQ(strs.items.size(), 3u);
  EXPECT_EQ(strs.items[2].as_string(), "ccc");
  const auto& f32s = g.get("t.f32s").as_array();
  EXPECT_EQ(f32s.items[1].as_float(), -2.25);
  EXPECT_EQ(g.get("t.i32s").as_array().items[1].as_int(), -2);
  EXPECT_TRUE(g.get("t.empty_arr").as_array().items.empty());
  const auto& nested = g.get("t.nested").as_array();
  ASSERT_EQ(nested.items.size(), 3u);
  EXPECT_EQ(nested.items[0].as_array().items[1].as_int(), 2);
  EXPECT_TRUE(nested.items[1].as_array().items.empty());
  EXPECT_EQ(nested.items[2].as_array().items[0].as_array().items[0].as_string(), "x");
  // Lookups that fail name the file and the key.
  EXPECT_FALSE(g.find_int("absent").has_value());
  try {
    g.get("absent");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("absent"), std::string::npos);
  }
  try {
    g.find_string("t.u32");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("t.u32"), std::string::npos);
  }
}

TEST(GgufRoundTrip, TensorsShapesOffsetsAndData) {
  for (uint64_t alignment : {1ull, 32ull, 64ull, 4096ull}) {
    std::string path = test::temp_dir() + "/tensors.gguf";
    std::vector<GgufWriteTensor> ts;
    ts.push_back({"a", DType::F32, {2, 3}, f32_bytes({1, 2, 3, 4, 5, 6})});
    ts.push_back({"b.scalar", DType::F32, {}, f32_bytes({7})});
    ts.push_back({"c", DType::Q8_0, {1, 32}, std::vector<unsigned char>(34, 1)});
    ts.push_back({"d", DType::F16, {1, 1, 1, 3}, std::vector<unsigned char>(6, 0x3c)});
    write_gguf(path, {{"general.architecture", gguf_str("test")}}, ts, alignment);
    GgufFile g = read_gguf(path);
    EXPECT_EQ(g.alignment, alignment);
    EXPECT_EQ(g.has("general.alignment"), alignment != 32);
    EXPECT_EQ(g.data_offset % alignment, 0u);
    ASSERT_EQ(g.tensors.size(), 4u);
    EXPECT_EQ(g.tensors[0].name, "a");
    EXPECT_EQ(g.tensors[0].shape, (Shape{2, 3}));
    EXPECT_EQ(g.tensors[0].nbytes, 24u);
    EXPECT_EQ(g.tensors[1].shape, Shape{});
    EXPECT_EQ(g.tensors[2].dtype, DType::Q8_0);
    EXPECT_EQ(g.tensors[2].nbytes, 34u);
    EXPECT_EQ(g.tensors[3].shape, (Shape{1, 1, 1, 3}));
    for (const auto& t : g.tensors) EXPECT_EQ(t.offset % alignment, 0u);
    TensorView a = g.view(*g.find_tensor("a"));
    EXPECT_EQ(a.rows(), 2);
    EXPECT_EQ(static_cast<const float*>(a.data)[5], 6.0f);
    TensorView b = g.view(*g.find_tensor("b.scalar"));
    EXPECT_EQ(static_cast<const float*>(b.data)[0], 7.0f);
    TensorView c = g.view(*g.find_tensor("c"));
    EXPECT_EQ(static_cast<const unsigned char*>(c.data)[33], 1);
    EXPECT_EQ(g.find_tensor("nope"), nullptr);
  }
}

TEST(GgufRoundTrip, WriterRejectsBadInput) {
  std::string path = test::temp_dir() + "/bad.gguf";
  std::vector<GgufWriteTensor> wrong_size = {{"a", DType::F32, {2}, std::vector<unsigned char>(4)}};
  EXPECT_THROW(write_gguf(path, {}, wrong_size), Error);
  std::vector<GgufWriteTensor> bad_block = {
      {"a", DType::Q8_0, {16}, std::vector<unsigned char>(17)}};
  EXPECT_THROW(write_gguf(path, {}, bad_block), Error);
  std::vector<GgufWriteTensor> dup = {{"a", DType::F32, {1}, f32_bytes({1})},
                                      {"a", DType::F32, {1}, f32_bytes({1})}};
  EXPECT_THROW(write_gguf(path, {}, dup), Error);
  std::vector<GgufWriteTensor> five_dims = {{"a", DType::F32, {1, 1, 1, 1, 1}, f32_bytes({1})}};
  EXPECT_THROW(write_gguf(path, {}, five_dims), Error);
  EXPECT_THROW(write_gguf(path, {{"k", GgufValue{GgufType::UINT8, uint64_t(256)}}}, {}), Error);
  EXPECT_THROW(write_gguf(path, {{"k", GgufValue{GgufType::STRING, uint64_t(1)}}}, {}), Error);
  EXPECT_THROW(write_gguf(path, {{"k", gguf_array(GgufType::INT32, {gguf_str("x")})}}, {}), Error);
  EXPECT_THROW(write_gguf(path, {}, {}, 3), Error);
}

}  // namespace
}  // namespace knowscope
