#include "knowscope/study/templates.h"

#include <algorithm>

#include "knowscope/core/error.h"
#include "knowscope/study/fewshot.h"
#include "knowscope/study/pytext.h"
#include "study/json_util.h"

namespace knowscope::study {
namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  size_t i = 0;
  while ((i = s.find(from, i)) != std::string::npos) {
    s.replace(i, from.size(), to);
    i += to.size();
  }
}

// The relation tables iterate the authors' dicts, whose keys are in alphabetical order.
std::vector<const PromptTemplate*> sorted_templates_of(std::string_view entity_type) {
  std::vector<const PromptTemplate*> out;
  for (const auto& t : prompt_templates())
    if (t.entity_type == entity_type) out.push_back(&t);
  std::sort(out.begin(), out.end(),
            [](const auto* a, const auto* b) { return a->prompt_type < b->prompt_type; });
  return out;
}

void check_entity_type(std::string_view entity_type) {
  auto types = entity_types();
  if (std::find(types.begin(), types.end(), entity_type) == types.end())
    fail("entity_type", "",
         single_quoted(entity_type) + " has no prompts (known: player, movie, city, song)");
}

}  // namespace

std::string_view format_name(PromptFormat f) {
  switch (f) {
    case PromptFormat::base:
      return "base";
    case PromptFormat::chat:
      return "chat";
    case PromptFormat::free:
      return "free";
    case PromptFormat::fewshot:
      return "fewshot";
  }
  return "base";
}

PromptFormat parse_format(std::string_view name) {
  for (auto f : {PromptFormat::base, PromptFormat::chat, PromptFormat::free, PromptFormat::fewshot})
    if (format_name(f) == name) return f;
  fail("prompt format", "", single_quoted(name) + " is not one of base, chat, free, fewshot");
}

const PromptTemplate* find_prompt_template(std::string_view prompt_type) {
  for (const auto& t : prompt_templates())
    if (t.prompt_type == prompt_type) return &t;
  return nullptr;
}

const PromptTemplate& prompt_template(std::string_view prompt_type) {
  const PromptTemplate* t = find_prompt_template(prompt_type);
  if (!t) fail("prompt_type", "", single_quoted(prompt_type) + " is not one of the 17 types");
  return *t;
}

std::vector<std::string_view> entity_types() { return {"player", "movie", "city", "song"}; }

std::string fill_template(std::string_view text, std::string_view entity,
                          std::string_view entity_type) {
  std::string out(text);
  replace_all(out, "{entity_type}", entity_type);
  replace_all(out, "{entity}", entity);
  return out;
}

std::string render_gemma_chat(std::string_view user, std::string_view assistant_prefix) {
  std::string out = "<start_of_turn>user\n";
  out += user;
  out += "<end_of_turn>\n<start_of_turn>model\n";
  out += assistant_prefix;
  return out;
}

BuiltPrompt build_prompt(const Entity& entity, std::string_view prompt_type, PromptFormat format) {
  const PromptTemplate& t = prompt_template(prompt_type);
  if (t.entity_type != entity.entity_type)
    fail(entity.name, "prompt_type",
         single_quoted(prompt_type) + " is for " + std::string(t.entity_type) + " entities, not " +
             entity.entity_type);
  const std::string* answer = find_attribute(entity, t.attribute_type);
  if (!answer)
    fail(entity.name, "attributes", "no " + single_quoted(t.attribute_type) + " attribute");
  BuiltPrompt p;
  p.entity = entity.name;
  p.entity_type = entity.entity_type;
  p.prompt_type = t.prompt_type;
  p.correct_answer = *answer;
  p.format = format;
  p.question = fill_template(t.question, entity.name);
  p.check = format == PromptFormat::free ? t.free_check : t.check;
  switch (format) {
    case PromptFormat::base:
      p.text = p.question + " " + fill_template(t.base_prefix, entity.name);
      break;
    case PromptFormat::chat:
      p.assistant_prefix = t.chat_prefix;
      p.text = render_gemma_chat(p.question, p.assistant_prefix);
      break;
    case PromptFormat::free:
      p.text = render_gemma_chat(p.question);
      break;
    case PromptFormat::fewshot:
      p.text = fewshot_prompt(p.question);
      break;
  }
  return p;
}

std::vector<BuiltPrompt> build_prompts(const Entity& entity, PromptFormat format) {
  std::vector<BuiltPrompt> out;
  for (const auto& a : entity.attributes) {
    std::string prompt_type = entity.entity_type + "_" + a.type;
    if (!find_prompt_template(prompt_type)) continue;
    BuiltPrompt p = build_prompt(entity, prompt_type, format);
    p.correct_answer = a.value;  // this attribute, also when a type repeats
    out.push_back(std::move(p));
  }
  return out;
}

bool is_correct(std::string_view prompt_type, std::string_view answer, std::string_view generation,
                PromptFormat format) {
  const PromptTemplate& t = prompt_template(prompt_type);
  const CorrectnessFn& fn = format == PromptFormat::free ? t.free_check : t.check;
  if (format == PromptFormat::fewshot) return is_correct(fn, answer, fewshot_answer(generation));
  return is_correct(fn, answer, generation);
}

std::string entity_activation_prompt(std::string_view entity, std::string_view entity_type) {
  return "The " + std::string(entity_type) + " '" + std::string(entity) + "'";
}

std::vector<RelationPrompt> refusal_questions(std::string_view entity,
                                              std::string_view entity_type) {
  check_entity_type(entity_type);
  std::vector<RelationPrompt> out;
  for (const auto* t : sorted_templates_of(entity_type)) {
    if (t->it_relation.empty()) continue;
    out.push_back({std::string(t->prompt_type), std::string(t->it_relation) + " the " +
                                                    std::string(entity_type) + " " +
                                                    std::string(entity) + "?"});
  }
  return out;
}

ChatTurn yes_no_question(std::string_view entity, std::string_view entity_type) {
  return {"user", "Are you sure you know the " + std::string(entity_type) + " " +
                      std::string(entity) + "? Answer yes or no."};
}

std::vector<RelationPrompt> base_relation_prompts(std::string_view entity,
                                                  std::string_view entity_type, bool as_authors) {
  check_entity_type(entity_type);
  std::vector<RelationPrompt> out;
  for (const auto* t : sorted_templates_of(entity_type)) {
    if (t->base_relation.empty()) continue;
    std::string_view relation = t->base_relation;
    if (!as_authors && t->prompt_type == "player_date_birth") {
      relation = prompt_template("player_place_birth").base_relation;
    } else if (!as_authors && t->prompt_type == "player_place_birth") {
      relation = prompt_template("player_date_birth").base_relation;
    }
    out.push_back({std::string(t->prompt_type), "The " + std::string(entity_type) + " " +
                                                    std::string(entity) + " " +
                                                    std::string(relation)});
  }
  return out;
}

std::string patching_answer(std::string_view correct_answer) {
  size_t comma = correct_answer.rfind(',');
  std::string_view last =
      comma == std::string_view::npos ? correct_answer : correct_answer.substr(comma + 1);
  std::string out = " ";
  out += u32_to_utf8(py_strip(utf8_to_u32(last)));
  return out;
}

}  // namespace knowscope::study
