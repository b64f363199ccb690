// Subcommands of the knowscope command line. Each registers its options on the app and returns the
// function that runs it.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace knowscope::cli {

using Runner = std::function<int()>;

Runner add_info(CLI::App& app);
Runner add_tokenize(CLI::App& app);
Runner add_generate(CLI::App& app);
Runner add_entities(CLI::App& app);
Runner add_capture(CLI::App& app);
Runner add_sae(CLI::App& app);
Runner add_latents(CLI::App& app);
Runner add_steer(CLI::App& app);
Runner add_heads(CLI::App& app);
Runner add_uncertainty(CLI::App& app);
Runner add_run(CLI::App& app);

}  // namespace knowscope::cli
