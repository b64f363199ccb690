// One attribute prompt with its completions and labels, in the authors' entity_prompts schema
// (spec 1.6) plus "prompt_format". The generation step appends these to a JSONL file, one line per
// prompt, and resumes from it: read_generation_log() returns the finished records and (with
// repair) cuts a line half-written by a crash.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "knowscope/study/templates.h"

namespace knowscope::study {

enum class CompletionLabel { correct, refusal, error };
std::string_view label_name(CompletionLabel l);                  // "correct" "refusal" "error"
std::optional<CompletionLabel> parse_label(std::string_view s);  // nullopt for anything else

struct GenerationRecord {
  std::string entity, entity_type, prompt_type, correct_answer;
  std::string prompt;                   // the whole string fed to the model
  std::optional<std::string> question;  // the user turn; null for base prompts (as the authors)
  std::optional<PromptFormat> format;   // "prompt_format"; absent in the authors' files
  std::string greedy_completion;
  std::vector<std::string> sampled_completions;
  std::optional<CompletionLabel> greedy_label;  // "string_matching_greedy_label"
  std::vector<CompletionLabel> sampled_labels;  // "string_matching_sampled_labels"
  std::optional<CompletionLabel> label;         // greedy label, "refusal" when greedy refuses
};

// A record for a built prompt, completions still empty.
GenerationRecord make_record(const BuiltPrompt& p);

std::string record_to_json(const GenerationRecord& r);  // one line, no newline
// Errors name `where` (e.g. "gen.jsonl: line 7") and the field.
GenerationRecord record_from_json(std::string_view json_text, const std::string& where);

// Identifies a prompt for resuming: "entity_type\tentity\tprompt_type".
std::string record_key(const GenerationRecord& r);

struct GenerationLog {
  std::vector<GenerationRecord> records;
  size_t partial_tail_bytes = 0;  // bytes of an unterminated last line (dropped)
};
// Reads a JSONL log; a missing file is an empty log. An unterminated last line is the trace of a
// crash mid-write: it is dropped, and with `repair` cut from the file so appends start clean.
// Any other bad line throws.
GenerationLog read_generation_log(const std::string& path, bool repair = false);
// Appends whole lines with one write and flushes them to disk.
void append_generation_records(const std::string& path, std::span<const GenerationRecord> records);

}  // namespace knowscope::study
