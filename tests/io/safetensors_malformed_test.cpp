// Malformed safetensors files: each must fail with an Error naming the file and the field.
#include <gtest/gtest.h>

#include <cstring>

#include "io/mem_file.h"
#include "knowscope/core/error.h"
#include "knowscope/io/safetensors.h"

namespace knowscope {
namespace {

// u64 header length + header + data.
std::string st_file(const std::string& header, size_t data_bytes, uint64_t claimed_len = ~0ull) {
  uint64_t n = claimed_len == ~0ull ? header.size() : claimed_len;
  std::string out(8, '\0');
  std::memcpy(out.data(), &n, 8);
  return out + header + std::string(data_bytes, '\0');
}

void expect_error(const std::string& bytes, std::vector<std::string> parts) {
  test::MemFile f;
  f.set(bytes);
  try {
    read_safetensors(f.path());
    ADD_FAILURE() << "no error; expected one mentioning " << parts[0];
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(f.path()), std::string::npos) << what;
    for (const auto& p : parts)
      EXPECT_NE(what.find(p), std::string::npos) << "'" << p << "' not in: " << what;
  }
}

TEST(SafetensorsMalformed, ValidBaselineReads) {
  test::MemFile f;
  f.set(st_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8));
  EXPECT_EQ(read_safetensors(f.path()).tensors.at("a").numel(), 2);
}

TEST(SafetensorsMalformed, HeaderLength) {
  expect_error("", {"header length", "too short"});
  expect_error("1234567", {"header length"});
  expect_error(st_file("{}", 0, 1000), {"header length", "do not fit"});
  expect_error(st_file("{}", 0, ~0ull - 1), {"header length"});
}

TEST(SafetensorsMalformed, HeaderJson) {
  expect_error(st_file("{not json", 0), {"header", "invalid JSON"});
  expect_error(st_file("", 0), {"header", "invalid JSON"});
  expect_error(st_file("[1,2]", 0), {"header", "JSON object"});
  expect_error(st_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                       R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                       8),
               {"tensor 'a'", "duplicate"});
  expect_error(st_file(R"({"__metadata__":{"k":1}})", 0), {"__metadata__ 'k'", "string"});
  expect_error(st_file(R"({"__metadata__":[]})", 0), {"__metadata__"});
  expect_error(st_file(R"({"a":5})", 0), {"tensor 'a'"});
}

TEST(SafetensorsMalformed, TensorFields) {
  expect_error(st_file(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", 4),
               {"tensor 'a' dtype", "missing"});
  expect_error(st_file(R"({"a":{"dtype":"F32","data_offsets":[0,4]}})", 4),
               {"tensor 'a' shape", "missing"});
  expect_error(st_file(R"({"a":{"dtype":"F32","shape":[1]}})", 4),
               {"tensor 'a' data_offsets", "missing"});
  expect_error(st_file(R"({"a":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}})", 4),
               {"tensor 'a' dtype", "unknown dtype 'F31'"});
  expect_error(st_file(R"({"a":{"dtype":7,"shape":[1],"data_offsets":[0,4]}})", 4),
               {"tensor 'a' dtype"});
  expect_error(st_file(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4),
               {"tensor 'a' shape", "non-negative"});
  expect_error(st_file(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", 4),
               {"tensor 'a' shape"});
  expect_error(st_file(R"({"a":{"dtype":"F32","shape":{},"data_offsets":[0,4]}})", 4),
               {"tensor 'a' shape"});
  expect_error(
      st_file(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", 4),
      {"tensor 'a' shape", "overflows"});
  expect_error(
      st_file(R"({"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,4]}})", 4),
      {"tensor 'a' shape", "overflows"});
  expect_error(st_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", 4),
               {"tensor 'a' data_offsets", "[begin, end]"});
  expect_error(st_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", 4),
               {"tensor 'a' data_offsets", "begin"});
  expect_error(st_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", 8),
               {"tensor 'a' data_offsets", "needs 8"});
  expect_error(st_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4),
               {"tensor 'a' data_offsets", "past the end"});
  expect_error(
      st_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,0]}})", 4),
      {"tensor 'a' data_offsets"});
  expect_error(st_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                       R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                       12),
               {"tensor 'b' data_offsets", "overlaps tensor 'a'"});
  // Unsupported-but-valid dtypes are validated too.
  expect_error(st_file(R"({"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,2]}})", 4),
               {"tensor 'm' data_offsets", "needs 3"});
}

}  // namespace
}  // namespace knowscope
