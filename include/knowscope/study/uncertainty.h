// Uncertainty latents (paper §7, spec §6; docs/uncertainty.md): an SAE latent read where the model
// is about to answer whose activation predicts a wrong answer, ranked by the min over entity types
// of Welch's t (error vs correct, train split), evaluated as a classifier (AUROC, F1) on a
// class-balanced test split beside a residual-stream probe and the model's own answer probability.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "knowscope/sae/sae.h"
#include "knowscope/sae/sae_set.h"
#include "knowscope/study/labels_file.h"
#include "knowscope/study/templates.h"

namespace knowscope {
struct Model;
}

namespace knowscope::study {

struct UncertaintyConfig {
  std::string model_name;   // recorded in the result; empty: the labels file's model name
  std::string labels_path;  // labels file (read by run_uncertainty(model, config))
  std::string sae_set_dir;  // SAE set folder (idem)
  // Prompt format of the analysed prompts; empty: from the labels' config (base and fewshot as
  // they are, chat and free -> free inside the model's chat template).
  std::optional<PromptFormat> format;
  bool include_other = false;  // also entities labelled "other" (split like the others)
  int per_type = 0;            // at most this many entities per type and label; 0: all
  int top = 20;                // latents listed
  int n_thresholds = 100;      // F1 threshold grid (paper: 100)
  uint64_t seed = 0;           // balanced subsampling and bootstrap
  int greedy_tokens = 16;      // greedy answer length for the probability baseline; 0: skip it
  int bootstrap = 1000;        // AUROC bootstrap resamples; 0: no interval
  int64_t max_batch_tokens = 4096;
  bool progress = true;
};

enum class PromptClass { correct, error, error_known };
std::string_view prompt_class_name(PromptClass c);  // "correct" "error" "error_known"

// One analysed prompt.
struct UncertaintyPrompt {
  std::string entity, entity_type, prompt_type;
  Knowledge entity_label = Knowledge::unknown;
  SplitName split = SplitName::train;
  PromptClass cls = PromptClass::error;
  std::string text;  // fed to the model
  bool add_bos = true;
  std::vector<int32_t> tokens;
  int64_t position = -1;  // token read
  // Greedy-answer baseline (NaN when not computed).
  double first_token_prob = 0;
  double mean_logprob = 0;
  std::string greedy_answer;
};

// Residual activations of every prompt at one SAE's hook, and the SAE.
struct LayerResiduals {
  std::string sae_hook;  // the SAE's hook, "blocks.6.hook_resid_post"
  const Sae* sae = nullptr;
  int64_t d_model = 0;
  std::vector<float> resid;  // [prompts, d_model]
};

struct LatentScore {
  std::string id;  // "L7F123"
  int layer = 0;   // paper layer l (blocks.l.hook_resid_pre)
  int64_t latent = 0;
  std::string hook, sae_hook;
  double score = 0;                         // min over scored types of t
  std::map<std::string, double> per_type;   // t per scored type
  double mean_error = 0, mean_correct = 0;  // train, scored types
};

struct Summary5 {
  size_t n = 0;
  double mean = 0, median = 0, q1 = 0, q3 = 0, max = 0;
};

struct ClassCounts {
  int correct = 0, error = 0, error_known = 0;
};

// One classifier evaluated on the balanced test split.
struct RocEntry {
  std::string name, kind, hook;
  double auroc = 0;
  std::optional<std::pair<double, double>> auroc_ci;
  double auroc_all_test = 0;  // on every test prompt, before balancing (AUROC ignores balance)
  double f1 = 0, threshold = 0, accuracy = 0, precision = 0, recall = 0;
  size_t n = 0, n_error = 0, n_correct = 0;
  std::vector<double> fpr, tpr, thresholds;
};

struct LayerBest {
  int layer = 0;
  std::string hook, sae_hook, best;
  int64_t d_sae = 0;
  double best_score = 0;
};

struct UncertaintyResult {
  std::string status = "ok";  // or "insufficient_data"
  std::string reason;
  std::string model, sae_set, labels;
  std::string labels_format, prompt_format;
  std::string position_rule, example_prompt, example_token;
  UncertaintyConfig config;
  size_t n_prompts = 0, excluded_refusal = 0;
  std::map<std::string, ClassCounts> split_counts;                        // split -> counts
  std::map<std::string, std::map<std::string, ClassCounts>> type_counts;  // type -> split ->
  std::vector<std::string> types_scored, types_excluded;
  std::vector<LayerBest> layers;
  std::vector<LatentScore> top_latents;
  std::map<std::string, Summary5> top_activation;  // class name -> summary, all splits
  std::string threshold_split = "validation";
  size_t test_n = 0, test_error = 0, test_correct = 0, test_unbalanced = 0;
  size_t val_n = 0, val_error = 0, val_correct = 0;
  std::vector<RocEntry> roc;
  std::vector<std::string> notes;
  double seconds = 0;

  std::string to_json() const;  // docs/uncertainty.md, pretty-printed
};

// The prompts of a labels file for a format (labels, splits, text, BOS), without tokens.
std::vector<UncertaintyPrompt> uncertainty_prompts(const Model& model, const LabelsFile& labels,
                                                   PromptFormat format,
                                                   const UncertaintyConfig& config,
                                                   size_t* excluded_refusal = nullptr);
// Tokenizes every prompt and sets `position`: the last token for base and fewshot, the last
// non-whitespace token of the generation prompt for chat formats.
void locate_positions(const Model& model, std::vector<UncertaintyPrompt>& prompts,
                      PromptFormat format);

// The analysis proper, on activations already captured (tests feed synthetic ones): scoring,
// top latents, evaluation of the top latent and of the baselines present in `prompts`
// (greedy_tokens > 0: the greedy-answer baselines; the probe is always tried).
UncertaintyResult analyse_uncertainty(std::span<const UncertaintyPrompt> prompts,
                                      std::span<const LayerResiduals> layers,
                                      const UncertaintyConfig& config);

// Everything: prompts, capture at every SAE hook of the set, greedy baseline, analysis.
UncertaintyResult run_uncertainty(const Model& model, const LabelsFile& labels, SaeSet& sae_set,
                                  const UncertaintyConfig& config);
// Reads config.labels_path and config.sae_set_dir.
UncertaintyResult run_uncertainty(const Model& model, const UncertaintyConfig& config);

// One screen: counts, top latents, the AUROC / F1 table beside the paper's.
std::string format_uncertainty_summary(const UncertaintyResult& r);

}  // namespace knowscope::study
