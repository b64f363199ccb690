// Stage "uncertainty" (study/uncertainty.h; docs/uncertainty.md): latents at the end of the
// prompt that predict a wrong answer, against a residual probe and the model's own answer
// probability.
#include "knowscope/io/atomic_file.h"
#include "knowscope/study/uncertainty.h"
#include "study/run_stages.h"

namespace knowscope::study {

StageOutcome stage_uncertainty(RunContext& ctx) {
  const json config = {{"labels", ctx.labels_hash},
                       {"sae", ctx.sae_hash},
                       {"per_type", ctx.profile.uncertainty_per_type},
                       {"seed", 0}};
  return run_ctx_stage(ctx, "uncertainty", config, [&](StageContext& sc) {
    require_stage(ctx.labels_hash, "labelling", "entity labels and the model's answers");
    require_stage(ctx.sae_hash, "sae", "the SAE set");
    UncertaintyConfig cfg;
    cfg.model_name = ctx.options.model;
    cfg.labels_path = ctx.labels_path;
    cfg.sae_set_dir = ctx.sae_dir;
    cfg.per_type = ctx.profile.uncertainty_per_type;
    cfg.progress = ctx.options.progress;
    const UncertaintyResult r = run_uncertainty(ctx.model(), cfg);
    write_file_atomic(sc.dir + "/uncertainty.json", r.to_json());
    sc.artifacts.push_back("uncertainty.json");
    json summary = {{"status", r.status}, {"reason", r.reason}};
    if (!r.roc.empty()) {
      char buf[200];
      std::snprintf(buf, sizeof buf, "%s: AUROC %.3f, F1 %.3f (n %zu balanced test)",
                    r.roc[0].name.c_str(), r.roc[0].auroc, r.roc[0].f1, r.roc[0].n);
      summary["headline"] = buf;
      summary["auroc"] = r.roc[0].auroc;
    } else {
      summary["headline"] = r.status + (r.reason.empty() ? "" : ": " + r.reason);
    }
    return summary;
  });
}

}  // namespace knowscope::study
