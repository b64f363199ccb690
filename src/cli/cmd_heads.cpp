// knowscope heads: placeholder until its owner lands it.
#include "cli/commands.h"
#include "knowscope/core/error.h"

namespace knowscope::cli {

Runner add_heads(CLI::App& app) {
  app.add_subcommand("heads",
                     "Attention heads: patching, attention to the entity, steering, logit lens "
                     "(not implemented yet)");
  return [] {
    throw Error("knowscope heads: not implemented yet");
    return 1;
  };
}

}  // namespace knowscope::cli
