// Stage "heads" (study/heads*.h, patching.h; docs/attention.md): activation patching on aligned
// known/unknown pairs, attention to the entity known vs unknown with the extraction heads, the
// attention change under latent steering against random latents, and the head logit lens. Each
// part is written to its own file when done; an interrupted stage redoes only the missing ones.
#include <filesystem>
#include <map>
#include <optional>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/study/heads.h"
#include "knowscope/study/heads_attention.h"
#include "knowscope/study/heads_lens.h"
#include "knowscope/study/heads_steer.h"
#include "knowscope/study/patching.h"
#include "knowscope/study/steering_latents.h"
#include "study/run_stages.h"

namespace knowscope::study {
namespace fs = std::filesystem;
namespace {

bool have(StageContext& sc, const std::string& file) {
  sc.artifacts.push_back(file);
  return fs::exists(sc.dir + "/" + file);
}

// At most `n` prompts per (type, label), in order (0: all).
std::vector<HeadPrompt> first_per_group(const std::vector<HeadPrompt>& prompts, int n) {
  if (n <= 0) return prompts;
  std::map<std::pair<std::string, int>, int> used;
  std::vector<HeadPrompt> out;
  for (const auto& p : prompts)
    if (used[{p.entity_type, int(p.label)}]++ < n) out.push_back(p);
  return out;
}

}  // namespace

StageOutcome stage_heads(RunContext& ctx) {
  const json config = {{"labels", ctx.labels_hash},
                       {"sae", ctx.sae_hash},
                       {"latents", ctx.latents_hash},
                       {"pairs_per_type", ctx.profile.patch_pairs},
                       {"attention_prompts_per_type_and_label", ctx.profile.attention_n},
                       {"alpha_factor", 0.4}};
  return run_ctx_stage(ctx, "heads", config, [&](StageContext& sc) {
    require_stage(ctx.labels_hash, "labelling", "entity labels");
    const Model& model = ctx.model();
    check(model.tokenizer != nullptr, model.path, "tokenizer", "the model has no tokenizer");
    const std::vector<HeadEntity> entities = head_entities_from_labels(ctx.labels_path);
    const std::vector<HeadPrompt> prompts = build_head_prompts(*model.tokenizer, entities);
    json summary = json::object();
    std::string headline;

    PairOptions po;
    po.per_type = ctx.profile.patch_pairs;
    const std::vector<PromptPair> pairs = select_pairs(prompts, po);
    std::optional<PatchingResult> patching;
    if (have(sc, "patching.json")) {
      patching = patching_from_json(read_file(sc.dir + "/patching.json"), sc.dir);
    } else if (!pairs.empty()) {
      PatchingOptions opt;
      opt.run.progress = ctx.options.progress;
      patching = run_patching(model, prompts, pairs, opt);
      write_file_atomic(sc.dir + "/patching.json", patching_to_json(*patching));
    } else {
      sc.artifacts.pop_back();
      summary["patching"] = "no aligned known/unknown pairs (see docs/attention.md)";
    }
    headline += std::to_string(pairs.size()) + " patching pairs";

    const std::vector<HeadPrompt> sub = first_per_group(prompts, ctx.profile.attention_n);
    AttentionResult attention;
    if (!have(sc, "attention.json")) {
      AttentionRunOptions ao;
      ao.progress = ctx.options.progress;
      attention = run_attention(model, sub, patching ? &*patching : nullptr, ao);
      write_file_atomic(sc.dir + "/attention.json", attention_to_json(attention));
    }
    const json att = read_json_file(sc.dir + "/attention.json");
    const json selected = att["extraction_heads"].value("selected", json::array());
    headline += ", " + std::to_string(selected.size()) + " extraction heads";

    std::string no_latents;
    try {
      require_stage(ctx.sae_hash, "sae", "the SAE decoder directions");
      require_latents(ctx);
    } catch (const StageUnavailable& e) {
      no_latents = e.what();
    }
    if (!no_latents.empty()) {
      summary["steer"] = "not available: " + no_latents;
    } else if (!have(sc, "steer.json")) {
      LatentSource src;
      src.latents_file = ctx.latents_path;
      src.sae_set = ctx.sae_dir;
      src.n_random = ctx.profile.steer_n_random;
      const SteeringLatents latents = load_steering_latents(src);
      SteerAttentionOptions so;
      so.run.progress = ctx.options.progress;
      const SteerAttentionResult r = run_steer_attention(model, sub, latents, so);
      write_file_atomic(sc.dir + "/steer.json", steer_attention_to_json(r));
    }

    if (!have(sc, "lens.json")) {
      std::vector<HeadRef> heads;
      const json& from =
          selected.empty() ? att["extraction_heads"].value("by_gap", json::array()) : selected;
      for (size_t i = 0; i < from.size() && heads.size() < 4; ++i)
        heads.push_back({from[i].value("layer", 0), from[i].value("head", 0)});
      std::vector<HeadPrompt> lens_prompts;
      std::map<std::string, bool> seen;
      for (const auto& p : prompts)
        if (p.label == Knowledge::known && !seen[p.entity] && lens_prompts.size() < 6) {
          seen[p.entity] = true;
          lens_prompts.push_back(p);
        }
      if (heads.empty() || lens_prompts.empty()) {
        sc.artifacts.pop_back();
        summary["lens"] = "no heads or no known-entity prompts";
      } else {
        write_file_atomic(sc.dir + "/lens.json",
                          lens_to_json(run_head_lens(model, lens_prompts, heads)));
      }
    }
    summary["headline"] = headline;
    return summary;
  });
}

}  // namespace knowscope::study
