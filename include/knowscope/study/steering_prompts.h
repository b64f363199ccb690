// The prompts steering runs on (docs/steering.md "The setting"): which entities (labels, split,
// balance), which questions (the paper's refusal questions in the chat template, or the few-shot
// page for base models), their tokens and the last entity token.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "knowscope/study/entities.h"
#include "knowscope/study/labels.h"
#include "knowscope/study/labels_file.h"

namespace knowscope {
struct Model;
class Tokenizer;
}  // namespace knowscope

namespace knowscope::study {

enum class SteerFormat { chat, fewshot };
std::string_view steer_format_name(SteerFormat f);
// chat when the model has a chat template (a GGUF tokenizer.chat_template), fewshot otherwise.
SteerFormat default_steer_format(const Model& model);

enum class SteerPositions { entity_last_to_end, entity_last };
std::string_view steer_positions_name(SteerPositions p);
SteerPositions parse_steer_positions(std::string_view s);  // throws Error listing the names

struct SteerPrompt {
  std::string entity, entity_type, prompt_type;
  Knowledge knowledge = Knowledge::unknown;
  std::string question;  // the user turn (chat) or the question of the few-shot page
  std::string answer;    // the attribute value from the dataset ("" when the dataset lacks it)
  std::string text;      // what is tokenized
  std::vector<int32_t> tokens;
  int64_t entity_last = 0;  // position of the last entity token
};

// Python's random.seed(seed); random.shuffle(x) on indices 0..n-1 (MT19937 seeded with
// init_by_array, _randbelow by rejection on getrandbits): the paper's shuffle, bit for bit.
std::vector<size_t> python_shuffled_indices(size_t n, uint32_t seed);

// The text and tokens of one question for a model, and its last entity token: the token covering
// the last byte of the last occurrence of `entity` in the text. Throws Error when absent.
struct TokenizedPrompt {
  std::string text;
  std::vector<int32_t> tokens;
  int64_t entity_last = 0;
};
// Few-shot: `header` (fewshot_header() when null) + "\nQ: {question}\nA:". Chat: the model's own
// template with the question as the user turn, the generation prompt open, then
// `assistant_prefix`.
TokenizedPrompt tokenize_steer_prompt(const Model& model, SteerFormat format,
                                      std::string_view question, std::string_view entity,
                                      std::string_view assistant_prefix = {},
                                      const std::string* header = nullptr);

// `text` tokenized (BOS when add_bos and the tokenizer adds one) with the last entity token as
// above.
TokenizedPrompt tokenize_with_entity(const Model& model, std::string text, bool add_bos,
                                     std::string_view entity);

struct PromptSelection {
  std::vector<std::string> types;                    // empty: the labels' types
  std::optional<SplitName> split = SplitName::test;  // nullopt: every split
  bool balanced = true;  // truncate known and unknown lists of a type to the shorter one
  int n_per_type = 20;   // questions per type (0: all)
  uint32_t seed = 42;
  // Few-shot page before "Q: ...": empty means fewshot_header() (a shorter page for tests or a
  // user's own demonstrations).
  std::string fewshot_header;
};

// The question prompts about entities with `label`: per type, the entities of the split (balanced
// when asked), every (entity x question) in entity order, Python-shuffled with `seed`, the first
// n_per_type. `dataset` gives the attribute values (entities not in it keep answer ""). Chat:
// refusal_questions (spec 4.2); fewshot: the attribute questions (spec 1.2) on the few-shot page.
std::vector<SteerPrompt> build_steer_prompts(const Model& model, SteerFormat format,
                                             const LabelsFile& labels,
                                             std::span<const Entity> dataset, Knowledge label,
                                             const PromptSelection& selection);

// Entity lists per type after split and balance (what build_steer_prompts draws from).
std::vector<std::string> selected_entities(const LabelsFile& labels, std::string_view type,
                                           Knowledge label, const PromptSelection& selection);

// Refusal and correctness of a completion in a format (chat: is_refusal on the completion and the
// prompt type's free-generation check; fewshot: on fewshot_answer, with the few-shot detector and
// the prompt type's check). An empty answer is never correct.
bool steer_is_refusal(SteerFormat format, std::string_view completion);
bool steer_is_correct(SteerFormat format, std::string_view prompt_type, std::string_view answer,
                      std::string_view completion);

}  // namespace knowscope::study
