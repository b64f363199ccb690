// knowscope generate: greedy or sampled continuations of prompts, streamed to stdout.
#include <cstdio>
#include <optional>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "knowscope/core/error.h"
#include "knowscope/core/parallel.h"
#include "knowscope/model/chat_template.h"
#include "knowscope/model/generate.h"
#include "knowscope/model/model.h"
#include "knowscope/model/registry.h"

namespace knowscope::cli {
namespace {

struct GenerateCliOptions {
  std::string model = "gemma-3-270m";
  std::vector<std::string> prompts;
  int max_new_tokens = 32;
  float temperature = 0.0f;
  int top_k = 0;
  float top_p = 1.0f;
  float min_p = 0.0f;
  int samples = 1;
  uint64_t seed = 0;
  int threads = 0;
  bool no_bos = false;
  bool chat = false;
  std::string chat_format;
  std::string system;
  bool json = false;
  std::vector<std::string> stop;
};

}  // namespace

Runner add_generate(CLI::App& app) {
  auto opt = std::make_shared<GenerateCliOptions>();
  auto* cmd = app.add_subcommand("generate", "Continue one or more prompts");
  cmd->add_option("prompts", opt->prompts, "Prompt texts")->required();
  cmd->add_option("-m,--model", opt->model, "Model name in the cache, .gguf file or HF folder")
      ->capture_default_str();
  cmd->add_option("-n,--max-tokens", opt->max_new_tokens, "New tokens per completion")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("-t,--temperature", opt->temperature, "0 = greedy")->capture_default_str();
  cmd->add_option("--top-k", opt->top_k, "Keep the k most likely tokens (0 = off)");
  cmd->add_option("--top-p", opt->top_p, "Nucleus sampling threshold (1 = off)");
  cmd->add_option("--min-p", opt->min_p, "Drop tokens below min_p x p(top) (0 = off)");
  cmd->add_option("-s,--samples", opt->samples, "Completions per prompt")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--seed", opt->seed, "Random seed for sampling")->capture_default_str();
  cmd->add_option("--threads", opt->threads, "Worker threads (default: all cores)");
  cmd->add_option("--stop", opt->stop, "Stop strings");
  cmd->add_flag("--no-bos", opt->no_bos, "Do not add BOS to the prompts");
  cmd->add_flag("--chat", opt->chat, "Wrap each prompt as a user turn in the model's chat template");
  cmd->add_option("--chat-format", opt->chat_format,
                  "Chat format instead of the detected one: gemma, chatml, qwen2, smollm2, llama3");
  cmd->add_option("--system", opt->system, "System message for --chat");
  cmd->add_flag("--json", opt->json, "Print one JSON object per completion");
  return [opt] {
    if (opt->threads > 0) set_num_threads(opt->threads);
    Model model = load_model(resolve_model_path(opt->model));
    if (!model.tokenizer) fail(model.path, "tokenizer", "the model files hold no tokenizer");
    EncodeOptions eo;
    eo.add_bos = !opt->no_bos;
    std::optional<ChatFormat> format;
    if (opt->chat || !opt->chat_format.empty()) {
      format = opt->chat_format.empty()
                   ? detect_chat_format(model.tokenizer->chat_template, model.config.arch)
                   : chat_format_from_name(opt->chat_format);
      if (!format)
        fail(opt->chat_format.empty() ? model.path : opt->chat_format, "chat format",
             "unknown; give --chat-format gemma|chatml|qwen2|smollm2|llama3");
      // The Gemma and Llama 3 templates write BOS as text.
      if (chat_format_has_bos(*format)) eo.add_bos = false;
    }
    std::vector<std::vector<int32_t>> prompts;
    for (const auto& p : opt->prompts) {
      std::string text = p;
      if (format) {
        std::vector<ChatMessage> messages;
        if (!opt->system.empty()) messages.push_back({"system", opt->system});
        messages.push_back({"user", p});
        text = apply_chat_template(*format, messages, true);
      }
      prompts.push_back(model.tokenizer->encode(text, eo));
    }

    GenerateOptions go;
    go.max_new_tokens = opt->max_new_tokens;
    go.stop_strings = opt->stop;
    go.seed = opt->seed;
    SamplingParams sp;
    sp.temperature = opt->temperature;
    sp.top_k = opt->top_k;
    sp.top_p = opt->top_p;
    sp.min_p = opt->min_p;
    go.samples.assign(size_t(opt->samples), sp);
    // Stream the text of a single completion as it is produced; otherwise print at the end.
    bool stream = !opt->json && prompts.size() == 1 && opt->samples == 1;
    if (stream) {
      std::printf("%s%s", opt->prompts[0].c_str(), format ? "\n" : "");
      std::fflush(stdout);
      auto decoded = std::make_shared<std::string>();
      auto tokens = std::make_shared<std::vector<int32_t>>();
      auto stops = resolve_stop_tokens(model, go);
      go.on_token = [&model, decoded, tokens, stops](const TokenEvent& ev) {
        for (int32_t s : stops)
          if (ev.token == s) return true;
        // Decode the whole completion each time so multi-byte characters split over tokens print
        // whole; print only what is new.
        tokens->push_back(ev.token);
        std::string text = model.tokenizer->decode(*tokens);
        if (text.size() > decoded->size() && text.compare(0, decoded->size(), *decoded) == 0) {
          std::printf("%s", text.c_str() + decoded->size());
          std::fflush(stdout);
          *decoded = text;
        }
        return true;
      };
    }
    auto completions = generate(model, prompts, go);
    if (stream) {
      std::printf("\n");
      return 0;
    }
    for (const auto& c : completions) {
      if (opt->json) {
        nlohmann::json j{{"prompt", opt->prompts[size_t(c.prompt)]}, {"sample", c.sample},
                         {"text", c.text},   {"tokens", c.tokens},
                         {"logprobs", c.logprobs}, {"stop", stop_reason_name(c.stop)}};
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf("[%d.%d] %s%s\n", c.prompt, c.sample, opt->prompts[size_t(c.prompt)].c_str(),
                    c.text.c_str());
      }
    }
    return 0;
  };
}

}  // namespace knowscope::cli
