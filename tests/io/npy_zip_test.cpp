// .npz (zip of .npy): archives numpy wrote with np.savez (stored) and np.savez_compressed
// (deflated), our writer, and corrupted archives.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "io/mem_file.h"
#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/io/npy.h"
#include "test_paths.h"

namespace knowscope {
namespace {

void check_members(const std::map<std::string, NpyArray>& m) {
  auto exp =
      nlohmann::json::parse(read_file(test::fixture("sae/npy/expected.json")))["npz_members"];
  ASSERT_EQ(m.size(), exp.size());
  for (auto& [name, e] : exp.items()) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(m.count(name));
    const NpyArray& a = m.at(name);
    EXPECT_EQ(a.descr(), e["descr"].get<std::string>());
    EXPECT_EQ(a.shape, e["shape"].get<Shape>());
    std::vector<double> want = e["values"];
    if (a.type == NpyType::I64) {
      auto v = npy_to_i64(a, name);
      for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(double(v[i]), want[i]);
    } else {
      auto v = npy_to_f32(a, name);
      for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(v[i], float(want[i]));
    }
  }
}

TEST(Npz, ReadsNumpySavezStored) { check_members(read_npz(test::fixture("sae/npy/stored.npz"))); }

TEST(Npz, ReadsNumpySavezCompressed) {
  check_members(read_npz(test::fixture("sae/npy/compressed.npz")));
}

TEST(Npz, WriterRoundTripsStoredAndDeflated) {
  std::string dir = test::temp_dir();
  std::vector<float> big(5000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = float(i % 17) * 0.5f;
  std::vector<int64_t> iv = {3, -4, 5, -6};
  std::map<std::string, NpyArray> m = {{"big", npy_from_f32(big.data(), {50, 100})},
                                       {"ints", npy_from_i64(iv.data(), {2, 2})}};
  for (bool compress : {false, true}) {
    std::string path = dir + (compress ? "/c.npz" : "/s.npz");
    write_npz(path, m, compress);
    auto back = read_npz(path);
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back.at("big").data, m.at("big").data);
    EXPECT_EQ(back.at("ints").data, m.at("ints").data);
    EXPECT_EQ(back.at("big").shape, (Shape{50, 100}));
  }
  // Compression works on this repetitive data.
  EXPECT_LT(read_file(dir + "/c.npz").size(), read_file(dir + "/s.npz").size() / 4);
}

// Little-endian field access in an archive image.
uint32_t get32(const std::string& b, size_t at) {
  uint32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}
void put32(std::string& b, size_t at, uint32_t v) { std::memcpy(b.data() + at, &v, 4); }
void put16(std::string& b, size_t at, uint16_t v) { std::memcpy(b.data() + at, &v, 2); }
size_t find_sig(const std::string& b, uint32_t sig, size_t from = 0) {
  for (size_t i = from; i + 4 <= b.size(); ++i)
    if (get32(b, i) == sig) return i;
  return std::string::npos;
}

void expect_fail(const std::string& bytes, const std::string& part) {
  test::MemFile f;
  f.set(bytes);
  try {
    read_npz(f.path());
    ADD_FAILURE() << "no error, expected one mentioning '" << part << "'";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(f.path()), std::string::npos) << what;
    EXPECT_NE(what.find(part), std::string::npos) << "'" << part << "' not in: " << what;
  }
}

TEST(NpzMalformed, CorruptionsAreCaught) {
  const std::string stored = read_file(test::fixture("sae/npy/stored.npz"));
  const std::string deflated = read_file(test::fixture("sae/npy/compressed.npz"));
  expect_fail("", "too small");
  expect_fail(std::string(100, 'x'), "end of central directory");
  expect_fail(stored.substr(0, stored.size() - 10), "end of central directory");
  expect_fail(stored.substr(0, stored.size() / 2), "end of central directory");

  // A flipped data byte: CRC-32 mismatch (stored) or corrupt deflate / CRC (deflated).
  {
    std::string b = stored;
    size_t lh = find_sig(b, 0x04034b50);
    size_t data = lh + 30 + get32(b, lh + 26) % 65536 + (get32(b, lh + 28) & 0xffff) + 100;
    b[data] ^= 0x55;
    expect_fail(b, "CRC-32 mismatch");
  }
  {
    std::string b = deflated;
    b[b.size() / 2] ^= 0x5a;  // inside the largest member's deflate stream
    expect_fail(b, "zip entry");
  }
  // Central directory offset past the file.
  {
    std::string b = stored;
    size_t eocd = find_sig(b, 0x06054b50, b.size() - 22);
    put32(b, eocd + 16, uint32_t(b.size() + 5));
    expect_fail(b, "zip central directory");
  }
  // Local header offset of the first entry pointing into the middle of nowhere.
  {
    std::string b = stored;
    size_t cd = find_sig(b, 0x02014b50);
    put32(b, cd + 42, 7);
    expect_fail(b, "local header");
  }
  // Compressed size larger than the data area.
  {
    std::string b = stored;
    size_t cd = find_sig(b, 0x02014b50);
    put32(b, cd + 20, 0x7fffffff);
    put32(b, cd + 24, 0x7fffffff);
    expect_fail(b, "zip entry");
  }
  // Unsupported method and encryption flag.
  {
    std::string b = stored;
    size_t cd = find_sig(b, 0x02014b50);
    put16(b, cd + 10, 12);  // bzip2
    expect_fail(b, "compression method 12");
  }
  {
    std::string b = stored;
    size_t cd = find_sig(b, 0x02014b50);
    put16(b, cd + 8, 1);
    expect_fail(b, "encrypted");
  }
  // Uncompressed size that disagrees with the deflate stream.
  {
    std::string b = deflated;
    size_t cd = find_sig(b, 0x02014b50);
    put32(b, cd + 24, get32(b, cd + 24) + 1);
    expect_fail(b, "inflated to");
  }
  // A member that is not .npy.
  {
    std::string b = stored;
    size_t cd = find_sig(b, 0x02014b50), lh = find_sig(b, 0x04034b50);
    size_t name_len = get32(b, cd + 28) & 0xffff;
    b[cd + 46 + name_len - 1] = 'x';  // "alpha.npx"
    b[lh + 30 + name_len - 1] = 'x';
    expect_fail(b, "is not a .npy file");
  }
}

TEST(NpzFuzz, MutationsNeverCrash) {
  const std::string base = read_file(test::fixture("sae/npy/compressed.npz"));
  test::MemFile f;
  uint64_t state = 99;
  auto rnd = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  for (int it = 0; it < 600; ++it) {
    std::string b = base;
    int edits = 1 + int(rnd() % 6);
    for (int e = 0; e < edits; ++e) b[rnd() % b.size()] = char(rnd());
    if (rnd() % 7 == 0) b.resize(rnd() % b.size());
    f.set(b);
    try {
      auto m = read_npz(f.path());
      for (auto& kv : m)
        EXPECT_EQ(kv.second.data.size(), size_t(kv.second.numel()) * npy_item_size(kv.second.type));
    } catch (const Error&) {
    }
  }
}

}  // namespace
}  // namespace knowscope
