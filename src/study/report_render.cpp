// The report of a run folder and the standalone latents page (report.h).
#include <filesystem>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/study/report.h"
#include "knowscope/study/run_folder.h"
#include "study/report_html.h"

namespace knowscope::study {
namespace fs = std::filesystem;
using report::Section;

std::string render_report(const nlohmann::json& data_in, const std::string& chartjs_path) {
  nlohmann::json data = data_in;
  data["comparison"] = report::build_comparison(data);
  const std::vector<Section> sections = {
      report::section_summary(data),     report::section_stages(data),
      report::section_paper(data),       report::section_layers(data),
      report::section_top_latents(data), report::section_highlights(data),
      report::section_refusal(data),     report::section_balance(data),
      report::section_heads(data),       report::section_uncertainty(data)};
  std::string title = "knowscope report";
  if (data.contains("run") && data["run"].is_object())
    title += ": " + data["run"].value("model", "");
  return report::page(title, data, sections, read_file(chartjs_path));
}

std::string render_latents_page(const nlohmann::json& latents, const std::string& chartjs_path) {
  nlohmann::json data = {{"format", "knowscope-report"}, {"version", 1}, {"latents", latents}};
  const std::vector<Section> sections = {report::section_layers(data),
                                         report::section_top_latents(data),
                                         report::section_highlights(data)};
  std::string title = "knowscope latents";
  if (latents.contains("model") && latents["model"].is_object())
    title += ": " + latents["model"].value("name", "");
  return report::page(title, data, sections, read_file(chartjs_path));
}

std::string render_latents_page(const nlohmann::json& latents) {
  return render_latents_page(latents, find_chartjs());
}

namespace {

// A finished stage's result file, or null (an unfinished stage's files are never read).
json stage_file(const RunFolder& folder, const std::string& stage, const std::string& file) {
  if (folder.done_record(stage).is_null()) return nullptr;
  const std::string p = folder.stage_dir(stage) + "/" + file;
  if (!fs::exists(p)) return nullptr;
  return read_json_file(p);
}

}  // namespace

nlohmann::json build_report_data(const std::string& run_dir) {
  if (!fs::is_directory(run_dir)) fail(run_dir, "", "not a run folder");
  RunFolder folder(run_dir);
  json data = {{"format", "knowscope-report"}, {"version", 1}};
  data["run"] = fs::exists(folder.path("config.json")) ? read_json_file(folder.path("config.json"))
                                                       : json(nullptr);
  data["stages"] = fs::exists(folder.path("stages.json"))
                       ? read_json_file(folder.path("stages.json")).value("stages", json::array())
                       : json::array();
  // Labels: the labels file the labelling stage used (its entity list left out: counts, splits
  // and the selection are what the report shows).
  data["labels"] = nullptr;
  if (!folder.done_record("labelling").is_null()) {
    const std::string path = folder.stage_dir("labelling") + "/labels.json";
    if (fs::exists(path)) {
      json labels = read_json_file(path);
      labels.erase("entities");
      labels["path"] = path;
      data["labels"] = labels;
    }
  }
  data["latents"] = stage_file(folder, "latents", "latents.json");
  json steering = json::object();
  for (const char* f : {"refusal", "sweep", "balance", "yesno"})
    if (json v = stage_file(folder, "steering", std::string(f) + ".json"); !v.is_null())
      steering[f] = v;
  data["steering"] = steering.empty() ? json(nullptr) : steering;
  json heads = json::object();
  for (const char* f : {"patching", "attention", "steer", "lens"})
    if (json v = stage_file(folder, "heads", std::string(f) + ".json"); !v.is_null()) heads[f] = v;
  data["heads"] = heads.empty() ? json(nullptr) : heads;
  data["uncertainty"] = stage_file(folder, "uncertainty", "uncertainty.json");
  return data;
}

std::string write_report(const std::string& run_dir) {
  const std::string chartjs = find_chartjs();
  const std::string html = render_report(build_report_data(run_dir), chartjs);
  const std::string path = (fs::path(run_dir) / "report.html").string();
  write_file_atomic(path, html);
  return path;
}

}  // namespace knowscope::study
