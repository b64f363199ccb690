// The analysed prompts of the uncertainty study: one per attribute question of each selected
// entity, labelled from the labels file, with the token position the residual stream is read at.
#include <map>
#include <string>

#include "knowscope/core/error.h"
#include "knowscope/model/model.h"
#include "knowscope/study/labelling.h"
#include "knowscope/study/splits.h"
#include "knowscope/study/uncertainty.h"

namespace knowscope::study {
namespace {

bool is_chat_format(PromptFormat f) { return f == PromptFormat::chat || f == PromptFormat::free; }

// Splits of the "other" entities of one type, in labels-file order, as the paper splits the known
// and unknown lists (50/10/40, seed 42, fallback for short lists).
std::map<std::string, SplitName> other_splits(const LabelsFile& labels) {
  std::map<std::string, std::vector<std::string>> by_type;
  for (const auto& e : labels.entities)
    if (e.label == Knowledge::other) by_type[e.entity_type].push_back(e.entity);
  std::map<std::string, SplitName> out;
  for (const auto& [type, names] : by_type) {
    const SplitIndices s = split_indices(names.size(), labels.split_seed, false);
    for (size_t i : s.train) out[type + "\t" + names[i]] = SplitName::train;
    for (size_t i : s.validation) out[type + "\t" + names[i]] = SplitName::validation;
    for (size_t i : s.test) out[type + "\t" + names[i]] = SplitName::test;
  }
  return out;
}

}  // namespace

std::string_view prompt_class_name(PromptClass c) {
  switch (c) {
    case PromptClass::correct:
      return "correct";
    case PromptClass::error:
      return "error";
    case PromptClass::error_known:
      return "error_known";
  }
  return "?";
}

std::vector<UncertaintyPrompt> uncertainty_prompts(const Model& model, const LabelsFile& labels,
                                                   PromptFormat format,
                                                   const UncertaintyConfig& config,
                                                   size_t* excluded_refusal) {
  const std::map<std::string, SplitName> others =
      config.include_other ? other_splits(labels) : std::map<std::string, SplitName>{};
  std::map<std::string, int> taken;  // "type\tlabel" -> entities taken
  std::vector<UncertaintyPrompt> out;
  size_t refusals = 0;
  for (const LabelledEntity& e : labels.entities) {
    if (e.label == Knowledge::other && !config.include_other) continue;
    std::optional<SplitName> split = e.split;
    if (e.label == Knowledge::other) split = others.at(e.entity_type + "\t" + e.entity);
    if (!split) fail("labels file", e.entity, "known/unknown entity without a split");
    int& n = taken[e.entity_type + "\t" + std::string(knowledge_name(e.label))];
    if (config.per_type > 0 && n >= config.per_type) continue;
    ++n;
    for (const AttributeScore& s : e.scores) {
      if (s.greedy == CompletionLabel::refusal) {  // spec 6: greedy refusals are excluded
        ++refusals;
        continue;
      }
      const PromptTemplate& t = prompt_template(s.prompt_type);
      // build_prompt needs the attribute; its value only feeds the correctness check, unused here.
      Entity one{e.entity, e.entity_type, {{std::string(t.attribute_type), "?"}}, std::nullopt};
      const BuiltPrompt bp = build_prompt(one, s.prompt_type, format);
      const ModelPrompt mp = render_for_model(model, bp);
      UncertaintyPrompt p;
      p.entity = e.entity;
      p.entity_type = e.entity_type;
      p.prompt_type = s.prompt_type;
      p.entity_label = e.label;
      p.split = *split;
      p.cls = s.known
                  ? PromptClass::correct
                  : (e.label == Knowledge::known ? PromptClass::error_known : PromptClass::error);
      p.text = mp.text;
      p.add_bos = mp.add_bos;
      out.push_back(std::move(p));
    }
  }
  if (excluded_refusal) *excluded_refusal = refusals;
  return out;
}

void locate_positions(const Model& model, std::vector<UncertaintyPrompt>& prompts,
                      PromptFormat format) {
  if (!model.tokenizer) fail(model.path, "tokenizer", "the model files hold no tokenizer");
  const Tokenizer& tok = *model.tokenizer;
  for (UncertaintyPrompt& p : prompts) {
    EncodeOptions eo;
    eo.add_bos = p.add_bos;
    const std::vector<TokenSpan> spans = tok.encode_spans(p.text, eo);
    if (spans.empty()) fail(p.entity, "prompt", "tokenizes to nothing");
    p.tokens.clear();
    for (const TokenSpan& s : spans) p.tokens.push_back(s.id);
    p.position = int64_t(spans.size()) - 1;
    if (is_chat_format(format)) {
      // The end-of-instruction marker: the last token starting before the trailing whitespace of
      // the generation prompt ("model" of "<start_of_turn>model\n", "assistant" of ChatML).
      size_t end = p.text.size();
      while (end > 0 && (p.text[end - 1] == '\n' || p.text[end - 1] == ' ' ||
                         p.text[end - 1] == '\t' || p.text[end - 1] == '\r'))
        --end;
      for (int64_t i = int64_t(spans.size()) - 1; i >= 0; --i)
        if (spans[size_t(i)].begin < end && spans[size_t(i)].end > spans[size_t(i)].begin) {
          p.position = i;
          break;
        }
    }
  }
}

}  // namespace knowscope::study
