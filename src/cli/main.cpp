// knowscope: the command line.
#include <cstdio>
#include <map>

#include "cli/commands.h"
#include "knowscope/core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"knowscope: look inside a language model to tell whether it knows an entity"};
  app.require_subcommand(1);
  std::map<CLI::App*, knowscope::cli::Runner> runners;
  for (auto add :
       {knowscope::cli::add_info, knowscope::cli::add_tokenize, knowscope::cli::add_generate,
        knowscope::cli::add_entities, knowscope::cli::add_capture, knowscope::cli::add_sae,
        knowscope::cli::add_latents, knowscope::cli::add_steer, knowscope::cli::add_heads,
        knowscope::cli::add_uncertainty, knowscope::cli::add_run}) {
    size_t before = app.get_subcommands({}).size();
    auto run = add(app);
    runners[app.get_subcommands({})[before]] = std::move(run);
  }
  try {
    app.parse(argc, argv);
    for (auto* sub : app.get_subcommands())
      if (runners.count(sub)) return runners[sub]();
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const knowscope::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
