// knowscope heads: the mechanistic analysis of the paper's section 5 (docs/attention.md) —
// activation patching (patch), attention to the entity (attention), steering -> attention (steer)
// and the head logit lens (lens). Each writes <out>/<stage>.json and prints a table.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "knowscope/core/error.h"
#include "knowscope/core/parallel.h"
#include "knowscope/hooks/vector_file.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/model/model.h"
#include "knowscope/model/registry.h"
#include "knowscope/study/heads.h"
#include "knowscope/study/heads_attention.h"
#include "knowscope/study/heads_lens.h"
#include "knowscope/study/heads_steer.h"
#include "knowscope/study/patching.h"
#include "knowscope/study/steering_latents.h"

namespace knowscope::cli {
namespace {

using namespace knowscope::study;

struct HeadsCliOptions {
  std::string model = "gemma-3-270m";
  std::string labels, out;
  int threads = 0;
  int64_t batch_tokens = 4096;
  // patch
  int pairs = 32;
  uint64_t seed = 42;
  // steer
  std::string latents, sae_set, known_latent, unknown_latent, known_direction, unknown_direction;
  int direction_layer = -1;
  int n_random = 10;
  double alpha_factor = 0.4, alpha = 0;
  int max_prompts = 120;
  // lens
  std::string heads;
  int examples = 3, top_k = 20;
};

struct Loaded {
  Model model;
  std::vector<HeadPrompt> prompts;
};

Loaded load_inputs(const HeadsCliOptions& o) {
  if (o.threads > 0) set_num_threads(o.threads);
  if (o.labels.empty())
    fail("--labels", "", "a labels file is required (knowscope entities label)");
  const auto entities = head_entities_from_labels(o.labels);
  Loaded l{load_model(resolve_model_path(o.model)), {}};
  if (!l.model.tokenizer) fail(o.model, "tokenizer", "the model files hold no tokenizer");
  l.prompts = build_head_prompts(*l.model.tokenizer, entities);
  int known = 0, unknown = 0;
  for (const auto& p : l.prompts) (p.label == Knowledge::known ? known : unknown)++;
  std::fprintf(stderr, "%s: %zu entities, %d known and %d unknown prompts\n", o.labels.c_str(),
               entities.size(), known, unknown);
  return l;
}

void write_result(const std::string& out, const std::string& name, const std::string& json) {
  std::filesystem::create_directories(out);
  const std::string path = (std::filesystem::path(out) / name).string();
  write_file_atomic(path, json);
  std::printf("\nwrote %s\n", path.c_str());
}

void require_out(const HeadsCliOptions& o) {
  if (o.out.empty()) fail("--out", "", "an output folder is required");
}

int run_patch(const HeadsCliOptions& o) {
  require_out(o);
  Loaded in = load_inputs(o);
  PairOptions po;
  po.per_type = o.pairs;
  po.seed = o.seed;
  const auto pairs = select_pairs(in.prompts, po);
  if (pairs.empty())
    fail(o.labels, "entities", "no aligned known/unknown prompt pairs (see docs/attention.md)");
  std::fprintf(stderr, "%zu pairs; %s\n", pairs.size(), pair_rule_text(po).c_str());
  PatchingOptions opt;
  opt.run.max_batch_tokens = o.batch_tokens;
  opt.run.progress = true;
  PatchingResult r = run_patching(in.model, in.prompts, pairs, opt);
  r.model = o.model;
  r.labels = o.labels;
  r.pair_rule = pair_rule_text(po);
  std::printf("%s", patching_table(r).c_str());
  write_result(o.out, "patching.json", patching_to_json(r));
  return 0;
}

std::unique_ptr<PatchingResult> read_patching_if_any(const std::string& out) {
  const auto path = std::filesystem::path(out) / "patching.json";
  if (!std::filesystem::exists(path)) return nullptr;
  return std::make_unique<PatchingResult>(
      patching_from_json(read_file(path.string()), path.string()));
}

int run_attention_cmd(const HeadsCliOptions& o) {
  require_out(o);
  Loaded in = load_inputs(o);
  const auto patching = read_patching_if_any(o.out);
  if (!patching)
    std::fprintf(stderr, "no %s/patching.json: extraction heads by attention gap only\n",
                 o.out.c_str());
  AttentionRunOptions opt;
  opt.max_batch_tokens = o.batch_tokens;
  opt.progress = true;
  AttentionResult r = run_attention(in.model, in.prompts, patching.get(), opt);
  r.model = o.model;
  r.labels = o.labels;
  std::printf("%s", attention_table(r).c_str());
  write_result(o.out, "attention.json", attention_to_json(r));
  return 0;
}

SteeringLatents steering_inputs(const HeadsCliOptions& o) {
  if (!o.known_direction.empty() || !o.unknown_direction.empty()) {
    if (o.direction_layer < 0)
      fail("--layer", "", "directions given by file need the layer they are added at");
    SteeringLatents s;
    if (!o.known_direction.empty())
      s.known = latent_from_direction(o.known_latent.empty() ? "known_direction" : o.known_latent,
                                      o.direction_layer, load_vector(o.known_direction));
    if (!o.unknown_direction.empty())
      s.unknown =
          latent_from_direction(o.unknown_latent.empty() ? "unknown_direction" : o.unknown_latent,
                                o.direction_layer, load_vector(o.unknown_direction));
    return s;
  }
  if (o.sae_set.empty()) fail("--sae-set", "", "the SAE set the latents come from is required");
  LatentSource src;
  src.latents_file = o.latents;
  src.sae_set = o.sae_set;
  src.known_id = o.known_latent;
  src.unknown_id = o.unknown_latent;
  src.n_random = o.n_random;
  src.seed = o.seed;
  if (src.latents_file.empty() && (src.known_id.empty() || src.unknown_id.empty()))
    fail("--latents", "", "give latents.json, or --known-latent and --unknown-latent");
  return load_steering_latents(src);
}

int run_steer_cmd(const HeadsCliOptions& o) {
  require_out(o);
  const SteeringLatents latents = steering_inputs(o);
  Loaded in = load_inputs(o);
  for (const auto* l : {&latents.known, &latents.unknown})
    if (!l->direction.empty())
      std::fprintf(stderr, "%s on %s (raw decoder norm %.3f)\n", l->id.c_str(), l->hook.c_str(),
                   l->raw_norm);
  SteerAttentionOptions opt;
  opt.alpha_factor = o.alpha_factor;
  opt.alpha = o.alpha;
  opt.max_prompts = o.max_prompts;
  opt.run.max_batch_tokens = o.batch_tokens;
  opt.run.progress = true;
  SteerAttentionResult r = run_steer_attention(in.model, in.prompts, latents, opt);
  r.model = o.model;
  r.labels = o.labels;
  std::printf("%s", steer_attention_table(r).c_str());
  write_result(o.out, "steer.json", steer_attention_to_json(r));
  return 0;
}

std::vector<HeadRef> lens_heads(const HeadsCliOptions& o) {
  std::vector<HeadRef> heads;
  std::stringstream ss(o.heads);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) heads.push_back(parse_head_id(item));
  if (!heads.empty()) return heads;
  // The selected extraction heads need attention.json; fall back to the top patched heads.
  const auto patching = read_patching_if_any(o.out);
  if (!patching) fail("--heads", "", "name heads (L9H2,...) or run `heads patch` into --out first");
  const auto ranked = rank_patched_heads(*patching);
  for (size_t i = 0; i < ranked.size() && i < 3; ++i)
    heads.push_back({ranked[i].layer, ranked[i].head});
  return heads;
}

int run_lens_cmd(const HeadsCliOptions& o) {
  require_out(o);
  const auto heads = lens_heads(o);
  Loaded in = load_inputs(o);
  // Example known prompts: the first prompt with an answer of each of the first known entities.
  std::vector<HeadPrompt> examples;
  std::vector<std::string> seen;
  for (const auto& p : in.prompts) {
    if (int(examples.size()) >= o.examples) break;
    if (p.label != Knowledge::known || p.answer_token < 0) continue;
    const std::string key = p.entity_type + "\t" + p.entity;
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    examples.push_back(p);
  }
  LensResult r = run_head_lens(in.model, examples, heads, o.top_k);
  r.model = o.model;
  r.labels = o.labels;
  std::printf("%s", lens_table(r).c_str());
  write_result(o.out, "lens.json", lens_to_json(r));
  return 0;
}

void common_options(CLI::App* c, HeadsCliOptions& o) {
  c->add_option("-m,--model", o.model, "Model name in the cache, .gguf file or HF folder")
      ->capture_default_str();
  c->add_option("--labels", o.labels, "Labels file (knowscope entities label)")->required();
  c->add_option("--out", o.out, "Output folder for <stage>.json")->required();
  c->add_option("--threads", o.threads, "Worker threads (default: all cores)");
  c->add_option("--batch-tokens", o.batch_tokens, "Tokens per forward call")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(16), int64_t(1) << 20));
}

}  // namespace

Runner add_heads(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "heads", "Attention heads: patching, attention to the entity, steering, logit lens");
  cmd->require_subcommand(1);
  auto o = std::make_shared<HeadsCliOptions>();

  auto* patch = cmd->add_subcommand(
      "patch", "Activation patching known -> unknown: resid_pre grid and heads at the last token");
  common_options(patch, *o);
  patch->add_option("--pairs", o->pairs, "Pairs per entity type (paper: 32)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  patch->add_option("--seed", o->seed, "Which pairs when more are possible")->capture_default_str();

  auto* attention = cmd->add_subcommand(
      "attention", "Attention from the last token to the last entity token, known vs unknown");
  common_options(attention, *o);

  auto* steer = cmd->add_subcommand(
      "steer", "Steer the entity with the top known/unknown latent; change in attention");
  common_options(steer, *o);
  steer->add_option("--latents", o->latents, "latents.json of `knowscope latents`");
  steer->add_option("--sae-set", o->sae_set, "SAE set folder the latents come from");
  steer->add_option("--known-latent", o->known_latent, "Known latent by hand, e.g. L5F123");
  steer->add_option("--unknown-latent", o->unknown_latent, "Unknown latent by hand");
  steer->add_option("--known-direction", o->known_direction,
                    "Known direction from a file (.npy or safetensors[:TENSOR][ROW])");
  steer->add_option("--unknown-direction", o->unknown_direction, "Unknown direction from a file");
  steer->add_option("--layer", o->direction_layer,
                    "Layer l of --*-direction (added at blocks.l.hook_resid_pre)");
  steer->add_option("--random", o->n_random, "Random latents per side (from latents.json)")
      ->capture_default_str();
  steer
      ->add_option("--alpha-factor", o->alpha_factor,
                   "alpha = factor x mean |resid_pre| at the entity token (paper 100 ~ 0.4)")
      ->capture_default_str();
  steer->add_option("--alpha", o->alpha, "A fixed alpha for every condition instead");
  steer
      ->add_option("--max-prompts", o->max_prompts,
                   "Prompts per side, spread over entities (0: all)")
      ->capture_default_str();
  steer->add_option("--seed", o->seed, "Seed for random latents drawn from the SAE")
      ->capture_default_str();

  auto* lens = cmd->add_subcommand("lens", "Head logit lens at the last token");
  common_options(lens, *o);
  lens->add_option("--heads", o->heads,
                   "Heads, e.g. L9H2,L12H1 (default: top 3 of <out>/patching.json)");
  lens->add_option("--examples", o->examples, "Known example prompts")->capture_default_str();
  lens->add_option("--top", o->top_k, "Tokens per head")->capture_default_str();

  return [cmd, patch, attention, steer, lens, o]() -> int {
    if (patch->parsed()) return run_patch(*o);
    if (attention->parsed()) return run_attention_cmd(*o);
    if (steer->parsed()) return run_steer_cmd(*o);
    if (lens->parsed()) return run_lens_cmd(*o);
    std::fprintf(stderr, "%s", cmd->help().c_str());
    return 1;
  };
}

}  // namespace knowscope::cli
