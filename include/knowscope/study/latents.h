// The latents stage (paper-method.md 2-3, docs/latents.md): entity activations at the last entity
// token, SAE firing frequencies per layer, latent and type, separation scores, the per-layer
// MaxMin profile with per-type top-5 bands, the global min-over-types selection with the
// generic-text frequency filter, random-latent controls, probe baselines on the raw residual,
// generalisation (leave-one-type-out, free sentences about real and invented entities), and the
// pictures the report draws (token-by-token activations, top-activating corpus contexts).
// `run_latents` does it all; `latents_to_json` writes docs/latents.md's "Results JSON".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "knowscope/model/model.h"
#include "knowscope/study/latents_scores.h"

namespace knowscope::study {

struct LatentsConfig {
  std::string model_name;  // as the user gave it (recorded)
  std::string sae_set;     // sae_set.json folder or a plain folder of SAEs (sae/sae_set.h)
  std::string labels;      // labels file (study/labels_file.h)
  std::string corpus;      // generic corpus JSONL (sae/corpus.h)
  std::string sentences;   // free sentences (data/latents/sentences.json); "" skips them
  // Which entities the scores and the selection use: the train split (paper text) or all.
  bool selection_all = false;
  // A type enters the min over types only with at least this many known and this many unknown
  // scoring entities (paper: 1, with thousands). With one known entity in a type, every latent
  // that entity happens to fire on scores as if it separated the type; a small model's study
  // needs a floor (knowscope run's quick/default profiles use 3). Left-out types are listed.
  int min_type_entities = 1;
  int generic_docs = 2000;     // corpus documents read for the generic frequency
  uint64_t generic_seed = 10;  // random.seed of the paper's word draw
  int generic_seq_len = 128;
  int entity_seq_len = 64;  // entities ending past this token are skipped
  double fire_threshold = 1e-6;
  double generic_freq_cap = 0.02;
  int top_n = 20;
  int n_random = 10;
  uint64_t random_seed = 42;
  int example_latents = 3;  // top latents per side on the sentences and token by token
  int context_docs = 500;   // documents searched for top-activating contexts (of those read)
  int top_contexts = 10;
  int context_before = 12, context_after = 4;  // window around the maximum, in tokens
  int64_t max_batch_tokens = 4096;
  bool progress = true;
};

struct LatentInfo {
  std::string id;  // "L5F123"
  int layer = 0;
  int64_t latent = 0;
  std::string hook, sae_hook;
  int rank = 0;
  double score = 0, mean_score = 0;
  std::map<std::string, double> per_type;                  // s per scored type
  std::map<std::string, double> freq_known, freq_unknown;  // per type with such entities
  int n_known = 0, n_unknown = 0;                          // scoring entities over scored types
  double generic_freq = 0;
  double decoder_norm = 0;
};

struct LayerProfile {
  int layer = 0;
  std::string hook, sae_hook;
  MaxMin maxmin_known, maxmin_unknown;
  std::map<std::string, Band> top5_known, top5_unknown;
};

struct SaeLayerInfo {
  int layer = 0;
  std::string hook, sae_hook, path, arch;
  int64_t d_sae = 0;
};
struct SkippedSae {
  std::string path, sae_hook, reason;
};

struct TypeCounts {  // per type: known, unknown
  std::map<std::string, std::pair<int, int>> per_type;
  int known = 0, unknown = 0;
};

struct SkippedEntity {
  std::string entity, entity_type, reason;
};

struct ProbeScores {
  double accuracy = 0, auroc = 0;  // NaN when undefined
  double auroc_within_type = 0;    // mean over types of the AUROC within each type
};
struct ProbeLayer {
  int layer = 0;
  std::string hook;
  ProbeScores diff_means, logistic;
  double logistic_train_accuracy = 0;
};
struct LatentClassifier {
  std::string id;
  int layer = 0;
  bool present = false;
  double auroc = 0, accuracy = 0;
  double auroc_within_type = 0;
  double heldout_freq_known = 0, heldout_freq_unknown = 0;
};

struct HeldOutEval {
  double score = 0, freq_known = 0, freq_unknown = 0, auroc = 0;
  int n_known = 0, n_unknown = 0;
};
struct LotoSide {
  bool present = false;
  LatentInfo latent;  // selected on the other types (score = train score)
  HeldOutEval held_out;
};
struct LotoEntry {
  std::string held_out_type;
  std::vector<std::string> train_types;
  LotoSide known, unknown;
};

struct SentenceLatentStat {
  std::string id, side, hook;
  int fires_real = 0, fires_invented = 0;
  int n_real = 0, n_invented = 0;
};

struct ExampleLatentActs {
  std::string id, side;
  std::vector<float> acts;
};
struct ExampleText {
  std::string text, kind, entity;
  int64_t entity_token = -1;
  std::vector<std::string> tokens;
  std::vector<ExampleLatentActs> latents;
};

struct TopContext {
  int64_t doc = 0;
  std::string source;
  double max_act = 0;
  int64_t max_pos = 0, doc_pos = 0;
  std::vector<std::string> tokens;
  std::vector<float> acts;
};
struct LatentContexts {
  std::string id, side, hook;
  std::vector<TopContext> contexts;
};

struct LatentsResult {
  LatentsConfig config;
  std::string model_path, model_arch;
  int n_layers = 0;
  int64_t d_model = 0;
  std::string labels_path;
  double min_correct_fraction = 0;
  int min_known_attributes = 0;
  std::vector<SaeLayerInfo> saes;
  std::vector<SkippedSae> skipped_saes;
  std::vector<std::string> types, types_excluded;
  TypeCounts selection_counts, heldout_counts, entity_counts;
  std::vector<SkippedEntity> skipped_entities;
  int64_t generic_docs_read = 0, generic_docs_used = 0;
  std::vector<LatentInfo> known, unknown;
  std::vector<LatentInfo> random_known, random_unknown;
  int64_t random_candidates_known = 0, random_candidates_unknown = 0;
  std::vector<LayerProfile> layers;
  TypeCounts probe_train, probe_heldout;
  std::vector<ProbeLayer> probes;
  LatentClassifier top_known_classifier, top_unknown_classifier;
  std::vector<LotoEntry> leave_one_type_out;
  std::string sentences_file;
  int n_real = 0, n_invented = 0;
  std::vector<SentenceLatentStat> sentence_stats;
  std::vector<ExampleText> examples;
  std::vector<LatentContexts> top_contexts;
  std::map<std::string, double> seconds;
  std::vector<std::string> notes;  // things a reader should know (small n, excluded types, ...)
};

LatentsResult run_latents(const Model& model, const LatentsConfig& config);

std::string latents_to_json(const LatentsResult& result);  // pretty-printed
// Writes <out_dir>/latents.json atomically (creating the folder); returns the path.
std::string write_latents_json(const std::string& out_dir, const LatentsResult& result);
// One screen: the top latents with hooks, scores and n, MaxMin per layer, the probe baselines.
std::string format_latents_summary(const LatentsResult& result);

// The free sentences file: {"sentences": [{"text", "entity", "kind": "real"|"invented",
// "entity_type", "begin", "end"}]}, begin/end the entity's byte span in text.
struct FreeSentence {
  std::string text, entity, kind, entity_type;
  size_t begin = 0, end = 0;
};
std::vector<FreeSentence> read_free_sentences(const std::string& path);

}  // namespace knowscope::study
