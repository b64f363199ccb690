// knowscope sae: train a set of SAEs on a model over the generic corpus (train-set), evaluate a set
// with its SAEs spliced into the model (eval), show a set (info), and train one SAE from captured
// activation shards (train).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "knowscope/core/error.h"
#include "knowscope/core/parallel.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/model/model.h"
#include "knowscope/model/registry.h"
#include "knowscope/sae/activations.h"
#include "knowscope/sae/sae_io.h"
#include "knowscope/sae/sae_set.h"
#include "knowscope/sae/train.h"
#include "knowscope/sae/train_set.h"

namespace knowscope::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

SaeTrainArch parse_arch(const std::string& s) {
  if (s == "topk") return SaeTrainArch::TopK;
  if (s == "batchtopk") return SaeTrainArch::BatchTopK;
  if (s == "jumprelu") return SaeTrainArch::JumpRelu;
  if (s == "relu") return SaeTrainArch::Relu;
  fail("--arch", s, "expected topk, batchtopk, jumprelu or relu");
}

double num(const json& m, const char* k) {
  auto it = m.find(k);
  return it != m.end() && it->is_number() ? it->get<double>() : std::nan("");
}

// The per-layer table of a set, as docs/sae.md shows it.
void print_table(const SaeSet& set, FILE* f) {
  std::fprintf(f, "%-26s %7s %-8s %7s %7s %9s %8s %8s %7s %7s\n", "hook", "d_sae", "arch", "L0",
               "FVU", "MSE", "CE rec", "KL", "dead%", "dense%");
  for (const auto& L : set.layers) {
    json m = json::parse(L.metrics_json);
    std::fprintf(f, "%-26s %7lld %-8s %7.1f %7.3f %9.4g %8.3f %8.4f %7.2f %7.2f\n", L.hook.c_str(),
                 (long long)L.d_sae, L.arch.c_str(), num(m, "l0"), num(m, "fvu"), num(m, "mse"),
                 num(m, "ce_loss_score"), num(m, "kl_sae"), 100 * num(m, "dead_fraction"),
                 100 * num(m, "dense_fraction"));
  }
}

struct TrainSetOptions {
  std::string model = "gemma-3-270m";
  std::string profile = "default";
  std::string layers, arch, corpus, out;
  int64_t width = 0, k = 0, tokens = 0, batch = 0, context = 0, eval_tokens = -1,
          eval_ce_tokens = -1;
  double passes = 0, lr = 0;
  int64_t seed = -1;
  bool keep_work = false, force = false;
  int threads = 0;
};

int run_train_set(const TrainSetOptions& o) {
  if (o.threads > 0) set_num_threads(o.threads);
  Model model = load_model(resolve_model_path(o.model));
  SaeSetTrainConfig c = sae_set_profile(o.profile, model.config);
  const std::string base = sae_set_train_config_json(c);
  c.model_name = o.model;
  if (!o.layers.empty()) c.layers = parse_layer_list(o.layers, model.config.n_layers);
  if (!o.arch.empty()) c.sae.arch = parse_arch(o.arch);
  if (o.width > 0) c.sae.d_sae = o.width;
  if (o.k > 0) c.sae.k = o.k;
  if (o.tokens > 0) {
    c.train_tokens = o.tokens;
    c.sae.dead_tokens = std::max<int64_t>(c.train_tokens, 10 * c.sae.batch_size);
  }
  if (o.passes > 0) c.passes = o.passes;
  if (o.batch > 0) c.sae.batch_size = o.batch;
  if (o.lr > 0) c.sae.lr = float(o.lr);
  if (o.context > 0) c.context = o.context;
  if (o.eval_tokens >= 0) c.eval_tokens = o.eval_tokens;
  if (o.eval_ce_tokens >= 0) c.eval_ce_tokens = o.eval_ce_tokens;
  if (o.seed >= 0) c.sae.seed = uint64_t(o.seed);
  c.corpus_path = o.corpus;
  c.keep_work = o.keep_work;
  c.force = o.force;
  c.out_dir = o.out;
  if (c.out_dir.empty()) {
    // A set with settings of its own gets a folder of its own beside the profile's.
    SaeSetTrainConfig probe = c;
    probe.model_name.clear();
    std::string name = o.profile;
    json a = json::parse(sae_set_train_config_json(probe)), b = json::parse(base);
    if (a != b) {
      char h[20];
      std::snprintf(h, sizeof h, "-%08zx", std::hash<std::string>{}(a.dump()) & 0xffffffffu);
      name += h;
    }
    c.out_dir = default_sae_set_dir(o.model, name);
  }
  std::fprintf(stderr,
               "sae train-set: %s, profile %s, %zu layers, %s d_sae %lld k %lld, %lld tokens x "
               "%.3g passes\n  folder %s\n",
               o.model.c_str(), o.profile.c_str(), c.layers.size(),
               c.sae.arch == SaeTrainArch::TopK ? "topk" : o.arch.c_str(), (long long)c.sae.d_sae,
               (long long)c.sae.k, (long long)c.train_tokens, c.passes, c.out_dir.c_str());
  SaeSetTrainResult r = train_sae_set(model, c);
  if (r.reused)
    std::fprintf(stderr, "sae train-set: %s already holds this set; reused\n", c.out_dir.c_str());
  print_table(r.set, stderr);
  json out = {{"sae_set", c.out_dir},
              {"reused", r.reused},
              {"layers", r.set.layers.size()},
              {"tokens_captured", r.tokens_captured},
              {"seconds",
               {{"capture", r.seconds_capture},
                {"train", r.seconds_train},
                {"eval", r.seconds_eval},
                {"total", r.seconds_total}}},
              {"cpu_seconds",
               {{"capture", r.cpu_capture},
                {"train", r.cpu_train},
                {"eval", r.cpu_eval},
                {"total", r.cpu_total}}}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

struct EvalOptions {
  std::string model = "gemma-3-270m";
  std::string set_dir, corpus, out;
  int64_t tokens = 8192, ce_tokens = 1024, context = 128, heldout_docs = 1000;
  bool update = false;
  int threads = 0;
};

int run_eval(const EvalOptions& o) {
  if (o.threads > 0) set_num_threads(o.threads);
  SaeSet set = load_sae_set(o.set_dir);
  Model model = load_model(resolve_model_path(o.model));
  std::vector<std::string> m = evaluate_sae_set(model, set, o.corpus, o.heldout_docs, o.context,
                                                o.tokens, o.ce_tokens, true);
  json layers = json::array();
  for (size_t i = 0; i < set.layers.size(); ++i) {
    json mj = json::parse(m[i]);
    json old = json::parse(set.layers[i].metrics_json);
    if (old.contains("train")) mj["train"] = old["train"];
    set.layers[i].metrics_json = mj.dump();
    layers.push_back({{"layer_block", set.layers[i].layer_block},
                      {"hook", set.layers[i].hook},
                      {"metrics", json::parse(m[i])}});
  }
  print_table(set, stderr);
  json out = {{"sae_set", o.set_dir},
              {"model", o.model},
              {"eval", {{"tokens", o.tokens}, {"ce_tokens", o.ce_tokens}, {"context", o.context}}},
              {"layers", layers}};
  if (!o.out.empty())
    write_file_atomic(o.out, out.dump(2) + "\n");
  else
    std::printf("%s\n", out.dump(2).c_str());
  if (o.update) {
    if (!set.from_index) fail(o.set_dir, "sae_set.json", "a plain folder has no index to update");
    json idx = json::parse(read_file((fs::path(o.set_dir) / "sae_set.json").string()));
    for (size_t i = 0; i < set.layers.size(); ++i)
      for (auto& e : idx["layers"])
        if (e["hook"] == set.layers[i].hook) e["metrics"] = json::parse(set.layers[i].metrics_json);
    write_file_atomic((fs::path(o.set_dir) / "sae_set.json").string(), idx.dump(2) + "\n");
  }
  return 0;
}

int run_info(const std::string& dir) {
  SaeSet set = load_sae_set(dir);
  std::printf("SAE set %s\n  model %s, %zu layers%s\n", dir.c_str(),
              set.model.empty() ? "(not recorded)" : set.model.c_str(), set.layers.size(),
              set.from_index ? "" : " (plain folder: no sae_set.json)");
  if (set.train_json != "{}") std::printf("  trained with %s\n", set.train_json.c_str());
  print_table(set, stdout);
  return 0;
}

struct TrainOneOptions {
  std::string activations, out, arch = "topk", resume;
  int64_t width = 4096, k = 32, steps = 1000, batch = 1024;
  double lr = 4e-4;
  int64_t seed = 0, checkpoint_every = 0;
  int threads = 0;
};

int run_train_one(const TrainOneOptions& o) {
  if (o.threads > 0) set_num_threads(o.threads);
  ActivationIndex idx = read_activation_index(o.activations);
  SaeTrainConfig c;
  c.arch = parse_arch(o.arch);
  c.d_sae = o.width;
  c.k = o.k;
  c.total_steps = o.steps;
  c.batch_size = o.batch;
  c.lr = float(o.lr);
  c.adam_beta1 = 0.9f;
  c.lr_warmup_steps = std::min<int64_t>(100, o.steps / 10);
  c.seed = uint64_t(o.seed);
  c.hook_name = idx.hook_name;
  c.model_name = idx.model_name;
  c.dead_tokens = std::max<int64_t>(idx.total_rows, 10 * o.batch);
  c.shuffle_buffer_rows = std::min<int64_t>(65536, std::max<int64_t>(idx.total_rows, o.batch));
  c.checkpoint_dir = (fs::path(o.out) / "checkpoints").string();
  c.checkpoint_every = o.checkpoint_every;
  auto src = make_shard_source(o.activations, true);
  std::string resume = o.resume;
  if (resume.empty()) resume = latest_checkpoint(c.checkpoint_dir);
  SaeTrainResult r = train_sae(*src, c, resume);
  save_saelens(r.sae, o.out);
  json out = {{"sae", o.out},
              {"hook", idx.hook_name},
              {"steps", r.last.step},
              {"tokens_seen", r.tokens_seen},
              {"seconds", r.seconds},
              {"l0", r.last.l0},
              {"explained_variance", r.last.explained_variance},
              {"dead_fraction", r.last.dead_fraction}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace

Runner add_sae(CLI::App& app) {
  auto* cmd = app.add_subcommand("sae", "Sparse autoencoders: train a set, evaluate, show");
  cmd->require_subcommand(1);

  auto ts = std::make_shared<TrainSetOptions>();
  auto* tset = cmd->add_subcommand(
      "train-set",
      "Train one SAE per layer over the generic corpus (reuses a finished set of the same "
      "settings; resumes an interrupted one)");
  tset->add_option("-m,--model", ts->model, "Model name, .gguf file or HF folder")
      ->capture_default_str();
  tset->add_option("--profile", ts->profile, "quick | default | full (docs/sae.md)")
      ->capture_default_str();
  tset->add_option("--layers", ts->layers,
                   "all | spread:N | 0,4,8 | 2-10 (default: the profile's)");
  tset->add_option("--arch", ts->arch, "topk | batchtopk | jumprelu | relu");
  tset->add_option("--width", ts->width, "Latents per SAE (d_sae)");
  tset->add_option("--k", ts->k, "Active latents per token (TopK) / on average (BatchTopK)");
  tset->add_option("--tokens", ts->tokens, "Corpus tokens captured per layer");
  tset->add_option("--passes", ts->passes, "Passes over the captured tokens");
  tset->add_option("--batch", ts->batch, "Training batch (tokens)");
  tset->add_option("--lr", ts->lr, "Adam learning rate");
  tset->add_option("--context", ts->context, "Tokens per corpus sequence, BOS included");
  tset->add_option("--eval-tokens", ts->eval_tokens, "Held-out tokens for L0/FVU/dead");
  tset->add_option("--eval-ce-tokens", ts->eval_ce_tokens,
                   "Held-out tokens for CE recovered and KL (0: skip)");
  tset->add_option("--seed", ts->seed, "Training seed");
  tset->add_option("--corpus", ts->corpus, "Corpus JSONL (default: the Debian corpus)");
  tset->add_option("-o,--out", ts->out,
                   "Set folder (default: $KNOWSCOPE_HOME/saes/<model>/<profile>)");
  tset->add_flag("--keep-work", ts->keep_work, "Keep activation shards and checkpoints");
  tset->add_flag("--force", ts->force, "Retrain even when the folder holds a finished set");
  tset->add_option("--threads", ts->threads, "Worker threads (default: all cores)");

  auto eo = std::make_shared<EvalOptions>();
  auto* eval = cmd->add_subcommand(
      "eval",
      "Evaluate a set on held-out corpus tokens: L0, FVU, MSE, dead/dense, and CE loss "
      "recovered and KL with each SAE spliced into the model");
  eval->add_option("-m,--model", eo->model, "Model")->capture_default_str();
  eval->add_option("--sae-set", eo->set_dir, "Set folder (sae_set.json or SAE subfolders)")
      ->required();
  eval->add_option("--tokens", eo->tokens, "Tokens for the activation metrics")
      ->capture_default_str();
  eval->add_option("--ce-tokens", eo->ce_tokens, "Tokens for CE recovered / KL (0: skip)")
      ->capture_default_str();
  eval->add_option("--context", eo->context, "Tokens per sequence")->capture_default_str();
  eval->add_option("--heldout-docs", eo->heldout_docs, "Held-out documents at the corpus's end")
      ->capture_default_str();
  eval->add_option("--corpus", eo->corpus, "Corpus JSONL (default: the Debian corpus)");
  eval->add_option("-o,--out", eo->out, "Write the JSON here instead of stdout");
  eval->add_flag("--update", eo->update, "Store the metrics in sae_set.json");
  eval->add_option("--threads", eo->threads, "Worker threads (default: all cores)");

  auto info_dir = std::make_shared<std::string>();
  auto* info = cmd->add_subcommand("info", "Show a set's layers and metrics");
  info->add_option("dir", *info_dir, "Set folder")->required();

  auto to = std::make_shared<TrainOneOptions>();
  auto* train = cmd->add_subcommand(
      "train", "Train one SAE from captured activation shards (knowscope capture -o)");
  train->add_option("--activations", to->activations, "Shard folder with index.json")->required();
  train->add_option("-o,--out", to->out, "SAELens output folder")->required();
  train->add_option("--arch", to->arch, "topk | batchtopk | jumprelu | relu")
      ->capture_default_str();
  train->add_option("--width", to->width, "d_sae")->capture_default_str();
  train->add_option("--k", to->k, "TopK k")->capture_default_str();
  train->add_option("--steps", to->steps, "Training steps")->capture_default_str();
  train->add_option("--batch", to->batch, "Batch (tokens)")->capture_default_str();
  train->add_option("--lr", to->lr, "Adam learning rate")->capture_default_str();
  train->add_option("--seed", to->seed, "Seed")->capture_default_str();
  train->add_option("--checkpoint-every", to->checkpoint_every, "Steps between checkpoints");
  train->add_option("--resume", to->resume, "Checkpoint folder to resume from");
  train->add_option("--threads", to->threads, "Worker threads (default: all cores)");

  return [cmd, tset, eval, info, train, ts, eo, info_dir, to]() -> int {
    if (tset->parsed()) return run_train_set(*ts);
    if (eval->parsed()) return run_eval(*eo);
    if (info->parsed()) return run_info(*info_dir);
    if (train->parsed()) return run_train_one(*to);
    std::fprintf(stderr, "%s", cmd->help().c_str());
    return 1;
  };
}

}  // namespace knowscope::cli
