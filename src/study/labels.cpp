#include "knowscope/study/labels.h"

#include <cmath>
#include <unordered_map>

#include "knowscope/core/error.h"
#include "knowscope/study/fewshot.h"
#include "knowscope/study/refusal.h"

namespace knowscope::study {
namespace {

bool refuses(PromptFormat format, std::string_view completion) {
  if (format == PromptFormat::fewshot) return is_refusal_fewshot(fewshot_answer(completion));
  return is_refusal(completion);
}

}  // namespace

CompletionLabel label_completion(std::string_view prompt_type, PromptFormat format,
                                 std::string_view correct_answer, std::string_view completion) {
  if (is_correct(prompt_type, correct_answer, completion, format)) return CompletionLabel::correct;
  if (refuses(format, completion)) return CompletionLabel::refusal;
  return CompletionLabel::error;
}

void label_record(GenerationRecord& r) {
  PromptFormat format = r.format.value_or(PromptFormat::base);
  r.greedy_label = label_completion(r.prompt_type, format, r.correct_answer, r.greedy_completion);
  r.sampled_labels.clear();
  for (const auto& c : r.sampled_completions)
    r.sampled_labels.push_back(label_completion(r.prompt_type, format, r.correct_answer, c));
  r.label = refuses(format, r.greedy_completion) ? CompletionLabel::refusal : *r.greedy_label;
}

int required_correct(size_t n_samples, double fraction) {
  // The epsilon keeps 0.3 * 10 = 3.0000000000000004 at 3.
  double need = std::ceil(fraction * static_cast<double>(n_samples) - 1e-9);
  return std::max(1, static_cast<int>(need));
}

bool attribute_known(const GenerationRecord& r, const LabelOptions& options) {
  if (r.sampled_labels.size() != r.sampled_completions.size())
    fail(record_key(r), "string_matching_sampled_labels",
         std::to_string(r.sampled_labels.size()) + " labels for " +
             std::to_string(r.sampled_completions.size()) + " completions (label_record first)");
  int correct = 0;
  for (auto l : r.sampled_labels) correct += l == CompletionLabel::correct;
  if (r.sampled_labels.empty()) return false;
  return correct >= required_correct(r.sampled_labels.size(), options.min_correct_fraction);
}

std::string_view knowledge_name(Knowledge k) {
  switch (k) {
    case Knowledge::known:
      return "known";
    case Knowledge::unknown:
      return "unknown";
    case Knowledge::other:
      return "other";
  }
  return "other";
}

std::vector<EntityLabel> label_entities(std::span<const GenerationRecord> records,
                                        const LabelOptions& options) {
  std::vector<EntityLabel> out;
  std::unordered_map<std::string, size_t> index;
  for (const auto& r : records) {
    std::string key = r.entity_type + "\t" + r.entity;
    auto [it, inserted] = index.emplace(key, out.size());
    if (inserted) out.push_back({r.entity_type, r.entity, 0, 0, Knowledge::other});
    EntityLabel& e = out[it->second];
    ++e.attributes;
    e.known_attributes += attribute_known(r, options) ? 1 : 0;
  }
  for (auto& e : out) {
    if (e.known_attributes >= options.min_known_attributes) {
      e.knowledge = Knowledge::known;
    } else if (e.known_attributes == 0) {
      e.knowledge = Knowledge::unknown;
    } else {
      e.knowledge = Knowledge::other;
    }
  }
  return out;
}

CompletionLabel prompt_label(const GenerationRecord& r, const LabelOptions& options) {
  if (r.label == CompletionLabel::refusal) return CompletionLabel::refusal;
  return attribute_known(r, options) ? CompletionLabel::correct : CompletionLabel::error;
}

}  // namespace knowscope::study
