// The steering prompts: entities from the labels (split, balance), questions in the chat template
// or on the few-shot page, tokens and the last entity token; refusal and correctness per format.
#include <algorithm>
#include <cctype>
#include <map>

#include "knowscope/core/error.h"
#include "knowscope/model/chat_template.h"
#include "knowscope/model/model.h"
#include "knowscope/study/fewshot.h"
#include "knowscope/study/refusal.h"
#include "knowscope/study/steering_prompts.h"
#include "knowscope/study/templates.h"

namespace knowscope::study {

std::string_view steer_format_name(SteerFormat f) {
  return f == SteerFormat::chat ? "chat" : "fewshot";
}

SteerFormat default_steer_format(const Model& model) {
  // A chat template alone does not make a chat model (base Gemma GGUFs carry one); the name does.
  std::string name = model.path;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  const auto slash = name.find_last_of('/');
  if (slash != std::string::npos) name = name.substr(slash + 1);
  for (const char* tag : {"instruct", "-it", "_it", "chat"})
    if (name.find(tag) != std::string::npos) return SteerFormat::chat;
  return SteerFormat::fewshot;
}

std::string_view steer_positions_name(SteerPositions p) {
  return p == SteerPositions::entity_last ? "entity_last" : "entity_last_to_end";
}

SteerPositions parse_steer_positions(std::string_view s) {
  if (s == "entity_last") return SteerPositions::entity_last;
  if (s == "entity_last_to_end") return SteerPositions::entity_last_to_end;
  throw Error("positions: expected entity_last_to_end or entity_last, got '" + std::string(s) +
              "'");
}

TokenizedPrompt tokenize_steer_prompt(const Model& model, SteerFormat format,
                                      std::string_view question, std::string_view entity,
                                      std::string_view assistant_prefix,
                                      const std::string* header) {
  if (!model.tokenizer) fail(model.path, "tokenizer", "the model files hold no tokenizer");
  TokenizedPrompt out;
  bool add_bos = true;
  if (format == SteerFormat::fewshot) {
    out.text = (header && !header->empty()) ? *header : fewshot_header();
    out.text += "\nQ: ";
    out.text += question;
    out.text += "\nA:";
    out.text += assistant_prefix;
  } else {
    const auto cf = detect_chat_format(model.tokenizer->chat_template, model.config.arch);
    if (cf) {
      out.text = apply_chat_template(*cf, {{"user", std::string(question)}}, true);
      add_bos = !chat_format_has_bos(*cf);
    } else {
      out.text = render_gemma_chat(question);
    }
    out.text += assistant_prefix;
  }
  return tokenize_with_entity(model, std::move(out.text), add_bos, entity);
}

TokenizedPrompt tokenize_with_entity(const Model& model, std::string text, bool add_bos,
                                     std::string_view entity) {
  if (!model.tokenizer) fail(model.path, "tokenizer", "the model files hold no tokenizer");
  TokenizedPrompt out;
  out.text = std::move(text);
  EncodeOptions eo;
  eo.add_bos = add_bos;
  const auto spans = model.tokenizer->encode_spans(out.text, eo);
  const size_t at = out.text.rfind(entity);
  if (entity.empty() || at == std::string::npos)
    throw Error("steering prompt: entity '" + std::string(entity) + "' not in '" + out.text + "'");
  const size_t last_byte = at + entity.size() - 1;
  out.entity_last = -1;
  for (size_t i = 0; i < spans.size(); ++i) {
    out.tokens.push_back(spans[i].id);
    if (spans[i].begin <= last_byte && last_byte < spans[i].end) out.entity_last = int64_t(i);
  }
  if (out.entity_last < 0)
    throw Error("steering prompt: no token covers the end of entity '" + std::string(entity) + "'");
  return out;
}

std::vector<std::string> selected_entities(const LabelsFile& labels, std::string_view type,
                                           Knowledge label, const PromptSelection& sel) {
  auto list = [&](Knowledge k) { return entities_with(labels, type, k, sel.split); };
  std::vector<std::string> out = list(label);
  if (sel.balanced) {
    const auto other = list(label == Knowledge::known ? Knowledge::unknown : Knowledge::known);
    if (out.size() > other.size()) out.resize(other.size());
  }
  return out;
}

std::vector<SteerPrompt> build_steer_prompts(const Model& model, SteerFormat format,
                                             const LabelsFile& labels,
                                             std::span<const Entity> dataset, Knowledge label,
                                             const PromptSelection& sel) {
  std::map<std::pair<std::string, std::string>, const Entity*> by_name;
  for (const auto& e : dataset) by_name.emplace(std::pair{e.entity_type, e.name}, &e);
  std::vector<std::string> types = sel.types;
  if (types.empty())
    for (const auto& [t, c] : count_labels(labels))
      if (t != "all") types.push_back(t);

  std::vector<SteerPrompt> out;
  for (const auto& type : types) {
    std::vector<SteerPrompt> all;
    for (const auto& name : selected_entities(labels, type, label, sel)) {
      const auto it = by_name.find({type, name});
      const Entity* ent = it == by_name.end() ? nullptr : it->second;
      auto add = [&](std::string_view prompt_type, std::string question) {
        SteerPrompt p;
        p.entity = name;
        p.entity_type = type;
        p.prompt_type = std::string(prompt_type);
        p.knowledge = label;
        p.question = std::move(question);
        if (ent)
          if (const std::string* v =
                  find_attribute(*ent, prompt_template(prompt_type).attribute_type))
            p.answer = *v;
        all.push_back(std::move(p));
      };
      if (format == SteerFormat::chat) {
        for (auto& rq : refusal_questions(name, type)) add(rq.prompt_type, std::move(rq.text));
      } else {
        for (const auto& t : prompt_templates())
          if (t.entity_type == type) add(t.prompt_type, fill_template(t.question, name, type));
      }
    }
    const auto order = python_shuffled_indices(all.size(), sel.seed);
    const size_t take =
        sel.n_per_type > 0 ? std::min(all.size(), size_t(sel.n_per_type)) : all.size();
    for (size_t i = 0; i < take; ++i) {
      SteerPrompt p = std::move(all[order[i]]);
      auto tp = tokenize_steer_prompt(model, format, p.question, p.entity, {}, &sel.fewshot_header);
      p.text = std::move(tp.text);
      p.tokens = std::move(tp.tokens);
      p.entity_last = tp.entity_last;
      out.push_back(std::move(p));
    }
  }
  return out;
}

bool steer_is_refusal(SteerFormat format, std::string_view completion) {
  if (format == SteerFormat::chat) return is_refusal(completion);
  return is_refusal_fewshot(fewshot_answer(completion));
}

bool steer_is_correct(SteerFormat format, std::string_view prompt_type, std::string_view answer,
                      std::string_view completion) {
  if (answer.empty()) return false;
  try {
    if (format == SteerFormat::chat)
      return is_correct(prompt_type, answer, completion, PromptFormat::free);
    return is_correct(prompt_type, answer, fewshot_answer(completion), PromptFormat::fewshot);
  } catch (const Error&) {
    return false;  // a malformed gold value (e.g. "n/a" year) counts as not correct
  }
}

}  // namespace knowscope::study
