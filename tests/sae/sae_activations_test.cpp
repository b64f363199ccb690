// Activation shards (writer + index + reader), the callback source, and the shuffle buffer.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/io/safetensors.h"
#include "knowscope/sae/activations.h"
#include "test_paths.h"

namespace knowscope {
namespace {
namespace fs = std::filesystem;

// Rows whose first column is the row number; the rest a function of it.
std::vector<float> numbered_rows(int64_t first, int64_t n, int64_t d) {
  std::vector<float> x(size_t(n * d));
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < d; ++i)
      x[size_t(r * d + i)] = i == 0 ? float(first + r) : float((first + r) % 7) * 0.5f + float(i);
  return x;
}

std::string write_shards(int64_t total, int64_t per_shard, DType dt = DType::F32) {
  std::string dir = test::temp_dir() + "/acts";
  ActivationShardWriter w(dir, 5, per_shard, dt, "blocks.6.hook_resid_post", "gemma-3-270m",
                          R"({"corpus": "test"})");
  std::vector<int32_t> tok;
  for (int64_t r = 0; r < total; r += 37) {
    int64_t n = std::min<int64_t>(37, total - r);
    auto x = numbered_rows(r, n, 5);
    tok.assign(size_t(n), 9);
    w.append(x.data(), n, tok.data());
  }
  EXPECT_FALSE(fs::exists(dir + "/index.json"));  // only finish() writes the index
  w.finish();
  return dir;
}

TEST(ActivationShards, WriterAndReaderAgree) {
  std::string dir = write_shards(1000, 300);
  ActivationIndex idx = read_activation_index(dir);
  EXPECT_EQ(idx.d_in, 5);
  EXPECT_EQ(idx.total_rows, 1000);
  ASSERT_EQ(idx.shards.size(), 4u);
  EXPECT_EQ(idx.shards[3].rows, 100);
  EXPECT_EQ(idx.hook_name, "blocks.6.hook_resid_post");
  EXPECT_EQ(nlohmann::json::parse(idx.metadata_json)["corpus"], "test");
  SafetensorsFile f = read_safetensors(dir + "/" + idx.shards[0].file);
  EXPECT_EQ(f.tensors.at("token_ids").shape, (Shape{300}));

  auto src = make_shard_source(dir, /*loop=*/false);
  std::vector<float> all(1200 * 5);
  int64_t got = 0, n;
  while ((n = src->read(all.data() + got * 5, 77)) > 0) got += n;
  EXPECT_EQ(got, 1000);
  auto want = numbered_rows(0, 1000, 5);
  all.resize(want.size());
  EXPECT_EQ(all, want);

  // Looping starts over; state/restore returns to a position.
  auto loop = make_shard_source(dir, true);
  std::vector<float> buf(1300 * 5);
  EXPECT_EQ(loop->read(buf.data(), 1300), 1300);
  EXPECT_EQ(buf[size_t(1000 * 5)], 0.0f);  // row 0 again
  std::string st = loop->state();
  std::vector<float> a(50 * 5), b(50 * 5);
  loop->read(a.data(), 50);
  auto again = make_shard_source(dir, true);
  again->restore(st);
  again->read(b.data(), 50);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a[0], 300.0f);
}

TEST(ActivationShards, Bf16ShardsConvert) {
  std::string dir = write_shards(100, 64, DType::BF16);
  auto src = make_shard_source(dir, false);
  std::vector<float> x(100 * 5);
  EXPECT_EQ(src->read(x.data(), 100), 100);
  auto want = numbered_rows(0, 100, 5);
  for (size_t i = 0; i < x.size(); ++i)
    EXPECT_NEAR(x[i], want[i], 0.01 * std::fabs(want[i]) + 1e-6);
}

TEST(ActivationShards, MalformedIndexAndShards) {
  std::string dir = write_shards(200, 100);
  const std::string idx_path = dir + "/index.json";
  const std::string good = read_file(idx_path);
  auto expect_fail = [&](const std::function<void(nlohmann::json&)>& edit,
                         const std::string& part) {
    auto j = nlohmann::json::parse(good);
    edit(j);
    write_file_atomic(idx_path, j.dump());
    try {
      auto src = make_shard_source(dir, false);
      std::vector<float> x(200 * 5);
      src->read(x.data(), 200);
      ADD_FAILURE() << "no error for " << part;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_fail([](auto& j) { j["format"] = "other"; }, "format");
  expect_fail([](auto& j) { j["total_rows"] = 201; }, "total_rows");
  expect_fail([](auto& j) { j["dtype"] = "int8"; }, "dtype");
  expect_fail([](auto& j) { j["shards"][0]["file"] = "../x.safetensors"; }, "shards[0].file");
  expect_fail(
      [](auto& j) {
        j["shards"][0]["rows"] = 99;
        j["total_rows"] = 199;
      },
      "index.json says");
  expect_fail([](auto& j) { j["d_in"] = 6; }, "index.json says");
  expect_fail([](auto& j) { j["dtype"] = "bfloat16"; }, "dtype");
  write_file_atomic(idx_path, good);
  fs::remove(dir + "/shard_00001.safetensors");
  auto src = make_shard_source(dir, false);
  std::vector<float> x(200 * 5);
  EXPECT_THROW(src->read(x.data(), 200), Error);
}

TEST(ShuffleBuffer, EveryRowOnceDeterministicAndRestorable) {
  std::string dir = write_shards(1000, 300);
  auto draw_all = [&](uint64_t seed) {
    auto src = make_shard_source(dir, false);
    ShuffleBuffer buf(*src, 256, seed);
    std::vector<float> ids, x(64 * 5);
    int64_t n;
    while ((n = buf.next_batch(x.data(), 64)) > 0)
      for (int64_t r = 0; r < n; ++r) ids.push_back(x[size_t(r * 5)]);
    return ids;
  };
  auto a = draw_all(1), b = draw_all(1), c = draw_all(2);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  ASSERT_EQ(a.size(), 1000u);
  std::vector<float> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(sorted[size_t(i)], float(i));
  int in_place = 0;
  for (int i = 0; i < 1000; ++i) in_place += a[size_t(i)] == float(i);
  EXPECT_LT(in_place, 50);

  // save() / load() mid-stream continues identically.
  auto src1 = make_shard_source(dir, true);
  ShuffleBuffer one(*src1, 256, 5);
  std::vector<float> x(64 * 5), y(64 * 5);
  for (int i = 0; i < 7; ++i) one.next_batch(x.data(), 64);
  ShuffleBuffer::State st = one.save();
  auto src2 = make_shard_source(dir, true);
  ShuffleBuffer two(*src2, 256, 999);
  two.load(st);
  for (int i = 0; i < 30; ++i) {
    one.next_batch(x.data(), 64);
    two.next_batch(y.data(), 64);
    ASSERT_EQ(x, y) << "batch " << i;
  }
}

TEST(CallbackSource, RestoreReplaysOrSkips) {
  int64_t next_id = 0, skipped = 0;
  auto gen = [&](float* out, int64_t n) {
    for (int64_t r = 0; r < n; ++r) out[r] = float(next_id++);
    return n;
  };
  auto src = make_callback_source(1, gen);
  std::vector<float> x(10);
  src->read(x.data(), 10);
  std::string st = src->state();
  next_id = 0;
  auto replay = make_callback_source(1, gen);
  replay->restore(st);
  replay->read(x.data(), 1);
  EXPECT_EQ(x[0], 10.0f);
  auto skip = make_callback_source(1, gen, [&](int64_t n) { skipped += n; });
  skip->restore(st);
  EXPECT_EQ(skipped, 10);
  auto bad = make_callback_source(1, [](float*, int64_t n) { return n + 1; });
  EXPECT_THROW(bad->read(x.data(), 3), Error);
}

}  // namespace
}  // namespace knowscope
