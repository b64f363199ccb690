// Training a set of SAEs, one per chosen layer, from a live model over the generic corpus:
//   1. corpus documents (all but the last heldout_docs) are tokenized and cut into sequences of
//      `context` tokens with BOS in front (corpus.h);
//   2. one forward pass over them, stopping after the deepest hook, writes every hook's
//      activations (BOS positions left out) to bf16 shards in <work>/activations (hooks/capture.h;
//      resumable shard by shard) -- the forward pass costs far more than an SAE step, so the
//      activations are captured once and read `passes` times;
//   3. each layer's SAE is trained from its shards through a shuffle buffer (train.h), with
//      checkpoints in <work>/checkpoints/layer_N, resumed after an interruption, and saved in
//      SAELens format to <out>/layer_N;
//   4. every SAE is evaluated on held-out documents (sae_eval.h) and <out>/sae_set.json is written
//      last (sae_set.h), holding the metrics and this configuration.
// Rerunning with the same configuration reuses a finished set, or resumes an unfinished one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "knowscope/core/dtype.h"
#include "knowscope/model/model.h"
#include "knowscope/sae/sae_set.h"
#include "knowscope/sae/train.h"

namespace knowscope {

struct SaeSetTrainConfig {
  std::string profile;      // "quick", "default", "full" or "custom" (recorded)
  std::string model_name;   // recorded in the set and the SAEs
  std::vector<int> layers;  // blocks; the hook is hook_template with {N} = the block
  std::string hook_template = "blocks.{N}.hook_resid_post";
  SaeTrainConfig sae;             // per-layer trainer (total_steps is derived, see below)
  int64_t train_tokens = 150000;  // activation rows captured per layer (BOS not counted)
  double passes = 2.0;            // total_steps = ceil(train_tokens * passes / batch_size)
  int64_t context = 128;          // tokens per sequence, BOS included
  std::string corpus_path;        // default_corpus_path() when empty
  int64_t heldout_docs = 1000;    // the corpus's last documents, kept for evaluation
  int64_t eval_tokens = 16384;    // held-out tokens for the activation metrics
  int64_t eval_ce_tokens = 1024;  // held-out tokens for CE recovered / KL (3 runs per layer)
  DType shard_dtype = DType::BF16;
  int64_t prompts_per_shard = 64;
  std::string out_dir;     // the set folder
  std::string work_dir;    // shards and checkpoints; default <out_dir>.work
  bool keep_work = false;  // keep the activation shards and checkpoints afterwards
  bool force = false;      // retrain even when <out_dir> holds a set of this config
  bool progress = true;
};

// The settings of a named profile for a model: "quick" (a smoke run: six layers, small SAEs, a
// couple of minutes on two cores for gemma-3-270m), "default" (what a study uses), "full" (every
// layer, wide SAEs, many tokens). docs/sae.md has the measurements behind them.
SaeSetTrainConfig sae_set_profile(const std::string& profile, const ModelConfig& model);

// `n` blocks spread evenly over [0, n_layers) (all when n >= n_layers), e.g. 6 of 18 ->
// 2, 5, 8, 11, 14, 17.
std::vector<int> spread_layers(int n_layers, int n);
// "all", "spread:6", "0,4,8", "0-17" (ranges and lists mixed), checked against n_layers.
std::vector<int> parse_layer_list(const std::string& spec, int n_layers);

// The configuration as recorded in sae_set.json "train": everything that changes the result (not
// folders, progress or force). Two runs with equal JSON make the same set.
std::string sae_set_train_config_json(const SaeSetTrainConfig& cfg);

struct SaeSetTrainResult {
  SaeSet set;
  bool reused = false;  // the set existed with this configuration; nothing was trained
  int64_t tokens_captured = 0;
  double seconds_capture = 0, seconds_train = 0, seconds_eval = 0, seconds_total = 0;
  // Processor time of the whole process (all threads), per phase: what the run costs on a machine
  // shared with other work, where wall time says little.
  double cpu_capture = 0, cpu_train = 0, cpu_eval = 0, cpu_total = 0;
};

SaeSetTrainResult train_sae_set(const Model& model, const SaeSetTrainConfig& cfg);

// Evaluates every layer of `set` on the held-out part of the corpus (the same documents and
// token counts as train_sae_set uses) and returns one metrics JSON object per layer.
std::vector<std::string> evaluate_sae_set(const Model& model, SaeSet& set,
                                          const std::string& corpus_path, int64_t heldout_docs,
                                          int64_t context, int64_t eval_tokens,
                                          int64_t eval_ce_tokens, bool progress = true);

}  // namespace knowscope
