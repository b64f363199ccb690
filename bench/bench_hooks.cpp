// bench_hooks: what hooks cost. Runs a batch of prompts (B prompts of P random tokens, one forward
// call) five ways and reports the median wall time of each:
//   plain      forward, every block, no logits, no hooks (the base of the next two)
//   hooked     the same with a HookSet capturing one hook at one position (the handler's cost)
//   capture    capture() of that hook at that position (stops after the hook's block)
//   plain_last forward with last-token logits (what generation's prefill does)
//   steered    plain_last with a steering vector added at one position (base: plain_last)
// The variants alternate within each repetition; wall and CPU medians are printed.
//
//   bench_hooks -m gemma-3-270m -t 2 -p 64 -b 8 --hook blocks.6.hook_resid_post [-r 5] [--json]
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "knowscope/core/error.h"
#include "knowscope/core/parallel.h"
#include "knowscope/hooks/capture.h"
#include "knowscope/hooks/hook_names.h"
#include "knowscope/hooks/interventions.h"
#include "knowscope/model/forward.h"
#include "knowscope/model/registry.h"

namespace {

using knowscope::bench::cpu_seconds;
using knowscope::bench::median;
using knowscope::bench::peak_rss_mib;

using Clock = std::chrono::steady_clock;

}  // namespace

int main(int argc, char** argv) {
  using namespace knowscope;
  CLI::App app{"Cost of hooks: capture and steering against a plain forward pass"};
  std::string model_path = "gemma-3-270m", hook = "blocks.6.hook_resid_post";
  int threads = 2, n_prompt = 64, batch = 8, reps = 5;
  bool json = false;
  app.add_option("-m,--model", model_path, "GGUF file, HF folder or known model name");
  app.add_option("-t,--threads", threads, "threads")->check(CLI::PositiveNumber);
  app.add_option("-p,--prompt", n_prompt, "tokens per prompt")->check(CLI::PositiveNumber);
  app.add_option("-b,--batch", batch, "prompts per forward call")->check(CLI::PositiveNumber);
  app.add_option("-r,--reps", reps, "repetitions (median reported)")->check(CLI::PositiveNumber);
  app.add_option("--hook", hook, "hook to capture or steer");
  app.add_flag("--json", json, "print one JSON object");
  CLI11_PARSE(app, argc, argv);
  try {
    set_num_threads(threads);
    Model m = load_model(resolve_model_path(model_path));
    const ModelConfig& c = m.config;
    HookName hn = parse_hook_name(hook, c.n_layers);
    std::mt19937 rng(1234);
    std::uniform_int_distribution<int32_t> tok(1000, std::min(c.vocab_size, 200000) - 1);
    std::vector<std::vector<int32_t>> toks(static_cast<size_t>(batch));
    std::vector<CapturePrompt> prompts(static_cast<size_t>(batch));
    for (int b = 0; b < batch; ++b) {
      for (int i = 0; i < n_prompt; ++i) toks[size_t(b)].push_back(tok(rng));
      prompts[size_t(b)] = {toks[size_t(b)], {int64_t(n_prompt) - 1}};
    }
    std::vector<SequenceInput> in;
    for (const auto& t : toks) in.push_back({t, nullptr});
    ForwardState st;

    ForwardOptions plain;
    plain.logits = LogitsMode::None;

    // One hook, one row per prompt copied out, through a HookSet.
    HookSet hs(c);
    std::vector<float> sink(size_t(batch) * size_t(hook_cols(c, hn.point)));
    hs.add(hn.point, hn.layer, [&](const HookEvent& ev, std::span<const SeqInfo>) {
      for (size_t s = 0; s < ev.layout->seqs.size(); ++s) {
        const SeqSpan& sp = ev.layout->seqs[s];
        std::memcpy(sink.data() + s * size_t(ev.cols),
                    ev.data + (sp.row_begin + sp.n_new - 1) * ev.cols, size_t(ev.cols) * 4);
      }
    });
    ForwardOptions hooked = plain;
    hooked.hooks = hs.forward_hooks();

    CaptureOptions co;
    co.hooks = {{hook, {}}};
    co.max_batch_prompts = batch;
    co.max_batch_tokens = int64_t(batch) * n_prompt;

    ForwardOptions last;
    last.logits = LogitsMode::Last;
    HookSet steer(c);
    add_steering(steer, hook, Where::at({-1}), 4.0f,
                 std::vector<float>(size_t(hook_cols(c, hn.point)), 0.01f));
    ForwardOptions steered = last;
    steered.hooks = steer.forward_hooks();

    // The five variants take turns within each repetition, so that load from other processes
    // hits them alike; CPU time of this process is reported beside wall time.
    std::vector<std::function<void()>> runs = {
        [&] { forward(m, in, plain, st); }, [&] { forward(m, in, hooked, st); },
        [&] { capture(m, prompts, co); }, [&] { forward(m, in, last, st); },
        [&] { forward(m, in, steered, st); }};
    std::vector<std::vector<double>> wall(runs.size()), cpu(runs.size());
    for (auto& f : runs) f();  // warm-up
    for (int r = 0; r < reps; ++r)
      for (size_t k = 0; k < runs.size(); ++k) {
        const double c0 = cpu_seconds();
        auto t0 = Clock::now();
        runs[k]();
        wall[k].push_back(std::chrono::duration<double>(Clock::now() - t0).count());
        cpu[k].push_back(cpu_seconds() - c0);
      }
    const double t_plain = median(wall[0]), t_hooked = median(wall[1]), t_capture = median(wall[2]),
                 t_last = median(wall[3]), t_steered = median(wall[4]);
    const double c_plain = median(cpu[0]), c_hooked = median(cpu[1]), c_capture = median(cpu[2]),
                 c_last = median(cpu[3]), c_steered = median(cpu[4]);

    const double tokens = double(batch) * n_prompt;
    if (json) {
      nlohmann::json j{{"model", m.config.name},
                       {"threads", threads},
                       {"prompt_tokens", n_prompt},
                       {"batch", batch},
                       {"hook", hook},
                       {"plain_s", t_plain},
                       {"hooked_s", t_hooked},
                       {"capture_s", t_capture},
                       {"plain_last_s", t_last},
                       {"steered_s", t_steered},
                       {"hook_overhead", t_hooked / t_plain - 1},
                       {"steer_overhead", t_steered / t_last - 1},
                       {"hook_overhead_cpu", c_hooked / c_plain - 1},
                       {"capture_vs_plain_cpu", c_capture / c_plain - 1},
                       {"steer_overhead_cpu", c_steered / c_last - 1}};
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::printf("%s, %d threads, %d prompts x %d tokens, hook %s (median of %d)\n",
                  m.config.name.c_str(), threads, batch, n_prompt, hook.c_str(), reps);
      std::printf("  %-11s %9s %9s %8s %9s %8s\n", "", "wall ms", "tok/s", "vs base", "cpu ms",
                  "vs base");
      auto row = [&](const char* name, double t, double base, double ct, double cbase) {
        std::printf("  %-11s %9.2f %9.0f %+7.1f%% %9.2f %+7.1f%%\n", name, t * 1e3, tokens / t,
                    100.0 * (t / base - 1), ct * 1e3, 100.0 * (ct / cbase - 1));
      };
      row("plain", t_plain, t_plain, c_plain, c_plain);
      row("hooked", t_hooked, t_plain, c_hooked, c_plain);
      row("capture", t_capture, t_plain, c_capture, c_plain);
      row("plain_last", t_last, t_last, c_last, c_last);
      row("steered", t_steered, t_last, c_steered, c_last);
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
