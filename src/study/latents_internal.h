// Shared pieces of the latents stage (src/study/latents_*.cpp); not a public header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "knowscope/hooks/capture.h"
#include "knowscope/sae/corpus.h"
#include "knowscope/sae/encode.h"
#include "knowscope/sae/sae_set.h"
#include "knowscope/study/labels_file.h"
#include "knowscope/study/latents.h"

namespace knowscope::study::latents_detail {

// One scored SAE: the paper's layer l, where it reads, and what the run computed with it.
struct ScoredLayer {
  SaeSetLayer* set_layer = nullptr;
  int layer = 0;         // paper layer l
  std::string hook;      // blocks.{l}.hook_resid_pre
  std::string sae_hook;  // the SAE's own hook (captured)
  int64_t d_sae = 0;
  std::string arch;
  std::vector<float> entity_x;       // [entities, d_model] residual at the last entity token
  std::vector<float> generic_x;      // [generic tokens, d_model]
  SaeCodes entity_codes;             // the SAE's codes of entity_x
  std::vector<double> generic_freq;  // [d_sae]
  std::vector<float> decoder_norms;  // [d_sae]
};

// SAEs of the set that the paper scores (1 <= l < n_layers on the residual stream), ascending l.
std::vector<ScoredLayer> plan_layers(SaeSet& set, int n_layers, std::vector<SkippedSae>& skipped);

struct EntityRow {
  std::string entity, entity_type;
  int type_index = 0;
  bool known = false;
  std::optional<SplitName> split;
};

// Known and unknown entities of the labels file, in file order, with type indices into `types`
// (filled in order of first appearance).
std::vector<EntityRow> labelled_entities(const LabelsFile& labels, std::vector<std::string>& types);

// Captures `hooks` for `prompts` in chunks (memory stays bounded), calling `consume` with each
// chunk's first prompt index and its result. Progress over prompts when `progress_label` is set.
void capture_in_chunks(const Model& model, const std::vector<CapturePrompt>& prompts,
                       const std::vector<std::string>& hooks, int64_t max_batch_tokens,
                       int chunk_prompts, const std::string& progress_label,
                       const std::function<void(size_t, const CaptureResult&)>& consume);

// The paper's generic tokens (2.2): one word per document drawn with random.choices after
// random.seed(seed), the token covering the last byte of its first occurrence, kept when within
// the first `seq_len` tokens. Prompts are cut after that token (causal: nothing later matters).
struct GenericTokens {
  std::vector<CapturePrompt> prompts;  // one position each
  std::vector<size_t> doc_index;       // the document of each prompt
  int64_t docs_read = 0;
};
GenericTokens generic_tokens(const Tokenizer& tok, const std::vector<CorpusDoc>& docs,
                             uint64_t seed, int seq_len);

// Activations of `latents` of an SAE for n rows: out[n, latents.size()] (TopK via a dense encode).
std::vector<float> encode_latents(const Sae& sae, const float* x, int64_t n,
                                  const std::vector<int32_t>& latents);

// A token's text for display ("<bos>", " city").
std::string token_display(const Tokenizer& tok, int32_t id);

// Mean over entity types (with both classes among the rows) of the AUROC within the type: the
// held-out split can mix types unevenly between known and unknown, and then a classifier of the
// type alone scores well on the pooled AUROC. NaN when no type has both classes.
double mean_within_type_auroc(const std::vector<double>& scores, const std::vector<int>& labels,
                              const std::vector<int>& type_of_row);

// The probe baselines (study/stats.h) per layer on the raw residual.
void run_probes(const std::vector<ScoredLayer>& layers, const std::vector<EntityRow>& entities,
                int64_t d_model, LatentsResult& result);

// A latent's scores and frequencies on `c` (its rank in a list), for the JSON.
LatentInfo make_latent_info(const ScoredLayer& sl, const FiringCounts& c, int64_t latent, Side side,
                            const std::vector<int>& types, const std::vector<std::string>& names,
                            int rank);

// Leave-one-type-out, the free sentences, token-by-token activations and top corpus contexts.
void run_generalisation_and_pictures(const Model& model, std::vector<ScoredLayer>& layers,
                                     const std::vector<EntityRow>& entities,
                                     const std::vector<FiringCounts>& selection_counts,
                                     const std::vector<FiringCounts>& all_counts,
                                     const std::vector<int>& types,
                                     const std::vector<CorpusDoc>& docs, LatentsResult& result);

}  // namespace knowscope::study::latents_detail
