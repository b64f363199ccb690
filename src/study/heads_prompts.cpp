// Mechanistic prompts (spec 5.1): entities from a labels file, their relation prompts, and the role
// of each token position.
#include <filesystem>
#include <set>

#include "knowscope/core/error.h"
#include "knowscope/hooks/positions.h"
#include "knowscope/study/generation_record.h"
#include "knowscope/study/heads.h"
#include "knowscope/study/labels_file.h"
#include "knowscope/study/templates.h"

namespace knowscope::study {

std::vector<HeadEntity> head_entities_from_labels(const std::string& labels_path) {
  const LabelsFile labels = read_labels_file(labels_path);
  const auto records_path = std::filesystem::path(labels_path).parent_path() / labels.records_file;
  const GenerationLog log = read_generation_log(records_path.string());
  std::map<std::string, std::map<std::string, std::string>> answers;  // type\tentity -> answers
  for (const auto& r : log.records)
    answers[r.entity_type + "\t" + r.entity][r.prompt_type] = r.correct_answer;
  std::vector<HeadEntity> out;
  for (const auto& e : labels.entities) {
    if (e.label == Knowledge::other) continue;
    HeadEntity h{e.entity, e.entity_type, e.label, {}};
    auto it = answers.find(e.entity_type + "\t" + e.entity);
    if (it == answers.end())
      fail(records_path.string(), e.entity, "no generation record for this labelled entity");
    h.answers = it->second;
    out.push_back(std::move(h));
  }
  return out;
}

std::vector<HeadPrompt> build_head_prompts(const Tokenizer& tok,
                                           std::span<const HeadEntity> entities) {
  EncodeOptions no_bos;
  no_bos.add_bos = false;
  std::vector<HeadPrompt> out;
  for (const auto& e : entities) {
    for (auto& rp : base_relation_prompts(e.entity, e.entity_type, /*as_authors=*/false)) {
      HeadPrompt p;
      p.entity = e.entity;
      p.entity_type = e.entity_type;
      p.prompt_type = rp.prompt_type;
      p.label = e.label;
      p.text = std::move(rp.text);
      const auto spans = tok.encode_spans(p.text);
      for (const auto& s : spans) p.tokens.push_back(s.id);
      // The entity follows "The {type} "; search from there so a type word inside the name or the
      // relation cannot be matched first.
      const size_t at = 5 + e.entity_type.size();
      const auto slice =
          substring_tokens_by_bytes(spans, p.text.substr(0, at + e.entity.size()), e.entity);
      if (!slice || slice->end < 1)
        fail(p.text, "entity", "could not locate '" + e.entity + "' in the prompt's tokens");
      p.entity_first = slice->begin;
      p.entity_last = slice->end - 1;
      auto ans = e.answers.find(p.prompt_type);
      if (ans != e.answers.end() && !ans->second.empty()) {
        p.answer = patching_answer(ans->second);
        const auto ids = tok.encode(p.answer, no_bos);
        if (!ids.empty() && p.answer.size() > 1) p.answer_token = ids[0];
      }
      out.push_back(std::move(p));
    }
  }
  return out;
}

const std::vector<std::string>& position_roles() {
  static const std::vector<std::string> roles = {"bos",         "prefix",   "entity",
                                                 "entity_last", "relation", "last"};
  return roles;
}

int position_role(const HeadPrompt& p, int64_t pos) {
  if (pos == p.last()) return 5;
  if (pos == 0) return 0;
  if (pos < p.entity_first) return 1;
  if (pos < p.entity_last) return 2;
  if (pos == p.entity_last) return 3;
  return 4;
}

}  // namespace knowscope::study
