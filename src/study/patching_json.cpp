// patching.json (docs/attention.md) and the readable table.
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/study/patching.h"
#include "study/heads_json.h"

namespace knowscope::study {

using nlohmann::json;

std::string head_id(int layer, int head) {
  std::string out = "L";  // appended: GCC 12 warns falsely on "L" + std::string
  out += std::to_string(layer);
  out += 'H';
  out += std::to_string(head);
  return out;
}

json num(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

double num_from(const json& j) {
  return j.is_number() ? j.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

json num_grid(const std::vector<std::vector<double>>& g) {
  json out = json::array();
  for (const auto& row : g) {
    json r = json::array();
    for (double x : row) r.push_back(num(x));
    out.push_back(r);
  }
  return out;
}

namespace {

std::vector<std::vector<double>> grid_from(const json& j) {
  std::vector<std::vector<double>> out;
  for (const auto& row : j) {
    std::vector<double> r;
    for (const auto& x : row) r.push_back(num_from(x));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

std::string patching_to_json(const PatchingResult& r) {
  json j;
  j["format"] = "knowscope-heads-patching";
  j["version"] = 1;
  j["model"] = r.model;
  j["labels"] = r.labels;
  j["pair_rule"] = r.pair_rule;
  j["metric"] =
      "(mean LD_patched - mean LD_corr) / (mean LD_clean - mean LD_corr), LD = logit[clean "
      "answer] - logit[corrupt answer] at the last position";
  j["n_layers"] = r.n_layers;
  j["n_heads"] = r.n_heads;
  j["layers"] = r.layers;
  j["roles"] = r.roles;
  json groups = json::array();
  for (const auto& g : r.groups)
    groups.push_back({{"name", g.name},
                      {"pairs", g.pairs},
                      {"clean_entities", g.clean_entities},
                      {"corrupt_entities", g.corrupt_entities},
                      {"ld_clean", num(g.ld_clean)},
                      {"ld_corrupt", num(g.ld_corrupt)},
                      {"resid_pre", num_grid(g.resid)},
                      {"heads_last", num_grid(g.heads)}});
  j["groups"] = groups;
  json top = json::array();
  const auto ranked = rank_patched_heads(r);
  for (size_t i = 0; i < ranked.size() && i < 10; ++i)
    top.push_back({{"id", head_id(ranked[i].layer, ranked[i].head)},
                   {"layer", ranked[i].layer},
                   {"head", ranked[i].head},
                   {"metric", num(ranked[i].value)}});
  j["top_heads"] = top;
  json pairs = json::array();
  for (const auto& p : r.pairs)
    pairs.push_back({{"entity_type", p.entity_type},
                     {"prompt_type", p.prompt_type},
                     {"clean_entity", p.clean_entity},
                     {"corrupt_entity", p.corrupt_entity},
                     {"clean_text", p.clean_text},
                     {"corrupt_text", p.corrupt_text},
                     {"clean_answer", p.clean_answer},
                     {"corrupt_answer", p.corrupt_answer},
                     {"tokens", p.tokens},
                     {"entity_last", p.entity_last},
                     {"ld_clean", num(p.ld_clean)},
                     {"ld_corrupt", num(p.ld_corrupt)}});
  j["pairs"] = pairs;
  j["seconds"] = r.seconds;
  return j.dump(1) + "\n";
}

PatchingResult patching_from_json(const std::string& text, const std::string& where) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    fail(where, "", std::string("not JSON: ") + e.what());
  }
  if (j.value("format", "") != "knowscope-heads-patching")
    fail(where, "format", "expected \"knowscope-heads-patching\"");
  PatchingResult r;
  try {
    r.model = j.at("model").get<std::string>();
    r.labels = j.value("labels", "");
    r.pair_rule = j.value("pair_rule", "");
    r.n_layers = j.at("n_layers").get<int>();
    r.n_heads = j.at("n_heads").get<int>();
    r.layers = j.at("layers").get<std::vector<int>>();
    r.roles = j.at("roles").get<std::vector<std::string>>();
    for (const auto& g : j.at("groups")) {
      PatchingGroup pg;
      pg.name = g.at("name").get<std::string>();
      pg.pairs = g.at("pairs").get<int>();
      pg.clean_entities = g.value("clean_entities", 0);
      pg.corrupt_entities = g.value("corrupt_entities", 0);
      pg.ld_clean = num_from(g.at("ld_clean"));
      pg.ld_corrupt = num_from(g.at("ld_corrupt"));
      pg.resid = grid_from(g.at("resid_pre"));
      pg.heads = grid_from(g.at("heads_last"));
      r.groups.push_back(std::move(pg));
    }
    r.seconds = j.value("seconds", 0.0);
  } catch (const json::exception& e) {
    fail(where, "", std::string("bad patching result: ") + e.what());
  }
  return r;
}

std::string patching_table(const PatchingResult& r, int top_heads) {
  std::string out;
  char buf[256];
  if (r.groups.empty()) return "no pairs\n";
  for (const auto& g : r.groups) {
    std::snprintf(buf, sizeof buf,
                  "%s: %d pairs (%d known, %d unknown entities), LD clean %.3f, corrupt %.3f\n",
                  g.name.c_str(), g.pairs, g.clean_entities, g.corrupt_entities, g.ld_clean,
                  g.ld_corrupt);
    out += buf;
  }
  const auto& g = r.groups[0];
  out += "\nresid_pre patching metric (all pairs), layer x position role\nlayer";
  for (const auto& role : r.roles) {
    std::snprintf(buf, sizeof buf, " %12s", role.c_str());
    out += buf;
  }
  out += "\n";
  for (size_t li = 0; li < g.resid.size(); ++li) {
    std::snprintf(buf, sizeof buf, "%5d", r.layers[li]);
    out += buf;
    for (double x : g.resid[li]) {
      std::snprintf(buf, sizeof buf, " %12.3f", x);
      out += buf;
    }
    out += "\n";
  }
  const auto ranked = rank_patched_heads(r);
  out += "\ntop heads by patching metric at the last position (hook_z)\n";
  for (int i = 0; i < top_heads && size_t(i) < ranked.size(); ++i) {
    std::snprintf(buf, sizeof buf, "  %-7s %8.3f\n",
                  head_id(ranked[size_t(i)].layer, ranked[size_t(i)].head).c_str(),
                  ranked[size_t(i)].value);
    out += buf;
  }
  return out;
}

}  // namespace knowscope::study
