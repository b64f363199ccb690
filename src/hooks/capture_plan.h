// Internal to hooks/: a capture request resolved against the model, and the batched runner that
// fills a CaptureResult for a range of prompts. Shared by capture() and capture_to_disk().
#pragma once

#include <span>
#include <vector>

#include "knowscope/core/progress.h"
#include "knowscope/hooks/capture.h"
#include "knowscope/hooks/hook_names.h"

namespace knowscope::hooks_detail {

// Validates names and heads; keys = width of pattern/attn_scores rows (the longest prompt).
std::vector<CapturedHook> plan_capture(const ModelConfig& c, const std::vector<HookRequest>& reqs,
                                       int64_t keys);

// Checks tokens and positions of every prompt; returns the longest prompt's length.
int64_t check_prompts(std::span<const CapturePrompt> prompts);

// Runs prompts [p0, p1) and returns their rows (hooks shaped like `plan`). Prompt indices in the
// result (and the interventions' batch identity) are absolute.
CaptureResult run_capture(const Model& model, std::span<const CapturePrompt> prompts, size_t p0,
                          size_t p1, const CaptureOptions& opt,
                          const std::vector<CapturedHook>& plan, Progress* progress);

}  // namespace knowscope::hooks_detail
