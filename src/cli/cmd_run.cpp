// knowscope run: the whole study in one run folder (study/run.h), with the HTML report.
#include <cstdio>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "knowscope/core/error.h"
#include "knowscope/study/report.h"
#include "knowscope/study/run.h"

namespace knowscope::cli {
namespace {

struct RunCli {
  study::RunOptions o;
  bool quick = false, full = false, report_only = false;
  std::string only;
};

}  // namespace

Runner add_run(CLI::App& app) {
  auto cli = std::make_shared<RunCli>();
  CLI::App* sub = app.add_subcommand(
      "run",
      "The whole study in one run folder: labelling, SAE set, latents, steering, heads, "
      "uncertainty, and report.html (resumable; see docs/run.md)");
  sub->add_option("-m,--model", cli->o.model, "Model name, .gguf file or HF folder")
      ->capture_default_str();
  auto* q = sub->add_flag("--quick", cli->quick, "Small sizes: under 10 minutes on 2 cores");
  auto* f = sub->add_flag("--full", cli->full, "Paper-sized study (hours)");
  q->excludes(f);
  sub->add_option("--out", cli->o.out, "Run folder (default runs/<model>-<profile>)");
  sub->add_option("--sae-set", cli->o.sae_set,
                  "SAE set folder (default: the model's default set, trained when missing)");
  sub->add_option("--entities", cli->o.entities, "Entity file in the paper's schema");
  sub->add_option("--labels", cli->o.labels, "An existing labels file (skips labelling)");
  sub->add_option("--threads", cli->o.threads, "Threads (default: all cores)");
  sub->add_option("--min-known-attributes", cli->o.min_known_attributes,
                  "Known = this many attributes known (paper 2; quick/default profiles use 1)")
      ->check(CLI::Range(1, 6));
  sub->add_option("--only", cli->only,
                  "Run only these stages (comma list: labelling,sae,latents,steering,heads,"
                  "uncertainty); the others are reused when done");
  sub->add_flag("--report-only", cli->report_only,
                "Only rebuild report.html of the run folder --out");
  return [cli] {
    study::RunOptions o = cli->o;
    o.profile = cli->quick ? "quick" : cli->full ? "full" : "default";
    std::stringstream ss(cli->only);
    for (std::string item; std::getline(ss, item, ',');)
      if (!item.empty()) o.only.push_back(item);
    if (cli->report_only) {
      if (o.out.empty()) fail("--report-only", "", "needs --out RUN_FOLDER");
      std::printf("report: %s\n", study::write_report(o.out).c_str());
      return 0;
    }
    const study::RunSummary s = study::run_study(o);
    std::printf("%s", study::format_run_summary(s).c_str());
    for (const auto& st : s.stages)
      if (st.status == study::StageStatus::failed) return 2;
    return 0;
  };
}

}  // namespace knowscope::cli
