// The forward pass: a batch of sequences of different lengths in one call, without padding. All new
// tokens are rows of one matrix for the linear layers; attention runs per sequence (causal, GQA,
// sliding windows) against that sequence's KV cache.
//
// Hooks: every intermediate result lives in a named buffer of ForwardState, and an optional
// ForwardHooks callback sees each one, mutably, at the points TransformerLens names (listed at
// HookPoint). Without hooks nothing is copied.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "knowscope/core/tensor.h"
#include "knowscope/model/kv_cache.h"
#include "knowscope/model/model.h"

namespace knowscope {

enum class LogitsMode {
  None,  // activations only: no final norm, no unembedding
  Last,  // one row per sequence: its last new token
  All,   // one row per new token, in batch row order
};

// Where a hook is called. Shapes: R = rows of the batch (all new tokens of all sequences, sequence
// by sequence), d = d_model, H = n_heads, Hkv = n_kv_heads, D = head_dim, T = a sequence's new
// tokens, S = its key positions (cached + new).
enum class HookPoint {
  Embed,       // hook_embed                  [R, d] token embeddings times embed_scale (layer -1)
  ResidPre,    // blocks.L.hook_resid_pre     [R, d]
  Q,           // blocks.L.attn.hook_q        [R, H*D]   after q-norm and RoPE (what attention uses)
  K,           // blocks.L.attn.hook_k        [R, Hkv*D] after k-norm and RoPE, before the cache
  V,           // blocks.L.attn.hook_v        [R, Hkv*D]
  AttnScores,  // blocks.L.attn.hook_attn_scores  per sequence [H*T, S]: scaled, softcapped,
               //                             masked entries -inf
  Pattern,     // blocks.L.attn.hook_pattern  per sequence [H*T, S] (row h*T+i: head h, query i)
  Z,           // blocks.L.attn.hook_z        [R, H*D]   per-head outputs before W_O
  AttnOut,     // blocks.L.hook_attn_out      [R, d]     after W_O (and the post-attention norm)
  ResidMid,    // blocks.L.hook_resid_mid     [R, d]
  MlpPost,     // blocks.L.mlp.hook_post      [R, d_ff]  act(gate) * up
  MlpOut,      // blocks.L.hook_mlp_out       [R, d]     after W_down (and the post-MLP norm)
  ResidPost,   // blocks.L.hook_resid_post    [R, d]
  FinalNorm,   // ln_final.hook_normalized    [R, d] (layer -1)
  Logits,      // [logit rows, vocab] after the final softcap (layer -1)
};
const char* hook_point_name(HookPoint p);  // "hook_resid_pre", "attn.hook_pattern", ...

// One new-token sequence of the batch, as laid out in the rows.
struct SeqSpan {
  int64_t row_begin = 0;  // first row of this sequence in [R, ...] buffers
  int64_t n_new = 0;      // T: new tokens
  int64_t pos_begin = 0;  // position of the first new token (tokens already in its cache)
  int64_t n_keys() const { return pos_begin + n_new; }
};

struct BatchLayout {
  std::vector<SeqSpan> seqs;
  int64_t rows = 0;
  std::vector<int64_t> logit_rows;  // batch row of each logits row
};

struct HookEvent {
  HookPoint point;
  int layer;    // block index; -1 for Embed, FinalNorm, Logits
  int seq;      // sequence index for AttnScores and Pattern; -1 when rows span the batch
  float* data;  // row-major, writable: changes flow into the rest of the pass
  int64_t rows, cols;
  const BatchLayout* layout;
};

struct ForwardHooks {
  // Called for each point where `wants` (when set) returns true. Keep `wants` cheap: it is asked a
  // few times per layer.
  std::function<bool(HookPoint, int layer)> wants;
  std::function<void(const HookEvent&)> fn;
  bool want(HookPoint p, int layer) const { return fn && (!wants || wants(p, layer)); }
};

// Arithmetic of the pass. Exact: float32 throughout from the file's weights (what every study
// uses). LlamaCpp: llama.cpp's CPU arithmetic reproduced bit for bit (8-bit activations in
// quantized matmuls, f16 KV cache, query and attention probabilities, its f16 GELU table, its
// RMSNorm, RoPE, softmax, SiLU and softcaps, and its kernels' order of float operations for F32,
// F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K and Q6_K weights; core/ggml_numerics.h,
// core/ggml_kernels.h): the same logits and tokens as llama.cpp on the same GGUF. Other weight
// types get the rounding without the order. llama.cpp evaluates each sequence alone, and so does
// the emulation, also inside a batch. LlamaCppF32Cache: the same with llama.cpp's KV cache set to
// f32 (type_k = type_v = F32), where neither the query nor the probabilities are rounded.
enum class Numerics { Exact, LlamaCpp, LlamaCppF32Cache };
const char* numerics_name(Numerics n);             // "exact", "llama.cpp", "llama.cpp-f32-cache"
Numerics parse_numerics(const std::string& name);  // throws on anything else

struct ForwardOptions {
  LogitsMode logits = LogitsMode::Last;
  Numerics numerics = Numerics::Exact;
  // >= 0: run blocks 0..stop_after_layer only, then return (no final norm, no logits);
  // `resid` then holds blocks.{stop_after_layer}.hook_resid_post. Not allowed with KV caches.
  int stop_after_layer = -1;
  const ForwardHooks* hooks = nullptr;
};

struct SequenceInput {
  std::span<const int32_t> tokens;  // new tokens (at least one)
  // Cached prefix to attend to, extended by these tokens. Null: the tokens start at position 0
  // and nothing is kept.
  KVCache* cache = nullptr;
};

// Results and reused scratch of forward(). Keep one per thread and pass it to every call: buffers
// grow to the largest batch seen and are not reallocated after that.
struct ForwardState {
  Tensor logits;  // [logit rows, vocab] (see LogitsMode and layout.logit_rows)
  Tensor resid;   // residual stream [R, d]: after the last block run (before the final norm)
  BatchLayout layout;

  // Named intermediate buffers of the current layer (valid during hooks).
  Tensor normed;    // [R, d] RMSNorm output feeding attention / MLP, and the final norm
  Tensor q, k, v;   // [R, H*D], [R, Hkv*D], [R, Hkv*D]
  Tensor z;         // [R, H*D]
  Tensor attn_out;  // [R, d]
  Tensor gate, up;  // [R, d_ff] (gate becomes act(gate) * up)
  Tensor mlp_out;   // [R, d]
  Tensor scores;    // per sequence [H*T, S] blocks, back to back
  std::vector<int64_t> score_offset;  // start of each sequence's block in `scores`
  Tensor rope_cos, rope_sin, rope_cos_local, rope_sin_local;  // [R, rope_dim/2]
  Tensor final_rows;  // [logit rows, d] normalized rows fed to the unembedding
  Tensor rounded;     // Numerics::LlamaCpp: activations as llama.cpp's matmuls see them
};

// Runs the model on the batch. Caches (one per sequence, distinct) are extended in place.
void forward(const Model& model, std::span<const SequenceInput> batch, const ForwardOptions& opt,
             ForwardState& state);

// Convenience: logits [T, vocab] of one sequence at every position, no cache.
Tensor forward_all_logits(const Model& model, std::span<const int32_t> tokens,
                          Numerics numerics = Numerics::Exact);

}  // namespace knowscope
