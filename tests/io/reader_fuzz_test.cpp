// A quick deterministic fuzz loop over the GGUF and safetensors readers: mutate bytes of a small
// valid file thousands of times. Every variant must either read (and then every tensor must be
// readable end to end) or throw knowscope::Error; anything else (another exception, a crash, an
// out-of-bounds read under ASan) fails. The libFuzzer targets in fuzz/ do the same, open-ended.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "io/mem_file.h"
#include "knowscope/core/error.h"
#include "knowscope/core/quant.h"
#include "knowscope/io/gguf.h"
#include "knowscope/io/safetensors.h"
#include "test_paths.h"

namespace knowscope {
namespace {

std::string slurp(const std::string& path) {
  MappedFile f(path);
  return std::string(reinterpret_cast<const char*>(f.data()), f.size());
}

std::string seed_gguf() {
  std::string path = test::temp_dir() + "/seed.gguf";
  std::vector<GgufWriteTensor> ts = {
      {"q8", DType::Q8_0, {2, 32}, std::vector<unsigned char>(68, 3)},
      {"q4k", DType::Q4_K, {1, 256}, std::vector<unsigned char>(144, 0x11)},
      {"f32", DType::F32, {3}, std::vector<unsigned char>(12, 0)},
      {"f16", DType::F16, {2, 2}, std::vector<unsigned char>(8, 0x3c)}};
  write_gguf(path,
             {{"general.architecture", gguf_str("fuzz")},
              {"a.u32", gguf_u32(7)},
              {"a.strs", gguf_str_array({"x", "yy", ""})},
              {"a.f32s", gguf_f32_array({1, 2})},
              {"a.nested", gguf_array(GgufType::ARRAY, {gguf_i32_array({1})})}},
             ts);
  return slurp(path);
}

std::string seed_safetensors() {
  std::string path = test::temp_dir() + "/seed.safetensors";
  write_safetensors(path,
                    {{"w", DType::F32, {2, 2}, std::vector<unsigned char>(16, 1)},
                     {"b", DType::BF16, {3}, std::vector<unsigned char>(6, 2)},
                     {"i", DType::I64, {1}, std::vector<unsigned char>(8, 3)}},
                    {{"format", "pt"}});
  return slurp(path);
}

std::string mutate(const std::string& in, std::mt19937_64& rng) {
  std::string s = in;
  auto pick = [&](size_t n) { return n == 0 ? size_t(0) : size_t(rng() % n); };
  const uint64_t interesting[] = {0,
                                  1,
                                  0x7f,
                                  0xff,
                                  0xffff,
                                  0xffffffffull,
                                  0x100000000ull,
                                  0x7fffffffffffffffull,
                                  ~0ull,
                                  uint64_t(in.size()),
                                  uint64_t(in.size()) - 8,
                                  32,
                                  12,
                                  9};
  int ops = 1 + int(rng() % 4);
  for (int k = 0; k < ops && !s.empty(); ++k) {
    switch (rng() % 7) {
      case 0:
        s[pick(s.size())] = char(rng());
        break;
      case 1:
        s[pick(s.size())] ^= char(1 << (rng() % 8));
        break;
      case 2: {  // an interesting integer, anywhere (most fields are 4 or 8 bytes)
        uint64_t v = interesting[rng() % std::size(interesting)];
        size_t width = (rng() & 1) ? 8 : 4;
        size_t at = pick(s.size());
        std::memcpy(s.data() + at, &v, std::min(width, s.size() - at));
        break;
      }
      case 3:
        s.resize(pick(s.size()));
        break;
      case 4: {  // duplicate a chunk
        size_t a = pick(s.size()), len = std::min<size_t>(1 + rng() % 16, s.size() - a);
        s.insert(pick(s.size()), s.substr(a, len));
        break;
      }
      case 5:
        s.erase(pick(s.size()), 1 + rng() % 8);
        break;
      case 6: {  // JSON-ish characters, for safetensors headers
        const char chars[] = "{}[]\",:0123456789-e.";
        s[pick(std::min<size_t>(s.size(), 200))] = chars[rng() % (sizeof(chars) - 1)];
        break;
      }
    }
  }
  return s;
}

// Reads every byte of a tensor the way the engine would.
void touch(const TensorView& v) {
  const auto& info = dtype_info(v.dtype);
  if (v.dtype == DType::Q8_1 || v.numel() == 0) return;
  std::vector<float> row(size_t(v.cols())), x(size_t(v.cols()), 1.0f);
  volatile float sink = 0;
  for (int64_t r = 0; r < v.rows(); ++r) {
    ASSERT_LE(size_t(r + 1) * v.row_bytes(), v.nbytes);
    dequantize_row(v.dtype, v.row(r), row.data(), v.cols());
    if (info.block_size > 1 || v.dtype == DType::F32 || v.dtype == DType::F16 ||
        v.dtype == DType::BF16)
      sink = sink + dot_row(v.dtype, v.row(r), x.data(), v.cols());
  }
}

constexpr int kIterations = 3000;

TEST(ReaderFuzz, GgufMutationsNeverCrash) {
  const std::string seed = seed_gguf();
  std::mt19937_64 rng(12345);
  test::MemFile f;
  int accepted = 0;
  for (int i = 0; i < kIterations; ++i) {
    f.set(mutate(seed, rng));
    try {
      GgufFile g = read_gguf(f.path());
      ++accepted;
      for (const auto& [k, v] : g.metadata) (void)k, (void)v.type;
      for (const auto& t : g.tensors) touch(g.view(t));
    } catch (const Error&) {
    } catch (const std::exception& e) {
      FAIL() << "iteration " << i << ": non-Error exception: " << e.what();
    }
  }
  // Some mutations only touch tensor data or string contents: those must still read.
  EXPECT_GT(accepted, kIterations / 50);
  EXPECT_LT(accepted, kIterations);
}

TEST(ReaderFuzz, SafetensorsMutationsNeverCrash) {
  const std::string seed = seed_safetensors();
  std::mt19937_64 rng(67890);
  test::MemFile f;
  int accepted = 0;
  for (int i = 0; i < kIterations; ++i) {
    f.set(mutate(seed, rng));
    try {
      SafetensorsFile st = read_safetensors(f.path());
      ++accepted;
      for (const auto& [name, v] : st.tensors) {
        std::vector<float> out(size_t(v.numel()));
        ASSERT_LE(size_t(v.numel()) * dtype_info(v.dtype).block_bytes, v.nbytes);
        dequantize_row(v.dtype, v.data, out.data(), v.numel());
      }
    } catch (const Error&) {
    } catch (const std::exception& e) {
      FAIL() << "iteration " << i << ": non-Error exception: " << e.what();
    }
  }
  EXPECT_GT(accepted, kIterations / 50);
  EXPECT_LT(accepted, kIterations);
}

}  // namespace
}  // namespace knowscope
