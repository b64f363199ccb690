// knowscope sae: placeholder until its owner lands it.
#include "cli/commands.h"
#include "knowscope/core/error.h"

namespace knowscope::cli {

Runner add_sae(CLI::App& app) {
  app.add_subcommand("sae",
                     "Sparse autoencoders: train, evaluate, the default set (not implemented yet)");
  return [] {
    throw Error("knowscope sae: not implemented yet");
    return 1;
  };
}

}  // namespace knowscope::cli
