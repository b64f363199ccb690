// The self-contained HTML report of a run folder: one file that opens from file:// without a
// server. Chart.js (Debian's libjs-chart.js) is inlined; every number the page shows comes from
// the report data, embedded as JSON in <script type="application/json" id="ks-data">.
//
// Report data (build_report_data reads it from a run folder; tests write it by hand):
//   {"format": "knowscope-report", "version": 1,
//    "run": {...the run's config.json...} | null,
//    "stages": [{"name", "status", "reason", "seconds"}],
//    "labels": {...labels file (labels_file.h), entity list included...} | null,
//    "latents": {...latents.json (docs/latents.md)...} | null,
//    "steering": {"refusal": {...}, "sweep": {...}, "balance": {...}, "yesno": {...}} | null,
//    "heads": {...heads.json (docs/heads.md)...} | null,
//    "uncertainty": {...uncertainty.json (docs/uncertainty.md)...} | null}
// A section whose data is missing says why (the stage's status and reason), never shows zeros.
//
// Self-check: after drawing, the page writes <pre id="ks-selfcheck"> with JSON
// {"charts": [{"id", "kind", "ok", "pixels", "error"}], "errors": [...]}, so a headless browser
// (tests/browser/) can tell that every chart rendered. Table cells showing a number carry
// data-path="<JSON pointer into the report data>" so the test can compare them with the data.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace knowscope::study {

// The Chart.js build to inline: $KNOWSCOPE_CHARTJS if set, else Debian's
// /usr/share/javascript/chart.js/chart.min.js (UMD, defines window.Chart). Throws Error saying
// which package to install when none is found.
std::string find_chartjs();

// The whole report page.
std::string render_report(const nlohmann::json& data, const std::string& chartjs_path);
// The latents page of `knowscope latents --html`: `latents` is latents.json; same page machinery
// (layer profile, top latents, token highlights, top contexts).
std::string render_latents_page(const nlohmann::json& latents, const std::string& chartjs_path);
std::string render_latents_page(const nlohmann::json& latents);  // with find_chartjs()

// The report data of a run folder: config.json, each stage's done.json status and its results.
nlohmann::json build_report_data(const std::string& run_dir);
// build_report_data + render_report, written atomically to <run_dir>/report.html; returns its path.
std::string write_report(const std::string& run_dir);

}  // namespace knowscope::study
