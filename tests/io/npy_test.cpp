// .npy reading against files numpy wrote (tools/make_sae_fixtures.py), writing, and malformed
// headers.
#include "knowscope/io/npy.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "test_paths.h"

namespace knowscope {
namespace {

nlohmann::json expected_json() {
  return nlohmann::json::parse(read_file(test::fixture("sae/npy/expected.json")));
}

std::vector<double> as_doubles(const NpyArray& a) {
  std::vector<double> out;
  if (a.type == NpyType::F16 || a.type == NpyType::F32 || a.type == NpyType::F64) {
    for (float v : npy_to_f32(a, "test")) out.push_back(v);
  } else {
    for (int64_t v : npy_to_i64(a, "test")) out.push_back(double(v));
  }
  return out;
}

TEST(Npy, ReadsEveryNumpyFixture) {
  auto exp = expected_json();
  int checked = 0;
  for (auto& [name, e] : exp.items()) {
    if (name == "npz_members") continue;
    SCOPED_TRACE(name);
    NpyArray a = read_npy(test::fixture("sae/npy/" + name + ".npy"));
    EXPECT_EQ(a.descr(), e["descr"].get<std::string>());
    EXPECT_EQ(a.shape, e["shape"].get<Shape>());
    std::vector<double> want = e["values"].get<std::vector<double>>();
    std::vector<double> got = as_doubles(a);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      // float32/float16 files hold the float-rounded values numpy printed as doubles
      double tol = a.type == NpyType::F16 ? 1e-3 : a.type == NpyType::F32 ? 1e-6 : 0.0;
      EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::fabs(want[i]))) << i;
    }
    ++checked;
  }
  EXPECT_GE(checked, 13);
}

TEST(Npy, FortranOrderIsTransposedToCOrder) {
  NpyArray a = read_npy(test::fixture("sae/npy/fortran_f4.npy"));
  ASSERT_EQ(a.shape, (Shape{2, 3, 4}));
  std::vector<float> v = npy_to_f32(a, "t");
  for (int i = 0; i < 24; ++i) EXPECT_EQ(v[size_t(i)], float(i));  // np.arange(24).reshape(2,3,4)
}

TEST(Npy, WriteThenReadRoundTrips) {
  std::string dir = test::temp_dir();
  std::vector<float> v = {1.5f, -2.0f, 3.25f, 0.0f, 1e-30f, -7.0f};
  for (Shape shape : {Shape{2, 3}, Shape{6}, Shape{1, 2, 3}, Shape{}}) {
    NpyArray a = npy_from_f32(v.data(), shape);
    write_npy(dir + "/a.npy", a);
    NpyArray b = read_npy(dir + "/a.npy");
    EXPECT_EQ(b.shape, shape);
    EXPECT_EQ(b.data, a.data);
  }
  std::vector<int64_t> iv = {-5, 0, 1LL << 45};
  write_npy(dir + "/i.npy", npy_from_i64(iv.data(), {3}));
  EXPECT_EQ(npy_to_i64(read_npy(dir + "/i.npy"), "t"), iv);
  // The header is padded so that the data starts on a 64-byte boundary, as numpy does.
  EXPECT_EQ((npy_bytes(npy_from_f32(v.data(), {6})).size() - 24) % 64, 0u);
}

std::string header_file(const std::string& dict, size_t data_bytes, int major = 1) {
  std::string out = "\x93NUMPY";
  out.push_back(char(major));
  out.push_back(0);
  size_t n = dict.size();
  out.push_back(char(n & 0xff));
  out.push_back(char((n >> 8) & 0xff));
  if (major >= 2) {
    out.push_back(char((n >> 16) & 0xff));
    out.push_back(char((n >> 24) & 0xff));
  }
  return out + dict + std::string(data_bytes, '\0');
}

void expect_fail(const std::string& bytes, const std::string& part) {
  try {
    parse_npy(bytes, "file.npy");
    ADD_FAILURE() << "no error, expected one mentioning '" << part << "'";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("file.npy"), std::string::npos) << what;
    EXPECT_NE(what.find(part), std::string::npos) << "'" << part << "' not in: " << what;
  }
}

TEST(NpyMalformed, RejectedWithFieldNamed) {
  const std::string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";
  ASSERT_EQ(parse_npy(header_file(ok, 8), "x").numel(), 2);
  expect_fail("", "npy magic");
  expect_fail("\x93NUMPX\x01\x00\x00\x00", "npy magic");
  expect_fail(header_file(ok, 8, 4), "npy version");
  expect_fail(header_file(ok, 4), "needs 8 bytes, found 4");
  expect_fail(header_file(ok, 12), "needs 8 bytes, found 12");
  expect_fail(header_file(ok, 8).substr(0, 20), "npy header length");
  expect_fail(header_file("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8),
              "big-endian");
  expect_fail(header_file("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16),
              "'descr'");
  expect_fail(header_file("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8),
              "structured");
  expect_fail(header_file("{'descr': '<f4', 'shape': (2,), }", 8), "'fortran_order'");
  expect_fail(header_file("{'descr': '<f4', 'fortran_order': False, }", 8), "'shape'");
  expect_fail(header_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8),
              "unexpected or repeated key 'x'");
  expect_fail(header_file("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }", 8),
              "True or False");
  expect_fail(header_file("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", 8),
              "non-negative");
  expect_fail(header_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,) } junk", 8),
              "trailing");
  expect_fail(header_file("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, "
                          "99999999999, 99999999999), }",
                          8),
              "overflows");
}

TEST(NpyMalformed, ConversionRejectsWrongKind) {
  std::vector<int64_t> iv = {1, 2};
  NpyArray a = npy_from_i64(iv.data(), {2});
  EXPECT_THROW(npy_to_f32(a, "ints.npy"), Error);
  std::vector<float> fv = {1, 2};
  EXPECT_THROW(npy_to_i64(npy_from_f32(fv.data(), {2}), "floats.npy"), Error);
}

TEST(NpyFuzz, MutatedHeadersNeverCrash) {
  std::string base = read_file(test::fixture("sae/npy/f8_3d.npy"));
  uint64_t state = 12345;
  auto rnd = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  for (int it = 0; it < 3000; ++it) {
    std::string b = base;
    int edits = 1 + int(rnd() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rnd() % 128;  // header region
      if (pos < b.size()) b[pos] = char(rnd());
    }
    if (rnd() % 5 == 0) b.resize(rnd() % b.size());
    try {
      NpyArray a = parse_npy(b, "fuzz.npy");
      EXPECT_EQ(a.data.size(), size_t(a.numel()) * npy_item_size(a.type));
    } catch (const Error&) {
    }
  }
}

}  // namespace
}  // namespace knowscope
