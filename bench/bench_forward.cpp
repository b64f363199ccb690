// bench_forward: prompt processing and generation speed of the forward pass, as llama-bench
// measures them: a prompt of P random tokens in one batch (logits for the last token only), then N
// tokens generated one at a time with the KV cache (greedy). Reports tokens/s and peak RSS.
//
//   bench_forward -m gemma-3-270m -t 2 -p 128 -n 64 [-r 3] [--batch 1] [--json]
//
// --batch B decodes B sequences together (B prompts prefilled in one call, then B tokens per
// step), the pattern of labelling with many samples. bench/compare_llama_cpp.py runs llama.cpp on
// the same model, threads and tokens and prints both.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "knowscope/core/error.h"
#include "knowscope/core/parallel.h"
#include "knowscope/model/forward.h"
#include "knowscope/model/sampling.h"

namespace {

using knowscope::bench::cpu_seconds;
using knowscope::bench::median;
using knowscope::bench::peak_rss_mib;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// User + system CPU seconds of this process: a steadier measure than wall time on a busy machine.

}  // namespace

int main(int argc, char** argv) {
  using namespace knowscope;
  CLI::App app{"Forward-pass speed: prompt processing and generation tokens/s"};
  std::string model_path = "gemma-3-270m";
  int threads = 2, n_prompt = 128, n_gen = 64, reps = 3, batch = 1;
  uint32_t seed = 1234;
  bool json = false;
  app.add_option("-m,--model", model_path, "GGUF file, HF folder or known model name");
  app.add_option("-t,--threads", threads, "threads")->check(CLI::PositiveNumber);
  app.add_option("-p,--prompt", n_prompt, "prompt tokens")->check(CLI::PositiveNumber);
  app.add_option("-n,--gen", n_gen, "generated tokens")->check(CLI::NonNegativeNumber);
  app.add_option("-r,--reps", reps, "repetitions (the median is reported)")
      ->check(CLI::PositiveNumber);
  app.add_option("-b,--batch", batch, "sequences decoded together")->check(CLI::PositiveNumber);
  app.add_option("--seed", seed, "seed of the random prompt tokens");
  app.add_flag("--json", json, "print one JSON object (with the prompt token ids)");
  CLI11_PARSE(app, argc, argv);

  try {
    set_num_threads(threads);
    auto t_load = Clock::now();
    Model m = load_model(model_path);
    const double load_s = seconds_since(t_load);
    const int64_t V = m.config.vocab_size;

    // Random prompt tokens, away from the special tokens at the start of most vocabularies.
    std::mt19937 rng(seed);
    const int32_t lo = int32_t(std::min<int64_t>(1000, V / 4)),
                  hi = int32_t(std::min<int64_t>(V, 30000));
    std::vector<std::vector<int32_t>> prompts(static_cast<size_t>(batch),
                                              std::vector<int32_t>(static_cast<size_t>(n_prompt)));
    for (auto& p : prompts)
      for (auto& t : p) t = lo + int32_t(rng() % uint32_t(hi - lo));

    std::vector<KVCache> caches;
    for (int b = 0; b < batch; ++b) caches.push_back(make_kv_cache(m.config, n_prompt + n_gen + 1));
    ForwardState st;
    std::vector<SequenceInput> inputs(static_cast<size_t>(batch));
    std::vector<int32_t> next(static_cast<size_t>(batch));
    std::vector<double> pp, tg, pp_cpu, tg_cpu;

    for (int r = 0; r <= reps; ++r) {  // r == 0: warm-up (page in the weights, grow buffers)
      for (auto& c : caches) c.clear();
      ForwardOptions opt;
      opt.logits = LogitsMode::Last;
      for (int b = 0; b < batch; ++b) inputs[size_t(b)] = {prompts[size_t(b)], &caches[size_t(b)]};
      auto t0 = Clock::now();
      double c0 = cpu_seconds();
      forward(m, inputs, opt, st);
      const double t_pp = seconds_since(t0), c_pp = cpu_seconds() - c0;
      for (int b = 0; b < batch; ++b) next[size_t(b)] = argmax(st.logits.ptr() + int64_t(b) * V, V);
      t0 = Clock::now();
      c0 = cpu_seconds();
      for (int i = 0; i < n_gen; ++i) {
        for (int b = 0; b < batch; ++b)
          inputs[size_t(b)] = {std::span<const int32_t>(&next[size_t(b)], 1), &caches[size_t(b)]};
        forward(m, inputs, opt, st);
        for (int b = 0; b < batch; ++b)
          next[size_t(b)] = argmax(st.logits.ptr() + int64_t(b) * V, V);
      }
      const double t_tg = seconds_since(t0), c_tg = cpu_seconds() - c0;
      if (r == 0) continue;
      pp.push_back(double(n_prompt) * batch / t_pp);
      pp_cpu.push_back(double(n_prompt) * batch / c_pp);
      if (n_gen > 0) {
        tg.push_back(double(n_gen) * batch / t_tg);
        tg_cpu.push_back(double(n_gen) * batch / c_tg);
      }
    }

    const double pp_tps = median(pp), tg_tps = median(tg), rss = peak_rss_mib();
    const double pp_cpu_tps = median(pp_cpu), tg_cpu_tps = median(tg_cpu);
    if (json) {
      std::printf(
          "{\"model\": \"%s\", \"threads\": %d, \"n_prompt\": %d, \"n_gen\": %d, \"batch\": %d, "
          "\"reps\": %d, \"load_s\": %.3f, \"prompt_tps\": %.2f, \"gen_tps\": %.2f, "
          "\"prompt_tokens_per_cpu_s\": %.2f, \"gen_tokens_per_cpu_s\": %.2f, "
          "\"peak_rss_mib\": %.1f, \"prompt_ids\": [",
          model_path.c_str(), threads, n_prompt, n_gen, batch, reps, load_s, pp_tps, tg_tps,
          pp_cpu_tps, tg_cpu_tps, rss);
      for (size_t i = 0; i < prompts[0].size(); ++i)
        std::printf("%s%d", i ? ", " : "", prompts[0][i]);
      std::printf("]}\n");
    } else {
      std::printf("model %s (%s, %d layers, d_model %d, vocab %lld), %d threads, batch %d\n",
                  model_path.c_str(), m.config.arch.c_str(), m.config.n_layers, m.config.d_model,
                  (long long)V, threads, batch);
      std::printf("load          %8.2f s\n", load_s);
      std::printf("prompt  pp%-4d %8.1f tokens/s (median of %d; %.1f tokens per CPU second)\n",
                  n_prompt, pp_tps, reps, pp_cpu_tps);
      if (n_gen > 0)
        std::printf("generate tg%-4d %7.1f tokens/s (median of %d; %.1f tokens per CPU second)\n",
                    n_gen, tg_tps, reps, tg_cpu_tps);
      std::printf("peak RSS      %8.1f MiB\n", rss);
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
