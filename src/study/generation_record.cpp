#include "knowscope/study/generation_record.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "study/json_util.h"

namespace knowscope::study {
namespace {

using json = nlohmann::json;

std::string get_string(const json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) fail(where, key, "missing (expected a string)");
  if (!it->is_string()) fail(where, key, std::string("expected a string, got ") + it->type_name());
  return it->get<std::string>();
}

std::optional<std::string> get_optional_string(const json& j, const char* key,
                                               const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string())
    fail(where, key, std::string("expected a string or null, got ") + it->type_name());
  return it->get<std::string>();
}

CompletionLabel to_label(const json& v, const std::string& where, const std::string& field) {
  if (!v.is_string()) fail(where, field, std::string("expected a label, got ") + v.type_name());
  auto l = parse_label(v.get<std::string>());
  if (!l)
    fail(where, field,
         single_quoted(v.get<std::string>()) + " is not one of correct, refusal, error");
  return *l;
}

std::optional<CompletionLabel> get_optional_label(const json& j, const char* key,
                                                  const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return to_label(*it, where, key);
}

std::string label_json(const std::optional<CompletionLabel>& l) {
  return l ? json_quote(label_name(*l)) : "null";
}

void write_all(int fd, const std::string& bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path, "", std::string("write failed: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
}

}  // namespace

std::string_view label_name(CompletionLabel l) {
  switch (l) {
    case CompletionLabel::correct:
      return "correct";
    case CompletionLabel::refusal:
      return "refusal";
    case CompletionLabel::error:
      return "error";
  }
  return "error";
}

std::optional<CompletionLabel> parse_label(std::string_view s) {
  if (s == "correct") return CompletionLabel::correct;
  if (s == "refusal") return CompletionLabel::refusal;
  if (s == "error") return CompletionLabel::error;
  return std::nullopt;
}

GenerationRecord make_record(const BuiltPrompt& p) {
  GenerationRecord r;
  r.entity = p.entity;
  r.entity_type = p.entity_type;
  r.prompt_type = p.prompt_type;
  r.correct_answer = p.correct_answer;
  r.prompt = p.text;
  if (p.format == PromptFormat::chat || p.format == PromptFormat::free) r.question = p.question;
  r.format = p.format;
  return r;
}

std::string record_to_json(const GenerationRecord& r) {
  std::string out = "{\"entity\": " + json_quote(r.entity);
  out += ", \"entity_type\": " + json_quote(r.entity_type);
  out += ", \"prompt_type\": " + json_quote(r.prompt_type);
  out += ", \"correct_answer\": " + json_quote(r.correct_answer);
  out += ", \"prompt\": " + json_quote(r.prompt);
  out += ", \"question\": " + (r.question ? json_quote(*r.question) : std::string("null"));
  if (r.format) out += ", \"prompt_format\": " + json_quote(format_name(*r.format));
  out += ", \"greedy_completion\": " + json_quote(r.greedy_completion);
  out += ", \"sampled_completions\": [";
  for (size_t i = 0; i < r.sampled_completions.size(); ++i)
    out += (i ? ", " : "") + json_quote(r.sampled_completions[i]);
  out += "], \"string_matching_greedy_label\": " + label_json(r.greedy_label);
  out += ", \"string_matching_sampled_labels\": [";
  for (size_t i = 0; i < r.sampled_labels.size(); ++i)
    out += (i ? ", " : "") + json_quote(label_name(r.sampled_labels[i]));
  out += "], \"label\": " + label_json(r.label) + "}";
  return out;
}

GenerationRecord record_from_json(std::string_view json_text, const std::string& where) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {
    fail(where, "", std::string("invalid JSON: ") + e.what());
  }
  if (!j.is_object()) fail(where, "", std::string("expected an object, got ") + j.type_name());
  GenerationRecord r;
  r.entity = get_string(j, "entity", where);
  r.entity_type = get_string(j, "entity_type", where);
  r.prompt_type = get_string(j, "prompt_type", where);
  r.correct_answer = get_string(j, "correct_answer", where);
  r.prompt = get_string(j, "prompt", where);
  r.question = get_optional_string(j, "question", where);
  if (auto f = get_optional_string(j, "prompt_format", where)) {
    try {
      r.format = parse_format(*f);
    } catch (const Error& e) {
      fail(where, "prompt_format", e.what());
    }
  }
  r.greedy_completion = get_optional_string(j, "greedy_completion", where).value_or("");
  if (auto it = j.find("sampled_completions"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) fail(where, "sampled_completions", "expected a list");
    for (size_t i = 0; i < it->size(); ++i) {
      const json& v = (*it)[i];
      if (!v.is_string())
        fail(where, "sampled_completions[" + std::to_string(i) + "]", "expected a string");
      r.sampled_completions.push_back(v.get<std::string>());
    }
  }
  r.greedy_label = get_optional_label(j, "string_matching_greedy_label", where);
  if (auto it = j.find("string_matching_sampled_labels"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) fail(where, "string_matching_sampled_labels", "expected a list");
    for (size_t i = 0; i < it->size(); ++i)
      r.sampled_labels.push_back(
          to_label((*it)[i], where, "string_matching_sampled_labels[" + std::to_string(i) + "]"));
  }
  r.label = get_optional_label(j, "label", where);
  return r;
}

std::string record_key(const GenerationRecord& r) {
  return r.entity_type + "\t" + r.entity + "\t" + r.prompt_type;
}

GenerationLog read_generation_log(const std::string& path, bool repair) {
  GenerationLog log;
  if (!std::filesystem::exists(path)) return log;
  std::string text = read_file(path);
  size_t complete = text.rfind('\n');
  complete = complete == std::string::npos ? 0 : complete + 1;
  log.partial_tail_bytes = text.size() - complete;
  size_t pos = 0, line_no = 0;
  while (pos < complete) {
    size_t end = text.find('\n', pos);
    ++line_no;
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    log.records.push_back(record_from_json(line, path + ": line " + std::to_string(line_no)));
  }
  if (repair && log.partial_tail_bytes > 0) {
    std::error_code ec;
    std::filesystem::resize_file(path, complete, ec);
    if (ec) fail(path, "", "cannot cut the half-written last line: " + ec.message());
  }
  return log;
}

void append_generation_records(const std::string& path, std::span<const GenerationRecord> records) {
  std::string bytes;
  for (const auto& r : records) bytes += record_to_json(r) + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, "", std::string("cannot open for appending: ") + std::strerror(errno));
  try {
    write_all(fd, bytes, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail(path, "", std::string("fsync failed: ") + std::strerror(errno));
  }
  ::close(fd);
}

}  // namespace knowscope::study
