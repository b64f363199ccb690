// knowscope uncertainty: placeholder until its owner lands it.
#include "cli/commands.h"
#include "knowscope/core/error.h"

namespace knowscope::cli {

Runner add_uncertainty(CLI::App& app) {
  app.add_subcommand("uncertainty",
                     "Uncertainty latents that predict wrong answers (not implemented yet)");
  return [] {
    throw Error("knowscope uncertainty: not implemented yet");
    return 1;
  };
}

}  // namespace knowscope::cli
