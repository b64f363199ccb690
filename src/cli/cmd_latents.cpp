// knowscope latents: the known- and unknown-entity latents (docs/latents.md).
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "knowscope/core/error.h"
#include "knowscope/core/parallel.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/model/model.h"
#include "knowscope/model/registry.h"
#include "knowscope/sae/corpus.h"
#include "knowscope/sae/sae_set.h"
#include "knowscope/study/labelling.h"
#include "knowscope/study/labelling_run.h"
#include "knowscope/study/latents.h"
#include "knowscope/study/report.h"

namespace knowscope::cli {
namespace {

namespace fs = std::filesystem;

struct LatentsCliOptions {
  std::string model = "gemma-3-270m";
  std::string sae_set, labels, out = ".", corpus, sentences;
  std::string selection_split = "train";
  bool html = false;
  int min_type_entities = 1;
  int generic_docs = 2000;
  int context_docs = 500;
  int top_n = 20;
  int n_random = 10;
  uint64_t seed = 42;
  uint64_t generic_seed = 10;
  int threads = 0;
  bool no_sentences = false;
};

// data/latents/sentences.json in the working directory or above it, or above the executable.
std::string find_default_sentences() {
  std::vector<fs::path> starts = {fs::current_path()};
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) starts.push_back(exe.parent_path());
  for (fs::path p : starts) {
    for (; !p.empty(); p = p.parent_path()) {
      const fs::path f = p / "data" / "latents" / "sentences.json";
      if (fs::exists(f, ec)) return f.string();
      if (p == p.parent_path()) break;
    }
  }
  return "";
}

int run(const LatentsCliOptions& o) {
  if (o.threads > 0) set_num_threads(o.threads);
  if (o.selection_split != "train" && o.selection_split != "all")
    fail("--selection-split", "", "expected train or all, got '" + o.selection_split + "'");
  study::LatentsConfig cfg;
  cfg.model_name = o.model;
  cfg.sae_set = o.sae_set.empty() ? default_sae_set_dir(study::model_cache_id(o.model)) : o.sae_set;
  if (o.labels.empty()) {
    cfg.labels = study::default_labels_path(study::model_cache_id(o.model));
    check(
        fs::exists(cfg.labels), cfg.labels, "",
        "no labels for this model's default labelling profile: run `knowscope entities label -m " +
            o.model + "` or pass --labels FILE");
  } else {
    cfg.labels = o.labels;
  }
  cfg.corpus = o.corpus.empty() ? default_corpus_path() : o.corpus;
  if (o.corpus.empty() && !fs::exists(cfg.corpus)) {
    std::fprintf(stderr,
                 "knowscope latents: no generic corpus at %s: the 2%% frequency filter is off "
                 "(pass --corpus FILE)\n",
                 cfg.corpus.c_str());
    cfg.corpus.clear();
  }
  cfg.sentences =
      o.no_sentences ? "" : (o.sentences.empty() ? find_default_sentences() : o.sentences);
  cfg.selection_all = o.selection_split == "all";
  cfg.min_type_entities = o.min_type_entities;
  cfg.generic_docs = o.generic_docs;
  cfg.context_docs = o.context_docs;
  cfg.top_n = o.top_n;
  cfg.n_random = o.n_random;
  cfg.random_seed = o.seed;
  cfg.generic_seed = o.generic_seed;
  check(fs::exists(cfg.sae_set), cfg.sae_set, "",
        "no SAE set here: train one with `knowscope sae` or pass --sae-set DIR (a sae_set.json "
        "folder or a folder of SAELens / Gemma Scope SAEs)");
  const Model model = load_model(resolve_model_path(o.model));
  const study::LatentsResult result = study::run_latents(model, cfg);
  const std::string path = study::write_latents_json(o.out, result);
  std::printf("%s", study::format_latents_summary(result).c_str());
  if (o.html) {
    const std::string page_path = (fs::path(o.out) / "latents.html").string();
    write_file_atomic(page_path, study::render_latents_page(
                                     nlohmann::json::parse(study::latents_to_json(result))));
    std::printf("wrote %s\n", page_path.c_str());
  }
  std::printf("wrote %s (%.1f s)\n", path.c_str(),
              result.seconds.count("total") ? result.seconds.at("total") : 0.0);
  return 0;
}

}  // namespace

Runner add_latents(CLI::App& app) {
  auto opt = std::make_shared<LatentsCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "latents",
      "Find the known- and unknown-entity SAE latents: separation scores, 2% generic-frequency "
      "filter, layer profile, probe baselines, generalisation (docs/latents.md)");
  cmd->add_option("-m,--model", opt->model, "Model name, .gguf file or HF folder")
      ->capture_default_str();
  cmd->add_option("--sae-set", opt->sae_set,
                  "SAE set folder (sae_set.json) or a folder of SAELens / Gemma Scope SAEs "
                  "(default: the model's default set under $KNOWSCOPE_HOME/saes)");
  cmd->add_option("--labels", opt->labels,
                  "Labels file of `knowscope entities label` (default: the default profile's)");
  cmd->add_option("--out", opt->out, "Folder for latents.json")->capture_default_str();
  cmd->add_option("--corpus", opt->corpus,
                  "Generic corpus JSONL for the 2% filter (default: $KNOWSCOPE_HOME/corpus/"
                  "debian-text.jsonl)");
  cmd->add_option("--generic-docs", opt->generic_docs, "Corpus documents for the generic frequency")
      ->capture_default_str();
  cmd->add_option("--context-docs", opt->context_docs,
                  "Corpus documents searched for top-activating contexts")
      ->capture_default_str();
  cmd->add_option("--min-type-entities", opt->min_type_entities,
                  "Known and unknown entities a type needs to enter the min over types")
      ->capture_default_str();
  cmd->add_option("--selection-split", opt->selection_split,
                  "Entities the scores use: train (paper text) or all (authors' code)")
      ->capture_default_str();
  cmd->add_option("--sentences", opt->sentences,
                  "Free sentences about real and invented entities (default: "
                  "data/latents/sentences.json)");
  cmd->add_flag("--no-sentences", opt->no_sentences, "Skip the free sentences");
  cmd->add_flag("--html", opt->html,
                "Also write <out>/latents.html: layer profile, top latents, token highlights, "
                "top contexts (self-contained, Chart.js inlined)");
  cmd->add_option("--top", opt->top_n, "Latents kept per side")->capture_default_str();
  cmd->add_option("--n-random", opt->n_random, "Random-latent controls per side")
      ->capture_default_str();
  cmd->add_option("--seed", opt->seed, "random.seed of the controls' draw")->capture_default_str();
  cmd->add_option("--generic-seed", opt->generic_seed, "random.seed of the generic word draw")
      ->capture_default_str();
  cmd->add_option("--threads", opt->threads, "Worker threads (default: all cores)");
  return [opt] { return run(*opt); };
}

}  // namespace knowscope::cli
