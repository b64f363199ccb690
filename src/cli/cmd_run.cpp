// knowscope run: placeholder until its owner lands it.
#include "cli/commands.h"
#include "knowscope/core/error.h"

namespace knowscope::cli {

Runner add_run(CLI::App& app) {
  app.add_subcommand("run", "The whole study in one command (not implemented yet)");
  return [] {
    throw Error("knowscope run: not implemented yet");
    return 1;
  };
}

}  // namespace knowscope::cli
