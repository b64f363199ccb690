// Labelling at scale (spec 1.3-1.4): ask the model every attribute question of every selected
// entity, one greedy plus N sampled completions per question, and keep the answers as generation
// records in a JSONL log that a rerun resumes from. Labels and splits are then computed from the
// records (study/labels_file.h).
//
// Determinism: prompt j of an entity draws its completions from (entity_seed(config seed, entity
// type, entity name), j) (GenerateOptions::prompt_seeds), and the engine computes each sequence
// the same way whatever shares its batch, so an entity's completions depend only on the model, the
// config and the entity: not on which other entities are selected or batched with it, on their
// order, or on a resume.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "knowscope/study/entities.h"
#include "knowscope/study/generation_record.h"
#include "knowscope/study/labels.h"
#include "knowscope/study/templates.h"

namespace knowscope {
struct Model;
}

namespace knowscope::study {

// What shapes the completions. Every field is part of the config hash that names the cache folder.
struct LabellingConfig {
  PromptFormat format = PromptFormat::base;
  int samples = 10;          // sampled completions per prompt, besides the greedy one (paper: 10)
  float temperature = 1.0f;  // of the samples (paper: 1.0)
  int top_k = 0;             // 0: off (vLLM's default)
  float top_p = 1.0f;        // 1: off (vLLM's default)
  int max_new_tokens = 32;   // paper: 32
  uint64_t seed = 0;
  // End a completion where its answer line ends (base and fewshot formats only; see
  // answer_line_end). Off reproduces the paper's full max_new_tokens completions.
  bool early_stop = true;
};

// early_stop and a format whose answer is one line (base, fewshot).
bool early_stop_applies(const LabellingConfig& c);
// Throws Error naming the field when a value is out of range.
void validate_labelling_config(const LabellingConfig& c);

// Canonical one-line JSON of the config (with a version of the labelling procedure), and its
// 16-hex-digit hash: the cache folder name.
std::string labelling_config_json(const LabellingConfig& c);
LabellingConfig labelling_config_from_json(std::string_view json_text, const std::string& where);
std::string labelling_config_hash(const LabellingConfig& c);

// Where the answer line of a completion ends: the first '\n' after the answer started, or npos.
// base: the answer starts at the first letter or digit (ASCII, or any non-ASCII byte), so "is:\n\n
// Francis Ford Coppola\n" keeps "Francis Ford Coppola"; fewshot: at the first byte that is not
// blank (" \t\r\n"), exactly what fewshot_answer() reads, so cutting there never changes a
// fewshot label. Other formats: npos.
size_t answer_line_end(std::string_view text, PromptFormat format);

// The same rule fed piece by piece (a token's text at a time) while generating.
class AnswerLineScanner {
 public:
  explicit AnswerLineScanner(PromptFormat format) : format_(format) {}
  // True once the text fed so far holds the end of the answer line.
  bool feed(std::string_view piece);
  bool ended() const { return ended_; }

 private:
  PromptFormat format_;
  bool started_ = false, ended_ = false;
};

// A well-mixed 64-bit seed for one entity's prompts (prompt j: PromptSeed{entity_seed, j}).
uint64_t entity_seed(uint64_t seed, std::string_view entity_type, std::string_view entity);

// The text fed to the model for a built prompt, and whether the tokenizer must add BOS. base and
// fewshot: the prompt text. chat and free: the model's own chat format (detect_chat_format) with
// the question as the user turn and the assistant prefix appended; Gemma turns when the model
// has no recognisable template.
struct ModelPrompt {
  std::string text;
  bool add_bos = true;
};
ModelPrompt render_for_model(const Model& model, const BuiltPrompt& prompt);

struct EntityGeneration {
  std::vector<GenerationRecord> records;  // one per attribute prompt, labelled (label_record)
  int64_t completions = 0;                // records x (1 + samples)
  int64_t generated_tokens = 0;           // tokens the model produced, stop tokens included
  int64_t prompt_tokens = 0;
};

// Every attribute prompt of one entity (build_prompts order): a greedy completion and `samples`
// sampled ones per prompt. Completions are decoded without special tokens (as vLLM does) and cut
// at answer_line_end when early_stop_applies.
EntityGeneration generate_entity_records(const Model& model, const Entity& entity,
                                         const LabellingConfig& config);
// The same for several entities in one generate() call (all their sequences decode together,
// which is faster): one result per entity, each equal to generate_entity_records' for it alone.
std::vector<EntityGeneration> generate_entities_records(const Model& model,
                                                        std::span<const Entity* const> entities,
                                                        const LabellingConfig& config);

// Sequences (prompts x (1 + samples)) that run_labelling_generation decodes together by default.
inline constexpr int kLabellingBatchSequences = 192;

// Entities to label: per type (in `types` order; empty: entity_types()), a seeded random sample of
// `per_type` entities (0: all), in the order of numpy.random.RandomState(seed).permutation, so a
// larger per_type extends a smaller one. Throws Error on a duplicate (type, name).
struct EntitySelection {
  std::vector<std::string> types;
  int per_type = 0;
  uint32_t seed = 42;
};
// Entities per type of the `entities label` default profile.
inline constexpr int kDefaultLabelPerType = 20;
std::vector<Entity> select_entities(std::span<const Entity> pool, const EntitySelection& selection);

struct LabellingRunStats {
  size_t entities = 0, prompts = 0;  // selected
  size_t reused = 0;                 // prompts whose records the log already had
  size_t generated = 0;              // prompts generated by this run
  int64_t completions = 0, generated_tokens = 0;
  double seconds = 0;  // wall time of the generation
};

// Generates the records that `log_path` lacks for `entities` and appends them, one entity per
// write, so a kill loses at most the call in progress: whole entities, about `batch_sequences`
// sequences per generate() call (results do not depend on it). Entities are visited round-robin
// over their types, so a stopped run has some of each. A torn last line is cut first; a record
// counts as done when its key and prompt text match. `progress`: a Progress bar on stderr.
LabellingRunStats run_labelling_generation(const Model& model, std::span<const Entity> entities,
                                           const LabellingConfig& config,
                                           const std::string& log_path, bool progress = true,
                                           int batch_sequences = kLabellingBatchSequences);

// The records of `entities` from a log: the last record of each prompt whose prompt text matches,
// in selection order (entities, then their attributes), with correct_answer taken from the entity
// and labels recomputed. Throws Error naming the log and the first missing prompt.
std::vector<GenerationRecord> collect_records(const GenerationLog& log,
                                              std::span<const Entity> entities, const Model& model,
                                              const LabellingConfig& config,
                                              const std::string& log_path);

// ---- Where things live ------------------------------------------------------------------------

// The folder name for a model: its registry name when `model_arg` is one (or is the cached file
// of one), else "<file stem>-<16 hex digits of a hash of the file's bytes>" (for an HF folder, of
// its config.json and weight files).
std::string model_cache_id(const std::string& model_arg);
// $KNOWSCOPE_HOME/labels/<model id>/<config hash>
std::string default_labelling_dir(const std::string& model_id, const LabellingConfig& config);

// The dataset folder (holding player.jsonl ...): $KNOWSCOPE_DATA/entities when set, else the first
// data/entities/manifest.json found walking up from the executable, then from the working
// directory. Throws Error saying where it looked.
std::string find_entity_dir();
// The entities of `types` (empty: all four) from <dir>/<type>.jsonl.
std::vector<Entity> load_dataset(const std::string& dir, std::span<const std::string> types = {});

// Files inside a labelling folder.
inline constexpr std::string_view kGenerationsFile = "generations.jsonl";
inline constexpr std::string_view kLabelsFile = "labels.json";
inline constexpr std::string_view kConfigFile = "config.json";

}  // namespace knowscope::study
