// The whole uncertainty stage on a model: prompts from the labels file, residuals captured at
// every SAE hook of the set in one batched pass, the greedy answer's probability, the analysis.
#include <chrono>
#include <cmath>

#include "knowscope/core/error.h"
#include "knowscope/core/progress.h"
#include "knowscope/hooks/capture.h"
#include "knowscope/hooks/hook_names.h"
#include "knowscope/model/generate.h"
#include "knowscope/model/model.h"
#include "knowscope/study/labelling.h"
#include "knowscope/study/uncertainty.h"

namespace knowscope::study {
namespace {

PromptFormat analysed_format(const LabelsFile& labels, const UncertaintyConfig& config) {
  if (config.format) return *config.format;
  const PromptFormat f = labels.config.format;
  return f == PromptFormat::chat ? PromptFormat::free : f;
}

// Greedy answers with their token log-probabilities, in chunks for the progress bar.
void greedy_baseline(const Model& model, std::vector<UncertaintyPrompt>& prompts,
                     PromptFormat format, const UncertaintyConfig& config) {
  const Tokenizer& tok = *model.tokenizer;
  const bool one_line = format == PromptFormat::base || format == PromptFormat::fewshot;
  constexpr size_t chunk = 32;
  Progress progress("uncertainty: greedy answers", int64_t(prompts.size()), "prompts");
  for (size_t b = 0; b < prompts.size(); b += chunk) {
    const size_t e = std::min(prompts.size(), b + chunk);
    std::vector<std::vector<int32_t>> ids;
    for (size_t i = b; i < e; ++i) ids.push_back(prompts[i].tokens);
    GenerateOptions go;
    go.max_new_tokens = config.greedy_tokens;
    go.samples = {SamplingParams{}};
    std::vector<AnswerLineScanner> scanners(ids.size(), AnswerLineScanner(format));
    std::vector<int32_t> one(1);
    if (one_line)  // stop where the answer line ends, as the labelling does
      go.on_token = [&](const TokenEvent& ev) {
        one[0] = ev.token;
        return !scanners[size_t(ev.prompt)].feed(tok.decode(one, true));
      };
    for (const Completion& c : generate(model, ids, go)) {
      UncertaintyPrompt& p = prompts[b + size_t(c.prompt)];
      if (c.logprobs.empty()) {
        p.first_token_prob = p.mean_logprob = std::nan("");
        continue;
      }
      p.first_token_prob = std::exp(double(c.logprobs.front()));
      double s = 0;
      for (float lp : c.logprobs) s += lp;
      p.mean_logprob = s / double(c.logprobs.size());
      p.greedy_answer = c.text;
      if (one_line) {
        const size_t cut = answer_line_end(p.greedy_answer, format);
        if (cut != std::string::npos) p.greedy_answer.resize(cut);
      }
    }
    if (config.progress) progress.advance(int64_t(e - b));
  }
  if (config.progress) progress.finish();
}

}  // namespace

UncertaintyResult run_uncertainty(const Model& model, const LabelsFile& labels, SaeSet& sae_set,
                                  const UncertaintyConfig& config) {
  const auto t0 = std::chrono::steady_clock::now();
  if (!model.tokenizer) fail(model.path, "tokenizer", "the model files hold no tokenizer");
  const PromptFormat format = analysed_format(labels, config);
  size_t refusals = 0;
  std::vector<UncertaintyPrompt> prompts =
      uncertainty_prompts(model, labels, format, config, &refusals);
  locate_positions(model, prompts, format);

  // One hook per SAE layer that reads the residual stream (resid_pre / resid_post / hook_embed).
  std::vector<std::string> notes;
  std::vector<SaeSetLayer*> used;
  CaptureOptions co;
  co.max_batch_tokens = config.max_batch_tokens;
  co.progress = config.progress;
  for (SaeSetLayer& layer : sae_set.layers) {
    int paper_layer = -1;
    try {
      paper_layer = paper_latent_for(layer.hook, 0).layer;
    } catch (const Error&) {
      notes.push_back("skipped SAE on " + layer.hook + ": not a residual-stream hook");
      continue;
    }
    // As the latent search: no latents on the embeddings (l = 0) or after the last block (no
    // blocks.{n_layers}.hook_resid_pre).
    if (paper_layer <= 0 || paper_layer >= model.config.n_layers) {
      notes.push_back("skipped SAE on " + layer.hook + ": paper layer " +
                      std::to_string(paper_layer) +
                      " is not scored (embeddings or after the "
                      "last block)");
      continue;
    }
    const Sae& sae = load_layer_sae(layer);
    if (sae.d_in != model.config.d_model)
      fail(layer.path, "d_in",
           "SAE width " + std::to_string(sae.d_in) + " != model d_model " +
               std::to_string(model.config.d_model));
    used.push_back(&layer);
    co.hooks.push_back({layer.hook, {}});
  }
  if (used.empty()) fail(sae_set.dir, "layers", "no SAE on a residual-stream hook");

  std::vector<LayerResiduals> layers;
  if (!prompts.empty()) {
    std::vector<CapturePrompt> cps;
    for (const auto& p : prompts) cps.push_back({p.tokens, {p.position}});
    const CaptureResult cap = capture(model, cps, co);
    for (SaeSetLayer* layer : used) {
      const CapturedHook& h = cap.hook(layer->hook);
      LayerResiduals L;
      L.sae_hook = layer->hook;
      L.sae = layer->sae.get();
      L.d_model = h.row_numel();
      L.resid.resize(prompts.size() * size_t(L.d_model));
      for (size_t i = 0; i < prompts.size(); ++i) {
        const int64_t row = cap.find_row(int(i), prompts[i].position);
        if (row < 0) fail("capture", layer->hook, "missing row of prompt " + std::to_string(i));
        std::copy(h.row(row), h.row(row) + L.d_model,
                  L.resid.begin() + long(i * size_t(L.d_model)));
      }
      layers.push_back(std::move(L));
    }
    if (config.greedy_tokens > 0) greedy_baseline(model, prompts, format, config);
  }

  UncertaintyResult r;
  if (prompts.empty()) {
    r.config = config;
    r.status = "insufficient_data";
    r.reason = "the labels file has no usable prompts";
  } else {
    r = analyse_uncertainty(prompts, layers, config);
  }
  r.excluded_refusal = refusals;
  r.model = config.model_name.empty() ? labels.model.name : config.model_name;
  r.sae_set = sae_set.dir;
  r.labels = config.labels_path;
  r.labels_format = std::string(format_name(labels.config.format));
  r.prompt_format = std::string(format_name(format));
  const bool chat = format == PromptFormat::chat || format == PromptFormat::free;
  r.position_rule = chat ? "end-of-instruction marker" : "last prompt token";
  if (!prompts.empty()) {
    r.example_prompt = prompts.front().text;
    r.example_token =
        model.tokenizer->decode({prompts.front().tokens[size_t(prompts.front().position)]});
  }
  r.notes.insert(r.notes.begin(), notes.begin(), notes.end());
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

UncertaintyResult run_uncertainty(const Model& model, const UncertaintyConfig& config) {
  const LabelsFile labels = read_labels_file(config.labels_path);
  SaeSet set = load_sae_set(config.sae_set_dir);
  return run_uncertainty(model, labels, set, config);
}

}  // namespace knowscope::study
