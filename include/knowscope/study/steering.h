// Steering experiments (spec 4; docs/steering.md): refusal rates under known/unknown-latent
// steering with random-latent controls and the orthogonalized model, the coefficient sweep, the
// balance curve between hallucination and refusal, and the yes/no self-knowledge probe. Each stage
// is a function from a prepared SteerContext and a config to a result with to_json (the
// "knowscope-steering" schema of docs/steering.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "knowscope/study/entities.h"
#include "knowscope/study/labels_file.h"
#include "knowscope/study/steering_latents.h"
#include "knowscope/study/steering_prompts.h"

namespace knowscope {
struct Model;
class Progress;
}  // namespace knowscope

namespace knowscope::study {

// What every stage shares: model, labels, dataset, latents, prompts and the residual norms that
// calibrate alpha.
struct SteerSetup {
  std::string model_name;   // for the JSON ("gemma-3-270m")
  std::string labels_path;  // labels.json (labels_file.h)
  std::string dataset;      // entity folder or file; "": the labels' source, then the default
  LatentSource latents;
  PromptSelection selection;
  std::optional<SteerFormat> format;  // nullopt: chat if the model has a chat template
  int max_new_tokens = 30;
  double factor_known = 2.0, factor_unknown = 2.0;  // alpha = factor x mean resid norm
  bool progress = true;
};

struct SteerCalibration {
  std::string hook;
  double mean_resid_norm = 0;  // at the last entity token, unsteered
  int n_prompts = 0;
};

struct SteerContext {
  const Model* model = nullptr;
  std::string model_name, labels_path, dataset;
  SteerFormat format = SteerFormat::fewshot;
  PromptSelection selection;
  int max_new_tokens = 30;
  bool progress = true;
  std::vector<std::string> types;
  SteeringLatents latents;
  std::vector<SteerPrompt> unknown_prompts, known_prompts;
  // Per type: entities after split and balance (known, unknown).
  std::vector<std::pair<std::string, std::pair<int, int>>> entity_counts;
  SteerCalibration known_norm, unknown_norm;
  double factor_known = 2.0, factor_unknown = 2.0;

  double alpha_known() const { return factor_known * known_norm.mean_resid_norm; }
  double alpha_unknown() const { return factor_unknown * unknown_norm.mean_resid_norm; }
};

// Loads labels, dataset and latents from files and prepares everything (calibration included).
SteerContext prepare_steering(const Model& model, const SteerSetup& setup);
// The same from objects already in memory (tests, the run orchestrator).
SteerContext make_steer_context(const Model& model, const LabelsFile& labels,
                                const std::vector<Entity>& dataset, SteeringLatents latents,
                                const SteerSetup& setup);

// Mean |resid| at blocks.{layer}.hook_resid_pre at each prompt's last entity token.
SteerCalibration calibrate_resid_norm(const Model& model, const std::vector<SteerPrompt>& prompts,
                                      int layer);

// ---- generation under one condition ----

struct SteerIntervention {
  const SteerLatent* latent = nullptr;  // null: no steering
  double alpha = 0;
  SteerPositions positions = SteerPositions::entity_last_to_end;
};

struct SteerOutcome {
  std::string completion;
  bool refusal = false, correct = false;
  bool degenerate = false;  // not a refusal, and is_degenerate (study/degenerate.h)
};

// Greedy completions of all prompts in one batched generate() call, steered per prompt (prompt
// positions only). Few-shot completions stop where the answer line ends.
std::vector<SteerOutcome> generate_steered(const Model& model, SteerFormat format,
                                           const std::vector<SteerPrompt>& prompts,
                                           const SteerIntervention& steer, int max_new_tokens);

// Several conditions over the same prompts in one generate() call (result[g][i]: condition g,
// prompt i); `progress` advances by one per finished completion.
std::vector<std::vector<SteerOutcome>> generate_steered_groups(
    const Model& model, SteerFormat format, const std::vector<SteerPrompt>& prompts,
    const std::vector<SteerIntervention>& groups, int max_new_tokens, Progress* progress = nullptr);

// ---- rates ----

struct RateCell {
  int n = 0, refusals = 0, correct = 0;
  int degenerate = 0;  // neither refusal nor answer: loops, punctuation, nothing
  int answered() const { return n - refusals - degenerate; }  // confident, non-refusing answers
};
// Per type in context order, then "all".
using RateTable = std::vector<std::pair<std::string, RateCell>>;
RateTable rate_table(const std::vector<std::string>& types, const std::vector<SteerPrompt>& prompts,
                     const std::vector<SteerOutcome>& outcomes);
const RateCell& table_cell(const RateTable& t, const std::string& type);  // throws when absent

struct SteerExample {
  std::string entities, condition, entity, entity_type, prompt_type, question, completion;
  bool refusal = false, correct = false;
  double factor = 0, alpha = 0;
};

// ---- refusal ----

struct RefusalConfig {
  SteerPositions positions = SteerPositions::entity_last_to_end;
  bool orthogonalized = true;
  bool known_entities = true;  // also the known-entity set (when it has prompts)
  int examples_per_condition = 2;
};

struct ConditionResult {
  std::string name;                 // original, steer_unknown, random_unknown, orthogonalized, ...
  std::string latent;               // "" when none
  std::vector<std::string> random;  // the control latents (random_* only)
  double alpha = 0;
  std::vector<RateTable> runs;  // one, or one per control latent
  bool is_random() const { return !random.empty(); }
};

struct RefusalSet {
  std::string entities;  // "unknown" or "known"
  std::vector<ConditionResult> conditions;
  const ConditionResult* find(const std::string& name) const;
};

struct RefusalResult {
  std::vector<RefusalSet> sets;
  std::vector<SteerExample> examples;
  SteerPositions positions = SteerPositions::entity_last_to_end;
  double seconds = 0;
};
RefusalResult run_refusal(const SteerContext& ctx, const RefusalConfig& config = {});

// ---- sweep ----

struct SweepConfig {
  std::vector<double> factors = {0, 0.5, 1, 1.5, 2, 3, 4};
  double target = 0.9;
  SteerPositions positions = SteerPositions::entity_last_to_end;
  // Prompts to sweep on; empty: the context's prompts about `entities` ("unknown", as the paper;
  // "known" where the unknown ones already refuse, as on the few-shot base model; or "all").
  std::vector<SteerPrompt> prompts;
  std::string entities = "unknown";
};
struct SweepPoint {
  double factor = 0, alpha = 0;
  RateTable rates;
};
struct SweepResult {
  std::vector<SweepPoint> points;
  double target = 0.9, chosen_factor = 0, chosen_alpha = 0;
  bool target_reached = false;
  // Whether any positive factor gave a higher pooled refusal rate than factor 0 (false when 0 is
  // not among the factors): on a model the latent does not push to refuse, the fallback rule
  // picks a factor that changes nothing, and this says so.
  bool raises_refusal = false;
  std::vector<SteerExample> example_rows;  // the first prompt at every factor (Table 6)
  SteerPositions positions = SteerPositions::entity_last_to_end;
  std::string split, entities = "unknown";
  double seconds = 0;
};
SweepResult run_sweep(const SteerContext& ctx, const SweepConfig& config);
// The rule: the smallest positive factor with pooled refusal rate >= target; else the positive
// factor with the highest rate (the smallest among ties) and target_reached false. Factor 0 (the
// original) is never chosen unless it is the only one. `rates[i]` belongs to factors[i].
std::pair<size_t, bool> choose_factor(const std::vector<double>& factors,
                                      const std::vector<double>& rates, double target);

// ---- balance ----

struct BalanceConfig {
  // Signed, in units of the mean residual norm: < 0 the known latent, > 0 the unknown latent.
  std::vector<double> coefficients = {-4, -3, -2, -1, -0.5, 0, 0.5, 1, 2, 3, 4};
  SteerPositions positions = SteerPositions::entity_last_to_end;
};
struct BalancePoint {
  double coefficient = 0, alpha = 0;
  std::string latent;
  RateTable unknown_entities, known_entities;
  std::vector<SteerExample> examples;  // the first unknown- and known-entity prompt
};
struct BalanceResult {
  std::vector<BalancePoint> points;
  SteerPositions positions = SteerPositions::entity_last_to_end;
  double seconds = 0;
};
BalanceResult run_balance(const SteerContext& ctx, const BalanceConfig& config = {});

// ---- yes/no probe ----

struct YesNoConfig {
  int n_random = 1;  // random latents per set (paper: one, same alpha)
  SteerPositions positions = SteerPositions::entity_last;
};
struct YesNoStats {
  std::vector<double> original, steered;
  std::vector<std::vector<double>> random;  // per control latent
};
struct YesNoSet {
  std::string entities, steer, latent;
  std::vector<std::string> random;
  double alpha = 0;
  std::vector<std::pair<std::string, YesNoStats>> per_type;  // types, then "all"
};
struct YesNoResult {
  int32_t yes_token = -1, no_token = -1;
  std::vector<YesNoSet> sets;
  SteerPositions positions = SteerPositions::entity_last;
  double seconds = 0;
};
YesNoResult run_yesno(const SteerContext& ctx, const YesNoConfig& config = {});

// The yes/no prompt's text (chat: the paper's turn with "Answer:"; base: the sentence and
// "\nAnswer:").
std::string yesno_question(std::string_view entity, std::string_view entity_type);

// logit(yes) - logit(no) at the last position of each prompt, steered per prompt.
std::vector<double> yes_no_logit_diffs(const Model& model,
                                       const std::vector<TokenizedPrompt>& prompts,
                                       const SteerIntervention& steer, int32_t yes, int32_t no);

// ---- JSON ----

std::string to_json(const SteerContext& ctx, const RefusalResult& r);
std::string to_json(const SteerContext& ctx, const SweepResult& r);
std::string to_json(const SteerContext& ctx, const BalanceResult& r);
std::string to_json(const SteerContext& ctx, const YesNoResult& r);

// Readable tables for the command line.
std::string format_table(const SteerContext& ctx, const RefusalResult& r);
std::string format_table(const SteerContext& ctx, const SweepResult& r);
std::string format_table(const SteerContext& ctx, const BalanceResult& r);
std::string format_table(const SteerContext& ctx, const YesNoResult& r);

}  // namespace knowscope::study
