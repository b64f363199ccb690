// The report renderer: escaping, the embedded data block, checkable numbers, missing sections,
// and the page built from the synthetic run folder in tests/fixtures/report/run.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/study/report.h"
#include "study/report_html.h"
#include "test_paths.h"

namespace knowscope::study {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

const std::string kNasty = "Tom & \"Jerry's\" <b id=\"injected\">Movie</b>";

// A stand-in for Chart.js (the page only needs some script there).
std::string fake_chartjs() {
  const std::string p = test::temp_dir() + "/fake_chart.js";
  write_file_atomic(p, "window.Chart = function() {}; /* </script> inside a comment */");
  return p;
}

// The text of <script type="application/json" id="ks-data">...</script>.
std::string data_block(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"ks-data\">";
  const size_t a = html.find(open);
  EXPECT_NE(a, std::string::npos);
  const size_t b = html.find("</script>", a);
  return html.substr(a + open.size(), b - a - open.size());
}

TEST(ReportHtml, EscapesEveryMarkupCharacter) {
  EXPECT_EQ(report::esc(kNasty),
            "Tom &amp; &quot;Jerry&#39;s&quot; &lt;b id=&quot;injected&quot;&gt;Movie&lt;/b&gt;");
  EXPECT_EQ(report::esc("plain"), "plain");
}

TEST(ReportHtml, JsonBlockCannotCloseTheScript) {
  const json v = {{"name", "</script><script>alert(1)</script><!-- & -->"}, {"n", 3}};
  const std::string s = report::json_for_script(v);
  EXPECT_EQ(s.find('<'), std::string::npos);
  EXPECT_EQ(s.find('>'), std::string::npos);
  EXPECT_EQ(s.find('&'), std::string::npos);
  EXPECT_EQ(json::parse(s), v);  // the same data after parsing
}

TEST(ReportHtml, ScriptSourceCannotCloseTheScript) {
  EXPECT_EQ(report::js_for_script("a='</script>'; b='</SCRIPT >'; c='</div>'"),
            "a='<\\/script>'; b='<\\/SCRIPT >'; c='</div>'");
}

TEST(ReportHtml, NumbersCarryTheirPointer) {
  const json data = {{"a", {{"b c/d", 0.123456}}}, {"n", 7}, {"s", "x"}};
  EXPECT_EQ(report::num_td(data, "/a/" + report::ptr_part("b c/d"), 2),
            "<td class=\"num\" data-path=\"/a/b c~1d\" data-digits=\"2\" data-scale=\"1\">0.12"
            "</td>");
  EXPECT_EQ(report::num_span(data, "/n"),
            "<span class=\"num\" data-path=\"/n\" data-digits=\"3\" data-scale=\"1\">7</span>");
  // Absent or non-numeric: shown as a dash, not tagged.
  EXPECT_EQ(report::num_td(data, "/missing"), "<td class=\"num\">–</td>");
  EXPECT_EQ(report::fmt(json(0.5), 1), "0.5");
  EXPECT_EQ(report::fmt(json(nullptr)), "–");
}

TEST(ReportRender, FixtureRunFolder) {
  const json data = build_report_data(test::fixture("report/run"));
  ASSERT_TRUE(data["latents"].is_object());
  ASSERT_TRUE(data["steering"].contains("balance"));
  ASSERT_TRUE(data["heads"].contains("steer"));
  EXPECT_FALSE(data["labels"].contains("entities"));  // the entity list is left out
  const std::string html = render_report(data, fake_chartjs());

  // The hostile entity name never appears raw; its escaped form does.
  EXPECT_EQ(html.find(kNasty), std::string::npos);
  EXPECT_EQ(html.find("<b id=\"injected\">"), std::string::npos);
  EXPECT_NE(html.find(report::esc(kNasty)), std::string::npos);
  EXPECT_EQ(html.find("<script>alert(1)"), std::string::npos);
  // Chart.js text cannot end its own script element.
  EXPECT_EQ(html.find("/* </script> inside"), std::string::npos);

  // The data block gives back the data, plus the comparison rows.
  json embedded = json::parse(data_block(html));
  ASSERT_TRUE(embedded.contains("comparison"));
  EXPECT_EQ(embedded["latents"], data["latents"]);
  EXPECT_EQ(embedded["steering"], data["steering"]);
  EXPECT_EQ(embedded["latents"]["examples"][0]["entity"], kNasty);

  // Every section and chart kind is there.
  for (const char* id : {"summary", "stages", "paper", "layers", "latents", "highlights", "refusal",
                         "balance", "heads", "uncertainty"})
    EXPECT_NE(html.find("<section id=\"" + std::string(id) + "\">"), std::string::npos) << id;
  for (const char* kind :
       {"label-counts", "layer-profile", "refusal", "balance", "sweep", "yesno", "patching-resid",
        "patching-heads", "attention", "delta-attention", "delta-controls", "roc"})
    EXPECT_NE(html.find("data-chart=\"" + std::string(kind) + "\""), std::string::npos) << kind;
  EXPECT_EQ(html.find("Not available"), std::string::npos);

  // A shown number: the top known latent's score, from the fixture (0.55 -> "0.550").
  EXPECT_NE(html.find("data-path=\"/latents/known/0/score\" data-digits=\"3\" data-scale=\"1\">"
                      "0.550</td>"),
            std::string::npos);
  // The comparison row of the unknown-latent refusal copies the fixture's rates.
  bool found = false;
  for (const auto& row : embedded["comparison"])
    if (row["row"] == "6")
      for (const auto& it : row["ours"])
        if (it["label"] == "player") {
          EXPECT_EQ(it["value"], 0.9);  // 9 of 10 in the fixture
          found = true;
        }
  EXPECT_TRUE(found);
}

TEST(ReportRender, MissingSectionsSayWhy) {
  json data = {{"format", "knowscope-report"},
               {"version", 1},
               {"run", nullptr},
               {"stages",
                {{{"name", "latents"}, {"status", "unavailable"}, {"reason", "no <latents> lib"}},
                 {{"name", "steering"}, {"status", "failed"}, {"reason", "out of memory"}}}},
               {"labels", nullptr},
               {"latents", nullptr},
               {"steering", nullptr},
               {"heads", nullptr},
               {"uncertainty", nullptr}};
  const std::string html = render_report(data, fake_chartjs());
  EXPECT_NE(html.find("stage &#39;latents&#39; unavailable: no &lt;latents&gt; lib"),
            std::string::npos);
  EXPECT_NE(html.find("stage &#39;steering&#39; failed: out of memory"), std::string::npos);
  EXPECT_NE(html.find("the run has no &#39;heads&#39; stage"), std::string::npos);
  EXPECT_NE(html.find("not measured in this run"), std::string::npos);
  // No chart without data.
  EXPECT_EQ(html.find("data-chart=\"layer-profile\""), std::string::npos);
  EXPECT_EQ(html.find("data-chart=\"refusal\""), std::string::npos);
}

TEST(ReportRender, LatentsPage) {
  const json latents =
      json::parse(read_file(test::fixture("report/run/stages/latents/latents.json")));
  const std::string html = render_latents_page(latents, fake_chartjs());
  EXPECT_NE(html.find("data-chart=\"layer-profile\""), std::string::npos);
  EXPECT_NE(html.find("<section id=\"highlights\">"), std::string::npos);
  EXPECT_EQ(html.find("<section id=\"refusal\">"), std::string::npos);
  EXPECT_EQ(html.find(kNasty), std::string::npos);
}

TEST(ReportRender, ChartJsMissingIsAClearError) {
  ::setenv("KNOWSCOPE_CHARTJS", "/nonexistent/chart.js", 1);
  try {
    find_chartjs();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("KNOWSCOPE_CHARTJS"), std::string::npos);
  }
  ::unsetenv("KNOWSCOPE_CHARTJS");
}

TEST(ReportRender, UnfinishedStageIsNotRead) {
  // A stage folder with results but no done.json (interrupted) is left out of the report data.
  const std::string dir = test::temp_dir() + "/report_unfinished";
  fs::create_directories(dir + "/stages/latents");
  fs::copy_file(test::fixture("report/run/stages/latents/latents.json"),
                dir + "/stages/latents/latents.json");
  const json data = build_report_data(dir);
  EXPECT_TRUE(data["latents"].is_null());
}

}  // namespace
}  // namespace knowscope::study
