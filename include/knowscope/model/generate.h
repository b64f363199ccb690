// Text generation: prompts as token ids, several completions per prompt sharing the prompt's KV
// cache, all live sequences decoded together one token per forward call.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "knowscope/model/forward.h"
#include "knowscope/model/model.h"
#include "knowscope/model/sampling.h"

namespace knowscope {

struct TokenEvent {
  int prompt;  // index into the prompts
  int sample;  // index into GenerateOptions::samples
  int index;   // 0 for the first generated token
  int32_t token;
  float logprob;  // log p(token) under the model (temperature 1, no filters)
};

// Identity of one sequence in a forward call that generate() makes (for hooks).
struct GenerateSeq {
  int prompt = 0;             // index into the prompts
  int sample = 0;             // index into GenerateOptions::samples (0 while prefilling)
  int64_t prompt_tokens = 0;  // the prompt's length: positions >= it hold generated tokens
};

// Where one prompt's completions draw their randomness from (GenerateOptions::prompt_seeds).
struct PromptSeed {
  uint64_t seed = 0;
  uint64_t stream = 0;  // e.g. the prompt's index within its own group of prompts
};

enum class StopReason { MaxTokens, StopToken, StopString, Callback, ContextFull };
const char* stop_reason_name(StopReason r);

struct GenerateOptions {
  int max_new_tokens = 64;
  // Generation of a completion ends after it emits one of these (the token is kept in `tokens`).
  std::vector<int32_t> stop_tokens;
  // Also stop on the tokenizer's eos/eot and on "<end_of_turn>", "<|im_end|>", "<|eot_id|>",
  // "<|endoftext|>" when the vocabulary has them.
  bool default_stop_tokens = true;
  // Stop when the decoded completion contains one of these (needs the model's tokenizer); the text
  // is cut before it, the tokens are kept.
  std::vector<std::string> stop_strings;
  // One completion per entry for every prompt, e.g. {greedy} or {greedy, 10 x temperature 1}.
  std::vector<SamplingParams> samples = {SamplingParams{}};
  uint64_t seed = 0;  // each completion draws from derive_seed(seed, prompt, sample)
  // Per-prompt seeds (empty: none): completion `sample` of prompt p draws from
  // derive_seed(prompt_seeds[p].seed, prompt_seeds[p].stream, sample) instead, so a prompt's
  // samples are the same whichever other prompts share the call and wherever it stands in it.
  // Empty means {seed, p} for every prompt p (the single-seed behaviour above).
  std::vector<PromptSeed> prompt_seeds;
  // Upper bounds on the work of one forward call: live sequences decoded together, and prompt
  // tokens prefilled together.
  int max_batch_sequences = 64;
  int max_prefill_tokens = 2048;
  // Streaming: called for every generated token, in order per completion; return false to stop
  // that completion (StopReason::Callback).
  std::function<bool(const TokenEvent&)> on_token;
  // Hooks run in every forward call, prefill and decode (steering, ablation, capture); null: none.
  const ForwardHooks* hooks = nullptr;
  Numerics numerics = Numerics::Exact;  // see ForwardOptions
  // Called before each forward call with its sequences in batch order, so that hooks can tell
  // prompts, samples and generated positions apart (hooks/generate_hooks.h connects a HookSet).
  std::function<void(std::span<const GenerateSeq>)> on_batch;
};

struct Completion {
  int prompt = 0, sample = 0;
  std::vector<int32_t> tokens;  // generated tokens, including the stop token when one ended it
  std::vector<float> logprobs;  // per token, as TokenEvent::logprob
  std::string text;             // decoded without the stop token, cut at a stop string ("" when
                                // the model has no tokenizer)
  StopReason stop = StopReason::MaxTokens;
};

// Completions in order (prompt 0 sample 0, prompt 0 sample 1, ..., prompt 1 sample 0, ...).
// Each completion's draws come from its own seeded generator, and linear() computes every row the
// same way whatever the batch (see matmul.h), so results do not depend on batching.
std::vector<Completion> generate(const Model& model,
                                 const std::vector<std::vector<int32_t>>& prompts,
                                 const GenerateOptions& options);

// The stop tokens generate() uses: options.stop_tokens plus the defaults above.
std::vector<int32_t> resolve_stop_tokens(const Model& model, const GenerateOptions& options);

}  // namespace knowscope
