// Building blocks of the report page (report.h): escaping, JSON embedding, numbers that the
// browser test can check, and the sections. One section per report_section_*.cpp.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace knowscope::study::report {

using nlohmann::json;

// Text for HTML element content and attribute values: & < > " ' escaped.
std::string esc(std::string_view text);
// JSON for a <script type="application/json"> block: '<', '>' and '&' written as \u003c,
// \u003e, \u0026 so no "</script>" or "<!--" can end or change the block; invalid UTF-8 replaced.
std::string json_for_script(const json& value);
// JavaScript source for an inline <script>: "</script" cannot occur in it ("<\/script" is the
// same script text wherever it can legally appear: in strings, regexes and comments).
std::string js_for_script(std::string_view source);

// A number as shown: integers as integers, others with `digits` decimals; "–" for null.
std::string fmt(const json& value, int digits = 3);
// The value at a JSON pointer of `data`, or null when absent.
const json& at(const json& data, const std::string& pointer);
// A pointer component ("/" and "~" escaped per RFC 6901).
std::string ptr_part(std::string_view key);

// <td> showing the number at `pointer` of the report data, tagged data-path / data-digits /
// data-scale (shown = value x scale, e.g. 100 for percentages) for the browser test.
std::string num_td(const json& data, const std::string& pointer, int digits = 3, double scale = 1.0,
                   std::string_view suffix = "");
// The same as a <span>, for numbers inside text.
std::string num_span(const json& data, const std::string& pointer, int digits = 3,
                     double scale = 1.0, std::string_view suffix = "");

// A chart placeholder the page script fills: kind names a builder registered in the page's
// KS.charts; arg is passed to it (e.g. which set).
std::string canvas(std::string_view id, std::string_view kind, std::string_view arg = "",
                   int width = 760, int height = 320);

// "Not available: <why>" for a section whose stage did not give data; names the stage's status.
std::string missing_note(const json& data, std::string_view stage, std::string_view what);

// A rendered section: HTML, and the page script that registers its chart builders.
struct Section {
  std::string id, title, html;
};

Section section_summary(const json& data);      // model, options, counts per type and label
Section section_stages(const json& data);       // stage list with status, time, reason
Section section_layers(const json& data);       // MaxMin per layer with per-type top-5 bands
Section section_top_latents(const json& data);  // known / unknown tables, hooks, frequencies
Section section_highlights(const json& data);   // token highlights and top contexts
Section section_refusal(const json& data);      // refusal rates with controls, other side
Section section_balance(const json& data);      // balance curve, sweep, yes/no
Section section_heads(const json& data);        // patching heatmap, attention, dA per head
Section section_uncertainty(const json& data);  // ROC curve, AUROC / F1 vs baselines
Section section_paper(const json& data);        // headline numbers beside the paper's
// The rows of section_paper, stored in the data as "comparison" before rendering.
json build_comparison(const json& data);

// The page around the sections: head, styles, Chart.js, the data block, the runtime script.
std::string page(std::string_view title, const json& data, const std::vector<Section>& sections,
                 const std::string& chartjs_source);

// The JavaScript of every chart builder (report_charts_js.cpp).
std::string_view charts_js();

}  // namespace knowscope::study::report
