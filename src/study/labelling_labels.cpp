// The labels file: building it from records, writing it, and reading it back with checks.
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/study/labels_file.h"
#include "knowscope/study/splits.h"

namespace knowscope::study {
namespace {

using ojson = nlohmann::ordered_json;
using json = nlohmann::json;

constexpr std::string_view kFormat = "knowscope-entity-labels";
constexpr int kVersion = 1;

std::string entity_key(std::string_view type, std::string_view name) {
  std::string k(type);
  k += '\t';
  k += name;
  return k;
}

std::optional<Knowledge> parse_knowledge(std::string_view s) {
  for (auto k : {Knowledge::known, Knowledge::unknown, Knowledge::other})
    if (knowledge_name(k) == s) return k;
  return std::nullopt;
}

std::optional<SplitName> parse_split(std::string_view s) {
  for (auto k : {SplitName::train, SplitName::validation, SplitName::test})
    if (split_name(k) == s) return k;
  return std::nullopt;
}

// Split sizes of each type from the entity list.
std::map<std::string, std::pair<SplitCounts, SplitCounts>> tally_splits(
    const std::vector<LabelledEntity>& entities) {
  std::map<std::string, std::pair<SplitCounts, SplitCounts>> out;
  for (const auto& e : entities) {
    auto& [known, unknown] = out[e.entity_type];
    if (e.label == Knowledge::other || !e.split) continue;
    SplitCounts& c = e.label == Knowledge::known ? known : unknown;
    (*e.split == SplitName::train        ? c.train
     : *e.split == SplitName::validation ? c.validation
                                         : c.test)++;
  }
  return out;
}

ojson split_counts_json(const SplitCounts& s) {
  ojson j;
  j["train"] = s.train;
  j["validation"] = s.validation;
  j["test"] = s.test;
  j["fallback"] = s.fallback;
  return j;
}

// Accessors that name the field on failure.
struct Reader {
  std::string where;
  static std::string join(const std::string& path, const char* key) {
    return path.empty() ? std::string(key) : path + "." + key;
  }
  const json& at(const json& obj, const std::string& path, const char* key) const {
    if (!obj.is_object()) fail(where, path, "expected an object");
    auto it = obj.find(key);
    if (it == obj.end()) fail(where, join(path, key), "missing");
    return *it;
  }
  std::string str(const json& obj, const std::string& path, const char* key) const {
    const json& v = at(obj, path, key);
    if (!v.is_string()) fail(where, join(path, key), "expected a string");
    return v.get<std::string>();
  }
  int64_t integer(const json& obj, const std::string& path, const char* key, int64_t lo,
                  int64_t hi) const {
    const json& v = at(obj, path, key);
    if (!v.is_number_integer()) fail(where, join(path, key), "expected an integer");
    int64_t x = v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)
                    ? INT64_MAX
                    : v.get<int64_t>();
    if (x < lo || x > hi)
      fail(where, join(path, key),
           std::to_string(x) + " outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return x;
  }
  bool boolean(const json& obj, const std::string& path, const char* key) const {
    const json& v = at(obj, path, key);
    if (!v.is_boolean()) fail(where, join(path, key), "expected true or false");
    return v.get<bool>();
  }
};

}  // namespace

std::string_view split_name(SplitName s) {
  switch (s) {
    case SplitName::train:
      return "train";
    case SplitName::validation:
      return "validation";
    case SplitName::test:
      return "test";
  }
  return "train";
}

LabelsFile build_labels(std::span<const GenerationRecord> records, const LabelOptions& rule,
                        uint32_t split_seed) {
  LabelsFile out;
  out.rule = rule;
  out.split_seed = split_seed;
  const auto labels = label_entities(records, rule);
  std::unordered_map<std::string, size_t> index;
  for (const auto& l : labels) {
    index.emplace(entity_key(l.entity_type, l.entity), out.entities.size());
    LabelledEntity e;
    e.entity = l.entity;
    e.entity_type = l.entity_type;
    e.label = l.knowledge;
    e.known_attributes = l.known_attributes;
    out.entities.push_back(std::move(e));
  }
  for (const auto& r : records) {
    AttributeScore s;
    s.prompt_type = r.prompt_type;
    s.samples = int(r.sampled_labels.size());
    for (auto l : r.sampled_labels) s.correct += l == CompletionLabel::correct;
    s.known = attribute_known(r, rule);
    if (!r.label) fail(record_key(r), "label", "record not labelled (label_record first)");
    s.greedy = *r.label;
    out.entities[index.at(entity_key(r.entity_type, r.entity))].scores.push_back(std::move(s));
  }
  const auto splits = split_entities(labels, split_seed);
  for (const auto& ts : splits) {
    auto mark = [&](const NameSplit& ns) {
      for (const auto& n : ns.train)
        out.entities[index.at(entity_key(ts.entity_type, n))].split = SplitName::train;
      for (const auto& n : ns.validation)
        out.entities[index.at(entity_key(ts.entity_type, n))].split = SplitName::validation;
      for (const auto& n : ns.test)
        out.entities[index.at(entity_key(ts.entity_type, n))].split = SplitName::test;
    };
    mark(ts.known);
    mark(ts.unknown);
  }
  out.splits = tally_splits(out.entities);
  for (const auto& ts : splits) {
    out.splits[ts.entity_type].first.fallback = ts.known.fallback;
    out.splits[ts.entity_type].second.fallback = ts.unknown.fallback;
  }
  return out;
}

std::vector<std::pair<std::string, LabelCounts>> count_labels(const LabelsFile& labels) {
  std::vector<std::pair<std::string, LabelCounts>> out;
  LabelCounts all;
  for (const auto& e : labels.entities) {
    size_t t = 0;
    while (t < out.size() && out[t].first != e.entity_type) ++t;
    if (t == out.size()) out.push_back({e.entity_type, {}});
    for (LabelCounts* c : {&out[t].second, &all})
      (e.label == Knowledge::known     ? c->known
       : e.label == Knowledge::unknown ? c->unknown
                                       : c->other)++;
  }
  out.push_back({"all", all});
  return out;
}

std::string labels_to_json(const LabelsFile& lf) {
  ojson j;
  j["format"] = std::string(kFormat);
  j["version"] = kVersion;
  j["model"] = {{"name", lf.model.name},
                {"id", lf.model.id},
                {"path", lf.model.path},
                {"arch", lf.model.arch}};
  j["config"] = ojson::parse(labelling_config_json(lf.config));
  ojson sel;
  sel["types"] = lf.selection.types;
  sel["per_type"] = lf.selection.per_type;
  sel["seed"] = lf.selection.seed;
  sel["source"] = lf.selection_source;
  j["selection"] = sel;
  j["rule"] = {{"min_correct_fraction", lf.rule.min_correct_fraction},
               {"min_known_attributes", lf.rule.min_known_attributes},
               {"split_seed", lf.split_seed}};
  j["records_file"] = lf.records_file;
  ojson counts = ojson::object();
  for (const auto& [type, c] : count_labels(lf))
    counts[type] = {
        {"known", c.known}, {"unknown", c.unknown}, {"other", c.other}, {"total", c.total()}};
  j["counts"] = counts;
  ojson splits = ojson::object();
  for (const auto& [type, ku] : lf.splits)
    splits[type] = {{"known", split_counts_json(ku.first)},
                    {"unknown", split_counts_json(ku.second)}};
  j["splits"] = splits;
  ojson ents = ojson::array();
  for (const auto& e : lf.entities) {
    ojson je;
    je["entity"] = e.entity;
    je["entity_type"] = e.entity_type;
    je["label"] = std::string(knowledge_name(e.label));
    je["split"] = e.split ? ojson(std::string(split_name(*e.split))) : ojson(nullptr);
    je["known_attributes"] = e.known_attributes;
    je["attributes"] = e.scores.size();
    ojson sc = ojson::array();
    for (const auto& s : e.scores)
      sc.push_back({{"prompt_type", s.prompt_type},
                    {"correct", s.correct},
                    {"samples", s.samples},
                    {"known", s.known},
                    {"greedy", std::string(label_name(s.greedy))}});
    je["scores"] = sc;
    ents.push_back(std::move(je));
  }
  j["entities"] = ents;
  // Invalid UTF-8 in a name cannot come from load_entities, but never throw while saving.
  return j.dump(1, ' ', false, ojson::error_handler_t::replace) + "\n";
}

LabelsFile labels_from_json(std::string_view text, const std::string& where) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    fail(where, "", std::string("not valid JSON: ") + e.what());
  }
  Reader rd{where};
  if (!j.is_object()) fail(where, "", "expected a JSON object");
  if (rd.str(j, "", "format") != kFormat)
    fail(where, "format", "expected '" + std::string(kFormat) + "'");
  if (rd.integer(j, "", "version", 0, 1 << 20) != kVersion)
    fail(where, "version", "expected " + std::to_string(kVersion));
  LabelsFile lf;
  const json& m = rd.at(j, "", "model");
  lf.model = {rd.str(m, "model", "name"), rd.str(m, "model", "id"), rd.str(m, "model", "path"),
              rd.str(m, "model", "arch")};
  lf.config = labelling_config_from_json(rd.at(j, "", "config").dump(), where);
  const json& sel = rd.at(j, "", "selection");
  const json& types = rd.at(sel, "selection", "types");
  if (!types.is_array()) fail(where, "selection.types", "expected an array of strings");
  for (const auto& t : types) {
    if (!t.is_string()) fail(where, "selection.types", "expected an array of strings");
    lf.selection.types.push_back(t.get<std::string>());
  }
  lf.selection.per_type = int(rd.integer(sel, "selection", "per_type", 0, INT32_MAX));
  lf.selection.seed = uint32_t(rd.integer(sel, "selection", "seed", 0, UINT32_MAX));
  lf.selection_source = rd.str(sel, "selection", "source");
  const json& rule = rd.at(j, "", "rule");
  const json& frac = rd.at(rule, "rule", "min_correct_fraction");
  if (!frac.is_number() || !(frac.get<double>() > 0.0) || frac.get<double>() > 1.0)
    fail(where, "rule.min_correct_fraction", "expected a number in (0, 1]");
  lf.rule.min_correct_fraction = frac.get<double>();
  lf.rule.min_known_attributes = int(rd.integer(rule, "rule", "min_known_attributes", 1, 1000));
  lf.split_seed = uint32_t(rd.integer(rule, "rule", "split_seed", 0, UINT32_MAX));
  lf.records_file = rd.str(j, "", "records_file");

  const json& ents = rd.at(j, "", "entities");
  if (!ents.is_array()) fail(where, "entities", "expected an array");
  std::unordered_map<std::string, size_t> seen;
  for (size_t i = 0; i < ents.size(); ++i) {
    const std::string path = "entities[" + std::to_string(i) + "]";
    const json& je = ents[i];
    LabelledEntity e;
    e.entity = rd.str(je, path, "entity");
    e.entity_type = rd.str(je, path, "entity_type");
    if (!seen.emplace(entity_key(e.entity_type, e.entity), i).second)
      fail(where, path, "duplicate " + e.entity_type + " '" + e.entity + "'");
    auto label = parse_knowledge(rd.str(je, path, "label"));
    if (!label) fail(where, path + ".label", "expected known, unknown or other");
    e.label = *label;
    const json& sp = rd.at(je, path, "split");
    if (!sp.is_null()) {
      if (!sp.is_string() || !parse_split(sp.get<std::string>()))
        fail(where, path + ".split", "expected train, validation, test or null");
      e.split = parse_split(sp.get<std::string>());
    }
    e.known_attributes = int(rd.integer(je, path, "known_attributes", 0, 1000));
    const json& sc = rd.at(je, path, "scores");
    if (!sc.is_array()) fail(where, path + ".scores", "expected an array");
    int known = 0;
    for (size_t k = 0; k < sc.size(); ++k) {
      const std::string sp_path = path + ".scores[" + std::to_string(k) + "]";
      AttributeScore s;
      s.prompt_type = rd.str(sc[k], sp_path, "prompt_type");
      s.samples = int(rd.integer(sc[k], sp_path, "samples", 0, 1000000));
      s.correct = int(rd.integer(sc[k], sp_path, "correct", 0, s.samples));
      s.known = rd.boolean(sc[k], sp_path, "known");
      auto g = parse_label(rd.str(sc[k], sp_path, "greedy"));
      if (!g) fail(where, sp_path + ".greedy", "expected correct, refusal or error");
      s.greedy = *g;
      const bool expect_known =
          s.samples > 0 &&
          s.correct >= required_correct(size_t(s.samples), lf.rule.min_correct_fraction);
      if (s.known != expect_known)
        fail(where, sp_path + ".known",
             "disagrees with correct/samples under the rule's min_correct_fraction");
      known += s.known;
      e.scores.push_back(std::move(s));
    }
    if (rd.integer(je, path, "attributes", 0, 1000) != int64_t(e.scores.size()))
      fail(where, path + ".attributes", "differs from the number of scores");
    if (known != e.known_attributes)
      fail(where, path + ".known_attributes",
           std::to_string(e.known_attributes) + " but " + std::to_string(known) +
               " scores are known");
    const Knowledge expect = known >= lf.rule.min_known_attributes ? Knowledge::known
                             : known == 0                          ? Knowledge::unknown
                                                                   : Knowledge::other;
    if (e.label != expect)
      fail(where, path + ".label",
           "'" + std::string(knowledge_name(e.label)) + "' but the scores give '" +
               std::string(knowledge_name(expect)) + "'");
    if ((e.label == Knowledge::other) != !e.split)
      fail(where, path + ".split", "must be null exactly for 'other' entities");
    lf.entities.push_back(std::move(e));
  }

  // Counts and split sizes are derived data: they must agree with the entity list.
  const json& counts = rd.at(j, "", "counts");
  if (!counts.is_object()) fail(where, "counts", "expected an object");
  auto derived = count_labels(lf);
  if (counts.size() != derived.size())
    fail(where, "counts",
         "lists " + std::to_string(counts.size()) + " groups, the entities give " +
             std::to_string(derived.size()));
  for (const auto& [type, c] : derived) {
    const std::string path = "counts." + type;
    const json& jc = rd.at(counts, "counts", type.c_str());
    if (rd.integer(jc, path, "known", 0, INT32_MAX) != c.known ||
        rd.integer(jc, path, "unknown", 0, INT32_MAX) != c.unknown ||
        rd.integer(jc, path, "other", 0, INT32_MAX) != c.other ||
        rd.integer(jc, path, "total", 0, INT32_MAX) != c.total())
      fail(where, path, "disagrees with the entity list");
  }
  lf.splits = tally_splits(lf.entities);
  const json& splits = rd.at(j, "", "splits");
  if (!splits.is_object() || splits.size() != lf.splits.size())
    fail(where, "splits", "expected one entry per entity type");
  for (auto& [type, ku] : lf.splits) {
    const json& js = rd.at(splits, "splits", type.c_str());
    for (auto [name, c] : {std::pair{"known", &ku.first}, std::pair{"unknown", &ku.second}}) {
      const std::string path = "splits." + type + "." + name;
      const json& jc = rd.at(js, "splits." + type, name);
      if (rd.integer(jc, path, "train", 0, INT32_MAX) != c->train ||
          rd.integer(jc, path, "validation", 0, INT32_MAX) != c->validation ||
          rd.integer(jc, path, "test", 0, INT32_MAX) != c->test)
        fail(where, path, "disagrees with the entity list");
      c->fallback = rd.boolean(jc, path, "fallback");
    }
  }
  return lf;
}

void write_labels_file(const std::string& path, const LabelsFile& labels) {
  write_file_atomic(path, labels_to_json(labels));
}

LabelsFile read_labels_file(const std::string& path) {
  return labels_from_json(read_file(path), path);
}

std::vector<std::string> entities_with(const LabelsFile& labels, std::string_view entity_type,
                                       Knowledge label, std::optional<SplitName> split) {
  std::vector<std::string> out;
  for (const auto& e : labels.entities)
    if (e.entity_type == entity_type && e.label == label && (!split || e.split == split))
      out.push_back(e.entity);
  return out;
}

}  // namespace knowscope::study
