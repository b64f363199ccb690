// knowscope tokenize: token ids, pieces and byte offsets of a text.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "knowscope/model/model.h"
#include "knowscope/model/tokenizer.h"

namespace knowscope::cli {
namespace {

struct TokenizeOptions {
  std::string model = "gemma-3-270m";
  std::string text;
  bool json = false;
  bool no_bos = false;
  bool no_special = false;
};

}  // namespace

Runner add_tokenize(CLI::App& app) {
  auto opt = std::make_shared<TokenizeOptions>();
  auto* cmd = app.add_subcommand("tokenize", "Show the tokens of a text, with byte offsets");
  cmd->add_option("text", opt->text, "Text to tokenize")->required();
  cmd->add_option("-m,--model", opt->model, "Model name in the cache, .gguf file or HF folder")
      ->capture_default_str();
  cmd->add_flag("--json", opt->json, "Print JSON");
  cmd->add_flag("--no-bos", opt->no_bos, "Do not add BOS");
  cmd->add_flag("--no-special", opt->no_special, "Treat special-token markers as plain text");
  return [opt] {
    auto tok = load_tokenizer(opt->model);
    EncodeOptions eo;
    eo.add_bos = !opt->no_bos;
    eo.parse_special = !opt->no_special;
    auto spans = tok->encode_spans(opt->text, eo);
    if (opt->json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& s : spans)
        out.push_back(
            {{"id", s.id}, {"piece", tok->token_text(s.id)}, {"begin", s.begin}, {"end", s.end}});
      std::printf("%s\n", out.dump().c_str());
      return 0;
    }
    std::printf("%zu tokens\n", spans.size());
    for (const auto& s : spans)
      std::printf("%8d  [%zu, %zu)  %s\n", s.id, s.begin, s.end,
                  nlohmann::json(tok->token_text(s.id)).dump().c_str());
    return 0;
  };
}

}  // namespace knowscope::cli
