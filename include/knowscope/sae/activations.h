// Where SAE training gets its activations: a source yields batches of float32 rows [*, d_in]; a
// seeded shuffle buffer mixes them. Two sources: safetensors shards on disk (the layout below,
// which capture writes with ActivationShardWriter), and a callback (later: a live model over a
// corpus).
//
// Shard folder layout ("knowscope.activations" version 1):
//   <folder>/index.json:
//     {"format": "knowscope.activations", "version": 1, "d_in": 640, "dtype": "float32",
//      "hook_name": "blocks.12.hook_resid_post", "model_name": "gemma-3-270m",
//      "total_rows": 131072, "metadata": {...free-form...},
//      "shards": [{"file": "shard_00000.safetensors", "rows": 65536}, ...]}
//   <folder>/shard_NNNNN.safetensors: tensor "activations" [rows, d_in] in F32, F16 or BF16, and
//     optionally "token_ids" [rows] I32 (the token each row was read at).
// index.json is written last (atomically), so a folder with an index is complete.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "knowscope/core/dtype.h"

namespace knowscope {

class ActivationSource {
 public:
  virtual ~ActivationSource() = default;
  virtual int64_t d_in() const = 0;
  // Writes up to max_rows rows to dst; returns how many. 0 means the source is exhausted.
  virtual int64_t read(float* dst, int64_t max_rows) = 0;
  // The position, as a JSON string, and a way back to it (for checkpoints).
  virtual std::string state() const = 0;
  virtual void restore(const std::string& state) = 0;
};

struct ActivationIndex {
  std::string folder;
  int64_t d_in = 0;
  DType dtype = DType::F32;
  std::string hook_name, model_name;
  int64_t total_rows = 0;
  struct Shard {
    std::string file;  // relative to folder
    int64_t rows = 0;
  };
  std::vector<Shard> shards;
  std::string metadata_json = "{}";
};
// Reads and validates <folder>/index.json (not the shards).
ActivationIndex read_activation_index(const std::string& folder);

// Rows of every shard in order; with `loop`, starts over after the last shard (epochs).
std::unique_ptr<ActivationSource> make_shard_source(const std::string& folder, bool loop = true);

// `next(dst, max_rows)` fills up to max_rows rows and returns how many (0: exhausted). On restore,
// `skip(n)` (when given) must move the generator past n rows; without it the source calls `next`
// and discards rows until it has caught up, so `next` must then be deterministic.
std::unique_ptr<ActivationSource> make_callback_source(int64_t d_in,
                                                       std::function<int64_t(float*, int64_t)> next,
                                                       std::function<void(int64_t)> skip = nullptr);

// Writes shards and, on finish(), the index. Rows are buffered up to rows_per_shard.
class ActivationShardWriter {
 public:
  ActivationShardWriter(std::string folder, int64_t d_in, int64_t rows_per_shard = 65536,
                        DType dtype = DType::F32, std::string hook_name = "",
                        std::string model_name = "", std::string metadata_json = "{}");
  ~ActivationShardWriter();  // does not finish: an unfinished folder has no index
  // token_ids may be null (then no token_ids tensor is written for the rows).
  void append(const float* rows, int64_t n, const int32_t* token_ids = nullptr);
  void finish();
  int64_t rows_written() const { return total_; }

 private:
  void flush_shard();
  std::string folder_, hook_name_, model_name_, metadata_json_;
  int64_t d_in_, rows_per_shard_, total_ = 0;
  DType dtype_;
  std::vector<float> rows_;
  std::vector<int32_t> tokens_;
  bool have_tokens_ = false, finished_ = false;
  std::vector<std::pair<std::string, int64_t>> shards_;
};

// A seeded shuffle buffer over a source: each output row is drawn uniformly from `capacity`
// buffered rows and replaced by the next row of the source. Same seed and source: same batches.
class ShuffleBuffer {
 public:
  ShuffleBuffer(ActivationSource& source, int64_t capacity, uint64_t seed);
  int64_t d_in() const { return d_in_; }
  // Fills up to n rows of dst [n, d_in]; fewer only when the source is exhausted.
  int64_t next_batch(float* dst, int64_t n);

  // Complete state (buffered rows included) for checkpoints.
  struct State {
    std::vector<float> rows;  // filled * d_in
    int64_t filled = 0;
    uint64_t rng[4] = {0, 0, 0, 0};
    bool source_done = false;
    std::string source_state;
  };
  State save() const;
  void load(const State& s);

 private:
  void fill();
  ActivationSource& source_;
  int64_t d_in_, capacity_, filled_ = 0;
  std::vector<float> rows_, fresh_;
  uint64_t rng_[4];
  bool source_done_ = false;
};

// xoshiro256** seeded by splitmix64: small, fast, and its state is four words we can checkpoint.
struct Rng {
  uint64_t s[4];
  explicit Rng(uint64_t seed = 0);
  uint64_t next();
  double uniform();            // [0, 1)
  uint64_t below(uint64_t n);  // [0, n), unbiased
  float normal();              // standard normal (Box-Muller, no caching)
};

}  // namespace knowscope
