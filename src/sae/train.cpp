// The training loop: initialisation, LR and sparsity schedules, dead-latent bookkeeping, progress,
// checkpoints, and the conversion to an inference SAE.
#include "knowscope/sae/train.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "knowscope/core/error.h"
#include "knowscope/core/parallel.h"
#include "knowscope/core/progress.h"
#include "train_internal.h"

namespace knowscope {
namespace fs = std::filesystem;
using sae_detail::Trainer;

namespace {

void validate_config(const SaeTrainConfig& c, int64_t d_in) {
  const std::string w = "SAE training config";
  check(d_in > 0, w, "d_in", "the activation source has no columns");
  check(c.d_sae > 0 && c.d_sae <= INT32_MAX, w, "d_sae", "must be in [1, 2^31)");
  check(c.batch_size > 0 && c.batch_size <= INT32_MAX, w, "batch_size", "must be positive");
  check(c.total_steps >= 0, w, "total_steps", "must be >= 0");
  check(c.shuffle_buffer_rows >= c.batch_size, w, "shuffle_buffer_rows", "must be >= batch_size");
  check(c.lr > 0, w, "lr", "must be positive");
  check(c.adam_beta1 >= 0 && c.adam_beta1 < 1 && c.adam_beta2 >= 0 && c.adam_beta2 < 1, w,
        "adam_beta1/2", "must be in [0, 1)");
  check(c.lr_decay_fraction >= 0 && c.lr_decay_fraction <= 1, w, "lr_decay_fraction",
        "must be in [0, 1]");
  if (c.arch == SaeTrainArch::JumpRelu) {
    check(c.bandwidth > 0, w, "bandwidth", "must be positive");
    check(c.init_threshold > 0, w, "init_threshold", "must be positive (log-thresholds)");
  }
  if (c.arch == SaeTrainArch::TopK || c.arch == SaeTrainArch::BatchTopK)
    check(c.k > 0 && c.k <= c.d_sae, w, "k", "must be in [1, d_sae]");
  check(c.checkpoint_every >= 0, w, "checkpoint_every", "must be >= 0");
  check(c.checkpoint_every == 0 || !c.checkpoint_dir.empty(), w, "checkpoint_dir",
        "needed when checkpoint_every > 0");
}

float lr_at(const SaeTrainConfig& c, int64_t step) {
  double f = 1.0;
  if (c.lr_warmup_steps > 0) f = std::min(1.0, double(step + 1) / double(c.lr_warmup_steps));
  int64_t decay = int64_t(std::llround(double(c.lr_decay_fraction) * double(c.total_steps)));
  int64_t start = c.total_steps - decay;
  if (decay > 0 && step >= start) f *= double(c.total_steps - step) / double(decay);
  return float(double(c.lr) * f);
}

float sparsity_coef_at(const SaeTrainConfig& c, int64_t step) {
  double base = c.arch == SaeTrainArch::JumpRelu ? c.l0_coefficient
                : c.arch == SaeTrainArch::Relu   ? c.l1_coefficient
                                                 : 0.0;
  if (c.sparsity_warmup_steps > 0)
    base *= std::min(1.0, double(step + 1) / double(c.sparsity_warmup_steps));
  return float(base);
}

void initialise(Trainer& t, ShuffleBuffer& buf) {
  const auto& c = t.cfg;
  const int64_t d = t.d, S = t.S;
  int64_t n0 = std::max<int64_t>(c.b_dec_init_rows, 1);
  std::vector<float> rows(static_cast<size_t>(n0 * d));
  n0 = buf.next_batch(rows.data(), n0);
  check(n0 > 0, "SAE training", "activations", "the source yielded no rows");
  double msn = 0;
  for (int64_t r = 0; r < n0; ++r) {
    double s = 0;
    for (int64_t i = 0; i < d; ++i) s += double(rows[size_t(r * d + i)]) * rows[size_t(r * d + i)];
    msn += s;
  }
  msn /= double(n0);
  t.input_scale = c.normalize_inputs && msn > 0 ? float(1.0 / std::sqrt(msn)) : 1.0f;
  for (float& v : rows) v *= t.input_scale;
  rows.resize(size_t(n0 * d));
  if (c.b_dec_init == BdecInit::GeometricMedian) {
    t.b_dec.value = geometric_median(rows.data(), n0, d);
  } else if (c.b_dec_init == BdecInit::Mean) {
    std::vector<double> m(size_t(d), 0.0);
    for (int64_t r = 0; r < n0; ++r)
      for (int64_t i = 0; i < d; ++i) m[size_t(i)] += rows[size_t(r * d + i)];
    for (int64_t i = 0; i < d; ++i) t.b_dec.value[size_t(i)] = float(m[size_t(i)] / double(n0));
  }
  // Random unit decoder rows; encoder = decoder transpose; zero encoder bias.
  Rng rng(c.seed ^ 0x5ae5ae5ae5ae5ae5ull);
  for (int64_t j = 0; j < S; ++j) {
    float* w = t.W_dec.value.data() + j * d;
    double n2 = 0;
    for (int64_t i = 0; i < d; ++i) {
      w[i] = rng.normal();
      n2 += double(w[i]) * w[i];
    }
    float inv = float(1.0 / std::sqrt(std::max(n2, 1e-30)));
    for (int64_t i = 0; i < d; ++i) w[i] *= inv;
  }
  t.W_encT.value = t.W_dec.value;
  if (c.arch == SaeTrainArch::JumpRelu)
    std::fill(t.log_th.value.begin(), t.log_th.value.end(), std::log(c.init_threshold));
}

std::string fmt_note(const SaeTrainStats& s) {
  char buf[200];
  std::snprintf(buf, sizeof buf, "loss %.4g mse %.4g L0 %.1f EV %.3f dead %.1f%% dense %.1f%%",
                s.loss, s.mse, s.l0, s.explained_variance, 100 * s.dead_fraction,
                100 * s.dense_fraction);
  return buf;
}

std::string resolve_resume(const std::string& from) {
  if (fs::exists(fs::path(from) / "trainer_state.safetensors")) return from;
  std::string latest = latest_checkpoint(from);
  if (latest.empty())
    fail(from, "resume", "no trainer_state.safetensors here and no checkpoint under it");
  return latest;
}

}  // namespace

SaeTrainResult train_sae(ActivationSource& source, const SaeTrainConfig& cfg,
                         const std::string& resume_from,
                         const std::function<void(const SaeTrainStats&)>& on_log) {
  const int64_t d = source.d_in();
  validate_config(cfg, d);
  Trainer t;
  t.cfg = cfg;
  t.init_shapes(d);
  ShuffleBuffer buf(source, cfg.shuffle_buffer_rows, cfg.seed);
  if (!resume_from.empty())
    sae_detail::load_checkpoint(t, buf, resolve_resume(resume_from));
  else
    initialise(t, buf);

  const auto t0 = std::chrono::steady_clock::now();
  const int64_t B = cfg.batch_size;
  t.x.resize(size_t(B * d));
  SaeTrainResult res;
  std::unique_ptr<Progress> prog;
  if (cfg.show_progress && t.step < cfg.total_steps)
    prog = std::make_unique<Progress>("train SAE", cfg.total_steps - t.step, "step");
  int64_t last_saved = -1;
  SaeTrainStats stats;
  while (t.step < cfg.total_steps) {
    int64_t got = buf.next_batch(t.x.data(), B);
    if (got < B) {
      std::fprintf(stderr, "train SAE: activations ran out after %lld steps\n", (long long)t.step);
      break;
    }
    if (t.input_scale != 1.0f)
      for (float& v : t.x) v *= t.input_scale;
    const float coef = sparsity_coef_at(cfg, t.step);
    sae_detail::StepOutput out = t.forward_backward(B, coef);
    const float lr = lr_at(cfg, t.step);
    t.adam_update(lr);
    int64_t dead = 0;
    for (int64_t j = 0; j < t.S; ++j) {
      t.window_fires[size_t(j)] += t.fired[size_t(j)];
      if (t.fired[size_t(j)] > 0) {
        t.tokens_since_fired[size_t(j)] = 0;
      } else {
        t.tokens_since_fired[size_t(j)] += B;
      }
      dead += t.tokens_since_fired[size_t(j)] > cfg.dead_tokens;
    }
    t.window_tokens += B;
    t.tokens_seen += B;
    ++t.step;

    stats.step = t.step;
    stats.mse = out.mse;
    stats.sparsity_loss = out.sparsity;
    stats.aux_loss = out.aux;
    stats.loss = out.mse + out.sparsity + out.aux;
    stats.l0 = out.l0;
    double mean_sq = 0;
    for (double v : out.sum_x) mean_sq += (v / double(B)) * (v / double(B));
    double var = out.sum_sq_x / double(B) - mean_sq;
    stats.explained_variance = var > 1e-12 ? 1.0 - out.mse / var : 0.0;
    stats.dead_fraction = double(dead) / double(t.S);
    stats.lr = lr;
    bool log_now = (cfg.log_every > 0 && t.step % cfg.log_every == 0) || t.step == cfg.total_steps;
    if (log_now) {
      // Firing frequencies over the tokens since the last log.
      int64_t dense_n = 0;
      for (int64_t j = 0; j < t.S; ++j)
        dense_n += double(t.window_fires[size_t(j)]) > cfg.dense_fraction * double(t.window_tokens);
      stats.dense_fraction = double(dense_n) / double(t.S);
      std::fill(t.window_fires.begin(), t.window_fires.end(), 0);
      t.window_tokens = 0;
    }
    if (prog) {
      prog->set_note(fmt_note(stats));
      prog->advance();
    }
    if (log_now && on_log) on_log(stats);
    if (cfg.checkpoint_every > 0 && t.step % cfg.checkpoint_every == 0) {
      sae_detail::save_checkpoint(t, buf, cfg.checkpoint_dir);
      last_saved = t.step;
    }
  }
  if (!cfg.checkpoint_dir.empty() && last_saved != t.step && t.step > 0)
    sae_detail::save_checkpoint(t, buf, cfg.checkpoint_dir);
  if (prog) prog->finish();
  res.sae = t.inference_sae();
  res.last = stats;
  res.tokens_seen = t.tokens_seen;
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

std::vector<float> geometric_median(const float* rows, int64_t n, int64_t d, int iterations) {
  // Weiszfeld: m <- sum_i x_i / |x_i - m| / sum_i 1 / |x_i - m|, from the mean.
  std::vector<double> m(size_t(d), 0.0);
  std::vector<double> next(size_t(d), 0.0);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < d; ++i) m[size_t(i)] += rows[r * d + i];
  for (auto& v : m) v /= double(std::max<int64_t>(n, 1));
  for (int it = 0; it < iterations && n > 1; ++it) {
    std::fill(next.begin(), next.end(), 0.0);
    double wsum = 0, shift = 0;
    for (int64_t r = 0; r < n; ++r) {
      double dist = 0;
      for (int64_t i = 0; i < d; ++i) {
        double e = rows[r * d + i] - m[size_t(i)];
        dist += e * e;
      }
      double w = 1.0 / std::max(std::sqrt(dist), 1e-8);
      wsum += w;
      for (int64_t i = 0; i < d; ++i) next[size_t(i)] += w * rows[r * d + i];
    }
    for (int64_t i = 0; i < d; ++i) {
      double v = next[size_t(i)] / wsum;
      shift += (v - m[size_t(i)]) * (v - m[size_t(i)]);
      m[size_t(i)] = v;
    }
    if (shift < 1e-14) break;
  }
  return std::vector<float>(m.begin(), m.end());
}

namespace sae_detail {

Sae Trainer::inference_sae() const {
  SaeArch arch = cfg.arch == SaeTrainArch::Relu ? SaeArch::Relu
                 : cfg.arch == SaeTrainArch::TopK
                     ? SaeArch::TopK
                     : SaeArch::JumpRelu;  // BatchTopK saves as JumpReLU
  Sae s = make_sae(arch, d, S, arch == SaeArch::TopK ? cfg.k : 0);
  parallel_for(d, [&](int64_t i0, int64_t i1, int) {
    for (int64_t i = i0; i < i1; ++i)
      for (int64_t j = 0; j < S; ++j)
        s.W_enc.data[size_t(i * S + j)] = W_encT.value[size_t(j * d + i)];
  });
  s.b_enc.data = b_enc.value;
  s.W_dec.data = W_dec.value;
  s.b_dec.data = b_dec.value;
  if (cfg.arch == SaeTrainArch::JumpRelu)
    for (int64_t j = 0; j < S; ++j) s.threshold.data[size_t(j)] = std::exp(log_th.value[size_t(j)]);
  if (cfg.arch == SaeTrainArch::BatchTopK)
    std::fill(s.threshold.data.begin(), s.threshold.data.end(), float(batch_topk_threshold));
  s.apply_b_dec_to_input = cfg.apply_b_dec_to_input;
  s.hook_name = cfg.hook_name;
  s.model_name = cfg.model_name;
  s.source_format = "knowscope_train";
  fold_input_scale(s, input_scale);
  return s;
}

}  // namespace sae_detail

}  // namespace knowscope
