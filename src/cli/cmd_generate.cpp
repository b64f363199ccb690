// knowscope generate: greedy or sampled continuations of prompts, streamed to stdout; optionally
// steered (--steer, --steer-latent), with heads ablated (--ablate-head) or a direction projected
// out of the weights (--orthogonalize). Syntax in docs/hooks.md.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.h"
#include "knowscope/core/error.h"
#include "knowscope/core/parallel.h"
#include "knowscope/hooks/generate_hooks.h"
#include "knowscope/hooks/hook_names.h"
#include "knowscope/hooks/interventions.h"
#include "knowscope/hooks/orthogonalize.h"
#include "knowscope/hooks/positions.h"
#include "knowscope/hooks/vector_file.h"
#include "knowscope/model/chat_template.h"
#include "knowscope/model/generate.h"
#include "knowscope/model/model.h"
#include "knowscope/model/registry.h"
#include "knowscope/sae/sae_intervention.h"
#include "knowscope/sae/sae_io.h"

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
  std::vector<std::string> steer;
  std::vector<std::string> steer_latent;
  std::vector<std::string> ablate;
  std::string orthogonalize;
  std::string numerics = "exact";
};

// Splits on the first `n` colons: n + 1 parts at most (the last keeps its colons).
std::vector<std::string> split_colons(const std::string& s, size_t n) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (parts.size() < n) {
    size_t c = s.find(':', start);
    if (c == std::string::npos) break;
    parts.push_back(s.substr(start, c - start));
    start = c + 1;
  }
  parts.push_back(s.substr(start));
  return parts;
}

// POSITIONS of --steer / --ablate-head for each prompt: all | prompt | gen | 0,3,-1 | from=N |
// entity=TEXT (last token of TEXT to the end of the prompt) | at=TEXT (that token only).
Targets parse_targets(const std::string& s, const std::vector<std::string>& texts,
                      const std::vector<std::vector<TokenSpan>>& spans, const std::string& option) {
  if (s == "all") return Where::all();
  if (s == "prompt") return Where::prompt();
  if (s == "gen") return Where::generated();
  if (s.rfind("from=", 0) == 0) {
    PositionSpec p = parse_position_spec(s.substr(5));
    if (p.kind != PositionSpec::Kind::List || p.list.size() != 1)
      fail(option, s, "from=N takes one position");
    return Where::prompt_from(p.list[0]);
  }
  const bool entity = s.rfind("entity=", 0) == 0, at = s.rfind("at=", 0) == 0;
  if (entity || at) {
    const std::string text = s.substr(entity ? 7 : 3);
    if (text.empty()) fail(option, s, "empty text");
    std::vector<Where> per;
    for (size_t i = 0; i < texts.size(); ++i) {
      auto slice = substring_tokens_by_bytes(spans[i], texts[i], text);
      if (!slice) fail(option, s, "'" + text + "' not found in prompt " + std::to_string(i));
      per.push_back(entity ? Where::prompt_from(slice->end - 1) : Where::at({slice->end - 1}));
    }
    return Targets::each(std::move(per));
  }
  PositionSpec p = parse_position_spec(s);
  if (p.kind != PositionSpec::Kind::List)
    fail(option, s,
         "positions: all, prompt, gen, 0,3,-1, from=N, entity=TEXT (last token of TEXT to the "
         "end of the prompt) or at=TEXT (that token)");
  return Where::at(p.list);
}

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
  cmd->add_option("--numerics", opt->numerics,
                  "Arithmetic: exact (float32 from the file's weights), llama.cpp (llama.cpp's "
                  "CPU arithmetic reproduced bit for bit: the same logits and tokens as "
                  "llama.cpp on the same GGUF; docs/engine.md) or llama.cpp-f32-cache (its "
                  "rounding with an f32 KV cache)")
      ->capture_default_str();
  cmd->add_flag("--chat", opt->chat,
                "Wrap each prompt as a user turn in the model's chat template");
  cmd->add_option("--chat-format", opt->chat_format,
                  "Chat format instead of the detected one: gemma, chatml, qwen2, smollm2, llama3");
  cmd->add_option("--system", opt->system, "System message for --chat");
  cmd->add_flag("--json", opt->json, "Print one JSON object per completion");
  cmd->add_option("--steer", opt->steer,
                  "HOOK:POSITIONS:COEF:VECTOR, repeatable: add COEF x VECTOR (file.npy or "
                  "file.safetensors[:TENSOR][ROW]) at POSITIONS (all, prompt, gen, 0,3,-1, "
                  "from=N, entity=TEXT, at=TEXT)")
      ->allow_extra_args(false);
  cmd->add_option("--steer-latent", opt->steer_latent,
                  "SAE:LATENT:POSITIONS:COEF, repeatable: add COEF x W_dec[LATENT] of the SAE "
                  "(folder or file) at its hook (the paper's steering)")
      ->allow_extra_args(false);
  cmd->add_option("--ablate-head", opt->ablate, "L.H[:POSITIONS], repeatable: zero-ablate a head")
      ->allow_extra_args(false);
  cmd->add_option("--orthogonalize", opt->orthogonalize,
                  "VECTOR: project this direction out of the embedding, W_O and W_down");
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
    std::vector<std::string> texts;  // as encoded (after the chat template)
    std::vector<std::vector<TokenSpan>> spans;
    for (const auto& p : opt->prompts) {
      std::string text = p;
      if (format) {
        std::vector<ChatMessage> messages;
        if (!opt->system.empty()) messages.push_back({"system", opt->system});
        messages.push_back({"user", p});
        text = apply_chat_template(*format, messages, true);
      }
      spans.push_back(model.tokenizer->encode_spans(text, eo));
      std::vector<int32_t> ids;
      for (const TokenSpan& t : spans.back()) ids.push_back(t.id);
      prompts.push_back(std::move(ids));
      texts.push_back(std::move(text));
    }
    if (!opt->orthogonalize.empty())
      model = orthogonalize_weights(model, load_vector(opt->orthogonalize));
    HookSet hooks(model.config);
    for (const std::string& s : opt->steer) {
      auto parts = split_colons(s, 3);
      if (parts.size() != 4) fail("--steer", s, "expected HOOK:POSITIONS:COEF:VECTOR");
      float coef = 0;
      try {
        size_t used = 0;
        coef = std::stof(parts[2], &used);
        if (used != parts[2].size()) throw std::invalid_argument("coef");
      } catch (const std::exception&) {
        fail("--steer", s, "COEF '" + parts[2] + "' is not a number");
      }
      add_steering(hooks, parts[0], parse_targets(parts[1], texts, spans, "--steer"), coef,
                   load_vector(parts[3]));
    }
    for (const std::string& s : opt->steer_latent) {
      // The SAE path may hold ':'; the other three fields may not.
      std::vector<std::string> parts;
      std::string rest = s;
      for (int k = 0; k < 3; ++k) {
        const size_t c = rest.rfind(':');
        if (c == std::string::npos) fail("--steer-latent", s, "expected SAE:LATENT:POSITIONS:COEF");
        parts.insert(parts.begin(), rest.substr(c + 1));
        rest.resize(c);
      }
      parts.insert(parts.begin(), rest);
      int32_t latent = 0;
      float coef = 0;
      try {
        size_t u1 = 0, u2 = 0;
        latent = int32_t(std::stol(parts[1], &u1));
        coef = std::stof(parts[3], &u2);
        if (u1 != parts[1].size() || u2 != parts[3].size()) throw std::invalid_argument("x");
      } catch (const std::exception&) {
        fail("--steer-latent", s, "LATENT must be an integer and COEF a number");
      }
      Sae sae = load_sae(parts[0]);
      if (sae.hook_name.empty()) fail("--steer-latent", parts[0], "the SAE names no hook");
      const HookPoint hp = parse_hook_name(sae.hook_name, model.config.n_layers).point;
      const bool resid = hp == HookPoint::ResidPre || hp == HookPoint::ResidPost;
      std::fprintf(stderr, "steering %s\n",
                   (resid ? paper_latent_for(sae.hook_name, latent).describe()
                          : "latent " + std::to_string(latent) + " on " + sae.hook_name)
                       .c_str());
      add_steering(hooks, sae.hook_name, parse_targets(parts[2], texts, spans, "--steer-latent"),
                   coef, sae_latent_direction(sae, latent));
    }
    for (const std::string& s : opt->ablate) {
      auto parts = split_colons(s, 1);
      const size_t dot = parts[0].find('.');
      PositionSpec lh;
      if (dot != std::string::npos)
        lh = parse_position_spec(parts[0].substr(0, dot) + "," + parts[0].substr(dot + 1));
      if (dot == std::string::npos || lh.kind != PositionSpec::Kind::List || lh.list.size() != 2 ||
          lh.list[0] < 0 || lh.list[1] < 0)
        fail("--ablate-head", s, "expected LAYER.HEAD[:POSITIONS], e.g. 18.5 or 18.5:-1");
      Targets where = parts.size() > 1 ? parse_targets(parts[1], texts, spans, "--ablate-head")
                                       : Targets(Where::all());
      add_head_ablation(hooks, int(lh.list[0]), {int(lh.list[1])}, where);
    }

    GenerateOptions go;
    go.numerics = parse_numerics(opt->numerics);
    go.max_new_tokens = opt->max_new_tokens;
    go.stop_strings = opt->stop;
    go.seed = opt->seed;
    SamplingParams sp;
    sp.temperature = opt->temperature;
    sp.top_k = opt->top_k;
    sp.top_p = opt->top_p;
    sp.min_p = opt->min_p;
    go.samples.assign(size_t(opt->samples), sp);
    if (!hooks.empty()) attach_hooks(hooks, go);
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
        nlohmann::json j{{"prompt", opt->prompts[size_t(c.prompt)]},
                         {"sample", c.sample},
                         {"text", c.text},
                         {"tokens", c.tokens},
                         {"logprobs", c.logprobs},
                         {"stop", stop_reason_name(c.stop)}};
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
