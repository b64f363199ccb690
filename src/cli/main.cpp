// knowscope: the command line.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "knowscope/core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"knowscope: does the model know this entity?"};
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const knowscope::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
