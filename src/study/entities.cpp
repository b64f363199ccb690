#include "knowscope/study/entities.h"

#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "study/json_util.h"

namespace knowscope::study {
namespace {

using json = nlohmann::json;

std::string type_name(const json& v) { return v.type_name(); }

const json& require(const json& obj, const char* key, const std::string& where,
                    const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end()) fail(where, path + key, "missing (expected a string)");
  return *it;
}

std::string require_string(const json& obj, const char* key, const std::string& where,
                           const std::string& path, bool allow_empty) {
  const json& v = require(obj, key, where, path);
  if (!v.is_string()) {
    std::string hint = v.is_number() ? " (write numbers as strings, e.g. \"1994\")" : "";
    fail(where, path + key, "expected a string, got " + type_name(v) + hint);
  }
  std::string s = v.get<std::string>();
  if (!allow_empty && s.empty()) fail(where, path + key, "empty");
  return s;
}

Entity entity_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) fail(where, "", "expected an object, got " + type_name(j));
  Entity e;
  e.name = require_string(j, "entity", where, "", false);
  e.entity_type = require_string(j, "entity_type", where, "", false);
  const json& attrs = require(j, "attributes", where, "");
  if (!attrs.is_array()) fail(where, "attributes", "expected a list, got " + type_name(attrs));
  for (size_t i = 0; i < attrs.size(); ++i) {
    std::string path = "attributes[" + std::to_string(i) + "].";
    const json& a = attrs[i];
    if (!a.is_object())
      fail(where, "attributes[" + std::to_string(i) + "]",
           "expected an object, got " + type_name(a));
    Attribute attr;
    attr.type = require_string(a, "attribute_type", where, path, false);
    attr.value = require_string(a, "attribute_value", where, path, true);
    e.attributes.push_back(std::move(attr));
  }
  auto src = j.find("source");
  if (src != j.end() && !src->is_null()) {
    if (!src->is_string()) fail(where, "source", "expected a string, got " + type_name(*src));
    e.source = src->get<std::string>();
  }
  return e;
}

}  // namespace

std::string json_quote(std::string_view s) {
  return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

std::string quote(std::string_view s) { return json_quote(s); }

size_t line_of_offset(std::string_view text, size_t offset) {
  size_t line = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i)
    if (text[i] == '\n') ++line;
  return line;
}

}  // namespace

std::vector<Entity> parse_entities(std::string_view text, const std::string& where) {
  size_t first = text.find_first_not_of(" \t\r\n");
  std::vector<Entity> out;
  if (first == std::string_view::npos) return out;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") fail(where, "", "starts with a UTF-8 byte order mark");
  if (text[first] == '[') {
    json list;
    try {
      list = json::parse(text);
    } catch (const json::parse_error& e) {
      fail(where, "line " + std::to_string(line_of_offset(text, e.byte > 0 ? e.byte - 1 : 0)),
           std::string("invalid JSON: ") + e.what());
    } catch (const json::exception& e) {  // e.g. a number too large for a double
      fail(where, "", std::string("invalid JSON: ") + e.what());
    }
    out.reserve(list.size());
    for (size_t i = 0; i < list.size(); ++i)
      out.push_back(entity_from_json(list[i], where + ": [" + std::to_string(i) + "]"));
    return out;
  }
  size_t line_no = 0, pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    ++line_no;
    pos = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
      if (end == text.size()) break;
      continue;
    }
    std::string at = where + ": line " + std::to_string(line_no);
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception& e) {
      fail(at, "", std::string("invalid JSON: ") + e.what());
    }
    out.push_back(entity_from_json(j, at));
    if (end == text.size()) break;
  }
  return out;
}

std::vector<Entity> load_entities(const std::string& path) {
  return parse_entities(read_file(path), path);
}

std::string entity_to_json(const Entity& e) {
  // nlohmann's default object sorts keys; build the line by hand to keep schema order.
  std::string out = "{\"entity\": " + quote(e.name) + ", \"entity_type\": " + quote(e.entity_type) +
                    ", \"attributes\": [";
  for (size_t i = 0; i < e.attributes.size(); ++i) {
    if (i) out += ", ";
    out += "{\"attribute_type\": " + quote(e.attributes[i].type) +
           ", \"attribute_value\": " + quote(e.attributes[i].value) + "}";
  }
  out += "]";
  if (e.source) out += ", \"source\": " + quote(*e.source);
  out += "}";
  return out;
}

std::string entities_to_jsonl(std::span<const Entity> entities) {
  std::string out;
  for (const auto& e : entities) out += entity_to_json(e) + "\n";
  return out;
}

void write_entities_jsonl(const std::string& path, std::span<const Entity> entities) {
  write_file_atomic(path, entities_to_jsonl(entities));
}

const std::string* find_attribute(const Entity& e, std::string_view type) {
  for (const auto& a : e.attributes)
    if (a.type == type) return &a.value;
  return nullptr;
}

}  // namespace knowscope::study
