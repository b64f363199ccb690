// knowscope entities: the entity dataset (list), the prompts it makes (prompts), and labelling
// entities known / unknown from a model's own answers (label).
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "knowscope/core/error.h"
#include "knowscope/core/parallel.h"
#include "knowscope/model/model.h"
#include "knowscope/model/registry.h"
#include "knowscope/study/entities.h"
#include "knowscope/study/labelling.h"
#include "knowscope/study/labelling_run.h"
#include "knowscope/study/templates.h"

namespace knowscope::cli {
namespace {

using namespace knowscope::study;

// Profiles: entities per type and samples per prompt, sized from bench_labelling on the 2-core
// machine (docs/labelling.md). Explicit --per-type / --samples / --full-completions override.
struct Profile {
  const char* name;
  int per_type;  // 0: all
  int samples;
  bool early_stop;
  const char* about;
};
constexpr Profile kProfiles[] = {
    {"quick", 5, 5, true, "5 entities per type, greedy + 5 samples (~2 minutes)"},
    {"default", kDefaultLabelPerType, 10, true,
     "20 entities per type, greedy + 10 samples (~13 minutes)"},
    {"paper", 0, 10, false,
     "every entity, greedy + 10 samples of 32 tokens, no early stop (~5 hours)"},
};

const Profile& find_profile(const std::string& name) {
  for (const auto& p : kProfiles)
    if (name == p.name) return p;
  fail("--profile", "", "unknown profile '" + name + "' (quick, default, paper)");
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// The entities of --entities FILE, or of the dataset for `types`.
std::vector<Entity> load_pool(const std::string& file, const std::vector<std::string>& types,
                              std::string* source) {
  if (!file.empty()) {
    *source = file;
    return load_entities(file);
  }
  *source = find_entity_dir();
  return load_dataset(*source, types);
}

struct LabelCliOptions {
  std::string model = "gemma-3-270m";
  std::string types;
  std::string profile = "default";
  int per_type = -1;
  int samples = -1;
  int max_tokens = 32;
  float temperature = 1.0f;
  uint64_t seed = 0;
  std::string format = "base";
  std::string entities;
  std::string out;
  int threads = 0;
  bool full = false;
  bool no_generate = false;
  double min_correct = 0.3;
  int min_known_attributes = 2;
};

int run_label(const LabelCliOptions& o) {
  if (o.threads > 0) set_num_threads(o.threads);
  const Profile& prof = find_profile(o.profile);
  LabellingConfig cfg;
  cfg.format = parse_format(o.format);
  cfg.samples = o.samples >= 0 ? o.samples : prof.samples;
  cfg.max_new_tokens = o.max_tokens;
  cfg.temperature = o.temperature;
  cfg.seed = o.seed;
  cfg.early_stop = !o.full && prof.early_stop;
  validate_labelling_config(cfg);

  EntitySelection sel;
  sel.types = split_list(o.types);
  sel.per_type = o.per_type >= 0 ? o.per_type : prof.per_type;
  std::string source;
  const auto pool = load_pool(o.entities, sel.types, &source);
  const auto entities = select_entities(pool, sel);
  if (entities.empty()) fail(source, "", "no entities of the selected types");

  const std::string model_path = resolve_model_path(o.model);
  Model model = load_model(model_path);
  LabellingRun run;
  run.model_name = o.model;
  run.model_id = model_cache_id(o.model);
  run.dir = o.out.empty() ? default_labelling_dir(run.model_id, cfg) : o.out;
  run.config = cfg;
  run.selection = sel;
  run.selection_source = source;
  run.rule.min_correct_fraction = o.min_correct;
  run.rule.min_known_attributes = o.min_known_attributes;
  run.generate = !o.no_generate;
  std::fprintf(stderr,
               "labelling %zu entities of %s with %s: format %s, greedy + %d samples (T=%g), "
               "max %d tokens%s\n  folder %s\n",
               entities.size(), source.c_str(), run.model_id.c_str(), o.format.c_str(), cfg.samples,
               double(cfg.temperature), cfg.max_new_tokens,
               early_stop_applies(cfg) ? ", stop at the end of the answer line" : "",
               run.dir.c_str());
  const LabellingResult res = run_labelling(model, entities, run);

  const auto& s = res.stats;
  if (run.generate)
    std::printf(
        "prompts: %zu (%zu already in the log, %zu generated) in %.1f s: %lld completions "
        "(%.2f/s), %lld tokens (%.1f/s)\n",
        s.prompts, s.reused, s.generated, s.seconds, (long long)s.completions,
        s.seconds > 0 ? double(s.completions) / s.seconds : 0.0, (long long)s.generated_tokens,
        s.seconds > 0 ? double(s.generated_tokens) / s.seconds : 0.0);
  std::printf("%-8s %7s %8s %6s %6s   %s\n", "type", "known", "unknown", "other", "total",
              "splits known / unknown (train/val/test)");
  for (const auto& [type, c] : count_labels(res.labels)) {
    std::string splits;
    if (auto it = res.labels.splits.find(type); it != res.labels.splits.end()) {
      const auto& [k, u] = it->second;
      char buf[96];
      std::snprintf(buf, sizeof buf, "%d/%d/%d / %d/%d/%d", k.train, k.validation, k.test, u.train,
                    u.validation, u.test);
      splits = buf;
    }
    std::printf("%-8s %7d %8d %6d %6d   %s\n", type.c_str(), c.known, c.unknown, c.other, c.total(),
                splits.c_str());
  }
  std::printf("labels:      %s\nrecords:     %s\n", res.labels_path.c_str(), res.log_path.c_str());
  return 0;
}

int run_list(const std::string& file) {
  std::string source;
  const auto pool = load_pool(file, {}, &source);
  struct TypeInfo {
    int entities = 0;
    std::map<std::string, int> sources, attributes;
  };
  std::map<std::string, TypeInfo> by_type;
  std::vector<std::string> order;
  for (const auto& e : pool) {
    if (!by_type.count(e.entity_type)) order.push_back(e.entity_type);
    TypeInfo& t = by_type[e.entity_type];
    ++t.entities;
    ++t.sources[e.source.value_or("(none)")];
    for (const auto& a : e.attributes) ++t.attributes[a.type];
  }
  std::printf("%s: %zu entities\n", source.c_str(), pool.size());
  for (const auto& type : order) {
    const TypeInfo& t = by_type[type];
    std::printf("%-7s %5d entities, by source:", type.c_str(), t.entities);
    for (const auto& [src, n] : t.sources) std::printf(" %s %d;", src.c_str(), n);
    std::printf("\n        attributes:");
    for (const auto& [a, n] : t.attributes) std::printf(" %s %d", a.c_str(), n);
    std::printf("\n");
  }
  return 0;
}

int run_prompts(const std::string& file, const std::string& type, const std::string& name,
                const std::string& format_name_str, const std::string& model_name) {
  std::string source;
  const auto pool = load_pool(
      file, type.empty() ? std::vector<std::string>{} : std::vector<std::string>{type}, &source);
  const Entity* found = nullptr;
  for (const auto& e : pool)
    if ((type.empty() || e.entity_type == type) && (name.empty() || e.name == name)) {
      found = &e;
      break;
    }
  if (!found)
    fail(source, "entity",
         "no " + (type.empty() ? std::string("entity") : type) + " named '" + name + "'");
  const PromptFormat format = parse_format(format_name_str);
  std::unique_ptr<Model> model;
  if (!model_name.empty())
    model = std::make_unique<Model>(load_model(resolve_model_path(model_name)));
  std::printf("%s '%s' (%s)\n", found->entity_type.c_str(), found->name.c_str(),
              found->source.value_or("no source").c_str());
  for (const auto& p : build_prompts(*found, format)) {
    std::string text = p.text;
    std::string tokens;
    if (model) {
      ModelPrompt mp = render_for_model(*model, p);
      text = mp.text;
      if (model->tokenizer) {
        EncodeOptions eo;
        eo.add_bos = mp.add_bos;
        tokens = ", " + std::to_string(model->tokenizer->encode(text, eo).size()) + " tokens";
      }
    }
    std::printf("\n--- %s (answer: %s%s)\n%s\n", p.prompt_type.c_str(), p.correct_answer.c_str(),
                tokens.c_str(), text.c_str());
  }
  return 0;
}

}  // namespace

Runner add_entities(CLI::App& app) {
  auto* cmd = app.add_subcommand("entities", "The entity dataset and known/unknown labels");
  cmd->require_subcommand(1);

  auto lo = std::make_shared<LabelCliOptions>();
  auto* label = cmd->add_subcommand(
      "label", "Label entities known / unknown from the model's own answers (resumable)");
  label->add_option("-m,--model", lo->model, "Model name in the cache, .gguf file or HF folder")
      ->capture_default_str();
  std::string profiles = "Sets --per-type, --samples and --full-completions unless given:";
  for (const auto& p : kProfiles) profiles += std::string(" ") + p.name + " = " + p.about + ";";
  label->add_option("--profile", lo->profile, profiles)->capture_default_str();
  label->add_option("--types", lo->types, "Comma-separated entity types (default: all four)");
  label->add_option("--per-type", lo->per_type, "Entities per type, a seeded sample (0 = all)")
      ->check(CLI::NonNegativeNumber);
  label
      ->add_option("--samples", lo->samples,
                   "Sampled completions per prompt besides the greedy one")
      ->check(CLI::Range(1, 1000));
  label->add_option("--max-tokens", lo->max_tokens, "New tokens per completion")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  label->add_option("--temperature", lo->temperature, "Temperature of the samples")
      ->capture_default_str();
  label->add_option("--seed", lo->seed, "Sampling seed")->capture_default_str();
  label->add_option("--format", lo->format, "Prompt format: base, fewshot, chat or free")
      ->capture_default_str();
  label->add_option("--entities", lo->entities,
                    "Entity file (JSON list or JSONL) instead of the dataset");
  label->add_option("--out", lo->out, "Folder for the records and labels (default: the cache)");
  label->add_option("--threads", lo->threads, "Worker threads (default: all cores)");
  label->add_flag(
      "--full-completions", lo->full,
      "Generate all max-tokens tokens, as the paper (no stop at the answer line's end)");
  label->add_flag("--no-generate", lo->no_generate, "Only label from the records already saved");
  label
      ->add_option("--min-correct", lo->min_correct,
                   "Fraction of samples that must be correct for a known attribute")
      ->capture_default_str()
      ->check(CLI::Range(0.0001, 1.0));
  label
      ->add_option("--min-known-attributes", lo->min_known_attributes,
                   "Known attributes that make an entity known")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));

  auto list_file = std::make_shared<std::string>();
  auto* list = cmd->add_subcommand("list", "Count the dataset's entities per type and source");
  list->add_option("--entities", *list_file, "Entity file instead of the dataset");

  struct PromptsOptions {
    std::string file, type, entity, format = "base", model;
  };
  auto po = std::make_shared<PromptsOptions>();
  auto* prompts = cmd->add_subcommand("prompts", "Show the attribute prompts of one entity");
  prompts->add_option("--type", po->type, "Entity type (player, movie, city, song)");
  prompts->add_option("--entity", po->entity, "Entity name (default: the first of the type)");
  prompts->add_option("--format", po->format, "base, fewshot, chat or free")->capture_default_str();
  prompts->add_option("--entities", po->file, "Entity file instead of the dataset");
  prompts->add_option("-m,--model", po->model,
                      "Render chat formats in this model's template and count tokens");

  return [cmd, label, list, prompts, lo, list_file, po]() -> int {
    if (label->parsed()) return run_label(*lo);
    if (list->parsed()) return run_list(*list_file);
    if (prompts->parsed())
      return run_prompts(po->file, po->type, po->entity, po->format, po->model);
    std::fprintf(stderr, "%s", cmd->help().c_str());
    return 1;
  };
}

}  // namespace knowscope::cli
