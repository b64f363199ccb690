// Hooks during generate(): every forward call that generate() makes (prompt prefill and each
// decode step) runs the HookSet's handlers, which learn which prompt and sample each batch
// sequence is and where its prompt ends. So Where::prompt() steers only the prompt (the paper's
// setting: the steered keys and values stay in the KV cache), Where::generated() steers each
// generated token at its decode step, and Where::all() both.
#pragma once

#include "knowscope/hooks/hook_set.h"
#include "knowscope/model/generate.h"

namespace knowscope {

// Sets options.hooks and options.on_batch; `hs` must outlive the generate() call.
void attach_hooks(HookSet& hs, GenerateOptions& options);

}  // namespace knowscope
