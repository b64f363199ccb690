// Every prompt the study feeds a model, as data (src/study/templates_data.cpp): the 17 attribute
// prompt types with their questions, prefixes and correctness functions (spec 1.2), the refusal
// questions (4.2), the yes/no probe (4.7), the mechanistic relations (5.1) and the
// activation-caching prompt (2.1). Entity names go in as they are (no escaping).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "knowscope/study/correctness.h"
#include "knowscope/study/entities.h"

namespace knowscope::study {

// base: "{question} {prefix}" as one plain string (the paper's base models);
// chat: the question as the user turn, a short prefix ("Director=") opening the model turn;
// free: the question as the user turn, nothing after the turn opens;
// fewshot: a base-model question-answering page that lets the model say "I don't know"
//          (study/fewshot.h).
enum class PromptFormat { base, chat, free, fewshot };

std::string_view format_name(PromptFormat f);
PromptFormat parse_format(std::string_view name);  // throws Error listing the names

struct PromptTemplate {
  std::string_view prompt_type;     // "movie_directors" = entity_type + "_" + attribute_type
  std::string_view entity_type;     // "movie"
  std::string_view attribute_type;  // "directors"
  std::string_view question;        // "Who is the director of the movie '{entity}'?"
  std::string_view base_prefix;     // "The director of the movie '{entity}' is"
  std::string_view chat_prefix;     // "Director="
  CorrectnessFn check;              // base, chat and fewshot formats
  CorrectnessFn free_check;         // free generation (spec 1.2: player year tol 0, substring)
  std::string_view it_relation;     // refusal question relation, "" when the paper has none
  std::string_view base_relation;   // mechanistic relation as the authors' dict has it
};

// The 17 prompt types in the authors' prompt_types_to_include order (player, movie, city, song).
std::span<const PromptTemplate> prompt_templates();
const PromptTemplate* find_prompt_template(std::string_view prompt_type);
const PromptTemplate& prompt_template(std::string_view prompt_type);  // throws Error
std::vector<std::string_view> entity_types();                         // player movie city song

// Replaces every "{entity}" (and "{entity_type}") in a template.
std::string fill_template(std::string_view text, std::string_view entity,
                          std::string_view entity_type = {});

struct ChatTurn {
  std::string role;  // "user" or "assistant"
  std::string content;
};

// One attribute prompt, ready for generation.
struct BuiltPrompt {
  std::string entity, entity_type, prompt_type, correct_answer;
  PromptFormat format = PromptFormat::base;
  std::string question;          // the user turn (chat, free) or the question (base, fewshot)
  std::string assistant_prefix;  // chat: "Director="; base/fewshot/free: ""
  std::string text;              // the whole string to tokenize (chat: Gemma turns, no BOS)
  CorrectnessFn check;           // the function for this format
};

// The prompt for one attribute of an entity; throws Error when the prompt type is unknown, does
// not belong to the entity's type, or the entity lacks that attribute.
BuiltPrompt build_prompt(const Entity& entity, std::string_view prompt_type, PromptFormat format);
// All the paper's prompts of an entity, in the order of its attributes; attributes without a
// prompt type are skipped, as the authors did.
std::vector<BuiltPrompt> build_prompts(const Entity& entity, PromptFormat format);

// is_correct with the function a prompt type uses in a format.
bool is_correct(std::string_view prompt_type, std::string_view answer, std::string_view generation,
                PromptFormat format = PromptFormat::base);

// Gemma chat turns as in the paper (spec 0.3), without BOS (the tokenizer adds it):
// "<start_of_turn>user\n{user}<end_of_turn>\n<start_of_turn>model\n{assistant_prefix}".
std::string render_gemma_chat(std::string_view user, std::string_view assistant_prefix = {});

// Activation caching (2.1): "The {entity_type} '{entity}'".
std::string entity_activation_prompt(std::string_view entity, std::string_view entity_type);

// Refusal questions (4.2): "{relation} the {entity_type} {entity}?" for each relation of the type.
struct RelationPrompt {
  std::string prompt_type;  // the attribute the relation asks about
  std::string text;
};
std::vector<RelationPrompt> refusal_questions(std::string_view entity,
                                              std::string_view entity_type);

// Yes/no self-knowledge probe (4.7): user turn and the assistant prefix "Answer:".
ChatTurn yes_no_question(std::string_view entity, std::string_view entity_type);
inline constexpr std::string_view kYesNoAssistantPrefix = "Answer:";
inline constexpr std::string_view kYesToken = " Yes";
inline constexpr std::string_view kNoToken = " No";

// Mechanistic prompts (5.1): "The {entity_type} {entity} {relation}". The authors' dict swaps the
// two player relations (player_date_birth -> "was born in the city of"); `as_authors` keeps that
// swap, false pairs each relation with its own attribute.
std::vector<RelationPrompt> base_relation_prompts(std::string_view entity,
                                                  std::string_view entity_type,
                                                  bool as_authors = true);
// Patching answer (5.1): ' ' + the last comma-separated item of the answer, stripped.
std::string patching_answer(std::string_view correct_answer);

}  // namespace knowscope::study
