// knowscope latents: placeholder until its owner lands it.
#include "cli/commands.h"
#include "knowscope/core/error.h"

namespace knowscope::cli {

Runner add_latents(CLI::App& app) {
  app.add_subcommand("latents", "Find the known- and unknown-entity latents (not implemented yet)");
  return [] {
    throw Error("knowscope latents: not implemented yet");
    return 1;
  };
}

}  // namespace knowscope::cli
