// knowscope capture: activations at hook points and positions of prompts, to a shard folder (the
// SAE trainer's input) or as JSON lines on stdout.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "knowscope/core/error.h"
#include "knowscope/core/parallel.h"
#include "knowscope/hooks/capture.h"
#include "knowscope/hooks/hook_names.h"
#include "knowscope/model/model.h"
#include "knowscope/model/registry.h"

namespace knowscope::cli {
namespace {

struct CaptureCliOptions {
  std::string model = "gemma-3-270m";
  std::vector<std::string> prompts;
  std::string prompts_file;
  std::vector<std::string> hooks;
  std::string positions = "last";
  std::string substring_rule = "bytes";
  std::string out;
  std::string dtype = "f32";
  int64_t batch_tokens = 4096;
  int64_t shard_prompts = 1024;
  int threads = 0;
  bool no_bos = false;
  std::string numerics = "exact";
};

struct PromptLine {
  std::string text;
  std::string substring;  // from a .jsonl "substring" field: overrides --positions
};

std::vector<PromptLine> read_prompts_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path, "", "cannot open the prompts file");
  const bool jsonl = path.size() >= 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
  std::vector<PromptLine> out;
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (!jsonl) {
      out.push_back({line, ""});
      continue;
    }
    const std::string field = "line " + std::to_string(n);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      fail(path, field, std::string("not valid JSON: ") + e.what());
    }
    if (!j.is_object() || !j.contains("prompt") || !j["prompt"].is_string())
      fail(path, field, "expected an object with a string \"prompt\"");
    PromptLine p{j["prompt"].get<std::string>(), ""};
    if (j.contains("substring")) {
      if (!j["substring"].is_string() || j["substring"].get<std::string>().empty())
        fail(path, field, "\"substring\" must be a non-empty string");
      p.substring = j["substring"].get<std::string>();
    }
    out.push_back(std::move(p));
  }
  return out;
}

// "blocks.3.attn.hook_z:0,2" -> name and heads.
HookRequest parse_hook_request(const std::string& s) {
  HookRequest r;
  const size_t colon = s.find(':');
  r.name = s.substr(0, colon);
  if (colon == std::string::npos) return r;
  PositionSpec heads = parse_position_spec(s.substr(colon + 1));
  if (heads.kind != PositionSpec::Kind::List)
    fail("--hook", s, "heads after ':' must be a comma list, e.g. blocks.3.attn.hook_z:0,2");
  for (int64_t h : heads.list) r.heads.push_back(int(h));
  return r;
}

}  // namespace

Runner add_capture(CLI::App& app) {
  auto opt = std::make_shared<CaptureCliOptions>();
  auto* cmd = app.add_subcommand(
      "capture", "Capture activations at hook points (TransformerLens names) and positions");
  cmd->add_option("prompts", opt->prompts, "Prompt texts");
  cmd->add_option("-m,--model", opt->model, "Model name in the cache, .gguf file or HF folder")
      ->capture_default_str();
  cmd->add_option("--hook", opt->hooks,
                  "Hook to capture, repeatable: e.g. blocks.6.hook_resid_post, or "
                  "blocks.3.attn.hook_z:0,2 for heads 0 and 2 of a head hook")
      ->required()
      ->allow_extra_args(false);
  cmd->add_option("--positions", opt->positions,
                  "last | all | 0,3,-1 (negative: from the end) | substring:TEXT (last token of "
                  "TEXT)")
      ->capture_default_str();
  cmd->add_option("--substring-rule", opt->substring_rule,
                  "bytes: token spans of the text; paper: the paper's decode search")
      ->check(CLI::IsMember({"bytes", "paper"}))
      ->capture_default_str();
  cmd->add_option("--prompts-file", opt->prompts_file,
                  ".txt (one prompt per line) or .jsonl ({\"prompt\": ..., \"substring\": ...})");
  cmd->add_option("-o,--out", opt->out,
                  "Output folder (safetensors shards, resumable); without it JSON lines go to "
                  "stdout");
  cmd->add_option("--dtype", opt->dtype, "Shard dtype")
      ->check(CLI::IsMember({"f32", "bf16"}))
      ->capture_default_str();
  cmd->add_option("--batch-tokens", opt->batch_tokens, "Tokens per forward call")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(1), int64_t(1) << 30));
  cmd->add_option("--shard-prompts", opt->shard_prompts, "Prompts per shard")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(1), int64_t(1) << 30));
  cmd->add_option("--threads", opt->threads, "Worker threads (default: all cores)");
  cmd->add_flag("--no-bos", opt->no_bos, "Do not add BOS to the prompts");
  cmd->add_option("--numerics", opt->numerics,
                  "Arithmetic: exact (float32 from the file's weights), llama.cpp (llama.cpp's CPU "
                  "arithmetic reproduced bit for bit: its activations exactly; docs/engine.md) or "
                  "llama.cpp-f32-cache (its rounding with an f32 KV cache)")
      ->capture_default_str();
  return [opt] {
    if (opt->threads > 0) set_num_threads(opt->threads);
    std::vector<PromptLine> lines;
    for (const auto& p : opt->prompts) lines.push_back({p, ""});
    if (!opt->prompts_file.empty()) {
      auto more = read_prompts_file(opt->prompts_file);
      lines.insert(lines.end(), more.begin(), more.end());
    }
    if (lines.empty()) fail("capture", "prompts", "give prompts or --prompts-file");
    CaptureOptions co;
    for (const auto& h : opt->hooks) co.hooks.push_back(parse_hook_request(h));
    co.max_batch_tokens = opt->batch_tokens;
    co.numerics = parse_numerics(opt->numerics);
    co.progress = true;
    const PositionSpec spec = parse_position_spec(opt->positions);
    const SubstringRule rule =
        opt->substring_rule == "paper" ? SubstringRule::PaperDecode : SubstringRule::ByteOffsets;

    Model model = load_model(resolve_model_path(opt->model));
    if (!model.tokenizer) fail(model.path, "tokenizer", "the model files hold no tokenizer");
    for (const auto& h : co.hooks) parse_hook_name(h.name, model.config.n_layers);
    EncodeOptions eo;
    eo.add_bos = !opt->no_bos;
    std::vector<CapturePrompt> prompts;
    for (size_t i = 0; i < lines.size(); ++i) {
      PositionSpec s = spec;
      if (!lines[i].substring.empty()) {
        s.kind = PositionSpec::Kind::Substring;
        s.substring = lines[i].substring;
      }
      prompts.push_back(make_capture_prompt(*model.tokenizer, lines[i].text, s, eo, rule,
                                            "prompt " + std::to_string(i)));
    }

    if (!opt->out.empty()) {
      DiskCaptureOptions disk;
      disk.folder = opt->out;
      disk.dtype = opt->dtype == "bf16" ? DType::BF16 : DType::F32;
      disk.prompts_per_shard = opt->shard_prompts;
      disk.model_name = model.config.name;
      DiskCaptureSummary s = capture_to_disk(model, prompts, co, disk);
      nlohmann::json j{{"rows", s.rows},
                       {"shards", s.shards},
                       {"shards_skipped", s.shards_skipped},
                       {"folders", s.hook_folders}};
      std::printf("%s\n", j.dump().c_str());
      return 0;
    }
    CaptureResult r = capture(model, prompts, co);
    for (int64_t row = 0; row < r.rows(); ++row)
      for (const CapturedHook& h : r.hooks) {
        const float* v = h.row(row);
        nlohmann::json j{{"prompt", r.prompt[size_t(row)]},
                         {"position", r.position[size_t(row)]},
                         {"token", r.token[size_t(row)]},
                         {"token_text", model.tokenizer->decode({r.token[size_t(row)]})},
                         {"hook", h.name},
                         {"shape", h.row_shape},
                         {"values", std::vector<float>(v, v + h.row_numel())}};
        if (!h.heads.empty()) j["heads"] = h.heads;
        std::printf("%s\n", j.dump().c_str());
      }
    return 0;
  };
}

}  // namespace knowscope::cli
