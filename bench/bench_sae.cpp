// bench_sae: SAE encode and training throughput (tokens/s) on random data, for the README's
// comparison with SAELens (tools/bench_saelens.py runs the same shapes in PyTorch on CPU).
//
//   bench_sae -t 2 [--d-in 640 --d-sae 16384 --encode-batch 1024 --train-batch 4096 --l0 64 -r 5]
//             [--arch jumprelu|topk] [--json]
//
// The SAE has unit decoder rows, W_enc = W_dec^T and inputs x ~ N(0, I), so each pre-activation is
// ~N(0, 1); JumpReLU thresholds are set at the normal quantile that gives the requested L0 (TopK
// uses k = L0), the sparsity of a trained SAE. Encode = sparse codes of a batch (dense sgemm, then
// the activation); train = one JumpReLU/TopK step (forward, backward, Adam, decoder renorm).
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_util.h"
#include "knowscope/core/parallel.h"
#include "knowscope/sae/activations.h"
#include "knowscope/sae/encode.h"
#include "sae/train_internal.h"

namespace {

using knowscope::bench::cpu_seconds;
using knowscope::bench::median;
using knowscope::bench::peak_rss_mib;

using namespace knowscope;
using Clock = std::chrono::steady_clock;

// Upper-tail quantile of N(0, 1) by bisection on erfc.
double normal_upper_quantile(double p) {
  double lo = -10, hi = 10;
  for (int i = 0; i < 100; ++i) {
    double mid = 0.5 * (lo + hi);
    (0.5 * std::erfc(mid / std::sqrt(2.0)) > p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

void random_unit_rows(std::vector<float>& w, int64_t rows, int64_t d, Rng& rng) {
  w.resize(size_t(rows * d));
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0;
    for (int64_t i = 0; i < d; ++i) {
      float v = rng.normal();
      w[size_t(r * d + i)] = v;
      s += double(v) * v;
    }
    for (int64_t i = 0; i < d; ++i) w[size_t(r * d + i)] /= float(std::sqrt(s));
  }
}

struct Timing {
  double wall = 0, cpu = 0;  // median seconds per batch
};

template <typename F>
Timing time_reps(int reps, F&& f) {
  f();  // warm-up
  std::vector<double> wall, cpu;
  for (int r = 0; r < reps; ++r) {
    double c0 = cpu_seconds();
    auto t0 = Clock::now();
    f();
    wall.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    cpu.push_back(cpu_seconds() - c0);
  }
  return {median(wall), median(cpu)};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"SAE encode and training throughput"};
  int threads = 2, reps = 5;
  int64_t d_in = 640, d_sae = 16384, encode_batch = 1024, train_batch = 4096, l0 = 64;
  std::string arch = "jumprelu";
  bool json = false;
  app.add_option("-t,--threads", threads);
  app.add_option("-r,--reps", reps);
  app.add_option("--d-in", d_in);
  app.add_option("--d-sae", d_sae);
  app.add_option("--encode-batch", encode_batch);
  app.add_option("--train-batch", train_batch);
  app.add_option("--l0", l0);
  app.add_option("--arch", arch)->check(CLI::IsMember({"jumprelu", "topk"}));
  app.add_flag("--json", json);
  CLI11_PARSE(app, argc, argv);
  set_num_threads(threads);
  const bool topk = arch == "topk";
  const float threshold = float(normal_upper_quantile(double(l0) / double(d_sae)));

  Rng rng(1);
  Sae sae = make_sae(topk ? SaeArch::TopK : SaeArch::JumpRelu, d_in, d_sae, topk ? l0 : 0);
  random_unit_rows(sae.W_dec.data, d_sae, d_in, rng);
  for (int64_t i = 0; i < d_in; ++i)
    for (int64_t j = 0; j < d_sae; ++j)
      sae.W_enc.data[size_t(i * d_sae + j)] = sae.W_dec.data[size_t(j * d_in + i)];
  std::fill(sae.threshold.data.begin(), sae.threshold.data.end(), threshold);
  std::vector<float> x(size_t(std::max(encode_batch, train_batch) * d_in));
  for (float& v : x) v = rng.normal();

  // Encode: sparse codes of a batch.
  SaeCodes codes;
  SaeWorkspace ws;
  Timing enc = time_reps(reps, [&] { sae_encode(sae, x.data(), encode_batch, codes, &ws); });
  double enc_l0 = double(codes.nnz()) / double(encode_batch);
  std::vector<float> x_hat(size_t(encode_batch * d_in));
  Timing rec = time_reps(reps, [&] {
    sae_encode(sae, x.data(), encode_batch, codes, &ws);
    sae_decode(sae, codes, x_hat.data());
  });

  // Training step.
  sae_detail::Trainer t;
  t.cfg.arch = topk ? SaeTrainArch::TopK : SaeTrainArch::JumpRelu;
  t.cfg.d_sae = d_sae;
  t.cfg.k = l0;
  t.cfg.bandwidth = 0.001f * std::sqrt(float(d_in));  // Gemma Scope's 0.001 at E||x||^2 = 1
  t.init_shapes(d_in);
  t.W_dec.value = sae.W_dec.data;
  t.W_encT.value = sae.W_dec.data;
  std::fill(t.log_th.value.begin(), t.log_th.value.end(), std::log(threshold));
  t.x.assign(x.begin(), x.begin() + train_batch * d_in);
  double train_l0 = 0;
  bool dense = false;
  Timing train = time_reps(reps, [&] {
    sae_detail::StepOutput o = t.forward_backward(train_batch, 1e-3f);
    t.adam_update(1e-5f);
    ++t.step;
    train_l0 = o.l0;
    dense = t.last_dense;
  });

  auto per_s = [](int64_t tokens, double s) { return double(tokens) / s; };
  if (json) {
    std::printf(
        "{\"arch\": \"%s\", \"threads\": %d, \"d_in\": %lld, \"d_sae\": %lld, \"l0_target\": "
        "%lld,\n"
        " \"encode\": {\"batch\": %lld, \"l0\": %.1f, \"tokens_per_s\": %.1f, "
        "\"tokens_per_cpu_s\": %.1f},\n"
        " \"encode_decode\": {\"batch\": %lld, \"tokens_per_s\": %.1f, \"tokens_per_cpu_s\": "
        "%.1f},\n"
        " \"train\": {\"batch\": %lld, \"l0\": %.1f, \"dense_path\": %s, \"tokens_per_s\": %.1f, "
        "\"tokens_per_cpu_s\": %.1f}}\n",
        arch.c_str(), threads, (long long)d_in, (long long)d_sae, (long long)l0,
        (long long)encode_batch, enc_l0, per_s(encode_batch, enc.wall),
        per_s(encode_batch, enc.cpu), (long long)encode_batch, per_s(encode_batch, rec.wall),
        per_s(encode_batch, rec.cpu), (long long)train_batch, train_l0, dense ? "true" : "false",
        per_s(train_batch, train.wall), per_s(train_batch, train.cpu));
  } else {
    std::printf("%s SAE %lld x %lld, %d threads, target L0 %lld\n", arch.c_str(), (long long)d_in,
                (long long)d_sae, threads, (long long)l0);
    std::printf("encode         batch %5lld  L0 %6.1f  %10.0f tokens/s  (%10.0f per CPU-second)\n",
                (long long)encode_batch, enc_l0, per_s(encode_batch, enc.wall),
                per_s(encode_batch, enc.cpu));
    std::printf("encode+decode  batch %5lld            %10.0f tokens/s  (%10.0f per CPU-second)\n",
                (long long)encode_batch, per_s(encode_batch, rec.wall),
                per_s(encode_batch, rec.cpu));
    std::printf(
        "train step     batch %5lld  L0 %6.1f  %10.0f tokens/s  (%10.0f per CPU-second)%s\n",
        (long long)train_batch, train_l0, per_s(train_batch, train.wall),
        per_s(train_batch, train.cpu), dense ? " [dense path]" : "");
  }
  return 0;
}
