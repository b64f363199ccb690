// Which Chart.js build the report inlines (report.h).
#include <cstdlib>
#include <filesystem>

#include "knowscope/core/error.h"
#include "knowscope/study/report.h"

namespace knowscope::study {

std::string find_chartjs() {
  if (const char* env = std::getenv("KNOWSCOPE_CHARTJS"); env && *env) {
    if (!std::filesystem::is_regular_file(env))
      fail(env, "KNOWSCOPE_CHARTJS", "no such file (expected a UMD build of Chart.js)");
    return env;
  }
  // chart.min.js of Debian's libjs-chart.js (3.9) is the UMD build: it defines window.Chart
  // without a module loader. chart.umd.js is the name of later releases' UMD build.
  for (const char* p :
       {"/usr/share/javascript/chart.js/chart.min.js",
        "/usr/share/javascript/chart.js/chart.umd.js", "/usr/share/javascript/chart.js/chart.js"})
    if (std::filesystem::is_regular_file(p)) return p;
  fail("/usr/share/javascript/chart.js", "",
       "Chart.js not found: install Debian's libjs-chart.js (apt-get install libjs-chart.js) "
       "or set KNOWSCOPE_CHARTJS to a UMD build of Chart.js");
}

}  // namespace knowscope::study
