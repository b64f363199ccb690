// The report page around its sections: styles, Chart.js, the data block, and the runtime that
// draws the charts and writes the self-check (report.h).
#include <string>

#include "study/report_html.h"

namespace knowscope::study::report {
namespace {

constexpr std::string_view kStyle = R"CSS(
body{font-family:system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
header{background:#1d2330;color:#fff;padding:14px 24px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#c9d1e0}
nav{padding:8px 24px;background:#e9edf3;font-size:14px}nav a{margin-right:14px;color:#234}
section{padding:6px 24px 18px;border-bottom:1px solid #dde2ea}h2{font-size:19px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #cfd6e0;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#eef1f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
.missing{color:#8a4b00;background:#fff4e0;padding:6px 10px;border-left:3px solid #e09000}
.note{color:#555;font-size:13px}.chart{max-width:800px;margin:8px 0}
.tok{padding:1px 0;border-radius:2px;white-space:pre-wrap}.hl{font-family:monospace;font-size:13px;
line-height:1.9}.ctx{font-family:monospace;font-size:12px}
.ok{color:#176a2e}.bad{color:#a01818}code{font-size:12px}
)CSS";

// Draws every <canvas data-chart> with the builder its kind names, then checks each canvas has
// pixels and writes the self-check. Builders return a Chart.js config, or draw themselves and
// return null (the heatmap).
constexpr std::string_view kRuntime = R"JS(
(function(){
  var check = {charts: [], errors: []};
  var data = null;
  try { data = JSON.parse(document.getElementById('ks-data').textContent); }
  catch (e) { check.errors.push('data: ' + e); }
  if (typeof Chart === 'undefined') check.errors.push('Chart.js did not load');
  else { Chart.defaults.animation = false; Chart.defaults.responsive = false; }
  var canvases = document.querySelectorAll('canvas[data-chart]');
  for (var i = 0; i < canvases.length; ++i) {
    var c = canvases[i], kind = c.getAttribute('data-chart'), arg = c.getAttribute('data-arg');
    var rec = {id: c.id, kind: kind, ok: false, pixels: 0};
    try {
      var build = KS.charts[kind];
      if (!build) throw new Error('no chart builder ' + kind);
      var cfg = build(data, arg, c);
      if (cfg) { var ch = new Chart(c.getContext('2d'), cfg); rec.datasets = ch.data.datasets.length; }
      var px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, n = 0;
      for (var k = 3; k < px.length; k += 4) if (px[k] !== 0) ++n;
      rec.pixels = n; rec.ok = n > 0;
    } catch (e) { rec.error = String(e && e.stack || e); }
    check.charts.push(rec);
  }
  var out = document.getElementById('ks-selfcheck');
  out.textContent = JSON.stringify(check);
})();
)JS";

}  // namespace

std::string page(std::string_view title, const json& data, const std::vector<Section>& sections,
                 const std::string& chartjs_source) {
  std::string html;
  html.reserve(chartjs_source.size() + 200000);
  html += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" +
          esc(title) + "</title>\n<style>" + std::string(kStyle) + "</style>\n";
  html += "<script>/* Chart.js, inlined from Debian's libjs-chart.js (MIT licence) */\n" +
          js_for_script(chartjs_source) + "\n</script>\n</head><body>\n";
  html += "<header><h1>" + esc(title) + "</h1>";
  const json& run = at(data, "/run");
  if (run.is_object())
    html += "<p>model " + esc(run.value("model", "?")) + " · profile " +
            esc(run.value("profile", "?")) + " · " + esc(run.value("created", "")) + "</p>";
  html += "</header>\n<nav>";
  for (const auto& s : sections) html += "<a href=\"#" + esc(s.id) + "\">" + esc(s.title) + "</a>";
  html += "</nav>\n";
  for (const auto& s : sections)
    html += "<section id=\"" + esc(s.id) + "\"><h2>" + esc(s.title) + "</h2>\n" + s.html +
            "</section>\n";
  html += "<pre id=\"ks-selfcheck\" hidden></pre>\n";
  html +=
      "<script type=\"application/json\" id=\"ks-data\">" + json_for_script(data) + "</script>\n";
  html += "<script>\n" + js_for_script(charts_js()) + "\n" + std::string(kRuntime) +
          "</script>\n</body></html>\n";
  return html;
}

}  // namespace knowscope::study::report
