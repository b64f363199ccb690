// `knowscope run`: the run folder, the stages in order with an overall progress line, the report
// and the summary (run.h).
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "knowscope/core/error.h"
#include "knowscope/core/parallel.h"
#include "knowscope/model/registry.h"
#include "knowscope/study/labelling.h"
#include "knowscope/study/report.h"
#include "knowscope/study/run.h"
#include "study/run_stages.h"

namespace knowscope::study {
namespace fs = std::filesystem;
namespace {

std::string minutes(double s) {
  char buf[32];
  if (s < 0) return "?";
  std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  return buf;
}

struct StagePlan {
  const char* name;
  StageOutcome (*run)(RunContext&);
  double share;  // of the profile's time budget, for the overall ETA
};
constexpr StagePlan kStages[] = {
    {"labelling", stage_labelling, 0.25}, {"sae", stage_sae, 0.25},
    {"latents", stage_latents, 0.15},     {"steering", stage_steering, 0.15},
    {"heads", stage_heads, 0.10},         {"uncertainty", stage_uncertainty, 0.10},
};

json options_json(const RunOptions& o) {
  return {{"model", o.model},       {"profile", o.profile},
          {"out", o.out},           {"sae_set", o.sae_set},
          {"entities", o.entities}, {"labels", o.labels},
          {"threads", o.threads},   {"min_known_attributes", o.min_known_attributes},
          {"only", o.only}};
}

json profile_json(const RunProfile& p) {
  return {{"name", p.name},
          {"label_types", p.label_types},
          {"label_per_type", p.label_per_type},
          {"label_samples", p.label_samples},
          {"label_early_stop", p.label_early_stop},
          {"label_min_known_attributes", p.label_min_known_attributes},
          {"latents_min_type_entities", p.latents_min_type_entities},
          {"sae_profile", p.sae_profile},
          {"latents_generic_docs", p.latents_generic_docs},
          {"steer_n_per_type", p.steer_n_per_type},
          {"steer_n_random", p.steer_n_random},
          {"patch_pairs", p.patch_pairs},
          {"attention_n", p.attention_n},
          {"uncertainty_per_type", p.uncertainty_per_type},
          {"budget_minutes", p.budget_minutes}};
}

bool selected(const RunOptions& o, const std::string& stage) {
  if (o.only.empty()) return true;
  for (const auto& s : o.only)
    if (s == stage) return true;
  return false;
}

}  // namespace

const Model& RunContext::model() {
  if (!model_) {
    std::fprintf(stderr, "loading %s\n", model_path.c_str());
    model_ = std::make_unique<Model>(load_model(model_path));
  }
  return *model_;
}

void require_stage(const std::string& hash, const std::string& stage, const std::string& why) {
  if (hash.empty())
    throw StageUnavailable("needs the '" + stage + "' stage (" + why + "), which did not finish");
}

StageOutcome run_ctx_stage(RunContext& ctx, const std::string& name, const json& config,
                           const std::function<json(StageContext&)>& body) {
  if (ctx.reuse_only && ctx.folder.done_record(name, config_hash(config)).is_null()) {
    StageOutcome o;
    o.name = name;
    o.config_hash = config_hash(config);
    o.status = StageStatus::unavailable;
    o.reason = "left out by --only and not done earlier";
    return o;
  }
  return run_stage(ctx.folder, name, config, body);
}

RunSummary run_study(const RunOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  const RunProfile profile = run_profile(options.profile);
  for (const auto& s : options.only) {
    bool known = s == "report";
    for (const auto& st : kStages) known = known || s == st.name;
    check(known, "--only", "", "unknown stage '" + s + "'");
  }
  if (options.threads > 0) set_num_threads(options.threads);
  const std::string model_path = resolve_model_path(options.model);
  const std::string model_id = model_cache_id(options.model);
  std::string out = options.out;
  if (out.empty()) out = (fs::path("runs") / (model_id + "-" + profile.name)).string();

  RunContext ctx(options, profile, out);
  ctx.model_path = model_path;
  ctx.model_id = model_id;
  ctx.versions = {{"knowscope", "0.1.0"}, {"run_format", 1}};

  // config.json: what this run was asked to do (rewritten each time; stages keep their own).
  write_json_atomic(ctx.folder.path("config.json"),
                    {{"format", "knowscope-run"},
                     {"version", 1},
                     {"model", options.model},
                     {"model_id", model_id},
                     {"model_path", fs::absolute(model_path).string()},
                     {"profile", profile.name},
                     {"profile_sizes", profile_json(profile)},
                     {"options", options_json(options)},
                     {"threads", num_threads()},
                     {"versions", ctx.versions},
                     {"created", now_iso()}});
  std::vector<InputFile> inputs = {{"model", model_path, false}};
  if (!options.entities.empty()) inputs.push_back({"entities", options.entities});
  if (!options.labels.empty()) inputs.push_back({"labels", options.labels});
  if (!options.sae_set.empty()) inputs.push_back({"sae_set", options.sae_set, false});
  record_inputs(ctx.folder, inputs);

  RunSummary summary;
  summary.out = out;
  const size_t n = std::size(kStages) + 1;
  double planned_done = 0, actual_done = 0;
  for (size_t i = 0; i < std::size(kStages); ++i) {
    const StagePlan& st = kStages[i];
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double remaining = 0;
    for (size_t k = i; k < std::size(kStages); ++k)
      remaining += kStages[k].share * profile.budget_minutes * 60;
    if (planned_done > 0) remaining *= actual_done / planned_done;
    if (options.progress)
      std::fprintf(stderr, "\n[%zu/%zu] %s   run elapsed %s, remaining about %s\n", i + 1, n,
                   st.name, minutes(elapsed).c_str(),
                   profile.budget_minutes > 0 ? minutes(remaining).c_str() : "(full: hours)");
    // A stage left out by --only still picks up its finished result for the stages after it.
    ctx.reuse_only = !selected(options, st.name);
    StageOutcome o = st.run(ctx);
    // Learn the machine's pace from stages that did real work (a stage that found its work in
    // the cache takes seconds and says nothing about the pace).
    const double planned = st.share * profile.budget_minutes * 60;
    if (o.status == StageStatus::ran && o.seconds >= 0.2 * planned) {
      planned_done += planned;
      actual_done += o.seconds;
    }
    if (options.progress)
      std::fprintf(stderr, "[%zu/%zu] %s: %s%s%s (%s)\n", i + 1, n, st.name,
                   std::string(stage_status_name(o.status)).c_str(), o.reason.empty() ? "" : ": ",
                   o.reason.c_str(), minutes(o.seconds).c_str());
    summary.stages.push_back(std::move(o));
  }

  // The stage list, read by the report (also when a stage failed).
  json list = json::array();
  for (const auto& o : summary.stages)
    list.push_back({{"name", o.name},
                    {"status", stage_status_name(o.status)},
                    {"reason", o.reason},
                    {"seconds", o.seconds},
                    {"config_hash", o.config_hash},
                    {"summary", o.summary}});
  StageOutcome rep;
  rep.name = "report";
  const auto r0 = std::chrono::steady_clock::now();
  try {
    list.push_back({{"name", "report"}, {"status", "ran"}, {"reason", ""}, {"seconds", 0.0}});
    write_json_atomic(ctx.folder.path("stages.json"), {{"stages", list}});
    summary.report = write_report(out);
    rep.status = StageStatus::ran;
  } catch (const std::exception& e) {
    rep.status = StageStatus::failed;
    rep.reason = e.what();
    list.back()["status"] = "failed";
    list.back()["reason"] = rep.reason;
  }
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - r0).count();
  list.back()["seconds"] = rep.seconds;
  write_json_atomic(ctx.folder.path("stages.json"), {{"stages", list}});
  summary.stages.push_back(rep);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return summary;
}

std::string format_run_summary(const RunSummary& s) {
  std::string out = "\nknowscope run: " + s.out + " (" + minutes(s.seconds) + ")\n";
  char line[512];
  for (const auto& o : s.stages) {
    std::string headline;
    if (o.summary.is_object() && o.summary.contains("headline"))
      headline = o.summary["headline"].get<std::string>();
    if (!o.reason.empty()) headline = o.reason;
    if (headline.size() > 90) headline = headline.substr(0, 87) + "...";
    std::snprintf(line, sizeof line, "  %-12s %-11s %8s  %s\n", o.name.c_str(),
                  std::string(stage_status_name(o.status)).c_str(), minutes(o.seconds).c_str(),
                  headline.c_str());
    out += line;
  }
  out += s.report.empty() ? "  report: not written (see above)\n" : "  report: " + s.report + "\n";
  return out;
}

}  // namespace knowscope::study
