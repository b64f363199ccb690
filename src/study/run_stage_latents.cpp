// Stage "latents" (study/latents.h; docs/latents.md): the known- and unknown-entity latents,
// the layer profile, probe baselines, generalisation and the pictures the report draws.
#include <algorithm>
#include <filesystem>

#include "knowscope/sae/corpus.h"
#include "knowscope/study/labelling.h"
#include "knowscope/study/latents.h"
#include "study/run_stages.h"

namespace knowscope::study {
namespace fs = std::filesystem;
namespace {

// data/latents/sentences.json beside the entity dataset, or "" (the sentences are then skipped).
std::string find_sentences() {
  try {
    const fs::path p = fs::path(find_entity_dir()).parent_path() / "latents" / "sentences.json";
    if (fs::exists(p)) return p.string();
  } catch (const std::exception&) {
  }
  return "";
}

}  // namespace

void require_latents(const RunContext& ctx) {
  require_stage(ctx.latents_hash, "latents", "the known and unknown latents");
  const json l = read_json_file(ctx.latents_path);
  if (l.value("known", json::array()).empty() || l.value("unknown", json::array()).empty()) {
    std::string why = "the latents stage selected no known or no unknown latent";
    const auto& c = l["counts"]["selection"]["all"];
    if (c.is_object())
      why += " (scored on " + c.value("known", json(0)).dump() + " known and " +
             c.value("unknown", json(0)).dump() + " unknown entities)";
    throw StageUnavailable(why);
  }
}

StageOutcome stage_latents(RunContext& ctx) {
  const std::string corpus = default_corpus_path();
  const std::string sentences = find_sentences();
  json config = {{"labels", ctx.labels_hash},
                 {"sae", ctx.sae_hash},
                 {"generic_docs", ctx.profile.latents_generic_docs},
                 {"min_type_entities", ctx.profile.latents_min_type_entities},
                 {"corpus", corpus},
                 {"sentences", sentences}};
  if (fs::exists(corpus)) config["corpus_bytes"] = fs::file_size(corpus);
  if (!sentences.empty()) config["sentences_sha256"] = sha256_file(sentences);
  StageOutcome out = run_ctx_stage(ctx, "latents", config, [&](StageContext& sc) -> json {
    require_stage(ctx.labels_hash, "labelling", "entity labels");
    require_stage(ctx.sae_hash, "sae", "the SAE set");
    if (!fs::exists(corpus))
      throw StageUnavailable("the generic corpus " + corpus +
                             " is missing (bash scripts/setup.sh builds it)");
    LatentsConfig cfg;
    cfg.model_name = ctx.options.model;
    cfg.sae_set = ctx.sae_dir;
    cfg.labels = ctx.labels_path;
    cfg.corpus = corpus;
    cfg.sentences = sentences;
    cfg.generic_docs = ctx.profile.latents_generic_docs;
    cfg.min_type_entities = ctx.profile.latents_min_type_entities;
    cfg.context_docs = std::min(cfg.context_docs, cfg.generic_docs);
    cfg.progress = ctx.options.progress;
    const LatentsResult r = run_latents(ctx.model(), cfg);
    write_latents_json(sc.dir, r);
    sc.artifacts.push_back("latents.json");
    json summary = json::object();
    std::string headline;
    if (!r.known.empty()) {
      summary["known"] = r.known[0].id;
      summary["known_score"] = r.known[0].score;
      headline += "known " + r.known[0].id + " (" + r.known[0].hook + ", score " +
                  std::to_string(r.known[0].score).substr(0, 5) + ")";
    }
    if (!r.unknown.empty()) {
      summary["unknown"] = r.unknown[0].id;
      summary["unknown_score"] = r.unknown[0].score;
      headline += (headline.empty() ? "" : "; ") + std::string("unknown ") + r.unknown[0].id +
                  " (" + r.unknown[0].hook + ", score " +
                  std::to_string(r.unknown[0].score).substr(0, 5) + ")";
    }
    summary["headline"] = headline.empty() ? "no latent selected" : headline;
    return summary;
  });
  if (out.status == StageStatus::ran || out.status == StageStatus::reused) {
    ctx.latents_path = ctx.folder.stage_dir("latents") + "/latents.json";
    ctx.latents_hash = out.config_hash;
  }
  return out;
}

}  // namespace knowscope::study
