// knowscope steer refusal|sweep|balance|yesno: the steering experiments (docs/steering.md).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "cli/commands.h"
#include "knowscope/core/error.h"
#include "knowscope/core/parallel.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/model/model.h"
#include "knowscope/model/registry.h"
#include "knowscope/sae/sae_set.h"
#include "knowscope/study/labelling.h"
#include "knowscope/study/labelling_run.h"
#include "knowscope/study/steering.h"

namespace knowscope::cli {
namespace {

namespace fs = std::filesystem;

struct SteerCliOptions {
  std::string model = "gemma-3-270m";
  std::string latents, sae_set, labels, out = ".", dataset;
  std::string latent_known, latent_unknown, random_known, random_unknown;
  std::string sweep_entities = "unknown";
  std::string format = "auto", positions, split = "test", types, fewshot_header;
  int n_per_type = 20, n_random = 10, max_tokens = 30, threads = 0;
  double factor = 2.0, factor_known = -1, factor_unknown = -1, target = 0.9;
  std::string factors = "0,0.5,1,1.5,2,3,4";
  std::string coefficients = "-4,-3,-2,-1,-0.5,0,0.5,1,2,3,4";
  bool no_balance = false, no_orthogonalized = false;
  uint64_t seed = 42;
};

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::vector<double> number_list(const std::string& s, const char* option) {
  std::vector<double> out;
  for (const auto& item : split_list(s)) {
    try {
      size_t used = 0;
      out.push_back(std::stod(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      fail(option, "", "expected comma-separated numbers, got '" + item + "'");
    }
  }
  if (out.empty()) fail(option, "", "expected at least one number");
  return out;
}

study::SteerSetup make_setup(const SteerCliOptions& o, const std::string& default_split) {
  study::SteerSetup s;
  s.model_name = o.model;
  if (o.labels.empty()) {
    s.labels_path = study::default_labels_path(study::model_cache_id(o.model));
    check(fs::exists(s.labels_path), s.labels_path, "",
          "no labels for this model's default labelling profile: run `knowscope entities label "
          "-m MODEL` or pass --labels FILE");
  } else {
    s.labels_path = o.labels;
  }
  s.dataset = o.dataset;
  s.latents.latents_file = o.latents;
  s.latents.sae_set =
      o.sae_set.empty() ? default_sae_set_dir(study::model_cache_id(o.model)) : o.sae_set;
  s.latents.known_id = o.latent_known;
  s.latents.unknown_id = o.latent_unknown;
  s.latents.random_known_ids = split_list(o.random_known);
  s.latents.random_unknown_ids = split_list(o.random_unknown);
  s.latents.n_random = o.n_random;
  s.latents.seed = o.seed;
  if (o.latents.empty() && (o.latent_known.empty() || o.latent_unknown.empty()))
    fail("--latents", "", "give latents.json, or both --latent-known and --latent-unknown");
  const std::string split = o.split.empty() ? default_split : o.split;
  if (split == "all")
    s.selection.split = std::nullopt;
  else if (split == "train")
    s.selection.split = study::SplitName::train;
  else if (split == "validation")
    s.selection.split = study::SplitName::validation;
  else if (split == "test")
    s.selection.split = study::SplitName::test;
  else
    fail("--split", "", "expected train, validation, test or all, got '" + split + "'");
  s.selection.balanced = !o.no_balance;
  s.selection.n_per_type = o.n_per_type;
  s.selection.seed = uint32_t(o.seed);
  s.selection.types = split_list(o.types);
  s.selection.fewshot_header = o.fewshot_header.empty() ? "" : read_file(o.fewshot_header);
  if (o.format == "chat")
    s.format = study::SteerFormat::chat;
  else if (o.format == "fewshot")
    s.format = study::SteerFormat::fewshot;
  else if (o.format != "auto")
    fail("--format", "", "expected auto, chat or fewshot, got '" + o.format + "'");
  s.max_new_tokens = o.max_tokens;
  s.factor_known = o.factor_known > 0 ? o.factor_known : o.factor;
  s.factor_unknown = o.factor_unknown > 0 ? o.factor_unknown : o.factor;
  return s;
}

void write_result(const std::string& out_dir, const std::string& name, const std::string& json,
                  const std::string& table) {
  fs::create_directories(out_dir);
  const std::string path = (fs::path(out_dir) / (name + ".json")).string();
  write_file_atomic(path, json);
  std::fputs(table.c_str(), stdout);
  std::printf("\nwrote %s\n", path.c_str());
}

int run(const std::string& stage, const SteerCliOptions& o) {
  if (o.threads > 0) set_num_threads(o.threads);
  const std::string default_split = stage == "sweep" ? "validation" : "test";
  SteerCliOptions opts = o;
  if (opts.split.empty()) opts.split = default_split;
  const Model model = load_model(resolve_model_path(o.model));
  const study::SteerContext ctx = study::prepare_steering(model, make_setup(opts, default_split));
  if (stage == "refusal") {
    study::RefusalConfig c;
    if (!o.positions.empty()) c.positions = study::parse_steer_positions(o.positions);
    c.orthogonalized = !o.no_orthogonalized;
    const auto r = study::run_refusal(ctx, c);
    write_result(o.out, "refusal", study::to_json(ctx, r), study::format_table(ctx, r));
  } else if (stage == "sweep") {
    study::SweepConfig c;
    c.factors = number_list(o.factors, "--factors");
    c.target = o.target;
    c.entities = o.sweep_entities;
    if (!o.positions.empty()) c.positions = study::parse_steer_positions(o.positions);
    const auto r = study::run_sweep(ctx, c);
    write_result(o.out, "sweep", study::to_json(ctx, r), study::format_table(ctx, r));
  } else if (stage == "balance") {
    study::BalanceConfig c;
    c.coefficients = number_list(o.coefficients, "--coefficients");
    if (!o.positions.empty()) c.positions = study::parse_steer_positions(o.positions);
    const auto r = study::run_balance(ctx, c);
    write_result(o.out, "balance", study::to_json(ctx, r), study::format_table(ctx, r));
  } else {
    study::YesNoConfig c;
    c.n_random = o.n_random;  // forward passes only: controls are cheap here
    if (!o.positions.empty()) c.positions = study::parse_steer_positions(o.positions);
    const auto r = study::run_yesno(ctx, c);
    write_result(o.out, "yesno", study::to_json(ctx, r), study::format_table(ctx, r));
  }
  return 0;
}

void add_common(CLI::App* c, SteerCliOptions& o) {
  c->add_option("-m,--model", o.model, "Model name or path (default gemma-3-270m)");
  c->add_option("--latents", o.latents, "latents.json from `knowscope latents`");
  c->add_option("--sae-set", o.sae_set, "SAE set folder (default: the model's default set)");
  c->add_option("--latent-known", o.latent_known,
                "Known-entity latent, paper notation (L5F123 = latent 123 of the SAE on "
                "blocks.5.hook_resid_pre); overrides latents.json");
  c->add_option("--latent-unknown,--latent", o.latent_unknown, "Unknown-entity latent (L7F99)");
  c->add_option("--random-known", o.random_known, "Control latents for the known side, comma list");
  c->add_option("--random-unknown", o.random_unknown, "Control latents for the unknown side");
  c->add_option("--labels", o.labels, "labels.json (default: the model's default labelling run)");
  c->add_option("--entities", o.dataset, "Entity folder or file with the attribute values");
  c->add_option("--out", o.out, "Output folder (default .)");
  c->add_option("--n-per-type", o.n_per_type, "Questions per entity type (default 20; 0: all)");
  c->add_option("--n-random", o.n_random, "Random control latents per side (default 10)");
  c->add_option("--factor", o.factor, "alpha = factor x mean |resid| at the entity (default 2)");
  c->add_option("--factor-known", o.factor_known, "Factor of the known latent");
  c->add_option("--factor-unknown", o.factor_unknown, "Factor of the unknown latent");
  c->add_option("--positions", o.positions, "entity_last_to_end or entity_last");
  c->add_option("--split", o.split,
                "train, validation, test or all (default test; sweep: validation)");
  c->add_flag("--no-balance", o.no_balance, "Do not truncate known/unknown lists to equal size");
  c->add_option("--format", o.format,
                "auto, chat or fewshot (default auto: chat for *-it/instruct)");
  c->add_option("--fewshot-header", o.fewshot_header, "File with an own few-shot page");
  c->add_option("--types", o.types, "Entity types, comma list (default: all in the labels)");
  c->add_option("--max-tokens", o.max_tokens, "New tokens per completion (default 30)");
  c->add_option("--seed", o.seed, "Prompt shuffle and random-latent seed (default 42)");
  c->add_option("--threads", o.threads, "Worker threads (default: all cores)");
}

}  // namespace

Runner add_steer(CLI::App& app) {
  auto* steer = app.add_subcommand(
      "steer", "Steering experiments: refusal, sweep, balance curve, yes/no probe");
  steer->require_subcommand(1);
  auto o = std::make_shared<SteerCliOptions>();
  auto stage = std::make_shared<std::string>();
  struct Sub {
    const char* name;
    const char* help;
  };
  for (const Sub& s :
       {Sub{"refusal",
            "Refusal rates: original, known/unknown latent, random controls, "
            "orthogonalized model"},
        Sub{"sweep", "Refusal rate of the unknown latent over factors (validation split)"},
        Sub{"balance",
            "The knob: refusal on unknown and accuracy on known entities along a signed "
            "coefficient"},
        Sub{"yesno", "logit(Yes) - logit(No) of 'Are you sure you know ...', steered"}}) {
    auto* c = steer->add_subcommand(s.name, s.help);
    add_common(c, *o);
    if (std::string(s.name) == "refusal")
      c->add_flag("--no-orthogonalized", o->no_orthogonalized, "Skip the orthogonalized model");
    if (std::string(s.name) == "sweep") {
      c->add_option("--factors", o->factors, "Factors, comma list (default 0,0.5,1,1.5,2,3,4)");
      c->add_option("--target", o->target, "Refusal rate the chosen factor must reach (0.9)");
      c->add_option("--entities-set", o->sweep_entities,
                    "Sweep on unknown (default), known or all entities' prompts");
    }
    if (std::string(s.name) == "balance")
      c->add_option("--coefficients", o->coefficients,
                    "Signed factors, < 0 known latent, > 0 unknown latent");
    const std::string name = s.name;
    c->callback([stage, name] { *stage = name; });
  }
  // --split's default depends on the stage: empty here means "the stage's default".
  o->split.clear();
  return [o, stage] { return run(*stage, *o); };
}

}  // namespace knowscope::cli
