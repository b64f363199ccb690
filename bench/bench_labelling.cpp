// bench_labelling: speed of the labelling workload (generate_entities_records: every attribute
// prompt of an entity, greedy + N samples, whole entities batched up to --batch sequences per
// generate() call, as run_labelling_generation does) on entities of the dataset. Reports
// completions/s and generated tokens/s, by wall and by CPU time, and what a labelling run of a
// given size would take at that speed.
//
//   bench_labelling -m gemma-3-270m -t 2 --per-type 2 [--samples 10] [--max-tokens 32]
//                   [--format base] [--full-completions] [--estimate 6,20,50] [--json]
//                   [--batch 192]   (--batch 0: one entity per call, as before batching)
//   bench_labelling --compare-cut ...   full completions, labelled as they are and cut at the
//                                       answer line's end: how often the early stop changes labels
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "knowscope/core/error.h"
#include "knowscope/core/parallel.h"
#include "knowscope/model/model.h"
#include "knowscope/model/registry.h"
#include "knowscope/study/labelling.h"

namespace {

using knowscope::bench::cpu_seconds;

using Clock = std::chrono::steady_clock;

}  // namespace

int main(int argc, char** argv) {
  using namespace knowscope;
  using namespace knowscope::study;
  CLI::App app{"Labelling workload speed: completions/s and tokens/s"};
  std::string model_name = "gemma-3-270m", format = "base", estimate = "6,20,50", entities_file;
  int threads = 2, per_type = 2, samples = 10, max_tokens = 32;
  uint32_t selection_seed = 7;  // not the labelling seed: a different sample of entities
  bool full = false, json = false, compare_cut = false;
  app.add_option("-m,--model", model_name, "GGUF file, HF folder or known model name");
  app.add_option("-t,--threads", threads, "threads")->check(CLI::PositiveNumber);
  app.add_option("--per-type", per_type, "entities per type to time")->check(CLI::PositiveNumber);
  app.add_option("--samples", samples, "sampled completions per prompt")
      ->check(CLI::Range(1, 1000));
  app.add_option("--max-tokens", max_tokens, "new tokens per completion")
      ->check(CLI::PositiveNumber);
  app.add_option("--format", format, "base, fewshot, chat or free");
  app.add_option("--selection-seed", selection_seed, "seed of the entity sample");
  app.add_option("--entities", entities_file, "entity file instead of the dataset");
  app.add_option("--estimate", estimate, "per-type counts to estimate a labelling run's time for");
  app.add_flag("--full-completions", full, "no stop at the end of the answer line");
  app.add_flag("--json", json, "print one JSON object");
  int batch = kLabellingBatchSequences;
  app.add_option("--batch", batch,
                 "sequences per generate() call, whole entities (0: one entity per call)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--compare-cut", compare_cut,
               "generate full completions and count the labels that the answer-line cut changes");
  CLI11_PARSE(app, argc, argv);

  try {
    set_num_threads(threads);
    Model model = load_model(resolve_model_path(model_name));
    LabellingConfig cfg;
    cfg.format = parse_format(format);
    cfg.samples = samples;
    cfg.max_new_tokens = max_tokens;
    cfg.early_stop = !full && !compare_cut;
    const auto pool =
        entities_file.empty() ? load_dataset(find_entity_dir()) : load_entities(entities_file);
    EntitySelection sel;
    sel.per_type = per_type;
    sel.seed = selection_seed;
    const auto entities = select_entities(pool, sel);

    // Warm-up: one entity, not timed (page faults of the mapped weights, buffer growth).
    generate_entity_records(model, entities.front(), cfg);

    int64_t prompts = 0, completions = 0, tokens = 0, prompt_tokens = 0;
    std::vector<GenerationRecord> as_is, cut;  // --compare-cut
    const double cpu0 = cpu_seconds();
    const auto t0 = Clock::now();
    // Whole entities per generate() call, up to --batch sequences, as run_labelling_generation.
    std::vector<EntityGeneration> gens;
    for (size_t b0 = 0; b0 < entities.size();) {
      std::vector<const Entity*> group;
      size_t sequences = 0;
      while (b0 < entities.size()) {
        const size_t n = build_prompts(entities[b0], cfg.format).size() * size_t(samples + 1);
        if (!group.empty() && sequences + n > size_t(batch)) break;
        group.push_back(&entities[b0++]);
        sequences += n;
      }
      for (auto& g : generate_entities_records(model, group, cfg)) gens.push_back(std::move(g));
    }
    for (auto& g : gens) {
      prompts += int64_t(g.records.size());
      completions += g.completions;
      tokens += g.generated_tokens;
      prompt_tokens += g.prompt_tokens;
      if (compare_cut)
        for (auto& r : g.records) {
          GenerationRecord c = r;
          auto shorten = [&](std::string& t) {
            size_t end = answer_line_end(t, cfg.format);
            if (end != std::string::npos) t.resize(end);
          };
          shorten(c.greedy_completion);
          for (auto& t : c.sampled_completions) shorten(t);
          label_record(c);
          as_is.push_back(std::move(r));
          cut.push_back(std::move(c));
        }
    }
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    const double cpu = cpu_seconds() - cpu0;
    const double sec_per_prompt = wall / double(prompts);

    // Prompts per entity of each type in the whole pool, for the estimates.
    std::vector<std::pair<int, double>> estimates;
    std::stringstream ss(estimate);
    for (std::string item; std::getline(ss, item, ',');) {
      if (item.empty()) continue;
      EntitySelection es;
      es.per_type = std::stoi(item);
      size_t n_prompts = 0;
      for (const auto& e : select_entities(pool, es))
        n_prompts += build_prompts(e, cfg.format).size();
      estimates.push_back({es.per_type, double(n_prompts) * sec_per_prompt});
    }

    if (compare_cut) {
      int64_t changed = 0, lost_correct = 0, samples_total = 0, greedy_changed = 0,
              attr_changed = 0;
      for (size_t i = 0; i < as_is.size(); ++i) {
        greedy_changed += as_is[i].label != cut[i].label;
        attr_changed += attribute_known(as_is[i]) != attribute_known(cut[i]);
        for (size_t k = 0; k < as_is[i].sampled_labels.size(); ++k) {
          ++samples_total;
          changed += as_is[i].sampled_labels[k] != cut[i].sampled_labels[k];
          if (as_is[i].sampled_labels[k] != cut[i].sampled_labels[k] && !json)
            std::printf("  %s (gold %s): %s -> %s: \"%s\"\n", record_key(as_is[i]).c_str(),
                        as_is[i].correct_answer.c_str(),
                        std::string(label_name(as_is[i].sampled_labels[k])).c_str(),
                        std::string(label_name(cut[i].sampled_labels[k])).c_str(),
                        as_is[i].sampled_completions[k].c_str());
          lost_correct += as_is[i].sampled_labels[k] == CompletionLabel::correct &&
                          cut[i].sampled_labels[k] != CompletionLabel::correct;
        }
      }
      const auto la = label_entities(as_is), lc = label_entities(cut);
      int64_t entity_changed = 0;
      for (size_t i = 0; i < la.size(); ++i) entity_changed += la[i].knowledge != lc[i].knowledge;
      std::printf(
          "cut at the answer line's end, against full %d-token completions:\n"
          "  sampled labels changed %lld of %lld (correct -> not correct: %lld)\n"
          "  greedy labels changed %lld of %zu prompts; attributes known/not flipped %lld; "
          "entity labels changed %lld of %zu\n",
          cfg.max_new_tokens, (long long)changed, (long long)samples_total, (long long)lost_correct,
          (long long)greedy_changed, as_is.size(), (long long)attr_changed,
          (long long)entity_changed, la.size());
    }
    if (json) {
      std::printf(
          "{\"model\": \"%s\", \"threads\": %d, \"format\": \"%s\", \"samples\": %d, "
          "\"max_tokens\": %d, \"early_stop\": %s, \"entities\": %zu, \"prompts\": %lld, "
          "\"completions\": %lld, \"generated_tokens\": %lld, \"prompt_tokens\": %lld, "
          "\"wall_s\": %.3f, \"cpu_s\": %.3f, \"completions_per_s\": %.3f, \"tokens_per_s\": %.3f, "
          "\"estimates_s\": {",
          model_name.c_str(), threads, format.c_str(), samples, max_tokens,
          early_stop_applies(cfg) ? "true" : "false", entities.size(), (long long)prompts,
          (long long)completions, (long long)tokens, (long long)prompt_tokens, wall, cpu,
          double(completions) / wall, double(tokens) / wall);
      for (size_t i = 0; i < estimates.size(); ++i)
        std::printf("%s\"%d\": %.1f", i ? ", " : "", estimates[i].first, estimates[i].second);
      std::printf("}}\n");
      return 0;
    }
    std::printf("up to %d sequences per generate() call\n", batch);
    std::printf("model %s, %d threads, format %s, greedy + %d samples, max %d tokens%s\n",
                model_name.c_str(), threads, format.c_str(), samples, max_tokens,
                early_stop_applies(cfg) ? ", stop at the end of the answer line" : "");
    std::printf(
        "%zu entities, %lld prompts (%lld prompt tokens), %lld completions, %lld generated "
        "tokens (%.1f per completion)\n",
        entities.size(), (long long)prompts, (long long)prompt_tokens, (long long)completions,
        (long long)tokens, double(tokens) / double(completions));
    std::printf("wall %.2f s (CPU %.2f s, %.0f%% of %d threads)\n", wall, cpu,
                100.0 * cpu / wall / threads, threads);
    std::printf("  %.2f completions/s, %.1f generated tokens/s, %.2f s per prompt (wall)\n",
                double(completions) / wall, double(tokens) / wall, sec_per_prompt);
    std::printf("  %.2f completions per CPU second, %.1f tokens per CPU second\n",
                double(completions) / cpu, double(tokens) / cpu);
    for (const auto& [n, s] : estimates)
      std::printf("estimate: --per-type %d -> %.1f min at this speed\n", n, s / 60.0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
