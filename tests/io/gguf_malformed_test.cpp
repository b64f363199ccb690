// Malformed GGUF files: each must fail with an Error naming the file and the field at fault.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "io/mem_file.h"
#include "knowscope/core/error.h"
#include "knowscope/io/gguf.h"
#include "test_paths.h"

namespace knowscope {
namespace {

// Byte-level GGUF builder, so that every field can be made wrong on purpose.
struct Bytes {
  std::string b;
  template <typename T>
  Bytes& put(T v) {
    char tmp[sizeof(T)];
    std::memcpy(tmp, &v, sizeof(T));
    b.append(tmp, sizeof(T));
    return *this;
  }
  Bytes& str(const std::string& s) {
    put<uint64_t>(s.size());
    b += s;
    return *this;
  }
  Bytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    b += "GGUF";
    return put<uint32_t>(version).put<uint64_t>(n_tensors).put<uint64_t>(n_kv);
  }
  Bytes& kv_u32(const std::string& key, uint32_t v) {
    return str(key).put<uint32_t>(uint32_t(GgufType::UINT32)).put<uint32_t>(v);
  }
  // Tensor info with ne in GGUF order (innermost first).
  Bytes& tensor(const std::string& name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset) {
    str(name).put<uint32_t>(uint32_t(ne.size()));
    for (uint64_t d : ne) put<uint64_t>(d);
    return put<uint32_t>(type).put<uint64_t>(offset);
  }
  Bytes& pad(size_t alignment = 32) {
    b.resize((b.size() + alignment - 1) / alignment * alignment, '\0');
    return *this;
  }
  Bytes& zeros(size_t n) {
    b.append(n, '\0');
    return *this;
  }
};

std::string write_temp(const std::string& bytes, const std::string& name = "bad.gguf") {
  std::string path = test::temp_dir() + "/" + name;
  std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
  return path;
}

// Reading `bytes` must throw an Error whose message contains the path and every `parts`.
void expect_error(const std::string& bytes, std::vector<std::string> parts) {
  std::string path = write_temp(bytes);
  try {
    read_gguf(path);
    ADD_FAILURE() << "no error; expected one mentioning " << parts[0];
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    for (const auto& p : parts)
      EXPECT_NE(what.find(p), std::string::npos) << "'" << p << "' not in: " << what;
  }
}

constexpr uint32_t kF32 = 0, kQ4_K = 12;

TEST(GgufMalformed, ValidBaselineReads) {
  Bytes g;
  g.header(1, 1).kv_u32("a.b", 1).tensor("t", {4}, kF32, 0).pad().zeros(16);
  EXPECT_NO_THROW(read_gguf(write_temp(g.b)));
}

TEST(GgufMalformed, MagicAndVersion) {
  expect_error("", {"magic"});
  expect_error("GGU", {"magic"});
  expect_error("GGML\x03\0\0\0", {"magic", "not a GGUF file"});
  Bytes v1;
  v1.header(0, 0, 1);
  expect_error(v1.b, {"version", "v1"});
  Bytes v4;
  v4.header(0, 0, 4);
  expect_error(v4.b, {"version", "4"});
  Bytes be;
  be.header(0, 0, 0x03000000);
  expect_error(be.b, {"version", "big-endian"});
  expect_error(std::string("GGUF\x03\0\0\0", 8), {"tensor_count"});  // truncated header
}

TEST(GgufMalformed, AbsurdCounts) {
  Bytes t;
  t.header(uint64_t(1) << 60, 0);
  expect_error(t.b, {"tensor_count"});
  Bytes k;
  k.header(0, uint64_t(1) << 60);
  expect_error(k.b, {"metadata_kv_count"});
  Bytes fits_header_not_infos;  // the kv count leaves no room for the declared tensor infos
  fits_header_not_infos.header(3, 1).kv_u32("a", 1).zeros(40);
  expect_error(fits_header_not_infos.b, {"tensor"});
}

TEST(GgufMalformed, StringsAndValues) {
  Bytes key_len;
  key_len.header(0, 1).put<uint64_t>(1000).zeros(20);
  expect_error(key_len.b, {"metadata #0 key", "string length 1000"});
  Bytes val_len;
  val_len.header(0, 1).str("k.s").put<uint32_t>(uint32_t(GgufType::STRING)).put<uint64_t>(~0ull);
  expect_error(val_len.b, {"metadata 'k.s'", "string length"});
  Bytes vtype;
  vtype.header(0, 1).str("k.t").put<uint32_t>(13).put<uint32_t>(0);
  expect_error(vtype.b, {"metadata 'k.t'", "unknown value type 13"});
  Bytes etype;
  etype.header(0, 1)
      .str("k.a")
      .put<uint32_t>(uint32_t(GgufType::ARRAY))
      .put<uint32_t>(99)
      .put<uint64_t>(0);
  expect_error(etype.b, {"metadata 'k.a'", "unknown array element type 99"});
  Bytes alen;
  alen.header(0, 1).str("k.a").put<uint32_t>(uint32_t(GgufType::ARRAY));
  alen.put<uint32_t>(uint32_t(GgufType::UINT32)).put<uint64_t>(uint64_t(1) << 40).zeros(16);
  expect_error(alen.b, {"metadata 'k.a'", "array length"});
  Bytes deep;
  deep.header(0, 1).str("k.deep").put<uint32_t>(uint32_t(GgufType::ARRAY));
  for (int i = 0; i < 40; ++i) deep.put<uint32_t>(uint32_t(GgufType::ARRAY)).put<uint64_t>(1);
  deep.put<uint32_t>(uint32_t(GgufType::UINT8)).put<uint64_t>(0);
  expect_error(deep.b, {"metadata 'k.deep'", "nested"});
  Bytes boolean;
  boolean.header(0, 1).str("k.b").put<uint32_t>(uint32_t(GgufType::BOOL)).put<uint8_t>(2);
  expect_error(boolean.b, {"metadata 'k.b'", "bool"});
  Bytes dup;
  dup.header(0, 2).kv_u32("k.d", 1).kv_u32("k.d", 2);
  expect_error(dup.b, {"metadata 'k.d'", "duplicate"});
  Bytes truncated_value;
  truncated_value.header(0, 1)
      .str("k.u64")
      .put<uint32_t>(uint32_t(GgufType::UINT64))
      .put<uint32_t>(1);
  expect_error(truncated_value.b, {"metadata 'k.u64'", "truncated"});
}

TEST(GgufMalformed, Alignment) {
  for (uint32_t a : {0u, 3u, 48u, 1u << 31}) {
    Bytes g;
    g.header(0, 1).kv_u32("general.alignment", a);
    expect_error(g.b, {"general.alignment", "power of two"});
  }
  Bytes s;
  s.header(0, 1).str("general.alignment").put<uint32_t>(uint32_t(GgufType::STRING)).str("32");
  expect_error(s.b, {"general.alignment", "integer"});
}

TEST(GgufMalformed, TensorInfos) {
  Bytes dims;
  dims.header(1, 0).tensor("t5", {1, 1, 1, 1, 1}, kF32, 0).pad().zeros(32);
  expect_error(dims.b, {"tensor 't5' n_dims", "5 dimensions"});
  Bytes neg;
  neg.header(1, 0).tensor("tn", {~0ull}, kF32, 0).pad().zeros(32);
  expect_error(neg.b, {"tensor 'tn' ne[0]"});
  Bytes overflow;
  overflow.header(1, 0).tensor("to", {uint64_t(1) << 32, uint64_t(1) << 32}, kF32, 0).pad();
  expect_error(overflow.b, {"tensor 'to' shape", "overflows"});
  Bytes bytes_overflow;  // element count fits int64, byte size does not
  bytes_overflow.header(1, 0).tensor("tb", {uint64_t(1) << 31, uint64_t(1) << 31}, kF32, 0).pad();
  expect_error(bytes_overflow.b, {"tensor 'tb'", "overflows"});
  Bytes type;
  type.header(1, 0).tensor("tt", {4}, 4, 0).pad().zeros(32);  // 4 was Q4_2, removed from ggml
  expect_error(type.b, {"tensor 'tt' type", "unknown"});
  Bytes type_big;
  type_big.header(1, 0).tensor("tt", {4}, 1000, 0).pad().zeros(32);
  expect_error(type_big.b, {"tensor 'tt' type", "1000"});
  Bytes block;
  block.header(1, 0).tensor("tq", {100, 2}, kQ4_K, 0).pad().zeros(512);
  expect_error(block.b, {"tensor 'tq' shape", "block size"});
  Bytes name_len;
  name_len.header(1, 0).put<uint64_t>(1 << 20).zeros(30);
  expect_error(name_len.b, {"tensor #0 name", "string length"});
  Bytes dup;
  dup.header(2, 0).tensor("same", {8}, kF32, 0).tensor("same", {8}, kF32, 32).pad().zeros(64);
  expect_error(dup.b, {"tensor 'same'", "duplicate"});
  Bytes truncated_info;
  truncated_info.header(1, 0).str("cut_tensor_name").put<uint32_t>(2).put<uint64_t>(4);
  expect_error(truncated_info.b, {"tensor 'cut_tensor_name' ne[1]", "truncated"});
}

TEST(GgufMalformed, TensorData) {
  Bytes past;
  past.header(1, 0).tensor("big", {64}, kF32, 0).pad().zeros(100);  // needs 256 bytes
  expect_error(past.b, {"tensor 'big' offset", "past the end"});
  Bytes offset_past;
  offset_past.header(1, 0).tensor("far", {4}, kF32, uint64_t(1) << 62).pad().zeros(32);
  expect_error(offset_past.b, {"tensor 'far' offset", "past the end"});
  Bytes offset_wrap;  // offset + nbytes wraps around 2^64
  offset_wrap.header(1, 0).tensor("wrap", {4}, kF32, ~uint64_t(0) - 31).pad().zeros(32);
  expect_error(offset_wrap.b, {"tensor 'wrap' offset"});
  Bytes misaligned;
  misaligned.header(1, 0).tensor("mis", {4}, kF32, 4).pad().zeros(64);
  expect_error(misaligned.b, {"tensor 'mis' offset", "alignment 32"});
  Bytes overlap;
  overlap.header(2, 0).tensor("first", {16}, kF32, 0).tensor("second", {16}, kF32, 32);
  overlap.pad().zeros(128);
  expect_error(overlap.b, {"tensor 'second' offset", "overlaps tensor 'first'"});
  Bytes no_data;  // data section starts past the end of the file
  no_data.header(1, 0).tensor("t", {4}, kF32, 0);
  expect_error(no_data.b, {"tensor 't' offset", "past the end"});
}

TEST(GgufMalformed, TruncatedAtEveryByteOfAValidFile) {
  std::vector<GgufWriteTensor> ts = {{"w", DType::Q8_0, {2, 32}, std::vector<unsigned char>(68, 7)},
                                     {"b", DType::F32, {3}, std::vector<unsigned char>(12, 0)}};
  std::string src = test::temp_dir() + "/valid.gguf";
  write_gguf(src,
             {{"general.architecture", gguf_str("x")},
              {"a.list", gguf_str_array({"one", "two"})},
              {"a.f", gguf_f32(1.5f)}},
             ts);
  std::ifstream in(src, std::ios::binary);
  std::string full((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  GgufFile ok = read_gguf(src);
  const auto& last = ok.tensors.back();
  const size_t data_end = ok.data_offset + last.offset + last.nbytes;
  test::MemFile mem;
  const std::string& path = mem.path();
  for (size_t cut = 0; cut < full.size(); ++cut) {
    mem.set(full.substr(0, cut));
    if (cut >= data_end) {  // only padding after the last tensor is missing: still valid
      EXPECT_NO_THROW(read_gguf(path)) << cut;
      continue;
    }
    try {
      read_gguf(path);
      ADD_FAILURE() << "cut at " << cut << " of " << full.size() << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace knowscope
