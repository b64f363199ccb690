// latents.json (docs/latents.md, "Results JSON") and the one-screen summary.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "knowscope/io/atomic_file.h"
#include "knowscope/study/latents.h"

namespace knowscope::study {

namespace {

using nlohmann::json;

json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json latent_json(const LatentInfo& l) {
  json j = {{"id", l.id},
            {"layer", l.layer},
            {"latent", l.latent},
            {"hook", l.hook},
            {"sae_hook", l.sae_hook},
            {"rank", l.rank},
            {"score", num(l.score)},
            {"mean_score", num(l.mean_score)},
            {"n_known", l.n_known},
            {"n_unknown", l.n_unknown},
            {"generic_freq", num(l.generic_freq)},
            {"decoder_norm", num(l.decoder_norm)}};
  j["per_type"] = json::object();
  for (const auto& [t, v] : l.per_type) j["per_type"][t] = num(v);
  j["freq_known"] = json::object();
  for (const auto& [t, v] : l.freq_known) j["freq_known"][t] = num(v);
  j["freq_unknown"] = json::object();
  for (const auto& [t, v] : l.freq_unknown) j["freq_unknown"][t] = num(v);
  return j;
}

json latents_json(const std::vector<LatentInfo>& v) {
  json a = json::array();
  for (const auto& l : v) a.push_back(latent_json(l));
  return a;
}

json counts_json(const TypeCounts& c) {
  json j = json::object();
  for (const auto& [t, kv] : c.per_type) j[t] = {{"known", kv.first}, {"unknown", kv.second}};
  j["all"] = {{"known", c.known}, {"unknown", c.unknown}};
  return j;
}

json band_json(const std::map<std::string, Band>& m) {
  json j = json::object();
  for (const auto& [t, b] : m)
    j[t] = {{"mean", num(b.mean)}, {"min", num(b.min)}, {"max", num(b.max)}};
  return j;
}

json classifier_json(const LatentClassifier& c) {
  if (!c.present) return nullptr;
  return {{"id", c.id},
          {"layer", c.layer},
          {"auroc", num(c.auroc)},
          {"auroc_within_type", num(c.auroc_within_type)},
          {"accuracy", num(c.accuracy)},
          {"heldout_freq_known", num(c.heldout_freq_known)},
          {"heldout_freq_unknown", num(c.heldout_freq_unknown)}};
}

json loto_side_json(const LotoSide& s) {
  if (!s.present) return nullptr;
  const auto& h = s.held_out;
  return {{"id", s.latent.id},
          {"layer", s.latent.layer},
          {"latent", s.latent.latent},
          {"hook", s.latent.hook},
          {"sae_hook", s.latent.sae_hook},
          {"train_score", num(s.latent.score)},
          {"held_out",
           {{"score", num(h.score)},
            {"freq_known", num(h.freq_known)},
            {"freq_unknown", num(h.freq_unknown)},
            {"auroc", num(h.auroc)},
            {"n_known", h.n_known},
            {"n_unknown", h.n_unknown}}}};
}

json floats(const std::vector<float>& v) {
  json a = json::array();
  for (float x : v) a.push_back(num(double(x)));
  return a;
}

}  // namespace

std::string latents_to_json(const LatentsResult& R) {
  const LatentsConfig& c = R.config;
  json j;
  j["format"] = "knowscope-latents";
  j["version"] = 1;
  j["model"] = {{"name", c.model_name},
                {"path", R.model_path},
                {"arch", R.model_arch},
                {"n_layers", R.n_layers},
                {"d_model", R.d_model}};
  json layers = json::array();
  for (const auto& s : R.saes)
    layers.push_back({{"layer", s.layer},
                      {"hook", s.hook},
                      {"sae_hook", s.sae_hook},
                      {"path", s.path},
                      {"d_sae", s.d_sae},
                      {"arch", s.arch}});
  json skipped = json::array();
  for (const auto& s : R.skipped_saes)
    skipped.push_back({{"path", s.path}, {"sae_hook", s.sae_hook}, {"reason", s.reason}});
  j["sae_set"] = {{"dir", c.sae_set}, {"layers", layers}, {"skipped", skipped}};
  j["labels"] = {{"path", R.labels_path},
                 {"rule",
                  {{"min_correct_fraction", R.min_correct_fraction},
                   {"min_known_attributes", R.min_known_attributes}}}};
  j["config"] = {{"selection_split", c.selection_all ? "all" : "train"},
                 {"min_type_entities", c.min_type_entities},
                 {"fire_threshold", c.fire_threshold},
                 {"generic_freq_cap", c.generic_freq_cap},
                 {"top_n", c.top_n},
                 {"n_random", c.n_random},
                 {"random_seed", c.random_seed},
                 {"generic_seed", c.generic_seed},
                 {"generic_docs", c.generic_docs},
                 {"generic_seq_len", c.generic_seq_len},
                 {"entity_seq_len", c.entity_seq_len},
                 {"prompt_template", "The {entity_type} '{entity}'"},
                 {"position_rule", "paper"},
                 {"corpus", c.corpus},
                 {"sentences", c.sentences},
                 {"context_docs", c.context_docs},
                 {"example_latents", c.example_latents}};
  j["types"] = json::array();
  // R.types lists every type with entities; "types" holds the scored ones.
  for (const auto& t : R.types)
    if (std::find(R.types_excluded.begin(), R.types_excluded.end(), t) == R.types_excluded.end())
      j["types"].push_back(t);
  j["types_excluded"] = R.types_excluded;
  json skipped_entities = json::array();
  for (const auto& e : R.skipped_entities)
    skipped_entities.push_back(
        {{"entity", e.entity}, {"entity_type", e.entity_type}, {"reason", e.reason}});
  j["counts"] = {{"selection", counts_json(R.selection_counts)},
                 {"heldout", counts_json(R.heldout_counts)},
                 {"entities", counts_json(R.entity_counts)},
                 {"skipped_entities", skipped_entities},
                 {"generic",
                  {{"docs_read", R.generic_docs_read},
                   {"docs_used", R.generic_docs_used},
                   {"tokens", R.generic_docs_used}}}};
  j["known"] = latents_json(R.known);
  j["unknown"] = latents_json(R.unknown);
  j["random_controls"] = {
      {"known", latents_json(R.random_known)},
      {"unknown", latents_json(R.random_unknown)},
      {"candidates",
       {{"known", R.random_candidates_known}, {"unknown", R.random_candidates_unknown}}}};
  json lj = json::array();
  for (const auto& p : R.layers)
    lj.push_back({{"layer", p.layer},
                  {"hook", p.hook},
                  {"sae_hook", p.sae_hook},
                  {"maxmin_known", num(p.maxmin_known.value)},
                  {"maxmin_unknown", num(p.maxmin_unknown.value)},
                  {"argmax_known", p.maxmin_known.latent < 0
                                       ? json(nullptr)
                                       : json(latent_id(p.layer, p.maxmin_known.latent))},
                  {"argmax_unknown", p.maxmin_unknown.latent < 0
                                         ? json(nullptr)
                                         : json(latent_id(p.layer, p.maxmin_unknown.latent))},
                  {"top5_known", band_json(p.top5_known)},
                  {"top5_unknown", band_json(p.top5_unknown)}});
  j["layers"] = lj;
  json pl = json::array();
  for (const auto& p : R.probes)
    pl.push_back({{"layer", p.layer},
                  {"hook", p.hook},
                  {"diff_means",
                   {{"accuracy", num(p.diff_means.accuracy)},
                    {"auroc", num(p.diff_means.auroc)},
                    {"auroc_within_type", num(p.diff_means.auroc_within_type)}}},
                  {"logistic",
                   {{"accuracy", num(p.logistic.accuracy)},
                    {"auroc", num(p.logistic.auroc)},
                    {"auroc_within_type", num(p.logistic.auroc_within_type)},
                    {"train_accuracy", num(p.logistic_train_accuracy)}}}});
  j["probes"] = {
      {"n", {{"train", counts_json(R.probe_train)}, {"heldout", counts_json(R.probe_heldout)}}},
      {"layers", pl},
      {"top_latents",
       {{"known", classifier_json(R.top_known_classifier)},
        {"unknown", classifier_json(R.top_unknown_classifier)}}}};
  json loto = json::array();
  for (const auto& e : R.leave_one_type_out)
    loto.push_back({{"held_out_type", e.held_out_type},
                    {"train_types", e.train_types},
                    {"known", loto_side_json(e.known)},
                    {"unknown", loto_side_json(e.unknown)}});
  json sl = json::array();
  for (const auto& s : R.sentence_stats)
    sl.push_back({{"id", s.id},
                  {"side", s.side},
                  {"hook", s.hook},
                  {"fires_real", s.fires_real},
                  {"fires_invented", s.fires_invented},
                  {"freq_real", s.n_real ? json(double(s.fires_real) / s.n_real) : json(nullptr)},
                  {"freq_invented",
                   s.n_invented ? json(double(s.fires_invented) / s.n_invented) : json(nullptr)}});
  j["generalisation"] = {{"leave_one_type_out", loto},
                         {"sentences",
                          {{"file", R.sentences_file},
                           {"n_real", R.n_real},
                           {"n_invented", R.n_invented},
                           {"latents", sl}}}};
  json ex = json::array();
  for (const auto& e : R.examples) {
    json lats = json::array();
    for (const auto& l : e.latents)
      lats.push_back({{"id", l.id}, {"side", l.side}, {"acts", floats(l.acts)}});
    ex.push_back({{"text", e.text},
                  {"kind", e.kind},
                  {"entity", e.entity},
                  {"entity_token", e.entity_token},
                  {"tokens", e.tokens},
                  {"latents", lats}});
  }
  j["examples"] = ex;
  json tc = json::array();
  for (const auto& l : R.top_contexts) {
    json ctx = json::array();
    for (const auto& c2 : l.contexts)
      ctx.push_back({{"doc", c2.doc},
                     {"source", c2.source},
                     {"max_act", num(c2.max_act)},
                     {"max_pos", c2.max_pos},
                     {"doc_pos", c2.doc_pos},
                     {"tokens", c2.tokens},
                     {"acts", floats(c2.acts)}});
    tc.push_back({{"id", l.id}, {"side", l.side}, {"hook", l.hook}, {"contexts", ctx}});
  }
  j["top_contexts"] = tc;
  j["seconds"] = json::object();
  for (const auto& [k, v] : R.seconds) j["seconds"][k] = v;
  j["notes"] = R.notes;
  return j.dump(1, ' ', false, json::error_handler_t::replace);
}

std::string write_latents_json(const std::string& out_dir, const LatentsResult& result) {
  std::filesystem::create_directories(out_dir.empty() ? "." : out_dir);
  const std::string path =
      (std::filesystem::path(out_dir.empty() ? "." : out_dir) / "latents.json").string();
  write_file_atomic(path, latents_to_json(result) + "\n");
  return path;
}

namespace {

std::string fmt(double v, int prec = 3) {
  if (!std::isfinite(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

void print_list(std::ostringstream& o, const char* title, const std::vector<LatentInfo>& v,
                size_t max) {
  o << title << "\n";
  if (v.empty()) o << "  (none)\n";
  for (size_t i = 0; i < v.size() && i < max; ++i) {
    const auto& l = v[i];
    o << "  " << i + 1 << ". " << l.id << " on " << l.hook << " (= " << l.sae_hook << ")  score "
      << fmt(l.score) << "  mean " << fmt(l.mean_score) << "  generic " << fmt(l.generic_freq, 4)
      << "  n " << l.n_known << "/" << l.n_unknown << "  [";
    bool first = true;
    for (const auto& [t, s] : l.per_type) {
      o << (first ? "" : " ") << t << " " << fmt(s, 2);
      first = false;
    }
    o << "]\n";
  }
}

}  // namespace

std::string format_latents_summary(const LatentsResult& R) {
  std::ostringstream o;
  o << "latents: " << R.saes.size() << " SAEs scored, " << R.entity_counts.known << " known / "
    << R.entity_counts.unknown << " unknown entities; scoring on "
    << (R.config.selection_all ? "all" : "train") << ": " << R.selection_counts.known << " / "
    << R.selection_counts.unknown << " (";
  bool first = true;
  for (const auto& [t, kv] : R.selection_counts.per_type) {
    o << (first ? "" : ", ") << t << " " << kv.first << "/" << kv.second;
    first = false;
  }
  o << ")\n";
  if (!R.types_excluded.empty()) {
    o << "types left out of the min (fewer than " << std::max(1, R.config.min_type_entities)
      << " known or unknown): ";
    for (const auto& t : R.types_excluded) o << t << " ";
    o << "\n";
  }
  o << "generic tokens: " << R.generic_docs_used << " of " << R.generic_docs_read
    << " documents (filter: frequency < " << R.config.generic_freq_cap << ")\n";
  print_list(
      o, "top known-entity latents (score = min over types of f_known - f_unknown):", R.known, 5);
  print_list(o, "top unknown-entity latents:", R.unknown, 5);
  o << "layer  MaxMin known  MaxMin unknown   held-out AUROC diff-means / logistic (within type)\n";
  for (size_t i = 0; i < R.layers.size(); ++i) {
    const auto& p = R.layers[i];
    o << "  L" << p.layer << (p.layer < 10 ? " " : "") << "  " << fmt(p.maxmin_known.value)
      << "         " << fmt(p.maxmin_unknown.value) << "            ";
    if (i < R.probes.size())
      o << fmt(R.probes[i].diff_means.auroc) << " / " << fmt(R.probes[i].logistic.auroc) << "  ("
        << fmt(R.probes[i].diff_means.auroc_within_type) << " / "
        << fmt(R.probes[i].logistic.auroc_within_type) << ")";
    o << "\n";
  }
  const auto cl = [&](const char* name, const LatentClassifier& c) {
    if (!c.present) return;
    o << "top " << name << " latent " << c.id << " as a classifier on held-out entities ("
      << R.probe_heldout.known << " known / " << R.probe_heldout.unknown << "): AUROC "
      << fmt(c.auroc) << " (within type " << fmt(c.auroc_within_type) << "), accuracy "
      << fmt(c.accuracy) << "\n";
  };
  cl("known", R.top_known_classifier);
  cl("unknown", R.top_unknown_classifier);
  for (const auto& s : R.sentence_stats)
    o << "sentences: " << s.id << " (" << s.side << ") fires on " << s.fires_real << "/" << s.n_real
      << " real, " << s.fires_invented << "/" << s.n_invented << " invented\n";
  for (const auto& n : R.notes) o << "note: " << n << "\n";
  return o.str();
}

}  // namespace knowscope::study
