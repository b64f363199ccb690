// Training a set of SAEs from a live model: capture once to shards, train each layer, evaluate,
// write sae_set.json last.
#include "knowscope/sae/train_set.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/core/progress.h"
#include "knowscope/hooks/capture.h"
#include "knowscope/hooks/hook_names.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/sae/corpus.h"
#include "knowscope/sae/sae_eval.h"
#include "knowscope/sae/sae_io.h"

namespace knowscope {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;
double cpu_now() { return double(std::clock()) / CLOCKS_PER_SEC; }
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string hook_for(const std::string& tmpl, int layer) {
  std::string h = tmpl;
  auto p = h.find("{N}");
  if (p == std::string::npos) fail("sae set", "hook_template", "'" + tmpl + "' has no {N}");
  h.replace(p, 3, std::to_string(layer));
  return h;
}

int64_t total_steps(const SaeSetTrainConfig& c) {
  return std::max<int64_t>(
      1, int64_t(std::ceil(double(c.train_tokens) * c.passes / double(c.sae.batch_size))));
}

struct Split {
  std::vector<CorpusDoc> train, heldout;
};
Split split_corpus(const std::string& path, int64_t heldout_docs) {
  std::vector<CorpusDoc> docs = read_corpus(path);
  if (int64_t(docs.size()) <= heldout_docs)
    fail(path, "",
         "has " + std::to_string(docs.size()) + " documents; more than the " +
             std::to_string(heldout_docs) + " held out for evaluation are needed");
  Split s;
  s.heldout.assign(docs.end() - heldout_docs, docs.end());
  docs.resize(docs.size() - size_t(heldout_docs));
  s.train = std::move(docs);
  return s;
}

std::vector<std::vector<int32_t>> sequences(const Model& model, const std::vector<CorpusDoc>& d,
                                            int64_t context, int64_t tokens) {
  if (!model.tokenizer) fail(model.path, "tokenizer", "the model files hold no tokenizer");
  CorpusChunkOptions o;
  o.context = context;
  o.max_tokens = tokens;
  return corpus_sequences(*model.tokenizer, d, o);
}

// Settings equal but for the model's name: the set's folder already says which model, and the
// same model may be named by its registry name or its file.
bool same_settings(json a, json b) {
  a.erase("model");
  b.erase("model");
  return a == b;
}

std::string corpus_json(const std::string& path) {
  json j = {{"path", path}};
  std::string manifest = path;
  if (manifest.size() > 6 && manifest.ends_with(".jsonl")) manifest.resize(manifest.size() - 6);
  manifest += ".manifest.json";
  if (fs::exists(manifest)) {
    try {
      json m = json::parse(read_file(manifest));
      for (const char* k : {"sha256", "documents", "chars", "sources"})
        if (m.contains(k)) j[k] = m[k];
    } catch (const json::exception&) {
      // The manifest only adds provenance; a broken one is not worth failing for.
    }
  }
  return j.dump();
}

}  // namespace

std::vector<int> spread_layers(int n_layers, int n) {
  std::vector<int> out;
  if (n >= n_layers) {
    for (int i = 0; i < n_layers; ++i) out.push_back(i);
    return out;
  }
  // Evenly spaced, ending at the last block: i * n_layers / n + (n_layers / n - 1).
  for (int i = 0; i < n; ++i) {
    int l = int(std::lround(double(i + 1) * n_layers / n)) - 1;
    if (out.empty() || l > out.back()) out.push_back(l);
  }
  return out;
}

std::vector<int> parse_layer_list(const std::string& spec, int n_layers) {
  auto bad = [&](const std::string& why) -> std::vector<int> {
    fail("--layers", spec, why + " (expected all, spread:N, or a list like 0,4,8 or 2-10)");
  };
  if (spec == "all") return spread_layers(n_layers, n_layers);
  if (spec.rfind("spread:", 0) == 0) {
    int n = 0;
    try {
      n = std::stoi(spec.substr(7));
    } catch (...) {
      return bad("not a count");
    }
    if (n < 1) return bad("count must be positive");
    return spread_layers(n_layers, n);
  }
  std::vector<int> out;
  size_t i = 0;
  while (i <= spec.size()) {
    size_t j = spec.find(',', i);
    if (j == std::string::npos) j = spec.size();
    std::string item = spec.substr(i, j - i);
    if (item.empty()) return bad("empty item");
    int a = 0, b = 0;
    try {
      size_t dash = item.find('-', 1);
      size_t used = 0;
      a = std::stoi(item, &used);
      b = a;
      if (dash != std::string::npos)
        b = std::stoi(item.substr(dash + 1));
      else if (used != item.size())
        return bad("'" + item + "' is not a number");
    } catch (...) {
      return bad("'" + item + "' is not a number or range");
    }
    if (a < 0 || b >= n_layers || a > b)
      return bad("'" + item + "' is outside blocks 0-" + std::to_string(n_layers - 1));
    for (int l = a; l <= b; ++l) out.push_back(l);
    i = j + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

SaeSetTrainConfig sae_set_profile(const std::string& profile, const ModelConfig& model) {
  SaeSetTrainConfig c;
  c.profile = profile;
  SaeTrainConfig& s = c.sae;
  // TopK with AuxK, small batches for enough steps at a small token budget, and a learning rate
  // that converges within them (the sweep in docs/sae.md).
  s.arch = SaeTrainArch::TopK;
  s.batch_size = 256;
  s.lr = 2e-3f;
  s.adam_beta1 = 0.9f;
  s.lr_warmup_steps = 20;
  s.lr_decay_fraction = 0.3f;
  s.b_dec_init = BdecInit::GeometricMedian;
  s.shuffle_buffer_rows = 32768;
  s.log_every = 50;
  const int64_t d = model.d_model;
  if (profile == "quick") {
    c.layers = spread_layers(model.n_layers, 6);
    s.d_sae = 2 * d;
    s.k = 32;
    c.train_tokens = 16384;
    c.passes = 3;
    s.shuffle_buffer_rows = 8192;
    c.eval_tokens = 2048;
    c.eval_ce_tokens = 256;
  } else if (profile == "default") {
    c.layers = spread_layers(model.n_layers, model.n_layers);
    s.d_sae = 4 * d;
    s.k = 32;
    c.train_tokens = 131072;
    c.passes = 2;
    c.eval_tokens = 8192;
    c.eval_ce_tokens = 512;
  } else if (profile == "full") {
    c.layers = spread_layers(model.n_layers, model.n_layers);
    s.d_sae = 16384;
    s.k = 64;
    s.batch_size = 1024;
    s.lr = 1e-3f;
    s.lr_warmup_steps = 50;
    s.shuffle_buffer_rows = 131072;
    c.train_tokens = 1'000'000;
    c.passes = 2;
    c.eval_tokens = 32768;
    c.eval_ce_tokens = 2048;
  } else {
    fail("--profile", profile, "unknown profile (expected quick, default or full)");
  }
  // A latent counts as dead in training after a full pass over the captured tokens without firing.
  s.dead_tokens = std::max<int64_t>(c.train_tokens, 10 * s.batch_size);
  return c;
}

std::string sae_set_train_config_json(const SaeSetTrainConfig& c) {
  const SaeTrainConfig& s = c.sae;
  json j = {{"profile", c.profile},
            {"model", c.model_name},
            {"layers", c.layers},
            {"hook_template", c.hook_template},
            {"train_tokens", c.train_tokens},
            {"passes", c.passes},
            {"total_steps", total_steps(c)},
            {"context", c.context},
            {"heldout_docs", c.heldout_docs},
            {"eval_tokens", c.eval_tokens},
            {"eval_ce_tokens", c.eval_ce_tokens},
            {"shard_dtype", dtype_name(c.shard_dtype)},
            {"sae",
             {{"arch", train_arch_name(s.arch)},
              {"d_sae", s.d_sae},
              {"k", s.k},
              {"batch_size", s.batch_size},
              {"shuffle_buffer_rows", s.shuffle_buffer_rows},
              {"seed", s.seed},
              {"lr", s.lr},
              {"adam_beta1", s.adam_beta1},
              {"adam_beta2", s.adam_beta2},
              {"lr_warmup_steps", s.lr_warmup_steps},
              {"lr_decay_fraction", s.lr_decay_fraction},
              {"l0_coefficient", s.l0_coefficient},
              {"sparsity_warmup_steps", s.sparsity_warmup_steps},
              {"bandwidth", s.bandwidth},
              {"init_threshold", s.init_threshold},
              {"jumprelu_aux_k", s.jumprelu_aux_k},
              {"l1_coefficient", s.l1_coefficient},
              {"aux_k_coefficient", s.aux_k_coefficient},
              {"aux_k", s.aux_k},
              {"dead_tokens", s.dead_tokens},
              {"apply_b_dec_to_input", s.apply_b_dec_to_input},
              {"normalize_inputs", s.normalize_inputs}}}};
  return j.dump();
}

std::vector<std::string> evaluate_sae_set(const Model& model, SaeSet& set,
                                          const std::string& corpus_path, int64_t heldout_docs,
                                          int64_t context, int64_t eval_tokens,
                                          int64_t eval_ce_tokens, bool progress) {
  Split sp = split_corpus(corpus_path.empty() ? default_corpus_path() : corpus_path, heldout_docs);
  auto act = sequences(model, sp.heldout, context, eval_tokens);
  auto ce = sequences(model, sp.heldout, context, eval_ce_tokens);
  std::vector<const Sae*> saes;
  for (auto& L : set.layers) saes.push_back(&load_layer_sae(L));
  SaeEvalConfig ec;
  ec.progress = progress;
  std::vector<SaeEvalResult> r = evaluate_saes_on_model(model, saes, act, ce, ec);
  std::vector<std::string> out;
  for (const auto& x : r) out.push_back(sae_eval_to_json(x));
  return out;
}

SaeSetTrainResult train_sae_set(const Model& model, const SaeSetTrainConfig& cfg_in) {
  const auto t_start = Clock::now();
  const double c_start = cpu_now();
  SaeSetTrainConfig cfg = cfg_in;
  if (cfg.corpus_path.empty()) cfg.corpus_path = default_corpus_path();
  check(!cfg.out_dir.empty(), "sae set", "out_dir", "no output folder given");
  check(!cfg.layers.empty(), "sae set", "layers", "no layers chosen");
  check(cfg.sae.d_sae > 0, "sae set", "d_sae", "must be positive");
  check(cfg.train_tokens >= cfg.sae.batch_size, "sae set", "train_tokens",
        "fewer than one batch (" + std::to_string(cfg.sae.batch_size) + ")");
  if (cfg.work_dir.empty()) cfg.work_dir = cfg.out_dir + ".work";
  const std::string cfg_json = sae_set_train_config_json(cfg);
  const json cfg_j = json::parse(cfg_json);

  SaeSetTrainResult res;
  const fs::path out = cfg.out_dir, work = cfg.work_dir;
  if (fs::exists(out / "sae_set.json")) {
    SaeSet old = load_sae_set(cfg.out_dir);
    if (!cfg.force && same_settings(json::parse(old.train_json), cfg_j)) {
      res.set = std::move(old);
      res.reused = true;
      return res;
    }
    if (!cfg.force)
      fail((out / "sae_set.json").string(), "train",
           "this folder holds a set trained with another configuration; pick another output "
           "folder or force retraining");
    fs::remove(out / "sae_set.json");
  }
  // A work folder of another configuration (or corpus) is stale: start over.
  const fs::path work_cfg = work / "config.json";
  json work_j = cfg_j;
  work_j["corpus"] = json::parse(corpus_json(cfg.corpus_path));
  if (fs::exists(work_cfg) && !same_settings(json::parse(read_file(work_cfg.string())), work_j)) {
    std::fprintf(stderr, "sae set: %s holds another configuration's work; starting over\n",
                 work.c_str());
    fs::remove_all(work);
    for (int l : cfg.layers) fs::remove_all(out / ("layer_" + std::to_string(l)));
  }
  fs::create_directories(work);
  fs::create_directories(out);
  write_file_atomic(work_cfg.string(), work_j.dump(2) + "\n");

  std::vector<std::string> hooks;
  for (int l : cfg.layers) {
    hooks.push_back(hook_for(cfg.hook_template, l));
    parse_hook_name(hooks.back(), model.config.n_layers);  // validates
  }

  // 1-2. Corpus sequences and one capture pass.
  Split sp = split_corpus(cfg.corpus_path, cfg.heldout_docs);
  const auto t_cap = Clock::now();
  const double c_cap = cpu_now();
  auto seqs = sequences(model, sp.train, cfg.context, cfg.train_tokens);
  std::vector<CapturePrompt> prompts;
  const int64_t first =
      sequences_start_with_bos(model, seqs) ? 1 : 0;  // the BOS row is not trained
  for (auto& s : seqs) {
    CapturePrompt p;
    p.tokens = std::move(s);
    for (int64_t i = first; i < int64_t(p.tokens.size()); ++i) p.positions.push_back(i);
    res.tokens_captured += int64_t(p.positions.size());
    prompts.push_back(std::move(p));
  }
  // (Pieces shorter than 8 tokens are dropped, so the budget can fall a few tokens short.)
  if (res.tokens_captured < cfg.train_tokens - cfg.context)
    std::fprintf(stderr, "sae set: the corpus gave %lld training tokens of the %lld asked for\n",
                 (long long)res.tokens_captured, (long long)cfg.train_tokens);
  CaptureOptions co;
  for (const auto& h : hooks) co.hooks.push_back({h, {}});
  co.max_batch_tokens = 2048;
  co.progress = cfg.progress;
  DiskCaptureOptions dco;
  dco.folder = (work / "activations").string();
  dco.dtype = cfg.shard_dtype;
  dco.prompts_per_shard = cfg.prompts_per_shard;
  dco.model_name = cfg.model_name;
  if (cfg.progress)
    std::fprintf(stderr, "sae set: capturing %lld tokens at %zu hooks\n",
                 (long long)res.tokens_captured, hooks.size());
  capture_to_disk(model, prompts, co, dco);
  prompts.clear();
  prompts.shrink_to_fit();
  res.seconds_capture = since(t_cap);
  res.cpu_capture = cpu_now() - c_cap;

  // 3. One SAE per layer.
  const auto t_train = Clock::now();
  const double c_train = cpu_now();
  SaeSet set;
  set.dir = cfg.out_dir;
  set.model = cfg.model_name;
  set.hook_template = cfg.hook_template;
  set.corpus_json = corpus_json(cfg.corpus_path);
  set.train_json = cfg_json;
  set.from_index = true;
  std::vector<json> train_stats;
  for (size_t i = 0; i < cfg.layers.size(); ++i) {
    const int l = cfg.layers[i];
    const std::string name = "layer_" + std::to_string(l);
    const fs::path layer_dir = out / name, done = work / (name + ".done.json");
    SaeSetLayer L;
    L.layer_block = parse_hook_name(hooks[i], model.config.n_layers).layer;
    L.hook = hooks[i];
    L.path = layer_dir.string();
    if (fs::exists(done) && fs::exists(layer_dir / "cfg.json")) {
      train_stats.push_back(json::parse(read_file(done.string())));
      load_layer_sae(L);
      set.layers.push_back(std::move(L));
      continue;
    }
    SaeTrainConfig tc = cfg.sae;
    tc.total_steps = total_steps(cfg);
    tc.seed = cfg.sae.seed + uint64_t(l);
    tc.hook_name = hooks[i];
    tc.model_name = cfg.model_name;
    tc.checkpoint_dir = (work / "checkpoints" / name).string();
    tc.checkpoint_every = std::max<int64_t>(tc.total_steps / 4, 1);
    tc.show_progress = cfg.progress;
    if (cfg.progress)
      std::fprintf(stderr, "sae set: layer %d (%zu of %zu), %s, %lld steps\n", l, i + 1,
                   cfg.layers.size(), hooks[i].c_str(), (long long)tc.total_steps);
    auto src = make_shard_source((work / "activations" / hooks[i]).string(), true);
    const std::string resume = latest_checkpoint(tc.checkpoint_dir);
    SaeTrainResult tr = train_sae(*src, tc, resume);
    json ts = {{"steps", tr.last.step},
               {"tokens_seen", tr.tokens_seen},
               {"seconds", tr.seconds},
               {"l0", tr.last.l0},
               {"explained_variance", tr.last.explained_variance},
               {"dead_fraction", tr.last.dead_fraction},
               {"dense_fraction", tr.last.dense_fraction},
               {"resumed", !resume.empty()}};
    json meta = {{"knowscope_sae_set", {{"profile", cfg.profile}, {"layer_block", l}}}};
    save_saelens(tr.sae, layer_dir.string(), meta.dump());
    write_file_atomic(done.string(), ts.dump(2) + "\n");
    train_stats.push_back(ts);
    L.sae = std::make_shared<Sae>(std::move(tr.sae));
    L.d_sae = L.sae->d_sae;
    L.arch = sae_arch_name(L.sae->arch);
    set.layers.push_back(std::move(L));
    if (cfg.progress)
      std::fprintf(stderr, "sae set: %zu of %zu layers trained, %.0f s so far, about %.0f s left\n",
                   i + 1, cfg.layers.size(), since(t_train),
                   since(t_train) / double(i + 1) * double(cfg.layers.size() - i - 1));
  }
  res.seconds_train = since(t_train);
  res.cpu_train = cpu_now() - c_train;

  // 4. Held-out evaluation, then the index.
  const auto t_eval = Clock::now();
  const double c_eval = cpu_now();
  std::vector<std::string> m =
      evaluate_sae_set(model, set, cfg.corpus_path, cfg.heldout_docs, cfg.context, cfg.eval_tokens,
                       cfg.eval_ce_tokens, cfg.progress);
  for (size_t i = 0; i < set.layers.size(); ++i) {
    json mj = json::parse(m[i]);
    mj["train"] = train_stats[i];
    set.layers[i].metrics_json = mj.dump();
  }
  res.seconds_eval = since(t_eval);
  res.seconds_total = since(t_start);
  res.cpu_eval = cpu_now() - c_eval;
  res.cpu_total = cpu_now() - c_start;
  json tj = cfg_j;
  tj["seconds"] = {{"capture", res.seconds_capture}, {"train", res.seconds_train},
                   {"eval", res.seconds_eval},       {"total", res.seconds_total},
                   {"cpu_capture", res.cpu_capture}, {"cpu_train", res.cpu_train},
                   {"cpu_eval", res.cpu_eval},       {"cpu_total", res.cpu_total}};
  tj["tokens_captured"] = res.tokens_captured;
  // Timings are kept under "train_timing" in the index: "train" must compare equal on reuse.
  set.train_json = cfg_json;
  write_sae_set_index(set);
  {
    json idx = json::parse(read_file((out / "sae_set.json").string()));
    idx["train_timing"] = tj["seconds"];
    idx["tokens_captured"] = res.tokens_captured;
    write_file_atomic((out / "sae_set.json").string(), idx.dump(2) + "\n");
  }
  if (!cfg.keep_work) fs::remove_all(work);
  res.set = std::move(set);
  return res;
}

}  // namespace knowscope
