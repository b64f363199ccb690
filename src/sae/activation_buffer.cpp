// The shard writer (what capture uses to store activations) and the seeded shuffle buffer.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/core/half.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/io/safetensors.h"
#include "knowscope/sae/activations.h"

namespace knowscope {
namespace fs = std::filesystem;
using nlohmann::json;

ActivationShardWriter::ActivationShardWriter(std::string folder, int64_t d_in,
                                             int64_t rows_per_shard, DType dtype,
                                             std::string hook_name, std::string model_name,
                                             std::string metadata_json)
    : folder_(std::move(folder)),
      hook_name_(std::move(hook_name)),
      model_name_(std::move(model_name)),
      metadata_json_(std::move(metadata_json)),
      d_in_(d_in),
      rows_per_shard_(rows_per_shard),
      dtype_(dtype) {
  check(d_in > 0 && rows_per_shard > 0, folder_, "shard writer",
        "d_in and rows_per_shard must be positive");
  check(dtype == DType::F32 || dtype == DType::BF16 || dtype == DType::F16, folder_, "dtype",
        "shards hold F32, BF16 or F16");
  check(json::accept(metadata_json_), folder_, "metadata", "not valid JSON");
  fs::create_directories(folder_);
}

ActivationShardWriter::~ActivationShardWriter() = default;

void ActivationShardWriter::append(const float* rows, int64_t n, const int32_t* token_ids) {
  check(!finished_, folder_, "shard writer", "append after finish");
  if (total_ == 0 && rows_.empty()) have_tokens_ = token_ids != nullptr;
  check(have_tokens_ == (token_ids != nullptr), folder_, "token_ids",
        "give token ids with every append or with none");
  int64_t i = 0;
  while (i < n) {
    int64_t room = rows_per_shard_ - int64_t(rows_.size()) / d_in_;
    int64_t take = std::min(room, n - i);
    rows_.insert(rows_.end(), rows + i * d_in_, rows + (i + take) * d_in_);
    if (token_ids) tokens_.insert(tokens_.end(), token_ids + i, token_ids + i + take);
    i += take;
    total_ += take;
    if (int64_t(rows_.size()) / d_in_ == rows_per_shard_) flush_shard();
  }
}

void ActivationShardWriter::flush_shard() {
  int64_t n = int64_t(rows_.size()) / d_in_;
  if (n == 0) return;
  char name[64];
  std::snprintf(name, sizeof name, "shard_%05zu.safetensors", shards_.size());
  std::vector<SafetensorsWriteTensor> ts(1);
  ts[0].name = "activations";
  ts[0].dtype = dtype_;
  ts[0].shape = {n, d_in_};
  if (dtype_ == DType::F32) {
    ts[0].data.resize(rows_.size() * 4);
    std::memcpy(ts[0].data.data(), rows_.data(), ts[0].data.size());
  } else {
    ts[0].data.resize(rows_.size() * 2);
    for (size_t k = 0; k < rows_.size(); ++k) {
      uint16_t h = dtype_ == DType::BF16 ? f32_to_bf16(rows_[k]) : f32_to_f16(rows_[k]);
      std::memcpy(ts[0].data.data() + 2 * k, &h, 2);
    }
  }
  if (have_tokens_) {
    SafetensorsWriteTensor t;
    t.name = "token_ids";
    t.dtype = DType::I32;
    t.shape = {n};
    t.data.resize(tokens_.size() * 4);
    std::memcpy(t.data.data(), tokens_.data(), t.data.size());
    ts.push_back(std::move(t));
  }
  write_safetensors((fs::path(folder_) / name).string(), ts);
  shards_.emplace_back(name, n);
  rows_.clear();
  tokens_.clear();
}

void ActivationShardWriter::finish() {
  if (finished_) return;
  flush_shard();
  json shards = json::array();
  for (const auto& [file, rows] : shards_) shards.push_back({{"file", file}, {"rows", rows}});
  const char* dt = dtype_ == DType::F32    ? "float32"
                   : dtype_ == DType::BF16 ? "bfloat16"
                                           : "float16";
  json index = {{"format", "knowscope.activations"},
                {"version", 1},
                {"d_in", d_in_},
                {"dtype", dt},
                {"hook_name", hook_name_},
                {"model_name", model_name_},
                {"total_rows", total_},
                {"metadata", json::parse(metadata_json_)},
                {"shards", shards}};
  write_file_atomic((fs::path(folder_) / "index.json").string(), index.dump(2) + "\n");
  finished_ = true;
}

ShuffleBuffer::ShuffleBuffer(ActivationSource& source, int64_t capacity, uint64_t seed)
    : source_(source), d_in_(source.d_in()), capacity_(std::max<int64_t>(capacity, 1)) {
  Rng r(seed);
  std::memcpy(rng_, r.s, sizeof rng_);
}

void ShuffleBuffer::fill() {
  if (rows_.size() != size_t(capacity_ * d_in_)) rows_.resize(size_t(capacity_ * d_in_));
  while (filled_ < capacity_ && !source_done_) {
    int64_t n = source_.read(rows_.data() + filled_ * d_in_, capacity_ - filled_);
    if (n == 0) source_done_ = true;
    filled_ += n;
  }
}

int64_t ShuffleBuffer::next_batch(float* dst, int64_t n) {
  fill();
  // Fresh rows from the source replace the drawn ones.
  std::vector<float>& fresh = fresh_;
  int64_t fresh_rows = 0;
  if (!source_done_) {
    if (fresh.size() < size_t(n * d_in_)) fresh.resize(size_t(n * d_in_));
    while (fresh_rows < n) {
      int64_t got = source_.read(fresh.data() + fresh_rows * d_in_, n - fresh_rows);
      if (got == 0) {
        source_done_ = true;
        break;
      }
      fresh_rows += got;
    }
  }
  Rng rng(0);
  std::memcpy(rng.s, rng_, sizeof rng_);
  const size_t row_bytes = size_t(d_in_) * sizeof(float);
  int64_t out = 0;
  for (int64_t i = 0; i < n && filled_ > 0; ++i) {
    int64_t r = int64_t(rng.below(uint64_t(filled_)));
    float* slot = rows_.data() + r * d_in_;
    std::memcpy(dst + out * d_in_, slot, row_bytes);
    ++out;
    if (i < fresh_rows) {
      std::memcpy(slot, fresh.data() + i * d_in_, row_bytes);
    } else {
      --filled_;
      if (r != filled_) std::memcpy(slot, rows_.data() + filled_ * d_in_, row_bytes);
    }
  }
  std::memcpy(rng_, rng.s, sizeof rng_);
  return out;
}

ShuffleBuffer::State ShuffleBuffer::save() const {
  State s;
  s.rows.assign(rows_.begin(), rows_.begin() + std::min(rows_.size(), size_t(filled_ * d_in_)));
  s.filled = filled_;
  std::memcpy(s.rng, rng_, sizeof rng_);
  s.source_done = source_done_;
  s.source_state = source_.state();
  return s;
}

void ShuffleBuffer::load(const State& s) {
  check(
      s.filled >= 0 && s.filled <= capacity_ && s.rows.size() == size_t(s.filled * d_in_),
      "shuffle buffer", "state",
      "holds " + std::to_string(s.filled) + " rows for a capacity of " + std::to_string(capacity_));
  rows_.assign(size_t(capacity_ * d_in_), 0.0f);
  std::copy(s.rows.begin(), s.rows.end(), rows_.begin());
  filled_ = s.filled;
  std::memcpy(rng_, s.rng, sizeof rng_);
  source_done_ = s.source_done;
  source_.restore(s.source_state);
}

}  // namespace knowscope
