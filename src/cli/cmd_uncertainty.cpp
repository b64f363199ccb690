// knowscope uncertainty: the SAE latent whose activation at the end of the instruction predicts a
// wrong answer, against a residual probe and the model's own answer probability
// (docs/uncertainty.md).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "knowscope/core/error.h"
#include "knowscope/core/parallel.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/model/model.h"
#include "knowscope/model/registry.h"
#include "knowscope/study/labelling.h"
#include "knowscope/study/labelling_run.h"
#include "knowscope/study/uncertainty.h"

namespace knowscope::cli {
namespace {

struct UncertaintyCliOptions {
  std::string model = "gemma-3-270m";
  std::string sae_set;
  std::string labels;
  std::string out = ".";
  std::string format = "auto";
  bool include_other = false;
  int per_type = 0;
  int top = 20;
  uint64_t seed = 0;
  int greedy_tokens = 16;
  int bootstrap = 1000;
  int threads = 0;
};

int run(const UncertaintyCliOptions& o) {
  using namespace study;
  if (o.threads > 0) set_num_threads(o.threads);
  UncertaintyConfig cfg;
  cfg.model_name = o.model;
  const std::string model_id = model_cache_id(o.model);
  cfg.labels_path = o.labels.empty() ? default_labels_path(model_id) : o.labels;
  cfg.sae_set_dir = o.sae_set.empty() ? default_sae_set_dir(model_id) : o.sae_set;
  if (o.format != "auto") cfg.format = parse_format(o.format);
  cfg.include_other = o.include_other;
  cfg.per_type = o.per_type;
  cfg.top = o.top;
  cfg.seed = o.seed;
  cfg.greedy_tokens = o.greedy_tokens;
  cfg.bootstrap = o.bootstrap;
  if (!std::filesystem::exists(cfg.labels_path))
    fail(cfg.labels_path, "", "no labels file (run `knowscope entities label` or pass --labels)");
  if (!std::filesystem::exists(cfg.sae_set_dir))
    fail(cfg.sae_set_dir, "", "no SAE set (train one with `knowscope sae` or pass --sae-set)");

  const Model model = load_model(resolve_model_path(o.model));
  std::fprintf(stderr, "uncertainty: %s\n  labels  %s\n  SAE set %s\n", o.model.c_str(),
               cfg.labels_path.c_str(), cfg.sae_set_dir.c_str());
  const UncertaintyResult r = run_uncertainty(model, cfg);
  std::filesystem::create_directories(o.out);
  const std::string path = (std::filesystem::path(o.out) / "uncertainty.json").string();
  write_file_atomic(path, r.to_json());
  std::printf("%s", format_uncertainty_summary(r).c_str());
  std::printf("wrote %s (%.1f s)\n", path.c_str(), r.seconds);
  return 0;
}

}  // namespace

Runner add_uncertainty(CLI::App& app) {
  auto o = std::make_shared<UncertaintyCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "uncertainty", "Find the SAE latent that predicts a wrong answer (paper section 7)");
  cmd->add_option("-m,--model", o->model, "Model name, .gguf file or HF folder")
      ->capture_default_str();
  cmd->add_option("--sae-set", o->sae_set,
                  "SAE set folder (default: the model's default set under $KNOWSCOPE_HOME/saes)");
  cmd->add_option("--labels", o->labels,
                  "Labels file of `knowscope entities label` (default: the default profile's)");
  cmd->add_option("--out", o->out, "Folder for uncertainty.json")->capture_default_str();
  cmd->add_option("--format", o->format,
                  "Analysed prompts: auto (from the labels), base, fewshot or free (chat template)")
      ->capture_default_str();
  cmd->add_flag("--include-other", o->include_other,
                "Also use entities labelled 'other' (split the same way)");
  cmd->add_option("--per-type", o->per_type, "At most N entities per type and label (0: all)")
      ->capture_default_str();
  cmd->add_option("--top", o->top, "Latents listed")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed of the balanced subsampling and the bootstrap")
      ->capture_default_str();
  cmd->add_option("--greedy-tokens", o->greedy_tokens,
                  "Greedy answer length for the probability baseline (0: skip it)")
      ->capture_default_str();
  cmd->add_option("--bootstrap", o->bootstrap, "AUROC bootstrap resamples (0: none)")
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "Worker threads (default: all cores)");
  return [o] { return run(*o); };
}

}  // namespace knowscope::cli
