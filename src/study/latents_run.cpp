// run_latents: entity and generic activations, per-layer encoding and firing counts, scores,
// selection, controls, probes and the top latents' classifier scores. Generalisation and
// pictures are in latents_examples.cpp.
#include <chrono>
#include <cmath>
#include <limits>

#include "knowscope/core/error.h"
#include "knowscope/core/progress.h"
#include "knowscope/hooks/hook_names.h"
#include "knowscope/study/stats.h"
#include "knowscope/study/templates.h"
#include "study/latents_internal.h"

namespace knowscope::study {

using namespace latents_detail;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void add_count(TypeCounts& c, const EntityRow& e) {
  auto& p = c.per_type[e.entity_type];
  (e.known ? p.first : p.second)++;
  (e.known ? c.known : c.unknown)++;
}

bool in_selection(const EntityRow& e, bool selection_all) {
  return selection_all || (e.split && *e.split == SplitName::train);
}

bool held_out(const EntityRow& e) { return e.split && *e.split != SplitName::train; }

// Entity prompts with their last-entity-token position (paper rule); drops what cannot be used.
std::vector<CapturePrompt> entity_prompts(const Tokenizer& tok, std::vector<EntityRow>& entities,
                                          int seq_len, std::vector<SkippedEntity>& skipped) {
  std::vector<CapturePrompt> prompts;
  std::vector<EntityRow> kept;
  for (EntityRow& e : entities) {
    const std::string text = entity_activation_prompt(e.entity, e.entity_type);
    PositionSpec spec;
    spec.kind = PositionSpec::Kind::Substring;
    spec.substring = e.entity;
    try {
      CapturePrompt p = make_capture_prompt(tok, text, spec, {}, SubstringRule::PaperDecode, text);
      if (p.positions.empty() || p.positions[0] >= seq_len) {
        skipped.push_back(
            {e.entity, e.entity_type, "entity ends past token " + std::to_string(seq_len)});
        continue;
      }
      prompts.push_back(std::move(p));
      kept.push_back(std::move(e));
    } catch (const Error& err) {
      skipped.push_back({e.entity, e.entity_type, err.what()});
    }
  }
  entities = std::move(kept);
  return prompts;
}

// Copies each captured row into the layer buffers: rows of prompt (offset + p) go to row p.
void store_rows(std::vector<ScoredLayer>& layers, bool generic, size_t offset,
                const CaptureResult& r, size_t d) {
  for (size_t k = 0; k < layers.size(); ++k) {
    const CapturedHook& h = r.hook(layers[k].sae_hook);
    std::vector<float>& dst = generic ? layers[k].generic_x : layers[k].entity_x;
    for (int64_t row = 0; row < r.rows(); ++row)
      std::copy_n(h.row(row), d, dst.data() + (offset + size_t(r.prompt[row])) * d);
  }
}

std::vector<int32_t> firing_of(const SaeCodes& codes, int64_t row, double threshold) {
  std::vector<int32_t> f;
  for (int64_t k = codes.row_ptr[row]; k < codes.row_ptr[row + 1]; ++k)
    if (double(codes.value[k]) > threshold) f.push_back(codes.index[k]);
  return f;
}

LatentClassifier classify(const ScoredLayer& sl, const LatentInfo& info, Side side,
                          const std::vector<EntityRow>& entities, double threshold) {
  LatentClassifier c;
  c.id = info.id;
  c.layer = info.layer;
  c.present = true;
  std::vector<double> acts;
  std::vector<int> labels, type_of_row;
  int fk = 0, fu = 0, nk = 0, nu = 0;
  size_t right = 0;
  for (size_t i = 0; i < entities.size(); ++i) {
    if (!held_out(entities[i])) continue;
    const double a = sl.entity_codes.get(int64_t(i), int32_t(info.latent));
    const bool positive = (side == Side::known) == entities[i].known;
    const bool fires = a > threshold;
    acts.push_back(a);
    labels.push_back(positive ? 1 : 0);
    type_of_row.push_back(entities[i].type_index);
    right += fires == positive;
    if (entities[i].known) {
      ++nk;
      fk += fires;
    } else {
      ++nu;
      fu += fires;
    }
  }
  c.accuracy = acts.empty() ? kNaN : double(right) / double(acts.size());
  c.auroc = (nk > 0 && nu > 0) ? auroc(acts, labels) : kNaN;
  c.auroc_within_type = mean_within_type_auroc(acts, labels, type_of_row);
  c.heldout_freq_known = nk ? double(fk) / nk : kNaN;
  c.heldout_freq_unknown = nu ? double(fu) / nu : kNaN;
  return c;
}

}  // namespace

namespace latents_detail {

LatentInfo make_latent_info(const ScoredLayer& sl, const FiringCounts& c, int64_t latent, Side side,
                            const std::vector<int>& types, const std::vector<std::string>& names,
                            int rank) {
  LatentInfo info;
  info.id = latent_id(sl.layer, latent);
  info.layer = sl.layer;
  info.latent = latent;
  info.hook = sl.hook;
  info.sae_hook = sl.sae_hook;
  info.rank = rank;
  double mn = types.empty() ? 0.0 : std::numeric_limits<double>::infinity(), sum = 0;
  for (int t : types) {
    const double s = separation(c, side, t, latent);
    info.per_type[names[t]] = s;
    mn = std::min(mn, s);
    sum += s;
    info.n_known += c.n_known[t];
    info.n_unknown += c.n_unknown[t];
  }
  info.score = mn;
  info.mean_score = types.empty() ? 0.0 : sum / double(types.size());
  for (int t = 0; t < c.n_types; ++t) {
    if (c.n_known[t] > 0) info.freq_known[names[t]] = c.freq(Side::known, t, latent);
    if (c.n_unknown[t] > 0) info.freq_unknown[names[t]] = c.freq(Side::unknown, t, latent);
  }
  info.generic_freq = sl.generic_freq.empty() ? 0.0 : sl.generic_freq[size_t(latent)];
  info.decoder_norm = sl.decoder_norms.empty() ? 0.0 : sl.decoder_norms[size_t(latent)];
  return info;
}

}  // namespace latents_detail

LatentsResult run_latents(const Model& model, const LatentsConfig& cfg) {
  const auto t_start = std::chrono::steady_clock::now();
  check(model.tokenizer != nullptr, model.path, "tokenizer", "the model has no tokenizer");
  const Tokenizer& tok = *model.tokenizer;
  LatentsResult R;
  R.config = cfg;
  R.model_path = model.path;
  R.model_arch = model.config.arch;
  R.n_layers = model.config.n_layers;
  R.d_model = model.config.d_model;
  const size_t d = size_t(R.d_model);

  // Labels and entities.
  const LabelsFile labels = read_labels_file(cfg.labels);
  R.labels_path = cfg.labels;
  R.min_correct_fraction = labels.rule.min_correct_fraction;
  R.min_known_attributes = labels.rule.min_known_attributes;
  std::vector<EntityRow> entities = labelled_entities(labels, R.types);
  check(!entities.empty(), cfg.labels, "entities", "no entity is labelled known or unknown");

  // SAEs.
  SaeSet set = load_sae_set(cfg.sae_set);
  std::vector<ScoredLayer> layers = plan_layers(set, R.n_layers, R.skipped_saes);
  if (layers.empty())
    fail(cfg.sae_set, "layers",
         "no SAE on the residual stream at layers 1.." + std::to_string(R.n_layers - 1) +
             " (blocks.N.hook_resid_post for N < " + std::to_string(R.n_layers - 1) +
             ", or blocks.l.hook_resid_pre)");
  std::vector<std::string> hooks;
  for (const auto& sl : layers) hooks.push_back(sl.sae_hook);

  // 1. Entity activations, one batched capture that stops after the deepest hook's block.
  auto t0 = std::chrono::steady_clock::now();
  const std::vector<CapturePrompt> prompts =
      entity_prompts(tok, entities, cfg.entity_seq_len, R.skipped_entities);
  check(!entities.empty(), cfg.labels, "entities", "no entity prompt could be located");
  for (auto& sl : layers) sl.entity_x.assign(entities.size() * d, 0.0f);
  capture_in_chunks(
      model, prompts, hooks, cfg.max_batch_tokens, 512,
      cfg.progress ? "latents: entity activations" : "",
      [&](size_t off, const CaptureResult& r) { store_rows(layers, false, off, r, d); });
  R.seconds["entities"] = seconds_since(t0);

  // 2. Generic tokens (paper 2.2).
  t0 = std::chrono::steady_clock::now();
  std::vector<CorpusDoc> docs;
  GenericTokens generic;
  if (!cfg.corpus.empty() && cfg.generic_docs > 0) {
    docs = read_corpus(cfg.corpus, cfg.generic_docs);
    generic = generic_tokens(tok, docs, cfg.generic_seed, cfg.generic_seq_len);
  }
  R.generic_docs_read = generic.docs_read;
  R.generic_docs_used = int64_t(generic.prompts.size());
  for (auto& sl : layers) sl.generic_x.assign(generic.prompts.size() * d, 0.0f);
  capture_in_chunks(
      model, generic.prompts, hooks, cfg.max_batch_tokens, 128,
      cfg.progress ? "latents: generic tokens" : "",
      [&](size_t off, const CaptureResult& r) { store_rows(layers, true, off, r, d); });
  if (generic.prompts.empty())
    R.notes.push_back("no generic-corpus tokens: the 2% frequency filter removed nothing");
  R.seconds["generic"] = seconds_since(t0);

  // 3. Encode, layer by layer (one SAE in memory at a time).
  t0 = std::chrono::steady_clock::now();
  std::vector<FiringCounts> sel_counts, all_counts;
  {
    std::unique_ptr<Progress> progress;
    if (cfg.progress)
      progress =
          std::make_unique<Progress>("latents: SAE encode", int64_t(layers.size()), "layers");
    for (auto& sl : layers) {
      const Sae& sae = load_layer_sae(*sl.set_layer);
      check(sae.d_in == R.d_model, sl.set_layer->path, "d_in",
            "SAE reads " + std::to_string(sae.d_in) + " values, the model's residual has " +
                std::to_string(R.d_model));
      sl.d_sae = sae.d_sae;
      sl.arch = sae_arch_name(sae.arch);
      SaeWorkspace ws;
      sae_encode(sae, sl.entity_x.data(), int64_t(entities.size()), sl.entity_codes, &ws);
      std::vector<int64_t> fires(size_t(sae.d_sae), 0);
      const int64_t n_generic = int64_t(generic.prompts.size());
      SaeCodes gc;
      for (int64_t b = 0; b < n_generic; b += 1024) {
        const int64_t m = std::min<int64_t>(1024, n_generic - b);
        sae_encode(sae, sl.generic_x.data() + size_t(b) * d, m, gc, &ws);
        for (int64_t k = 0; k < gc.nnz(); ++k)
          if (double(gc.value[k]) > cfg.fire_threshold) fires[gc.index[k]]++;
      }
      sl.generic_freq.assign(size_t(sae.d_sae), 0.0);
      for (int64_t j = 0; j < sae.d_sae; ++j)
        if (n_generic > 0) sl.generic_freq[j] = double(fires[j]) / double(n_generic);
      sl.decoder_norms = decoder_row_norms(sae);
      FiringCounts sel(int(R.types.size()), sae.d_sae), all(int(R.types.size()), sae.d_sae);
      for (size_t i = 0; i < entities.size(); ++i) {
        const auto f = firing_of(sl.entity_codes, int64_t(i), cfg.fire_threshold);
        all.add(entities[i].type_index, entities[i].known, f);
        if (in_selection(entities[i], cfg.selection_all))
          sel.add(entities[i].type_index, entities[i].known, f);
      }
      sel_counts.push_back(std::move(sel));
      all_counts.push_back(std::move(all));
      R.saes.push_back({sl.layer, sl.hook, sl.sae_hook, sl.set_layer->path, sl.arch, sl.d_sae});
      sl.set_layer->sae.reset();  // free it; the top latents' SAEs are loaded again later
      if (progress) progress->advance();
    }
    if (progress) progress->finish();
  }
  R.seconds["encode"] = seconds_since(t0);

  // Counts.
  for (const auto& e : entities) {
    add_count(R.entity_counts, e);
    if (in_selection(e, cfg.selection_all)) add_count(R.selection_counts, e);
    if (held_out(e)) add_count(R.heldout_counts, e);
  }
  const std::vector<int> types = scorable_types(sel_counts.front(), cfg.min_type_entities);
  std::vector<std::string> scored_names;
  for (int t : types) scored_names.push_back(R.types[t]);
  for (size_t t = 0; t < R.types.size(); ++t)
    if (std::find(types.begin(), types.end(), int(t)) == types.end())
      R.types_excluded.push_back(R.types[t]);
  if (!R.types_excluded.empty())
    R.notes.push_back("types with fewer than " +
                      std::to_string(std::max(1, cfg.min_type_entities)) +
                      " known or unknown scoring entities are left out of the min over types");
  if (types.empty())
    R.notes.push_back(
        "no entity type has enough known and unknown scoring entities: no latent "
        "can be selected");

  // 4. Per-layer profile.
  for (size_t k = 0; k < layers.size(); ++k) {
    LayerProfile p;
    p.layer = layers[k].layer;
    p.hook = layers[k].hook;
    p.sae_hook = layers[k].sae_hook;
    p.maxmin_known = max_min(sel_counts[k], Side::known, types);
    p.maxmin_unknown = max_min(sel_counts[k], Side::unknown, types);
    for (int t : types) {
      p.top5_known[R.types[t]] = top_band(sel_counts[k], Side::known, t, 5);
      p.top5_unknown[R.types[t]] = top_band(sel_counts[k], Side::unknown, t, 5);
    }
    R.layers.push_back(std::move(p));
  }

  // 5. Global selection and random controls.
  std::vector<LayerFiring> lf;
  for (size_t k = 0; k < layers.size(); ++k)
    lf.push_back({layers[k].layer, &sel_counts[k], layers[k].generic_freq});
  const auto layer_index = [&](int layer) {
    for (size_t k = 0; k < layers.size(); ++k)
      if (layers[k].layer == layer) return k;
    throw Error("latents: no layer " + std::to_string(layer));
  };
  if (!types.empty()) {
    for (Side side : {Side::known, Side::unknown}) {
      auto& list = side == Side::known ? R.known : R.unknown;
      const auto sel = select_latents(lf, side, types, cfg.generic_freq_cap, cfg.top_n);
      for (size_t i = 0; i < sel.size(); ++i) {
        const size_t k = layer_index(sel[i].layer);
        list.push_back(make_latent_info(layers[k], sel_counts[k], sel[i].latent, side, types,
                                        R.types, int(i)));
      }
      if (list.empty()) continue;
      const size_t k = layer_index(list.front().layer);
      int64_t candidates = 0;
      const auto ctrl = random_control_latents(sel_counts[k], side, types, cfg.n_random,
                                               cfg.random_seed, &candidates);
      auto& controls = side == Side::known ? R.random_known : R.random_unknown;
      for (size_t i = 0; i < ctrl.size(); ++i)
        controls.push_back(
            make_latent_info(layers[k], sel_counts[k], ctrl[i], side, types, R.types, int(i)));
      (side == Side::known ? R.random_candidates_known : R.random_candidates_unknown) = candidates;
    }
  }

  // 6. Probes on the raw residual, and the top latents as classifiers on the same held-out set.
  t0 = std::chrono::steady_clock::now();
  run_probes(layers, entities, R.d_model, R);
  if (!R.known.empty())
    R.top_known_classifier = classify(layers[layer_index(R.known[0].layer)], R.known[0],
                                      Side::known, entities, cfg.fire_threshold);
  if (!R.unknown.empty())
    R.top_unknown_classifier = classify(layers[layer_index(R.unknown[0].layer)], R.unknown[0],
                                        Side::unknown, entities, cfg.fire_threshold);
  if (cfg.selection_all)
    R.notes.push_back(
        "selection used every entity, so the held-out entities were also used to "
        "select the latents: their classifier scores are not out of sample");
  R.seconds["probes"] = seconds_since(t0);

  // 7. Generalisation and pictures.
  t0 = std::chrono::steady_clock::now();
  run_generalisation_and_pictures(model, layers, entities, sel_counts, all_counts, types, docs, R);
  R.seconds["examples"] = seconds_since(t0);
  R.seconds["total"] = seconds_since(t_start);
  return R;
}

}  // namespace knowscope::study
