// Labelling settings and their hash, the answer-line rule, entity seeds and selection.
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "knowscope/core/error.h"
#include "knowscope/study/labelling.h"
#include "knowscope/study/splits.h"
#include "study/labelling_hash.h"

namespace knowscope::study {
namespace {

// Bump when a change to the procedure changes completions for the same settings.
constexpr int kLabellingVersion = 1;

bool is_answer_start(unsigned char c, PromptFormat f) {
  if (f == PromptFormat::fewshot) return c != ' ' && c != '\t' && c != '\r' && c != '\n';
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

bool line_rule_applies(PromptFormat f) {
  return f == PromptFormat::base || f == PromptFormat::fewshot;
}

}  // namespace

bool early_stop_applies(const LabellingConfig& c) {
  return c.early_stop && line_rule_applies(c.format);
}

void validate_labelling_config(const LabellingConfig& c) {
  const std::string where = "labelling config";
  check(c.samples >= 1 && c.samples <= 1000, where, "samples",
        "must be in [1, 1000], got " + std::to_string(c.samples));
  check(c.max_new_tokens >= 1 && c.max_new_tokens <= 4096, where, "max_new_tokens",
        "must be in [1, 4096], got " + std::to_string(c.max_new_tokens));
  check(std::isfinite(c.temperature) && c.temperature >= 0.0f, where, "temperature",
        "must be a finite number >= 0");
  check(c.top_k >= 0, where, "top_k", "must be >= 0");
  check(c.top_p > 0.0f && c.top_p <= 1.0f, where, "top_p", "must be in (0, 1]");
}

std::string labelling_config_json(const LabellingConfig& c) {
  nlohmann::ordered_json j;
  j["labelling_version"] = kLabellingVersion;
  j["format"] = std::string(format_name(c.format));
  j["samples"] = c.samples;
  j["temperature"] = double(c.temperature);
  j["top_k"] = c.top_k;
  j["top_p"] = double(c.top_p);
  j["max_new_tokens"] = c.max_new_tokens;
  j["seed"] = c.seed;
  j["early_stop"] = early_stop_applies(c);  // the flag means nothing for chat and free
  return j.dump();
}

LabellingConfig labelling_config_from_json(std::string_view json_text, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    fail(where, "config", std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) fail(where, "config", "expected an object");
  auto get = [&](const char* key) -> const nlohmann::json& {
    auto it = j.find(key);
    if (it == j.end()) fail(where, std::string("config.") + key, "missing");
    return *it;
  };
  auto integer = [&](const char* key) {
    const auto& v = get(key);
    if (!v.is_number_integer()) fail(where, std::string("config.") + key, "expected an integer");
    return v;
  };
  auto number = [&](const char* key) {
    const auto& v = get(key);
    if (!v.is_number()) fail(where, std::string("config.") + key, "expected a number");
    return v.get<double>();
  };
  if (integer("labelling_version").get<int64_t>() != kLabellingVersion)
    fail(where, "config.labelling_version",
         "expected " + std::to_string(kLabellingVersion) + " (made by another knowscope version)");
  LabellingConfig c;
  const auto& f = get("format");
  if (!f.is_string()) fail(where, "config.format", "expected a string");
  try {
    c.format = parse_format(f.get<std::string>());
  } catch (const Error& e) {
    fail(where, "config.format", e.what());
  }
  auto small_int = [&](const char* key) {
    auto v = integer(key).get<int64_t>();
    if (v < 0 || v > (int64_t(1) << 30)) fail(where, std::string("config.") + key, "out of range");
    return int(v);
  };
  c.samples = small_int("samples");
  c.temperature = float(number("temperature"));
  c.top_k = small_int("top_k");
  c.top_p = float(number("top_p"));
  c.max_new_tokens = small_int("max_new_tokens");
  const auto& seed = integer("seed");
  if (seed.is_number_unsigned())
    c.seed = seed.get<uint64_t>();
  else if (seed.get<int64_t>() >= 0)
    c.seed = uint64_t(seed.get<int64_t>());
  else
    fail(where, "config.seed", "must be >= 0");
  const auto& es = get("early_stop");
  if (!es.is_boolean()) fail(where, "config.early_stop", "expected true or false");
  c.early_stop = es.get<bool>();
  try {
    validate_labelling_config(c);
  } catch (const Error& e) {
    fail(where, "config", e.what());
  }
  return c;
}

std::string labelling_config_hash(const LabellingConfig& c) {
  return hex64(hash_string(labelling_config_json(c)));
}

bool AnswerLineScanner::feed(std::string_view piece) {
  if (ended_ || !line_rule_applies(format_)) return ended_;
  for (unsigned char ch : piece) {
    if (!started_) {
      started_ = is_answer_start(ch, format_);
    } else if (ch == '\n') {
      ended_ = true;
      break;
    }
  }
  return ended_;
}

size_t answer_line_end(std::string_view text, PromptFormat format) {
  if (!line_rule_applies(format)) return std::string_view::npos;
  bool started = false;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char ch = static_cast<unsigned char>(text[i]);
    if (!started)
      started = is_answer_start(ch, format);
    else if (ch == '\n')
      return i;
  }
  return std::string_view::npos;
}

uint64_t entity_seed(uint64_t seed, std::string_view entity_type, std::string_view entity) {
  std::string key(entity_type);
  key += '\t';
  key += entity;
  return mix64(hash_string(key) ^ mix64(seed + 0x9e3779b97f4a7c15ull));
}

std::vector<Entity> select_entities(std::span<const Entity> pool, const EntitySelection& sel) {
  std::vector<std::string> types = sel.types;
  const auto known_types = entity_types();
  if (types.empty())
    for (auto t : known_types) types.emplace_back(t);
  std::string names;
  for (auto t : known_types) names += (names.empty() ? "" : ", ") + std::string(t);
  std::unordered_set<std::string> seen_types;
  for (const auto& t : types) {
    bool ok = false;
    for (auto k : known_types) ok = ok || k == t;
    check(ok, "entity selection", "types",
          "unknown entity type '" + t + "' (known: " + names + ")");
    check(seen_types.insert(t).second, "entity selection", "types", "type '" + t + "' twice");
  }
  check(sel.per_type >= 0, "entity selection", "per_type", "must be >= 0");
  std::vector<Entity> out;
  for (const auto& t : types) {
    std::vector<const Entity*> of_type;
    std::unordered_set<std::string> names_seen;
    for (const auto& e : pool) {
      if (e.entity_type != t) continue;
      check(names_seen.insert(e.name).second, "entity selection", "entity",
            "duplicate " + t + " '" + e.name + "': labels are per (type, name)");
      of_type.push_back(&e);
    }
    const auto perm = legacy_permutation(int64_t(of_type.size()), sel.seed);
    size_t take =
        sel.per_type > 0 ? std::min(of_type.size(), size_t(sel.per_type)) : of_type.size();
    for (size_t i = 0; i < take; ++i) out.push_back(*of_type[size_t(perm[i])]);
  }
  return out;
}

}  // namespace knowscope::study
