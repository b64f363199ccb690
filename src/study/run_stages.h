// The orchestrator's shared state and one function per stage (run_stage_*.cpp). Each stage
// function builds its config (profile sizes, inputs, upstream stage hashes), runs through
// run_stage (run_folder.h) and records what later stages need from its done.json.
#pragma once

#include <memory>
#include <string>

#include "knowscope/model/model.h"
#include "knowscope/study/run.h"
#include "knowscope/study/run_folder.h"

namespace knowscope::study {

struct RunContext {
  RunOptions options;
  RunProfile profile;
  RunFolder folder;
  std::string model_path, model_id;
  json versions;

  // Filled by the stages as they finish (or are reused): paths and the hash that identifies
  // each result for the configs downstream. Empty when the stage did not finish.
  std::string labels_path, labels_hash;
  std::string sae_dir, sae_hash;
  std::string latents_path, latents_hash;

  bool reuse_only = false;  // --only left this stage out: reuse a finished one, never run it

  RunContext(RunOptions o, RunProfile p, std::string out)
      : options(std::move(o)), profile(std::move(p)), folder(std::move(out)) {}
  const Model& model();  // loaded on first use (a fully reused run never loads it)

 private:
  std::unique_ptr<Model> model_;
};

// Throws StageUnavailable naming the missing upstream stage when `hash` is empty.
// The current UTC time, ISO 8601 ("2026-11-26T23:55:44Z"), for the run records.
std::string now_iso();

void require_stage(const std::string& hash, const std::string& stage, const std::string& why);

// run_stage with ctx's folder; with ctx.reuse_only, a stage not already done is "unavailable".
StageOutcome run_ctx_stage(RunContext& ctx, const std::string& name, const json& config,
                           const std::function<json(StageContext&)>& body);

// Throws StageUnavailable unless the latents stage finished and selected a known and an unknown
// latent (a run whose labels have no known entity selects none); the reason quotes its notes.
void require_latents(const RunContext& ctx);

StageOutcome stage_labelling(RunContext& ctx);
StageOutcome stage_sae(RunContext& ctx);
StageOutcome stage_latents(RunContext& ctx);
StageOutcome stage_steering(RunContext& ctx);
StageOutcome stage_heads(RunContext& ctx);
StageOutcome stage_uncertainty(RunContext& ctx);

}  // namespace knowscope::study
