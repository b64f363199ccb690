// Stage "sae": the SAE set the latents are read from. A given --sae-set folder is loaded (any
// folder load_sae_set accepts); otherwise the model's default set for the profile is trained in
// the shared cache (train_sae_set reuses a finished set of the same configuration and resumes an
// interrupted one), so runs and `knowscope sae` share it.
#include <filesystem>

#include "knowscope/sae/sae_set.h"
#include "knowscope/sae/train_set.h"
#include "study/run_stages.h"

namespace knowscope::study {
namespace fs = std::filesystem;
namespace {

json set_summary(const SaeSet& set, const std::string& how) {
  json layers = json::array();
  for (const auto& l : set.layers)
    layers.push_back({{"layer_block", l.layer_block},
                      {"hook", l.hook},
                      {"d_sae", l.d_sae},
                      {"arch", l.arch},
                      {"metrics", json::parse(l.metrics_json)}});
  return {{"dir", fs::absolute(set.dir).string()},
          {"model", set.model},
          {"layers", layers},
          {"corpus", json::parse(set.corpus_json)},
          {"train", json::parse(set.train_json)},
          {"how", how},
          {"headline", std::to_string(set.layers.size()) + " SAEs (" + how + ") in " + set.dir}};
}

}  // namespace

StageOutcome stage_sae(RunContext& ctx) {
  StageOutcome out;
  if (!ctx.options.sae_set.empty()) {
    const std::string dir = fs::absolute(ctx.options.sae_set).string();
    json config = {{"source", "given"}, {"dir", dir}};
    if (fs::exists(dir + "/sae_set.json"))
      config["index_sha256"] = sha256_file(dir + "/sae_set.json");
    out = run_ctx_stage(ctx, "sae", config,
                        [&](StageContext&) { return set_summary(load_sae_set(dir), "given"); });
  } else {
    const std::string dir = default_sae_set_dir(ctx.model_id, ctx.profile.sae_profile);
    const json config = {{"source", "default"},
                         {"dir", dir},
                         {"model_id", ctx.model_id},
                         {"sae_profile", ctx.profile.sae_profile}};
    out = run_ctx_stage(ctx, "sae", config, [&](StageContext&) {
      const Model& model = ctx.model();
      SaeSetTrainConfig cfg = sae_set_profile(ctx.profile.sae_profile, model.config);
      cfg.model_name = ctx.model_id;
      cfg.out_dir = dir;
      cfg.progress = ctx.options.progress;
      const SaeSetTrainResult r = train_sae_set(model, cfg);
      json s = set_summary(r.set, r.reused ? "reused from the cache" : "trained");
      s["seconds_capture"] = r.seconds_capture;
      s["seconds_train"] = r.seconds_train;
      s["seconds_eval"] = r.seconds_eval;
      return s;
    });
  }
  if (out.status == StageStatus::ran || out.status == StageStatus::reused) {
    ctx.sae_dir = out.summary.value("dir", "");
    ctx.sae_hash = out.config_hash;
  }
  return out;
}

}  // namespace knowscope::study
