// knowscope steer: placeholder until its owner lands it.
#include "cli/commands.h"
#include "knowscope/core/error.h"

namespace knowscope::cli {

Runner add_steer(CLI::App& app) {
  app.add_subcommand(
      "steer", "Steering experiments: refusal, balance curve, yes/no probe (not implemented yet)");
  return [] {
    throw Error("knowscope steer: not implemented yet");
    return 1;
  };
}

}  // namespace knowscope::cli
