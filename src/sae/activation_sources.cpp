// Activation sources: safetensors shards listed by index.json, and a callback.
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "knowscope/core/error.h"
#include "knowscope/core/half.h"
#include "knowscope/io/safetensors.h"
#include "knowscope/sae/activations.h"
#include "sae_io_util.h"

namespace knowscope {
namespace fs = std::filesystem;
using nlohmann::json;

ActivationIndex read_activation_index(const std::string& folder) {
  const std::string path = (fs::path(folder) / "index.json").string();
  json j = sae_detail::read_json_file(path);
  if (!j.is_object()) fail(path, "", "expected a JSON object");
  if (j.value("format", "") != "knowscope.activations")
    fail(path, "format", "expected \"knowscope.activations\"");
  if (j.value("version", 0) != 1) fail(path, "version", "expected 1");
  ActivationIndex idx;
  idx.folder = folder;
  auto pos_int = [&](const json& o, const char* key, const std::string& field) -> int64_t {
    auto it = o.find(key);
    if (it == o.end() || !it->is_number_integer() || it->get<int64_t>() < 0)
      fail(path, field, "missing or not a non-negative integer");
    return it->get<int64_t>();
  };
  idx.d_in = pos_int(j, "d_in", "d_in");
  if (idx.d_in <= 0) fail(path, "d_in", "must be positive");
  std::string dt = j.value("dtype", "float32");
  if (dt == "float32")
    idx.dtype = DType::F32;
  else if (dt == "bfloat16")
    idx.dtype = DType::BF16;
  else if (dt == "float16")
    idx.dtype = DType::F16;
  else
    fail(path, "dtype", "'" + dt + "' not supported (float32, bfloat16, float16)");
  idx.hook_name = j.value("hook_name", "");
  idx.model_name = j.value("model_name", "");
  if (j.contains("metadata")) idx.metadata_json = j["metadata"].dump();
  if (!j.contains("shards") || !j["shards"].is_array())
    fail(path, "shards", "missing or not a list");
  int64_t total = 0;
  size_t i = 0;
  for (const json& s : j["shards"]) {
    std::string field = "shards[" + std::to_string(i++) + "]";
    if (!s.is_object() || !s.contains("file") || !s["file"].is_string())
      fail(path, field, "expected {\"file\": ..., \"rows\": ...}");
    ActivationIndex::Shard sh;
    sh.file = s["file"];
    if (sh.file.find("..") != std::string::npos || fs::path(sh.file).is_absolute())
      fail(path, field + ".file", "must be a plain name inside the folder");
    sh.rows = pos_int(s, "rows", field + ".rows");
    total += sh.rows;
    idx.shards.push_back(sh);
  }
  idx.total_rows = pos_int(j, "total_rows", "total_rows");
  if (idx.total_rows != total)
    fail(path, "total_rows",
         std::to_string(idx.total_rows) + " but the shards hold " + std::to_string(total));
  return idx;
}

namespace {

class ShardSource : public ActivationSource {
 public:
  ShardSource(ActivationIndex idx, bool loop) : idx_(std::move(idx)), loop_(loop) {}
  int64_t d_in() const override { return idx_.d_in; }

  int64_t read(float* dst, int64_t max_rows) override {
    int64_t done = 0;
    while (done < max_rows) {
      if (shard_ >= int64_t(idx_.shards.size())) {
        if (!loop_ || idx_.total_rows == 0) break;
        ++epoch_;
        shard_ = 0;
        row_ = 0;
      }
      const auto& sh = idx_.shards[size_t(shard_)];
      if (row_ >= sh.rows) {
        next_shard();
        continue;
      }
      const TensorView& t = open();
      int64_t n = std::min(max_rows - done, sh.rows - row_);
      const int64_t d = idx_.d_in;
      const auto* src = static_cast<const unsigned char*>(t.data);
      float* out = dst + done * d;
      if (t.dtype == DType::F32) {
        std::memcpy(out, src + size_t(row_ * d) * 4, size_t(n * d) * 4);
      } else {
        const auto* h = reinterpret_cast<const uint16_t*>(src) + row_ * d;
        for (int64_t i = 0; i < n * d; ++i) {
          uint16_t v;
          std::memcpy(&v, h + i, 2);
          out[i] = t.dtype == DType::BF16 ? bf16_to_f32(v) : f16_to_f32(v);
        }
      }
      row_ += n;
      done += n;
      if (row_ >= sh.rows) next_shard();
    }
    return done;
  }

  std::string state() const override {
    return json{{"epoch", epoch_}, {"shard", shard_}, {"row", row_}}.dump();
  }
  void restore(const std::string& s) override {
    json j = json::parse(s);
    epoch_ = j.at("epoch");
    shard_ = j.at("shard");
    row_ = j.at("row");
    file_.reset();
    if (shard_ < 0 || shard_ > int64_t(idx_.shards.size()) ||
        (shard_ < int64_t(idx_.shards.size()) &&
         (row_ < 0 || row_ > idx_.shards[size_t(shard_)].rows)))
      fail(idx_.folder, "source state", "position outside the shards: " + s);
  }

 private:
  void next_shard() {
    ++shard_;
    row_ = 0;
    file_.reset();
  }
  const TensorView& open() {
    if (!file_) {
      const auto& sh = idx_.shards[size_t(shard_)];
      std::string path = (fs::path(idx_.folder) / sh.file).string();
      file_ = read_safetensors(path);
      const TensorView& t = sae_detail::find_tensor(file_->tensors, "activations", path);
      if (t.shape != Shape{sh.rows, idx_.d_in})
        fail(
            path, "tensor 'activations'",
            "shape " + shape_str(t.shape) + ", index.json says " + shape_str({sh.rows, idx_.d_in}));
      if (t.dtype != idx_.dtype)
        fail(path, "tensor 'activations'",
             "dtype " + dtype_name(t.dtype) + ", index.json says " + dtype_name(idx_.dtype));
      if (t.nbytes != size_t(sh.rows * idx_.d_in) * (t.dtype == DType::F32 ? 4 : 2))
        fail(path, "tensor 'activations'", "byte size does not match its shape");
      view_ = t;
    }
    return view_;
  }

  ActivationIndex idx_;
  bool loop_;
  int64_t epoch_ = 0, shard_ = 0, row_ = 0;
  std::optional<SafetensorsFile> file_;
  TensorView view_;
};

class CallbackSource : public ActivationSource {
 public:
  CallbackSource(int64_t d_in, std::function<int64_t(float*, int64_t)> next,
                 std::function<void(int64_t)> skip)
      : d_in_(d_in), next_(std::move(next)), skip_(std::move(skip)) {}
  int64_t d_in() const override { return d_in_; }
  int64_t read(float* dst, int64_t max_rows) override {
    int64_t n = next_(dst, max_rows);
    if (n < 0 || n > max_rows)
      fail("activation callback", "rows",
           "returned " + std::to_string(n) + " for at most " + std::to_string(max_rows));
    rows_ += n;
    return n;
  }
  std::string state() const override { return json{{"rows", rows_}}.dump(); }
  void restore(const std::string& s) override {
    int64_t target = json::parse(s).at("rows");
    if (target < rows_)
      fail("activation callback", "restore",
           "cannot go back from row " + std::to_string(rows_) + " to " + std::to_string(target));
    if (skip_) {
      skip_(target - rows_);
      rows_ = target;
      return;
    }
    std::vector<float> scratch(
        size_t(std::min<int64_t>(4096, std::max<int64_t>(target - rows_, 1)) * d_in_));
    while (rows_ < target) {
      int64_t want = std::min<int64_t>(target - rows_, int64_t(scratch.size()) / d_in_);
      int64_t got = read(scratch.data(), want);
      if (got == 0)
        fail("activation callback", "restore", "source ended before row " + std::to_string(target));
    }
  }

 private:
  int64_t d_in_;
  std::function<int64_t(float*, int64_t)> next_;
  std::function<void(int64_t)> skip_;
  int64_t rows_ = 0;
};

}  // namespace

std::unique_ptr<ActivationSource> make_shard_source(const std::string& folder, bool loop) {
  return std::make_unique<ShardSource>(read_activation_index(folder), loop);
}

std::unique_ptr<ActivationSource> make_callback_source(int64_t d_in,
                                                       std::function<int64_t(float*, int64_t)> next,
                                                       std::function<void(int64_t)> skip) {
  check(d_in > 0, "activation callback", "d_in", "must be positive");
  return std::make_unique<CallbackSource>(d_in, std::move(next), std::move(skip));
}

}  // namespace knowscope
