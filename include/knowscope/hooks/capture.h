// Capture: activations at chosen hooks and positions for a list of prompts, run in batches (one
// forward call per chunk of prompts), stopping after the last block a hook needs. In memory as a
// CaptureResult, or streamed to disk as safetensors shards that the SAE trainer reads
// (sae/activations.h layout "knowscope.activations"; see capture_to_disk).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "knowscope/core/dtype.h"
#include "knowscope/core/tensor.h"
#include "knowscope/hooks/hook_set.h"
#include "knowscope/hooks/positions.h"
#include "knowscope/model/model.h"

namespace knowscope {

struct HookRequest {
  std::string name;        // TransformerLens name, e.g. "blocks.6.hook_resid_post"
  std::vector<int> heads;  // q/k/v/z/pattern/attn_scores: heads to keep (empty: all)
};

// One prompt: its tokens and the positions to read (ascending, in [0, tokens)).
struct CapturePrompt {
  std::vector<int32_t> tokens;
  std::vector<int64_t> positions;
};

// Tokenizes `text` and resolves `spec` on it (substring positions via `rule`). `where` names the
// prompt in errors.
CapturePrompt make_capture_prompt(const Tokenizer& tok, const std::string& text,
                                  const PositionSpec& spec, const EncodeOptions& enc = {},
                                  SubstringRule rule = SubstringRule::ByteOffsets,
                                  const std::string& where = "prompt");

struct CapturedHook {
  std::string name;
  HookPoint point = HookPoint::ResidPost;
  int layer = -1;
  std::vector<int> heads;  // head hooks: the heads kept, in order; empty otherwise
  // Shape of one row: [d] (resid, attn_out, mlp_out, ln_final), [d_ff] (mlp.hook_post),
  // [heads, head_dim] (q, k, v, z: TransformerLens [pos, head, d_head]), [heads, keys]
  // (pattern, attn_scores: the query row of [head, query, key]; keys = the longest prompt of the
  // capture, padded with 0 for pattern and -inf for attn_scores).
  Shape row_shape;
  Tensor data;  // [rows, row_shape...]

  int64_t row_numel() const { return shape_numel(row_shape); }
  const float* row(int64_t i) const { return data.ptr() + i * row_numel(); }
};

struct CaptureResult {
  std::vector<CapturedHook> hooks;  // in request order
  // Per row, shared by every hook: which prompt, which position, which token.
  std::vector<int32_t> prompt;
  std::vector<int64_t> position;
  std::vector<int32_t> token;

  int64_t rows() const { return int64_t(prompt.size()); }
  const CapturedHook& hook(const std::string& name) const;  // throws Error listing the names
  int64_t find_row(int prompt_index, int64_t pos) const;    // -1 when absent
};

struct CaptureOptions {
  std::vector<HookRequest> hooks;
  // Work per forward call: at most this many tokens (a single longer prompt still runs alone) and
  // prompts.
  int64_t max_batch_tokens = 4096;
  int max_batch_prompts = 64;
  // Interventions active while capturing (their handlers run before the capture's); may be null.
  // Its batch identity is set per chunk: sequence s is prompt (chunk start + s).
  HookSet* interventions = nullptr;
  bool progress = false;                // Progress on stderr
  Numerics numerics = Numerics::Exact;  // see ForwardOptions (LlamaCpp: to compare with llama.cpp)
};

CaptureResult capture(const Model& model, std::span<const CapturePrompt> prompts,
                      const CaptureOptions& opt);

// Streaming to disk. Layout, one folder per hook so that each is an SAE activation source:
//   <out>/capture.json                       what was asked (hooks, dtype, prompts per shard,
//                                            fingerprint of prompts and positions)
//   <out>/<hook name>/shard_NNNNN.safetensors  "activations" [rows, prod(row_shape)] F32/BF16,
//                                            "token_ids" I32, "prompt_index" I32, "positions" I32
//   <out>/<hook name>/index.json             format "knowscope.activations" v1 (sae/activations.h),
//                                            metadata {point, layer, heads, row_shape}
// Shard k holds the rows of prompts [k*P, (k+1)*P). Each shard is written atomically; a rerun with
// the same request skips shards already present (resumable) and a different request in the same
// folder is an error. index.json files are written last.
struct DiskCaptureOptions {
  std::string folder;
  DType dtype = DType::F32;  // F32 or BF16
  int64_t prompts_per_shard = 1024;
  std::string model_name;  // recorded in index.json
};
struct DiskCaptureSummary {
  int64_t rows = 0;
  int64_t shards = 0, shards_skipped = 0;
  std::vector<std::string> hook_folders;  // absolute or as given under `folder`
};
DiskCaptureSummary capture_to_disk(const Model& model, std::span<const CapturePrompt> prompts,
                                   const CaptureOptions& opt, const DiskCaptureOptions& disk);

// Reads a finished capture_to_disk folder back (BF16 widened to float32).
CaptureResult read_capture(const std::string& folder);

// Mean over rows of a captured hook: [row_numel] (e.g. mean z per head for mean ablation).
std::vector<float> mean_rows(const CapturedHook& h);

}  // namespace knowscope
